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

use super::simd::{madd, multiversion};
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
    y.fill(T::zero());
    matmul_acc(m, k, n, x, w, y);
    if let Some(b) = b {
        assert_eq!(
            b.len(),
            n,
            "affine_rows: bias length differs from W's columns"
        );
        // The bias is added after the product, as DeZero's `x.dot(W) + b`,
        // so both paths round the same way the original does.
        for row in y.chunks_exact_mut(n.max(1)) {
            for (yi, &bi) in row.iter_mut().zip(b) {
                *yi += bi;
            }
        }
    }
}

/// `c += a·b`: `a` is `m×k`, `b` is `k×n`, `c` is `m×n`.
///
/// Blocks of 4 rows × 32 columns of `c` are accumulated in registers over
/// the whole of `k`, then added to `c` once (see [`gemm_acc_strided`]).
///
/// # Panics
/// If a slice's length does not match the dimensions.
pub fn matmul_acc<T: Scalar>(m: usize, k: usize, n: usize, a: &[T], b: &[T], c: &mut [T]) {
    assert!(
        a.len() == m * k && b.len() == k * n && c.len() == m * n,
        "matmul_acc: slices do not match {m}×{k} · {k}×{n}"
    );
    gemm_acc_strided(m, k, n, a, k, 1, b, c);
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
    if n >= 8 && k >= 8 && m >= 4 {
        // Transpose `b` once into scratch space (k·n copies against m·n·k
        // multiply-adds) and run the register-blocked product.
        T::with_scratch(n * k, |bt| {
            for (p, brow) in b.chunks_exact(n).enumerate() {
                for (o, &v) in brow.iter().enumerate() {
                    bt[o * k + p] = v;
                }
            }
            if !acc {
                c.fill(T::zero());
            }
            gemm_acc_strided(m, n, k, a, n, 1, bt, c);
        });
        return;
    }
    matmul_nt_dispatch(m, n, k, a, b, c, acc);
}

multiversion! {
    fn matmul_nt_dispatch<T: Scalar>(
        m: usize, n: usize, k: usize, a: &[T], b: &[T], c: &mut [T], acc: bool,
    ) => matmul_nt_imp
}

#[inline(always)]
fn matmul_nt_imp<T: Scalar, const FMA: bool>(
    m: usize,
    n: usize,
    k: usize,
    a: &[T],
    b: &[T],
    c: &mut [T],
    acc: bool,
) {
    if n == 0 {
        if !acc {
            c.fill(T::zero());
        }
        return;
    }
    for (ar, cr) in a.chunks_exact(n).zip(c.chunks_exact_mut(k.max(1))).take(m) {
        if n < 8 {
            // Short rows: a dot product per output costs more in set-up and
            // horizontal sums than it computes; add scaled columns of `b`.
            if !acc {
                cr.fill(T::zero());
            }
            for (o, &av) in ar.iter().enumerate() {
                for (cp, br) in cr.iter_mut().zip(b.chunks_exact(n)) {
                    *cp = madd::<T, FMA>(av, br[o], *cp);
                }
            }
            continue;
        }
        let mut blocks = cr.chunks_exact_mut(4);
        let mut brows = b.chunks_exact(4 * n);
        for (c4, b4) in (&mut blocks).zip(&mut brows) {
            let d = dot4::<T, FMA>(ar, b4, n);
            for (cp, dv) in c4.iter_mut().zip(d) {
                *cp = if acc { *cp + dv } else { dv };
            }
        }
        for (cp, br) in blocks
            .into_remainder()
            .iter_mut()
            .zip(brows.remainder().chunks_exact(n))
        {
            let d = dot::<T, FMA>(ar, br);
            *cp = if acc { *cp + d } else { d };
        }
    }
}

/// Four dot products of `a` with the four consecutive rows (each `n` long)
/// of `b4`, sharing the loads of `a`.
#[inline(always)]
fn dot4<T: Scalar, const FMA: bool>(a: &[T], b4: &[T], n: usize) -> [T; 4] {
    let (b0, rest) = b4.split_at(n);
    let (b1, rest) = rest.split_at(n);
    let (b2, b3) = rest.split_at(n);
    let mut s = [[T::zero(); 8]; 4];
    let chunks = n / 8;
    for ch in 0..chunks {
        let o = ch * 8;
        let x: &[T; 8] = a[o..o + 8].try_into().expect("8 lanes");
        for (sj, bj) in s.iter_mut().zip([b0, b1, b2, b3]) {
            let y: &[T; 8] = bj[o..o + 8].try_into().expect("8 lanes");
            for l in 0..8 {
                sj[l] = madd::<T, FMA>(x[l], y[l], sj[l]);
            }
        }
    }
    let mut out = [T::zero(); 4];
    for (j, (oj, bj)) in out.iter_mut().zip([b0, b1, b2, b3]).enumerate() {
        let sj = &s[j];
        let mut t = ((sj[0] + sj[4]) + (sj[1] + sj[5])) + ((sj[2] + sj[6]) + (sj[3] + sj[7]));
        for o in chunks * 8..n {
            t = madd::<T, FMA>(a[o], bj[o], t);
        }
        *oj = t;
    }
    out
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
    // c (k×n) += A'·b with A' = aᵀ (k×m): A'(i, p) = a[p·k + i].
    gemm_acc_strided(k, m, n, a, 1, k, b, c);
}

/// Rows of `c` per register block.
const MR: usize = 4;
/// Columns of `c` per register block (two AVX-512 vectors of f32).
const NR: usize = 32;

/// `c += A·b` where `A` is `m×k` read through strides (`A(i, p) =
/// a[i·rs + p·cs]`, so a transposed operand costs nothing), `b` is a
/// row-major `k×n` matrix and `c` a row-major `m×n` one.
///
/// The register-blocked core: each `MR×NR` block of `c` is summed over all
/// of `k` in local accumulators (which the compiler keeps in vector
/// registers), reading one row segment of `b` and `MR` scalars of `A` per
/// step, then added to `c` once. Remaining columns use a row-update loop.
///
/// # Panics
/// If a slice is shorter than the dimensions and strides require.
#[allow(clippy::too_many_arguments, reason = "a BLAS-style signature")]
pub fn gemm_acc_strided<T: Scalar>(
    m: usize,
    k: usize,
    n: usize,
    a: &[T],
    rs: usize,
    cs: usize,
    b: &[T],
    c: &mut [T],
) {
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    assert!(
        a.len() > (m - 1) * rs + (k - 1) * cs && b.len() >= k * n && c.len() >= m * n,
        "gemm_acc_strided: slices shorter than {m}×{k} · {k}×{n}"
    );
    gemm_dispatch(m, k, n, a, rs, cs, b, c);
}

multiversion! {
    #[allow(clippy::too_many_arguments, reason = "a BLAS-style signature")]
    fn gemm_dispatch<T: Scalar>(
        m: usize, k: usize, n: usize, a: &[T], rs: usize, cs: usize, b: &[T], c: &mut [T],
    ) => gemm_imp
}

#[inline(always)]
#[allow(clippy::too_many_arguments, reason = "a BLAS-style signature")]
fn gemm_imp<T: Scalar, const FMA: bool>(
    m: usize,
    k: usize,
    n: usize,
    a: &[T],
    rs: usize,
    cs: usize,
    b: &[T],
    c: &mut [T],
) {
    let full = n - n % NR;
    let mut j0 = 0;
    while j0 < full {
        let mut r = 0;
        while r + MR <= m {
            let mut acc = [[T::zero(); NR]; MR];
            for p in 0..k {
                let bp: &[T; NR] = b[p * n + j0..p * n + j0 + NR]
                    .try_into()
                    .expect("a block of NR columns");
                for (i, row) in acc.iter_mut().enumerate() {
                    let av = a[(r + i) * rs + p * cs];
                    for (x, &bv) in row.iter_mut().zip(bp) {
                        *x = madd::<T, FMA>(av, bv, *x);
                    }
                }
            }
            for (i, row) in acc.iter().enumerate() {
                let cr = &mut c[(r + i) * n + j0..(r + i) * n + j0 + NR];
                for (cv, &x) in cr.iter_mut().zip(row) {
                    *cv += x;
                }
            }
            r += MR;
        }
        while r < m {
            let mut acc = [T::zero(); NR];
            for p in 0..k {
                let av = a[r * rs + p * cs];
                let bp = &b[p * n + j0..p * n + j0 + NR];
                for (x, &bv) in acc.iter_mut().zip(bp) {
                    *x = madd::<T, FMA>(av, bv, *x);
                }
            }
            let cr = &mut c[r * n + j0..r * n + j0 + NR];
            for (cv, &x) in cr.iter_mut().zip(&acc) {
                *cv += x;
            }
            r += 1;
        }
        j0 += NR;
    }
    if n - full < 8 {
        // A few last columns (a matrix-vector product when n = 1): one
        // scalar accumulator per output, with no per-step slicing.
        for r in 0..m {
            for j in full..n {
                let mut t = T::zero();
                for p in 0..k {
                    t = madd::<T, FMA>(a[r * rs + p * cs], b[p * n + j], t);
                }
                c[r * n + j] += t;
            }
        }
    } else if full < n {
        // The last n % NR columns: update rows of `c` as `b`'s rows stream by.
        for r in 0..m {
            let cr = &mut c[r * n + full..(r + 1) * n];
            for p in 0..k {
                let av = a[r * rs + p * cs];
                let bp = &b[p * n + full..(p + 1) * n];
                for (cv, &bv) in cr.iter_mut().zip(bp) {
                    *cv = madd::<T, FMA>(av, bv, *cv);
                }
            }
        }
    }
}

/// `Σ a_i b_i` with eight independent partial sums (so it vectorises).
#[inline(always)]
fn dot<T: Scalar, const FMA: bool>(a: &[T], b: &[T]) -> T {
    let mut s = [T::zero(); 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            s[i] = madd::<T, FMA>(x[i], y[i], s[i]);
        }
    }
    let mut t = (s[0] + s[4]) + (s[1] + s[5]) + ((s[2] + s[6]) + (s[3] + s[7]));
    for (&x, &y) in ra.iter().zip(rb) {
        t = madd::<T, FMA>(x, y, t);
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
        for &(m, k, n) in &[
            (1, 1, 1),
            (5, 3, 7),
            (9, 13, 2),
            (4, 17, 10),
            (37, 70, 45),
            (8, 64, 64),
            (6, 9, 33),
            (7, 12, 1),
            (5, 100, 3),
        ] {
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
