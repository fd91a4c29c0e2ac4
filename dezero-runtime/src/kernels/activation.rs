//! Elementwise activations and their derivatives.

use super::simd::multiversion;
use crate::scalar::Scalar;

/// `y = tanh(x / 2) / 2 + 1/2`: the logistic sigmoid, computed the way
/// DeZero computes it (numerically stable for large `|x|`).
///
/// ```
/// let x = [0.0_f64, 2.0];
/// let mut y = [0.0; 2];
/// dezero_runtime::kernels::sigmoid(&x, &mut y);
/// assert_eq!(y[0], 0.5);
/// assert!((y[1] - 1.0 / (1.0 + (-2.0_f64).exp())).abs() < 1e-15);
/// ```
///
/// # Panics
/// If `x` and `y` differ in length.
pub fn sigmoid<T: Scalar>(x: &[T], y: &mut [T]) {
    assert_eq!(x.len(), y.len(), "sigmoid: input and output lengths differ");
    sigmoid_dispatch(x, y);
}

multiversion! { fn sigmoid_dispatch<T: Scalar>(x: &[T], y: &mut [T]) => sigmoid_imp }

#[inline(always)]
fn sigmoid_imp<T: Scalar, const FMA: bool>(x: &[T], y: &mut [T]) {
    let half = T::from_f64_lossy(0.5);
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = (xi * half).tanh_k() * half + half;
    }
}

/// In place: `x = sigmoid(x)` (see [`sigmoid`]).
pub fn sigmoid_inplace<T: Scalar>(x: &mut [T]) {
    sigmoid_inplace_dispatch(x);
}

multiversion! { fn sigmoid_inplace_dispatch<T: Scalar>(x: &mut [T]) => sigmoid_inplace_imp }

#[inline(always)]
fn sigmoid_inplace_imp<T: Scalar, const FMA: bool>(x: &mut [T]) {
    let half = T::from_f64_lossy(0.5);
    for xi in x.iter_mut() {
        *xi = (*xi * half).tanh_k() * half + half;
    }
}

/// `gx = gy * y * (1 - y)`: the sigmoid's derivative from its output.
///
/// # Panics
/// If the lengths differ.
pub fn sigmoid_backward<T: Scalar>(y: &[T], gy: &[T], gx: &mut [T]) {
    assert!(
        y.len() == gy.len() && y.len() == gx.len(),
        "sigmoid_backward: lengths differ"
    );
    for ((g, &yi), &gyi) in gx.iter_mut().zip(y).zip(gy) {
        *g = gyi * yi * (T::one() - yi);
    }
}

/// `y = max(x, 0)`.
///
/// # Panics
/// If the lengths differ.
pub fn relu<T: Scalar>(x: &[T], y: &mut [T]) {
    assert_eq!(x.len(), y.len(), "relu: input and output lengths differ");
    for (yi, &xi) in y.iter_mut().zip(x) {
        // NaN passes through, as NumPy's `maximum(x, 0)` does.
        *yi = if xi < T::zero() { T::zero() } else { xi };
    }
}

/// In place: `x = max(x, 0)`.
pub fn relu_inplace<T: Scalar>(x: &mut [T]) {
    for xi in x.iter_mut() {
        if *xi < T::zero() {
            *xi = T::zero();
        }
    }
}

/// `gx = gy * (x > 0)`, where `x` may be the relu's input or its output
/// (both are positive at the same places).
///
/// # Panics
/// If the lengths differ.
pub fn relu_backward<T: Scalar>(x: &[T], gy: &[T], gx: &mut [T]) {
    assert!(
        x.len() == gy.len() && x.len() == gx.len(),
        "relu_backward: lengths differ"
    );
    for ((g, &xi), &gyi) in gx.iter_mut().zip(x).zip(gy) {
        *g = if xi > T::zero() { gyi } else { T::zero() };
    }
}

/// `y = tanh(x)`.
///
/// # Panics
/// If the lengths differ.
pub fn tanh<T: Scalar>(x: &[T], y: &mut [T]) {
    assert_eq!(x.len(), y.len(), "tanh: input and output lengths differ");
    tanh_dispatch(x, y);
}

multiversion! { fn tanh_dispatch<T: Scalar>(x: &[T], y: &mut [T]) => tanh_imp }

#[inline(always)]
fn tanh_imp<T: Scalar, const FMA: bool>(x: &[T], y: &mut [T]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = xi.tanh_k();
    }
}

/// In place: `x = tanh(x)`.
pub fn tanh_inplace<T: Scalar>(x: &mut [T]) {
    tanh_inplace_dispatch(x);
}

multiversion! { fn tanh_inplace_dispatch<T: Scalar>(x: &mut [T]) => tanh_inplace_imp }

#[inline(always)]
fn tanh_inplace_imp<T: Scalar, const FMA: bool>(x: &mut [T]) {
    for xi in x.iter_mut() {
        *xi = xi.tanh_k();
    }
}

/// `gx = gy * (1 - y²)`: tanh's derivative from its output.
///
/// # Panics
/// If the lengths differ.
pub fn tanh_backward<T: Scalar>(y: &[T], gy: &[T], gx: &mut [T]) {
    assert!(
        y.len() == gy.len() && y.len() == gx.len(),
        "tanh_backward: lengths differ"
    );
    for ((g, &yi), &gyi) in gx.iter_mut().zip(y).zip(gy) {
        *g = gyi * (T::one() - yi * yi);
    }
}
