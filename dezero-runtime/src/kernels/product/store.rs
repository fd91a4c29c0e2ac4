//! The store pass: what happens to a finished block of sums on its way into
//! `C` — written, added, given a bias and an activation, or turned into an
//! input gradient by an activation's derivative — while it is still in
//! registers or L1.

use super::Store;
use crate::kernels::activation::{act_grad_inplace_imp, act_inplace_imp, with_activation};
use crate::scalar::Scalar;

/// Whether a product's rows are narrower than its block (`n` below the
/// half-width block `NH`, or between `NH` and `NR`): then a block holds
/// whole rows, stored as in [`store_block`].
#[inline(always)]
pub(super) fn narrow(n: usize, nr: usize, nh: usize) -> bool {
    n < nr && n != nh
}

/// Where a panel's blocks go in `C`: `n` columns, the panel's `w` from
/// `j0`.
#[derive(Clone, Copy)]
pub(super) struct Place {
    /// Columns of `C`.
    pub n: usize,
    /// The panel's first column.
    pub j0: usize,
    /// The panel's width.
    pub w: usize,
    /// Whether `C` holds the sums of earlier steps, to add before the
    /// store finishes (the last chunk of a panel taken in chunks; full
    /// width only).
    pub resume: bool,
}

/// Stores a finished block (`R` rows of sums, the first `w` of each valid)
/// into rows `r..` of the panel's columns, with the bias (`bias`: the
/// panel's, zero past `w`), activation or derivative applied on the way.
#[inline(always)]
pub(super) fn store_block<T: Scalar, const FMA: bool, const R: usize, const W: usize>(
    acc: &mut [[T; W]; R],
    c: &mut [T],
    r: usize,
    at: Place,
    bias: &[T; W],
    store: Store<'_, T>,
) {
    let Place { n, j0, w, resume } = at;
    if w == W {
        return store_full::<T, FMA, R, W>(acc, c, n, r, j0, bias, store, resume);
    }
    debug_assert!(!resume, "only full-width panels are taken in chunks");
    if w == n && !matches!(store, Store::Add) {
        return store_narrow::<T, FMA, R, W>(&*acc, c, n, r, bias, store);
    }
    // The last panel of a wide product: row segments of run-time length.
    for (i, s) in acc.iter().enumerate() {
        let o = (r + i) * n + j0;
        store_seg::<T, FMA>(&mut c[o..o + w], &s[..w], j0, o, store, true);
    }
}

/// [`store_block`] for whole rows narrower than the block (`w = n < W`)
/// and a store that overwrites: each row is finished over all `W` lanes in
/// a local array and written whole, the lanes past its end landing on the
/// next row, which is written after it (the block's rows in order, then
/// the next block's). Only the last rows of `C`, where `W` lanes would run
/// past its end, are written to length. The activation of an affine store
/// is left to [`blocked`](fn@super::blocked), which applies it to all of `C` at once.
#[cfg_attr(debug_assertions, inline(never))]
#[cfg_attr(not(debug_assertions), inline(always))]
fn store_narrow<T: Scalar, const FMA: bool, const R: usize, const W: usize>(
    acc: &[[T; W]; R],
    c: &mut [T],
    n: usize,
    r: usize,
    b: &[T; W],
    store: Store<'_, T>,
) {
    let len = c.len();
    let lane_ok = |o: usize| match store {
        Store::ActGrad { saved, .. } => o + W <= len && o + W <= saved.len(),
        _ => o + W <= len,
    };
    for (i, s) in acc.iter().enumerate() {
        let o = (r + i) * n;
        if !lane_ok(o) {
            store_seg::<T, FMA>(&mut c[o..o + n], &s[..n], 0, o, store, false);
            continue;
        }
        let mut v = *s;
        match store {
            Store::Write | Store::Add => {}
            Store::Affine { bias, .. } => {
                if bias.is_some() {
                    // Zero past the row's end: those lanes are overwritten.
                    for j in 0..W {
                        v[j] += b[j];
                    }
                }
            }
            Store::ActGrad { act, saved } => {
                let y: [T; W] = saved[o..o + W].try_into().expect("W");
                with_activation!(act, T, FMA, |_f, g| {
                    for j in 0..W {
                        v[j] = g(y[j], v[j]);
                    }
                });
            }
        }
        c[o..o + W].copy_from_slice(&v);
    }
}

/// [`store_block`] for a full-width block: each row is finished in a local
/// array by index loops of compile-time length, and written once. The
/// block is taken by `&mut` so that resuming adds into it in place: a copy
/// of the block (a kilobyte for `f32`) was a `memcpy` call per block. The
/// compiler turns these into a few whole-register operations per row;
/// iterator chains over references into `C` came out as one scalar per
/// lane, and run-time-length loops paid their set-up on every row.
#[cfg_attr(debug_assertions, inline(never))]
#[cfg_attr(not(debug_assertions), inline(always))]
#[allow(clippy::too_many_arguments, reason = "the block and where it goes")]
fn store_full<T: Scalar, const FMA: bool, const R: usize, const W: usize>(
    acc: &mut [[T; W]; R],
    c: &mut [T],
    n: usize,
    r: usize,
    j0: usize,
    b: &[T; W],
    store: Store<'_, T>,
    resume: bool,
) {
    let row = |i: usize| (r + i) * n + j0;
    // With `resume`, the sums so far (in `C`) plus this block's.
    if resume {
        for (i, s) in acc.iter_mut().enumerate() {
            let cur: [T; W] = c[row(i)..row(i) + W].try_into().expect("W");
            for j in 0..W {
                s[j] = cur[j] + s[j];
            }
        }
    }
    let acc = &*acc;
    match store {
        Store::Write => {
            for (i, s) in acc.iter().enumerate() {
                c[row(i)..row(i) + W].copy_from_slice(s);
            }
        }
        Store::Add => {
            for (i, s) in acc.iter().enumerate() {
                let seg: &mut [T; W] = (&mut c[row(i)..row(i) + W]).try_into().expect("W");
                let mut v = *seg;
                for j in 0..W {
                    v[j] += s[j];
                }
                *seg = v;
            }
        }
        Store::Affine { bias, act } => {
            let b = *b;
            let add = bias.is_some();
            // The activation as a function item (the identity for none),
            // so each loop below is compiled with it inlined.
            macro_rules! put {
                ($f:expr) => {
                    for (i, s) in acc.iter().enumerate() {
                        let mut v = *s;
                        for j in 0..W {
                            v[j] = $f(if add { v[j] + b[j] } else { v[j] });
                        }
                        c[row(i)..row(i) + W].copy_from_slice(&v);
                    }
                };
            }
            match act {
                None => put!(|v| v),
                Some(act) => with_activation!(act, T, FMA, |f, _g| put!(f)),
            }
        }
        Store::ActGrad { act, saved } => {
            with_activation!(act, T, FMA, |_f, g| {
                for (i, s) in acc.iter().enumerate() {
                    let o = row(i);
                    let y: [T; W] = saved[o..o + W].try_into().expect("W");
                    let mut v = *s;
                    for j in 0..W {
                        v[j] = g(y[j], v[j]);
                    }
                    c[o..o + W].copy_from_slice(&v);
                }
            })
        }
    }
}

/// `seg ⟵ s` as `store` says (the bias for columns from `j0`; saved values
/// at offset `o` of `C`), with the derivative of an `ActGrad` store, and the
/// activation of an affine one if `act` (not for a narrow product, whose
/// activation [`blocked`](fn@super::blocked) applies).
#[inline(always)]
pub(super) fn store_seg<T: Scalar, const FMA: bool>(
    seg: &mut [T],
    s: &[T],
    j0: usize,
    o: usize,
    store: Store<'_, T>,
    act: bool,
) {
    let s = &s[..seg.len()];
    match store {
        Store::Write => seg.copy_from_slice(s),
        Store::Add => {
            for (c, &v) in seg.iter_mut().zip(s) {
                *c += v;
            }
        }
        Store::Affine { bias: None, act: a } => match a.filter(|_| act) {
            None => seg.copy_from_slice(s),
            Some(act) => with_activation!(act, T, FMA, |f, _g| map1(seg, s, f)),
        },
        Store::Affine {
            bias: Some(bias),
            act: a,
        } => {
            let bias = &bias[j0..j0 + seg.len()];
            match a.filter(|_| act) {
                None => map2(seg, s, bias, |v, b| v + b),
                Some(act) => {
                    with_activation!(act, T, FMA, |f, _g| map2(seg, s, bias, |v, b| f(v + b)))
                }
            }
        }
        Store::ActGrad { act, saved } => {
            let saved = &saved[o..o + seg.len()];
            with_activation!(act, T, FMA, |_f, g| map2(seg, s, saved, |v, y| g(y, v)));
        }
    }
}

/// `seg[j] = f(s[j])`.
#[inline(always)]
fn map1<T: Scalar>(seg: &mut [T], s: &[T], f: impl Fn(T) -> T) {
    for (c, &v) in seg.iter_mut().zip(s) {
        *c = f(v);
    }
}

/// `seg[j] = f(s[j], t[j])`.
#[inline(always)]
fn map2<T: Scalar>(seg: &mut [T], s: &[T], t: &[T], f: impl Fn(T, T) -> T) {
    for ((c, &v), &u) in seg.iter_mut().zip(s).zip(t) {
        *c = f(v, u);
    }
}

/// Applies the activation (or its derivative, with the saved values at the
/// same offset `o` of `C`) to a stored region of `C` starting at offset `o`.
#[inline(always)]
pub(super) fn finish_region<T: Scalar, const FMA: bool>(
    region: &mut [T],
    o: usize,
    store: Store<'_, T>,
) {
    match store {
        Store::Affine { act: Some(act), .. } => act_inplace_imp::<T, FMA>(act, region),
        Store::ActGrad { act, saved } => {
            act_grad_inplace_imp(act, &saved[o..o + region.len()], region);
        }
        _ => {}
    }
}
