//! Products too small for register blocks: a dot product per row when `C`
//! has one column, and an outer product row by row when the inner
//! dimension is 1. Set up, a block would cost more than it computes here.

use super::store::{finish_region, narrow};
use super::{Operand, Store};
use crate::kernels::activation::{act_inplace_imp, with_activation};
use crate::kernels::simd::madd;
use crate::scalar::Scalar;

/// `C (m×n) = a·b` for a column `a` and a contiguous row `b` (`k = 1`: the
/// input gradient of a one-output layer, or a one-input layer's forward),
/// one row at a time through the store pass: with nothing to sum, the
/// register blocks of [`blocked`](fn@super::blocked) would cost more to set up than to run.
/// Each product is `b_j·a_r + 0` fused, as the blocks round it.
#[cfg_attr(debug_assertions, inline(never))]
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn outer<T: Scalar, const FMA: bool, const NR: usize, const NH: usize>(
    m: usize,
    n: usize,
    a: Operand<'_, T>,
    b: &[T],
    c: &mut [T],
    store: Store<'_, T>,
) {
    let mut j0 = 0;
    while j0 < n {
        let w = (n - j0).min(NR);
        if w > NH {
            outer_panel::<T, FMA, NR>(m, n, a, b, c, j0, w, store);
        } else {
            outer_panel::<T, FMA, NH>(m, n, a, b, c, j0, w, store);
        }
        j0 += w;
    }
    if let (true, Store::Affine { act: Some(act), .. }) = (narrow(n, NR, NH), store) {
        act_inplace_imp::<T, FMA>(act, &mut c[..m * n]);
    }
}

/// Columns `j0..j0 + w` of [`outer`]. The store kind is matched once, and
/// each kind gets its own loop over the rows: matched row by row, the same
/// work ran 4× slower (every loop variable spilled to the stack).
#[allow(clippy::too_many_arguments, reason = "the operands and the panel")]
#[inline(always)]
fn outer_panel<T: Scalar, const FMA: bool, const W: usize>(
    m: usize,
    n: usize,
    a: Operand<'_, T>,
    b: &[T],
    c: &mut [T],
    j0: usize,
    w: usize,
    store: Store<'_, T>,
) {
    let mut bw = [T::zero(); W];
    bw[..w].copy_from_slice(&b[j0..j0 + w]);
    // How a row is written: whole (`w = W`); whole with its tail landing on
    // the next row, written after it (narrow rows, `w = n < W`); or, for
    // the last rows of `C` (past which `W` lanes would run) and the last
    // panel of a wide product, to length. The rows written whole come
    // first, in a loop without a branch: with the choice made row by row,
    // each row was spilled to the stack around it (measured: the outer
    // products of step 45 in half the time without).
    // Lanes past `C`'s `m·n` elements are never written.
    let len = c.len().min(m * n);
    let narrow = w == n && w < W;
    let whole_rows = if w == W {
        m
    } else if narrow {
        // rows `r` with `r·n + W ≤ len`
        (len.saturating_sub(W) / n + usize::from(len >= W)).min(m)
    } else {
        0
    };
    macro_rules! rows {
        (|$v:ident, $o:ident| $finish:block) => {{
            for r in 0..whole_rows {
                let av = a.data[r * a.rs];
                let mut $v = [T::zero(); W];
                for j in 0..W {
                    $v[j] = madd::<T, FMA>(av, bw[j], T::zero());
                }
                let $o = r * n + j0;
                $finish
                let dst: &mut [T; W] = (&mut c[$o..$o + W]).try_into().expect("W");
                *dst = $v;
            }
            for r in whole_rows..m {
                let av = a.data[r * a.rs];
                let mut $v = [T::zero(); W];
                for j in 0..W {
                    $v[j] = madd::<T, FMA>(av, bw[j], T::zero());
                }
                let $o = r * n + j0;
                $finish
                c[$o..$o + w].copy_from_slice(&$v[..w]);
            }
        }};
    }
    // `W` values of `src` from offset `o`, zero past what `src` holds.
    let lanes = |src: &[T], o: usize| -> [T; W] {
        let mut x = [T::zero(); W];
        let have = (src.len() - o).min(W);
        x[..have].copy_from_slice(&src[o..o + have]);
        x
    };
    match store {
        Store::Write => rows!(|v, o| {}),
        Store::Add => {
            // `+=` reads `C`, so rows are written to length (no tails).
            for r in 0..m {
                let av = a.data[r * a.rs];
                let o = r * n + j0;
                for (x, &bj) in c[o..o + w].iter_mut().zip(&bw[..w]) {
                    *x += madd::<T, FMA>(av, bj, T::zero());
                }
            }
        }
        Store::Affine { bias, act } => {
            let mut bb = [T::zero(); W];
            if let Some(bias) = bias {
                bb[..w].copy_from_slice(&bias[j0..j0 + w]);
            }
            let add = bias.is_some();
            // A narrow product's activation runs over all of `C` afterwards.
            match act.filter(|_| !narrow) {
                None => rows!(|v, o| {
                    if add {
                        for j in 0..W {
                            v[j] += bb[j];
                        }
                    }
                }),
                Some(act) => with_activation!(act, T, FMA, |f, _g| rows!(|v, o| {
                    for j in 0..W {
                        v[j] = f(if add { v[j] + bb[j] } else { v[j] });
                    }
                })),
            }
        }
        Store::ActGrad { act, saved } => with_activation!(act, T, FMA, |_f, g| rows!(|v, o| {
            let y = if o + W <= saved.len() {
                <[T; W]>::try_from(&saved[o..o + W]).expect("W")
            } else {
                lanes(saved, o)
            };
            for j in 0..W {
                v[j] = g(y[j], v[j]);
            }
        })),
    }
}

/// `C (m×1)` from one dot product per row of a row-major `A` with the
/// contiguous column `b`.
///
/// (Four rows at a time with sixteen partial sums each was tried: no
/// measurable gain on a 32×64·64×1 product, and the different order of the
/// additions moved step 46's `f32` losses off DeZero's printed digits.)
#[cfg_attr(debug_assertions, inline(never))]
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn matvec<T: Scalar, const FMA: bool>(
    m: usize,
    k: usize,
    a: Operand<'_, T>,
    b: &[T],
    c: &mut [T],
    store: Store<'_, T>,
) {
    let b = &b[..k];
    for (r, cr) in c[..m].iter_mut().enumerate() {
        let s = dot::<T, FMA>(&a.data[r * a.rs..][..k], b);
        *cr = match store {
            Store::Write | Store::ActGrad { .. } | Store::Affine { bias: None, .. } => s,
            Store::Add => *cr + s,
            Store::Affine {
                bias: Some(bias), ..
            } => s + bias[0],
        };
    }
    finish_region::<T, FMA>(&mut c[..m], 0, store);
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
    let mut t = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
    for (&x, &y) in ra.iter().zip(rb) {
        t = madd::<T, FMA>(x, y, t);
    }
    t
}
