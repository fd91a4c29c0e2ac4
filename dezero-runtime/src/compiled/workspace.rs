//! The workspace a compiled model computes in, and the small checks and
//! preparations its passes make before they run.

use std::ops::Range;

use crate::error::{Error, Result};
use crate::layers::Layer;
use crate::scalar::Scalar;
use crate::variable::Parameter;

/// The memory a compiled model computes in: one slab of elements, cut into
/// the slots its plan assigned, a buffer for inputs that are not
/// contiguous, and `predict`'s output when it ran in several blocks.
///
/// The slab grows when a pass needs more than any before, and is reused
/// as it is otherwise, so a warm training step allocates nothing. A pass
/// needs at most one block of rows (see
/// [`block_rows`](super::block_rows)), so the slab stays bounded whatever
/// the batch; [`release`](Workspace::release) gives it back.
///
/// ```
/// let mut ws = dezero_runtime::compiled::Workspace::<f32>::new();
/// ws.ensure(10);
/// assert_eq!(ws.bytes(), 40);
/// ws.ensure(4); // never shrinks by itself
/// assert_eq!(ws.slab.len(), 10);
/// ws.release();
/// assert_eq!(ws.bytes(), 0);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Workspace<T: Scalar> {
    /// The slots, back to back.
    pub slab: Vec<T>,
    /// A contiguous copy of (a block of) an input given as a
    /// non-contiguous view.
    pub xbuf: Vec<T>,
    /// `predict`'s output for a batch of several blocks (empty otherwise:
    /// one block's output is read in the slab).
    pub out: Vec<T>,
    /// Rows of the last split forward pass (for its backward pass).
    pub rows: usize,
}

impl<T: Scalar> Workspace<T> {
    /// An empty workspace.
    pub fn new() -> Self {
        Workspace {
            slab: Vec::new(),
            xbuf: Vec::new(),
            out: Vec::new(),
            rows: 0,
        }
    }

    /// Grows the slab to at least `len` elements (never shrinks).
    pub fn ensure(&mut self, len: usize) {
        if self.slab.len() < len {
            self.slab.resize(len, T::zero());
        }
    }

    /// Bytes held by the slab, the input buffer and the output buffer
    /// (their capacity: what the allocator gave them).
    pub fn bytes(&self) -> usize {
        (self.slab.capacity() + self.xbuf.capacity() + self.out.capacity())
            * std::mem::size_of::<T>()
    }

    /// Frees every buffer: the next pass allocates what it needs again.
    /// A split backward pass must not follow (its forward pass's values
    /// are gone).
    pub fn release(&mut self) {
        *self = Workspace::new();
    }
}

/// Cuts `slab` into `R` regions to read and one to write, which must not
/// overlap it (the plan never gives a step's output a slot one of its inputs
/// is still in).
///
/// ```
/// let mut slab = [1.0, 2.0, 3.0, 4.0];
/// let ([a], w) = dezero_runtime::compiled::split_rw(&mut slab, [0..2], 2..4);
/// w.copy_from_slice(a);
/// assert_eq!(slab, [1.0, 2.0, 1.0, 2.0]);
/// ```
///
/// # Panics
/// If a read region overlaps the write region or lies outside the slab.
pub fn split_rw<T, const R: usize>(
    slab: &mut [T],
    reads: [Range<usize>; R],
    write: Range<usize>,
) -> ([&[T]; R], &mut [T]) {
    let (lo, rest) = slab.split_at_mut(write.start);
    let (w, hi) = rest.split_at_mut(write.end - write.start);
    let (lo, hi): (&[T], &[T]) = (lo, hi);
    let end = write.end;
    let r = reads.map(|r| {
        if r.end <= lo.len() {
            &lo[r]
        } else {
            assert!(
                r.start >= end,
                "split_rw: read {r:?} overlaps write {write:?}"
            );
            &hi[r.start - end..r.end - end]
        }
    });
    (r, w)
}

/// Gives a width class the value `v` that `who` requires, or reports that
/// the class already holds another one.
///
/// Used by the generated width resolution: `expected` is what `who`
/// requires, `got` what reached it.
///
/// # Errors
/// [`Error::Shape`] naming `who` if the class already holds a different
/// width.
///
/// ```
/// let mut d = None;
/// dezero_runtime::compiled::fix_width(&mut d, 3, "Net.l1", "input").unwrap();
/// let e = dezero_runtime::compiled::fix_width(&mut d, 4, "Net.l2", "input").unwrap_err();
/// assert_eq!(e.to_string(), "Net.l2: expected input of width 4, got width 3");
/// ```
pub fn fix_width(d: &mut Option<usize>, v: usize, who: &str, what: &str) -> Result<()> {
    match *d {
        None => {
            *d = Some(v);
            Ok(())
        }
        Some(have) if have == v => Ok(()),
        Some(have) => Err(Error::Shape {
            op: who.to_string(),
            expected: format!("{what} of width {v}"),
            got: format!("width {have}"),
        }),
    }
}

/// Checks that an input is a matrix of `width` columns, naming the layer that
/// reads it.
///
/// ```
/// use dezero_runtime::compiled::check_input;
/// assert!(check_input(7, 2, 2, "Net.l1").is_ok());
/// let e = check_input(7, 3, 2, "Net.l1").unwrap_err();
/// assert_eq!(e.to_string(), "Net.l1: expected input of shape [N, 2], got [7, 3]");
/// ```
///
/// # Errors
/// [`Error::Shape`] naming `who` otherwise.
pub fn check_input(rows: usize, got: usize, width: usize, who: &str) -> Result<()> {
    if got == width {
        Ok(())
    } else {
        Err(Error::Shape {
            op: who.to_string(),
            expected: format!("input of shape [N, {width}]"),
            // rows are 0 where only the width is known (nested resolution)
            got: if rows == 0 {
                format!("[N, {got}]")
            } else {
                format!("[{rows}, {got}]")
            },
        })
    }
}

/// Makes a parameter's data contiguous and row-major (a no-op when it is,
/// which is always after the first call), so the generated code can take it
/// as a slice.
pub fn make_standard<T: Scalar>(p: &Parameter<T>) {
    // One borrow in the common case (already standard): this runs for every
    // parameter of every compiled pass.
    let copy = match p.data_if_present() {
        Some(d) if !d.is_standard_layout() => d.as_standard_layout().into_owned(),
        _ => return,
    };
    p.set_data(copy);
}

/// Drops every gradient (a compiled model's `cleargrads`, DeZero's
/// `cleargrads()`: each `grad()` is `None` afterwards), setting each array
/// aside for the next compiled pass to overwrite, so that a warm step
/// neither allocates a gradient nor zeroes one.
pub fn clear_grads<T: Scalar>(layer: &(impl Layer<T> + ?Sized)) {
    layer.for_each_param(&mut |p| p.clear_grad_keeping());
}
