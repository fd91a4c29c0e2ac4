//! The element types arrays may hold: `f32` (the default) and `f64`.

use std::cell::Cell;
use std::fmt::{Debug, Display};

use ndarray::{LinalgScalar, ScalarOperand};
use num_traits::{Float, FromPrimitive};

/// A floating-point element type usable in every array, Variable and kernel.
///
/// Implemented for `f32` (DeZero's default for parameters) and `f64` (NumPy's
/// default, and what gradient checks use).
/// No other type can implement it: its supertrait, the kernels' entry points,
/// is sealed, because the kernels are compiled for exactly these two types
/// inside this crate (so that a crate using them does not compile them
/// again).
///
/// ```
/// use dezero_runtime::Scalar;
/// assert_eq!(<f32 as Scalar>::DTYPE, "float32");
/// assert_eq!(<f64 as Scalar>::from_f64_lossy(0.5), 0.5);
/// ```
pub trait Scalar:
    Float
    + FromPrimitive
    + LinalgScalar
    + ScalarOperand
    + Debug
    + Display
    + Default
    + Send
    + Sync
    + std::iter::Sum
    + std::ops::AddAssign
    + std::ops::SubAssign
    + std::ops::MulAssign
    + std::ops::DivAssign
    + crate::kernels::Kernels
    + 'static
{
    /// NumPy's name for the type (`"float32"`, `"float64"`).
    const DTYPE: &'static str;
    /// Converts an `f64` constant, rounding to the nearest representable value.
    fn from_f64_lossy(v: f64) -> Self;
    /// Widens to `f64` (exact for both types).
    fn to_f64_lossless(self) -> f64;
    /// `tanh(self)` as the kernels compute it: the C library's for `f64`
    /// (so results match NumPy's to the last digit), and for `f32` a
    /// branch-free rational approximation that the compiler vectorises,
    /// within 4 units in the last place of the exact value
    /// (3.4 measured over [-10, 10] in steps of 1e-4).
    fn tanh_k(self) -> Self;
    /// [`tanh_k`](Scalar::tanh_k) evaluated with fused multiply-adds, for
    /// kernels compiled for a processor that has them (the same function,
    /// rounded once per step instead of twice; `f64` is unchanged).
    fn tanh_k_fma(self) -> Self;
    /// Takes this thread's scratch buffer, grown to at least `len` elements
    /// (contents unspecified), for a kernel that needs temporary space (a
    /// packed or transposed operand). Give it back with
    /// [`put_scratch`](Scalar::put_scratch): the buffer keeps the largest
    /// size asked for and is reused, so a warm kernel allocates nothing. A
    /// kernel that takes it while it is out gets a fresh one.
    ///
    /// ```
    /// use dezero_runtime::Scalar;
    /// let buf = f32::take_scratch(8);
    /// assert!(buf.len() >= 8);
    /// f32::put_scratch(buf);
    /// ```
    fn take_scratch(len: usize) -> Vec<Self>;
    /// Gives back a buffer taken with [`take_scratch`](Scalar::take_scratch).
    fn put_scratch(buf: Vec<Self>);
}

thread_local! {
    static SCRATCH_F32: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
    static SCRATCH_F64: Cell<Vec<f64>> = const { Cell::new(Vec::new()) };
}

fn take_buffer<T: Copy + Default>(cell: &Cell<Vec<T>>, len: usize) -> Vec<T> {
    let mut b = cell.take();
    if b.len() < len {
        b.resize(len, T::default());
    }
    b
}

impl Scalar for f32 {
    const DTYPE: &'static str = "float32";
    #[inline]
    fn from_f64_lossy(v: f64) -> Self {
        v as f32
    }
    #[inline]
    fn to_f64_lossless(self) -> f64 {
        f64::from(self)
    }
    #[inline]
    fn tanh_k(self) -> Self {
        tanh_f32::<false>(self)
    }
    #[inline]
    fn tanh_k_fma(self) -> Self {
        tanh_f32::<true>(self)
    }
    fn take_scratch(len: usize) -> Vec<Self> {
        SCRATCH_F32.with(|c| take_buffer(c, len))
    }
    fn put_scratch(buf: Vec<Self>) {
        SCRATCH_F32.with(|c| c.set(buf));
    }
}

/// A [13/6] odd/even rational approximation of tanh on [-7.905, 7.905]
/// (the interval beyond which tanh rounds to ±1 in f32); coefficients from
/// a minimax fit, as used by Eigen's `ptanh` for float. No branches, so a
/// loop over a slice vectorises. With `FMA` the polynomials' steps are fused
/// multiply-adds (about a third fewer instructions).
#[inline(always)]
fn tanh_f32<const FMA: bool>(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    const A1: f32 = 4.893_524_6e-3;
    const A3: f32 = 6.372_619_3e-4;
    const A5: f32 = 1.485_722_4e-5;
    const A7: f32 = 5.122_297e-8;
    const A9: f32 = -8.604_672e-11;
    const A11: f32 = 2.000_188e-13;
    const A13: f32 = -2.760_768_5e-16;
    const B0: f32 = 4.893_525e-3;
    const B2: f32 = 2.268_434_6e-3;
    const B4: f32 = 1.185_347_1e-4;
    const B6: f32 = 1.198_258_4e-6;
    let madd = |a: f32, b: f32, c: f32| if FMA { a.mul_add(b, c) } else { a * b + c };
    let c = x.clamp(-CLAMP, CLAMP);
    let x2 = c * c;
    let mut p = madd(x2, A13, A11);
    p = madd(x2, p, A9);
    p = madd(x2, p, A7);
    p = madd(x2, p, A5);
    p = madd(x2, p, A3);
    p = madd(x2, p, A1);
    p *= c;
    let mut q = madd(x2, B6, B4);
    q = madd(x2, q, B2);
    q = madd(x2, q, B0);
    let r = p / q;
    // For tiny |x| the approximation's relative error grows; tanh(x) = x
    // there. From the clamp on, tanh rounds to ±1 (which the fused form
    // would miss by a few units in the last place).
    if x.abs() < 4e-4 {
        x
    } else if x.abs() >= CLAMP {
        1.0_f32.copysign(x)
    } else {
        r
    }
}

impl Scalar for f64 {
    const DTYPE: &'static str = "float64";
    #[inline]
    fn from_f64_lossy(v: f64) -> Self {
        v
    }
    #[inline]
    fn to_f64_lossless(self) -> f64 {
        self
    }
    #[inline]
    fn tanh_k(self) -> Self {
        self.tanh()
    }
    #[inline]
    fn tanh_k_fma(self) -> Self {
        self.tanh()
    }
    fn take_scratch(len: usize) -> Vec<Self> {
        SCRATCH_F64.with(|c| take_buffer(c, len))
    }
    fn put_scratch(buf: Vec<Self>) {
        SCRATCH_F64.with(|c| c.set(buf));
    }
}

#[cfg(test)]
mod tests {
    use super::tanh_f32;

    /// The f32 tanh, with and without fused multiply-adds, is within 4 ulp
    /// of the exact (f64) value everywhere it matters, and saturates to ±1
    /// outside.
    #[test]
    fn f32_tanh_is_accurate() {
        fn check(tanh: fn(f32) -> f32) {
            let mut worst = 0.0_f64;
            // Every 1e-4, except under Miri, where that takes over a
            // minute: every 1e-2 there, with the same bound.
            let step = if cfg!(miri) { 1.0e-2 } else { 1.0e-4 };
            let mut x = -10.0_f32;
            while x <= 10.0 {
                let exact = f64::from(x).tanh();
                let got = f64::from(tanh(x));
                let ulp = f64::from(f32::EPSILON) * exact.abs().max(f64::from(f32::MIN_POSITIVE));
                worst = worst.max((got - exact).abs() / ulp);
                x += step;
            }
            assert!(worst <= 4.0, "worst error {worst} ulp");
            assert_eq!(tanh(20.0), 1.0);
            assert_eq!(tanh(-20.0), -1.0);
            assert_eq!(tanh(0.0), 0.0);
            assert!(tanh(f32::NAN).is_nan());
        }
        check(tanh_f32::<false>);
        check(tanh_f32::<true>);
    }
}
