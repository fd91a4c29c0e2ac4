//! Losses: mean_squared_error and softmax_cross_entropy, each as one
//! Function and as the book's composed `*_simple` version, and accuracy.

use ndarray::{arr0, Array2, ArrayD, Ix2};

use crate::function::{apply1, Function};
use crate::functions::basic::recording;
use crate::functions::{clip, get_item, log, softmax, sum};
use crate::kernels;
use crate::scalar::Scalar;
use crate::variable::Variable;

/// The number of rows DeZero divides by (`len(x)`; 1 for a 0-d array, as
/// the kernels count it).
fn rows_as<T: Scalar>(shape: &[usize]) -> T {
    T::from_usize(shape.first().copied().unwrap_or(1)).expect("a row count fits a float")
}

/// Refuses a batch of no rows: a mean over no rows is 0/0, a number that
/// would only hide the mistake (a compiled model's methods return the same
/// refusal as an `Err`).
fn check_rows(op: &str, what: &str, shape: &[usize]) {
    assert!(
        shape.first() != Some(&0),
        "{op}: {what} of shape {shape:?} has no rows (a mean over no rows is undefined)"
    );
}

/// The single element of a loss's gradient (a loss is 0-d, so is its `gy`).
fn scalar_of<T: Scalar>(op: &str, gy: &Variable<T>) -> T {
    let d = gy.data();
    assert_eq!(
        d.len(),
        1,
        "{op}: the loss is 0-d, but its gradient has shape {:?}",
        d.shape()
    );
    *d.iter().next().expect("length checked above")
}

/// `Σ (x0 − x1)² / len(x0)` as one Function (DeZero's `MeanSquaredError`),
/// computed by [`kernels::mean_squared_error`]. It holds nothing of its own:
/// the backward pass recomputes `x0 − x1` from the inputs.
pub struct MeanSquaredError;

impl<T: Scalar> Function<T> for MeanSquaredError {
    fn name(&self) -> &'static str {
        "MeanSquaredError"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        let y = kernels::mean_squared_error(xs[0].view(), xs[1].view());
        vec![arr0(y).into_dyn()]
    }
    fn backward(
        &self,
        xs: &[Variable<T>],
        _ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        let (x0, x1, gy) = (&xs[0], &xs[1], &gys[0]);
        if !recording() {
            let gy = scalar_of("mean_squared_error", gy);
            let (d0, d1) = (x0.data(), x1.data());
            let mut gx0 = ArrayD::zeros(d0.raw_dim());
            kernels::mean_squared_error_backward(d0.view(), d1.view(), gy, gx0.view_mut());
            let gx1 = gx0.mapv(|v: T| -v);
            return vec![Some(Variable::new(gx0)), Some(Variable::new(gx1))];
        }
        // gx0 = (gy·2 / N)·(x0 − x1), gx1 = −gx0: DeZero's formula, in the
        // kernel's rounding order, as Variable ops so it can be
        // differentiated again.
        let diff = x0 - x1;
        let c = &(gy * T::from_f64_lossy(2.0)) / rows_as::<T>(&x0.shape());
        let gx0 = &c * &diff;
        let gx1 = -&gx0;
        vec![Some(gx0), Some(gx1)]
    }
}

/// The mean squared error `Σ (x0 − x1)² / len(x0)` as one Function
/// (DeZero's `mean_squared_error`).
///
/// Like DeZero it divides by the number of rows (the length of the first
/// axis), not by the number of elements. Being one Function, it keeps no
/// intermediate alive, unlike [`mean_squared_error_simple`].
///
/// ```
/// use dezero_runtime::{functions::mean_squared_error, Variable};
/// use ndarray::array;
/// let x0 = Variable::new(array![[1.0_f64], [2.0], [4.0]].into_dyn());
/// let x1 = Variable::new(array![[1.5_f64], [1.0], [3.0]].into_dyn());
/// let loss = mean_squared_error(&x0, &x1);
/// loss.backward();
/// assert_eq!(loss.data()[[]], 0.75);
/// assert_eq!(x0.grad().unwrap().data()[[1, 0]], 2.0 / 3.0);
/// ```
///
/// # Panics
/// If the shapes differ: `mean_squared_error: shapes [3, 1] and [3] differ`
/// (DeZero would silently broadcast them to `[3, 3]`); if `x0` has no rows
/// (DeZero would return NaN).
pub fn mean_squared_error<T: Scalar>(x0: &Variable<T>, x1: &Variable<T>) -> Variable<T> {
    check_rows("mean_squared_error", "x0", &x0.shape());
    apply1(MeanSquaredError, &[x0, x1])
}

/// The mean squared error composed of primitives, `diff = x0 − x1;
/// sum(diff²) / len(diff)` (DeZero's `mean_squared_error_simple`): it keeps
/// `diff`, `diff²` and the sum alive as long as the graph lives.
///
/// ```
/// use dezero_runtime::{functions::mean_squared_error_simple, Variable};
/// use ndarray::array;
/// let x0 = Variable::new(array![[1.0_f64], [2.0], [4.0]].into_dyn());
/// let x1 = Variable::new(array![[1.5_f64], [1.0], [3.0]].into_dyn());
/// assert_eq!(mean_squared_error_simple(&x0, &x1).data()[[]], 0.75);
/// ```
///
/// # Panics
/// If the shapes do not broadcast (the message names `sub` and both shapes).
/// Shapes that do broadcast but differ (`[3, 1]` and `[3]`) are accepted, as
/// in DeZero, and give the loss over the broadcast difference. If the
/// difference has no rows, as [`mean_squared_error`].
pub fn mean_squared_error_simple<T: Scalar>(x0: &Variable<T>, x1: &Variable<T>) -> Variable<T> {
    let diff = x0 - x1;
    check_rows("mean_squared_error_simple", "x0 - x1", &diff.shape());
    let n = rows_as::<T>(&diff.shape());
    &sum(&diff.powi(2)) / n
}

/// Checks what the softmax cross-entropy kernels assert, with a message
/// naming both shapes.
fn check_targets(op: &str, x_shape: &[usize], t: &[usize]) {
    assert!(
        x_shape.len() == 2,
        "{op}: x must be 2-dimensional, got shape {x_shape:?}"
    );
    check_rows(op, "x", x_shape);
    assert_eq!(
        x_shape[0],
        t.len(),
        "{op}: x of shape {x_shape:?} has {} rows but t has {} targets",
        x_shape[0],
        t.len()
    );
    for &ti in t {
        assert!(
            ti < x_shape[1],
            "{op}: target {ti} is out of range for x of shape {x_shape:?}"
        );
    }
}

/// `−(1/N) Σᵢ log softmax(x)ᵢ[tᵢ]` for integer targets, as one Function
/// (DeZero's `SoftmaxCrossEntropy`), computed by
/// [`kernels::softmax_cross_entropy`]. The targets are held by the Function
/// (they get no gradient, and count in
/// [`retained_bytes`](Function::retained_bytes)); the softmax is recomputed
/// in backward, as in DeZero, rather than kept.
pub struct SoftmaxCrossEntropy {
    /// The class index of each row.
    pub t: Vec<usize>,
}

impl<T: Scalar> Function<T> for SoftmaxCrossEntropy {
    fn name(&self) -> &'static str {
        "SoftmaxCrossEntropy"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        check_targets("softmax_cross_entropy", xs[0].shape(), &self.t);
        let x = xs[0]
            .view()
            .into_dimensionality::<Ix2>()
            .expect("checked 2-d");
        let mut p = Array2::zeros(x.raw_dim());
        let y = kernels::softmax_cross_entropy(x, &self.t, p.view_mut());
        vec![arr0(y).into_dyn()]
    }
    fn backward(
        &self,
        xs: &[Variable<T>],
        _ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        let (x, gy) = (&xs[0], &gys[0]);
        if !recording() {
            let gy = scalar_of("softmax_cross_entropy", gy);
            let xd = x.data();
            let x2 = xd
                .view()
                .into_dimensionality::<Ix2>()
                .expect("checked 2-d in forward");
            let mut p = Array2::zeros(x2.raw_dim());
            kernels::softmax_rows(x2, p.view_mut());
            let mut gx = Array2::zeros(x2.raw_dim());
            kernels::softmax_cross_entropy_backward(p.view(), &self.t, gy, gx.view_mut());
            return vec![Some(Variable::new(gx.into_dyn()))];
        }
        // gx = p·(gy/N) − onehot(t)·(gy/N): DeZero's (p − onehot)·gy/N,
        // arranged to round as the kernel does, as Variable ops.
        let shape = x.shape();
        let c = gy / rows_as::<T>(&shape);
        let mut onehot = Array2::zeros((shape[0], shape[1]));
        for (i, &ti) in self.t.iter().enumerate() {
            onehot[[i, ti]] = T::one();
        }
        let onehot = Variable::new(onehot.into_dyn());
        let p = softmax(x);
        vec![Some(&(&p * &c) - &(&onehot * &c))]
    }
    fn retained_bytes(&self) -> usize {
        // The targets, which DeZero keeps as an input Variable.
        std::mem::size_of_val(self.t.as_slice())
    }
}

/// The cross-entropy of `softmax(x)` against integer class targets `t`,
/// averaged over rows, as one Function (DeZero's `softmax_cross_entropy`).
///
/// ```
/// use dezero_runtime::{functions::softmax_cross_entropy, Variable};
/// use ndarray::array;
/// let x = Variable::new(array![[0.0_f64, 0.0], [0.0, 0.0]].into_dyn());
/// let loss = softmax_cross_entropy(&x, &[0, 1]);
/// loss.backward();
/// assert_eq!(loss.data()[[]], 2.0_f64.ln());
/// assert_eq!(x.grad().unwrap().data()[[0, 0]], -0.25);
/// ```
///
/// # Panics
/// If `x` is not 2-dimensional or has no rows, if its row count differs
/// from `t.len()`, or if a target is not below its column count; the
/// message names `softmax_cross_entropy`, `x`'s shape and the targets'
/// count or the target.
pub fn softmax_cross_entropy<T: Scalar>(x: &Variable<T>, t: &[usize]) -> Variable<T> {
    check_targets("softmax_cross_entropy", &x.shape(), t);
    apply1(SoftmaxCrossEntropy { t: t.to_vec() }, &[x])
}

/// The softmax cross-entropy composed of primitives (DeZero's
/// `softmax_cross_entropy_simple`): `p = clip(softmax(x), 1e-15, 1)`, then
/// `−Σᵢ log(p)ᵢ[tᵢ] / N`, picking `log(p)[i, tᵢ]` with
/// [`get_item`] on the flattened matrix (NumPy's `log_p[arange(N), t]`).
///
/// ```
/// use dezero_runtime::{functions::softmax_cross_entropy_simple, Variable};
/// use ndarray::array;
/// let x = Variable::new(array![[0.0_f64, 0.0], [0.0, 0.0]].into_dyn());
/// assert_eq!(softmax_cross_entropy_simple(&x, &[0, 1]).data()[[]], 2.0_f64.ln());
/// ```
///
/// # Panics
/// As [`softmax_cross_entropy`], naming `softmax_cross_entropy_simple`.
pub fn softmax_cross_entropy_simple<T: Scalar>(x: &Variable<T>, t: &[usize]) -> Variable<T> {
    let shape = x.shape();
    check_targets("softmax_cross_entropy_simple", &shape, t);
    let (n, classes) = (shape[0], shape[1]);
    let p = softmax(x);
    let p = clip(&p, T::from_f64_lossy(1e-15), T::one());
    let log_p = log(&p);
    let picks: Vec<usize> = t
        .iter()
        .enumerate()
        .map(|(i, &ti)| i * classes + ti)
        .collect();
    let tlog_p = get_item(&log_p.reshape(&[n * classes]), &picks);
    let minus_one = -T::one();
    &(&sum(&tlog_p) * minus_one) / rows_as::<T>(&shape)
}

/// The fraction of rows of `y` whose largest entry (the first, on ties, as
/// NumPy's `argmax`) is at the target class (DeZero's `accuracy`).
///
/// Not differentiable: it returns a plain number, not a Variable.
///
/// ```
/// use dezero_runtime::{functions::accuracy, Variable};
/// use ndarray::array;
/// let y = Variable::new(array![[0.2_f64, 0.8], [0.9, 0.1], [0.3, 0.7]].into_dyn());
/// assert_eq!(accuracy(&y, &[1, 1, 1]), 2.0 / 3.0);
/// ```
///
/// # Panics
/// If `y` is not 2-dimensional, has no rows or no columns, its row count
/// differs from `t.len()`, or a target is not below its column count (a
/// class `y` has no score for; DeZero would count it wrong); the message
/// names `accuracy`, `y`'s shape and `t.len()` or the target.
pub fn accuracy<T: Scalar>(y: &Variable<T>, t: &[usize]) -> T {
    let d = y.data();
    let y2 = d.view().into_dimensionality::<Ix2>().unwrap_or_else(|_| {
        panic!(
            "accuracy: y must be 2-dimensional, got shape {:?}",
            d.shape()
        )
    });
    assert_eq!(
        y2.nrows(),
        t.len(),
        "accuracy: y of shape {:?} has {} rows but t has {} targets",
        d.shape(),
        y2.nrows(),
        t.len()
    );
    assert!(
        y2.ncols() > 0,
        "accuracy: cannot take the argmax of rows of y of shape {:?}",
        d.shape()
    );
    check_rows("accuracy", "y", d.shape());
    if let Some(ti) = t.iter().find(|&&ti| ti >= y2.ncols()) {
        panic!(
            "accuracy: target {ti} is out of range for y of shape {:?}",
            d.shape()
        );
    }
    kernels::accuracy_rows(y2, t)
}
