//! Every Function, checked twice: its backward pass against numerical
//! differentiation (DeZero's `gradient_check`, f64, rtol 1e-4, atol 1e-5),
//! and its values and gradients against closed forms.
//!
//! The checked function is almost always `sum(op(x) · w)` with a fixed,
//! uneven `w` rather than `sum(op(x))`: the gradient of a plain sum is blind
//! to some mistakes (it is zero for softmax, and the same for a gradient
//! that is transposed or permuted within a broadcast row).

use dezero::functions::*;
use dezero::utils::{
    array_allclose, gradient_check, gradient_check_multi, numerical_grad, GradientMismatch,
};
use dezero::{apply1, BackwardOptions, Error, Function, Scalar, Variable};
use ndarray::{arr0, arr1, arr2, ArrayD, Dimension, IxDyn};

/// A deterministic array with entries uniform in `[lo, hi)` (splitmix64).
fn uniform(shape: &[usize], seed: u64, lo: f64, hi: f64) -> ArrayD<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1);
    let n: usize = shape.iter().product();
    let values = (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            lo + (hi - lo) * ((z >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect();
    ArrayD::from_shape_vec(IxDyn(shape), values).expect("length matches the shape")
}

/// Entries uniform in `[-1, 1)`.
fn rand(shape: &[usize], seed: u64) -> ArrayD<f64> {
    uniform(shape, seed, -1.0, 1.0)
}

/// `sum(y · w)` for a fixed uneven `w` of `y`'s shape.
fn weighted(y: &Variable<f64>) -> Variable<f64> {
    let w = Variable::new(uniform(&y.shape(), 999, 0.5, 2.0));
    sum(&(y * &w))
}

/// Gradient check of `x ↦ sum(op(x) · w)`, panicking with the mismatch.
fn check1(what: &str, x: ArrayD<f64>, op: impl Fn(&Variable<f64>) -> Variable<f64>) {
    gradient_check(|x| weighted(&op(x)), &x).unwrap_or_else(|e| panic!("{what}: {e}"));
}

/// Gradient check of `xs ↦ sum(op(xs) · w)` in every input.
fn check_n(what: &str, xs: &[ArrayD<f64>], op: impl Fn(&[Variable<f64>]) -> Variable<f64>) {
    gradient_check_multi(|xs| weighted(&op(xs)), xs).unwrap_or_else(|e| panic!("{what}: {e}"));
}

/// Asserts two arrays are equal within `tol` relative (or exactly).
fn assert_close(what: &str, got: &ArrayD<f64>, want: &ArrayD<f64>, tol: f64) {
    assert_eq!(got.shape(), want.shape(), "{what}: shapes differ");
    for ((i, &g), &w) in got.indexed_iter().zip(want) {
        assert!(
            g == w || (g - w).abs() <= tol * w.abs(),
            "{what} at {:?}: got {g:e}, want {w:e}",
            i.slice()
        );
    }
}

fn grad(x: &Variable<f64>) -> ArrayD<f64> {
    x.grad().expect("a gradient was computed").to_array()
}

// ---------------------------------------------------------------------------
// The checker itself can fail.

/// `Exp` with a deliberately wrong backward (`2·gy·y`).
struct WrongExp;

impl Function<f64> for WrongExp {
    fn name(&self) -> &'static str {
        "WrongExp"
    }
    fn forward(&mut self, xs: &[&ArrayD<f64>]) -> Vec<ArrayD<f64>> {
        vec![xs[0].mapv(f64::exp)]
    }
    fn backward(
        &self,
        _xs: &[Variable<f64>],
        ys: &[Variable<f64>],
        gys: &[Variable<f64>],
    ) -> Vec<Option<Variable<f64>>> {
        vec![Some(&(&gys[0] * &ys[0]) * 2.0)]
    }
}

#[test]
fn gradient_check_rejects_a_wrong_backward() {
    let x = rand(&[2, 3], 1);
    let err = gradient_check(|x| apply1(WrongExp, &[x]), &x).unwrap_err();
    let Error::Gradient(err) = err else {
        panic!("not a gradient mismatch: {err}")
    };
    assert_eq!(err.input, 0);
    let bp = err.backprop.clone().expect("backward gave a gradient");
    assert_close(
        "wrong backward is twice exp",
        &bp,
        &x.mapv(|v| 2.0 * v.exp()),
        1e-15,
    );
    assert!(
        err.to_string().starts_with("gradient check: input 0 at ["),
        "{err}"
    );
    // The right one passes at the same point.
    gradient_check(exp, &x).unwrap();
}

#[test]
fn gradient_check_rejects_an_input_without_gradient() {
    let x0 = rand(&[3], 2);
    let x1 = rand(&[3], 3);
    // x1 is not used, so it gets no gradient; its numerical one is 0.
    let err = gradient_check_multi(|xs| sin(&xs[0]), &[x0, x1]).unwrap_err();
    let Error::Gradient(err) = err else {
        panic!("not a gradient mismatch: {err}")
    };
    assert_eq!(
        *err,
        GradientMismatch {
            input: 1,
            numerical: ArrayD::zeros(IxDyn(&[3])),
            backprop: None,
            rtol: 1e-4,
            atol: 1e-5,
        }
    );
    assert_eq!(
        err.to_string(),
        "gradient check: input 1 got no gradient from backward"
    );
}

#[test]
fn numerical_grad_is_a_central_difference_with_eps_1e_4() {
    // For x³ the central difference has error exactly eps² = 1e-8.
    let x = arr1(&[2.0, -1.0]).into_dyn();
    let g = numerical_grad(|x| x.powi(3), &x);
    assert_close(
        "d/dx x³ + eps²",
        &g,
        &arr1(&[12.0 + 1e-8, 3.0 + 1e-8]).into_dyn(),
        1e-11,
    );
}

// ---------------------------------------------------------------------------
// Arithmetic, with broadcasting.

/// Operand shape pairs: equal, one side broadcast, both sides broadcast,
/// a 0-d side, and a rank difference.
const BROADCAST_PAIRS: &[(&[usize], &[usize])] = &[
    (&[2, 3], &[2, 3]),
    (&[2, 3], &[3]),
    (&[2, 3], &[2, 1]),
    (&[1, 3], &[2, 1]),
    (&[2, 3], &[]),
    (&[], &[2, 3]),
    (&[4, 1, 3], &[2, 1]),
];

#[test]
fn add_sub_mul_div_gradients_with_broadcasting() {
    for (k, &(a, b)) in BROADCAST_PAIRS.iter().enumerate() {
        let seed = 10 * k as u64;
        let x0 = rand(a, seed);
        // Keep divisors away from 0.
        let x1 = uniform(b, seed + 1, 0.5, 1.5);
        let xs = [x0, x1];
        check_n(&format!("add {a:?} {b:?}"), &xs, |v| &v[0] + &v[1]);
        check_n(&format!("sub {a:?} {b:?}"), &xs, |v| &v[0] - &v[1]);
        check_n(&format!("mul {a:?} {b:?}"), &xs, |v| &v[0] * &v[1]);
        check_n(&format!("div {a:?} {b:?}"), &xs, |v| &v[0] / &v[1]);
    }
}

#[test]
fn broadcast_gradients_are_summed_back_to_each_shape() {
    let x0 = Variable::new(rand(&[1, 3], 20));
    let x1 = Variable::new(rand(&[2, 1], 21));
    let y = &x0 * &x1;
    assert_eq!(y.shape(), vec![2, 3]);
    y.backward();
    let (a, b) = (x0.to_array(), x1.to_array());
    // d/dx0 Σ x0ⱼ·x1ᵢ = Σᵢ x1ᵢ, d/dx1 = Σⱼ x0ⱼ
    assert_close(
        "gx0",
        &grad(&x0),
        &ArrayD::from_elem(IxDyn(&[1, 3]), b.sum()),
        1e-15,
    );
    assert_close(
        "gx1",
        &grad(&x1),
        &ArrayD::from_elem(IxDyn(&[2, 1]), a.sum()),
        1e-15,
    );
}

#[test]
fn scalar_operands_on_either_side() {
    let x = uniform(&[2, 3], 30, 0.5, 2.0);
    check1("x + 2", x.clone(), |x| x + 2.0);
    check1("2 - x", x.clone(), |x| 2.0 - x);
    check1("x * 3", x.clone(), |x| x * 3.0);
    check1("3 / x", x.clone(), |x| 3.0 / x);
    check1("x / 3", x, |x| x / 3.0);
}

#[test]
fn neg_and_pow_gradients() {
    let x = uniform(&[3, 4], 40, 0.5, 2.0);
    check1("neg", x.clone(), |x| -x);
    check1("powi 3", x.clone(), |x| x.powi(3));
    check1("powf 2.5", x.clone(), |x| x.powf(2.5));
    check1("powf -1.5", x, |x| x.powf(-1.5));
    // Negative bases with an integer exponent.
    check1("powi 2 of negatives", rand(&[5], 41), |x| x.powi(2));
}

#[test]
#[should_panic(expected = "add: operands could not be broadcast together with shapes [2, 3] [2]")]
fn add_panics_naming_both_shapes() {
    let _ = Variable::new(rand(&[2, 3], 0)) + Variable::new(rand(&[2], 0));
}

// ---------------------------------------------------------------------------
// Basic math.

#[test]
fn basic_math_values_and_gradients_match_closed_forms() {
    type Op = fn(&Variable<f64>) -> Variable<f64>;
    type F = fn(f64) -> f64;
    let cases: &[(&str, Op, F, F)] = &[
        ("exp", exp, f64::exp, f64::exp),
        ("log", log, f64::ln, |x| 1.0 / x),
        ("sin", sin, f64::sin, f64::cos),
        ("cos", cos, f64::cos, |x| -x.sin()),
        ("tanh", tanh, f64::tanh, |x| 1.0 - x.tanh() * x.tanh()),
    ];
    let x = uniform(&[3, 4], 50, 0.2, 3.0);
    for &(name, op, value, deriv) in cases {
        let v = Variable::new(x.clone());
        let y = op(&v);
        y.backward();
        assert_close(
            &format!("{name} value"),
            &y.to_array(),
            &x.mapv(value),
            1e-15,
        );
        assert_close(&format!("{name} grad"), &grad(&v), &x.mapv(deriv), 1e-15);
    }
}

#[test]
fn basic_math_gradients() {
    let x = rand(&[3, 4], 60).mapv(|v| 3.0 * v);
    check1("exp", x.clone(), exp);
    check1("sin", x.clone(), sin);
    check1("cos", x.clone(), cos);
    check1("tanh", x, tanh);
    check1("log", uniform(&[3, 4], 61, 0.2, 5.0), log);
}

#[test]
fn creators_carry_dezero_class_names() {
    let x = Variable::new(uniform(&[2, 3], 70, 0.1, 1.0));
    let t = Variable::new(uniform(&[2, 3], 71, 0.1, 1.0));
    let names = [
        (exp(&x), "Exp"),
        (log(&x), "Log"),
        (sin(&x), "Sin"),
        (cos(&x), "Cos"),
        (tanh(&x), "Tanh"),
        (sigmoid(&x), "Sigmoid"),
        (relu(&x), "ReLU"),
        (softmax(&x), "Softmax"),
        (log_softmax(&x), "LogSoftmax"),
        (mean_squared_error(&x, &t), "MeanSquaredError"),
        (softmax_cross_entropy(&x, &[0, 2]), "SoftmaxCrossEntropy"),
        (clip(&x, 0.2, 0.8), "Clip"),
        (max(&x), "Max"),
        (min_axis(&x, &[1], false), "Min"),
    ];
    for (y, name) in names {
        assert_eq!(y.creator_name(), Some(name));
    }
}

// ---------------------------------------------------------------------------
// Activations.

#[test]
fn sigmoid_is_computed_as_dezero_computes_it() {
    let x = rand(&[4, 5], 80).mapv(|v| 8.0 * v);
    let y = sigmoid(&Variable::new(x.clone()));
    // Bit for bit DeZero's `tanh(x * 0.5) * 0.5 + 0.5`.
    assert_eq!(y.to_array(), x.mapv(|v| (v * 0.5).tanh() * 0.5 + 0.5));
    // tanh(x/2)/2 + 1/2 cancels for very negative x: 1e-12 relative at x = −8.
    let logistic = x.mapv(|v| 1.0 / (1.0 + (-v).exp()));
    assert_close("sigmoid = 1/(1+e⁻ˣ)", &y.to_array(), &logistic, 1e-12);
    let simple = sigmoid_simple(&Variable::new(x.clone()));
    assert_close("sigmoid_simple", &simple.to_array(), &logistic, 1e-15);
}

#[test]
fn activation_gradients() {
    let x = rand(&[3, 4], 90).mapv(|v| 3.0 * v);
    check1("sigmoid", x.clone(), sigmoid);
    check1("sigmoid_simple", x.clone(), sigmoid_simple);
    check1("softmax", x.clone(), softmax);
    check1("softmax_simple", x.clone(), softmax_simple);
    check1("log_softmax", x, log_softmax);
    // ReLU away from its kink at 0.
    let x = rand(&[3, 4], 91).mapv(|v| if v.abs() < 0.1 { v + 0.3 } else { v });
    check1("relu", x, relu);
}

#[test]
fn relu_passes_the_gradient_only_where_x_is_positive() {
    let x = Variable::new(arr1(&[-2.0, -0.0, 0.0, 1e-300, 3.0]).into_dyn());
    let y = relu(&x);
    y.backward();
    assert_eq!(y.to_array(), arr1(&[0.0, 0.0, 0.0, 1e-300, 3.0]).into_dyn());
    assert_eq!(grad(&x), arr1(&[0.0, 0.0, 0.0, 1.0, 1.0]).into_dyn());
}

#[test]
fn softmax_rows_sum_to_one_and_log_softmax_is_its_log() {
    let x = rand(&[4, 6], 100).mapv(|v| 20.0 * v);
    let p = softmax(&Variable::new(x.clone())).to_array();
    for row in p.rows() {
        assert!((row.sum() - 1.0).abs() < 4e-15, "{row}");
    }
    // Compared as exp(log_softmax) = softmax: ln p near p = 1 is too small
    // for a relative comparison.
    let lp = log_softmax(&Variable::new(x.clone())).to_array();
    assert_close("exp(log_softmax) = softmax", &lp.mapv(f64::exp), &p, 1e-13);
    let simple = softmax_simple(&Variable::new(x)).to_array();
    assert_close("softmax_simple", &simple, &p, 1e-13);
}

#[test]
fn softmax_does_not_overflow_where_softmax_simple_does() {
    let x = arr2(&[[1000.0_f64, 1000.0, 999.0]]).into_dyn();
    let p = softmax(&Variable::new(x.clone())).to_array();
    assert!(p.iter().all(|v| v.is_finite()), "{p}");
    let lp = log_softmax(&Variable::new(x.clone())).to_array();
    assert!(lp.iter().all(|v| v.is_finite()), "{lp}");
    // DeZero's softmax_simple does not subtract the maximum.
    let q = softmax_simple(&Variable::new(x)).to_array();
    assert!(q.iter().all(|v| v.is_nan()), "{q}");
}

#[test]
#[should_panic(expected = "softmax: x must be 2-dimensional, got shape [2, 3, 4]")]
fn softmax_panics_on_a_3d_input() {
    softmax(&Variable::new(rand(&[2, 3, 4], 0)));
}

#[test]
#[should_panic(expected = "log_softmax: x must be 2-dimensional, got shape [5]")]
fn log_softmax_panics_on_a_1d_input() {
    log_softmax(&Variable::new(rand(&[5], 0)));
}

/// Gradients with and without `create_graph`, which take different paths
/// (the kernel, or Variable ops) and must agree to the last bit.
fn both_paths(xs: &[ArrayD<f64>], f: impl Fn(&[Variable<f64>]) -> Variable<f64>) {
    let grads = |create_graph: bool| -> Vec<ArrayD<f64>> {
        let vars: Vec<_> = xs.iter().cloned().map(Variable::new).collect();
        // A non-trivial upstream gradient, through a Mul.
        let y = &f(&vars) * 1.7;
        y.backward_with(BackwardOptions::default().create_graph(create_graph));
        vars.iter().map(grad).collect()
    };
    assert_eq!(grads(false), grads(true));
}

#[test]
fn kernel_backward_and_recorded_backward_agree_bitwise() {
    let x = rand(&[5, 4], 110).mapv(|v| 4.0 * v);
    let t = rand(&[5, 4], 111);
    both_paths(std::slice::from_ref(&x), |v| weighted(&sigmoid(&v[0])));
    both_paths(std::slice::from_ref(&x), |v| weighted(&tanh(&v[0])));
    both_paths(std::slice::from_ref(&x), |v| weighted(&relu(&v[0])));
    both_paths(&[x.clone(), t], |v| mean_squared_error(&v[0], &v[1]));
    both_paths(&[x], |v| softmax_cross_entropy(&v[0], &[3, 0, 1, 1, 2]));
}

// ---------------------------------------------------------------------------
// Losses.

#[test]
fn mean_squared_error_divides_by_rows() {
    let x0 = rand(&[4, 3], 120);
    let x1 = rand(&[4, 3], 121);
    let v0 = Variable::new(x0.clone());
    let v1 = Variable::new(x1.clone());
    let loss = mean_squared_error(&v0, &v1);
    loss.backward();
    let diff = &x0 - &x1;
    let want = diff.mapv(|d| d * d).sum() / 4.0;
    assert!((loss.data()[[]] - want).abs() <= 1e-14 * want, "{loss}");
    assert_close("gx0", &grad(&v0), &diff.mapv(|d| d * 2.0 / 4.0), 1e-15);
    assert_close("gx1", &grad(&v1), &diff.mapv(|d| -d * 2.0 / 4.0), 1e-15);
    let simple = mean_squared_error_simple(&Variable::new(x0), &Variable::new(x1));
    assert!((simple.data()[[]] - want).abs() <= 1e-14 * want);
}

#[test]
fn loss_gradients() {
    for shape in [&[10, 1][..], &[4, 3]] {
        let xs = [rand(shape, 130), rand(shape, 131)];
        check_n("mean_squared_error", &xs, |v| {
            mean_squared_error(&v[0], &v[1])
        });
        check_n("mean_squared_error_simple", &xs, |v| {
            mean_squared_error_simple(&v[0], &v[1])
        });
    }
    let x = rand(&[5, 4], 132).mapv(|v| 3.0 * v);
    let t = [3, 0, 1, 1, 2];
    check1("softmax_cross_entropy", x.clone(), |v| {
        softmax_cross_entropy(v, &t)
    });
    check1("softmax_cross_entropy_simple", x, |v| {
        softmax_cross_entropy_simple(v, &t)
    });
}

#[test]
fn softmax_cross_entropy_matches_its_definition_and_the_simple_version() {
    let x = rand(&[5, 4], 140).mapv(|v| 5.0 * v);
    let t = [3, 0, 1, 1, 2];
    let vx = Variable::new(x.clone());
    let loss = softmax_cross_entropy(&vx, &t);
    loss.backward();
    let p = x.mapv(f64::exp);
    let p = &p / &p.sum_axis(ndarray::Axis(1)).insert_axis(ndarray::Axis(1));
    let want = -t
        .iter()
        .enumerate()
        .map(|(i, &ti)| p[[i, ti]].ln())
        .sum::<f64>()
        / 5.0;
    assert!(
        (loss.data()[[]] - want).abs() <= 1e-14 * want,
        "{loss} vs {want}"
    );
    let mut want_g = p.clone();
    for (i, &ti) in t.iter().enumerate() {
        want_g[[i, ti]] -= 1.0;
    }
    assert_close("gx", &grad(&vx), &want_g.mapv(|g| g / 5.0), 1e-12);

    let vs = Variable::new(x);
    let simple = softmax_cross_entropy_simple(&vs, &t);
    simple.backward();
    assert!((simple.data()[[]] - want).abs() <= 1e-14 * want);
    assert_close("gx simple", &grad(&vs), &grad(&vx), 1e-12);
}

#[test]
#[should_panic(expected = "mean_squared_error: shapes [3, 1] and [3] differ")]
fn mean_squared_error_panics_naming_both_shapes() {
    mean_squared_error(
        &Variable::new(rand(&[3, 1], 0)),
        &Variable::new(rand(&[3], 0)),
    );
}

#[test]
#[should_panic(
    expected = "softmax_cross_entropy: x of shape [2, 3] has 2 rows but t has 3 targets"
)]
fn softmax_cross_entropy_panics_on_a_target_count_mismatch() {
    softmax_cross_entropy(&Variable::new(rand(&[2, 3], 0)), &[0, 1, 2]);
}

#[test]
#[should_panic(expected = "softmax_cross_entropy: target 3 is out of range for x of shape [2, 3]")]
fn softmax_cross_entropy_panics_on_a_target_out_of_range() {
    softmax_cross_entropy(&Variable::new(rand(&[2, 3], 0)), &[0, 3]);
}

#[test]
fn accuracy_counts_argmax_hits_and_is_a_plain_number() {
    let y = Variable::new(
        arr2(&[
            [0.1, 0.9, 0.0],
            [0.8, 0.1, 0.1],
            [0.3, 0.3, 0.4],
            [0.5, 0.5, 0.0],
        ])
        .into_dyn(),
    );
    // Row 3 ties: NumPy's argmax takes the first, 0.
    let acc: f64 = accuracy(&y, &[1, 2, 2, 0]);
    assert_eq!(acc, 0.75);
    assert_eq!(accuracy(&y, &[0, 0, 0, 1]), 0.25);
    assert!(y.creator_name().is_none() && y.grad().is_none());
}

#[test]
#[should_panic(expected = "accuracy: y of shape [4, 3] has 4 rows but t has 2 targets")]
fn accuracy_panics_on_a_target_count_mismatch() {
    accuracy(&Variable::new(rand(&[4, 3], 0)), &[0, 1]);
}

/// A class `y` has no score for is a mistake, as in `softmax_cross_entropy`
/// (and a compiled model's `accuracy`), not a miss.
#[test]
#[should_panic(expected = "accuracy: target 3 is out of range for y of shape [2, 3]")]
fn accuracy_panics_on_a_target_out_of_range() {
    accuracy(&Variable::new(rand(&[2, 3], 0)), &[0, 3]);
}

/// No rows: the mean over nothing is refused, not NaN, by the losses and
/// `accuracy` alike (a compiled model returns the same refusal as `Err`).
#[test]
fn losses_and_accuracy_refuse_a_batch_of_no_rows() {
    let y = Variable::new(ArrayD::<f64>::zeros(IxDyn(&[0, 3])));
    let message = |f: &dyn Fn()| {
        let p = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).expect_err("panics");
        p.downcast_ref::<String>().cloned().expect("a message")
    };
    assert_eq!(
        message(&|| {
            accuracy(&y, &[]);
        }),
        "accuracy: y of shape [0, 3] has no rows (a mean over no rows is undefined)"
    );
    assert_eq!(
        message(&|| drop(softmax_cross_entropy(&y, &[]))),
        "softmax_cross_entropy: x of shape [0, 3] has no rows (a mean over no rows is undefined)"
    );
    assert_eq!(
        message(&|| drop(mean_squared_error(&y, &y))),
        "mean_squared_error: x0 of shape [0, 3] has no rows (a mean over no rows is undefined)"
    );
    assert!(message(&|| drop(mean_squared_error_simple(&y, &y)))
        .starts_with("mean_squared_error_simple: x0 - x1 of shape [0, 3] has no rows"));
}

// ---------------------------------------------------------------------------
// Clip, max, min.

#[test]
fn clip_values_and_gradient() {
    let x = Variable::new(arr1(&[-2.0, -0.5, 0.0, 0.3, 0.5, 0.9]).into_dyn());
    let y = clip(&x, -0.5, 0.5);
    y.backward();
    assert_eq!(
        y.to_array(),
        arr1(&[-0.5, -0.5, 0.0, 0.3, 0.5, 0.5]).into_dyn()
    );
    // The bounds themselves pass the gradient (DeZero's `>=`, `<=`).
    assert_eq!(grad(&x), arr1(&[0.0, 1.0, 1.0, 1.0, 1.0, 0.0]).into_dyn());
    // Away from the bounds, where the numerical gradient is defined.
    let x = rand(&[4, 5], 150).mapv(|v| {
        if (v.abs() - 0.5).abs() < 0.05 {
            v * 0.8
        } else {
            v
        }
    });
    check1("clip", x, |v| clip(v, -0.5, 0.5));
}

#[test]
fn max_min_values() {
    let x = Variable::new(arr2(&[[1.0, 7.0, -3.0], [4.0, 2.0, 9.0]]).into_dyn());
    assert_eq!(max(&x).to_array(), arr0(9.0).into_dyn());
    assert_eq!(x.max().to_array(), arr0(9.0).into_dyn());
    assert_eq!(min(&x).to_array(), arr0(-3.0).into_dyn());
    assert_eq!(x.min().to_array(), arr0(-3.0).into_dyn());
    assert_eq!(
        max_axis(&x, &[0], false).to_array(),
        arr1(&[4.0, 7.0, 9.0]).into_dyn()
    );
    assert_eq!(
        max_axis(&x, &[1], true).to_array(),
        arr2(&[[7.0], [9.0]]).into_dyn()
    );
    assert_eq!(
        min_axis(&x, &[1], false).to_array(),
        arr1(&[-3.0, 2.0]).into_dyn()
    );
    assert_eq!(
        min_axis(&x, &[0, 1], true).to_array(),
        arr2(&[[-3.0]]).into_dyn()
    );
    assert_eq!(
        max_axis(&x, &[1, 0], false).to_array(),
        arr0(9.0).into_dyn()
    );
    let nan = Variable::new(arr1(&[1.0, f64::NAN, 3.0]).into_dyn());
    assert!(max(&nan).data()[[]].is_nan() && min(&nan).data()[[]].is_nan());
}

#[test]
fn max_gradient_goes_to_every_position_equal_to_the_result() {
    // DeZero's `cond = (x.data == y.data)`: ties all receive the full gy.
    let x = Variable::new(arr2(&[[3.0, 1.0, 3.0], [2.0, 5.0, 5.0]]).into_dyn());
    let y = max_axis(&x, &[1], false);
    let w = Variable::new(arr1(&[10.0, 100.0]).into_dyn());
    sum(&(&y * &w)).backward();
    assert_eq!(
        grad(&x),
        arr2(&[[10.0, 0.0, 10.0], [0.0, 100.0, 100.0]]).into_dyn()
    );

    let x = Variable::new(arr2(&[[3.0, 1.0, 1.0], [2.0, 5.0, 1.0]]).into_dyn());
    x.min().backward();
    assert_eq!(
        grad(&x),
        arr2(&[[0.0, 1.0, 1.0], [0.0, 0.0, 1.0]]).into_dyn()
    );
}

#[test]
fn max_min_gradients() {
    // Random entries have no ties, so the numerical gradient is defined.
    let x = rand(&[3, 4, 2], 160);
    check1("max", x.clone(), max);
    check1("min", x.clone(), min);
    for (axes, keepdims) in [
        (&[0][..], false),
        (&[1], true),
        (&[2, 0], false),
        (&[0, 1, 2], true),
    ] {
        check1(&format!("max_axis {axes:?} {keepdims}"), x.clone(), |v| {
            max_axis(v, axes, keepdims)
        });
        check1(&format!("min_axis {axes:?} {keepdims}"), x.clone(), |v| {
            min_axis(v, axes, keepdims)
        });
    }
}

#[test]
#[should_panic(expected = "max: axis 2 is out of bounds for an array of shape [2, 3]")]
fn max_axis_panics_on_a_bad_axis() {
    max_axis(&Variable::new(rand(&[2, 3], 0)), &[2], false);
}

#[test]
#[should_panic(expected = "min: zero-size reduction over an array of shape [0, 3] has no identity")]
fn min_panics_on_an_empty_array() {
    min(&Variable::new(ArrayD::<f64>::zeros(IxDyn(&[0, 3]))));
}

#[test]
#[should_panic(expected = "sum: duplicate axis 1 in [1, 1]")]
fn sum_axis_panics_on_a_repeated_axis() {
    // NumPy refuses it; summing axis 1 twice would have summed axis 2.
    sum_axis(&Variable::new(rand(&[2, 3, 4], 0)), &[1, 1], false);
}

#[test]
fn try_forms_return_shape_errors() {
    let x = Variable::new(rand(&[2, 3], 0));
    let shape_error = |r: dezero::Result<Variable<f64>>| match r {
        Err(e @ Error::Shape { .. }) => e.to_string(),
        other => panic!("expected a shape error, got {other:?}"),
    };
    assert_eq!(
        shape_error(try_broadcast_to(&x, &[3, 3])),
        "broadcast_to: expected a shape that [2, 3] broadcasts to, got [3, 3]"
    );
    assert_eq!(
        shape_error(try_sum_to(&x, &[2, 2])),
        "sum_to: expected a shape that [2, 2] broadcasts to, got [2, 3]"
    );
    assert_eq!(
        shape_error(try_sum_axis(&x, &[0, 2], true)),
        "sum: expected axes below 2 (the input has shape [2, 3]), got axis 2"
    );
    assert_eq!(
        shape_error(try_transpose_axes(&x, &[1, 1])),
        "transpose: expected a permutation of the 2 axes, got [1, 1]"
    );
    assert_eq!(
        shape_error(try_get_item(&x, &[0, 5])),
        "get_item: expected row indices below 2, got 5"
    );
    assert_eq!(
        shape_error(try_max_axis(&x, &[1, 1], false)),
        "max: expected distinct axes, got [1, 1]"
    );
    let empty = Variable::new(ArrayD::<f64>::zeros(IxDyn(&[0, 3])));
    assert_eq!(
        shape_error(try_min_axis(&empty, &[0], false)),
        "min: expected a reduction over a non-empty axis, got shape [0, 3]"
    );
    // and the valid calls give what the plain ops give
    let same = |a: Variable<f64>, b: Variable<f64>| assert_eq!(a.to_array(), b.to_array());
    same(
        try_broadcast_to(&x, &[4, 2, 3]).unwrap(),
        broadcast_to(&x, &[4, 2, 3]),
    );
    same(try_sum_to(&x, &[1, 3]).unwrap(), sum_to(&x, &[1, 3]));
    same(
        try_sum_axis(&x, &[1], false).unwrap(),
        sum_axis(&x, &[1], false),
    );
    same(
        try_transpose_axes(&x, &[1, 0]).unwrap(),
        transpose_axes(&x, &[1, 0]),
    );
    same(try_get_item(&x, &[1, 1]).unwrap(), get_item(&x, &[1, 1]));
    same(
        try_max_axis(&x, &[0], true).unwrap(),
        max_axis(&x, &[0], true),
    );
    same(
        try_min_axis(&x, &[1], false).unwrap(),
        min_axis(&x, &[1], false),
    );
}

// ---------------------------------------------------------------------------
// Tensor ops, sums and broadcasts, matmul and linear.

#[test]
fn tensor_op_gradients() {
    let x = rand(&[2, 3, 4], 170);
    check1("reshape", x.clone(), |v| reshape(v, &[4, 6]));
    check1("reshape method", x.clone(), |v| v.reshape(&[24]));
    check1("transpose", x.clone(), transpose);
    check1("T", x.clone(), |v| v.T());
    check1("transpose_axes", x.clone(), |v| {
        transpose_axes(v, &[1, 2, 0])
    });
    check1("get_item", x, |v| get_item(v, &[1, 0, 1, 1]));
}

#[test]
fn get_item_grad_gradient() {
    // GetItemGrad is the backward of GetItem; differentiate it by taking the
    // gradient of x in `sum(get_item(x, rows) · g)` as a function of g.
    let rows = [2, 0, 2];
    let g = rand(&[3, 4], 180);
    check1("get_item_grad", g, |g| {
        let x = Variable::new(ArrayD::zeros(IxDyn(&[3, 4])));
        sum(&(&get_item(&x, &rows) * g))
            .backward_with(BackwardOptions::default().create_graph(true));
        // Only x's gradient is the function; g's must not add to the outer one.
        g.cleargrad();
        let gx = x.grad().expect("x is used");
        assert_eq!(gx.creator_name(), Some("GetItemGrad"));
        gx
    });
}

#[test]
fn sum_gradients() {
    let x = rand(&[2, 3, 4], 190);
    check1("sum", x.clone(), sum);
    check1("sum method", x.clone(), |v| v.sum());
    for (axes, keepdims) in [
        (&[0][..], false),
        (&[1], true),
        (&[0, 2], false),
        (&[2, 0], true),
    ] {
        check1(&format!("sum_axis {axes:?} {keepdims}"), x.clone(), |v| {
            sum_axis(v, axes, keepdims)
        });
    }
}

#[test]
fn sum_to_and_broadcast_to_gradients() {
    let x = rand(&[2, 3, 4], 200);
    for shape in [&[3, 4][..], &[1, 4], &[3, 1], &[2, 1, 4], &[1, 1, 1], &[4]] {
        check1(&format!("sum_to {shape:?}"), x.clone(), |v| {
            sum_to(v, shape)
        });
    }
    for (from, to) in [
        (&[3][..], &[2, 3][..]),
        (&[2, 1], &[2, 4]),
        (&[1, 3, 1], &[2, 3, 4]),
        (&[], &[2, 2]),
    ] {
        check1(
            &format!("broadcast_to {from:?} -> {to:?}"),
            rand(from, 201),
            |v| broadcast_to(v, to),
        );
    }
}

#[test]
fn matmul_and_linear_gradients() {
    let x = rand(&[5, 3], 210);
    let w = rand(&[3, 4], 211);
    let b = rand(&[4], 212);
    check_n("matmul", &[x.clone(), w.clone()], |v| matmul(&v[0], &v[1]));
    check_n("linear", &[x.clone(), w.clone(), b.clone()], |v| {
        linear(&v[0], &v[1], Some(&v[2]))
    });
    check_n("linear nobias", &[x.clone(), w.clone()], |v| {
        linear(&v[0], &v[1], None)
    });
    check_n("linear_simple", &[x, w, b], |v| {
        linear_simple(&v[0], &v[1], Some(&v[2]))
    });
}

#[test]
fn linear_equals_matmul_plus_bias() {
    let x = rand(&[5, 3], 220);
    let w = rand(&[3, 4], 221);
    let b = rand(&[4], 222);
    let y = linear(
        &Variable::new(x.clone()),
        &Variable::new(w.clone()),
        Some(&Variable::new(b.clone())),
    );
    let want = x
        .into_dimensionality::<ndarray::Ix2>()
        .unwrap()
        .dot(&w.into_dimensionality::<ndarray::Ix2>().unwrap())
        + &b.into_dimensionality::<ndarray::Ix1>().unwrap();
    assert_close("linear", &y.to_array(), &want.into_dyn(), 1e-15);
}

// ---------------------------------------------------------------------------
// f32.

/// Op `k` of those checked in f32, weighted by `w` and summed.
fn op_for_f32<T: Scalar>(k: usize, x: &Variable<T>, w: &Variable<T>) -> Option<Variable<T>> {
    let weigh = |y: Variable<T>| sum(&(&y * w));
    Some(match k {
        0 => weigh(exp(x)),
        1 => weigh(log(&(&(x * x) + T::one()))),
        2 => weigh(sin(x)),
        3 => weigh(cos(x)),
        4 => weigh(tanh(x)),
        5 => weigh(sigmoid(x)),
        6 => weigh(sigmoid_simple(x)),
        7 => weigh(relu(x)),
        8 => weigh(softmax(x)),
        9 => weigh(log_softmax(x)),
        10 => weigh(clip(x, T::from_f64_lossy(-0.5), T::from_f64_lossy(0.5))),
        11 => weigh(max_axis(x, &[1], true)),
        12 => mean_squared_error(x, w),
        13 => softmax_cross_entropy(x, &[2, 0, 1, 1]),
        _ => return None,
    })
}

#[test]
fn f32_agrees_with_f64_to_single_precision() {
    let x64 = rand(&[4, 3], 240).mapv(|v| 3.0 * v);
    let w64 = uniform(&[4, 3], 241, 0.5, 2.0);
    let x32 = x64.mapv(|v| v as f32);
    let w32 = w64.mapv(|v| v as f32);
    for k in 0.. {
        let (v64, v32) = (Variable::new(x64.clone()), Variable::new(x32.clone()));
        let Some(y64) = op_for_f32(k, &v64, &Variable::new(w64.clone())) else {
            break;
        };
        let y32 = op_for_f32(k, &v32, &Variable::new(w32.clone())).expect("same ops");
        y64.backward();
        y32.backward();
        let widen = |a: ArrayD<f32>| a.mapv(f64::from);
        assert!(
            array_allclose(&widen(y32.to_array()), &y64.to_array(), 1e-5, 1e-6),
            "op {k}: {y32} vs {y64}"
        );
        let (g32, g64) = (widen(grad32(&v32)), grad(&v64));
        assert!(
            array_allclose(&g32, &g64, 1e-5, 1e-6),
            "op {k} grad: {g32} vs {g64}"
        );
    }
}

fn grad32(x: &Variable<f32>) -> ArrayD<f32> {
    x.grad().expect("a gradient was computed").to_array()
}
