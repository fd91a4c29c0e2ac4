//! A training pass split by batch rows between two threads: for models
//! whose products are too small to be split one by one (a product's own
//! split needs [`PARALLEL_MIN_WORK`] multiply-adds), but whose whole pass
//! is long enough to pay for one hand-off.
//!
//! Each thread runs the whole fused pass on its rows, in its own
//! workspace: rows are independent until the parameter gradients, which
//! are sums over rows. This thread adds its half straight into the
//! parameters' gradient arrays; the helper writes its half into a buffer,
//! added afterwards. One hand-off per step, however deep the model.
//!
//! The sums come out in another order than on one thread (first half plus
//! second half), so the last bits of a gradient may differ from a
//! one-thread step; the result is the same on every run with two threads.

use std::ops::Range;
use std::sync::{Mutex, PoisonError};

use crate::error::Result;
use crate::kernels::{threads, PARALLEL_MIN_WORK};
use crate::layers::Layer;
use crate::scalar::Scalar;
use crate::variable::{Parameter, Variable};

use super::{GradSink, Workspace};

/// The fewest multiply-adds for which a training pass is split by rows:
/// about two microseconds on one thread, against a hand-off of a fraction
/// of one and the adding of the helper's gradients.
pub const SPLIT_MIN_WORK: usize = 1 << 17;

/// Where a pass of `rows` rows is split between two threads, if it is:
/// the first thread's row count. `work_per_row` is the multiply-adds of
/// the pass's products per batch row, `largest_per_row` those of its
/// largest product.
///
/// `None` with one thread ([`threads`]), fewer than 16 rows, a pass below
/// [`SPLIT_MIN_WORK`], or a product large enough to be split by itself.
///
/// ```
/// use dezero_runtime::compiled::split_point;
/// dezero_runtime::kernels::set_threads(1);
/// assert_eq!(split_point(32, 33_000, 4096), None);
/// ```
pub fn split_point(rows: usize, work_per_row: usize, largest_per_row: usize) -> Option<usize> {
    if threads() < 2 || rows < 16 {
        return None;
    }
    let total = rows.saturating_mul(work_per_row);
    if total < SPLIT_MIN_WORK || rows.saturating_mul(largest_per_row) >= PARALLEL_MIN_WORK {
        return None;
    }
    // Whole blocks of 8 rows (the product kernels' register block) for the
    // first half when the halves stay within 8 rows of each other.
    let half = rows / 2;
    Some(if rows >= 32 { half & !7 } else { half })
}

/// What a split training pass keeps between steps: the helper's workspace
/// and gradient buffer, and where each parameter's gradient lies in it.
/// Grown at the first split pass, then reused, so a warm step allocates
/// nothing.
#[derive(Debug, Default)]
pub struct RowSplit<T: Scalar> {
    /// The helper's workspace.
    pub ws: Workspace<T>,
    /// Each parameter's identity, in the model's parameter order.
    keys: Vec<usize>,
    /// Where each parameter's gradient starts in `buf` (one more entry
    /// than `keys`: the end).
    offs: Vec<usize>,
    /// The helper's gradient sums.
    buf: Vec<T>,
    /// Whether the helper wrote each parameter's part of `buf` this pass.
    written: Vec<bool>,
    /// This pass's gradient arrays, one per parameter (emptied after it).
    grads: Vec<Variable<T>>,
    /// Whether each gradient of `grads` holds no sum yet.
    fresh: Vec<bool>,
}

impl<T: Scalar> Clone for RowSplit<T> {
    /// A new, empty split: buffers are per model, not shared.
    fn clone(&self) -> Self {
        RowSplit::default()
    }
}

impl<T: Scalar> RowSplit<T> {
    /// Bytes held by the helper's workspace and gradient buffer.
    pub fn bytes(&self) -> usize {
        self.ws.bytes() + self.buf.len() * std::mem::size_of::<T>()
    }

    /// Learns `model`'s parameters (again if they changed), takes each
    /// one's gradient array for this pass, and marks the buffer unwritten.
    fn begin(&mut self, model: &dyn Layer<T>) {
        let mut same = true;
        let mut i = 0;
        model.for_each_param(&mut |p| {
            same &= i < self.keys.len()
                && self.keys[i] == p.ptr() as usize
                && self.offs[i + 1] - self.offs[i] == p.data().len();
            i += 1;
        });
        if !same || i != self.keys.len() {
            self.keys.clear();
            self.offs.clear();
            self.offs.push(0);
            model.for_each_param(&mut |p| {
                let end = self.offs[self.offs.len() - 1] + p.data().len();
                self.keys.push(p.ptr() as usize);
                self.offs.push(end);
            });
            self.buf.resize(self.offs[self.offs.len() - 1], T::zero());
            self.written.resize(self.keys.len(), false);
        }
        self.written.fill(false);
        self.grads.clear();
        self.fresh.clear();
        model.for_each_param(&mut |p| {
            let (mut g, fresh) = p.grad_for_pass();
            standardize(&mut g);
            self.grads.push(g.clone());
            self.fresh.push(fresh);
        });
    }

    /// Adds the helper's sums to the gradients, and lets go of them.
    fn finish(&mut self) {
        for (i, g) in self.grads.iter().enumerate() {
            let mut d = g.data_mut();
            let d = d.as_slice_mut().expect("made standard in begin");
            let part = &self.buf[self.offs[i]..self.offs[i + 1]];
            match (self.written[i], self.fresh[i]) {
                (true, true) => d.copy_from_slice(part),
                (true, false) => d.iter_mut().zip(part).for_each(|(a, &b)| *a += b),
                (false, true) => d.fill(T::zero()),
                (false, false) => {}
            }
        }
        self.grads.clear();
    }
}

/// Makes a gradient array contiguous and row-major.
fn standardize<T: Scalar>(g: &mut Variable<T>) {
    let mut d = g.data_mut();
    if !d.is_standard_layout() {
        *d = d.as_standard_layout().into_owned();
    }
}

/// Finds a parameter among a split's keys.
fn find<T: Scalar>(keys: &[usize], p: &Parameter<T>) -> Option<usize> {
    let k = p.ptr() as usize;
    keys.iter().position(|&q| q == k)
}

/// This thread's sink: adds into the gradient arrays taken for the pass.
struct Direct<'a, T: Scalar> {
    keys: &'a [usize],
    grads: &'a [Variable<T>],
    fresh: &'a mut [bool],
}

impl<T: Scalar> GradSink<T> for Direct<'_, T> {
    fn accumulate(&mut self, p: &Parameter<T>, f: &mut dyn FnMut(&mut [T], bool)) {
        if let Some(i) = find(self.keys, p) {
            let mut d = self.grads[i].data_mut();
            f(
                d.as_slice_mut().expect("made standard in begin"),
                !self.fresh[i],
            );
            self.fresh[i] = false;
        }
    }
}

/// The helper's sink: writes into the split's buffer.
struct Buffered<'a, T: Scalar> {
    keys: &'a [usize],
    offs: &'a [usize],
    buf: &'a mut [T],
    written: &'a mut [bool],
}

impl<T: Scalar> GradSink<T> for Buffered<'_, T> {
    fn accumulate(&mut self, p: &Parameter<T>, f: &mut dyn FnMut(&mut [T], bool)) {
        if let Some(i) = find(self.keys, p) {
            f(
                &mut self.buf[self.offs[i]..self.offs[i + 1]],
                self.written[i],
            );
            self.written[i] = true;
        }
    }
}

/// The pass over some rows that [`train_halves`] runs on each thread: it
/// gets the workspace slab to compute in, its rows of the batch, and the
/// sink its parameter gradients go to, and returns its part of the loss.
pub type HalfPass<'a, T> =
    dyn Fn(&mut Vec<T>, Range<usize>, &mut dyn GradSink<T>) -> Result<T> + Sync + 'a;

/// Runs a training pass of `rows` rows as two: rows `..first` here in
/// `slab`, the rest on the helper thread in `split`'s workspace; then adds
/// both halves' gradients to `model`'s parameters' gradients (as
/// `forward_backward` does) and returns the sum of the two losses.
///
/// `pass` must divide its loss by the whole batch's row count, not its
/// own, so that the halves add up to the whole batch's loss.
///
/// # Errors
/// The first half's error, else the second's; the gradients then hold a
/// partial sum, as after any failed `forward_backward`.
pub fn train_halves<T: Scalar>(
    model: &dyn Layer<T>,
    slab: &mut Vec<T>,
    split: &mut RowSplit<T>,
    rows: usize,
    first: usize,
    pass: &HalfPass<'_, T>,
) -> Result<T> {
    split.begin(model);
    let RowSplit {
        ws,
        keys,
        offs,
        buf,
        written,
        grads,
        fresh,
    } = split;
    let helper = Mutex::new((
        &mut ws.slab,
        Buffered {
            keys,
            offs,
            buf,
            written,
        },
        Ok(T::zero()),
    ));
    // `join` runs both closures before it returns (or panics).
    let mut here = Ok(T::zero());
    crate::kernels::threads::join(
        &|| {
            let mut h = helper.lock().unwrap_or_else(PoisonError::into_inner);
            let (slab, sink, out) = &mut *h;
            *out = pass(slab, first..rows, sink);
        },
        || {
            let mut sink = Direct { keys, grads, fresh };
            here = pass(slab, 0..first, &mut sink);
        },
    );
    let there = helper
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .2;
    let result = match (here, there) {
        (Ok(a), Ok(b)) => Ok(a + b),
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    if result.is_ok() {
        split.finish();
    } else {
        split.grads.clear();
    }
    result
}
