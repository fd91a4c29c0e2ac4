//! Elementwise activations and their derivatives.
//!
//! Each activation and each derivative is written once, as a scalar
//! function ([`sigmoid_k`], [`sigmoid_grad`], ...); the slice kernels below
//! and the store pass of the matrix product (which applies them to a block
//! while it is still in cache) are generated from those, so a fused and an
//! unfused evaluation give the same numbers.

use super::simd::multiversion;
use crate::scalar::Scalar;

/// An elementwise activation that a product's store pass can apply.
///
/// ```
/// use dezero_runtime::kernels::Activation;
/// let mut y = [-1.0_f64, 2.0];
/// dezero_runtime::kernels::activation_inplace(Activation::Relu, &mut y);
/// assert_eq!(y, [0.0, 2.0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// The logistic sigmoid, [`sigmoid`].
    Sigmoid,
    /// `max(x, 0)`, [`relu`].
    Relu,
    /// The hyperbolic tangent, [`tanh`].
    Tanh,
}

/// The logistic sigmoid of one value, as every kernel computes it:
/// `tanh(x / 2) / 2 + 1/2` (DeZero's formula, stable for large `|x|`);
/// `FMA` as the calling kernel was compiled.
#[inline(always)]
pub(crate) fn sigmoid_k<T: Scalar, const FMA: bool>(x: T) -> T {
    let half = T::from_f64_lossy(0.5);
    tanh_k::<T, FMA>(x * half) * half + half
}

/// relu of one value. NaN passes through, as NumPy's `maximum(x, 0)` does.
#[inline(always)]
pub(crate) fn relu_k<T: Scalar, const FMA: bool>(x: T) -> T {
    if x < T::zero() {
        T::zero()
    } else {
        x
    }
}

/// The derivative of sigmoid applied to a gradient, from the output `y`:
/// `gy · y · (1 − y)`.
#[inline(always)]
pub(crate) fn sigmoid_grad<T: Scalar>(y: T, gy: T) -> T {
    gy * y * (T::one() - y)
}

/// The derivative of relu applied to a gradient, from its input or its
/// output (both are positive at the same places): `gy · (x > 0)`.
#[inline(always)]
pub(crate) fn relu_grad<T: Scalar>(x: T, gy: T) -> T {
    if x > T::zero() {
        gy
    } else {
        T::zero()
    }
}

/// The derivative of tanh applied to a gradient, from the output `y`:
/// `gy · (1 − y²)`.
#[inline(always)]
pub(crate) fn tanh_grad<T: Scalar>(y: T, gy: T) -> T {
    gy * (T::one() - y * y)
}

/// tanh of one value (the element type's kernel form); `FMA` as the
/// calling kernel was compiled.
#[inline(always)]
pub(crate) fn tanh_k<T: Scalar, const FMA: bool>(x: T) -> T {
    if FMA {
        x.tanh_k_fma()
    } else {
        x.tanh_k()
    }
}

/// Runs `$body` with `$f` bound to the scalar function of the activation
/// `$act` (for element type `$T`, fused multiply-adds if `$FMA`) and `$g`
/// to its derivative (`$g(saved, gy)`), as function items, so that a loop
/// in `$body` is compiled once per activation with the function inlined.
macro_rules! with_activation {
    ($act:expr, $T:ty, $FMA:expr, |$f:ident, $g:ident| $body:expr) => {
        match $act {
            $crate::kernels::Activation::Sigmoid => {
                let ($f, $g) = (
                    $crate::kernels::activation::sigmoid_k::<$T, $FMA>,
                    $crate::kernels::activation::sigmoid_grad::<$T>,
                );
                $body
            }
            $crate::kernels::Activation::Relu => {
                let ($f, $g) = (
                    $crate::kernels::activation::relu_k::<$T, $FMA>,
                    $crate::kernels::activation::relu_grad::<$T>,
                );
                $body
            }
            $crate::kernels::Activation::Tanh => {
                let ($f, $g) = (
                    $crate::kernels::activation::tanh_k::<$T, $FMA>,
                    $crate::kernels::activation::tanh_grad::<$T>,
                );
                $body
            }
        }
    };
}

pub(crate) use with_activation;

/// `x = act(x)`, inlined into the caller (a kernel already compiled for
/// the processor's instruction set). Plain `for` loops: a closure passed to
/// an iterator adapter may be compiled out of line, without the caller's
/// instruction set (measured: a sigmoid 4× slower that way).
#[inline(always)]
pub(crate) fn act_inplace_imp<T: Scalar, const FMA: bool>(act: Activation, x: &mut [T]) {
    with_activation!(act, T, FMA, |f, _g| {
        for v in x.iter_mut() {
            *v = f(*v);
        }
    })
}

/// `g = act'(saved) ∘ g`, inlined into the caller; `saved` is the
/// activation's output (its input for relu, which gives the same mask).
#[inline(always)]
pub(crate) fn act_grad_inplace_imp<T: Scalar>(act: Activation, saved: &[T], g: &mut [T]) {
    with_activation!(act, T, false, |_f, d| {
        for (gi, &s) in g.iter_mut().zip(saved) {
            *gi = d(s, *gi);
        }
    })
}

/// In place: `x = act(x)`.
pub fn activation_inplace<T: Scalar>(act: Activation, x: &mut [T]) {
    T::act_dispatch(act, x);
}

multiversion! { pub(super) fn act_dispatch<T: Scalar>(act: Activation, x: &mut [T]) => act_imp }

#[inline(always)]
fn act_imp<T: Scalar, const FMA: bool>(act: Activation, x: &mut [T]) {
    act_inplace_imp::<T, FMA>(act, x);
}

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
    T::sigmoid_dispatch(x, y);
}

multiversion! { pub(super) fn sigmoid_dispatch<T: Scalar>(x: &[T], y: &mut [T]) => sigmoid_imp }

#[inline(always)]
fn sigmoid_imp<T: Scalar, const FMA: bool>(x: &[T], y: &mut [T]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = sigmoid_k::<T, FMA>(xi);
    }
}

/// In place: `x = sigmoid(x)` (see [`sigmoid`]).
pub fn sigmoid_inplace<T: Scalar>(x: &mut [T]) {
    activation_inplace(Activation::Sigmoid, x);
}

/// `y = max(x, 0)`.
///
/// # Panics
/// If the lengths differ.
pub fn relu<T: Scalar>(x: &[T], y: &mut [T]) {
    assert_eq!(x.len(), y.len(), "relu: input and output lengths differ");
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = relu_k::<T, false>(xi);
    }
}

/// In place: `x = max(x, 0)`.
pub fn relu_inplace<T: Scalar>(x: &mut [T]) {
    act_inplace_imp::<T, false>(Activation::Relu, x);
}

/// `y = tanh(x)`.
///
/// # Panics
/// If the lengths differ.
pub fn tanh<T: Scalar>(x: &[T], y: &mut [T]) {
    assert_eq!(x.len(), y.len(), "tanh: input and output lengths differ");
    T::tanh_dispatch(x, y);
}

multiversion! { pub(super) fn tanh_dispatch<T: Scalar>(x: &[T], y: &mut [T]) => tanh_imp }

#[inline(always)]
fn tanh_imp<T: Scalar, const FMA: bool>(x: &[T], y: &mut [T]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = tanh_k::<T, FMA>(xi);
    }
}

/// In place: `x = tanh(x)`.
pub fn tanh_inplace<T: Scalar>(x: &mut [T]) {
    activation_inplace(Activation::Tanh, x);
}

/// Defines the three ways a backward pass writes an activation's input
/// gradient — overwrite, accumulate, in place over the output gradient —
/// from the one derivative above, so the formula exists once.
macro_rules! backward_kernels {
    ($what:literal, $act:ident, $grad:ident, $backward:ident, $acc:ident, $inplace:ident, $saved:literal) => {
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
            act_grad_inplace_imp(Activation::$act, saved, g);
        }
    };
}

backward_kernels!(
    "gy · y · (1 − y)",
    Sigmoid,
    sigmoid_grad,
    sigmoid_backward,
    sigmoid_backward_acc,
    sigmoid_backward_inplace,
    "y"
);
backward_kernels!(
    "gy · (x > 0)",
    Relu,
    relu_grad,
    relu_backward,
    relu_backward_acc,
    relu_backward_inplace,
    "x"
);
backward_kernels!(
    "gy · (1 − y²)",
    Tanh,
    tanh_grad,
    tanh_backward,
    tanh_backward_acc,
    tanh_backward_inplace,
    "y"
);
