//! Property tests: every Function's backward pass against numerical
//! differentiation (`dezero::utils::gradient_check_multi`, f64, DeZero's
//! tolerances) on random shapes (1 to 4 axes of 1 to 3) and values, and the
//! recorded backward pass (`create_graph`) against the plain one.
//!
//! The checked function is `sum(op(x) · w)` with an uneven `w`, not
//! `sum(op(x))`: the gradient of a plain sum is blind to some mistakes (it
//! is zero for softmax). Values keep away from kinks (relu at 0, clip at its
//! bounds, ties of max and min) by more than the differencing step.
//!
//! Each property runs [`CASES`] cases; proptest shrinks a failure to a
//! small case and records its seed in `proptest-regressions/`.

use dezero::functions::*;
use dezero::utils::{array_allclose, gradient_check_multi};
use dezero::{BackwardOptions, Variable};
use ndarray::{ArrayD, Dimension, IxDyn};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// Cases per property: enough to meet every rank and broadcast pattern,
/// few enough for a debug build (the whole file runs in about a second).
const CASES: u32 = 64;

// ---------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------

/// A shape of `dims` axes (a range), each of length 1 to 3.
fn shape(dims: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..=3, dims)
}

/// An array of `shape` with entries drawn from `values`.
fn array_of(
    shape: Vec<usize>,
    values: impl Strategy<Value = f64> + Clone,
) -> impl Strategy<Value = ArrayD<f64>> {
    let n: usize = shape.iter().product();
    prop::collection::vec(values, n).prop_map(move |v| {
        ArrayD::from_shape_vec(IxDyn(&shape), v).expect("length is the shape's product")
    })
}

/// An array of a random shape of `dims` axes with entries in `lo..hi`.
fn array(dims: std::ops::RangeInclusive<usize>, lo: f64, hi: f64) -> BoxedStrategy<ArrayD<f64>> {
    shape(dims)
        .prop_flat_map(move |s| array_of(s, lo..hi))
        .boxed()
}

/// Values with `lo <= |v| < hi`, either sign: away from 0.
fn away_from_zero(lo: f64, hi: f64) -> impl Strategy<Value = f64> + Clone {
    (lo..hi, any::<bool>()).prop_map(|(m, negative)| if negative { -m } else { m })
}

/// A shape that broadcasts to `out`: a suffix of it (possibly empty) with
/// some axes set to 1.
fn broadcasting_to(out: Vec<usize>) -> impl Strategy<Value = Vec<usize>> {
    let n = out.len();
    (0..=n, prop::collection::vec(any::<bool>(), n)).prop_map(move |(keep, ones)| {
        (n - keep..n)
            .map(|i| if ones[i] { 1 } else { out[i] })
            .collect()
    })
}

/// Two arrays whose shapes broadcast together, the second's entries away
/// from 0 (so that it can divide).
fn broadcast_pair() -> impl Strategy<Value = (ArrayD<f64>, ArrayD<f64>)> {
    shape(1..=4)
        .prop_flat_map(|out| (broadcasting_to(out.clone()), broadcasting_to(out)))
        .prop_flat_map(|(a, b)| {
            // Either operand may be the wider one.
            (
                array_of(a, -2.0..2.0),
                array_of(b, away_from_zero(0.5, 2.0)),
            )
        })
}

/// An array whose entries are distinct and at least 0.1 apart (no ties for
/// max and min).
fn distinct(dims: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = ArrayD<f64>> {
    shape(dims).prop_flat_map(|s| {
        let n: usize = s.iter().product();
        Just((0..n).collect::<Vec<_>>())
            .prop_shuffle()
            .prop_map(move |order| {
                let v = order.iter().map(|&i| i as f64 * 0.1 - 1.0).collect();
                ArrayD::from_shape_vec(IxDyn(&s), v).expect("length is the shape's product")
            })
    })
}

// ---------------------------------------------------------------------------
// The check
// ---------------------------------------------------------------------------

/// A fixed, uneven weight array of `shape`, entries in `[0.5, 2]`.
fn weights(shape: &[usize]) -> ArrayD<f64> {
    let n: usize = shape.iter().product();
    let v = (0..n)
        .map(|i| 0.5 + ((i * 7919) % 13) as f64 / 8.0)
        .collect();
    ArrayD::from_shape_vec(IxDyn(shape), v).expect("length is the shape's product")
}

/// `sum(op(xs) · w)`.
fn weighted(
    op: &impl Fn(&[Variable<f64>]) -> Variable<f64>,
    xs: &[Variable<f64>],
) -> Variable<f64> {
    let y = op(xs);
    let w = Variable::new(weights(&y.shape()));
    sum(&(&y * &w))
}

/// The gradients of `sum(op(xs) · w)`, by the plain or the recorded
/// backward pass.
fn grads(
    op: &impl Fn(&[Variable<f64>]) -> Variable<f64>,
    xs: &[ArrayD<f64>],
    create_graph: bool,
) -> Vec<Option<ArrayD<f64>>> {
    let vars: Vec<Variable<f64>> = xs.iter().cloned().map(Variable::new).collect();
    weighted(op, &vars).backward_with(BackwardOptions::default().create_graph(create_graph));
    vars.iter()
        .map(|x| x.grad().map(|g| g.to_array()))
        .collect()
}

/// Checks `op`'s gradients in every input against numerical ones, and the
/// recorded backward pass against the plain one.
fn check(
    what: &str,
    xs: &[ArrayD<f64>],
    op: impl Fn(&[Variable<f64>]) -> Variable<f64>,
) -> Result<(), TestCaseError> {
    gradient_check_multi(|vs| weighted(&op, vs), xs).map_err(|e| {
        let shapes: Vec<_> = xs.iter().map(|x| x.shape().to_vec()).collect();
        TestCaseError::fail(format!("{what} on shapes {shapes:?}: {e}"))
    })?;
    let (plain, recorded) = (grads(&op, xs, false), grads(&op, xs, true));
    for (i, (p, r)) in plain.iter().zip(&recorded).enumerate() {
        let same = match (p, r) {
            (Some(p), Some(r)) => array_allclose(r, p, 1e-12, 1e-14),
            (None, None) => true,
            _ => false,
        };
        prop_assert!(
            same,
            "{}: input {}: recorded backward {:?} differs from plain {:?}",
            what,
            i,
            r,
            p
        );
    }
    Ok(())
}

/// [`check`] for one input.
fn check1(
    what: &str,
    x: &ArrayD<f64>,
    op: impl Fn(&Variable<f64>) -> Variable<f64>,
) -> Result<(), TestCaseError> {
    check(what, std::slice::from_ref(x), |xs| op(&xs[0]))
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

/// A one-input op, to pick from a list.
type Unary = fn(&Variable<f64>) -> Variable<f64>;

/// A two-input op, to pick from a list.
type Binary = fn(&Variable<f64>, &Variable<f64>) -> Variable<f64>;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// `+ - * /` on every broadcastable pair of shapes.
    #[test]
    fn arithmetic_with_broadcasting((a, b) in broadcast_pair(), op in 0usize..4, swap: bool) {
        let xs = if swap { [b, a] } else { [a, b] };
        // After a swap the divisor is the first input: divide the other way.
        let (name, f): (&str, Binary) = match op {
            0 => ("add", |a, b| a + b),
            1 => ("sub", |a, b| a - b),
            2 => ("mul", |a, b| a * b),
            _ if swap => ("div", |a, b| b / a),
            _ => ("div", |a, b| a / b),
        };
        check(name, &xs, |v| f(&v[0], &v[1]))?;
    }

    /// Negation, scalars on either side, and powers of positive numbers.
    #[test]
    fn unary_arithmetic(x in array(1..=4, 0.5, 2.0), c in -2.0f64..3.0, op in 0usize..6) {
        match op {
            0 => check1("neg", &x, |x| -x)?,
            1 => check1("x * c", &x, |x| x * c)?,
            2 => check1("c - x", &x, |x| c - x)?,
            3 => check1("c / x", &x, |x| c / x)?,
            4 => check1("powf", &x, |x| x.powf(c))?,
            _ => check1("powi", &x, |x| x.powi(3))?,
        }
    }

    /// exp, sin, cos, tanh and both sigmoids anywhere in `[-2.5, 2.5]`.
    #[test]
    fn smooth_elementwise(x in array(1..=4, -2.5, 2.5), op in 0usize..6) {
        let (name, f): (&str, Unary) = match op {
            0 => ("exp", exp),
            1 => ("sin", sin),
            2 => ("cos", cos),
            3 => ("tanh", tanh),
            4 => ("sigmoid", sigmoid),
            _ => ("sigmoid_simple", sigmoid_simple),
        };
        check1(name, &x, f)?;
    }

    /// log on positive numbers.
    #[test]
    fn log_of_positives(x in array(1..=4, 0.3, 3.0)) {
        check1("log", &x, log)?;
    }

    /// relu away from its kink at 0.
    #[test]
    fn relu_away_from_zero(x in shape(1..=4).prop_flat_map(|s| array_of(s, away_from_zero(0.01, 2.0)))) {
        check1("relu", &x, relu)?;
    }

    /// softmax and log_softmax over the rows of a matrix, and the composed
    /// softmax.
    #[test]
    fn softmaxes(x in array(2..=2, -3.0, 3.0), op in 0usize..3) {
        let (name, f): (&str, Unary) = match op {
            0 => ("softmax", softmax),
            1 => ("softmax_simple", softmax_simple),
            _ => ("log_softmax", log_softmax),
        };
        check1(name, &x, f)?;
    }

    /// sum over everything, and over a random set of axes with and without
    /// keepdims.
    #[test]
    fn sums(x in array(1..=4, -2.0, 2.0), axes_mask in 0u32..16, keepdims: bool) {
        check1("sum", &x, sum)?;
        let axes: Vec<usize> = (0..x.ndim()).filter(|a| axes_mask & (1 << a) != 0).collect();
        check1("sum_axis", &x, |v| sum_axis(v, &axes, keepdims))?;
    }

    /// sum_to a shape that broadcasts to the input's, and broadcast_to back.
    #[test]
    fn sum_to_and_broadcast_to(
        (x, to) in shape(1..=4).prop_flat_map(|s| (array_of(s.clone(), -2.0..2.0), broadcasting_to(s)))
    ) {
        check1("sum_to", &x, |v| sum_to(v, &to))?;
        let small = ArrayD::from_shape_fn(IxDyn(&to), |i| 0.3 + i.slice().iter().sum::<usize>() as f64);
        let out = x.shape().to_vec();
        check1("broadcast_to", &small, |v| broadcast_to(v, &out))?;
    }

    /// reshape to the same elements regrouped, and transposes.
    #[test]
    fn reshape_and_transpose(
        (x, perm, cuts) in shape(1..=4).prop_flat_map(|s| {
            let n = s.len();
            (
                array_of(s, -2.0..2.0),
                Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
                prop::collection::vec(any::<bool>(), n),
            )
        })
    ) {
        // Regroup the axis lengths in another order: the same element count.
        let mut to: Vec<usize> = Vec::new();
        for (i, &a) in perm.iter().enumerate() {
            let d = x.shape()[a];
            match to.last_mut() {
                Some(last) if cuts[i] => *last *= d,
                _ => to.push(d),
            }
        }
        check1("reshape", &x, |v| reshape(v, &to))?;
        check1("transpose", &x, transpose)?;
        check1("transpose_axes", &x, |v| transpose_axes(v, &perm))?;
    }

    /// matmul, and linear with and without a bias (and its `_simple` form).
    #[test]
    fn matmul_and_linear(
        (x, w, b) in (1usize..=4, 1usize..=4, 1usize..=4).prop_flat_map(|(m, k, n)| (
            array_of(vec![m, k], -2.0..2.0),
            array_of(vec![k, n], -2.0..2.0),
            array_of(vec![n], -2.0..2.0),
        )),
        op in 0usize..4,
    ) {
        match op {
            0 => check("matmul", &[x, w], |v| matmul(&v[0], &v[1]))?,
            1 => check("linear", &[x, w, b], |v| linear(&v[0], &v[1], Some(&v[2])))?,
            2 => check("linear nobias", &[x, w], |v| linear(&v[0], &v[1], None))?,
            _ => check("linear_simple", &[x, w, b], |v| linear_simple(&v[0], &v[1], Some(&v[2])))?,
        }
    }

    /// mean_squared_error, one Function and composed.
    #[test]
    fn mean_squared_errors(
        (x0, x1) in shape(1..=4).prop_flat_map(|s| (array_of(s.clone(), -2.0..2.0), array_of(s, -2.0..2.0))),
        simple: bool,
    ) {
        if simple {
            check("mean_squared_error_simple", &[x0, x1], |v| mean_squared_error_simple(&v[0], &v[1]))?;
        } else {
            check("mean_squared_error", &[x0, x1], |v| mean_squared_error(&v[0], &v[1]))?;
        }
    }

    /// softmax_cross_entropy, one Function and composed, on random labels.
    #[test]
    fn softmax_cross_entropies(
        (x, t) in (1usize..=4, 1usize..=4).prop_flat_map(|(n, c)| (
            array_of(vec![n, c], -3.0..3.0),
            prop::collection::vec(0..c, n),
        )),
        simple: bool,
    ) {
        if simple {
            check1("softmax_cross_entropy_simple", &x, |v| softmax_cross_entropy_simple(v, &t))?;
        } else {
            check1("softmax_cross_entropy", &x, |v| softmax_cross_entropy(v, &t))?;
        }
    }

    /// clip to `[-0.5, 0.5]`, with no entry within 0.01 of a bound.
    #[test]
    fn clip_away_from_bounds(x in array(1..=4, -2.0, 2.0)) {
        let x = x.mapv(|v| if (v.abs() - 0.5).abs() < 0.01 { v * 1.1 } else { v });
        check1("clip", &x, |v| clip(v, -0.5, 0.5))?;
    }

    /// max and min over everything and over axes, without ties.
    #[test]
    fn max_and_min(x in distinct(1..=4), axes_mask in 0u32..16, keepdims: bool) {
        let axes: Vec<usize> = (0..x.ndim()).filter(|a| axes_mask & (1 << a) != 0).collect();
        check1("max", &x, max)?;
        check1("min", &x, min)?;
        check1("max_axis", &x, |v| max_axis(v, &axes, keepdims))?;
        check1("min_axis", &x, |v| min_axis(v, &axes, keepdims))?;
    }

    /// get_item of random rows, repeats included (their gradients add up).
    #[test]
    fn get_item_rows(
        (x, rows) in shape(1..=3).prop_flat_map(|s| {
            let n = s[0];
            (array_of(s, -2.0..2.0), prop::collection::vec(0..n, 1..=5))
        })
    ) {
        check1("get_item", &x, |v| get_item(v, &rows))?;
    }
}
