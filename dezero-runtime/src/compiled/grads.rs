//! Where a compiled backward pass adds each parameter's gradient.

use ndarray::ArrayD;

use crate::scalar::Scalar;
use crate::variable::{Parameter, Variable};

/// Where a compiled backward pass adds each parameter's gradient.
pub trait GradSink<T: Scalar> {
    /// Calls `f(g, acc)` on the (row-major, contiguous) gradient array `g`
    /// of `p`: `f` adds its contribution to `g` when `acc`, and overwrites
    /// `g` with it otherwise (`g` then holds no sum yet, only stale values).
    fn accumulate(&mut self, p: &Parameter<T>, f: &mut dyn FnMut(&mut [T], bool));
}

/// Adds into each parameter's own gradient (`p.grad()`): the sink of
/// `forward_backward`. A parameter without one gets the array its
/// compiled `cleargrads` set aside (or a new one), overwritten rather than
/// zeroed and added to.
#[derive(Clone, Copy, Debug, Default)]
pub struct ParamGrads;

impl<T: Scalar> GradSink<T> for ParamGrads {
    fn accumulate(&mut self, p: &Parameter<T>, f: &mut dyn FnMut(&mut [T], bool)) {
        let (g, fresh) = p.grad_for_pass();
        let mut d = g.data_mut();
        if !d.is_standard_layout() {
            *d = d.as_standard_layout().into_owned();
        }
        f(d.as_slice_mut().expect("made standard just above"), !fresh);
    }
}

/// Collects gradients into fresh arrays, one per parameter of a list: the
/// sink of the define-by-run node, which returns them to the graph.
#[derive(Debug)]
pub struct VecGrads<T: Scalar> {
    params: Vec<Variable<T>>,
    grads: Vec<ArrayD<T>>,
}

impl<T: Scalar> VecGrads<T> {
    /// Zero gradients shaped like `params`.
    pub fn new(params: Vec<Variable<T>>) -> Self {
        let grads = params
            .iter()
            .map(|p| ArrayD::zeros(p.data().raw_dim()))
            .collect();
        VecGrads { params, grads }
    }

    /// The gradients, in the order of the list.
    pub fn into_grads(self) -> Vec<ArrayD<T>> {
        self.grads
    }
}

impl<T: Scalar> GradSink<T> for VecGrads<T> {
    fn accumulate(&mut self, p: &Parameter<T>, f: &mut dyn FnMut(&mut [T], bool)) {
        if let Some(i) = self.params.iter().position(|q| q.same(p)) {
            f(
                self.grads[i].as_slice_mut().expect("zeros are contiguous"),
                true,
            );
        }
    }
}
