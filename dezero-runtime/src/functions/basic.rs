//! Basic math: exp, log, sin, cos, tanh (DeZero's first section of
//! `functions.py`), and the helpers that run an elementwise kernel on arrays.

use ndarray::ArrayD;

use crate::arith;
use crate::config::Config;
use crate::function::{apply1, Function};
use crate::kernels;
use crate::scalar::Scalar;
use crate::variable::Variable;

/// Runs an elementwise kernel `k(x, y)` on `x` into a new array of its shape.
pub(crate) fn map_kernel<T: Scalar>(x: &ArrayD<T>, k: impl FnOnce(&[T], &mut [T])) -> ArrayD<T> {
    let x = x.as_standard_layout();
    let mut y = ArrayD::zeros(x.raw_dim());
    k(
        x.as_slice().expect("a standard-layout array is one slice"),
        y.as_slice_mut().expect("a new array is one slice"),
    );
    y
}

/// Runs an elementwise backward kernel `k(a, gy, gx)` into a new array of
/// `a`'s shape.
///
/// # Panics
/// If `a` and `gy` differ in shape; the message names `op` and both shapes.
pub(crate) fn map_kernel2<T: Scalar>(
    op: &str,
    a: &ArrayD<T>,
    gy: &ArrayD<T>,
    k: impl FnOnce(&[T], &[T], &mut [T]),
) -> ArrayD<T> {
    assert_eq!(
        a.shape(),
        gy.shape(),
        "{op}: gradient of shape {:?} for an output of shape {:?}",
        gy.shape(),
        a.shape()
    );
    let a = a.as_standard_layout();
    let gy = gy.as_standard_layout();
    let mut gx = ArrayD::zeros(a.raw_dim());
    k(
        a.as_slice().expect("a standard-layout array is one slice"),
        gy.as_slice().expect("a standard-layout array is one slice"),
        gx.as_slice_mut().expect("a new array is one slice"),
    );
    gx
}

/// Whether the backward pass now running is being recorded
/// (`create_graph`). When it is not, a Function may compute its gradient
/// with its kernel in one pass instead of as a chain of Variable ops; the
/// two are written to round identically.
pub(crate) fn recording() -> bool {
    Config::enable_backprop()
}

/// `c − x` for a constant `c` (DeZero's `rsub`, as in `1 - y`).
pub(crate) fn rsub<T: Scalar>(c: T, x: &Variable<T>) -> Variable<T> {
    arith::sub(&Variable::scalar(c), x)
}

/// `y = eˣ` (DeZero's `Exp`).
pub struct Exp;

impl<T: Scalar> Function<T> for Exp {
    fn name(&self) -> &'static str {
        "Exp"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        vec![xs[0].mapv(T::exp)]
    }
    fn backward(
        &self,
        _xs: &[Variable<T>],
        ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        // gx = gy · y: the output is its own derivative.
        vec![Some(&gys[0] * &ys[0])]
    }
}

/// `eˣ` elementwise (DeZero's `exp`).
///
/// ```
/// use dezero_runtime::{functions::exp, Variable};
/// let x = Variable::scalar(1.0_f64);
/// let y = exp(&x);
/// y.backward();
/// assert_eq!(y.data()[[]], std::f64::consts::E);
/// assert_eq!(x.grad().unwrap().data()[[]], std::f64::consts::E);
/// ```
pub fn exp<T: Scalar>(x: &Variable<T>) -> Variable<T> {
    apply1(Exp, &[x])
}

/// `y = ln x` (DeZero's `Log`).
pub struct Log;

impl<T: Scalar> Function<T> for Log {
    fn name(&self) -> &'static str {
        "Log"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        vec![xs[0].mapv(T::ln)]
    }
    fn backward(
        &self,
        xs: &[Variable<T>],
        _ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        vec![Some(&gys[0] / &xs[0])]
    }
}

/// The natural logarithm elementwise (DeZero's `log`); NaN for negative
/// inputs and −∞ at 0, as NumPy.
///
/// ```
/// use dezero_runtime::{functions::log, Variable};
/// let x = Variable::scalar(4.0_f64);
/// let y = log(&x);
/// y.backward();
/// assert_eq!(y.data()[[]], 4.0_f64.ln());
/// assert_eq!(x.grad().unwrap().data()[[]], 0.25);
/// ```
pub fn log<T: Scalar>(x: &Variable<T>) -> Variable<T> {
    apply1(Log, &[x])
}

/// `y = sin x` (DeZero's `Sin`).
pub struct Sin;

impl<T: Scalar> Function<T> for Sin {
    fn name(&self) -> &'static str {
        "Sin"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        vec![xs[0].mapv(T::sin)]
    }
    fn backward(
        &self,
        xs: &[Variable<T>],
        _ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        vec![Some(&gys[0] * &cos(&xs[0]))]
    }
}

/// The sine elementwise (DeZero's `sin`).
///
/// ```
/// use dezero_runtime::{functions::sin, Variable};
/// let x = Variable::scalar(0.0_f64);
/// let y = sin(&x);
/// y.backward();
/// assert_eq!(y.data()[[]], 0.0);
/// assert_eq!(x.grad().unwrap().data()[[]], 1.0);
/// ```
pub fn sin<T: Scalar>(x: &Variable<T>) -> Variable<T> {
    apply1(Sin, &[x])
}

/// `y = cos x` (DeZero's `Cos`).
pub struct Cos;

impl<T: Scalar> Function<T> for Cos {
    fn name(&self) -> &'static str {
        "Cos"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        vec![xs[0].mapv(T::cos)]
    }
    fn backward(
        &self,
        xs: &[Variable<T>],
        _ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        vec![Some(&gys[0] * &(-sin(&xs[0])))]
    }
}

/// The cosine elementwise (DeZero's `cos`).
///
/// ```
/// use dezero_runtime::{functions::cos, Variable};
/// let x = Variable::scalar(0.0_f64);
/// let y = cos(&x);
/// y.backward();
/// assert_eq!(y.data()[[]], 1.0);
/// assert_eq!(x.grad().unwrap().data()[[]], 0.0);
/// ```
pub fn cos<T: Scalar>(x: &Variable<T>) -> Variable<T> {
    apply1(Cos, &[x])
}

/// `y = tanh x` (DeZero's `Tanh`), computed by [`kernels::tanh`].
pub struct Tanh;

impl<T: Scalar> Function<T> for Tanh {
    fn name(&self) -> &'static str {
        "Tanh"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        vec![map_kernel(xs[0], kernels::tanh)]
    }
    fn backward(
        &self,
        _xs: &[Variable<T>],
        ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        let (y, gy) = (&ys[0], &gys[0]);
        if !recording() {
            let gx = map_kernel2("tanh", &y.data(), &gy.data(), kernels::tanh_backward);
            return vec![Some(Variable::new(gx))];
        }
        // gx = gy · (1 − y²), rounded as the kernel rounds.
        vec![Some(gy * &rsub(T::one(), &(y * y)))]
    }
}

/// The hyperbolic tangent elementwise (DeZero's `tanh`).
///
/// ```
/// use dezero_runtime::{functions::tanh, Variable};
/// let x = Variable::scalar(0.5_f64);
/// let y = tanh(&x);
/// y.backward();
/// let t = 0.5_f64.tanh();
/// assert_eq!(y.data()[[]], t);
/// assert_eq!(x.grad().unwrap().data()[[]], 1.0 - t * t);
/// ```
pub fn tanh<T: Scalar>(x: &Variable<T>) -> Variable<T> {
    apply1(Tanh, &[x])
}
