//! Non-finite checks: an opt-in mode, in the spirit of PyTorch's anomaly
//! mode, that finds the first op whose output (or gradient) holds a NaN or
//! an infinity and reports it with the op's name, the phase and the shapes
//! of the op's inputs.
//!
//! Turn it on for a scope with [`check_finite`](crate::config::check_finite)
//! (a guard, like [`no_grad`](crate::no_grad)), or for a whole run with the
//! environment variable `DEZERO_CHECK_FINITE=1`. When it is off, an op pays
//! one thread-local read and a backward pass one more; nothing is scanned.
//!
//! # How a report reaches you
//!
//! Operators are infallible (as in the book), so on the define-by-run path
//! a check cannot return an error where it finds one. Instead:
//!
//! - every op ([`apply`](crate::apply)) scans its outputs and records the
//!   first offender as a [`NonFinite`] report in a thread-local slot. The
//!   slot keeps the first report until it is taken, later offenders (most
//!   often the same NaN travelling on) are not scanned for. Computation goes
//!   on unchanged, so NaNs propagate exactly as with the mode off;
//! - [`Variable::try_backward`] returns the pending report as
//!   [`Error::NonFinite`] before touching any gradient; otherwise it runs
//!   backward, scans each gradient a backward rule produces, and stops at
//!   the first non-finite one with an error naming the Function (phase
//!   [`Phase::Backward`]). The offending gradient is not stored; gradients
//!   stored before it stay;
//! - [`Variable::backward`] does the same and panics with the report's
//!   message, as PyTorch's `backward` raises in anomaly mode: a training
//!   loop run with `DEZERO_CHECK_FINITE=1` stops at the first bad op
//!   without any change to its code;
//! - code with no backward pass (evaluation) asks with [`take_report`] or
//!   [`check`].
//!
//! A `model!` model checks the steps of its plan and returns the error from
//! `forward_backward`, `predict` and `try_forward` (see
//! [`compiled::step_error`](crate::compiled::step_error)).
//!
//! ```
//! use dezero_runtime::{check_finite, finite, functions::log, Error, Variable};
//! use ndarray::arr1;
//!
//! let _check = check_finite();
//! let x = Variable::new(arr1(&[1.0_f64, -1.0, 2.0]).into_dyn());
//! let y = log(&x); // NaN at index 1: recorded, not raised
//! let z = &y * 2.0;
//! let err = z.try_backward().unwrap_err();
//! let Error::NonFinite(report) = &err else { panic!("{err}") };
//! assert_eq!(report.op, "Log"); // the first offender, not `Mul`
//! assert_eq!(report.phase, finite::Phase::Forward);
//! assert_eq!(report.input_shapes, [vec![3]]);
//! assert_eq!(report.index, [1]);
//! assert!(x.grad().is_none()); // nothing was backpropagated
//! assert!(finite::take_report().is_none()); // the report was taken
//! ```

use std::cell::Cell;
use std::fmt;

use ndarray::{ArrayD, Dimension};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::function::FuncNode;
use crate::scalar::Scalar;
use crate::variable::{BackwardOptions, Variable};

/// When a non-finite value was produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// By an op's forward computation (a compiled model: a forward step,
    /// or a loss's value).
    Forward,
    /// By a backward rule: the gradient of one of an op's inputs (a compiled
    /// model: a gradient step).
    Backward,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Forward => "forward",
            Phase::Backward => "backward",
        })
    }
}

/// Where in a compiled model's plan a step is (the numbers and names that
/// the model's `plan()` prints).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanStep {
    /// The model type (`TwoLayerNet`).
    pub model: &'static str,
    /// Which plan: `"training"`, `"inference"` or `"split"` (the pass a
    /// nesting model or a define-by-run graph calls).
    pub plan: &'static str,
    /// The step's position in the schedule.
    pub step: usize,
    /// The value the step wrote (`h`, `gx`, `l1/W.grad`), or `loss`.
    pub value: &'static str,
}

/// The first op found to produce a NaN or an infinity: what
/// [`Error::NonFinite`] carries.
#[derive(Clone, Debug, PartialEq)]
pub struct NonFinite {
    /// The op: a Function's name (`Log`, `MatMul`), or a compiled step as
    /// its model's plan prints it (`affine+sigmoid l1`, `mean_squared_error`).
    pub op: String,
    /// Whether the op's forward computation or a backward rule produced it.
    pub phase: Phase,
    /// For a compiled model, where in its plan the step is.
    pub plan: Option<PlanStep>,
    /// The shapes of the op's inputs, in order (for a backward rule, those
    /// of the Function's inputs; for a compiled step, the values it reads,
    /// then the layer's `W` and `b`, or the loss's target).
    pub input_shapes: Vec<Vec<usize>>,
    /// The inputs (positions in `input_shapes`) that already held a NaN or
    /// an infinity: empty when the op made the value non-finite itself, as
    /// `log(0)` does; not empty when it passed one on, as a product with a
    /// NaN weight does.
    pub nonfinite_inputs: Vec<usize>,
    /// Which output: for a forward op, its position among the outputs; for
    /// a backward rule, the position of the input whose gradient it is; for
    /// a compiled step, its position among the values the step writes.
    pub output: usize,
    /// The position of the first non-finite element in that output
    /// (row-major).
    pub index: Vec<usize>,
    /// Its value: NaN, `inf` or `-inf`.
    pub value: f64,
}

impl fmt::Display for NonFinite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "non-finite value from `{}` ({}", self.op, self.phase)?;
        if let Some(p) = &self.plan {
            write!(f, ", step {} of `{}`'s {} plan", p.step, p.model, p.plan)?;
        }
        f.write_str("): ")?;
        match (&self.plan, self.phase) {
            (Some(p), _) => write!(f, "`{}`", p.value)?,
            (None, Phase::Forward) => write!(f, "output {}", self.output)?,
            (None, Phase::Backward) => write!(f, "the gradient of input {}", self.output)?,
        }
        write!(
            f,
            " holds {} at {:?}; inputs' shapes ",
            self.value, self.index
        )?;
        if self.input_shapes.is_empty() {
            f.write_str("(none)")?;
        }
        for (i, s) in self.input_shapes.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{s:?}")?;
        }
        match self.nonfinite_inputs.as_slice() {
            [] => Ok(()),
            [i] => write!(f, "; input {i} already held a NaN or an infinity"),
            is => write!(f, "; inputs {is:?} already held NaNs or infinities"),
        }
    }
}

impl std::error::Error for NonFinite {}

thread_local! {
    /// The first report not yet taken.
    static REPORT: Cell<Option<Box<NonFinite>>> = const { Cell::new(None) };
    /// Set while a backward pass runs: the ops a backward rule applies are
    /// checked as that rule's gradients, not as forward ops.
    static IN_BACKWARD: Cell<bool> = const { Cell::new(false) };
}

/// Takes the pending report: the first non-finite value an op produced on
/// this thread since the last report was taken (by this function, [`check`]
/// or a backward pass), if any.
///
/// ```
/// use dezero_runtime::{check_finite, finite, functions::exp, Variable};
/// let _check = check_finite();
/// let y = exp(&Variable::scalar(1000.0_f64)); // overflows to inf
/// let report = finite::take_report().expect("exp overflowed");
/// assert_eq!((report.op.as_str(), report.value), ("Exp", f64::INFINITY));
/// assert!(finite::take_report().is_none());
/// # drop(y);
/// ```
pub fn take_report() -> Option<NonFinite> {
    REPORT.with(Cell::take).map(|b| *b)
}

/// Takes the pending report (see [`take_report`]) as an error.
///
/// ```
/// use dezero_runtime::{check_finite, finite, functions::exp, Variable};
/// let _check = check_finite();
/// let y = exp(&Variable::scalar(4.0_f32));
/// finite::check()?; // nothing non-finite so far
/// # drop(y);
/// # Ok::<(), dezero_runtime::Error>(())
/// ```
///
/// # Errors
/// [`Error::NonFinite`] with the report, if one is pending.
pub fn check() -> Result<()> {
    match REPORT.with(Cell::take) {
        Some(r) => Err(Error::NonFinite(r)),
        None => Ok(()),
    }
}

/// Whether a report is pending.
pub(crate) fn pending() -> bool {
    REPORT.with(|c| {
        let r = c.take();
        let some = r.is_some();
        c.set(r);
        some
    })
}

/// Records `report` unless one is already pending (the first one wins).
pub(crate) fn record(report: Box<NonFinite>) {
    REPORT.with(|c| {
        let old = c.take();
        c.set(Some(old.unwrap_or(report)));
    });
}

/// The position of the first NaN or infinity in `xs`, if any.
///
/// ```
/// use dezero_runtime::finite::first_nonfinite;
/// assert_eq!(first_nonfinite(&[1.0_f32, f32::NAN, f32::INFINITY]), Some(1));
/// assert_eq!(first_nonfinite(&[1.0_f64, 2.0]), None);
/// ```
pub fn first_nonfinite<T: Scalar>(xs: &[T]) -> Option<usize> {
    // `x · 0` is ±0 for a finite x and NaN otherwise. Summed into eight
    // independent lanes, without branches, so that the compiler vectorises
    // the scan; the slice is searched for the position only when a lane
    // is not zero.
    const LANES: usize = 8;
    let mut acc = [T::zero(); LANES];
    let chunks = xs.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a += x * T::zero();
        }
    }
    if acc.iter().all(|a| *a == T::zero()) && tail.iter().all(|x| x.is_finite()) {
        None
    } else {
        xs.iter().position(|x| !x.is_finite())
    }
}

/// The first NaN or infinity of `a` with its row-major position.
fn first_in_array<T: Scalar>(a: &ArrayD<T>) -> Option<(Vec<usize>, f64)> {
    if let Some(s) = a.as_slice() {
        let at = first_nonfinite(s)?;
        return Some((unravel(at, a.shape()), s[at].to_f64_lossless()));
    }
    a.indexed_iter()
        .find(|(_, x)| !x.is_finite())
        .map(|(i, x)| (i.slice().to_vec(), x.to_f64_lossless()))
}

/// Whether `a` holds a NaN or an infinity.
fn has_nonfinite<T: Scalar>(a: &ArrayD<T>) -> bool {
    match a.as_slice_memory_order() {
        Some(s) => first_nonfinite(s).is_some(),
        None => a.iter().any(|x| !x.is_finite()),
    }
}

/// The row-major multi-index of flat position `at` in `shape`.
pub(crate) fn unravel(mut at: usize, shape: &[usize]) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for (i, &n) in shape.iter().enumerate().rev() {
        if n > 0 {
            index[i] = at % n;
            at /= n;
        }
    }
    index
}

/// The inputs' shapes and which of them hold non-finite values.
fn describe_inputs<T: Scalar>(inputs: &[&Variable<T>]) -> (Vec<Vec<usize>>, Vec<usize>) {
    let mut shapes = Vec::with_capacity(inputs.len());
    let mut bad = Vec::new();
    for (i, x) in inputs.iter().enumerate() {
        if !x.has_data() {
            shapes.push(Vec::new());
            continue;
        }
        let d = x.data();
        shapes.push(d.shape().to_vec());
        if has_nonfinite(&d) {
            bad.push(i);
        }
    }
    (shapes, bad)
}

/// The check [`apply`](crate::apply) runs on an op's outputs in check mode:
/// records the first non-finite output, unless a report is pending already
/// or a backward pass is running (whose rules are checked by their results).
pub(crate) fn check_forward<T: Scalar>(
    op: &'static str,
    inputs: &[&Variable<T>],
    outputs: &[ArrayD<T>],
) {
    if IN_BACKWARD.with(Cell::get) || pending() {
        return;
    }
    for (output, y) in outputs.iter().enumerate() {
        if let Some((index, value)) = first_in_array(y) {
            let (input_shapes, nonfinite_inputs) = describe_inputs(inputs);
            record(Box::new(NonFinite {
                op: op.to_string(),
                phase: Phase::Forward,
                plan: None,
                input_shapes,
                nonfinite_inputs,
                output,
                index,
                value,
            }));
            return;
        }
    }
}

/// The check a backward pass runs on the gradient `g` that `f`'s backward
/// rule gave its input `input` (after adding it to what the input already
/// had): an error naming `f` if it holds a NaN or an infinity, or if the
/// rule itself recorded a report (a compiled model's backward does).
pub(crate) fn check_grad<T: Scalar>(
    f: &FuncNode<T>,
    input: usize,
    g: &Variable<T>,
) -> Result<(), Box<NonFinite>> {
    if let Some(r) = REPORT.with(Cell::take) {
        return Err(r);
    }
    let Some((index, value)) = first_in_array(&g.data()) else {
        return Ok(());
    };
    let inputs: Vec<&Variable<T>> = f.inputs.iter().collect();
    let (input_shapes, nonfinite_inputs) = describe_inputs(&inputs);
    Err(Box::new(NonFinite {
        op: f.func.name().to_string(),
        phase: Phase::Backward,
        plan: None,
        input_shapes,
        nonfinite_inputs,
        output: input,
        index,
        value,
    }))
}

/// Marks a backward pass as running until dropped.
struct InBackward(bool);

impl InBackward {
    fn enter() -> Self {
        InBackward(IN_BACKWARD.with(|c| c.replace(true)))
    }
}

impl Drop for InBackward {
    fn drop(&mut self) {
        let previous = self.0;
        IN_BACKWARD.with(|c| c.set(previous));
    }
}

impl<T: Scalar> Variable<T> {
    /// [`backward`](Variable::backward) that, in check-finite mode, returns
    /// the first non-finite value as an error instead of panicking.
    ///
    /// With the mode off it is `backward` and always `Ok`.
    ///
    /// ```
    /// use dezero_runtime::{check_finite, Error, Variable};
    /// let _check = check_finite();
    /// let x = Variable::scalar(0.0_f64);
    /// let y = x.powf(0.5); // √0 = 0 is fine
    /// // d/dx √x = 1 / (2√x) is infinite at 0
    /// let Err(Error::NonFinite(r)) = y.try_backward() else { panic!() };
    /// assert_eq!((r.op.as_str(), r.phase.to_string()), ("Pow", "backward".into()));
    /// assert_eq!(r.value, f64::INFINITY);
    /// assert!(x.grad().is_none()); // the offending gradient is not stored
    /// ```
    ///
    /// # Errors
    /// In check-finite mode, [`Error::NonFinite`]: the pending report of a
    /// forward op (see [`take_report`]), returned before anything is
    /// backpropagated; or else the first gradient a backward rule produced
    /// with a NaN or an infinity, returned as soon as it is found: the
    /// gradients stored before it stay, and the offending one is not
    /// stored.
    pub fn try_backward(&self) -> Result<()> {
        self.try_backward_with(BackwardOptions::default())
    }

    /// [`backward_with`](Variable::backward_with) that returns the first
    /// non-finite value as an error (see [`try_backward`](Variable::try_backward)).
    ///
    /// # Errors
    /// As [`try_backward`](Variable::try_backward).
    pub fn try_backward_with(&self, opts: BackwardOptions) -> Result<()> {
        let checking = Config::check_finite();
        if checking {
            check()?;
        }
        let _in_backward = checking.then(InBackward::enter);
        self.backprop(opts, checking).map_err(Error::NonFinite)?;
        if checking {
            check()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unravel_is_row_major() {
        assert_eq!(unravel(5, &[2, 3]), [1, 2]);
        assert_eq!(unravel(0, &[]), Vec::<usize>::new());
        assert_eq!(unravel(7, &[2, 2, 2]), [1, 1, 1]);
    }

    #[test]
    fn first_nonfinite_finds_each_kind() {
        assert_eq!(first_nonfinite(&[0.0_f32; 0]), None);
        assert_eq!(first_nonfinite(&[1.0, f64::NEG_INFINITY]), Some(1));
        assert_eq!(first_nonfinite(&[f64::MAX, f64::MAX]), None);
    }

    #[test]
    fn the_first_report_wins() {
        let r = |op: &str| {
            Box::new(NonFinite {
                op: op.into(),
                phase: Phase::Forward,
                plan: None,
                input_shapes: vec![],
                nonfinite_inputs: vec![],
                output: 0,
                index: vec![],
                value: f64::NAN,
            })
        };
        record(r("A"));
        record(r("B"));
        assert!(pending());
        assert_eq!(take_report().map(|r| r.op), Some("A".to_string()));
        assert!(!pending());
    }
}
