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

/// The derivative of sigmoid applied to a gradient, from the output `y`:
/// `gy · y · (1 − y)`.
#[inline(always)]
fn sigmoid_grad<T: Scalar>(y: T, gy: T) -> T {
    gy * y * (T::one() - y)
}

/// The derivative of relu applied to a gradient, from its input or its
/// output (both are positive at the same places): `gy · (x > 0)`.
#[inline(always)]
fn relu_grad<T: Scalar>(x: T, gy: T) -> T {
    if x > T::zero() {
        gy
    } else {
        T::zero()
    }
}

/// The derivative of tanh applied to a gradient, from the output `y`:
/// `gy · (1 − y²)`.
#[inline(always)]
fn tanh_grad<T: Scalar>(y: T, gy: T) -> T {
    gy * (T::one() - y * y)
}

/// Defines the three ways a backward pass writes an activation's input
/// gradient — overwrite, accumulate, in place over the output gradient —
/// from the one derivative above, so the formula exists once.
macro_rules! backward_kernels {
    ($what:literal, $grad:ident, $backward:ident, $acc:ident, $inplace:ident, $saved:literal) => {
        #[doc = concat!("`gx = ", $what, "` elementwise, where `", $saved, "` is the value the")]
        #[doc = "forward pass saved."]
        ///
        /// # Panics
        /// If the lengths differ.
        pub fn $backward<T: Scalar>(saved: &[T], gy: &[T], gx: &mut [T]) {
            assert!(
                saved.len() == gy.len() && saved.len() == gx.len(),
                concat!(stringify!($backward), ": lengths differ")
            );
            for ((g, &s), &gyi) in gx.iter_mut().zip(saved).zip(gy) {
                *g = $grad(s, gyi);
            }
        }

        #[doc = concat!("`gx += ", $what, "`: the accumulating form of [`", stringify!($backward), "`]")]
        #[doc = "(gradients add up where a value feeds several ops)."]
        ///
        /// # Panics
        /// If the lengths differ.
        pub fn $acc<T: Scalar>(saved: &[T], gy: &[T], gx: &mut [T]) {
            assert!(
                saved.len() == gy.len() && saved.len() == gx.len(),
                concat!(stringify!($acc), ": lengths differ")
            );
            for ((g, &s), &gyi) in gx.iter_mut().zip(saved).zip(gy) {
                *g += $grad(s, gyi);
            }
        }

        #[doc = concat!("In place: `g = ", $what, "` with `gy` read from and written to `g`:")]
        #[doc = concat!("the in-place form of [`", stringify!($backward), "`].")]
        ///
        /// # Panics
        /// If the lengths differ.
        pub fn $inplace<T: Scalar>(saved: &[T], g: &mut [T]) {
            assert_eq!(
                saved.len(),
                g.len(),
                concat!(stringify!($inplace), ": lengths differ")
            );
            for (gi, &s) in g.iter_mut().zip(saved) {
                *gi = $grad(s, *gi);
            }
        }
    };
}

backward_kernels!(
    "gy · y · (1 − y)",
    sigmoid_grad,
    sigmoid_backward,
    sigmoid_backward_acc,
    sigmoid_backward_inplace,
    "y"
);
backward_kernels!(
    "gy · (x > 0)",
    relu_grad,
    relu_backward,
    relu_backward_acc,
    relu_backward_inplace,
    "x"
);
backward_kernels!(
    "gy · (1 − y²)",
    tanh_grad,
    tanh_backward,
    tanh_backward_acc,
    tanh_backward_inplace,
    "y"
);
