//! Matrix products and the affine map `x·W + b`.

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView1, ArrayView2, ArrayViewMut2, Axis};

use crate::scalar::Scalar;

/// `c = alpha · a·b + beta · c` (a general matrix product into an existing
/// buffer; transposed operands are passed as `.t()` views).
///
/// ```
/// use ndarray::{array, Array2};
/// let a = array![[1.0_f64, 2.0], [3.0, 4.0]];
/// let mut c = Array2::zeros((2, 2));
/// dezero_runtime::kernels::gemm(1.0, a.view(), a.t(), 0.0, c.view_mut());
/// assert_eq!(c, array![[5.0, 11.0], [11.0, 25.0]]);
/// ```
///
/// # Panics
/// If the shapes do not chain: `a` is `m×k`, `b` is `k×n`, `c` is `m×n`.
pub fn gemm<T: Scalar>(
    alpha: T,
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    beta: T,
    c: ArrayViewMut2<'_, T>,
) {
    assert!(
        a.ncols() == b.nrows() && c.nrows() == a.nrows() && c.ncols() == b.ncols(),
        "gemm: shapes {:?} · {:?} do not give {:?}",
        a.shape(),
        b.shape(),
        c.shape()
    );
    general_mat_mul(
        alpha,
        &a,
        &b,
        beta,
        &mut c.into_dimensionality().expect("2-d"),
    );
}

/// `y = x·W + b` into `y` (the affine map of a `Linear` layer); `b` is
/// optional (`nobias`).
///
/// # Panics
/// If the shapes do not chain, or `b`'s length is not `W`'s column count.
pub fn affine<T: Scalar>(
    x: ArrayView2<'_, T>,
    w: ArrayView2<'_, T>,
    b: Option<ArrayView1<'_, T>>,
    mut y: ArrayViewMut2<'_, T>,
) {
    let (m, k, n) = (x.nrows(), x.ncols(), w.ncols());
    let bias_ok = b
        .as_ref()
        .is_none_or(|b| b.len() == n && b.as_slice().is_some());
    if k == w.nrows() && y.shape() == [m, n] && bias_ok {
        if let (Some(xs), Some(ws), Some(ys)) = (x.as_slice(), w.as_slice(), y.as_slice_mut()) {
            // Row-major operands: the same register-blocked kernel the
            // compiled path uses.
            let bs = b.as_ref().and_then(|b| b.as_slice());
            return super::affine_rows(m, k, n, xs, ws, bs, ys);
        }
    }
    match b {
        Some(b) => {
            assert_eq!(
                b.len(),
                w.ncols(),
                "affine: bias length differs from W's columns"
            );
            for mut row in y.axis_iter_mut(Axis(0)) {
                row.assign(&b);
            }
            gemm(T::one(), x, w, T::one(), y);
        }
        None => gemm(T::one(), x, w, T::zero(), y),
    }
}
