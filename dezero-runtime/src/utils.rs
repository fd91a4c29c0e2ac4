//! Gradient checking against numerical differentiation (DeZero's
//! `utils.numerical_grad`, `utils.gradient_check`, `utils.array_allclose`).
//!
//! These work in `f64`, as DeZero's do (it casts the input to float64 before
//! checking).

use std::fmt;

use ndarray::{ArrayD, Dimension};

use crate::error::{Error, Result};
use crate::variable::Variable;

/// The step DeZero's `numerical_grad` uses.
pub const EPS: f64 = 1e-4;
/// The relative tolerance of DeZero's `gradient_check`.
pub const RTOL: f64 = 1e-4;
/// The absolute tolerance of DeZero's `gradient_check`.
pub const ATOL: f64 = 1e-5;

/// NumPy's `allclose(a, b, rtol, atol)`: same shape and `|a − b| ≤ atol +
/// rtol·|b|` everywhere (`b` is the reference; NaNs are never close).
///
/// ```
/// use dezero_runtime::utils::array_allclose;
/// use ndarray::arr1;
/// let a = arr1(&[1.0, 2.0]).into_dyn();
/// assert!(array_allclose(&a, &arr1(&[1.0, 2.00001]).into_dyn(), 1e-4, 1e-5));
/// assert!(!array_allclose(&a, &arr1(&[1.0, 2.1]).into_dyn(), 1e-4, 1e-5));
/// ```
pub fn array_allclose(a: &ArrayD<f64>, b: &ArrayD<f64>, rtol: f64, atol: f64) -> bool {
    a.shape() == b.shape()
        && a.iter()
            .zip(b)
            .all(|(&x, &y)| (x - y).abs() <= atol + rtol * y.abs())
}

/// Runs `f` on fresh leaf Variables made from `xs`. The graph is recorded,
/// as in DeZero, so that `f` may itself call `backward` (to check a
/// gradient's own gradient).
fn eval<F>(f: &mut F, xs: &[ArrayD<f64>]) -> ArrayD<f64>
where
    F: FnMut(&[Variable<f64>]) -> Variable<f64>,
{
    let vars: Vec<Variable<f64>> = xs.iter().cloned().map(Variable::new).collect();
    f(&vars).to_array()
}

/// The numerical gradient of `sum(f(x))` with respect to each input, by
/// central differences with step [`EPS`] (DeZero's `numerical_grad`, for
/// several inputs). `f` is called twice per element of every input, each
/// time on fresh leaf Variables.
///
/// ```
/// use dezero_runtime::utils::numerical_grads;
/// use ndarray::arr1;
/// let (a, b) = (arr1(&[2.0]).into_dyn(), arr1(&[3.0]).into_dyn());
/// let g = numerical_grads(|xs| &xs[0] * &xs[1], &[a, b]);
/// assert!((g[0][[0]] - 3.0).abs() < 1e-8 && (g[1][[0]] - 2.0).abs() < 1e-8);
/// ```
pub fn numerical_grads<F>(mut f: F, xs: &[ArrayD<f64>]) -> Vec<ArrayD<f64>>
where
    F: FnMut(&[Variable<f64>]) -> Variable<f64>,
{
    // Standard layout, so that memory order is the logical (row-major) order.
    let mut xs: Vec<ArrayD<f64>> = xs
        .iter()
        .map(|x| x.as_standard_layout().into_owned())
        .collect();
    let mut grads = Vec::with_capacity(xs.len());
    for k in 0..xs.len() {
        let mut grad = ArrayD::zeros(xs[k].raw_dim());
        for i in 0..grad.len() {
            let tmp = elems(&mut xs[k])[i];
            elems(&mut xs[k])[i] = tmp + EPS;
            let y1 = eval(&mut f, &xs);
            elems(&mut xs[k])[i] = tmp - EPS;
            let y2 = eval(&mut f, &xs);
            elems(&mut xs[k])[i] = tmp;
            // DeZero's `(y1 - y2).sum() / (2 * eps)`.
            let diff = (&y1 - &y2).sum();
            elems(&mut grad)[i] = diff / (2.0 * EPS);
        }
        grads.push(grad);
    }
    grads
}

/// The elements of a standard-layout array as a slice.
fn elems(a: &mut ArrayD<f64>) -> &mut [f64] {
    a.as_slice_mut()
        .expect("arrays here are in standard layout")
}

/// The numerical gradient of `sum(f(x))` with respect to `x`, by central
/// differences with step [`EPS`] (DeZero's `numerical_grad`).
///
/// ```
/// use dezero_runtime::{functions::sin, utils::numerical_grad};
/// let x = ndarray::arr1(&[0.5]).into_dyn();
/// let g = numerical_grad(sin, &x);
/// assert!((g[[0]] - 0.5_f64.cos()).abs() < 1e-8);
/// ```
pub fn numerical_grad<F>(mut f: F, x: &ArrayD<f64>) -> ArrayD<f64>
where
    F: FnMut(&Variable<f64>) -> Variable<f64>,
{
    let mut grads = numerical_grads(|xs| f(&xs[0]), std::slice::from_ref(x));
    grads.pop().expect("one input gives one gradient")
}

/// Why a gradient check failed (the detail of [`Error::Gradient`]): which
/// input, and both gradients; its message names the element furthest
/// outside the tolerance.
#[derive(Debug, Clone, PartialEq)]
pub struct GradientMismatch {
    /// The position of the input among `f`'s inputs.
    pub input: usize,
    /// The numerical gradient of that input.
    pub numerical: ArrayD<f64>,
    /// The gradient backprop gave, or `None` if the input got none.
    pub backprop: Option<ArrayD<f64>>,
    /// The relative tolerance used.
    pub rtol: f64,
    /// The absolute tolerance used.
    pub atol: f64,
}

impl fmt::Display for GradientMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = self.input;
        let Some(bp) = &self.backprop else {
            return write!(f, "gradient check: input {i} got no gradient from backward");
        };
        if bp.shape() != self.numerical.shape() {
            return write!(
                f,
                "gradient check: input {i}: backprop gradient has shape {:?}, numerical {:?}",
                bp.shape(),
                self.numerical.shape()
            );
        }
        // Report the element that exceeds its tolerance by the most.
        let worst = self
            .numerical
            .indexed_iter()
            .zip(bp.iter())
            .map(|((idx, &n), &b)| (idx, n, b, (n - b).abs() - (self.atol + self.rtol * b.abs())))
            .max_by(|p, q| p.3.total_cmp(&q.3));
        match worst {
            Some((idx, n, b, _)) => write!(
                f,
                "gradient check: input {i} at {:?}: backprop {b:e}, numerical {n:e} (rtol {:e}, atol {:e})",
                idx.slice(),
                self.rtol,
                self.atol
            ),
            None => write!(f, "gradient check: input {i} failed"),
        }
    }
}

impl std::error::Error for GradientMismatch {}

/// Checks the backprop gradients of `f` at `xs` against numerical ones,
/// with DeZero's tolerances ([`RTOL`], [`ATOL`]); the several-input version
/// of [`gradient_check`].
///
/// ```
/// use dezero_runtime::utils::gradient_check_multi;
/// use ndarray::{arr1, arr2};
/// let x0 = arr2(&[[1.0, 2.0], [3.0, 4.0]]).into_dyn();
/// let x1 = arr1(&[0.5, -1.5]).into_dyn(); // broadcast over rows
/// gradient_check_multi(|xs| &xs[0] * &xs[1], &[x0, x1]).unwrap();
/// ```
///
/// # Errors
/// [`Error::Gradient`] with a [`GradientMismatch`] for the first input
/// whose gradient is missing, has the wrong shape, or is not close to the
/// numerical one.
pub fn gradient_check_multi<F>(f: F, xs: &[ArrayD<f64>]) -> Result<()>
where
    F: FnMut(&[Variable<f64>]) -> Variable<f64>,
{
    gradient_check_multi_with(f, xs, RTOL, ATOL)
}

/// [`gradient_check_multi`] with explicit tolerances.
///
/// # Errors
/// As [`gradient_check_multi`].
pub fn gradient_check_multi_with<F>(
    mut f: F,
    xs: &[ArrayD<f64>],
    rtol: f64,
    atol: f64,
) -> Result<()>
where
    F: FnMut(&[Variable<f64>]) -> Variable<f64>,
{
    let numerical = numerical_grads(&mut f, xs);
    let vars: Vec<Variable<f64>> = xs.iter().cloned().map(Variable::new).collect();
    f(&vars).backward();
    for (input, (x, num)) in vars.iter().zip(numerical).enumerate() {
        let backprop = x.grad().map(|g| g.to_array());
        let ok = backprop
            .as_ref()
            .is_some_and(|bp| array_allclose(&num, bp, rtol, atol));
        if !ok {
            return Err(Error::Gradient(Box::new(GradientMismatch {
                input,
                numerical: num,
                backprop,
                rtol,
                atol,
            })));
        }
    }
    Ok(())
}

/// Checks the backprop gradient of `sum(f(x))` at `x` against the numerical
/// one, with DeZero's tolerances ([`RTOL`], [`ATOL`]) (DeZero's
/// `gradient_check`).
///
/// ```
/// use dezero_runtime::{functions::tanh, utils::gradient_check};
/// let x = ndarray::arr2(&[[0.1, -0.7, 1.3], [2.0, -0.2, 0.5]]).into_dyn();
/// gradient_check(tanh, &x).unwrap();
/// ```
///
/// # Errors
/// [`Error::Gradient`] with a [`GradientMismatch`] if `x` gets no gradient,
/// or one of the wrong shape, or one not close to the numerical gradient.
pub fn gradient_check<F>(f: F, x: &ArrayD<f64>) -> Result<()>
where
    F: FnMut(&Variable<f64>) -> Variable<f64>,
{
    gradient_check_with(f, x, RTOL, ATOL)
}

/// [`gradient_check`] with explicit tolerances.
///
/// # Errors
/// As [`gradient_check`].
pub fn gradient_check_with<F>(mut f: F, x: &ArrayD<f64>, rtol: f64, atol: f64) -> Result<()>
where
    F: FnMut(&Variable<f64>) -> Variable<f64>,
{
    gradient_check_multi_with(|xs| f(&xs[0]), std::slice::from_ref(x), rtol, atol)
}
