//! Row-major dense kernels on plain slices, allocation-free once warm: the
//! matrix products of an affine layer and its two gradients, each with the
//! work that follows it fused into its store pass (bias, activation,
//! activation derivative, accumulation).
//!
//! `model!`'s generated code calls these on the slots of its workspace, and
//! the define-by-run `Linear` and `matmul` Functions reach the same
//! [`product`](super::product) through [`affine`](super::affine). Every
//! matrix is row-major and contiguous: an `m×n` matrix is a slice of `m·n`
//! elements, row after row.

use super::activation::Activation;
use super::product::{product, Operand, Store};
use super::simd::multiversion;
use crate::scalar::Scalar;

/// `y = x·W + b`: `x` is `m×k`, `W` is `k×n`, `b` has `n` elements (or is
/// `None`, `nobias`), `y` is `m×n`. The bias is added after the product, as
/// DeZero's `x.dot(W) + b` rounds.
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
    affine_act_rows(m, k, n, x, w, b, None, y);
}

/// `y = act(x·W + b)`: [`affine_rows`] with the activation applied to each
/// block of `y` as it is stored (so `y` is written once and the
/// pre-activation never exists), giving the same numbers as
/// [`affine_rows`] followed by the activation's kernel.
///
/// ```
/// use dezero_runtime::kernels::{affine_act_rows, Activation};
/// let x = [1.0_f64, -2.0]; // 2×1
/// let w = [3.0]; // 1×1
/// let mut y = [0.0; 2];
/// affine_act_rows(2, 1, 1, &x, &w, Some(&[1.0]), Some(Activation::Relu), &mut y);
/// assert_eq!(y, [4.0, 0.0]);
/// ```
///
/// # Panics
/// If a slice's length does not match the dimensions.
#[allow(clippy::too_many_arguments, reason = "a BLAS-style signature")]
pub fn affine_act_rows<T: Scalar>(
    m: usize,
    k: usize,
    n: usize,
    x: &[T],
    w: &[T],
    b: Option<&[T]>,
    act: Option<Activation>,
    y: &mut [T],
) {
    T::affine_act_rows(m, k, n, x, w, b, act, y)
}

/// [`affine_act_rows`]'s body, compiled once per element type in this crate
/// ([`Kernels`](super::entry::Kernels)).
#[allow(clippy::too_many_arguments, reason = "the kernel's")]
pub(super) fn affine_act_rows_imp<T: Scalar>(
    m: usize,
    k: usize,
    n: usize,
    x: &[T],
    w: &[T],
    b: Option<&[T]>,
    act: Option<Activation>,
    y: &mut [T],
) {
    assert!(
        x.len() == m * k && w.len() == k * n && y.len() == m * n,
        "affine_rows: slices do not match {m}×{k} · {k}×{n}"
    );
    if let Some(b) = b {
        assert_eq!(
            b.len(),
            n,
            "affine_rows: bias length differs from W's columns"
        );
    }
    let store = Store::Affine { bias: b, act };
    product(m, k, n, Operand::rows(x, k), Operand::rows(w, n), y, store);
}

/// `c += a·b`: `a` is `m×k`, `b` is `k×n`, `c` is `m×n`.
///
/// # Panics
/// If a slice's length does not match the dimensions.
pub fn matmul_acc<T: Scalar>(m: usize, k: usize, n: usize, a: &[T], b: &[T], c: &mut [T]) {
    assert!(
        a.len() == m * k && b.len() == k * n && c.len() == m * n,
        "matmul_acc: slices do not match {m}×{k} · {k}×{n}"
    );
    product(
        m,
        k,
        n,
        Operand::rows(a, k),
        Operand::rows(b, n),
        c,
        Store::Add,
    );
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
    T::matmul_nt(m, n, k, a, b, c, acc)
}

/// [`matmul_nt`]'s body, compiled once per element type in this crate
/// ([`Kernels`](super::entry::Kernels)).
#[allow(clippy::too_many_arguments, reason = "the kernel's")]
pub(super) fn matmul_nt_imp<T: Scalar>(
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
    let store = if acc { Store::Add } else { Store::Write };
    product(
        m,
        n,
        k,
        Operand::rows(a, n),
        Operand::transposed(b, n),
        c,
        store,
    );
}

/// `c = act'(saved) ∘ (a·bᵀ)`: [`matmul_nt`] followed by an activation's
/// derivative, applied to each block as it is stored (the input gradient of
/// an affine layer whose input an activation produced; `saved` is that
/// activation's output, `m×k` like `c`).
///
/// ```
/// use dezero_runtime::kernels::{matmul_nt_act_grad, Activation};
/// let gy = [2.0_f64]; // 1×1
/// let w = [1.0, 1.0]; // 2×1
/// let saved = [0.5, -1.0]; // relu input
/// let mut gx = [0.0; 2];
/// matmul_nt_act_grad(1, 1, 2, &gy, &w, Activation::Relu, &saved, &mut gx);
/// assert_eq!(gx, [2.0, 0.0]);
/// ```
///
/// # Panics
/// If a slice's length does not match the dimensions.
#[allow(clippy::too_many_arguments, reason = "a BLAS-style signature")]
pub fn matmul_nt_act_grad<T: Scalar>(
    m: usize,
    n: usize,
    k: usize,
    a: &[T],
    b: &[T],
    act: Activation,
    saved: &[T],
    c: &mut [T],
) {
    T::matmul_nt_act_grad(m, n, k, a, b, act, saved, c)
}

/// [`matmul_nt_act_grad`]'s body, compiled once per element type in this crate
/// ([`Kernels`](super::entry::Kernels)).
#[allow(clippy::too_many_arguments, reason = "the kernel's")]
pub(super) fn matmul_nt_act_grad_imp<T: Scalar>(
    m: usize,
    n: usize,
    k: usize,
    a: &[T],
    b: &[T],
    act: Activation,
    saved: &[T],
    c: &mut [T],
) {
    assert!(
        a.len() == m * n && b.len() == k * n && c.len() == m * k && saved.len() == m * k,
        "matmul_nt_act_grad: slices do not match {m}×{n} · ({k}×{n})ᵀ"
    );
    let store = Store::ActGrad { act, saved };
    product(
        m,
        n,
        k,
        Operand::rows(a, n),
        Operand::transposed(b, n),
        c,
        store,
    );
}

/// `c = aᵀ·b`, or `c += aᵀ·b` when `acc`: `a` is `m×k`, `b` is `m×n`, `c`
/// is `k×n` (the weight gradient of an affine layer, `gW += xᵀ·gy`).
///
/// ```
/// let (x, gy) = ([1.0_f64, 2.0, 3.0, 4.0], [1.0, 1.0]);
/// let mut gw = [9.0; 2];
/// dezero_runtime::kernels::matmul_tn(2, 2, 1, &x, &gy, &mut gw, false);
/// assert_eq!(gw, [4.0, 6.0]);
/// dezero_runtime::kernels::matmul_tn(2, 2, 1, &x, &gy, &mut gw, true);
/// assert_eq!(gw, [8.0, 12.0]);
/// ```
///
/// # Panics
/// If a slice's length does not match the dimensions.
pub fn matmul_tn<T: Scalar>(
    m: usize,
    k: usize,
    n: usize,
    a: &[T],
    b: &[T],
    c: &mut [T],
    acc: bool,
) {
    T::matmul_tn(m, k, n, a, b, c, acc)
}

/// [`matmul_tn`]'s body, compiled once per element type in this crate
/// ([`Kernels`](super::entry::Kernels)).
#[allow(clippy::too_many_arguments, reason = "the kernel's")]
pub(super) fn matmul_tn_imp<T: Scalar>(
    m: usize,
    k: usize,
    n: usize,
    a: &[T],
    b: &[T],
    c: &mut [T],
    acc: bool,
) {
    assert!(
        a.len() == m * k && b.len() == m * n && c.len() == k * n,
        "matmul_tn: slices do not match ({m}×{k})ᵀ · {m}×{n}"
    );
    product(
        k,
        m,
        n,
        Operand::transposed(a, k),
        Operand::rows(b, n),
        c,
        if acc { Store::Add } else { Store::Write },
    );
}

/// `c += A·b` where `A` is `m×k` read through strides (`A(i, p) =
/// a[i·rs + p·cs]`, so a transposed operand costs nothing), `b` is a
/// row-major `k×n` matrix and `c` a row-major `m×n` one.
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
    let a = Operand { data: a, rs, cs };
    product(m, k, n, a, Operand::rows(b, n), c, Store::Add);
}

/// `out += Σ_rows x`: column sums of the `m×n` matrix `x` added to `out`
/// (the bias gradient of an affine layer), as the product `1ᵀ·x`.
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
    sum_rows_into(m, n, x, out, true);
}

/// `out = Σ_rows x`, or `out += Σ_rows x` when `acc`: the column sums of
/// the `m×n` matrix `x`. Overwriting gives the sums [`sum_rows_acc`] adds
/// to a zero `out`, bit for bit.
///
/// ```
/// let mut gb = [7.0_f64, 7.0];
/// dezero_runtime::kernels::sum_rows_into(2, 2, &[1.0, 2.0, 3.0, 4.0], &mut gb, false);
/// assert_eq!(gb, [4.0, 6.0]);
/// ```
///
/// # Panics
/// If a slice's length does not match the dimensions.
pub fn sum_rows_into<T: Scalar>(m: usize, n: usize, x: &[T], out: &mut [T], acc: bool) {
    T::sum_rows_into(m, n, x, out, acc)
}

/// [`sum_rows_into`]'s body, compiled once per element type in this crate
/// ([`Kernels`](super::entry::Kernels)).
#[allow(clippy::too_many_arguments, reason = "the kernel's")]
pub(super) fn sum_rows_into_imp<T: Scalar>(m: usize, n: usize, x: &[T], out: &mut [T], acc: bool) {
    assert!(
        x.len() == m * n && out.len() == n,
        "sum_rows_into: slices do not match {m}×{n}"
    );
    if n == 1 {
        // One column: a plain sum, in eight interleaved partial sums.
        let mut s = [T::zero(); 8];
        let chunks = x.chunks_exact(8);
        let rest = chunks.remainder();
        for c in chunks {
            for i in 0..8 {
                s[i] += c[i];
            }
        }
        let mut t = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
        for &v in rest {
            t += v;
        }
        out[0] = if acc { out[0] + t } else { t };
        return;
    }
    if n >= 16 {
        // Wide rows: added row after row, whole registers at a time.
        return T::sum_rows_dispatch(n, x, out, acc);
    }
    // A row of ones, all at one address: `1·v + s` rounds as `v + s`.
    let one = [T::one()];
    let ones = Operand {
        data: &one[..],
        rs: 0,
        cs: 0,
    };
    let store = if acc { Store::Add } else { Store::Write };
    product(1, m, n, ones, Operand::rows(x, n), out, store);
}

multiversion! { pub(super) fn sum_rows_dispatch<T: Scalar>(n: usize, x: &[T], out: &mut [T], acc: bool) => sum_rows_imp }

/// Sixteen columns at a time, summed down the rows in a register and stored
/// to `out` once; each column's sum runs row after row from `out`'s value
/// when `acc`, from zero otherwise.
#[inline(always)]
fn sum_rows_imp<T: Scalar, const FMA: bool>(n: usize, x: &[T], out: &mut [T], add: bool) {
    if !add {
        out.fill(T::zero());
    }
    let mut j = 0;
    while j + 16 <= n {
        let mut acc: [T; 16] = out[j..j + 16].try_into().expect("16 columns");
        for row in x.chunks_exact(n) {
            let r: &[T; 16] = row[j..j + 16].try_into().expect("16 columns");
            for l in 0..16 {
                acc[l] += r[l];
            }
        }
        out[j..j + 16].copy_from_slice(&acc);
        j += 16;
    }
    for row in x.chunks_exact(n) {
        for (o, &v) in out[j..].iter_mut().zip(&row[j..]) {
            *o += v;
        }
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
        let shapes = [
            (1, 1, 1),
            (5, 3, 7),
            (9, 13, 2),
            (4, 17, 10),
            (8, 64, 64),
            (6, 9, 33),
            (7, 12, 1),
            (5, 100, 3),
            (37, 70, 45),
        ];
        // Under Miri, all but the largest (two thirds of the work): there
        // the products use the baseline blocks (4×4 for `f64`), which the
        // others already span several times, with remainders of rows and
        // of columns ((9, 13, 2), (6, 9, 33), (8, 64, 64)).
        let shapes = if cfg!(miri) {
            &shapes[..shapes.len() - 1]
        } else {
            &shapes[..]
        };
        for &(m, k, n) in shapes {
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
            matmul_tn(m, k, n, &a, &b2, &mut c3, true);
            for (x, y) in c3.iter().zip(&naive(k, m, n, &at, &b2)) {
                assert!((x - (y + 1.0)).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn column_sums_match_the_loop() {
        for &(m, n) in &[(1, 1), (7, 1), (100, 1), (13, 10), (32, 64), (5, 17)] {
            let x = seq(m * n, 0.3);
            let mut out = vec![0.5; n];
            sum_rows_acc(m, n, &x, &mut out);
            for (j, o) in out.iter().enumerate() {
                let want: f64 = 0.5 + (0..m).map(|r| x[r * n + j]).sum::<f64>();
                assert!((o - want).abs() < 1e-12, "{m}×{n}");
            }
        }
    }

    #[test]
    fn overwriting_gives_the_sums_added_to_zero_bit_for_bit() {
        // What a compiled pass relies on when a cleared gradient is
        // overwritten instead of zeroed and added to: stale values (NaN
        // here) are never read, and the result is the same bits.
        for &(m, k, n) in &[
            (1, 1, 1),
            (32, 64, 64),
            (100, 10, 1),
            (7, 3, 17),
            (5, 9, 33),
        ] {
            let a = seq(m * k, 0.7);
            let b = seq(m * n, 0.9);
            let mut added = vec![0.0; k * n];
            matmul_tn(m, k, n, &a, &b, &mut added, true);
            let mut written = vec![f64::NAN; k * n];
            matmul_tn(m, k, n, &a, &b, &mut written, false);
            assert_eq!(
                written.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                added.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "matmul_tn {m}×{k}×{n}"
            );
            let mut added = vec![0.0; n];
            sum_rows_acc(m, n, &b, &mut added);
            let mut written = vec![f64::NAN; n];
            sum_rows_into(m, n, &b, &mut written, false);
            assert_eq!(written, added, "sum_rows_into {m}×{n}");
        }
    }
}
