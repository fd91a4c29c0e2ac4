//! Log-sum-exp over the rows of a matrix, and the log-softmax built on it.

use ndarray::{ArrayView1, ArrayView2, ArrayViewMut2, Axis, Zip};

use crate::scalar::Scalar;

/// `ln Σ eˣ` of one row, computed as `ln Σ e^(x − m) + m` with `m` the row
/// maximum (DeZero's `utils.logsumexp`), so large entries do not overflow.
/// An empty row gives −∞; a row of only −∞ gives NaN, as in DeZero.
///
/// ```
/// use ndarray::array;
/// let x = array![1000.0_f64, 1000.0];
/// let lse = dezero_runtime::kernels::logsumexp(x.view());
/// assert_eq!(lse, 2.0_f64.ln() + 1000.0);
/// ```
pub fn logsumexp<T: Scalar>(x: ArrayView1<'_, T>) -> T {
    let m = x.fold(T::neg_infinity(), |m, &v| m.max(v));
    x.fold(T::zero(), |a, &v| a + (v - m).exp()).ln() + m
}

/// Row-wise log-softmax of a matrix into `y`: `y = x − logsumexp(x)` per row
/// (DeZero's `LogSoftmax` forward; the rounding is the one
/// [`softmax_cross_entropy`](crate::kernels::softmax_cross_entropy) uses for
/// its log-probabilities).
///
/// ```
/// use ndarray::{array, Array2};
/// let x = array![[0.0_f64, 0.0], [1.0, 3.0]];
/// let mut y = Array2::zeros((2, 2));
/// dezero_runtime::kernels::log_softmax_rows(x.view(), y.view_mut());
/// assert_eq!(y[[0, 0]], -(2.0_f64.ln()));
/// assert!((y.row(1).mapv(f64::exp).sum() - 1.0).abs() < 1e-15);
/// ```
///
/// # Panics
/// If `x` and `y` differ in shape.
pub fn log_softmax_rows<T: Scalar>(x: ArrayView2<'_, T>, mut y: ArrayViewMut2<'_, T>) {
    assert_eq!(
        x.shape(),
        y.shape(),
        "log_softmax: shapes {:?} and {:?} differ",
        x.shape(),
        y.shape()
    );
    for (xr, mut yr) in x.axis_iter(Axis(0)).zip(y.axis_iter_mut(Axis(0))) {
        let lse = logsumexp(xr);
        Zip::from(&mut yr)
            .and(&xr)
            .for_each(|yi, &xi| *yi = xi - lse);
    }
}
