//! Sums over axes: `sum_to` (the adjoint of broadcasting) and friends.

use ndarray::{ArrayD, ArrayView2, ArrayViewD, ArrayViewMut1, Axis, IxDyn};

use crate::scalar::Scalar;

/// Sums `x` down to `shape`, the inverse of broadcasting `shape` up to
/// `x.shape()` (DeZero's `utils.sum_to`): leading axes are summed away, and
/// axes where `shape` has 1 are summed keeping the axis.
///
/// ```
/// use ndarray::array;
/// let x = array![[1.0_f64, 2.0, 3.0], [4.0, 5.0, 6.0]].into_dyn();
/// let y = dezero_runtime::kernels::sum_to(x.view(), &[1, 3]);
/// assert_eq!(y, array![[5.0, 7.0, 9.0]].into_dyn());
/// let y = dezero_runtime::kernels::sum_to(x.view(), &[3]);
/// assert_eq!(y, array![5.0, 7.0, 9.0].into_dyn());
/// ```
///
/// # Panics
/// If `shape` cannot be broadcast to `x`'s shape.
pub fn sum_to<T: Scalar>(x: ArrayViewD<'_, T>, shape: &[usize]) -> ArrayD<T> {
    let ndim = x.ndim();
    assert!(
        shape.len() <= ndim,
        "sum_to: cannot sum shape {:?} to {:?}",
        x.shape(),
        shape
    );
    let lead = ndim - shape.len();
    for (i, &s) in shape.iter().enumerate() {
        let d = x.shape()[lead + i];
        assert!(
            s == d || s == 1,
            "sum_to: cannot sum shape {:?} to {:?}",
            x.shape(),
            shape
        );
    }
    if x.shape() == shape {
        return x.to_owned();
    }
    // Fast path: only leading axes are summed (a bias gradient `[N, M] ->
    // [M]` or `[1, M]`), over contiguous data: accumulate rows of the flat
    // buffer instead of reducing axis by axis.
    let summed = (0..ndim)
        .take_while(|&i| i < lead || shape[i - lead] == 1)
        .count();
    let rest_matches = (summed..ndim).all(|i| x.shape()[i] == shape[i - lead]);
    if rest_matches {
        if let Some(flat) = x.as_slice() {
            let inner: usize = x.shape()[summed..].iter().product();
            let mut out = vec![T::zero(); inner];
            if let Some(rows) = flat.len().checked_div(inner) {
                super::sum_rows_acc(rows, inner, flat, &mut out);
            }
            return ArrayD::from_shape_vec(IxDyn(shape), out)
                .expect("sum_to: the summed shape equals the target");
        }
    }
    let mut y = x.to_owned();
    for _ in 0..lead {
        y = y.sum_axis(Axis(0));
    }
    for (i, &s) in shape.iter().enumerate() {
        if s == 1 && y.shape()[i] != 1 {
            y = y.sum_axis(Axis(i)).insert_axis(Axis(i));
        }
    }
    y.into_shape_with_order(IxDyn(shape))
        .expect("sum_to: the summed shape equals the target")
}

/// `out = Σ_rows x` (column sums of a matrix; the bias gradient of an affine
/// map), written into `out`.
///
/// # Panics
/// If `out`'s length is not `x`'s column count.
pub fn sum_rows<T: Scalar>(x: ArrayView2<'_, T>, mut out: ArrayViewMut1<'_, T>) {
    assert_eq!(
        out.len(),
        x.ncols(),
        "sum_rows: output length differs from columns"
    );
    out.fill(T::zero());
    if let (Some(xs), Some(os)) = (x.as_slice(), out.as_slice_mut()) {
        return super::sum_rows_acc(x.nrows(), x.ncols(), xs, os);
    }
    for row in x.axis_iter(Axis(0)) {
        out.zip_mut_with(&row, |o, &v| *o += v);
    }
}
