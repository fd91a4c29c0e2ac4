//! The compiled path against define-by-run: for each model, the loss and
//! every parameter's gradient from `forward_backward` equal those of the
//! same model written with define-by-run Functions on the same weights
//! (f64 within 1e-10, f32 within 1e-5). The compiled model called inside a
//! define-by-run graph (one node, fused backward) and `predict` agree too.

use dezero::functions::{mean_squared_error, relu, sigmoid, softmax_cross_entropy, tanh};
use dezero::prelude::*;

#[path = "common/differential.rs"]
#[macro_use]
mod differential;
use differential::*;

#[path = "common/two_layer_net.rs"]
mod two_layer_net;
use two_layer_net::TwoLayerNet;

model! {
    /// A three-layer relu MLP, the last layer without bias.
    struct Mlp3(hidden: usize) {
        l1: Linear(3, hidden),
        l2: Linear(hidden),
        l3: Linear(2, nobias),
    }
    fn forward(x) {
        let h1 = relu(l1(x));
        let h2 = relu(l2(h1));
        l3(h2)
    }
    fn loss(y, t) {
        mean_squared_error(y, t)
    }
}

model! {
    /// A residual block: a skip connection with `+`, and `-` and `*`.
    struct Skip {
        l1: Linear(6),
        l2: Linear(6),
        l3: Linear(6),
        out: Linear(2),
    }
    fn forward(x) {
        let h = tanh(l1(x));
        let r = h + tanh(l2(h));
        let gate = sigmoid(l3(x));
        out(r * gate - h)
    }
    fn loss(y, t) {
        mean_squared_error(y, t)
    }
}

model! {
    /// The inner model of [`Nested`].
    pub struct Encoder(width: usize) {
        l1: Linear(width),
        l2: Linear(width),
    }
    fn forward(x) {
        let h = relu(l1(x));
        tanh(l2(h)) + h
    }
}

model! {
    /// A model with another `model!` as a field.
    struct Nested {
        enc: Encoder(5),
        head: Linear(2),
    }
    fn forward(x) {
        head(sigmoid(enc(x)))
    }
    fn loss(y, t) {
        mean_squared_error(y, t)
    }
}

model! {
    /// One layer called twice (shared weights; its gradients accumulate).
    struct Shared {
        l1: Linear(3, 3),
        l2: Linear(2),
    }
    fn forward(x) {
        let h = tanh(l1(x));
        let h2 = tanh(l1(h));
        l2(h2 * h)
    }
    fn loss(y, t) {
        mean_squared_error(y, t)
    }
}

model! {
    /// Classification into 3 classes with softmax cross-entropy.
    struct Classifier(hidden: usize) {
        l1: Linear(hidden),
        l2: Linear(3),
    }
    fn forward(x) {
        l2(sigmoid(l1(x)))
    }
    fn loss(y, t) {
        softmax_cross_entropy(y, t)
    }
}

const ROWS: usize = 7;

fn mse<T: Scalar>(y: &Variable<T>, t: &Variable<T>) -> Variable<T> {
    mean_squared_error(y, t)
}

fn two_layer_net<T: Scalar>(tol: f64) {
    random::seed(0);
    let x = data::<T>(ROWS, 1);
    let t = data::<T>(ROWS, 1);
    differential!(
        TwoLayerNet::<T>::new(10, 1),
        x,
        t.view(),
        &var(&t),
        |m: &TwoLayerNet<T>, x: &Variable<T>| m.l2.forward(&sigmoid(&m.l1.forward(x))),
        mse,
        tol
    );
}

fn mlp3<T: Scalar>(tol: f64) {
    random::seed(1);
    let x = data::<T>(ROWS, 3);
    let t = data::<T>(ROWS, 2);
    differential!(
        Mlp3::<T>::new(8),
        x,
        t.view(),
        &var(&t),
        |m: &Mlp3<T>, x: &Variable<T>| {
            let h1 = relu(&m.l1.forward(x));
            let h2 = relu(&m.l2.forward(&h1));
            m.l3.forward(&h2)
        },
        mse,
        tol
    );
}

fn skip<T: Scalar>(tol: f64) {
    random::seed(2);
    let x = data::<T>(ROWS, 4);
    let t = data::<T>(ROWS, 2);
    differential!(
        Skip::<T>::new(),
        x,
        t.view(),
        &var(&t),
        |m: &Skip<T>, x: &Variable<T>| {
            let h = tanh(&m.l1.forward(x));
            let r = &h + &tanh(&m.l2.forward(&h));
            let gate = sigmoid(&m.l3.forward(x));
            m.out.forward(&(&(&r * &gate) - &h))
        },
        mse,
        tol
    );
}

fn nested<T: Scalar>(tol: f64) {
    random::seed(3);
    let x = data::<T>(ROWS, 3);
    let t = data::<T>(ROWS, 2);
    differential!(
        Nested::<T>::new(),
        x,
        t.view(),
        &var(&t),
        |m: &Nested<T>, x: &Variable<T>| {
            let h = relu(&m.enc.l1.forward(x));
            let e = &tanh(&m.enc.l2.forward(&h)) + &h;
            m.head.forward(&sigmoid(&e))
        },
        mse,
        tol
    );
}

fn shared<T: Scalar>(tol: f64) {
    random::seed(4);
    let x = data::<T>(ROWS, 3);
    let t = data::<T>(ROWS, 2);
    differential!(
        Shared::<T>::new(),
        x,
        t.view(),
        &var(&t),
        |m: &Shared<T>, x: &Variable<T>| {
            let h = tanh(&m.l1.forward(x));
            let h2 = tanh(&m.l1.forward(&h));
            m.l2.forward(&(&h2 * &h))
        },
        mse,
        tol
    );
}

fn classifier<T: Scalar>(tol: f64) {
    random::seed(5);
    let x = data::<T>(ROWS, 4);
    let t: Vec<usize> = vec![0, 2, 1, 1, 0, 2, 2];
    differential!(
        Classifier::<T>::new(6),
        x,
        &t[..],
        &t[..],
        |m: &Classifier<T>, x: &Variable<T>| m.l2.forward(&sigmoid(&m.l1.forward(x))),
        |y: &Variable<T>, t: &[usize]| softmax_cross_entropy(y, t),
        tol
    );
}

#[test]
fn two_layer_net_f64() {
    two_layer_net::<f64>(1e-10);
}
#[test]
fn two_layer_net_f32() {
    two_layer_net::<f32>(1e-5);
}
#[test]
fn mlp3_relu_f64() {
    mlp3::<f64>(1e-10);
}
#[test]
fn mlp3_relu_f32() {
    mlp3::<f32>(1e-5);
}
#[test]
fn skip_connection_f64() {
    skip::<f64>(1e-10);
}
#[test]
fn skip_connection_f32() {
    skip::<f32>(1e-5);
}
#[test]
fn nested_model_f64() {
    nested::<f64>(1e-10);
}
#[test]
fn nested_model_f32() {
    nested::<f32>(1e-5);
}
#[test]
fn shared_layer_f64() {
    shared::<f64>(1e-10);
}
#[test]
fn shared_layer_f32() {
    shared::<f32>(1e-5);
}
#[test]
fn softmax_cross_entropy_f64() {
    classifier::<f64>(1e-10);
}
#[test]
fn softmax_cross_entropy_f32() {
    classifier::<f32>(1e-5);
}

/// The compiled model initialises its lazy layers from the global stream at
/// the first call, as define-by-run does: same seed, same weights.
#[test]
fn lazy_weights_match_define_by_run() {
    random::seed(42);
    let x = data::<f64>(ROWS, 2);
    let t = data::<f64>(ROWS, 1);
    random::seed(7);
    let mut m = TwoLayerNet::<f64>::new(10, 1);
    m.forward_backward(x.view(), t.view()).expect("fits");
    random::seed(7);
    let l1 = Linear::<f64>::new(10);
    let l2 = Linear::<f64>::new(1);
    let _ = l2.forward(&sigmoid(&l1.forward(&var(&x))));
    assert_eq!(*m.l1.w.data(), *l1.w.data());
    assert_eq!(*m.l2.w.data(), *l2.w.data());
}

/// A width that differs from the first call's is an error naming the layer,
/// and leaves weights and grads as they were; another batch size is fine.
#[test]
fn width_mismatch_is_an_error_and_touches_nothing() {
    random::seed(0);
    let mut m = TwoLayerNet::<f64>::new(10, 1);
    let x = data::<f64>(ROWS, 2);
    let t = data::<f64>(ROWS, 1);
    m.forward_backward(x.view(), t.view()).expect("fits");
    let before: Vec<_> = m.params().iter().map(|p| p.to_array()).collect();
    let gbefore = grads(&m);
    let wide = data::<f64>(ROWS, 3);
    let e = m.forward_backward(wide.view(), t.view()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "TwoLayerNet.l1: expected input of shape [N, 2], got [7, 3]"
    );
    assert!(m.predict(wide.view()).is_err());
    let t_bad = data::<f64>(ROWS, 2);
    let e = m.forward_backward(x.view(), t_bad.view()).unwrap_err();
    assert!(e.to_string().contains("mean_squared_error"), "{e}");
    let after: Vec<_> = m.params().iter().map(|p| p.to_array()).collect();
    assert_eq!(before, after);
    same_grads(&grads(&m), &gbefore, 0.0);
    // a larger then a smaller batch
    let big = data::<f64>(50, 2);
    let tb = data::<f64>(50, 1);
    m.forward_backward(big.view(), tb.view()).expect("fits");
    m.forward_backward(x.view(), t.view()).expect("fits");
    assert_eq!(m.predict(big.view()).expect("fits").shape(), [50, 1]);
}

/// Non-contiguous inputs are accepted (copied once into the workspace).
#[test]
fn transposed_input_view_is_accepted() {
    random::seed(0);
    let mut m = TwoLayerNet::<f64>::new(4, 1);
    let x = data::<f64>(ROWS, 2);
    let xt = x.t().to_owned();
    let t = data::<f64>(ROWS, 1);
    let a = m.forward_backward(x.view(), t.view()).expect("fits");
    let b = m.forward_backward(xt.t(), t.view()).expect("fits");
    assert_eq!(a, b);
}

/// The plan prints its schedule, slots and bytes, and renders as DOT.
#[test]
fn plan_prints_and_renders() {
    let mut m = TwoLayerNet::<f32>::new(10, 1);
    let text = m.plan().to_string();
    assert!(text.contains("affine+sigmoid l1"), "{text}");
    assert!(text.contains("hidden_size=10"), "{text}");
    random::seed(0);
    let x = data::<f32>(ROWS, 1);
    m.predict(x.view()).expect("fits");
    let plans = m.plan();
    assert_eq!(plans.predict.planned_bytes_per_row(), Some(44));
    assert!(plans.train.planned_bytes_per_row() < plans.train.naive_bytes_per_row());
    let dot = plans.to_dot();
    assert!(dot.starts_with("digraph"), "{dot}");
    assert!(dot.contains("affine+sigmoid l1"));
}

/// `with_rng` builds and initialises every layer from the given stream, as
/// `new` followed by a first call draws from the global one.
#[test]
fn with_rng_equals_new_then_first_call() {
    let x = data::<f64>(ROWS, 2);
    let mut rng = random::RandomState::new(11);
    let a = Nested::<f64>::with_rng(2, &mut rng).expect("fits");
    random::seed(11);
    let mut b = Nested::<f64>::new();
    b.predict(x.view()).expect("fits");
    for ((na, pa), (nb, pb)) in a.named_params().iter().zip(b.named_params()) {
        assert_eq!(*na, nb);
        assert_eq!(*pa.data(), *pb.data(), "{na}");
    }
    let mut rng = random::RandomState::new(11);
    let e = Mlp3::<f64>::with_rng(8, 5, &mut rng)
        .err()
        .expect("l1 takes 3 inputs");
    assert_eq!(
        e.to_string(),
        "Mlp3.l1: expected input of shape [N, 3], got [N, 5]"
    );
}

/// A nested model's width error names the nested layer.
#[test]
fn nested_width_errors_name_the_inner_layer() {
    let mut m = Nested::<f64>::new();
    let x = data::<f64>(ROWS, 3);
    m.predict(x.view()).expect("fits");
    let e = m.predict(data::<f64>(ROWS, 4).view()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Encoder.l1: expected input of shape [N, 3], got [N, 4]"
    );
}

/// A gradient handle the user kept across `cleargrads` keeps its values:
/// the next pass writes a new array rather than the one the user holds.
#[test]
fn a_kept_gradient_survives_cleargrads_and_the_next_pass() {
    random::seed(3);
    let mut m = TwoLayerNet::<f64>::new(10, 1);
    let (x, t) = (data::<f64>(ROWS, 1), data::<f64>(ROWS, 1));
    m.cleargrads();
    m.forward_backward(x.view(), t.view()).expect("fits");
    let kept = m.l1.w.grad().expect("a pass made it");
    let before = kept.to_array();
    m.cleargrads();
    let (x2, t2) = (data::<f64>(ROWS, 1), data::<f64>(ROWS, 1));
    m.forward_backward(x2.view(), t2.view()).expect("fits");
    let now = m.l1.w.grad().expect("a pass made it");
    assert!(!now.same(&kept), "the kept handle was reused");
    assert_eq!(kept.to_array(), before);
    assert_ne!(now.to_array(), before);
}

#[test]
fn classifier_accuracy_is_define_by_runs_accuracy_of_predict() {
    random::seed(6);
    let mut m = Classifier::<f64>::new(6);
    let x = data::<f64>(40, 4);
    let t: Vec<usize> = (0..40).map(|i| (i * 5 + i / 4) % 3).collect();
    let compiled = m.accuracy(x.view(), &t).expect("fits");
    let y = m.l2.forward(&sigmoid(&m.l1.forward(&var(&x))));
    let expected = dezero::functions::accuracy(&y, &t);
    assert_eq!(compiled, expected);
    // Each class scores differently on untrained weights: not all right,
    // not all wrong.
    assert!(expected > 0.0 && expected < 1.0, "{expected}");
    let e = m
        .accuracy(x.view(), &t[..39])
        .expect_err("39 targets for 40 rows");
    assert_eq!(
        e.to_string(),
        "Classifier accuracy: expected 40 class targets, got 39"
    );
}
