//! The register-blocked product: `C` panel by panel of columns, each panel
//! of `B` read in place or packed, then row block by row block through the
//! register blocks of [`block`](super::block) and the store pass.

use std::mem::size_of;

use super::block::{block_acc, row_acc};
use super::store::{narrow, store_block, Place};
use super::{Operand, Store};
use crate::kernels::activation::act_inplace_imp;
use crate::scalar::Scalar;

/// The register-blocked product, panel by panel of `NR` (or `NH`) columns.
#[cfg_attr(debug_assertions, inline(never))]
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn blocked<
    T: Scalar,
    const FMA: bool,
    const MR: usize,
    const NR: usize,
    const NH: usize,
>(
    m: usize,
    k: usize,
    n: usize,
    a: Operand<'_, T>,
    b: Operand<'_, T>,
    c: &mut [T],
    store: Store<'_, T>,
) {
    // `A` is read row-major or transposed in place; other strides (a
    // non-contiguous view) are copied row-major first.
    let a_rows = a.cs == 1 || k == 1;
    let a_trans = !a_rows && (a.rs == 1 || m == 1);
    let a_copy = if a_rows || a_trans { 0 } else { m * k };
    let b_rows = b.cs == 1 || n == 1;
    let elem = size_of::<T>();
    let pack_b =
        !b_rows || (m > 2 * MR && k * NR * elem > 32 * 1024 && b.rs.saturating_mul(elem) >= 2048);
    let mut scratch = T::take_scratch(a_copy + k * NR);
    let (abuf, bbuf) = scratch.split_at_mut(a_copy);
    let a = if a_copy > 0 {
        for (i, row) in abuf.chunks_exact_mut(k).enumerate() {
            for (p, v) in row.iter_mut().enumerate() {
                *v = a.data[i * a.rs + p * a.cs];
            }
        }
        Operand::rows(&*abuf, k)
    } else {
        a
    };
    let panels = Panels {
        m,
        k,
        n,
        a,
        b,
        pack_b,
    };
    if a_rows || a_copy > 0 {
        panels.run::<FMA, MR, NR, NH, false>(bbuf, c, store);
    } else {
        panels.run::<FMA, MR, NR, NH, true>(bbuf, c, store);
    }
    T::put_scratch(scratch);
}

/// The most bytes of a packed panel of `B` taken at once: within L1 (48
/// KiB on the machines this is tuned for) with room for the rows of `A`.
const CHUNK_BYTES: usize = 32 * 1024;

/// One product's operands, walked panel by panel.
struct Panels<'a, T> {
    m: usize,
    k: usize,
    n: usize,
    a: Operand<'a, T>,
    b: Operand<'a, T>,
    pack_b: bool,
}

impl<T: Scalar> Panels<'_, T> {
    #[cfg_attr(debug_assertions, inline(never))]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn run<const FMA: bool, const MR: usize, const NR: usize, const NH: usize, const AT: bool>(
        &self,
        bbuf: &mut [T],
        c: &mut [T],
        store: Store<'_, T>,
    ) {
        let mut j0 = 0;
        while j0 < self.n {
            let w = (self.n - j0).min(NR);
            if w > NH {
                self.panel::<FMA, MR, NR, AT>(j0, w, bbuf, c, store);
            } else {
                self.panel::<FMA, MR, NH, AT>(j0, w, bbuf, c, store);
            }
            j0 += w;
        }
        if let (true, Store::Affine { act: Some(act), .. }) = (narrow(self.n, NR, NH), store) {
            // The activation of a narrow product (rows shorter than a
            // block) runs once over all of `C`, contiguous: no lane is
            // spent past a row's end.
            act_inplace_imp::<T, FMA>(act, &mut c[..self.m * self.n]);
        }
    }

    /// Columns `j0..j0 + w` (`w ≤ W`) of `C`, all rows.
    #[cfg_attr(debug_assertions, inline(never))]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn panel<const FMA: bool, const MR: usize, const W: usize, const AT: bool>(
        &self,
        j0: usize,
        w: usize,
        bbuf: &mut [T],
        c: &mut [T],
        store: Store<'_, T>,
    ) {
        let (k, b) = (self.k, self.b);
        // The panel's bias, zero past `w`, read by every block.
        let mut bias = [T::zero(); W];
        if let Store::Affine { bias: Some(b), .. } = store {
            bias[..w].copy_from_slice(&b[j0..j0 + w]);
        }
        let lda = if AT { self.a.cs } else { self.a.rs };
        let a_step = if AT { lda } else { 1 };
        let elem = std::mem::size_of::<T>();
        let chunks = (k * W * elem).div_ceil(CHUNK_BYTES);
        if self.pack_b && w == W && chunks > 1 {
            // A packed panel larger than L1 is taken in chunks of rows
            // that fit, each reused by every row block from L1 (rather
            // than streamed from L2 once per block): the sums of earlier
            // chunks wait in `C`, and the last chunk adds them before the
            // store pass finishes the block.
            let kc = k.div_ceil(chunks);
            let mut p0 = 0;
            while p0 < k {
                let kk = kc.min(k - p0);
                let chunk = Operand {
                    data: &b.data[p0 * b.rs..],
                    ..b
                };
                pack_panel::<T, W>(chunk, kk, j0, w, &mut bbuf[..kk * W]);
                let src = PanelSrc {
                    k: kk,
                    k_direct: kk,
                    a: self.a.data.as_ptr().wrapping_add(p0 * a_step),
                    lda,
                    b: bbuf.as_ptr(),
                    ldb: W,
                    tail: bbuf.as_ptr(),
                };
                let last = p0 + kk == k;
                let (resume, st) = match store {
                    Store::Add => (false, Store::Add),
                    _ if p0 == 0 => (false, Store::Write),
                    _ if !last => (false, Store::Add),
                    other => (true, other),
                };
                let at = Place {
                    n: self.n,
                    j0,
                    w,
                    resume,
                };
                self.rows::<FMA, MR, W, AT>(&src, c, at, &bias, st);
                p0 += kk;
            }
            return;
        }
        // Rows `0..k_direct` of the panel are read in place (`W` elements
        // from each, past the panel's `w` into the next row where `w < W`:
        // those lanes are never stored), the rest from `bbuf`, padded.
        let direct = if self.pack_b {
            0
        } else {
            let len = b.data.len();
            if j0 + W > len {
                0
            } else {
                // Rows `p` with `p·rs + j0 + W ≤ len` (all of them when the
                // rows are one broadcast row, `rs = 0`).
                match (len - j0 - W).checked_div(b.rs) {
                    Some(q) => (q + 1).min(k),
                    None => k,
                }
            }
        };
        // A panel mostly past the end of `B` (a narrow `B` of few rows) is
        // packed whole, so that each block is one run over `k`.
        let k_direct = if direct * 2 < k { 0 } else { direct };
        let (bptr, ldb) = if self.pack_b || k_direct == 0 {
            pack_panel::<T, W>(b, k, j0, w, &mut bbuf[..k * W]);
            (bbuf.as_ptr(), W)
        } else {
            let tail = &mut bbuf[..(k - k_direct) * W];
            for (q, dst) in tail.chunks_exact_mut(W).enumerate() {
                let p = k_direct + q;
                for (jj, d) in dst.iter_mut().enumerate() {
                    *d = if jj < w {
                        b.data[p * b.rs + (j0 + jj) * b.cs]
                    } else {
                        T::zero()
                    };
                }
            }
            (b.data.as_ptr().wrapping_add(j0 * b.cs), b.rs)
        };
        let k_direct = if self.pack_b || k_direct == 0 {
            k
        } else {
            k_direct
        };
        let src = PanelSrc {
            k,
            k_direct,
            a: self.a.data.as_ptr(),
            lda,
            b: bptr,
            ldb,
            tail: bbuf.as_ptr(),
        };
        let at = Place {
            n: self.n,
            j0,
            w,
            resume: false,
        };
        self.rows::<FMA, MR, W, AT>(&src, c, at, &bias, store);
    }

    /// Every row block of one panel, from `src`, through the store pass.
    #[cfg_attr(debug_assertions, inline(never))]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn rows<const FMA: bool, const MR: usize, const W: usize, const AT: bool>(
        &self,
        src: &PanelSrc<T>,
        c: &mut [T],
        at: Place,
        bias: &[T; W],
        store: Store<'_, T>,
    ) {
        let m = self.m;
        let mut r = 0;
        while r + MR <= m {
            store_block::<T, FMA, _, W>(&mut src.block::<FMA, MR, W, AT>(r), c, r, at, bias, store);
            r += MR;
        }
        while r + 4 <= m {
            store_block::<T, FMA, _, W>(&mut src.block::<FMA, 4, W, AT>(r), c, r, at, bias, store);
            r += 4;
        }
        if r + 2 <= m {
            store_block::<T, FMA, _, W>(&mut src.block::<FMA, 2, W, AT>(r), c, r, at, bias, store);
            r += 2;
        }
        if r < m {
            store_block::<T, FMA, _, W>(&mut [src.row::<FMA, W, AT>(r)], c, r, at, bias, store);
        }
    }
}

/// Where a panel's blocks read: `A` in place (row-major, or transposed when
/// `AT`), steps `0..k_direct` of `B` from `b` (rows `ldb` apart) and the
/// rest from `tail` (rows `W` apart).
///
/// Invariant (what makes the reads in `block` and `row` sound): `a` is the
/// first element of an `A` whose `m` rows and `k` steps lie inside one
/// slice; for `p < k_direct` the `W` elements at `b + p·ldb` lie inside one
/// slice; `tail` holds `(k − k_direct)·W` elements.
struct PanelSrc<T> {
    k: usize,
    k_direct: usize,
    a: *const T,
    lda: usize,
    b: *const T,
    ldb: usize,
    tail: *const T,
}

impl<T: Scalar> PanelSrc<T> {
    /// The first element of row `r` of `A`, and the distance between steps.
    #[inline(always)]
    fn a_row<const AT: bool>(&self, r: usize) -> (*const T, usize) {
        if AT {
            (self.a.wrapping_add(r), self.lda)
        } else {
            (self.a.wrapping_add(r * self.lda), 1)
        }
    }

    /// The sums of rows `r..r + R` (which must be rows of `A`).
    #[cfg_attr(debug_assertions, inline(never))]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn block<const FMA: bool, const R: usize, const W: usize, const AT: bool>(
        &self,
        r: usize,
    ) -> [[T; W]; R] {
        let mut acc = [[T::zero(); W]; R];
        let (ar, step) = self.a_row::<AT>(r);
        // SAFETY: rows `r..r + R` are rows of `A` and steps `p < k_direct`
        // steps of it; the `B` rows read are in place by the invariant.
        unsafe {
            block_acc::<T, FMA, R, W, AT>(self.k_direct, ar, self.lda, self.b, self.ldb, &mut acc)
        };
        if self.k_direct < self.k {
            let ar = ar.wrapping_add(self.k_direct * step);
            // SAFETY: steps `k_direct..k` of the same rows of `A`; `tail`
            // holds their `B` rows by the invariant.
            unsafe {
                block_acc::<T, FMA, R, W, AT>(
                    self.k - self.k_direct,
                    ar,
                    self.lda,
                    self.tail,
                    W,
                    &mut acc,
                )
            };
        }
        acc
    }

    /// The sums of row `r` (a row of `A`), with four chains at once.
    #[cfg_attr(debug_assertions, inline(never))]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn row<const FMA: bool, const W: usize, const AT: bool>(&self, r: usize) -> [T; W] {
        let mut acc = [T::zero(); W];
        let (ar, step) = self.a_row::<AT>(r);
        // SAFETY: as in `block`, with one row.
        unsafe {
            row_acc::<T, FMA, W, AT>(self.k_direct, ar, self.lda, self.b, self.ldb, &mut acc)
        };
        if self.k_direct < self.k {
            let ar = ar.wrapping_add(self.k_direct * step);
            // SAFETY: as in `block`.
            unsafe {
                row_acc::<T, FMA, W, AT>(
                    self.k - self.k_direct,
                    ar,
                    self.lda,
                    self.tail,
                    W,
                    &mut acc,
                )
            };
        }
        acc
    }
}

/// Copies columns `j0..j0 + w` of `B` (all `k` rows) into `out` as rows of
/// `width` elements, zero past `w`. A transposed `B` (`gy·Wᵀ`) is read in
/// 8×8 tiles, each a few contiguous reads, so the transposition runs at
/// memory speed rather than one cache line per element.
#[inline(always)]
fn pack_panel<T: Scalar, const W: usize>(
    b: Operand<'_, T>,
    k: usize,
    j0: usize,
    w: usize,
    out: &mut [T],
) {
    let width = W;
    if b.cs == 1 {
        for (p, dst) in out.chunks_exact_mut(W).enumerate() {
            let src = &b.data[p * b.rs + j0..];
            if w == W {
                // A copy of compile-time length: a few vector moves, where
                // the run-time length below is a `memmove` call per row.
                dst.copy_from_slice(&src[..W]);
            } else {
                dst[..w].copy_from_slice(&src[..w]);
                dst[w..].fill(T::zero());
            }
        }
        return;
    }
    if b.rs == 1 {
        #[cfg(target_arch = "x86_64")]
        if std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>()
            && crate::kernels::isa() == crate::kernels::Isa::Avx512
        {
            let (k16, w16) = (k - k % 16, w - w % 16);
            let (src, dst) = (
                b.data.as_ptr().cast::<f32>(),
                out.as_mut_ptr().cast::<f32>(),
            );
            for jb in (0..w16).step_by(16) {
                for pb in (0..k16).step_by(16) {
                    // SAFETY: `T` is `f32` (same type id), AVX-512F is
                    // present (`isa()`); the tile reads columns `j0 + jb..+16
                    // < n` and rows `pb..+16 ≤ k` of `B`, inside `b.data`
                    // (`covers(k, n)`), and writes rows `pb..+16` and lanes
                    // `jb..+16 ≤ width` of `out` (`k·width` long).
                    unsafe {
                        super::transpose::transpose16(
                            src.wrapping_add((j0 + jb) * b.cs + pb),
                            b.cs,
                            dst.wrapping_add(pb * width + jb),
                            width,
                        )
                    };
                }
            }
            for (p, dst) in out.chunks_exact_mut(width).enumerate() {
                let cols = if p < k16 { w16..w } else { 0..w };
                for jj in cols {
                    dst[jj] = b.data[p + (j0 + jj) * b.cs];
                }
                dst[w..].fill(T::zero());
            }
            return;
        }
        let (k8, w8) = (k - k % 8, w - w % 8);
        for jb in (0..w8).step_by(8) {
            for pb in (0..k8).step_by(8) {
                let mut tile = [[T::zero(); 8]; 8];
                for (jj, t) in tile.iter_mut().enumerate() {
                    t.copy_from_slice(&b.data[(j0 + jb + jj) * b.cs + pb..][..8]);
                }
                for (pp, dst) in out[pb * width..].chunks_mut(width).take(8).enumerate() {
                    let dst: &mut [T; 8] = (&mut dst[jb..jb + 8]).try_into().expect("8 lanes");
                    for (jj, d) in dst.iter_mut().enumerate() {
                        *d = tile[jj][pp];
                    }
                }
            }
        }
        for (p, dst) in out.chunks_exact_mut(width).enumerate() {
            let cols = if p < k8 { w8..w } else { 0..w };
            for jj in cols {
                dst[jj] = b.data[p + (j0 + jj) * b.cs];
            }
            dst[w..].fill(T::zero());
        }
        return;
    }
    for (p, dst) in out.chunks_exact_mut(width).enumerate() {
        for (jj, d) in dst.iter_mut().enumerate() {
            *d = if jj < w {
                b.data[p * b.rs + (j0 + jj) * b.cs]
            } else {
                T::zero()
            };
        }
    }
}
