//! Row-major dense kernels on plain slices, allocation-free: the matrix
//! products of an affine layer and its two gradients, and the elementwise
//! pieces of a backward pass that accumulate or work in place.
//!
//! `model!`'s generated code calls these on the slots of its workspace. Every
//! matrix is row-major and contiguous: an `m×n` matrix is a slice of `m·n`
//! elements, row after row. [`gemm`](super::gemm) goes through
//! `matrixmultiply`, which allocates a packing buffer on every call; these do
//! not, so a warm compiled training step allocates nothing.
//!
//! Where a kernel takes `acc`, `false` overwrites the output and `true` adds
//! to it (gradients accumulate when a value feeds several ops).

use crate::scalar::Scalar;

/// `y = x·W + b`: `x` is `m×k`, `W` is `k×n`, `b` has `n` elements (or is
/// `None`, `nobias`), `y` is `m×n`.
///
/// ```
/// let x = [1.0_f64, 2.0]; // 1×2
/// let w = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]; // 2×3
/// let mut y = [0.0; 3];
/// dezero_runtime::kernels::affine_rows(1, 2, 3, &x, &w, Some(&[1.0, 1.0, 1.0]), &mut y);
/// assert_eq!(y, [10.0, 13.0, 16.0]);
/// ```
///
/// # Panics
/// If a slice's length does not match the dimensions.
pub fn affine_rows<T: Scalar>(
    m: usize,
    k: usize,
    n: usize,
    x: &[T],
    w: &[T],
    b: Option<&[T]>,
    y: &mut [T],
) {
    assert!(
        x.len() == m * k && w.len() == k * n && y.len() == m * n,
        "affine_rows: slices do not match {m}×{k} · {k}×{n}"
    );
    match b {
        Some(b) => {
            assert_eq!(
                b.len(),
                n,
                "affine_rows: bias length differs from W's columns"
            );
            for row in y.chunks_exact_mut(n.max(1)) {
                row.copy_from_slice(b);
            }
        }
        None => y.fill(T::zero()),
    }
    matmul_acc(m, k, n, x, w, y);
}

/// `c += a·b`: `a` is `m×k`, `b` is `k×n`, `c` is `m×n`.
///
/// Rows of `a` are taken four at a time so that each row of `b` loaded is
/// used four times; the inner loop runs along a row of `b` and vectorises.
///
/// # Panics
/// If a slice's length does not match the dimensions.
pub fn matmul_acc<T: Scalar>(m: usize, k: usize, n: usize, a: &[T], b: &[T], c: &mut [T]) {
    assert!(
        a.len() == m * k && b.len() == k * n && c.len() == m * n,
        "matmul_acc: slices do not match {m}×{k} · {k}×{n}"
    );
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    let mut r = 0;
    while r + 4 <= m {
        let (c0, rest) = c[r * n..(r + 4) * n].split_at_mut(n);
        let (c1, rest) = rest.split_at_mut(n);
        let (c2, c3) = rest.split_at_mut(n);
        for p in 0..k {
            let (a0, a1, a2, a3) = (
                a[r * k + p],
                a[(r + 1) * k + p],
                a[(r + 2) * k + p],
                a[(r + 3) * k + p],
            );
            let bp = &b[p * n..(p + 1) * n];
            for j in 0..n {
                let v = bp[j];
                c0[j] += a0 * v;
                c1[j] += a1 * v;
                c2[j] += a2 * v;
                c3[j] += a3 * v;
            }
        }
        r += 4;
    }
    while r < m {
        let cr = &mut c[r * n..(r + 1) * n];
        for p in 0..k {
            let ap = a[r * k + p];
            let bp = &b[p * n..(p + 1) * n];
            for (cj, &v) in cr.iter_mut().zip(bp) {
                *cj += ap * v;
            }
        }
        r += 1;
    }
}

/// `c (=|+=) a·bᵀ`: `a` is `m×n`, `b` is `k×n`, `c` is `m×k` (the input
/// gradient of an affine layer, `gx = gy·Wᵀ`).
///
/// ```
/// let gy = [1.0_f64, 1.0, 1.0]; // 1×3
/// let w = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]; // 2×3
/// let mut gx = [0.0; 2];
/// dezero_runtime::kernels::matmul_nt(1, 3, 2, &gy, &w, &mut gx, false);
/// assert_eq!(gx, [6.0, 15.0]);
/// ```
///
/// # Panics
/// If a slice's length does not match the dimensions.
pub fn matmul_nt<T: Scalar>(
    m: usize,
    n: usize,
    k: usize,
    a: &[T],
    b: &[T],
    c: &mut [T],
    acc: bool,
) {
    assert!(
        a.len() == m * n && b.len() == k * n && c.len() == m * k,
        "matmul_nt: slices do not match {m}×{n} · ({k}×{n})ᵀ"
    );
    for r in 0..m {
        let ar = &a[r * n..(r + 1) * n];
        let cr = &mut c[r * k..(r + 1) * k];
        for (p, cp) in cr.iter_mut().enumerate() {
            let d = dot(ar, &b[p * n..(p + 1) * n]);
            *cp = if acc { *cp + d } else { d };
        }
    }
}

/// `c += aᵀ·b`: `a` is `m×k`, `b` is `m×n`, `c` is `k×n` (the weight
/// gradient of an affine layer, `gW += xᵀ·gy`).
///
/// # Panics
/// If a slice's length does not match the dimensions.
pub fn matmul_tn_acc<T: Scalar>(m: usize, k: usize, n: usize, a: &[T], b: &[T], c: &mut [T]) {
    assert!(
        a.len() == m * k && b.len() == m * n && c.len() == k * n,
        "matmul_tn_acc: slices do not match ({m}×{k})ᵀ · {m}×{n}"
    );
    if n == 0 {
        return;
    }
    let mut r = 0;
    while r + 4 <= m {
        let (b0, b1, b2, b3) = (
            &b[r * n..(r + 1) * n],
            &b[(r + 1) * n..(r + 2) * n],
            &b[(r + 2) * n..(r + 3) * n],
            &b[(r + 3) * n..(r + 4) * n],
        );
        for (p, cp) in c.chunks_exact_mut(n).enumerate() {
            let (a0, a1, a2, a3) = (
                a[r * k + p],
                a[(r + 1) * k + p],
                a[(r + 2) * k + p],
                a[(r + 3) * k + p],
            );
            for j in 0..n {
                cp[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
            }
        }
        r += 4;
    }
    while r < m {
        let br = &b[r * n..(r + 1) * n];
        for (p, cp) in c.chunks_exact_mut(n).enumerate() {
            let ap = a[r * k + p];
            for (cj, &v) in cp.iter_mut().zip(br) {
                *cj += ap * v;
            }
        }
        r += 1;
    }
}

/// `Σ a_i b_i` with eight independent partial sums (so it vectorises).
fn dot<T: Scalar>(a: &[T], b: &[T]) -> T {
    let mut s = [T::zero(); 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            s[i] += x[i] * y[i];
        }
    }
    let mut t = (s[0] + s[4]) + (s[1] + s[5]) + ((s[2] + s[6]) + (s[3] + s[7]));
    for (&x, &y) in ra.iter().zip(rb) {
        t += x * y;
    }
    t
}

/// `out += Σ_rows x`: column sums of the `m×n` matrix `x` added to `out`
/// (the bias gradient of an affine layer).
///
/// ```
/// let mut gb = [1.0_f64, 1.0];
/// dezero_runtime::kernels::sum_rows_acc(2, 2, &[1.0, 2.0, 3.0, 4.0], &mut gb);
/// assert_eq!(gb, [5.0, 7.0]);
/// ```
///
/// # Panics
/// If a slice's length does not match the dimensions.
pub fn sum_rows_acc<T: Scalar>(m: usize, n: usize, x: &[T], out: &mut [T]) {
    assert!(
        x.len() == m * n && out.len() == n,
        "sum_rows_acc: slices do not match {m}×{n}"
    );
    for row in x.chunks_exact(n.max(1)) {
        for (o, &v) in out.iter_mut().zip(row) {
            *o += v;
        }
    }
}

/// `y = a + b` elementwise.
///
/// # Panics
/// If the lengths differ.
pub fn add_into<T: Scalar>(a: &[T], b: &[T], y: &mut [T]) {
    assert!(
        a.len() == b.len() && a.len() == y.len(),
        "add_into: lengths differ"
    );
    for ((yi, &ai), &bi) in y.iter_mut().zip(a).zip(b) {
        *yi = ai + bi;
    }
}

/// `y = a - b` elementwise.
///
/// # Panics
/// If the lengths differ.
pub fn sub_into<T: Scalar>(a: &[T], b: &[T], y: &mut [T]) {
    assert!(
        a.len() == b.len() && a.len() == y.len(),
        "sub_into: lengths differ"
    );
    for ((yi, &ai), &bi) in y.iter_mut().zip(a).zip(b) {
        *yi = ai - bi;
    }
}

/// `y (=|+=) a * b` elementwise.
///
/// # Panics
/// If the lengths differ.
pub fn mul_into<T: Scalar>(a: &[T], b: &[T], y: &mut [T], acc: bool) {
    assert!(
        a.len() == b.len() && a.len() == y.len(),
        "mul_into: lengths differ"
    );
    for ((yi, &ai), &bi) in y.iter_mut().zip(a).zip(b) {
        *yi = if acc { *yi + ai * bi } else { ai * bi };
    }
}

/// `y (=|+=) x`, or `y (=|+=) -x` when `neg` (the gradient of `+` and `-`).
///
/// ```
/// let mut y = [1.0_f64, 1.0];
/// dezero_runtime::kernels::copy_into(&[2.0, 3.0], &mut y, true, true);
/// assert_eq!(y, [-1.0, -2.0]);
/// ```
///
/// # Panics
/// If the lengths differ.
pub fn copy_into<T: Scalar>(x: &[T], y: &mut [T], neg: bool, acc: bool) {
    assert_eq!(x.len(), y.len(), "copy_into: lengths differ");
    match (neg, acc) {
        (false, false) => y.copy_from_slice(x),
        (false, true) => y.iter_mut().zip(x).for_each(|(yi, &xi)| *yi += xi),
        (true, false) => y.iter_mut().zip(x).for_each(|(yi, &xi)| *yi = -xi),
        (true, true) => y.iter_mut().zip(x).for_each(|(yi, &xi)| *yi -= xi),
    }
}

/// In place: `g = g * y * (1 - y)`, the sigmoid's derivative applied to the
/// gradient `g` of its output `y`.
///
/// # Panics
/// If the lengths differ.
pub fn sigmoid_backward_inplace<T: Scalar>(y: &[T], g: &mut [T]) {
    assert_eq!(y.len(), g.len(), "sigmoid_backward_inplace: lengths differ");
    for (gi, &yi) in g.iter_mut().zip(y) {
        *gi = *gi * yi * (T::one() - yi);
    }
}

/// In place: `g = g * (y > 0)`, relu's derivative from its output `y`.
///
/// # Panics
/// If the lengths differ.
pub fn relu_backward_inplace<T: Scalar>(y: &[T], g: &mut [T]) {
    assert_eq!(y.len(), g.len(), "relu_backward_inplace: lengths differ");
    for (gi, &yi) in g.iter_mut().zip(y) {
        // zero where y ≤ 0 (or NaN), as relu_backward does
        if yi.partial_cmp(&T::zero()) != Some(std::cmp::Ordering::Greater) {
            *gi = T::zero();
        }
    }
}

/// In place: `g = g * (1 - y²)`, tanh's derivative from its output `y`.
///
/// # Panics
/// If the lengths differ.
pub fn tanh_backward_inplace<T: Scalar>(y: &[T], g: &mut [T]) {
    assert_eq!(y.len(), g.len(), "tanh_backward_inplace: lengths differ");
    for (gi, &yi) in g.iter_mut().zip(y) {
        *gi *= T::one() - yi * yi;
    }
}

/// `gx += gy * y * (1 - y)` (the accumulating form of
/// [`sigmoid_backward`](super::sigmoid_backward)).
///
/// # Panics
/// If the lengths differ.
pub fn sigmoid_backward_acc<T: Scalar>(y: &[T], gy: &[T], gx: &mut [T]) {
    assert!(
        y.len() == gy.len() && y.len() == gx.len(),
        "sigmoid_backward_acc: lengths differ"
    );
    for ((g, &yi), &gyi) in gx.iter_mut().zip(y).zip(gy) {
        *g += gyi * yi * (T::one() - yi);
    }
}

/// `gx += gy * (y > 0)` (the accumulating form of
/// [`relu_backward`](super::relu_backward)).
///
/// # Panics
/// If the lengths differ.
pub fn relu_backward_acc<T: Scalar>(y: &[T], gy: &[T], gx: &mut [T]) {
    assert!(
        y.len() == gy.len() && y.len() == gx.len(),
        "relu_backward_acc: lengths differ"
    );
    for ((g, &yi), &gyi) in gx.iter_mut().zip(y).zip(gy) {
        if yi > T::zero() {
            *g += gyi;
        }
    }
}

/// `gx += gy * (1 - y²)` (the accumulating form of
/// [`tanh_backward`](super::tanh_backward)).
///
/// # Panics
/// If the lengths differ.
pub fn tanh_backward_acc<T: Scalar>(y: &[T], gy: &[T], gx: &mut [T]) {
    assert!(
        y.len() == gy.len() && y.len() == gx.len(),
        "tanh_backward_acc: lengths differ"
    );
    for ((g, &yi), &gyi) in gx.iter_mut().zip(y).zip(gy) {
        *g += gyi * (T::one() - yi * yi);
    }
}

/// In place, from the softmax `p` (`m×c`, as
/// [`softmax_cross_entropy`](super::softmax_cross_entropy) writes it) to the
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
    assert_eq!(
        p.len(),
        t.len() * c,
        "softmax_cross_entropy_backward_inplace: shapes differ"
    );
    let n = T::from_usize(t.len().max(1)).expect("row count fits the float type");
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

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(m: usize, k: usize, n: usize, a: &[f64], b: &[f64]) -> Vec<f64> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                for p in 0..k {
                    c[i * n + j] += a[i * k + p] * b[p * n + j];
                }
            }
        }
        c
    }

    fn seq(len: usize, s: f64) -> Vec<f64> {
        (0..len).map(|i| ((i as f64) * s).sin()).collect()
    }

    #[test]
    fn products_match_the_naive_triple_loop() {
        for &(m, k, n) in &[(1, 1, 1), (5, 3, 7), (9, 13, 2), (4, 17, 10)] {
            let a = seq(m * k, 0.7);
            let b = seq(k * n, 1.3);
            let mut c = vec![0.0; m * n];
            matmul_acc(m, k, n, &a, &b, &mut c);
            let want = naive(m, k, n, &a, &b);
            for (x, y) in c.iter().zip(&want) {
                assert!((x - y).abs() < 1e-12);
            }
            // a·bᵀ with b stored as n×k: compare against naive(a, transpose)
            let bt = seq(n * k, 0.4);
            let mut bt_t = vec![0.0; k * n];
            for p in 0..k {
                for j in 0..n {
                    bt_t[p * n + j] = bt[j * k + p];
                }
            }
            let mut c2 = vec![0.0; m * n];
            matmul_nt(m, k, n, &a, &bt, &mut c2, false);
            for (x, y) in c2.iter().zip(&naive(m, k, n, &a, &bt_t)) {
                assert!((x - y).abs() < 1e-12);
            }
            // aᵀ·b with a m×k and b m×n
            let b2 = seq(m * n, 0.9);
            let mut at = vec![0.0; k * m];
            for i in 0..m {
                for p in 0..k {
                    at[p * m + i] = a[i * k + p];
                }
            }
            let mut c3 = vec![1.0; k * n];
            matmul_tn_acc(m, k, n, &a, &b2, &mut c3);
            for (x, y) in c3.iter().zip(&naive(k, m, n, &at, &b2)) {
                assert!((x - (y + 1.0)).abs() < 1e-12);
            }
        }
    }
}
