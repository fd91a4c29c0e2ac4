//! The book's memory lesson, measured: a loss or layer written as one
//! Function keeps less array data alive than the same computation composed
//! of primitives ([`Variable::retained_bytes`]).
//!
//! Every count is derived by hand in the comments: a variable's data is its
//! element count times 8 bytes (f64) or 4 (f32); a 0-d value is one element.

use dezero::functions::*;
use dezero::Variable;
use ndarray::{ArrayD, IxDyn};

fn filled(shape: &[usize], v: f64) -> Variable<f64> {
    let n: usize = shape.iter().product();
    let values = (0..n).map(|i| v + 0.01 * i as f64).collect();
    Variable::new(ArrayD::from_shape_vec(IxDyn(shape), values).expect("size matches"))
}

#[test]
fn mean_squared_error_keeps_less_than_mean_squared_error_simple() {
    let x0 = filled(&[100, 1], 0.5);
    let x1 = filled(&[100, 1], -0.25);

    // x0 (800) + x1 (800) + the 0-d loss (8); the Function holds nothing.
    let loss = mean_squared_error(&x0, &x1);
    assert_eq!(loss.retained_bytes(), 800 + 800 + 8);

    // x0, x1 (1600) + diff (800) + diff² (800) + sum (8) + the constant
    // len(diff) (8) + the loss (8).
    let simple = mean_squared_error_simple(&x0, &x1);
    assert_eq!(simple.retained_bytes(), 1600 + 800 + 800 + 8 + 8 + 8);

    assert_eq!(loss.data()[[]], simple.data()[[]]);
}

#[test]
fn mean_squared_error_in_f32_counts_four_bytes_per_element() {
    let x0 = Variable::new(ArrayD::<f32>::ones(IxDyn(&[100, 1])));
    let x1 = Variable::new(ArrayD::<f32>::zeros(IxDyn(&[100, 1])));
    assert_eq!(mean_squared_error(&x0, &x1).retained_bytes(), 400 + 400 + 4);
    assert_eq!(
        mean_squared_error_simple(&x0, &x1).retained_bytes(),
        800 + 400 + 400 + 4 + 4 + 4
    );
}

#[test]
fn linear_keeps_less_than_matmul_plus_add_and_linear_simple_as_little() {
    // The book's step 45 shapes: x 100×1, W 1×10, b 10.
    let x = filled(&[100, 1], 0.1);
    let w = filled(&[1, 10], -0.3);
    let b = filled(&[10], 0.0);
    let inputs = 800 + 80 + 80;
    let y_bytes = 100 * 10 * 8;

    let y = linear(&x, &w, Some(&b));
    assert_eq!(y.retained_bytes(), inputs + y_bytes);

    // Unfreed: t = x·W (8000) stays alive as the input of Add.
    let t = matmul(&x, &w);
    let composed = &t + &b;
    drop(t);
    assert_eq!(composed.retained_bytes(), inputs + y_bytes + y_bytes);

    // linear_simple frees t's data once y is computed.
    let simple = linear_simple(&x, &w, Some(&b));
    assert_eq!(simple.retained_bytes(), inputs + y_bytes);

    assert_eq!(y.to_array(), composed.to_array());
    assert_eq!(y.to_array(), simple.to_array());
}

#[test]
fn linear_simple_stays_differentiable_after_freeing() {
    let x = filled(&[4, 3], 0.1);
    let w = filled(&[3, 2], -0.3);
    let b = filled(&[2], 0.2);
    sum(&linear_simple(&x, &w, Some(&b))).backward();
    let (gx, gw, gb) = (x.grad(), w.grad(), b.grad());
    x.cleargrad();
    w.cleargrad();
    b.cleargrad();
    sum(&linear(&x, &w, Some(&b))).backward();
    assert_eq!(gx.expect("gx").to_array(), x.grad().expect("gx").to_array());
    assert_eq!(gw.expect("gW").to_array(), w.grad().expect("gW").to_array());
    assert_eq!(gb.expect("gb").to_array(), b.grad().expect("gb").to_array());
}

#[test]
fn sigmoid_keeps_less_than_sigmoid_simple() {
    let x = filled(&[100, 10], -2.0);
    let n = 100 * 10 * 8;

    // x and y.
    assert_eq!(sigmoid(&x).retained_bytes(), n + n);

    // 1 / (1 + exp(−x)): x, −x, exp(−x), 1 + exp(−x) and y, plus the two
    // 0-d constants 1.
    assert_eq!(sigmoid_simple(&x).retained_bytes(), 5 * n + 8 + 8);
}

#[test]
fn softmax_cross_entropy_keeps_its_targets_and_nothing_else() {
    let x = filled(&[100, 3], 0.0);
    let t: Vec<usize> = (0..100).map(|i| i % 3).collect();
    let usize_bytes = std::mem::size_of::<usize>();
    // x (2400) + the 0-d loss (8) + the targets the Function holds.
    assert_eq!(
        softmax_cross_entropy(&x, &t).retained_bytes(),
        2400 + 8 + 100 * usize_bytes
    );
}

#[test]
fn unchain_backward_releases_the_graph() {
    let x0 = filled(&[100, 1], 0.5);
    let x1 = filled(&[100, 1], -0.25);
    let loss = mean_squared_error_simple(&x0, &x1);
    loss.unchain_backward();
    // As in DeZero, the loss keeps its own creator (Div); only the links
    // behind its inputs are cut: loss, sum and the constant len(diff).
    assert_eq!(loss.retained_bytes(), 8 + 8 + 8);
}
