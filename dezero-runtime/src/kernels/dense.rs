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
    product(
        k,
        m,
        n,
        Operand::transposed(a, k),
        Operand::rows(b, n),
        c,
        Store::Add,
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
    assert!(
        x.len() == m * n && out.len() == n,
        "sum_rows_acc: slices do not match {m}×{n}"
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
        out[0] += t;
        return;
    }
    // A row of ones, all at one address: `1·v + s` rounds as `v + s`.
    let one = [T::one()];
    let ones = Operand {
        data: &one[..],
        rs: 0,
        cs: 0,
    };
    product(1, m, n, ones, Operand::rows(x, n), out, Store::Add);
}
