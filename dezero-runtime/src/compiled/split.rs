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

/// The fewest multiply-adds (of all the pass's products) for which a
/// training pass is split by rows, about 70 µs of work on one thread.
///
/// A split pass moves every weight and gradient between the two cores each
/// step (the helper reads the weights the optimizer just wrote; this
/// thread adds the helper's gradients), and what that costs depends on
/// where the two cores sit: on the same 2-vCPU AMD EPYC (Zen 4) virtual
/// machine, a spinning hand-off took 0.15 µs one hour and 0.4–1.3 µs the
/// next. Three relu layers of `w`, `rows` rows, per step, one thread →
/// split:
///
/// | rows × w | multiply-adds | cores close | cores far |
/// |---|---|---|---|
/// | 32 × 64 (W3) | 1.1 M | 24.2 → 24.8 µs | — |
/// | 64 × 64 | 2.1 M | 45.1 → 34.4 µs | 44.7 → 85.1 µs |
/// | 128 × 64 | 4.2 M | 86.0 → 54.1 µs | 85.9 → 100.3 µs |
/// | 256 × 64 | 8.4 M | — | 173.8 → 135.8 µs |
/// | 128 × 128 | 16.8 M | — | 327.7 → 209.2 µs |
/// | 256 × 128 | 33.5 M | — | 641.8 → 355.1 µs |
///
/// The threshold is where the split paid in both: below it, it gained up
/// to 1.6× with the cores close but lost up to 1.9× with them far.
pub const SPLIT_MIN_WORK: usize = 1 << 23;

/// The fewest batch rows for which a training pass is split (each half
/// keeps at least three of the product kernels' 8-row blocks).
pub const SPLIT_MIN_ROWS: usize = 48;

/// Where a pass of `rows` rows is split between two threads, if it is:
/// the first thread's row count. `work_per_row` is the multiply-adds of
/// the pass's products per batch row, `largest_per_row` those of its
/// largest product.
///
/// `None` with one thread ([`threads`]), fewer than [`SPLIT_MIN_ROWS`]
/// rows, a pass below [`SPLIT_MIN_WORK`], or a product large enough to be
/// split by itself ([`PARALLEL_MIN_WORK`]).
///
/// ```
/// use dezero_runtime::compiled::split_point;
/// dezero_runtime::kernels::set_threads(1);
/// assert_eq!(split_point(256, 33_000, 4096), None);
/// ```
pub fn split_point(rows: usize, work_per_row: usize, largest_per_row: usize) -> Option<usize> {
    if threads() < 2 || rows < SPLIT_MIN_ROWS {
        return None;
    }
    let total = rows.saturating_mul(work_per_row);
    if total < SPLIT_MIN_WORK || rows.saturating_mul(largest_per_row) >= PARALLEL_MIN_WORK {
        return None;
    }
    Some(rows / 2)
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
        self.ws.bytes() + self.buf.capacity() * std::mem::size_of::<T>()
    }

    /// Frees the helper's workspace and gradient buffer (the next split
    /// pass allocates them again).
    pub fn release(&mut self) {
        *self = RowSplit::default();
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

    /// After a failed pass: zeroes the gradients this thread's half never
    /// wrote (made for the pass, they hold stale values), drops the
    /// helper's sums, and lets go of the gradients.
    fn abandon(&mut self) {
        for (g, _) in self.grads.iter().zip(&self.fresh).filter(|(_, &f)| f) {
            g.data_mut().fill(T::zero());
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
        split.abandon();
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::set_threads;
    use crate::layers::ParamVisitor;
    use ndarray::ArrayD;

    /// Two parameters of 3 and 2 elements, and a "pass" whose gradient for
    /// each is a sum over its rows: row `r` adds `r + 1` to element `j` of
    /// the first and `10·(r + 1)` to every element of the second; its loss
    /// is the sum of `r + 1` over its rows divided by the batch's rows.
    struct Toy {
        a: Parameter<f64>,
        b: Parameter<f64>,
    }

    impl Layer<f64> for Toy {
        fn visit_params(&self, v: &mut dyn ParamVisitor<f64>) {
            v.param("a", &self.a);
            v.param("b", &self.b);
        }
        fn forward(&self, x: &Variable<f64>) -> Variable<f64> {
            x.clone()
        }
    }

    fn toy() -> Toy {
        Toy {
            a: Parameter::new(ArrayD::zeros(vec![3])),
            b: Parameter::new(ArrayD::zeros(vec![2])),
        }
    }

    fn run(m: &Toy, split: &mut RowSplit<f64>, rows: usize, first: usize) -> Result<f64> {
        let mut slab = Vec::new();
        let pass = |s: &mut Vec<f64>, rg: Range<usize>, sink: &mut dyn GradSink<f64>| {
            // The workspace is the thread's own.
            s.clear();
            s.extend(rg.clone().map(|r| r as f64));
            let w = |r: usize| (r + 1) as f64;
            sink.accumulate(&m.a, &mut |g, acc| {
                for (j, gj) in g.iter_mut().enumerate() {
                    let v: f64 = rg.clone().map(|r| w(r) * (j + 1) as f64).sum();
                    *gj = if acc { *gj + v } else { v };
                }
            });
            sink.accumulate(&m.b, &mut |g, acc| {
                let v: f64 = rg.clone().map(|r| 10.0 * w(r)).sum();
                g.iter_mut()
                    .for_each(|gj| *gj = if acc { *gj + v } else { v });
            });
            Ok(rg.map(w).sum::<f64>() / rows as f64)
        };
        train_halves(m, &mut slab, split, rows, first, &pass)
    }

    #[test]
    fn the_halves_add_up_to_the_whole_batch() {
        set_threads(2);
        let m = toy();
        let mut split = RowSplit::default();
        // rows 0..5: weights 1..=5, sum 15
        let loss = run(&m, &mut split, 5, 2).expect("no error");
        assert_eq!(loss, 15.0 / 5.0);
        assert_eq!(
            m.a.grad().expect("grad").to_array().as_slice(),
            Some(&[15.0, 30.0, 45.0][..])
        );
        assert_eq!(
            m.b.grad().expect("grad").to_array().as_slice(),
            Some(&[150.0, 150.0][..])
        );
        // Without cleargrads, a second pass adds.
        run(&m, &mut split, 5, 3).expect("no error");
        assert_eq!(
            m.a.grad().expect("grad").to_array().as_slice(),
            Some(&[30.0, 60.0, 90.0][..])
        );
        // After cleargrads, the next pass overwrites the set-aside arrays.
        m.a.clear_grad_keeping();
        m.b.clear_grad_keeping();
        run(&m, &mut split, 5, 1).expect("no error");
        assert_eq!(
            m.a.grad().expect("grad").to_array().as_slice(),
            Some(&[15.0, 30.0, 45.0][..])
        );
        assert_eq!(
            m.b.grad().expect("grad").to_array().as_slice(),
            Some(&[150.0, 150.0][..])
        );
        // The split lets go of the gradient handles it took.
        assert!(split.grads.is_empty());
        // The helper's slab (its largest part: rows 1..5) and its buffer.
        assert_eq!(split.bytes(), (4 + 5) * 8);
    }

    #[test]
    fn an_error_in_either_half_is_returned() {
        set_threads(2);
        let m = toy();
        let mut split = RowSplit::default();
        let mut slab = Vec::new();
        for bad in [0..2, 2..6] {
            let pass = |_: &mut Vec<f64>, rg: Range<usize>, _: &mut dyn GradSink<f64>| {
                if rg == bad {
                    Err(crate::error::Error::Program {
                        program: "toy".into(),
                        message: format!("rows {rg:?}"),
                    })
                } else {
                    Ok(1.0)
                }
            };
            // A stale array set aside by cleargrads, which the failed pass
            // must not leave showing as a gradient.
            m.a.set_grad(Some(Variable::new(ArrayD::from_elem(vec![3], 7.0))));
            m.a.clear_grad_keeping();
            let e = train_halves(&m, &mut slab, &mut split, 6, 2, &pass).expect_err("an error");
            assert_eq!(e.to_string(), format!("program `toy`: rows {bad:?}"));
            assert!(split.grads.is_empty());
            let g = m.a.grad().expect("made for the pass").to_array();
            assert!(g.iter().all(|&v| v == 0.0), "{g}");
        }
    }
}
