//! Vector-Jacobian products over a recorded graph that leave every
//! variable's `grad` alone: what a compiled model's define-by-run node
//! uses when a backward pass records its own graph (`create_graph`).

use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use crate::function::FuncNode;
use crate::scalar::Scalar;
use crate::variable::{Pending, Variable};

/// The gradients of `Σ y·gy` with respect to each of `wrt`, through the
/// graph that made `y`, as Variables (`None` where `y` does not depend on
/// one).
///
/// The same Function backward rules as [`Variable::backward`] run, in the
/// same order, but their results are summed here rather than stored in
/// any variable's `grad`, and the walk does not go past a variable of
/// `wrt` into the graph that made it. Run with backprop enabled (inside a
/// `create_graph` backward pass), the results are themselves recorded,
/// functions of `wrt` and `gy`.
pub(crate) fn vjp<T: Scalar>(
    y: &Variable<T>,
    gy: &Variable<T>,
    wrt: &[&Variable<T>],
) -> Vec<Option<Variable<T>>> {
    let stop: HashSet<usize> = wrt.iter().map(|v| v.ptr() as usize).collect();
    let mut grads: HashMap<usize, Variable<T>> = HashMap::new();
    grads.insert(y.ptr() as usize, gy.clone());
    let mut heap = BinaryHeap::new();
    let mut seen: HashSet<*const FuncNode<T>> = HashSet::new();
    let mut counter = 0usize;
    if let (Some(first), false) = (y.creator_node(), stop.contains(&(y.ptr() as usize))) {
        seen.insert(Arc::as_ptr(&first));
        heap.push(Pending(first, counter));
    }
    while let Some(Pending(f, _)) = heap.pop() {
        let ys = f.live_outputs();
        let gys: Vec<Variable<T>> = ys
            .iter()
            .map(|y| {
                grads
                    .get(&(y.ptr() as usize))
                    .cloned()
                    .unwrap_or_else(|| Variable::new(ArrayD::zeros(IxDyn(&y.shape()))))
            })
            .collect();
        let gxs = f.func.backward(&f.inputs, &ys, &gys);
        for (x, gx) in f.inputs.iter().zip(gxs) {
            let Some(gx) = gx else { continue };
            let key = x.ptr() as usize;
            let sum = match grads.remove(&key) {
                None => gx,
                Some(old) => &old + &gx,
            };
            grads.insert(key, sum);
            if stop.contains(&key) {
                continue;
            }
            if let Some(c) = x.creator_node() {
                if seen.insert(Arc::as_ptr(&c)) {
                    counter += 1;
                    heap.push(Pending(c, counter));
                }
            }
        }
    }
    wrt.iter()
        .map(|v| grads.get(&(v.ptr() as usize)).cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::using_backprop;
    use crate::BackwardOptions;
    use ndarray::arr1;

    #[test]
    fn gives_the_gradients_backward_would_without_storing_them() {
        // y = x²·w + x, at x = [1, 2], w = 3: dy/dx = 2xw + 1, dy/dw = x²
        let x = Variable::new(arr1(&[1.0_f64, 2.0]).into_dyn());
        let w = Variable::scalar(3.0_f64);
        let y = &(&(&x * &x) * &w) + &x;
        let gy = Variable::new(arr1(&[1.0_f64, 10.0]).into_dyn());
        let g = vjp(&y, &gy, &[&x, &w]);
        let gx = g[0].as_ref().expect("y depends on x").data().to_owned();
        assert_eq!(gx.as_slice(), Some(&[7.0, 130.0][..]));
        let gw = g[1].as_ref().expect("y depends on w").data().to_owned();
        assert_eq!(gw.sum(), 1.0 + 40.0);
        assert!(x.grad().is_none() && w.grad().is_none() && y.grad().is_none());
    }

    #[test]
    fn stops_at_the_inputs_and_records_its_graph_with_backprop_on() {
        // x = a·a is made by the outer graph; the walk stops at x.
        let a = Variable::scalar(3.0_f64);
        let x = &a * &a;
        let y = &(&x * &x) * &x; // x³
        let gy = Variable::scalar(1.0_f64);
        let gx = {
            let _on = using_backprop(true);
            vjp(&y, &gy, &[&x]).remove(0).expect("y depends on x")
        };
        assert_eq!(gx.data()[[]], 3.0 * 81.0); // 3x² at x = 9
        assert!(a.grad().is_none(), "walked past x into a·a");
        // recorded, through x = a·a: d(3x²)/da = 6x · 2a = 54 · 6
        gx.backward_with(BackwardOptions::default());
        assert_eq!(a.grad().expect("recorded").data()[[]], 324.0);
    }
}
