//! Property tests of broadcasting against a reference implementation of
//! NumPy's rule: the result shape of every pair of shapes (zero-length axes
//! included), the values of `+ - * /`, the panic on shapes that do not
//! broadcast, and `sum_to` as the adjoint of `broadcast_to` (and the
//! gradient of a broadcast operand).
//!
//! Each property runs [`CASES`] cases.

use std::panic::{catch_unwind, AssertUnwindSafe};

use dezero::arith::broadcast_shape;
use dezero::functions::{broadcast_to, sum_to};
use dezero::Variable;
use ndarray::{ArrayD, Dimension, IxDyn};
use proptest::prelude::*;

/// Cases per property.
const CASES: u32 = 64;

// ---------------------------------------------------------------------------
// The reference
// ---------------------------------------------------------------------------

/// NumPy's broadcasting rule as its documentation states it: align the
/// shapes at their last axes, pad the shorter with 1s in front; two axis
/// lengths fit when they are equal or one of them is 1, and the result
/// takes the other.
fn numpy_broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let (a, b) = (padded(a, n), padded(b, n));
    a.iter()
        .zip(&b)
        .map(|(&x, &y)| match (x, y) {
            _ if x == y => Some(x),
            (1, _) => Some(y),
            (_, 1) => Some(x),
            _ => None,
        })
        .collect()
}

/// `shape` with 1s in front, to `n` axes.
fn padded(shape: &[usize], n: usize) -> Vec<usize> {
    let mut p = vec![1; n - shape.len()];
    p.extend_from_slice(shape);
    p
}

/// The element of `a` that broadcasting puts at `index` of the result:
/// `index` aligned at the last axis, 0 along `a`'s length-1 axes.
fn source_index(a_shape: &[usize], index: &[usize]) -> Vec<usize> {
    let skip = index.len() - a_shape.len();
    a_shape
        .iter()
        .zip(&index[skip..])
        .map(|(&d, &i)| if d == 1 { 0 } else { i })
        .collect()
}

/// `f` applied elementwise to `a` and `b` broadcast, by [`source_index`].
fn reference_zip(a: &ArrayD<f64>, b: &ArrayD<f64>, f: impl Fn(f64, f64) -> f64) -> ArrayD<f64> {
    let shape = numpy_broadcast(a.shape(), b.shape()).expect("shapes broadcast");
    ArrayD::from_shape_fn(IxDyn(&shape), |i| {
        let i = i.slice();
        f(
            a[IxDyn(&source_index(a.shape(), i))],
            b[IxDyn(&source_index(b.shape(), i))],
        )
    })
}

/// `y` summed down to `shape` by [`source_index`]: each element of `y` is
/// added to the element of the result it was broadcast from.
fn reference_sum_to(y: &ArrayD<f64>, shape: &[usize]) -> ArrayD<f64> {
    let mut out = ArrayD::zeros(IxDyn(shape));
    for (i, &v) in y.indexed_iter() {
        out[IxDyn(&source_index(shape, i.slice()))] += v;
    }
    out
}

// ---------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------

/// A shape of 0 to 4 axes, each of length 0 to 3.
fn any_shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..=3, 0..=4)
}

/// A shape that broadcasts to `out`: a suffix of it with some axes set to 1.
fn broadcasting_to(out: Vec<usize>) -> impl Strategy<Value = Vec<usize>> {
    let n = out.len();
    (0..=n, prop::collection::vec(any::<bool>(), n)).prop_map(move |(keep, ones)| {
        (n - keep..n)
            .map(|i| if ones[i] { 1 } else { out[i] })
            .collect()
    })
}

/// An array of `shape` with entries in `[-2, 2)`, away from 0 (they divide).
fn array_of(shape: Vec<usize>) -> impl Strategy<Value = ArrayD<f64>> {
    let n: usize = shape.iter().product();
    prop::collection::vec((0.25f64..2.0, any::<bool>()), n).prop_map(move |v| {
        let v = v
            .into_iter()
            .map(|(m, neg)| if neg { -m } else { m })
            .collect();
        ArrayD::from_shape_vec(IxDyn(&shape), v).expect("length is the shape's product")
    })
}

/// Two arrays whose shapes broadcast together (each may be the wider).
fn compatible_pair() -> impl Strategy<Value = (ArrayD<f64>, ArrayD<f64>)> {
    any_shape()
        .prop_flat_map(|out| (broadcasting_to(out.clone()), broadcasting_to(out)))
        .prop_flat_map(|(a, b)| (array_of(a), array_of(b)))
}

/// An array and one of a shape it broadcasts to.
fn narrow_and_wide() -> impl Strategy<Value = (ArrayD<f64>, ArrayD<f64>)> {
    any_shape()
        .prop_flat_map(|out| (broadcasting_to(out.clone()), Just(out)))
        .prop_flat_map(|(small, out)| (array_of(small), array_of(out)))
}

/// What an operator does to one pair of elements.
type Elementwise = fn(f64, f64) -> f64;

fn var(a: &ArrayD<f64>) -> Variable<f64> {
    Variable::new(a.clone())
}

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("the call panics");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// `broadcast_shape` agrees with NumPy's rule on any two shapes, most of
    /// which do not broadcast.
    #[test]
    fn shape_rule_of_any_pair(a in any_shape(), b in any_shape()) {
        prop_assert_eq!(broadcast_shape(&a, &b), numpy_broadcast(&a, &b));
        prop_assert_eq!(broadcast_shape(&b, &a), numpy_broadcast(&b, &a));
    }

    /// On shapes that broadcast, so do the operators: NumPy's shape and
    /// each element from the elements broadcasting pairs up.
    #[test]
    fn operators_pair_up_elements_as_numpy((a, b) in compatible_pair()) {
        let (va, vb) = (var(&a), var(&b));
        let ops: [(&str, Variable<f64>, Elementwise); 4] = [
            ("add", &va + &vb, |x, y| x + y),
            ("sub", &va - &vb, |x, y| x - y),
            ("mul", &va * &vb, |x, y| x * y),
            ("div", &va / &vb, |x, y| x / y),
        ];
        for (name, got, f) in ops {
            // One operation on the same two numbers: exactly equal.
            prop_assert_eq!(got.to_array(), reference_zip(&a, &b, f), "{}", name);
        }
    }

    /// Shapes that do not broadcast panic, and the message names the op and
    /// both shapes.
    #[test]
    fn incompatible_shapes_panic_naming_both(a in any_shape(), b in any_shape()) {
        prop_assume!(numpy_broadcast(&a, &b).is_none());
        let (va, vb) = (var(&ArrayD::zeros(IxDyn(&a))), var(&ArrayD::zeros(IxDyn(&b))));
        let msg = panic_message(|| {
            let _ = &va * &vb;
        });
        prop_assert!(msg.contains("mul"), "{}", msg);
        prop_assert!(msg.contains(&format!("{a:?}")) && msg.contains(&format!("{b:?}")), "{}", msg);
    }

    /// broadcast_to gives NumPy's values, and sum_to sums back by the same
    /// pairing.
    #[test]
    fn broadcast_to_and_sum_to_match_the_reference((x, y) in narrow_and_wide()) {
        let out = y.shape().to_vec();
        let b = broadcast_to(&var(&x), &out).to_array();
        prop_assert_eq!(&b, &reference_zip(&x, &y, |v, _| v));
        let s = sum_to(&var(&y), x.shape()).to_array();
        let r = reference_sum_to(&y, x.shape());
        prop_assert_eq!(s.shape(), r.shape());
        for (g, w) in s.iter().zip(&r) {
            prop_assert!((g - w).abs() <= 1e-12 * w.abs().max(1.0), "sum_to {} vs {}", g, w);
        }
    }

    /// sum_to is the adjoint of broadcast_to:
    /// `⟨broadcast_to(x, S), y⟩ = ⟨x, sum_to(y, shape(x))⟩`.
    #[test]
    fn sum_to_is_the_adjoint_of_broadcast_to((x, y) in narrow_and_wide()) {
        let out = y.shape().to_vec();
        let bx = broadcast_to(&var(&x), &out).to_array();
        let sy = sum_to(&var(&y), x.shape()).to_array();
        let lhs: f64 = bx.iter().zip(&y).map(|(p, q)| p * q).sum();
        let rhs: f64 = x.iter().zip(&sy).map(|(p, q)| p * q).sum();
        // Both sides sum the same products in different orders.
        let scale: f64 = bx.iter().zip(&y).map(|(p, q)| (p * q).abs()).sum();
        prop_assert!((lhs - rhs).abs() <= 1e-12 * scale.max(1.0), "{} vs {}", lhs, rhs);
    }

    /// The gradient of a broadcast operand of `+` counts the outputs each
    /// element reaches, and of `*` sums the other operand over them: the
    /// backward pass is sum_to.
    #[test]
    fn gradients_of_broadcast_operands_are_sum_to((a, b) in compatible_pair()) {
        let (va, vb) = (var(&a), var(&b));
        let y = &va + &vb;
        let shape = y.shape();
        y.backward();
        let ones = ArrayD::from_elem(IxDyn(&shape), 1.0);
        prop_assert_eq!(va.grad().map(|g| g.to_array()), Some(reference_sum_to(&ones, a.shape())));
        prop_assert_eq!(vb.grad().map(|g| g.to_array()), Some(reference_sum_to(&ones, b.shape())));

        let (va, vb) = (var(&a), var(&b));
        (&va * &vb).backward();
        let want = reference_sum_to(&reference_zip(&a, &b, |_, q| q), a.shape());
        let got = va.grad().map(|g| g.to_array()).unwrap_or_default();
        prop_assert_eq!(got.shape(), want.shape());
        for (g, w) in got.iter().zip(&want) {
            prop_assert!((g - w).abs() <= 1e-12 * w.abs().max(1.0), "grad {} vs {}", g, w);
        }
    }
}
