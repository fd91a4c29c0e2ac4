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
    let s = match (x0.as_slice(), x1.as_slice()) {
        (Some(a), Some(b)) => sum_sq_diff(a, b),
        _ => {
            let mut s = T::zero();
            Zip::from(&x0).and(&x1).for_each(|&a, &b| {
                let d = a - b;
                s += d * d;
            });
            s
        }
    };
    s / T::from_usize(rows).expect("row count fits the float type")
}

/// `Σ (a − b)²` over contiguous slices, in eight interleaved partial sums
/// (so that it vectorises), added in a fixed order.
fn sum_sq_diff<T: Scalar>(a: &[T], b: &[T]) -> T {
    let mut s = [T::zero(); 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            let d = x[i] - y[i];
            s[i] += d * d;
        }
    }
    let mut t = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
    for (&x, &y) in ra.iter().zip(rb) {
        let d = x - y;
        t += d * d;
    }
    t
}

/// [`mean_squared_error`] of a row-major prediction `y` against `t` (of the
/// same shape) and, with `g`, its gradient `g = 2(y − t)/rows` (for a loss
/// seed of 1), in one call on slices: the fused loss step of a compiled
/// model. Gives the numbers of the two ndarray kernels.
///
/// `rows` is the divisor, the batch's row count: `t.nrows()`, or more when
/// `y` and `t` are a part of the batch (a training pass split between two
/// threads), so that the parts' losses add up to the batch's.
///
/// ```
/// use ndarray::array;
/// let t = array![[1.5_f64], [1.0], [3.0]];
/// let mut g = [0.0; 3];
/// let l = dezero_runtime::kernels::mean_squared_error_rows(3, &[1.0, 2.0, 4.0], t.view(), Some(&mut g));
/// assert_eq!(l, 0.75);
/// assert_eq!(g[0], 2.0 * -0.5 / 3.0);
/// ```
///
/// # Panics
/// If `t` does not have `y`'s length or `g` differs in length.
pub fn mean_squared_error_rows<T: Scalar>(
    rows: usize,
    y: &[T],
    t: ArrayView2<'_, T>,
    g: Option<&mut [T]>,
) -> T {
    T::mean_squared_error_rows(rows, y, t, g)
}

/// [`mean_squared_error_rows`]'s body, compiled once per element type in this crate
/// ([`Kernels`](super::entry::Kernels)).
#[allow(clippy::too_many_arguments, reason = "the kernel's")]
pub(super) fn mean_squared_error_rows_imp<T: Scalar>(
    rows: usize,
    y: &[T],
    t: ArrayView2<'_, T>,
    g: Option<&mut [T]>,
) -> T {
    assert_eq!(t.len(), y.len(), "mean_squared_error: shapes differ");
    let n = T::from_usize(rows).expect("row count fits the float type");
    let loss = match t.as_slice() {
        Some(ts) => sum_sq_diff(y, ts) / n,
        None => {
            let yv = ArrayView2::from_shape(t.raw_dim(), y).expect("same length");
            // The ndarray kernels divide by the part's rows.
            let part = T::from_usize(t.nrows()).expect("row count fits the float type") / n;
            return mean_squared_error_nd(yv, t, g, part);
        }
    };
    if let (Some(g), Some(ts)) = (g, t.as_slice()) {
        assert_eq!(g.len(), y.len(), "mean_squared_error: shapes differ");
        let c = T::from_f64_lossy(2.0) / n;
        for ((gi, &a), &b) in g.iter_mut().zip(y).zip(ts) {
            *gi = c * (a - b);
        }
    }
    loss
}

/// [`mean_squared_error_rows`] for a target that is not contiguous: the
/// ndarray kernels' loss and gradient, scaled by `part` (1 for a whole
/// batch).
fn mean_squared_error_nd<T: Scalar>(
    y: ArrayView2<'_, T>,
    t: ArrayView2<'_, T>,
    g: Option<&mut [T]>,
    part: T,
) -> T {
    let loss = mean_squared_error(y.into_dyn(), t.into_dyn());
    if let Some(g) = g {
        let gv = ArrayViewMut2::from_shape(t.raw_dim(), g).expect("same length");
        mean_squared_error_backward(y.into_dyn(), t.into_dyn(), part, gv.into_dyn());
    }
    if part == T::one() {
        loss
    } else {
        loss * part
    }
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
    if let (Some(a), Some(b), Some(g)) = (x0.as_slice(), x1.as_slice(), gx0.as_slice_mut()) {
        for ((gi, &a), &b) in g.iter_mut().zip(a).zip(b) {
            *gi = c * (a - b);
        }
        return;
    }
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
    p: ArrayViewMut2<'_, T>,
) -> T {
    softmax_cross_entropy_over(x.nrows(), x, t, p)
}

/// [`softmax_cross_entropy`] of a part of a batch of `rows` rows (`x` may
/// have fewer): divides by `rows`, so that the parts' losses add up to the
/// batch's (a training pass split between two threads).
///
/// # Panics
/// If a target is out of range or the shapes disagree.
pub fn softmax_cross_entropy_over<T: Scalar>(
    rows: usize,
    x: ArrayView2<'_, T>,
    t: &[usize],
    p: ArrayViewMut2<'_, T>,
) -> T {
    T::softmax_cross_entropy_over(rows, x, t, p)
}

/// [`softmax_cross_entropy_over`]'s body, compiled once per element type in this crate
/// ([`Kernels`](super::entry::Kernels)).
#[allow(clippy::too_many_arguments, reason = "the kernel's")]
pub(super) fn softmax_cross_entropy_over_imp<T: Scalar>(
    rows: usize,
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
    -s / T::from_usize(rows.max(1)).expect("row count fits")
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

/// In place, from the softmax `p` (`m×c`, as
/// [`softmax_cross_entropy`] writes it) to the
/// gradient of the loss with respect to the logits: `p = gy · (p −
/// onehot(t)) / m`.
///
/// ```
/// let mut p = [0.25_f64, 0.75];
/// dezero_runtime::kernels::softmax_cross_entropy_backward_inplace(2, &[1], 1.0, &mut p);
/// assert_eq!(p, [0.25, -0.25]);
/// ```
///
/// # Panics
/// If `p` is not `t.len()×c` or a target is not below `c`.
pub fn softmax_cross_entropy_backward_inplace<T: Scalar>(
    c: usize,
    t: &[usize],
    gy: T,
    p: &mut [T],
) {
    softmax_cross_entropy_backward_inplace_over(t.len(), c, t, gy, p);
}

/// [`softmax_cross_entropy_backward_inplace`] for a part of a batch of
/// `rows` rows (`t` may have fewer): divides by `rows` (see
/// [`softmax_cross_entropy_over`]).
///
/// # Panics
/// If `p` is not `t.len()×c` or a target is not below `c`.
pub fn softmax_cross_entropy_backward_inplace_over<T: Scalar>(
    rows: usize,
    c: usize,
    t: &[usize],
    gy: T,
    p: &mut [T],
) {
    T::softmax_cross_entropy_backward_inplace_over(rows, c, t, gy, p)
}

/// [`softmax_cross_entropy_backward_inplace_over`]'s body, compiled once per element type in this crate
/// ([`Kernels`](super::entry::Kernels)).
#[allow(clippy::too_many_arguments, reason = "the kernel's")]
pub(super) fn softmax_cross_entropy_backward_inplace_over_imp<T: Scalar>(
    rows: usize,
    c: usize,
    t: &[usize],
    gy: T,
    p: &mut [T],
) {
    assert_eq!(
        p.len(),
        t.len() * c,
        "softmax_cross_entropy_backward_inplace: shapes differ"
    );
    let n = T::from_usize(rows.max(1)).expect("row count fits the float type");
    let s = gy / n;
    for (row, &ti) in p.chunks_exact_mut(c.max(1)).zip(t) {
        assert!(
            ti < c,
            "softmax_cross_entropy: target {ti} out of range for {c} classes"
        );
        for v in row.iter_mut() {
            *v *= s;
        }
        row[ti] -= s;
    }
}

/// The fraction of rows of `y` whose largest entry (the first, on ties, as
/// NumPy's `argmax`) is at the target class: DeZero's `accuracy`, for both
/// the define-by-run function and a compiled model's `accuracy`. NaN with
/// no rows (NumPy's mean of nothing).
///
/// ```
/// use ndarray::array;
/// let y = array![[0.2_f64, 0.8], [0.9, 0.1], [0.3, 0.7]];
/// assert_eq!(dezero_runtime::kernels::accuracy_rows(y.view(), &[1, 1, 1]), 2.0 / 3.0);
/// ```
///
/// # Panics
/// If the row count differs from `t.len()` (callers check first).
pub fn accuracy_rows<T: Scalar>(y: ArrayView2<'_, T>, t: &[usize]) -> T {
    T::accuracy_rows(y, t)
}

/// [`accuracy_rows`]'s body, compiled once per element type in this crate
/// ([`Kernels`](super::entry::Kernels)).
#[allow(clippy::too_many_arguments, reason = "the kernel's")]
pub(super) fn accuracy_rows_imp<T: Scalar>(y: ArrayView2<'_, T>, t: &[usize]) -> T {
    assert_eq!(y.nrows(), t.len(), "accuracy: rows and targets differ");
    let correct = y
        .rows()
        .into_iter()
        .zip(t)
        .filter(|(row, &ti)| argmax(row.iter().copied()) == ti)
        .count();
    let (correct, n) = (correct as f64, t.len() as f64);
    T::from_f64_lossy(correct / n)
}

/// NumPy's `argmax`: the first maximum, or the first NaN if there is one.
fn argmax<T: Scalar>(values: impl Iterator<Item = T>) -> usize {
    let mut best: Option<(usize, T)> = None;
    for (j, v) in values.enumerate() {
        match best {
            Some((_, b)) if b.is_nan() => break,
            Some((_, b)) if !(v > b || v.is_nan()) => {}
            _ => best = Some((j, v)),
        }
    }
    best.map_or(0, |(j, _)| j)
}
