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
}
