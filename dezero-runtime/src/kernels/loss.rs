//! Loss functions with their own gradients.

use ndarray::{ArrayView2, ArrayViewD, ArrayViewMut2, ArrayViewMutD, Axis, Zip};

use crate::scalar::Scalar;

/// DeZero's `mean_squared_error`: `Σ (x0 − x1)² / len(x0)`, dividing by the
/// number of rows (the first axis), not by the number of elements.
///
/// ```
/// use ndarray::array;
/// let a = array![[1.0_f64], [2.0], [4.0]].into_dyn();
/// let b = array![[1.5_f64], [1.0], [3.0]].into_dyn();
/// assert_eq!(dezero_runtime::kernels::mean_squared_error(a.view(), b.view()), 0.75);
/// ```
///
/// # Panics
/// If the shapes differ.
pub fn mean_squared_error<T: Scalar>(x0: ArrayViewD<'_, T>, x1: ArrayViewD<'_, T>) -> T {
    assert_eq!(
        x0.shape(),
        x1.shape(),
        "mean_squared_error: shapes {:?} and {:?} differ",
        x0.shape(),
        x1.shape()
    );
    let rows = x0.shape().first().copied().unwrap_or(1);
    let mut s = T::zero();
    Zip::from(&x0).and(&x1).for_each(|&a, &b| {
        let d = a - b;
        s += d * d;
    });
    s / T::from_usize(rows).expect("row count fits the float type")
}

/// The gradient of [`mean_squared_error`] with respect to `x0`:
/// `gx0 = gy · 2(x0 − x1) / len(x0)`; the gradient of `x1` is its negation.
///
/// # Panics
/// If the shapes differ.
pub fn mean_squared_error_backward<T: Scalar>(
    x0: ArrayViewD<'_, T>,
    x1: ArrayViewD<'_, T>,
    gy: T,
    mut gx0: ArrayViewMutD<'_, T>,
) {
    assert!(
        x0.shape() == x1.shape() && x0.shape() == gx0.shape(),
        "mean_squared_error_backward: shapes differ"
    );
    let rows = x0.shape().first().copied().unwrap_or(1);
    let c = gy * T::from_f64_lossy(2.0) / T::from_usize(rows).expect("row count fits");
    Zip::from(&mut gx0)
        .and(&x0)
        .and(&x1)
        .for_each(|g, &a, &b| *g = c * (a - b));
}

/// Row-wise softmax of a matrix into `y` (max subtracted first, for stability).
///
/// # Panics
/// If the shapes differ.
pub fn softmax_rows<T: Scalar>(x: ArrayView2<'_, T>, mut y: ArrayViewMut2<'_, T>) {
    assert_eq!(x.shape(), y.shape(), "softmax: shapes differ");
    for (xr, mut yr) in x.axis_iter(Axis(0)).zip(y.axis_iter_mut(Axis(0))) {
        let m = xr.fold(T::neg_infinity(), |m, &v| m.max(v));
        let mut s = T::zero();
        Zip::from(&mut yr).and(&xr).for_each(|yi, &xi| {
            *yi = (xi - m).exp();
            s += *yi;
        });
        yr.mapv_inplace(|v| v / s);
    }
}

/// DeZero's `softmax_cross_entropy` for integer class targets:
/// `−(1/N) Σ_i log softmax(x)_i[t_i]`. Writes the softmax of `x` into `p`
/// (which the backward pass reuses).
///
/// # Panics
/// If a target is out of range or the shapes disagree.
pub fn softmax_cross_entropy<T: Scalar>(
    x: ArrayView2<'_, T>,
    t: &[usize],
    mut p: ArrayViewMut2<'_, T>,
) -> T {
    assert_eq!(
        x.nrows(),
        t.len(),
        "softmax_cross_entropy: rows and targets differ"
    );
    softmax_rows(x, p.view_mut());
    let n = x.nrows();
    let mut s = T::zero();
    for (i, &ti) in t.iter().enumerate() {
        assert!(
            ti < x.ncols(),
            "softmax_cross_entropy: target {ti} out of range for {} classes",
            x.ncols()
        );
        // log softmax computed from the logits (log-sum-exp), as DeZero does,
        // rather than log of the probability, for accuracy.
        let row = x.row(i);
        let m = row.fold(T::neg_infinity(), |m, &v| m.max(v));
        let lse = row.fold(T::zero(), |a, &v| a + (v - m).exp()).ln() + m;
        s += row[ti] - lse;
    }
    -s / T::from_usize(n.max(1)).expect("row count fits")
}

/// The gradient of [`softmax_cross_entropy`] with respect to `x`, from the
/// softmax `p` it wrote: `gx = gy · (p − onehot(t)) / N`.
///
/// # Panics
/// If the shapes disagree.
pub fn softmax_cross_entropy_backward<T: Scalar>(
    p: ArrayView2<'_, T>,
    t: &[usize],
    gy: T,
    mut gx: ArrayViewMut2<'_, T>,
) {
    assert_eq!(
        p.shape(),
        gx.shape(),
        "softmax_cross_entropy_backward: shapes differ"
    );
    let n = T::from_usize(p.nrows().max(1)).expect("row count fits");
    let c = gy / n;
    Zip::from(&mut gx).and(&p).for_each(|g, &pi| *g = pi * c);
    for (i, &ti) in t.iter().enumerate() {
        gx[[i, ti]] -= c;
    }
}
