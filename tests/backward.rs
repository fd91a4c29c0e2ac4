//! What `backward` leaves behind, as measured on the original DeZero
//! (`tests/fixtures/README.md`): non-leaf gradients are dropped unless
//! `retain_grad`; leaf gradients accumulate across calls until `cleargrad`.

use dezero::functions::*;
use dezero::{BackwardOptions, Variable};
use ndarray::{arr1, arr2};

fn grad(x: &Variable<f64>) -> ndarray::ArrayD<f64> {
    x.grad().expect("a gradient was computed").to_array()
}

#[test]
fn non_leaf_gradients_are_dropped_the_loss_included() {
    let x = Variable::new(arr2(&[[1.0, 2.0], [3.0, 4.0]]).into_dyn());
    let t = Variable::new(arr2(&[[0.5, 0.0], [1.0, 1.0]]).into_dyn());
    let h = sigmoid(&x);
    let y = &h * 3.0;
    let loss = mean_squared_error(&y, &t);
    loss.backward();
    assert!(loss.grad().is_none(), "the loss's own gradient");
    assert!(
        y.grad().is_none() && h.grad().is_none(),
        "intermediate gradients"
    );
    assert!(x.grad().is_some() && t.grad().is_some(), "leaf gradients");
}

#[test]
fn retain_grad_keeps_non_leaf_gradients() {
    let x = Variable::new(arr1(&[1.0, -2.0]).into_dyn());
    let h = tanh(&x);
    let loss = sum(&(&h * &h));
    loss.backward_with(BackwardOptions::default().retain_grad(true));
    assert_eq!(
        loss.grad().expect("kept").to_array(),
        ndarray::arr0(1.0).into_dyn()
    );
    // d loss / dh = 2h
    assert_eq!(grad(&h), h.to_array().mapv(|v| 2.0 * v));
    assert_eq!(grad(&x), h.to_array().mapv(|v| 2.0 * v * (1.0 - v * v)));
}

#[test]
fn leaf_gradients_accumulate_until_cleargrad() {
    let x0 = Variable::new(arr2(&[[1.0], [2.0], [4.0]]).into_dyn());
    let x1 = Variable::new(arr2(&[[1.5], [1.0], [3.0]]).into_dyn());
    let loss = mean_squared_error(&x0, &x1);
    loss.backward();
    let once = grad(&x0);
    assert_eq!(
        once,
        arr2(&[[-1.0 / 3.0], [2.0 / 3.0], [2.0 / 3.0]]).into_dyn()
    );
    // The same graph again: the loss's gradient was dropped, so it restarts
    // from 1, and x0's gradient doubles.
    loss.backward();
    assert_eq!(grad(&x0), &once * 2.0);
    assert_eq!(grad(&x1), &once * -2.0);
    x0.cleargrad();
    x1.cleargrad();
    loss.backward();
    assert_eq!(grad(&x0), once);
}

#[test]
fn a_variable_used_twice_gets_both_gradients() {
    // y = exp(x) · sin(x): dy/dx = exp(x)(sin x + cos x)
    let x = Variable::new(arr1(&[0.3_f64, -1.2, 2.0]).into_dyn());
    let y = &exp(&x) * &sin(&x);
    y.backward();
    let want = x.to_array().mapv(|v| v.exp() * (v.sin() + v.cos()));
    for (g, w) in grad(&x).iter().zip(&want) {
        assert!((g - w).abs() <= 1e-15 * w.abs(), "{g} vs {w}");
    }
}
