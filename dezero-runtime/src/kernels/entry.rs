//! The kernels' heavy routines compiled once, here, for `f32` and `f64`.
//!
//! Rust compiles a generic function in the crate that instantiates it, and
//! optimised builds do not share those instances between crates: a generic
//! kernel called from a user's crate (through code `model!` generated, or a
//! define-by-run Function) would be compiled again in that crate, each of
//! its instruction-set copies ([`multiversion!`](super::simd)) included,
//! on every rebuild of the user's code. [`Kernels`] is implemented for the
//! two element types in this crate, and the generic kernels reach their
//! heavy parts only through it, so a user's crate compiles calls, not
//! kernels.
//!
//! The trait is sealed (it lives in a private module) and a supertrait of
//! [`Scalar`](crate::Scalar); nothing outside the kernels calls it.

use super::activation::Activation;
use super::product::{Operand, Store};

/// Declares [`Kernels`] from a list of `fn name(args) = path;` entries and
/// implements it for `f32` and `f64`, each method forwarding to `path`
/// instantiated for that type. The entries write the element type `Self`.
macro_rules! entry_points {
    ($(
        $(#[$meta:meta])*
        fn $name:ident($($arg:ident: $ty:ty),* $(,)?) = $imp:path;
    )*) => {
        /// The heavy kernel routines, compiled once in this crate for each
        /// element type (see the [module](self) documentation).
        pub trait Kernels: Sized {
            $(
                $(#[$meta])*
                fn $name($($arg: $ty),*);
            )*
        }

        impl Kernels for f32 {
            $(
                #[allow(clippy::too_many_arguments, reason = "the kernel's own")]
                fn $name($($arg: $ty),*) {
                    $imp($($arg),*)
                }
            )*
        }

        impl Kernels for f64 {
            $(
                #[allow(clippy::too_many_arguments, reason = "the kernel's own")]
                fn $name($($arg: $ty),*) {
                    $imp($($arg),*)
                }
            )*
        }
    };
}

entry_points! {
    /// `C (=|+=) A·B` with its store pass: every matrix product of both
    /// paths ([`product`](super::product)).
    #[allow(clippy::too_many_arguments, reason = "a BLAS-style signature")]
    fn product(
        m: usize,
        k: usize,
        n: usize,
        a: Operand<'_, Self>,
        b: Operand<'_, Self>,
        c: &mut [Self],
        store: Store<'_, Self>,
    ) = super::product::product_imp;
    /// `x = act(x)`, for the processor's instruction set.
    fn act_dispatch(act: Activation, x: &mut [Self]) = super::activation::act_dispatch;
    /// `y = sigmoid(x)`, for the processor's instruction set.
    fn sigmoid_dispatch(x: &[Self], y: &mut [Self]) = super::activation::sigmoid_dispatch;
    /// `y = tanh(x)`, for the processor's instruction set.
    fn tanh_dispatch(x: &[Self], y: &mut [Self]) = super::activation::tanh_dispatch;
    /// Column sums of wide rows, for the processor's instruction set.
    fn sum_rows_dispatch(n: usize, x: &[Self], out: &mut [Self], acc: bool)
        = super::dense::sum_rows_dispatch;
    /// `w -= lr·g`, for the processor's instruction set.
    fn sgd_dispatch(lr: Self, g: &[Self], w: &mut [Self]) = super::elementwise::sgd_dispatch;
}
