//! Activations: sigmoid, relu, softmax, log_softmax, and the composed
//! `*_simple` versions the book writes first.

use ndarray::{Array2, ArrayD, Ix2};

use crate::function::{apply1, Function};
use crate::functions::basic::{map_kernel, map_kernel2, recording, rsub};
use crate::functions::{exp, sum_axis};
use crate::kernels;
use crate::scalar::Scalar;
use crate::variable::Variable;

/// `y = tanh(x/2)/2 + 1/2`, the logistic sigmoid computed as DeZero's
/// `Sigmoid` computes it (by [`kernels::sigmoid`]).
pub struct Sigmoid;

impl<T: Scalar> Function<T> for Sigmoid {
    fn name(&self) -> &'static str {
        "Sigmoid"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        vec![map_kernel(xs[0], kernels::sigmoid)]
    }
    fn backward(
        &self,
        _xs: &[Variable<T>],
        ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        let (y, gy) = (&ys[0], &gys[0]);
        if !recording() {
            let gx = map_kernel2("sigmoid", &y.data(), &gy.data(), kernels::sigmoid_backward);
            return vec![Some(Variable::new(gx))];
        }
        // gx = gy · y · (1 − y), in the kernel's (and DeZero's) order.
        vec![Some(&(gy * y) * &rsub(T::one(), y))]
    }
}

/// The logistic sigmoid `1 / (1 + e⁻ˣ)` as one Function (DeZero's
/// `sigmoid`): it keeps only its input and output alive, where
/// [`sigmoid_simple`] keeps four intermediates.
///
/// ```
/// use dezero_runtime::{functions::sigmoid, Variable};
/// let x = Variable::new(ndarray::arr1(&[0.0_f64, 2.0]).into_dyn());
/// let y = sigmoid(&x);
/// assert_eq!(y.data()[[0]], 0.5);
/// assert!((y.data()[[1]] - 1.0 / (1.0 + (-2.0_f64).exp())).abs() < 1e-15);
/// assert_eq!(y.creator_name(), Some("Sigmoid"));
/// ```
pub fn sigmoid<T: Scalar>(x: &Variable<T>) -> Variable<T> {
    apply1(Sigmoid, &[x])
}

/// The logistic sigmoid composed of primitives, `1 / (1 + exp(−x))`
/// (DeZero's `sigmoid_simple`).
///
/// ```
/// use dezero_runtime::{functions::sigmoid_simple, Variable};
/// let x = Variable::scalar(0.0_f64);
/// let y = sigmoid_simple(&x);
/// y.backward();
/// assert_eq!(y.data()[[]], 0.5);
/// assert_eq!(x.grad().unwrap().data()[[]], 0.25);
/// ```
pub fn sigmoid_simple<T: Scalar>(x: &Variable<T>) -> Variable<T> {
    let one = || Variable::scalar(T::one());
    &one() / &(&one() + &exp(&(-x)))
}

/// `y = max(x, 0)` (DeZero's `ReLU`), computed by [`kernels::relu`].
pub struct ReLU;

impl<T: Scalar> Function<T> for ReLU {
    fn name(&self) -> &'static str {
        "ReLU"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        vec![map_kernel(xs[0], kernels::relu)]
    }
    fn backward(
        &self,
        xs: &[Variable<T>],
        _ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        let (x, gy) = (&xs[0], &gys[0]);
        if !recording() {
            let gx = map_kernel2("relu", &x.data(), &gy.data(), kernels::relu_backward);
            return vec![Some(Variable::new(gx))];
        }
        // gx = gy · (x > 0); the mask is a constant, so the second
        // derivative is zero, as in DeZero.
        let mask = x
            .data()
            .mapv(|v| if v > T::zero() { T::one() } else { T::zero() });
        vec![Some(gy * &Variable::new(mask))]
    }
}

/// The rectified linear unit `max(x, 0)` elementwise (DeZero's `relu`); its
/// gradient at exactly 0 is 0.
///
/// ```
/// use dezero_runtime::{functions::relu, Variable};
/// let x = Variable::new(ndarray::arr1(&[-1.0_f64, 0.0, 2.0]).into_dyn());
/// let y = relu(&x);
/// y.backward();
/// assert_eq!(y.to_array().into_raw_vec_and_offset().0, vec![0.0, 0.0, 2.0]);
/// assert_eq!(x.grad().unwrap().to_array().into_raw_vec_and_offset().0, vec![0.0, 0.0, 1.0]);
/// ```
pub fn relu<T: Scalar>(x: &Variable<T>) -> Variable<T> {
    apply1(ReLU, &[x])
}

/// Views `x` as a matrix, or panics naming `op` and the shape.
fn rows_of<'a, T: Scalar>(op: &str, x: &'a ArrayD<T>) -> ndarray::ArrayView2<'a, T> {
    x.view()
        .into_dimensionality::<Ix2>()
        .unwrap_or_else(|_| panic!("{op}: x must be 2-dimensional, got shape {:?}", x.shape()))
}

/// Softmax over axis 1 of a matrix (DeZero's `Softmax` with its default
/// `axis=1`), computed by [`kernels::softmax_rows`].
pub struct Softmax;

impl<T: Scalar> Function<T> for Softmax {
    fn name(&self) -> &'static str {
        "Softmax"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        let x = rows_of("softmax", xs[0]);
        let mut y = Array2::zeros(x.raw_dim());
        kernels::softmax_rows(x, y.view_mut());
        vec![y.into_dyn()]
    }
    fn backward(
        &self,
        _xs: &[Variable<T>],
        ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        let (y, gy) = (&ys[0], &gys[0]);
        // gx = y·gy − y·Σ_row(y·gy)
        let gx = y * gy;
        let sumdx = sum_axis(&gx, &[1], true);
        vec![Some(&gx - &(y * &sumdx))]
    }
}

/// Softmax over axis 1 (each row sums to 1), as one Function (DeZero's
/// `softmax(x)`); the row maximum is subtracted first, so large inputs do
/// not overflow.
///
/// ```
/// use dezero_runtime::{functions::softmax, Variable};
/// use ndarray::array;
/// let x = Variable::new(array![[0.0_f64, 0.0], [1000.0, 1000.0]].into_dyn());
/// let y = softmax(&x);
/// assert_eq!(y.to_array(), array![[0.5, 0.5], [0.5, 0.5]].into_dyn());
/// ```
///
/// # Panics
/// If `x` is not 2-dimensional (the message names `softmax` and the shape).
pub fn softmax<T: Scalar>(x: &Variable<T>) -> Variable<T> {
    rows_of("softmax", &x.data());
    apply1(Softmax, &[x])
}

/// Softmax over axis 1 composed of primitives, `exp(x) / Σ_row exp(x)`
/// (DeZero's `softmax_simple`; like it, without subtracting the maximum, so
/// inputs above ~709 (f64) overflow).
///
/// ```
/// use dezero_runtime::{functions::softmax_simple, Variable};
/// use ndarray::array;
/// let x = Variable::new(array![[1.0_f64, 1.0]].into_dyn());
/// assert_eq!(softmax_simple(&x).to_array(), array![[0.5, 0.5]].into_dyn());
/// ```
///
/// # Panics
/// If `x` has fewer than 2 dimensions (the message names `sum` and the axis).
pub fn softmax_simple<T: Scalar>(x: &Variable<T>) -> Variable<T> {
    let y = exp(x);
    let sum_y = sum_axis(&y, &[1], true);
    &y / &sum_y
}

/// `y = x − logsumexp(x)` over axis 1 of a matrix (DeZero's `LogSoftmax`),
/// computed by [`kernels::log_softmax_rows`].
pub struct LogSoftmax;

impl<T: Scalar> Function<T> for LogSoftmax {
    fn name(&self) -> &'static str {
        "LogSoftmax"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        let x = rows_of("log_softmax", xs[0]);
        let mut y = Array2::zeros(x.raw_dim());
        kernels::log_softmax_rows(x, y.view_mut());
        vec![y.into_dyn()]
    }
    fn backward(
        &self,
        _xs: &[Variable<T>],
        ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        let (y, gy) = (&ys[0], &gys[0]);
        // gx = gy − exp(y)·Σ_row gy
        let gx = gy - &(&exp(y) * &sum_axis(gy, &[1], true));
        vec![Some(gx)]
    }
}

/// The logarithm of [`softmax`] over axis 1, computed stably as
/// `x − logsumexp(x)` in one Function (DeZero's `log_softmax(x)`).
///
/// ```
/// use dezero_runtime::{functions::log_softmax, Variable};
/// use ndarray::array;
/// let x = Variable::new(array![[0.0_f64, 0.0], [-1000.0, -1000.0]].into_dyn());
/// let y = log_softmax(&x); // no overflow, no log(0)
/// for &v in y.data().iter() {
///     assert!((v - 0.5_f64.ln()).abs() < 1e-12);
/// }
/// ```
///
/// # Panics
/// If `x` is not 2-dimensional (the message names `log_softmax` and the shape).
pub fn log_softmax<T: Scalar>(x: &Variable<T>) -> Variable<T> {
    rows_of("log_softmax", &x.data());
    apply1(LogSoftmax, &[x])
}
