//! The one matrix product behind every affine map and its two gradients,
//! on both paths: `C (=|+=) A·B`, with what happens to each finished block
//! of `C` — overwrite, accumulate, add a bias and apply an activation, or
//! apply an activation's derivative — done while the block is still in
//! registers and cache (the "store pass", [`Store`]).
//!
//! Shapes decide the method, never the caller ([`imp`]):
//!
//! * `n = 1` with a row-major `A` (a layer with one output): a dot product
//!   per row ([`small`]);
//! * `n = 1` with a transposed `A` (that layer's weight gradient `xᵀ·gy`):
//!   the transposed problem, one row of `C` over the rows of `x`;
//! * `k = 1` (a layer with one input, or the input gradient of a layer
//!   with one output): an outer product, row by row ([`small`]);
//! * otherwise blocks of `MR` rows × `NR` columns summed in registers
//!   ([`block`]), columns panel by panel ([`blocked`](mod@blocked)). A panel of `B` is
//!   read in place when its rows are contiguous, and packed (copied,
//!   transposed if need be, into per-thread scratch) when `B` is a
//!   transposed operand (`gy·Wᵀ`, [`transpose`]) or so large and strided
//!   that reading it in place costs TLB misses (the 784×1000 weight of a
//!   wide layer: 2× faster packed). A panel narrower than half a block uses
//!   blocks of half the width.
//!
//! Finished blocks go through the store pass ([`store`]). Each ISA is
//! dispatched once per product; within it everything is inlined and
//! compiled for that ISA (in optimised builds).

mod block;
mod blocked;
mod small;
mod store;
#[cfg(test)]
mod tests;
mod transpose;

use std::mem::size_of;

use std::sync::{Mutex, PoisonError};

use self::blocked::blocked;
use self::small::{matvec, outer};
use super::activation::Activation;
use super::threads::{join, threads, PARALLEL_MIN_WORK};
use crate::scalar::Scalar;

/// A matrix operand read through strides: element `(i, j)` is
/// `data[i·rs + j·cs]`.
#[derive(Clone, Copy, Debug)]
pub struct Operand<'a, T> {
    /// The elements.
    pub data: &'a [T],
    /// Distance between rows.
    pub rs: usize,
    /// Distance between columns.
    pub cs: usize,
}

impl<'a, T> Operand<'a, T> {
    /// A row-major matrix of `cols` columns.
    pub fn rows(data: &'a [T], cols: usize) -> Self {
        Operand {
            data,
            rs: cols,
            cs: 1,
        }
    }

    /// The transpose of a row-major matrix of `cols` columns.
    pub fn transposed(data: &'a [T], cols: usize) -> Self {
        Operand {
            data,
            rs: 1,
            cs: cols,
        }
    }

    /// Whether every element of an `r×c` matrix lies in `data`.
    fn covers(&self, r: usize, c: usize) -> bool {
        if r == 0 || c == 0 {
            return true;
        }
        (r - 1)
            .checked_mul(self.rs)
            .zip((c - 1).checked_mul(self.cs))
            .and_then(|(a, b)| a.checked_add(b))
            .is_some_and(|last| last < self.data.len())
    }
}

/// What the store pass does with a finished block of sums `s`.
#[derive(Clone, Copy, Debug)]
pub enum Store<'a, T> {
    /// `c = s`.
    Write,
    /// `c += s`.
    Add,
    /// `c = act(s + bias)`: the bias added after the product, as DeZero's
    /// `x.dot(W) + b` rounds.
    Affine {
        /// One per column of `C`.
        bias: Option<&'a [T]>,
        /// Applied last.
        act: Option<Activation>,
    },
    /// `c = act'(saved) ∘ s` (a backward product whose result is the
    /// output gradient of an activation).
    ActGrad {
        /// The activation.
        act: Activation,
        /// Its saved output, shaped as `C`.
        saved: &'a [T],
    },
}

/// `C (m×n, row-major) ⟵ A (m×k) · B (k×n)`, stored as `store` says;
/// compiled once per element type in this crate ([`Kernels`]).
///
/// # Panics
/// If an operand is shorter than its dimensions and strides require, or the
/// bias or saved values do not match `C`.
#[inline]
pub(crate) fn product<T: Scalar>(
    m: usize,
    k: usize,
    n: usize,
    a: Operand<'_, T>,
    b: Operand<'_, T>,
    c: &mut [T],
    store: Store<'_, T>,
) {
    T::product(m, k, n, a, b, c, store);
}

/// [`product`]'s body, reached through [`Kernels`].
pub(in crate::kernels) fn product_imp<T: Scalar>(
    m: usize,
    k: usize,
    n: usize,
    a: Operand<'_, T>,
    b: Operand<'_, T>,
    c: &mut [T],
    store: Store<'_, T>,
) {
    assert!(
        a.covers(m, k) && b.covers(k, n) && c.len() >= m * n,
        "product: operands shorter than {m}×{k} · {k}×{n}"
    );
    match store {
        Store::Affine {
            bias: Some(bias), ..
        } => {
            assert_eq!(bias.len(), n, "product: bias length differs from columns");
        }
        Store::ActGrad { saved, .. } => {
            assert!(saved.len() >= m * n, "product: saved values shorter than C");
        }
        _ => {}
    }
    if m == 0 || n == 0 {
        return;
    }
    let work = m.saturating_mul(k).saturating_mul(n);
    if work >= PARALLEL_MIN_WORK && m >= 32 && threads() > 1 {
        return split_rows(m, k, n, a, b, c, store);
    }
    dispatch(m, k, n, a, b, c, store);
}

/// [`product`] on two threads: the first rows (a multiple of 8, so that
/// both halves keep whole register blocks) on the helper, the rest here.
/// Each half is a product of its own; `B` is read (and packed) by both.
fn split_rows<T: Scalar>(
    m: usize,
    k: usize,
    n: usize,
    a: Operand<'_, T>,
    b: Operand<'_, T>,
    c: &mut [T],
    store: Store<'_, T>,
) {
    let m1 = m / 2 / 8 * 8;
    let (c1, c2) = c[..m * n].split_at_mut(m1 * n);
    let a2 = Operand {
        data: &a.data[m1 * a.rs..],
        ..a
    };
    let (s1, s2) = match store {
        Store::ActGrad { act, saved } => {
            let (y1, y2) = saved[..m * n].split_at(m1 * n);
            (
                Store::ActGrad { act, saved: y1 },
                Store::ActGrad { act, saved: y2 },
            )
        }
        other => (other, other),
    };
    // The helper's half is handed over through a mutex, since the job is a
    // shared closure (called once).
    let c1 = Mutex::new(c1);
    join(
        &|| {
            let mut c1 = c1.lock().unwrap_or_else(PoisonError::into_inner);
            dispatch(m1, k, n, a, b, &mut c1, s1);
        },
        || dispatch(m - m1, k, n, a2, b, c2, s2),
    );
}

/// Picks the instruction set once per product, and the block shape for it
/// and the element size: `MR` rows × `NR` columns of accumulators filling
/// most of the vector registers, `NH = NR / 2` for narrow panels.
fn dispatch<T: Scalar>(
    m: usize,
    k: usize,
    n: usize,
    a: Operand<'_, T>,
    b: Operand<'_, T>,
    c: &mut [T],
    store: Store<'_, T>,
) {
    let single = size_of::<T>() == 4;
    #[cfg(target_arch = "x86_64")]
    {
        // 24 of 32 zmm registers: 12 rows × 2 vectors.
        #[target_feature(enable = "avx512f,avx2,fma")]
        #[allow(clippy::too_many_arguments, reason = "the product's, passed through")]
        fn avx512<T: Scalar>(
            m: usize,
            k: usize,
            n: usize,
            a: Operand<'_, T>,
            b: Operand<'_, T>,
            c: &mut [T],
            store: Store<'_, T>,
            single: bool,
        ) {
            if single {
                imp::<T, true, 8, 32, 16>(m, k, n, a, b, c, store);
            } else {
                imp::<T, true, 12, 16, 8>(m, k, n, a, b, c, store);
            }
        }
        // 12 of 16 ymm registers: 6 rows × 2 vectors.
        #[target_feature(enable = "avx2,fma")]
        #[allow(clippy::too_many_arguments, reason = "the product's, passed through")]
        fn avx2<T: Scalar>(
            m: usize,
            k: usize,
            n: usize,
            a: Operand<'_, T>,
            b: Operand<'_, T>,
            c: &mut [T],
            store: Store<'_, T>,
            single: bool,
        ) {
            if single {
                imp::<T, true, 6, 16, 8>(m, k, n, a, b, c, store);
            } else {
                imp::<T, true, 6, 8, 4>(m, k, n, a, b, c, store);
            }
        }
        match crate::kernels::isa() {
            // SAFETY: `isa()` reported AVX-512F, AVX2 and FMA on this
            // processor, the features `avx512` is compiled for.
            crate::kernels::Isa::Avx512 => {
                return unsafe { avx512(m, k, n, a, b, c, store, single) }
            }
            // SAFETY: `isa()` reported AVX2 and FMA on this processor.
            crate::kernels::Isa::Avx2Fma => {
                return unsafe { avx2(m, k, n, a, b, c, store, single) }
            }
            crate::kernels::Isa::Baseline => {}
        }
    }
    // 8 of 16 xmm registers: 4 rows × 2 vectors.
    if single {
        imp::<T, false, 4, 8, 4>(m, k, n, a, b, c, store);
    } else {
        imp::<T, false, 4, 4, 2>(m, k, n, a, b, c, store);
    }
}

// Inlined into the dispatcher's per-ISA functions in optimised builds
// (to be compiled for that ISA); kept apart in debug builds, where inlining
// everything gives the dispatcher a stack frame of over half a megabyte.
#[cfg_attr(debug_assertions, inline(never))]
#[cfg_attr(not(debug_assertions), inline(always))]
fn imp<T: Scalar, const FMA: bool, const MR: usize, const NR: usize, const NH: usize>(
    m: usize,
    k: usize,
    n: usize,
    a: Operand<'_, T>,
    b: Operand<'_, T>,
    c: &mut [T],
    store: Store<'_, T>,
) {
    if n == 1 && k > 0 && a.cs == 1 && (b.rs == 1 || k == 1) {
        return matvec::<T, FMA>(m, k, a, b.data, c, store);
    }
    if n == 1 && m > 1 && a.rs == 1 && matches!(store, Store::Write | Store::Add) {
        // C (m×1) = A·b is Cᵀ (1×m) = bᵀ·Aᵀ, where Aᵀ is row-major.
        let bt = Operand {
            data: b.data,
            rs: 0,
            cs: b.rs,
        };
        let at = Operand {
            data: a.data,
            rs: a.cs,
            cs: 1,
        };
        return blocked::<T, FMA, MR, NR, NH>(1, k, m, bt, at, c, store);
    }
    if k == 1 && b.cs == 1 {
        return outer::<T, FMA, NR, NH>(m, n, a, &b.data[..n], c, store);
    }
    blocked::<T, FMA, MR, NR, NH>(m, k, n, a, b, c, store)
}
