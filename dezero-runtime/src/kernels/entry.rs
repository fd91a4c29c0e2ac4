//! The kernels' heavy routines compiled once, here, for `f32` and `f64`.
//!
//! Rust compiles a generic function in the crate that instantiates it, and
//! optimised builds do not share those instances between crates: a generic
//! kernel called from a user's crate (through code `model!` generated, or a
//! define-by-run Function) would be compiled again in that crate, each of
//! its instruction-set copies ([`multiversion!`](super::simd)) included,
//! on every rebuild of the user's code. [`Kernels`] is implemented for the
//! two element types in this crate. The generic kernels reach their heavy
//! parts only through it, and so do the public kernels that generated code
//! calls (whose length checks and panic messages would otherwise be
//! compiled into every pass): a user's crate compiles calls, not kernels.
//!
//! The trait is sealed (it lives in a private module) and a supertrait of
//! [`Scalar`](crate::Scalar); nothing outside the kernels calls it.

use super::activation::Activation;
use super::product::{Operand, Store};
use ndarray::{ArrayView2, ArrayViewMut2};

/// Declares [`Kernels`] from a list of `fn name(args) = path;` entries and
/// implements it for `f32` and `f64`, each method forwarding to `path`
/// instantiated for that type. The entries write the element type `Self`.
macro_rules! entry_points {
    ($(
        $(#[$meta:meta])*
        fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? = $imp:path;
    )*) => {
        /// The heavy kernel routines, compiled once in this crate for each
        /// element type (see the [module](self) documentation).
        #[allow(clippy::too_many_arguments, reason = "the kernels' BLAS-style signatures")]
        pub trait Kernels: Sized {
            $(
                $(#[$meta])*
                fn $name($($arg: $ty),*) $(-> $ret)?;
            )*
        }

        impl Kernels for f32 {
            $(
                #[allow(clippy::too_many_arguments, reason = "the kernel's own")]
                fn $name($($arg: $ty),*) $(-> $ret)? {
                    $imp($($arg),*)
                }
            )*
        }

        impl Kernels for f64 {
            $(
                #[allow(clippy::too_many_arguments, reason = "the kernel's own")]
                fn $name($($arg: $ty),*) $(-> $ret)? {
                    $imp($($arg),*)
                }
            )*
        }
    };
}

entry_points! {
    /// `C (=|+=) A·B` with its store pass: every matrix product of both
    /// paths ([`product`](super::product)).
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
    // The public kernels `model!`'s generated code and the optimizers call,
    // their checks and messages included.
    /// [`affine_act_rows`](super::affine_act_rows).
    fn affine_act_rows(m: usize, k: usize, n: usize, x: &[Self], w: &[Self], b: Option<&[Self]>, act: Option<Activation>, y: &mut [Self]) = super::dense::affine_act_rows_imp;
    /// [`matmul_nt`](super::matmul_nt).
    fn matmul_nt(m: usize, n: usize, k: usize, a: &[Self], b: &[Self], c: &mut [Self], acc: bool) = super::dense::matmul_nt_imp;
    /// [`matmul_nt_act_grad`](super::matmul_nt_act_grad).
    fn matmul_nt_act_grad(m: usize, n: usize, k: usize, a: &[Self], b: &[Self], act: Activation, saved: &[Self], c: &mut [Self]) = super::dense::matmul_nt_act_grad_imp;
    /// [`matmul_tn`](super::matmul_tn).
    fn matmul_tn(m: usize, k: usize, n: usize, a: &[Self], b: &[Self], c: &mut [Self], acc: bool) = super::dense::matmul_tn_imp;
    /// [`sum_rows_into`](super::sum_rows_into).
    fn sum_rows_into(m: usize, n: usize, x: &[Self], out: &mut [Self], acc: bool) = super::dense::sum_rows_into_imp;
    /// [`add_into`](super::add_into).
    fn add_into(a: &[Self], b: &[Self], y: &mut [Self]) = super::elementwise::add_into_imp;
    /// [`sub_into`](super::sub_into).
    fn sub_into(a: &[Self], b: &[Self], y: &mut [Self]) = super::elementwise::sub_into_imp;
    /// [`mul_into`](super::mul_into).
    fn mul_into(a: &[Self], b: &[Self], y: &mut [Self], acc: bool) = super::elementwise::mul_into_imp;
    /// [`copy_into`](super::copy_into).
    fn copy_into(x: &[Self], y: &mut [Self], neg: bool, acc: bool) = super::elementwise::copy_into_imp;
    /// [`sgd_step`](super::sgd_step).
    fn sgd_step(lr: Self, g: &[Self], w: &mut [Self]) = super::elementwise::sgd_step_imp;
    /// [`mean_squared_error_rows`](super::mean_squared_error_rows).
    fn mean_squared_error_rows(rows: usize, y: &[Self], t: ArrayView2<'_, Self>, g: Option<&mut [Self]>) -> Self = super::loss::mean_squared_error_rows_imp;
    /// [`softmax_cross_entropy_over`](super::softmax_cross_entropy_over).
    fn softmax_cross_entropy_over(rows: usize, x: ArrayView2<'_, Self>, t: &[usize], p: ArrayViewMut2<'_, Self>) -> Self = super::loss::softmax_cross_entropy_over_imp;
    /// [`softmax_cross_entropy_backward_inplace_over`](super::softmax_cross_entropy_backward_inplace_over).
    fn softmax_cross_entropy_backward_inplace_over(rows: usize, c: usize, t: &[usize], gy: Self, p: &mut [Self]) = super::loss::softmax_cross_entropy_backward_inplace_over_imp;
    /// [`accuracy_rows`](super::accuracy_rows).
    fn accuracy_rows(y: ArrayView2<'_, Self>, t: &[usize]) -> Self = super::loss::accuracy_rows_imp;
}
