//! Gradients of gradients through a compiled model called as a
//! define-by-run node: with `create_graph`, the node's backward is recorded
//! (from the model's forward in define-by-run Functions), so a second
//! backward pass reaches the input and every parameter. Checked against the
//! same model written with define-by-run layers, on the same weights, in
//! f64 within 1e-10: the input gradient of `sum(y²)`, then the gradients of
//! `sum(gx²)` (a gradient penalty) with respect to the input and each
//! parameter.

use dezero::functions::{relu, sigmoid, tanh};
use dezero::prelude::*;
use dezero::BackwardOptions;
use ndarray::ArrayD;

#[path = "common/differential.rs"]
#[allow(unused_macros)]
#[macro_use]
mod differential;
use differential::*;

#[path = "common/block.rs"]
mod block;
use block::Block;

model! {
    /// Every activation, a skip connection, `-` and `*`, a nested model and
    /// a layer called twice.
    struct Everything {
        l1: Linear(5),
        l2: Linear(5),
        block: Block(5),
        out: Linear(2),
    }
    fn forward(x) {
        let h = tanh(l1(x));
        let r = h + sigmoid(l2(h));
        let s = block(r) - relu(l2(r));
        out(s * h)
    }
}

fn by_hand(m: &Everything<f64>, x: &Variable<f64>) -> Variable<f64> {
    let h = tanh(&m.l1.forward(x));
    let r = &h + &sigmoid(&m.l2.forward(&h));
    let b = &tanh(&m.block.l1.forward(&r)) + &r;
    let s = &b - &relu(&m.l2.forward(&r));
    m.out.forward(&(&s * &h))
}

/// The model called on an input: as the compiled node, or by hand.
type Call = dyn Fn(&Everything<f64>, &Variable<f64>) -> Variable<f64>;

/// What [`penalty`] measures.
struct Penalty {
    /// The input gradient of `sum(y²)`.
    gx: ArrayD<f64>,
    /// The gradient of `sum(gx²)` with respect to the input.
    second: ArrayD<f64>,
    /// And with respect to each parameter.
    params: Vec<(String, ArrayD<f64>)>,
}

/// The input gradient of `sum(y²)` (recorded), then the gradients of
/// `sum(gx²)` with respect to the input and each parameter.
fn penalty(m: &Everything<f64>, x: &Variable<f64>, f: &Call) -> Penalty {
    drop_grads(m);
    x.cleargrad();
    let y = f(m, x);
    (&y * &y)
        .sum()
        .backward_with(BackwardOptions::default().create_graph(true));
    let gx = x.grad().expect("x has a gradient");
    let first = gx.to_array();
    drop_grads(m);
    x.cleargrad();
    (&gx * &gx).sum().backward();
    let second = x.grad().expect("the penalty reaches x").to_array();
    Penalty {
        gx: first,
        second,
        params: grads(m),
    }
}

#[test]
fn a_gradient_penalty_through_the_compiled_node_matches_define_by_run() {
    random::seed(21);
    let m = Everything::<f64>::new();
    let x = var(&data::<f64>(6, 3));
    // The node initialises the lazy layers, as a first call would.
    let node = |m: &Everything<f64>, x: &Variable<f64>| Layer::forward(m, x);
    let c = penalty(&m, &x, &node);
    let d = penalty(&m, &x, &by_hand);
    for (a, b) in c.gx.iter().zip(&d.gx) {
        close("gx", *a, *b, 1e-10);
    }
    for (a, b) in c.second.iter().zip(&d.second) {
        close("d penalty / dx", *a, *b, 1e-10);
    }
    same_grads(&c.params, &d.params, 1e-10);
    // Every parameter is reached, the nested model's included.
    assert_eq!(c.params.len(), 8);
    assert!(c.params.iter().all(|(_, g)| g.iter().any(|v| *v != 0.0)));
}

#[test]
fn without_create_graph_the_fused_backward_still_runs_and_agrees() {
    random::seed(22);
    let m = Everything::<f64>::new();
    let x = var(&data::<f64>(4, 3));
    let y = Layer::forward(&m, &x);
    (&y * &y).sum().backward();
    let fused = (x.grad().expect("gx").to_array(), grads(&m));
    drop_grads(&m);
    x.cleargrad();
    let y = by_hand(&m, &x);
    (&y * &y).sum().backward();
    for (a, b) in fused.0.iter().zip(&x.grad().expect("gx").to_array()) {
        close("gx", *a, *b, 1e-10);
    }
    same_grads(&fused.1, &grads(&m), 1e-10);
}
