//! Clipping values into a range (DeZero's `Clip`).

use ndarray::ArrayD;

use crate::function::{apply1, Function};
use crate::scalar::Scalar;
use crate::variable::Variable;

/// `y = min(max(x, x_min), x_max)` elementwise (DeZero's `Clip`, NumPy's
/// `clip`). The gradient passes where `x_min ≤ x ≤ x_max` and is 0 elsewhere.
pub struct Clip<T> {
    /// The lower bound.
    pub x_min: T,
    /// The upper bound.
    pub x_max: T,
}

impl<T: Scalar> Function<T> for Clip<T> {
    fn name(&self) -> &'static str {
        "Clip"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        let (lo, hi) = (self.x_min, self.x_max);
        // NumPy's order (`minimum(maximum(x, lo), hi)`): NaN passes through,
        // and `x_min > x_max` gives `x_max` everywhere.
        vec![xs[0].mapv(|v| {
            let v = if v < lo { lo } else { v };
            if v > hi {
                hi
            } else {
                v
            }
        })]
    }
    fn backward(
        &self,
        xs: &[Variable<T>],
        _ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        let (lo, hi) = (self.x_min, self.x_max);
        let mask = xs[0].data().mapv(|v| {
            if v >= lo && v <= hi {
                T::one()
            } else {
                T::zero()
            }
        });
        vec![Some(&gys[0] * &Variable::new(mask))]
    }
}

/// Clips `x` into `[x_min, x_max]` elementwise (DeZero's `clip`).
///
/// ```
/// use dezero_runtime::{functions::clip, Variable};
/// let x = Variable::new(ndarray::arr1(&[-2.0_f64, 0.5, 3.0]).into_dyn());
/// let y = clip(&x, 0.0, 1.0);
/// y.backward();
/// assert_eq!(y.to_array().into_raw_vec_and_offset().0, vec![0.0, 0.5, 1.0]);
/// assert_eq!(x.grad().unwrap().to_array().into_raw_vec_and_offset().0, vec![0.0, 1.0, 0.0]);
/// ```
pub fn clip<T: Scalar>(x: &Variable<T>, x_min: T, x_max: T) -> Variable<T> {
    apply1(Clip { x_min, x_max }, &[x])
}
