//! Higher-order derivatives (the book's steps 33–36): backward with
//! `create_graph` records the backward pass, so gradients can be
//! differentiated again.

use dezero::functions::*;
use dezero::utils::gradient_check;
use dezero::{BackwardOptions, Variable};
use ndarray::{Array1, ArrayD, Dimension, IxDyn};

fn create_graph() -> BackwardOptions {
    BackwardOptions::default().create_graph(true)
}

/// The first `n` derivatives of `f` at `x`, each by differentiating the
/// previous one (the book's step 34 loop).
fn derivatives(
    x: &ArrayD<f64>,
    n: usize,
    f: impl Fn(&Variable<f64>) -> Variable<f64>,
) -> Vec<ArrayD<f64>> {
    let x = Variable::new(x.clone());
    f(&x).backward_with(create_graph());
    let mut out = Vec::new();
    for _ in 0..n {
        let gx = x.grad().expect("x has a gradient");
        out.push(gx.to_array());
        x.cleargrad();
        gx.backward_with(create_graph());
    }
    out
}

fn assert_close(what: &str, got: &ArrayD<f64>, want: &ArrayD<f64>, tol: f64) {
    assert_eq!(got.shape(), want.shape(), "{what}: shapes differ");
    for ((i, &g), &w) in got.indexed_iter().zip(want) {
        assert!(
            (g - w).abs() <= tol * w.abs().max(1.0),
            "{what} at {:?}: got {g:e}, want {w:e}",
            i.slice()
        );
    }
}

fn linspace(lo: f64, hi: f64, n: usize) -> ArrayD<f64> {
    Array1::linspace(lo, hi, n).into_dyn()
}

#[test]
fn polynomial_x4_minus_2x2_at_2() {
    // y = x⁴ − 2x²: y = 8, y' = 4x³ − 4x = 24, y'' = 12x² − 4 = 44,
    // y''' = 24x = 48, y'''' = 24.
    let x = ArrayD::from_elem(IxDyn(&[]), 2.0);
    let v = Variable::new(x.clone());
    let y = &v.powi(4) - &(&v.powi(2) * 2.0);
    assert_eq!(y.data()[[]], 8.0);
    let ds = derivatives(&x, 4, |x| &x.powi(4) - &(&x.powi(2) * 2.0));
    let got: Vec<f64> = ds.iter().map(|d| d[[]]).collect();
    assert_eq!(got, vec![24.0, 44.0, 48.0, 24.0]);
}

#[test]
fn nth_derivatives_of_sin_cycle_through_cos_minus_sin_minus_cos_sin() {
    let x = linspace(-7.0, 7.0, 200);
    let ds = derivatives(&x, 4, sin);
    let want = [
        x.mapv(f64::cos),
        x.mapv(|v| -v.sin()),
        x.mapv(|v| -v.cos()),
        x.mapv(f64::sin),
    ];
    for (k, (got, want)) in ds.iter().zip(&want).enumerate() {
        assert_close(&format!("sin^({})", k + 1), got, want, 1e-15);
    }
}

#[test]
fn nth_derivatives_of_cos_exp_log() {
    let x = linspace(0.3, 4.0, 25);
    let cos_d = derivatives(&x, 4, cos);
    assert_close("cos'", &cos_d[0], &x.mapv(|v| -v.sin()), 1e-15);
    assert_close("cos''''", &cos_d[3], &x.mapv(f64::cos), 1e-15);
    for (k, d) in derivatives(&x, 3, exp).iter().enumerate() {
        assert_close(&format!("exp^({})", k + 1), d, &x.mapv(f64::exp), 1e-15);
    }
    let log_d = derivatives(&x, 3, log);
    assert_close("log'", &log_d[0], &x.mapv(|v| 1.0 / v), 1e-15);
    assert_close("log''", &log_d[1], &x.mapv(|v| -1.0 / (v * v)), 1e-14);
    assert_close("log'''", &log_d[2], &x.mapv(|v| 2.0 / (v * v * v)), 1e-14);
}

#[test]
fn second_derivatives_of_tanh_and_sigmoid() {
    let x = linspace(-3.0, 3.0, 31);
    let t = x.mapv(f64::tanh);
    let tanh_d = derivatives(&x, 2, tanh);
    assert_close("tanh'", &tanh_d[0], &t.mapv(|t| 1.0 - t * t), 1e-15);
    assert_close(
        "tanh''",
        &tanh_d[1],
        &t.mapv(|t| -2.0 * t * (1.0 - t * t)),
        1e-14,
    );

    let s = x.mapv(|v| 1.0 / (1.0 + (-v).exp()));
    let want2 = s.mapv(|s| s * (1.0 - s) * (1.0 - 2.0 * s));
    for (name, ds) in [
        ("sigmoid", derivatives(&x, 2, sigmoid)),
        ("sigmoid_simple", derivatives(&x, 2, sigmoid_simple)),
    ] {
        assert_close(
            &format!("{name}'"),
            &ds[0],
            &s.mapv(|s| s * (1.0 - s)),
            1e-14,
        );
        assert_close(&format!("{name}''"), &ds[1], &want2, 1e-13);
    }
}

#[test]
fn gradients_are_recorded_only_with_create_graph() {
    let x = Variable::scalar(0.5_f64);
    sin(&x).backward();
    assert!(x.grad().expect("grad").creator_name().is_none());
    x.cleargrad();
    sin(&x).backward_with(create_graph());
    // gy · cos(x): the last op of Sin's backward is a Mul.
    assert_eq!(x.grad().expect("grad").creator_name(), Some("Mul"));
}

#[test]
fn mean_squared_error_can_be_differentiated_twice() {
    // d/dx0 Σ(x0 − x1)²/N = 2(x0 − x1)/N; its gradient against the weights
    // w of Σ gx0·w is 2w/N.
    let x0 = Variable::new(
        linspace(-1.0, 2.0, 4)
            .into_shape_with_order(IxDyn(&[4, 1]))
            .expect("4"),
    );
    let x1 = Variable::new(ArrayD::from_elem(IxDyn(&[4, 1]), 0.25));
    mean_squared_error(&x0, &x1).backward_with(create_graph());
    let gx0 = x0.grad().expect("gx0");
    assert_close(
        "gx0",
        &gx0.to_array(),
        &x0.to_array().mapv(|v| (v - 0.25) / 2.0),
        1e-15,
    );
    x0.cleargrad();
    x1.cleargrad();
    let w = linspace(1.0, 4.0, 4)
        .into_shape_with_order(IxDyn(&[4, 1]))
        .expect("4");
    sum(&(&gx0 * &Variable::new(w.clone()))).backward();
    assert_close(
        "d gx0·w / dx0",
        &x0.grad().expect("second").to_array(),
        &(&w / 2.0),
        1e-15,
    );
    assert_close(
        "d gx0·w / dx1",
        &x1.grad().expect("second").to_array(),
        &(&w / -2.0),
        1e-15,
    );
}

/// Gradient check of `x ↦ ∂/∂x Σ op(x)²·w` (its value weighted again), so
/// that each op's backward is itself checked as a differentiable function.
/// Squaring makes the first derivative depend on `x` even for linear ops.
fn check_second(what: &str, x: ArrayD<f64>, op: impl Fn(&Variable<f64>) -> Variable<f64>) {
    let weigh = |y: &Variable<f64>, seed: f64| {
        let w: Vec<f64> = (0..y.size())
            .map(|k| 0.5 + ((k as f64 + seed) * 0.618).fract())
            .collect();
        let w = ArrayD::from_shape_vec(IxDyn(&y.shape()), w).expect("size matches");
        sum(&(y * &Variable::new(w)))
    };
    gradient_check(
        |x| {
            let y = op(x);
            weigh(&(&y * &y), 0.0).backward_with(create_graph());
            let gx = x.grad().expect("x is used");
            x.cleargrad();
            weigh(&gx, 1.0)
        },
        &x,
    )
    .unwrap_or_else(|e| panic!("second derivative of {what}: {e}"));
}

#[test]
fn every_function_can_be_differentiated_twice() {
    let x = ArrayD::from_shape_fn(IxDyn(&[3, 4]), |i| {
        let (r, c) = (i[0] as f64, i[1] as f64);
        0.35 + 0.41 * r - 0.23 * c + 0.05 * r * c
    });
    let pos = x.mapv(|v| v.abs() + 0.3);
    let t = Variable::new(x.mapv(|v| 0.5 - v));
    let w = Variable::new(ArrayD::from_shape_fn(IxDyn(&[4, 2]), |i| {
        0.3 * i[0] as f64 - 0.2 * i[1] as f64 + 0.1
    }));
    let b = Variable::new(ndarray::arr1(&[0.2, -0.4]).into_dyn());
    check_second("exp", x.clone(), exp);
    check_second("log", pos.clone(), log);
    check_second("sin", x.clone(), sin);
    check_second("cos", x.clone(), cos);
    check_second("tanh", x.clone(), tanh);
    check_second("sigmoid", x.clone(), sigmoid);
    check_second("sigmoid_simple", x.clone(), sigmoid_simple);
    check_second("relu", x.clone(), relu);
    check_second("softmax", x.clone(), softmax);
    check_second("softmax_simple", x.clone(), softmax_simple);
    check_second("log_softmax", x.clone(), log_softmax);
    check_second("clip", x.clone(), |v| clip(v, -0.3, 0.6));
    check_second("max", x.clone(), |v| max_axis(v, &[1], false));
    check_second("min", x.clone(), |v| min_axis(v, &[0], true));
    check_second("mean_squared_error", x.clone(), |v| {
        mean_squared_error(v, &t)
    });
    check_second("mean_squared_error_simple", x.clone(), |v| {
        mean_squared_error_simple(v, &t)
    });
    check_second("softmax_cross_entropy", x.clone(), |v| {
        softmax_cross_entropy(v, &[1, 3, 0])
    });
    check_second("softmax_cross_entropy_simple", x.clone(), |v| {
        softmax_cross_entropy_simple(v, &[1, 3, 0])
    });
    check_second("pow", pos.clone(), |v| v.powf(1.5));
    check_second("div", pos, |v| 1.0 / v);
    check_second("matmul", x.clone(), |v| matmul(v, &w));
    check_second("linear", x.clone(), |v| linear(v, &w, Some(&b)));
    check_second("sum_axis", x.clone(), |v| sum_axis(v, &[1], true));
    check_second("sum_to", x.clone(), |v| sum_to(v, &[1, 4]));
    check_second("broadcast_to", x.clone(), |v| {
        broadcast_to(&sum_axis(v, &[0], true), &[2, 3, 4])
    });
    check_second("reshape", x.clone(), |v| reshape(v, &[2, 6]));
    check_second("transpose", x.clone(), transpose);
    check_second("get_item", x, |v| get_item(v, &[2, 2, 0]));
}
