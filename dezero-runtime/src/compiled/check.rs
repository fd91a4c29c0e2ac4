//! The non-finite check of a compiled model's passes (see
//! [`finite`](crate::finite)): what the generated code calls, in
//! check-finite mode, after each step of its plan.
//!
//! A pass reads [`Config::check_finite`] once ([`checking`]). When it is
//! on, after each step that computes something (copies in and out are not
//! checked), the values the step wrote are scanned with
//! [`first_nonfinite`]; the first hit returns [`step_error`] from the pass,
//! naming the step as the model's `plan()` prints it. Nothing is allocated
//! unless a value is found.

use ndarray::{ArrayBase, Data, Dimension};

use crate::config::Config;
use crate::error::Error;
use crate::finite::{unravel, NonFinite};
use crate::scalar::Scalar;

pub use crate::finite::{first_nonfinite, Phase, PlanStep};

/// Whether this pass checks its steps: [`Config::check_finite`], read once
/// per pass.
#[inline]
pub fn checking() -> bool {
    Config::check_finite()
}

/// A step, as its report names it.
#[derive(Clone, Debug)]
pub struct StepSite {
    /// The op as the plan prints it (`affine+sigmoid l1`), or the loss's
    /// name for its value.
    pub op: &'static str,
    /// Forward step (or a loss's value) or gradient step.
    pub phase: Phase,
    /// Where the step is in its plan, and the value it wrote.
    pub plan: PlanStep,
    /// The position of that value among those the step writes.
    pub output: usize,
}

/// One input of a step, as its report describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckInput {
    /// Its shape.
    pub shape: Vec<usize>,
    /// Whether it holds a NaN or an infinity.
    pub nonfinite: bool,
}

impl CheckInput {
    /// A row-major buffer of the given shape.
    ///
    /// ```
    /// use dezero_runtime::compiled::CheckInput;
    /// let i = CheckInput::slice(&[1, 2], &[1.0_f32, f32::NAN]);
    /// assert!(i.nonfinite && i.shape == [1, 2]);
    /// ```
    pub fn slice<T: Scalar>(shape: &[usize], data: &[T]) -> Self {
        CheckInput {
            shape: shape.to_vec(),
            nonfinite: first_nonfinite(data).is_some(),
        }
    }

    /// An array (a weight, a target).
    pub fn array<T: Scalar, S: Data<Elem = T>, D: Dimension>(a: &ArrayBase<S, D>) -> Self {
        CheckInput {
            shape: a.shape().to_vec(),
            nonfinite: a.iter().any(|x| !x.is_finite()),
        }
    }

    /// A value whose content the step replaced (an in-place update): only
    /// its shape is known.
    pub fn shape(shape: &[usize]) -> Self {
        CheckInput {
            shape: shape.to_vec(),
            nonfinite: false,
        }
    }
}

/// The error for a step that wrote `value` at flat position `at` of a value
/// of shape `shape` (row-major), given its inputs.
///
/// ```
/// use dezero_runtime::compiled::{step_error, CheckInput, Phase, PlanStep, StepSite};
/// let site = StepSite {
///     op: "affine l1",
///     phase: Phase::Forward,
///     plan: PlanStep { model: "Net", plan: "inference", step: 0, value: "h" },
///     output: 0,
/// };
/// let inputs = vec![CheckInput::shape(&[4, 2]), CheckInput::slice(&[2, 3], &[f64::NAN; 6])];
/// let e = step_error(site, &[4, 3], 5, f64::NAN, inputs);
/// assert_eq!(
///     e.to_string(),
///     "non-finite value from `affine l1` (forward, step 0 of `Net`'s inference plan): \
///      `h` holds NaN at [1, 2]; inputs' shapes [4, 2], [2, 3]; \
///      input 1 already held a NaN or an infinity"
/// );
/// ```
#[cold]
#[inline(never)]
pub fn step_error(
    site: StepSite,
    shape: &[usize],
    at: usize,
    value: f64,
    inputs: Vec<CheckInput>,
) -> Error {
    let nonfinite_inputs = inputs
        .iter()
        .enumerate()
        .filter_map(|(i, x)| x.nonfinite.then_some(i))
        .collect();
    Error::NonFinite(Box::new(NonFinite {
        op: site.op.to_string(),
        phase: site.phase,
        plan: Some(site.plan),
        input_shapes: inputs.into_iter().map(|x| x.shape).collect(),
        nonfinite_inputs,
        output: site.output,
        index: unravel(at, shape),
        value,
    }))
}
