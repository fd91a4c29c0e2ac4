//! The register blocks of the matrix product: the only code that reads
//! matrices through raw pointers.
//!
//! A block of `MR` rows × `NR` columns of the result is summed over the
//! whole inner dimension in local accumulators, which the compiler keeps in
//! vector registers (`MR · NR` elements: 24 AVX-512 registers for 12 × 32
//! `f32`). Each step reads one row of `NR` elements of `B` and `MR` scalars
//! of `A`, and does `MR · NR` multiply-adds. Reading through pointers rather
//! than slices removes the per-element bounds checks and the per-row slice
//! bookkeeping that otherwise cost more registers than the block has to
//! spare (measured: 2.5× slower on a 96×64·64×64 product).
//!
//! `A` is read either row-major (`AT = false`: `A(i, p)` at `a[i·lda + p]`,
//! the input of a forward product) or transposed (`AT = true`: `A(i, p)` at
//! `a[p·lda + i]`, the `xᵀ` of a weight gradient), `B` always as rows `ldb`
//! apart.

use std::ptr;

use crate::kernels::simd::madd;
use crate::scalar::Scalar;

/// Offset of `A(i, p)` from the block's first element.
#[inline(always)]
fn a_offset<const AT: bool>(i: usize, p: usize, lda: usize) -> usize {
    if AT {
        p * lda + i
    } else {
        i * lda + p
    }
}

/// `acc[i][j] += Σ_{p<k} A(i, p)·B(p, j)` for `i < MR`, `j < NR`, summing
/// in order of `p`.
///
/// # Safety
/// For every `p < k` and `i < MR`, `a` offset by `a_offset::<AT>(i, p,
/// lda)` and the `NR` elements from `b` offset by `p·ldb` must lie inside
/// one initialised allocation of `T`s.
#[cfg_attr(debug_assertions, inline(never))]
#[cfg_attr(not(debug_assertions), inline(always))]
#[allow(
    clippy::needless_range_loop,
    reason = "index loops keep the accumulators in registers; with iterators over the rows, \
              the compiler vectorised across rows with gathers and spilled them"
)]
pub(crate) unsafe fn block_acc<
    T: Scalar,
    const FMA: bool,
    const MR: usize,
    const NR: usize,
    const AT: bool,
>(
    k: usize,
    a: *const T,
    lda: usize,
    b: *const T,
    ldb: usize,
    acc: &mut [[T; NR]; MR],
) {
    let mut s = *acc;
    let (mut ap, mut bp) = (a, b);
    for _ in 0..k {
        // SAFETY: this is step `p < k` (the caller's contract covers it);
        // `read_unaligned` because `b` is only `T`-aligned.
        let bv: [T; NR] = unsafe { ptr::read_unaligned(bp.cast::<[T; NR]>()) };
        for i in 0..MR {
            // SAFETY: row `i < MR` at step `p < k`: the caller's contract.
            let av = unsafe { *ap.wrapping_add(if AT { i } else { i * lda }) };
            for j in 0..NR {
                s[i][j] = madd::<T, FMA>(av, bv[j], s[i][j]);
            }
        }
        ap = ap.wrapping_add(if AT { lda } else { 1 });
        bp = bp.wrapping_add(ldb);
    }
    *acc = s;
}

/// The one-row form of [`block_acc`]: four partial sums over `p mod 4`, so
/// that four multiply-add chains run at once instead of one (a single row
/// has no other rows to overlap with), added together at the end.
///
/// # Safety
/// As [`block_acc`] with `MR = 1`.
#[cfg_attr(debug_assertions, inline(never))]
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) unsafe fn row_acc<T: Scalar, const FMA: bool, const NR: usize, const AT: bool>(
    k: usize,
    a: *const T,
    lda: usize,
    b: *const T,
    ldb: usize,
    acc: &mut [T; NR],
) {
    let mut s = [[T::zero(); NR]; 4];
    let mut p = 0;
    while p + 4 <= k {
        for (u, su) in s.iter_mut().enumerate() {
            // SAFETY: `p + u < k`: readable by the caller's contract.
            let (av, bv) = unsafe {
                (
                    *a.wrapping_add(a_offset::<AT>(0, p + u, lda)),
                    ptr::read_unaligned(b.wrapping_add((p + u) * ldb).cast::<[T; NR]>()),
                )
            };
            for (x, &bj) in su.iter_mut().zip(&bv) {
                *x = madd::<T, FMA>(av, bj, *x);
            }
        }
        p += 4;
    }
    while p < k {
        // SAFETY: `p < k`: readable by the caller's contract.
        let (av, bv) = unsafe {
            (
                *a.wrapping_add(a_offset::<AT>(0, p, lda)),
                ptr::read_unaligned(b.wrapping_add(p * ldb).cast::<[T; NR]>()),
            )
        };
        for (x, &bj) in s[0].iter_mut().zip(&bv) {
            *x = madd::<T, FMA>(av, bj, *x);
        }
        p += 1;
    }
    for (j, x) in acc.iter_mut().enumerate() {
        *x += (s[0][j] + s[1][j]) + (s[2][j] + s[3][j]);
    }
}
