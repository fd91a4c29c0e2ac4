//! Compiled training on two threads: a pass split by batch rows (each
//! thread runs the fused pass on half the rows, the helper's gradients are
//! added afterwards) gives define-by-run's loss and gradients, as one
//! thread does (f64 within 1e-10, f32 within 1e-5); trains as one thread
//! does; reports a NaN in the helper's rows; and leaves the gradients'
//! DeZero semantics (accumulate, `cleargrads`) as they were.
//!
//! Every test here sets two threads: the setting is global to the process,
//! and this file is its own test binary.

use dezero::compiled::split_point;
use dezero::functions::{mean_squared_error, relu, sigmoid, softmax_cross_entropy, tanh};
use dezero::prelude::*;
use ndarray::Array2;
use std::sync::{Mutex, MutexGuard, PoisonError};

#[path = "common/differential.rs"]
#[macro_use]
mod differential;
use differential::*;

#[path = "common/deep.rs"]
mod deep;
use deep::Deep;

model! {
    /// A skip connection, a shared layer and cross-entropy over 3 classes.
    struct Classifier(hidden: usize) {
        l1: Linear(hidden),
        l2: Linear(hidden),
        out: Linear(3, nobias),
    }
    fn forward(x) {
        let h = tanh(l1(x));
        let r = h + sigmoid(l2(h));
        out(l2(r) * h)
    }
    fn loss(y, t) {
        softmax_cross_entropy(y, t)
    }
}

/// Serialises this file's tests (the thread count is global) and sets two
/// threads.
fn two_threads() -> MutexGuard<'static, ()> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let g = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    dezero::kernels::set_threads(2);
    g
}

fn deep_dbr<T: Scalar>(m: &Deep<T>, x: &Variable<T>) -> Variable<T> {
    let h = relu(&m.l1.forward(x));
    let h = relu(&m.l2.forward(&h));
    let h = relu(&m.l3.forward(&h));
    m.l4.forward(&h)
}

fn mse<T: Scalar>(y: &Variable<T>, t: &Variable<T>) -> Variable<T> {
    mean_squared_error(y, t)
}

/// The workspace bytes after one pass: the helper's workspace counts once
/// a pass was split.
fn bytes_after_one_pass<T: Scalar>(rows: usize) -> usize {
    random::seed(9);
    let mut m = Deep::<T>::new(64);
    let x = data::<T>(rows, 64);
    let t = data::<T>(rows, 1);
    m.forward_backward(x.view(), t.view()).expect("fits");
    m.workspace_bytes()
}

#[test]
fn a_batch_of_256_is_split_and_the_w3_batch_of_32_is_not() {
    let _one = two_threads();
    // Three relu layers of 64 and one output; products per row: forward
    // 3·64·64 + 64, weight gradients the same, input gradients of the last
    // three layers.
    let per_row = 3 * 64 * 64 + 64 + 3 * 64 * 64 + 64 + 2 * 64 * 64 + 64;
    assert_eq!(per_row, 32_960);
    assert_eq!(split_point(256, per_row, 64 * 64), Some(128));
    assert_eq!(split_point(301, per_row, 64 * 64), Some(150));
    // Too little work (W3's 32 rows; 254 rows are just under 2^23
    // multiply-adds), too few rows, or a product that splits itself (W2's
    // 784→1000 layer).
    assert_eq!(split_point(32, per_row, 64 * 64), None);
    assert_eq!(split_point(254, per_row, 64 * 64), None);
    assert_eq!(split_point(47, 1 << 20, 1 << 10), None);
    assert_eq!(split_point(100, 800_000, 784_000), None);
    // Observed: the helper's workspace is used for 256 rows, not for 32.
    let (split32, split256) = (
        bytes_after_one_pass::<f32>(32),
        bytes_after_one_pass::<f32>(256),
    );
    dezero::kernels::set_threads(1);
    let (one32, one256) = (
        bytes_after_one_pass::<f32>(32),
        bytes_after_one_pass::<f32>(256),
    );
    dezero::kernels::set_threads(2);
    assert_eq!(split32, one32);
    assert!(
        split256 > one256,
        "256 rows: {split256} workspace bytes, one thread's {one256}"
    );
}

fn deep<T: Scalar>(rows: usize, tol: f64) {
    random::seed(11);
    let x = data::<T>(rows, 64);
    let t = data::<T>(rows, 1);
    differential!(
        Deep::<T>::new(64),
        x,
        t.view(),
        &var(&t),
        deep_dbr,
        mse,
        tol
    );
}

#[test]
fn deep_f64_split_matches_define_by_run() {
    let _one = two_threads();
    deep::<f64>(256, 1e-10);
    deep::<f64>(301, 1e-10);
}

#[test]
fn deep_f32_split_matches_define_by_run() {
    let _one = two_threads();
    deep::<f32>(256, 1e-5);
    deep::<f32>(320, 1e-5);
}

fn classifier<T: Scalar>(tol: f64) {
    let _one = two_threads();
    random::seed(12);
    // 151 rows (about 65 k multiply-adds each): halves of 75 and 76.
    let x = data::<T>(151, 48);
    let t: Vec<usize> = (0..151).map(|i| (i * 7 + i / 3) % 3).collect();
    differential!(
        Classifier::<T>::new(96),
        x,
        &t[..],
        &t[..],
        |m: &Classifier<T>, x: &Variable<T>| {
            let h = tanh(&m.l1.forward(x));
            let r = &h + &sigmoid(&m.l2.forward(&h));
            m.out.forward(&(&m.l2.forward(&r) * &h))
        },
        |y: &Variable<T>, t: &[usize]| softmax_cross_entropy(y, t),
        tol
    );
}

#[test]
fn classifier_f64_split_matches_define_by_run() {
    classifier::<f64>(1e-10);
}

#[test]
fn classifier_f32_split_matches_define_by_run() {
    classifier::<f32>(1e-5);
}

/// Losses of `steps` SGD steps of `Deep(64)` in f64 on 256 rows.
fn train(threads: usize, steps: usize) -> Vec<f64> {
    dezero::kernels::set_threads(threads);
    random::seed(13);
    let mut m = Deep::<f64>::new(64);
    let x = data::<f64>(256, 64);
    let t = data::<f64>(256, 1);
    let mut opt = SGD::new(0.1);
    opt.setup(&m);
    let losses = (0..steps)
        .map(|_| {
            m.cleargrads();
            let l = m.forward_backward(x.view(), t.view()).expect("fits");
            opt.update();
            l
        })
        .collect();
    dezero::kernels::set_threads(2);
    losses
}

#[test]
fn training_on_two_threads_follows_one_thread() {
    let _one = two_threads();
    const STEPS: usize = 100;
    let one = train(1, STEPS);
    let two = train(2, STEPS);
    let last = one[STEPS - 1];
    assert!(last < one[0] / 2.0, "trains: {} → {last}", one[0]);
    for (i, (a, b)) in one.iter().zip(&two).enumerate() {
        assert!(
            (a - b).abs() <= 1e-10 * a.abs().max(1e-3),
            "step {i}: one thread {a}, two threads {b}"
        );
    }
    // Deterministic on two threads.
    assert_eq!(two, train(2, STEPS));
}

#[test]
fn a_nan_in_the_helpers_rows_is_reported() {
    let _one = two_threads();
    let check = dezero::check_finite();
    random::seed(14);
    let mut m = Deep::<f32>::new(64);
    let mut x: Array2<f32> = data(256, 64);
    let t = data::<f32>(256, 1);
    m.forward_backward(x.view(), t.view()).expect("finite");
    // Row 255 is in the helper's half (rows 128..256).
    x[[255, 5]] = f32::NAN;
    m.cleargrads();
    let r = match m.forward_backward(x.view(), t.view()) {
        Err(dezero::Error::NonFinite(r)) => r,
        other => panic!("expected a non-finite report, got {other:?}"),
    };
    drop(check);
    // The first step, l1's product, wrote the NaN; the report speaks of the
    // batch (row 255 of 256), not of the helper's 128 rows.
    let p = r.plan.as_ref().expect("compiled");
    assert_eq!((p.plan, p.step), ("training", 0), "{r}");
    assert_eq!(r.index, [255, 0], "{r}");
    assert_eq!(r.input_shapes[0], [256, 64], "{r}");
    // The weights are untouched, and a finite batch trains again.
    x[[255, 5]] = 0.5;
    m.cleargrads();
    m.forward_backward(x.view(), t.view())
        .expect("finite again");
}

#[test]
fn a_kept_gradient_keeps_its_values_across_split_passes() {
    let _one = two_threads();
    random::seed(15);
    let mut m = Deep::<f32>::new(64);
    let x = data::<f32>(256, 64);
    let t = data::<f32>(256, 1);
    m.forward_backward(x.view(), t.view()).expect("fits");
    let kept = m.l2.w.grad().expect("a grad").to_array();
    let handle = m.l2.w.grad().expect("a grad");
    m.cleargrads();
    m.forward_backward(x.view(), t.view()).expect("fits");
    assert_eq!(handle.to_array(), kept, "the kept gradient changed");
    let again = m.l2.w.grad().expect("a grad").to_array();
    assert_eq!(again, kept, "the same pass gave another gradient");
}
