//! What a `model!` type accepts and refuses: batches of any rank-2 form
//! (2-D and dynamic-rank views, references to arrays), predictions the
//! caller owns (`predict_owned`, `predict_into`), and wrong inputs that are
//! errors naming the model rather than numbers: a batch of no rows, a class
//! the output has no column for, a softmax over one class, a parameter read
//! before it exists, and constructor arguments that disagree with the
//! declaration.

use std::panic::{catch_unwind, AssertUnwindSafe};

use dezero::io::{load_weights, save_weights};
use dezero::prelude::*;
use ndarray::{Array2, ArrayD, Ix2, IxDyn};

#[path = "common/two_layer_net.rs"]
mod two_layer_net;
use two_layer_net::TwoLayerNet;

model! {
    /// A classifier whose output width is a constructor argument.
    struct Classifier(hidden: usize, classes: usize) {
        l1: Linear(hidden),
        l2: Linear(classes),
    }
    fn forward(x) {
        l2(relu(l1(x)))
    }
    fn loss(y, t) {
        softmax_cross_entropy(y, t)
    }
}

model! {
    /// Two widths the forward pass joins, each a constructor argument.
    struct TwoArms(h1: usize, h2: usize) {
        a: Linear(h1),
        b: Linear(h2),
    }
    fn forward(x) {
        a(x) + b(x)
    }
}

model! {
    /// A width that a literal and a constructor argument both set.
    struct LitArm(h: usize) {
        a: Linear(4),
        b: Linear(h),
    }
    fn forward(x) {
        a(x) + b(x)
    }
}

model! {
    /// One layer of `k` outputs.
    struct Inner(k: usize) {
        l: Linear(k),
    }
    fn forward(x) {
        l(x)
    }
}

model! {
    /// A classifier whose output width its nested model decides, so that
    /// only the first call can check it.
    struct Outer(k: usize) {
        inner: Inner(k),
    }
    fn forward(x) {
        inner(x)
    }
    fn loss(y, t) {
        softmax_cross_entropy(y, t)
    }
}

model! {
    /// `LitArm` nested: its constructor's check runs in this one's.
    struct Holder(k: usize) {
        arm: LitArm(k),
    }
    fn forward(x) {
        arm(x)
    }
}

/// Deterministic `rows × cols` data.
fn data(rows: usize, cols: usize) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |(i, j)| {
        ((i * 7 + j * 3) % 11) as f64 / 11.0 - 0.4
    })
}

/// The panic message of `f`.
fn panic_message(f: impl FnOnce()) -> String {
    let p = catch_unwind(AssertUnwindSafe(f)).expect_err("panics");
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .expect("a string message")
}

// ---------------------------------------------------------------------------
// A batch of no rows

/// A 0-row batch is an `Err` naming the model and method, on every path,
/// and leaves a fresh model's lazy width open for the next call.
#[test]
fn zero_rows_are_errors_that_leave_the_lazy_width_open() {
    let mut m = TwoLayerNet::<f64>::new(10, 1);
    let (x0, t0) = (data(0, 2), data(0, 1));
    let e = m.forward_backward(x0.view(), t0.view()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "TwoLayerNet.forward_backward: expected a batch of at least one row, got shape [0, 2]"
    );
    let e = m.predict(x0.view()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "TwoLayerNet.predict: expected a batch of at least one row, got shape [0, 2]"
    );
    let e = m
        .try_forward(&Variable::new(x0.clone().into_dyn()))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "TwoLayerNet: expected a batch of at least one row, got shape [0, 2]"
    );
    assert_eq!(m.l1.in_size(), None, "no width was learnt from no rows");
    // the first real batch decides the width
    let (x, t) = (data(5, 3), data(5, 1));
    m.forward_backward(x.view(), t.view())
        .expect("width 3 fits");
    assert_eq!(m.l1.in_size(), Some(3));
}

#[test]
fn zero_rows_are_errors_for_a_classifier_too() {
    let mut m = Classifier::<f64>::new(8, 3);
    let x0 = data(0, 2);
    let e = m.forward_backward(x0.view(), &[]).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("Classifier.forward_backward: expected a batch of at least one row"),
        "{e}"
    );
    let e = m.accuracy(x0.view(), &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Classifier accuracy: expected a batch of at least one row, got shape [0, 2]"
    );
    assert_eq!(m.l1.in_size(), None);
}

// ---------------------------------------------------------------------------
// Classes

/// A class index the output has no column for is an `Err`, in training and
/// in `accuracy` (which used to count it as a miss).
#[test]
fn classes_beyond_the_output_are_errors() {
    let mut m = Classifier::<f64>::new(8, 3);
    let x = data(4, 2);
    let e = m.forward_backward(x.view(), &[0, 1, 3, 2]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Classifier loss (softmax_cross_entropy): expected class targets below 3 \
         (the output's width), got 3"
    );
    m.forward_backward(x.view(), &[0, 1, 2, 2]).expect("fits");
    let e = m.accuracy(x.view(), &[0, 7, 2, 2]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Classifier accuracy: expected class targets below 3 (the output's width), got 7"
    );
    let acc = m.accuracy(x.view(), &[0, 1, 2, 2]).expect("fits");
    assert!((0.0..=1.0).contains(&acc));
}

/// A softmax cross-entropy over one class (always 0) is refused: when an
/// argument sets the width, by the constructors; when a nested model does,
/// at the first call. (A literal `1` is a compile error:
/// `tests/ui/loss_softmax_one_class.rs`.)
#[test]
fn a_softmax_over_one_class_is_refused() {
    let e = Classifier::<f32>::try_new(8, 1).err().expect("refused");
    assert_eq!(
        e.to_string(),
        "Classifier::new: expected constructor argument `classes` to be at least 2 (the \
         width of the output `softmax_cross_entropy` scores; over one class it is always 0), \
         got 1"
    );
    let msg = panic_message(|| drop(Classifier::<f32>::new(8, 1)));
    assert_eq!(msg, e.to_string());
    assert!(Classifier::<f32>::try_new(8, 2).is_ok());

    let mut outer = Outer::<f64>::new(1);
    let x = data(3, 2);
    let e = outer.forward_backward(x.view(), &[0, 0, 0]).unwrap_err();
    assert!(
        e.to_string()
            .contains("expected an output of at least 2 classes for `softmax_cross_entropy`"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------
// Parameters before they exist

/// A lazy layer's weight read before the first call says so, instead of
/// claiming it was freed; after the call it has its shape.
#[test]
fn a_lazy_weight_read_too_early_says_it_is_not_initialised() {
    let mut m = TwoLayerNet::<f64>::new(10, 1);
    let msg = panic_message(|| drop(m.l1.w.shape()));
    assert!(
        msg.starts_with("parameter `W` is not initialised yet: its layer takes its input size"),
        "{msg}"
    );
    assert!(!msg.contains("freed"), "{msg}");
    assert_eq!(m.l1.b.as_ref().map(|b| b.shape()), Some(vec![10]));
    m.predict(data(2, 3).view()).expect("fits");
    assert_eq!(m.l1.w.shape(), [3, 10]);
}

/// A failed `load_weights` leaves a fresh model's lazy weights as they were,
/// and reading one says what is true.
#[test]
fn a_failed_load_leaves_the_weight_uninitialised_and_says_so() {
    let dir = std::env::temp_dir().join(format!("dezero-inputs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("other.npz");
    let mut other = TwoLayerNet::<f64>::new(5, 1);
    other.predict(data(2, 3).view()).expect("fits");
    save_weights(&other, &path).expect("saved");

    let m = TwoLayerNet::<f64>::new(10, 1);
    assert!(load_weights(&m, &path).is_err(), "widths 5 and 10 differ");
    let msg = panic_message(|| drop(m.l2.w.shape()));
    assert!(msg.contains("is not initialised yet"), "{msg}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Freed data still says it was freed.
#[test]
fn freed_data_says_it_was_freed() {
    let v = Variable::with_name(ArrayD::<f32>::zeros(IxDyn(&[2])), "t");
    v.free_data();
    let msg = panic_message(|| drop(v.shape()));
    assert_eq!(
        msg,
        "variable `t`'s data was freed (see Variable::free_data)"
    );
}

// ---------------------------------------------------------------------------
// Constructor arguments

/// Two arguments that the forward pass makes one width are compared when
/// the model is built, naming both.
#[test]
fn disagreeing_width_arguments_are_caught_when_the_model_is_built() {
    let e = TwoArms::<f32>::try_new(10, 5).err().expect("refused");
    let want = "TwoArms::new: expected constructor arguments `h1` and `h2` to be equal \
                (`fn forward` gives `a`'s output and `b`'s output one width), got `h1` = 10 \
                and `h2` = 5";
    assert_eq!(e.to_string(), want);
    assert_eq!(panic_message(|| drop(TwoArms::<f32>::new(10, 5))), want);
    let mut rng = random::RandomState::new(0);
    let e = TwoArms::<f32>::with_rng(10, 5, 3, &mut rng)
        .err()
        .expect("refused");
    assert_eq!(e.to_string(), want);
    let mut m = TwoArms::<f64>::try_new(5, 5).expect("agree");
    assert_eq!(m.predict(data(2, 3).view()).expect("fits").dim(), (2, 5));
}

/// An argument that must equal a declared literal says so.
#[test]
fn an_argument_that_disagrees_with_a_literal_is_caught() {
    let e = LitArm::<f32>::try_new(5).err().expect("refused");
    assert_eq!(
        e.to_string(),
        "LitArm::new: expected constructor argument `h` to be 4 (`fn forward` gives `b`'s \
         output and `a`'s output one width), got `h` = 5"
    );
    assert!(LitArm::<f32>::try_new(4).is_ok());
    // built as a nested model, the same check is the outer `try_new`'s
    // error, and the outer `new`'s panic
    let e = Holder::<f32>::try_new(5).err().expect("refused");
    assert!(
        e.to_string()
            .starts_with("LitArm::new: expected constructor argument `h` to be 4"),
        "{e}"
    );
    assert_eq!(panic_message(|| drop(Holder::<f32>::new(5))), e.to_string());
    assert!(Holder::<f32>::try_new(4).is_ok());
}

// ---------------------------------------------------------------------------
// Inputs of any rank-2 form, and predictions the caller owns

/// What `random::rand` returns (dynamic rank) is accepted as it is, as is
/// a reference to an array; another rank is an `Err` naming the rank.
#[test]
fn dynamic_rank_inputs_are_accepted_and_checked() {
    random::seed(0);
    let x: ArrayD<f64> = random::rand(&[20, 1]);
    let t = x.mapv(|v| (2.0 * std::f64::consts::PI * v).sin());
    let mut m = TwoLayerNet::<f64>::new(10, 1);
    let dynamic = m.forward_backward(x.view(), t.view()).expect("fits");
    let by_ref = m.forward_backward(&x, &t).expect("fits");
    let x2 = x.clone().into_dimensionality::<Ix2>().expect("2-d");
    let t2 = t.clone().into_dimensionality::<Ix2>().expect("2-d");
    let fixed = m.forward_backward(x2.view(), t2.view()).expect("fits");
    assert_eq!(dynamic, by_ref);
    assert_eq!(by_ref, fixed);
    assert_eq!(
        m.predict_owned(x.view()).expect("fits"),
        m.predict_owned(&x2).expect("fits")
    );

    let flat = random::rand(&[20]);
    let e = m.predict(flat.view()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "TwoLayerNet.predict: expected a matrix (2 axes: rows × features), got shape [20]"
    );
    let cube = random::rand(&[2, 10, 1]);
    let e = m.forward_backward(cube.view(), t.view()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "TwoLayerNet.forward_backward: expected a matrix (2 axes: rows × features), \
         got shape [2, 10, 1]"
    );
    let e = m.forward_backward(x.view(), flat.view()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "TwoLayerNet loss (mean_squared_error): expected a matrix (2 axes: rows × features), \
         got shape [20]"
    );
    let mut c = Classifier::<f64>::new(4, 2);
    let e = c.accuracy(cube.view(), &[0, 1]).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("Classifier accuracy: expected a matrix"),
        "{e}"
    );
}

/// Two predictions held at once, and one written into a buffer the caller
/// keeps: the same numbers as `predict`.
#[test]
fn owned_and_into_buffer_predictions() {
    let mut m = TwoLayerNet::<f64>::new(10, 2);
    let (a_in, b_in) = (data(4, 3), data(6, 3));
    let a = m.predict_owned(a_in.view()).expect("fits");
    let b = m.predict_owned(b_in.view()).expect("fits");
    assert_eq!(a.dim(), (4, 2));
    assert_eq!(b.dim(), (6, 2));
    assert_eq!(a, m.predict(a_in.view()).expect("fits"));
    assert_eq!(b, m.predict(b_in.view()).expect("fits"));

    let mut out = Array2::zeros((0, 0));
    m.predict_into(a_in.view(), &mut out).expect("fits");
    assert_eq!(out, a);
    let buffer = out.as_ptr();
    m.predict_into(a_in.view(), &mut out).expect("fits");
    assert_eq!(
        out.as_ptr(),
        buffer,
        "a buffer of the right shape is reused"
    );
    m.predict_into(b_in.view(), &mut out).expect("fits");
    assert_eq!(out, b);
    // a failed call leaves the buffer as it was
    let e = m.predict_into(data(2, 5).view(), &mut out).unwrap_err();
    assert!(e.to_string().contains("TwoLayerNet.l1"), "{e}");
    assert_eq!(out, b);
}
