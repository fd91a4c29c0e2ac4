//! The element types arrays may hold: `f32` (the default) and `f64`.

use std::fmt::{Debug, Display};

use ndarray::{LinalgScalar, ScalarOperand};
use num_traits::{Float, FromPrimitive};

/// A floating-point element type usable in every array, Variable and kernel.
///
/// Implemented for `f32` (DeZero's default for parameters) and `f64` (NumPy's
/// default, and what gradient checks use).
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
    /// Runs `f` on a per-thread scratch buffer of at least `len` elements
    /// (contents unspecified). The buffer grows to the largest size asked
    /// for and is then reused, so kernels that need temporary space (a
    /// transposed operand) allocate nothing once warm.
    ///
    /// # Panics
    /// If called again from inside `f` on the same thread.
    fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R;
}

thread_local! {
    static SCRATCH_F32: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
    static SCRATCH_F64: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn with_buffer<T: Copy + Default, R>(
    buf: &std::cell::RefCell<Vec<T>>,
    len: usize,
    f: impl FnOnce(&mut [T]) -> R,
) -> R {
    let mut b = buf.borrow_mut();
    if b.len() < len {
        b.resize(len, T::default());
    }
    f(&mut b[..len])
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
        tanh_f32(self)
    }
    fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R {
        SCRATCH_F32.with(|b| with_buffer(b, len, f))
    }
}

/// A [13/6] odd/even rational approximation of tanh on [-7.905, 7.905]
/// (the interval beyond which tanh rounds to ±1 in f32); coefficients from
/// a minimax fit, as used by Eigen's `ptanh` for float. No branches, so a
/// loop over a slice vectorises.
#[inline(always)]
fn tanh_f32(x: f32) -> f32 {
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
    let c = x.clamp(-CLAMP, CLAMP);
    let x2 = c * c;
    let mut p = x2 * A13 + A11;
    p = x2 * p + A9;
    p = x2 * p + A7;
    p = x2 * p + A5;
    p = x2 * p + A3;
    p = x2 * p + A1;
    p *= c;
    let mut q = x2 * B6 + B4;
    q = x2 * q + B2;
    q = x2 * q + B0;
    let r = p / q;
    // For tiny |x| the approximation's relative error grows; tanh(x) = x there.
    if x.abs() < 4e-4 {
        x
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
    fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R {
        SCRATCH_F64.with(|b| with_buffer(b, len, f))
    }
}

#[cfg(test)]
mod tests {
    use super::tanh_f32;

    /// The f32 tanh is within 4 ulp of the exact (f64) value everywhere it
    /// matters, and saturates to ±1 outside.
    #[test]
    fn f32_tanh_is_accurate() {
        let mut worst = 0.0_f64;
        let mut x = -10.0_f32;
        while x <= 10.0 {
            let exact = f64::from(x).tanh();
            let got = f64::from(tanh_f32(x));
            let ulp = f64::from(f32::EPSILON) * exact.abs().max(f64::from(f32::MIN_POSITIVE));
            worst = worst.max((got - exact).abs() / ulp);
            x += 1.0e-4;
        }
        assert!(worst <= 4.0, "worst error {worst} ulp");
        assert_eq!(tanh_f32(20.0), 1.0);
        assert_eq!(tanh_f32(-20.0), -1.0);
        assert_eq!(tanh_f32(0.0), 0.0);
        assert!(tanh_f32(f32::NAN).is_nan());
    }
}
