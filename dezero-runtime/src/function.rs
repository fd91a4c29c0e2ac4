//! The `Function` trait and the graph node that records one call of it.
//!
//! As in DeZero, a Function's forward works on plain arrays, and its
//! backward works on Variables, so that the backward pass can itself be
//! recorded (`create_graph`) and differentiated again.

use std::sync::{Arc, Weak};

use ndarray::ArrayD;

use crate::config::Config;
use crate::scalar::Scalar;
use crate::variable::{VarCell, Variable};

/// One differentiable operation (DeZero's `Function` class).
///
/// Implementors compute outputs from input arrays in [`forward`](Function::forward)
/// and input gradients from output gradients in [`backward`](Function::backward).
/// State needed by backward (an input shape, a saved mask) is stored on `self`
/// during forward. Call [`apply`] (or a lowercase wrapper such as
/// [`exp`](crate::functions::exp)) rather than these methods directly.
///
/// A Function is `Send` and `Sync` (its recorded call is a node of a graph
/// that may be moved to another thread), so state kept for backward lives
/// in plain fields, or in a `Mutex` or an `atomic_refcell::AtomicRefCell`
/// when backward must change it, not in a `RefCell`.
pub trait Function<T: Scalar>: Send + Sync + 'static {
    /// The class name DeZero prints in graphs (`"Add"`, `"Sigmoid"`).
    fn name(&self) -> &'static str;

    /// Computes the outputs from the inputs' data.
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>>;

    /// Computes the gradient of each input from the gradient of each output.
    ///
    /// `xs` are the inputs, `ys` the outputs (as DeZero's `self.outputs[i]()`),
    /// `gys` the outputs' gradients. Returns one gradient per input; `None`
    /// means the input gets no gradient (it is not differentiable, as the
    /// integer targets of a loss).
    fn backward(
        &self,
        xs: &[Variable<T>],
        ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>>;

    /// Bytes of array data this Function holds on its own for its backward
    /// pass (beyond its input Variables), counted by
    /// [`Variable::retained_bytes`].
    fn retained_bytes(&self) -> usize {
        0
    }
}

/// A recorded call of a Function: the creator of its outputs.
pub(crate) struct FuncNode<T: Scalar> {
    pub(crate) func: Box<dyn Function<T>>,
    pub(crate) inputs: Vec<Variable<T>>,
    pub(crate) outputs: Vec<Weak<VarCell<T>>>,
    pub(crate) generation: usize,
}

impl<T: Scalar> FuncNode<T> {
    /// The outputs that are still alive, in order; a dropped output is
    /// skipped (DeZero would fail on it; every Function here has one output).
    pub(crate) fn live_outputs(&self) -> Vec<Variable<T>> {
        self.outputs
            .iter()
            .filter_map(|w| w.upgrade().map(Variable::from_cell))
            .collect()
    }
}

/// Calls `f` on `inputs` and, when backprop is enabled, records the call
/// as the creator of the outputs (DeZero's `Function.__call__`).
///
/// In check-finite mode ([`check_finite`](crate::check_finite)), the
/// outputs are scanned for NaNs and infinities, and the first offender is
/// recorded (see [`finite`](crate::finite)); nothing else changes.
///
/// ```
/// use dezero_runtime::{apply, functions::Exp, Variable};
/// let x = Variable::new(ndarray::arr0(0.0_f64).into_dyn());
/// let ys = apply(Exp, &[&x]);
/// assert_eq!(ys[0].data()[[]], 1.0);
/// ```
pub fn apply<T: Scalar, F: Function<T>>(mut f: F, inputs: &[&Variable<T>]) -> Vec<Variable<T>> {
    // Data and generation are read under one borrow per input: a borrow is
    // an atomic operation, and this runs for every op.
    let (outputs, generation) = {
        let datas: Vec<_> = inputs.iter().map(|x| x.data_and_generation()).collect();
        let generation = datas.iter().map(|(_, g)| *g).max().unwrap_or(0);
        let refs: Vec<&ArrayD<T>> = datas.iter().map(|(d, _)| &**d).collect();
        (f.forward(&refs), generation)
    };
    if Config::check_finite() {
        crate::finite::check_forward(f.name(), inputs, &outputs);
    }
    let outputs: Vec<Variable<T>> = outputs.into_iter().map(Variable::new).collect();
    if Config::enable_backprop() {
        let node = Arc::new(FuncNode {
            func: Box::new(f),
            inputs: inputs.iter().map(|x| (*x).clone()).collect(),
            outputs: outputs.iter().map(Variable::downgrade).collect(),
            generation,
        });
        // The last output takes the node itself (one clone fewer).
        if let Some((last, rest)) = outputs.split_last() {
            for y in rest {
                y.set_creator(Arc::clone(&node));
            }
            last.set_creator(node);
        }
    }
    outputs
}

/// [`apply`] for the common case of a Function with exactly one output.
///
/// # Panics
/// If `f`'s forward returns no output (a mistake in the Function).
pub fn apply1<T: Scalar, F: Function<T>>(f: F, inputs: &[&Variable<T>]) -> Variable<T> {
    let name = f.name();
    apply(f, inputs)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{name}: forward returned no output"))
}
