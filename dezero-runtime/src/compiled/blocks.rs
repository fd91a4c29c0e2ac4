//! Passes over large batches in row blocks, so that a compiled model's
//! workspace is bounded by a block rather than by the largest batch it
//! has seen.
//!
//! Rows are independent in every step of a compiled pass until the
//! parameter gradients, which are sums over rows. So `predict` runs its
//! plan block by block and copies each block's output into the result, and
//! `forward_backward` adds the gradients of its blocks, as the two-thread
//! row split adds those of its halves ([`train_halves`](super::train_halves),
//! which each block may still use). The loss kernels divide by the whole
//! batch's row count, so the blocks' losses add up to the batch's.
//!
//! Blocks change no value of `predict`: each row meets the same kernels
//! in the same order (every block but the last has an even number of rows,
//! so the one-row remainder path of the product kernels, which sums in
//! another order, takes the batch's last row as it does unblocked). The
//! training pass's gradients and loss are sums in another order (block by
//! block), so their last bits may differ from one block's.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

use ndarray::{s, ArrayView2};

use crate::error::Result;
use crate::scalar::Scalar;

use super::Workspace;

/// The workspace budget of one block, by default: 4 MiB.
///
/// Large enough that a block has thousands of rows for the models this
/// crate is for (TwoLayerNet's training plan takes under 100 bytes a
/// row), so that what a pass pays once per block (a weight panel packed
/// again, each kernel's set-up) is spread thin; small enough that a
/// block's slots stay in the last-level cache between the step that writes
/// one and the step that reads it, and that a model holds a few MiB after
/// a batch of any size rather than the batch's hundreds.
pub const DEFAULT_BLOCK_BYTES: usize = 4 << 20;

/// The fewest rows a block has, whatever the budget: 256. A model wide
/// enough that the budget would give fewer rows still runs blocks of 256
/// (its workspace may then exceed the budget), since a product over fewer
/// rows would spend a larger part of its time packing weights (once per
/// block: under 0.4% of a block's multiply-adds at 256 rows) and in the
/// kernels' edges.
pub const MIN_BLOCK_ROWS: usize = 256;

/// Block sizes are a multiple of this many rows: even (see the module
/// doc), and whole register blocks of the product kernels' 4- and 8-row
/// shapes.
pub const BLOCK_ROW_MULTIPLE: usize = 64;

static BLOCK_BYTES: AtomicUsize = AtomicUsize::new(DEFAULT_BLOCK_BYTES);

/// Sets the workspace budget of one block for every compiled model of the
/// process ([`DEFAULT_BLOCK_BYTES`] unless set): a batch whose pass would
/// take more is run in blocks of [`block_rows`] rows. `0` restores the
/// default.
///
/// Like [`kernels::set_threads`](crate::kernels::set_threads), this is
/// process-wide: a test that changes it affects the other tests of its
/// binary that run at the same time.
///
/// ```
/// use dezero_runtime::compiled::{block_bytes, block_rows, set_block_bytes, MIN_BLOCK_ROWS};
/// set_block_bytes(1);
/// assert_eq!(block_rows(100), MIN_BLOCK_ROWS);
/// set_block_bytes(0);
/// assert_eq!(block_bytes(), 4 << 20);
/// ```
pub fn set_block_bytes(bytes: usize) {
    let bytes = if bytes == 0 {
        DEFAULT_BLOCK_BYTES
    } else {
        bytes
    };
    BLOCK_BYTES.store(bytes, Ordering::Relaxed);
}

/// The workspace budget of one block (see [`set_block_bytes`]).
pub fn block_bytes() -> usize {
    BLOCK_BYTES.load(Ordering::Relaxed)
}

/// The rows of one block of a pass whose plan takes `bytes_per_row` bytes
/// of workspace a row: as many as fit the budget ([`block_bytes`]),
/// rounded down to a multiple of [`BLOCK_ROW_MULTIPLE`], and at least
/// [`MIN_BLOCK_ROWS`].
///
/// ```
/// use dezero_runtime::compiled::block_rows;
/// assert_eq!(block_rows(512), 8192); // 4 MiB / 512 bytes
/// assert_eq!(block_rows(100), 41920); // 41943, rounded down to 64s
/// assert_eq!(block_rows(1 << 20), 256); // the minimum
/// ```
pub fn block_rows(bytes_per_row: usize) -> usize {
    let rows = block_bytes() / bytes_per_row.max(1);
    (rows / BLOCK_ROW_MULTIPLE * BLOCK_ROW_MULTIPLE).max(MIN_BLOCK_ROWS)
}

/// The row ranges of `rows` rows in blocks of `block`; one empty range
/// when `rows` is 0, so that a pass over no rows still runs once (and
/// reports what it reports on no rows).
fn blocks(rows: usize, block: usize) -> impl Iterator<Item = Range<usize>> {
    let block = block.max(1);
    let n = rows.div_ceil(block).max(1);
    (0..n).map(move |i| i * block..((i + 1) * block).min(rows))
}

/// Rows `rg` of `x` as one contiguous slice: in place when they are, else
/// copied into `buf`.
fn stage<'a, T: Scalar>(x: &ArrayView2<'a, T>, rg: Range<usize>, buf: &'a mut Vec<T>) -> &'a [T] {
    let xb: ArrayView2<'a, T> = (*x).slice_move(s![rg, ..]);
    match xb.to_slice() {
        Some(s) => s,
        None => {
            buf.clear();
            buf.extend(xb.iter().copied());
            &buf[..]
        }
    }
}

/// A pass over one block of rows: it gets the slab to compute in, the
/// block's rows of the input (contiguous, row-major) and their range in
/// the batch.
pub type BlockPass<'a, T, R> = dyn FnMut(&mut Vec<T>, &[T], Range<usize>) -> Result<R> + 'a;

/// Runs a training pass over `x` in blocks of `block` rows (one block when
/// the batch fits), in `ws`, and returns the sum of the blocks' losses.
///
/// `pass` adds its block's parameter gradients to the parameters'
/// gradients (the first block overwrites the arrays `cleargrads` set
/// aside, the others add, as the halves of a split pass do) and must
/// divide its loss by the whole batch's row count.
///
/// # Errors
/// The first block's error; the blocks before it have added their
/// gradients (call `cleargrads` before the next step).
pub fn train_blocks<T: Scalar>(
    ws: &mut Workspace<T>,
    x: ArrayView2<'_, T>,
    block: usize,
    pass: &mut BlockPass<'_, T, T>,
) -> Result<T> {
    let Workspace { slab, xbuf, .. } = ws;
    let mut loss: Option<T> = None;
    for rg in blocks(x.nrows(), block) {
        let part = pass(slab, stage(&x, rg.clone(), xbuf), rg)?;
        // The first block's loss as it is (`0 + -0.0` would lose its sign).
        loss = Some(loss.map_or(part, |l| l + part));
    }
    Ok(loss.unwrap_or_else(T::zero))
}

/// Where `predict`'s output is: in the slab (one block) or in the
/// workspace's output buffer (several); read it with
/// [`Workspace::output`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    at: Option<Range<usize>>,
    rows: usize,
    width: usize,
}

/// Runs an inference pass over `x` in blocks of `block` rows in `ws`,
/// writing the output (`width` columns) into `y` when given, else leaving
/// it where [`Workspace::output`] finds it: in the slab when the batch is
/// one block (no copy), else in the workspace's output buffer.
///
/// `pass` returns where in the slab it left its block's output.
///
/// # Errors
/// The first block's error.
pub fn predict_blocks<T: Scalar>(
    ws: &mut Workspace<T>,
    x: ArrayView2<'_, T>,
    width: usize,
    block: usize,
    y: Option<&mut [T]>,
    pass: &mut BlockPass<'_, T, Range<usize>>,
) -> Result<Output> {
    let rows = x.nrows();
    let Workspace {
        slab, xbuf, out, ..
    } = ws;
    let mut copy_blocks = |y: &mut [T]| -> Result<()> {
        for rg in blocks(rows, block) {
            let at = pass(slab, stage(&x, rg.clone(), xbuf), rg.clone())?;
            y[rg.start * width..rg.end * width].copy_from_slice(&slab[at]);
        }
        Ok(())
    };
    let at = match y {
        Some(y) => {
            copy_blocks(y)?;
            None
        }
        None if rows <= block => {
            // A previous large batch's output is not kept past this call.
            *out = Vec::new();
            Some(pass(slab, stage(&x, 0..rows, xbuf), 0..rows)?)
        }
        None => {
            let mut buf = std::mem::take(out);
            buf.clear();
            buf.resize(rows * width, T::zero());
            let done = copy_blocks(&mut buf);
            *out = buf;
            done?;
            None
        }
    };
    Ok(Output { at, rows, width })
}

impl<T: Scalar> Workspace<T> {
    /// `predict`'s output, where [`predict_blocks`] left it.
    pub fn output(&self, o: &Output) -> ArrayView2<'_, T> {
        let data = match &o.at {
            Some(r) => &self.slab[r.clone()],
            None => &self.out[..o.rows * o.width],
        };
        ArrayView2::from_shape((o.rows, o.width), data)
            .expect("a block's output holds rows × width")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cover_the_rows_once() {
        let b: Vec<_> = blocks(10, 4).collect();
        assert_eq!(b, [0..4, 4..8, 8..10]);
        assert_eq!(blocks(8, 4).collect::<Vec<_>>(), [0..4, 4..8]);
        // no rows: one empty block
        let none: Vec<Range<usize>> = blocks(0, 4).collect();
        assert_eq!(none.len(), 1);
        assert!(none[0].is_empty());
    }

    #[test]
    fn a_blocked_prediction_is_the_blocks_outputs_in_order() {
        // A "plan" that writes each row's sum of columns, times 2.
        let x = ndarray::Array2::from_shape_fn((7, 3), |(i, j)| (i * 3 + j) as f64);
        let mut pass = |slab: &mut Vec<f64>, xb: &[f64], rg: Range<usize>| {
            slab.clear();
            slab.extend(xb.chunks(3).map(|r| 2.0 * r.iter().sum::<f64>()));
            Ok(0..rg.len())
        };
        let want: Vec<f64> = (0..7).map(|i| 2.0 * (9 * i + 3) as f64).collect();
        // A column view (not contiguous): each block is staged.
        let xt = x.t().as_standard_layout().into_owned();
        let xv = xt.t();
        assert!(xv.as_slice().is_none());
        for block in [2, 3, 7, 100] {
            let mut ws = Workspace::new();
            let o = predict_blocks(&mut ws, xv, 1, block, None, &mut pass).expect("no error");
            assert_eq!(ws.output(&o).as_slice(), Some(&want[..]), "block {block}");
            assert_eq!(ws.out.is_empty(), block >= 7);
            assert!(ws.xbuf.len() <= 3 * block.min(7));
            let mut y = vec![0.0; 7];
            predict_blocks(&mut ws, xv, 1, block, Some(&mut y), &mut pass).expect("no error");
            assert_eq!(y, want);
        }
    }

    #[test]
    fn training_blocks_add_their_losses() {
        let x = ndarray::Array2::<f64>::zeros((10, 2));
        let mut seen = Vec::new();
        let mut pass = |_: &mut Vec<f64>, xb: &[f64], rg: Range<usize>| {
            assert_eq!(xb.len(), 2 * rg.len());
            seen.push(rg.clone());
            Ok(rg.len() as f64 / 10.0)
        };
        let mut ws = Workspace::new();
        let loss = train_blocks(&mut ws, x.view(), 4, &mut pass).expect("no error");
        assert!((loss - 1.0).abs() < 1e-15);
        assert_eq!(seen, [0..4, 4..8, 8..10]);
        // The sign of a lone block's -0.0 survives.
        let mut neg = |_: &mut Vec<f64>, _: &[f64], _: Range<usize>| Ok(-0.0);
        let l = train_blocks(&mut ws, x.view(), 100, &mut neg).expect("no error");
        assert!(l.is_sign_negative());
    }
}
