//! Layer sizes written as a `const` item or as arithmetic of constructor
//! arguments (`2 * h`, `h + 1`, `h / 2`): the layers get the widths the
//! expressions evaluate to, and the model trains exactly as the same model
//! declared with those widths as literals (same weights, same losses to the
//! bit).

use dezero::prelude::*;
use ndarray::{Array2, Ix2};

/// The hidden width of [`Symbolic`]'s first layer.
const HIDDEN: usize = 6;

mod widths {
    /// A width reached through a path.
    pub const OUT: usize = 2;
}

model! {
    /// Widths from a `const`, a path to one, and arithmetic.
    struct Symbolic(h: usize) {
        l1: Linear(HIDDEN),
        l2: Linear(2 * h),
        l3: Linear(2 * HIDDEN, h + 1),
        l4: Linear(h / 2 - 1),
        l5: Linear(widths::OUT),
    }
    fn forward(x) {
        let a = relu(l1(x));
        let b = tanh(l2(a));
        let c = sigmoid(l3(b));
        l5(relu(l4(c)))
    }
    fn loss(y, t) {
        mean_squared_error(y, t)
    }
}

model! {
    /// [`Symbolic`] with `h = 6`: its widths as literals.
    struct Literal {
        l1: Linear(6),
        l2: Linear(12),
        l3: Linear(12, 7),
        l4: Linear(2),
        l5: Linear(2),
    }
    fn forward(x) {
        let a = relu(l1(x));
        let b = tanh(l2(a));
        let c = sigmoid(l3(b));
        l5(relu(l4(c)))
    }
    fn loss(y, t) {
        mean_squared_error(y, t)
    }
}

model! {
    /// Literal arithmetic is folded, and checked at compile time like a
    /// literal: `2 * 3` feeds a layer declared with input size 6.
    struct Folded {
        l1: Linear(2 * 3),
        l2: Linear(6, (1 + 1)),
    }
    fn forward(x) {
        l2(l1(x))
    }
}

fn data(rows: usize, cols: usize) -> Array2<f64> {
    random::rand(&[rows, cols])
        .into_dimensionality::<Ix2>()
        .expect("2-d")
}

#[test]
fn sizes_from_consts_and_arithmetic_are_the_widths_they_evaluate_to() -> dezero::Result<()> {
    random::seed(0);
    let mut m = Symbolic::<f64>::new(6);
    // `l3` declares its input size, so it exists before the first call.
    assert_eq!(m.l3.w.shape(), [12, 7]);
    let x = data(5, 3);
    assert_eq!(m.predict(x.view())?.shape(), [5, 2]);
    let shapes: Vec<Vec<usize>> = [&m.l1, &m.l2, &m.l3, &m.l4, &m.l5]
        .iter()
        .map(|l| l.w.shape())
        .collect();
    assert_eq!(
        shapes,
        [vec![3, 6], vec![6, 12], vec![12, 7], vec![7, 2], vec![2, 2]]
    );
    Ok(())
}

#[test]
fn a_model_with_symbolic_sizes_trains_as_its_literal_twin() -> dezero::Result<()> {
    random::seed(1);
    let x = data(20, 3);
    let t = data(20, 2);
    let mut sym = Symbolic::<f64>::with_rng(6, 3, &mut random::RandomState::new(7))?;
    let mut lit = Literal::<f64>::with_rng(3, &mut random::RandomState::new(7))?;
    // The same weights, drawn in the same order.
    let (ws, wl): (Vec<_>, Vec<_>) = (sym.named_params(), lit.named_params());
    assert_eq!(ws.len(), wl.len());
    for ((n, a), (_, b)) in ws.iter().zip(&wl) {
        assert_eq!(a.data().to_owned(), b.data().to_owned(), "{n}");
    }
    let (mut o1, mut o2) = (SGD::new(0.1), SGD::new(0.1));
    o1.setup(&sym);
    o2.setup(&lit);
    let mut losses = Vec::new();
    for _ in 0..30 {
        sym.cleargrads();
        lit.cleargrads();
        let a = sym.forward_backward(x.view(), &t)?;
        let b = lit.forward_backward(x.view(), t.view())?;
        assert_eq!(a.to_bits(), b.to_bits(), "{a} vs {b}");
        o1.update();
        o2.update();
        losses.push(a);
    }
    assert!(losses[29] < losses[0], "{losses:?}");
    // The plan names a symbolic width by its expression.
    let plan = sym.plan().to_string();
    assert!(plan.contains("2 * h"), "{plan}");
    Ok(())
}

#[test]
fn folded_literal_sizes_are_checked_like_literals() -> dezero::Result<()> {
    let mut m = Folded::<f32>::new();
    let x = Array2::<f32>::zeros((4, 5));
    assert_eq!(m.predict(x.view())?.shape(), [4, 2]);
    assert_eq!(m.l1.w.shape(), [5, 6]);
    Ok(())
}
