//! Property tests: the compiled path against define-by-run on random batch
//! sizes, layer widths, weights and data, for two `model!` models (a
//! sigmoid regression net with mean squared error, a relu/tanh classifier
//! with a skip connection, a bias-free output layer and softmax
//! cross-entropy). Loss, every parameter's gradient and `predict` agree
//! within 1e-10 (f64), and so does the compiled model called as one node of
//! a define-by-run graph. See `compiled_differential.rs` for the fixed
//! cases this generalises.
//!
//! Also threads: compiled models (nested ones too) and the types they are
//! built from and trained with are `Send` and `Sync`, checked at compile
//! time; a model trained on another thread matches one trained here to the
//! bit, and one model can be read from two threads at once.

use dezero::functions::{mean_squared_error, relu, sigmoid, softmax_cross_entropy, tanh};
use dezero::prelude::*;
use ndarray::{Array2, ArrayD};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

#[path = "common/two_layer_net.rs"]
mod two_layer_net;
use two_layer_net::TwoLayerNet;

/// Cases per model.
const CASES: u32 = 64;

/// The tolerance, relative to `max(1, |define-by-run value|)`.
const TOL: f64 = 1e-10;

model! {
    /// A classifier: relu, a tanh skip connection, a bias-free output.
    struct Classifier(hidden: usize, classes: usize) {
        l1: Linear(hidden),
        l2: Linear(hidden),
        out: Linear(classes, nobias),
    }
    fn forward(x) {
        let h = relu(l1(x));
        let r = h + tanh(l2(h));
        out(r)
    }
    fn loss(y, t) {
        softmax_cross_entropy(y, t)
    }
}

// ---------------------------------------------------------------------------
// Strategies and comparisons
// ---------------------------------------------------------------------------

/// A `rows × cols` matrix with entries in `[lo, hi)`.
fn matrix(rows: usize, cols: usize, lo: f64, hi: f64) -> impl Strategy<Value = Array2<f64>> {
    prop::collection::vec(lo..hi, rows * cols)
        .prop_map(move |v| Array2::from_shape_vec((rows, cols), v).expect("length is rows × cols"))
}

/// A vector of `n` entries in `[lo, hi)`.
fn vector(n: usize, lo: f64, hi: f64) -> impl Strategy<Value = ArrayD<f64>> {
    prop::collection::vec(lo..hi, n).prop_map(|v| ndarray::Array1::from(v).into_dyn())
}

fn var(a: &Array2<f64>) -> Variable<f64> {
    Variable::new(a.clone().into_dyn())
}

/// Every parameter's key and gradient.
fn grads(m: &dyn Layer<f64>) -> Result<Vec<(String, ArrayD<f64>)>, TestCaseError> {
    m.named_params()
        .into_iter()
        .map(|(n, p)| match p.grad() {
            Some(g) => Ok((n, g.to_array())),
            None => Err(TestCaseError::fail(format!("{n} has no gradient"))),
        })
        .collect()
}

fn drop_grads(m: &dyn Layer<f64>) {
    for p in m.params() {
        p.cleargrad();
    }
}

/// `a` (compiled) is within [`TOL`] of `b` (define-by-run).
fn close(what: &str, a: f64, b: f64) -> Result<(), TestCaseError> {
    prop_assert!(
        (a - b).abs() <= TOL * b.abs().max(1.0),
        "{}: compiled {} vs define-by-run {}",
        what,
        a,
        b
    );
    Ok(())
}

fn close_all<'a>(
    what: &str,
    a: impl IntoIterator<Item = &'a f64>,
    b: impl IntoIterator<Item = &'a f64>,
) -> Result<(), TestCaseError> {
    for (x, y) in a.into_iter().zip(b) {
        close(what, *x, *y)?;
    }
    Ok(())
}

fn same_grads(
    c: &[(String, ArrayD<f64>)],
    d: &[(String, ArrayD<f64>)],
) -> Result<(), TestCaseError> {
    prop_assert_eq!(c.len(), d.len());
    for ((nc, gc), (nd, gd)) in c.iter().zip(d) {
        prop_assert_eq!(nc, nd);
        prop_assert_eq!(gc.shape(), gd.shape(), "{}", nc);
        close_all(nc, gc, gd)?;
    }
    Ok(())
}

/// Sets the weights of `m`, in its key order, after a first call has given
/// every parameter its shape.
fn set_weights(m: &dyn Layer<f64>, weights: &[ArrayD<f64>]) -> Result<(), TestCaseError> {
    let params = m.params();
    prop_assert_eq!(params.len(), weights.len());
    for (p, w) in params.iter().zip(weights) {
        let shape = p.shape();
        let w = w
            .clone()
            .into_shape_with_order(shape.clone())
            .map_err(|e| TestCaseError::fail(format!("weights of shape {shape:?}: {e}")))?;
        p.set_data(w);
    }
    Ok(())
}

/// Runs the comparisons of one case: the fused pass against define-by-run
/// (loss and gradients), `predict` against the define-by-run output, and the
/// compiled model as one define-by-run node (loss and gradients).
macro_rules! differential {
    ($m:expr, $x:expr, $t:expr, $tv:expr, $dbr:expr, $loss:expr) => {{
        let m = &mut $m;
        let x: &Array2<f64> = $x;
        let xv = var(x);
        m.cleargrads();
        let lc = m
            .forward_backward(x.view(), $t)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let gc = grads(&*m)?;

        drop_grads(&*m);
        let y = $dbr(&*m, &xv);
        let ld = $loss(&y, $tv);
        ld.backward();
        close("loss", lc, ld.data()[[]])?;
        same_grads(&gc, &grads(&*m)?)?;

        let yc = m
            .predict(x.view())
            .map_err(|e| TestCaseError::fail(e.to_string()))?
            .to_owned();
        prop_assert_eq!(yc.shape().to_vec(), y.shape());
        close_all("predict", yc.iter(), y.data().iter())?;

        drop_grads(&*m);
        let yn = Layer::forward(&*m, &xv);
        let ln = $loss(&yn, $tv);
        ln.backward();
        close("node loss", ln.data()[[]], ld.data()[[]])?;
        same_grads(&grads(&*m)?, &gc)?;
    }};
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

/// One case of [`TwoLayerNet`]: batch, widths, data, targets, weights.
#[derive(Debug)]
struct RegressionCase {
    hidden: usize,
    out: usize,
    x: Array2<f64>,
    t: Array2<f64>,
    weights: Vec<ArrayD<f64>>,
}

fn regression_case() -> impl Strategy<Value = RegressionCase> {
    (1usize..=16, 1usize..=5, 1usize..=8, 1usize..=3).prop_flat_map(|(n, din, hidden, out)| {
        (
            matrix(n, din, -2.0, 2.0),
            matrix(n, out, -1.0, 1.0),
            (
                vector(din * hidden, -1.0, 1.0),
                vector(hidden, -1.0, 1.0),
                vector(hidden * out, -1.0, 1.0),
                vector(out, -1.0, 1.0),
            ),
        )
            .prop_map(move |(x, t, (w1, b1, w2, b2))| RegressionCase {
                hidden,
                out,
                x,
                t,
                weights: vec![w1, b1, w2, b2],
            })
    })
}

/// One case of [`Classifier`]: batch, widths, data, labels, weights.
#[derive(Debug)]
struct ClassifierCase {
    hidden: usize,
    classes: usize,
    x: Array2<f64>,
    t: Vec<usize>,
    weights: Vec<ArrayD<f64>>,
}

fn classifier_case() -> impl Strategy<Value = ClassifierCase> {
    (1usize..=16, 1usize..=5, 1usize..=8, 2usize..=4).prop_flat_map(|(n, din, hidden, classes)| {
        (
            matrix(n, din, -2.0, 2.0),
            prop::collection::vec(0..classes, n),
            (
                vector(din * hidden, -1.0, 1.0),
                vector(hidden, -1.0, 1.0),
                vector(hidden * hidden, -1.0, 1.0),
                vector(hidden, -1.0, 1.0),
                vector(hidden * classes, -1.0, 1.0),
            ),
        )
            .prop_map(move |(x, t, (w1, b1, w2, b2, w3))| ClassifierCase {
                hidden,
                classes,
                x,
                t,
                weights: vec![w1, b1, w2, b2, w3],
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// TwoLayerNet, compiled and define-by-run, on the same random weights.
    #[test]
    fn two_layer_net_matches_define_by_run(case in regression_case()) {
        let mut m = TwoLayerNet::<f64>::new(case.hidden, case.out);
        // A first call gives the lazy layers their shapes.
        m.predict(case.x.view()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        set_weights(&m, &case.weights)?;
        let tv = var(&case.t);
        differential!(
            m,
            &case.x,
            case.t.view(),
            &tv,
            |m: &TwoLayerNet<f64>, x: &Variable<f64>| m.l2.forward(&sigmoid(&m.l1.forward(x))),
            |y: &Variable<f64>, t: &Variable<f64>| mean_squared_error(y, t)
        );
    }

    /// Classifier, compiled and define-by-run, on the same random weights.
    #[test]
    fn classifier_matches_define_by_run(case in classifier_case()) {
        let mut m = Classifier::<f64>::new(case.hidden, case.classes);
        m.predict(case.x.view()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        set_weights(&m, &case.weights)?;
        differential!(
            m,
            &case.x,
            &case.t[..],
            &case.t[..],
            |m: &Classifier<f64>, x: &Variable<f64>| {
                let h = relu(&m.l1.forward(x));
                let r = &h + &tanh(&m.l2.forward(&h));
                m.out.forward(&r)
            },
            |y: &Variable<f64>, t: &[usize]| softmax_cross_entropy(y, t)
        );
    }
}

// ---------------------------------------------------------------------------
// Threads
// ---------------------------------------------------------------------------

model! {
    /// The inner model of [`Outer`].
    struct Inner(width: usize) {
        l1: Linear(width),
    }
    fn forward(x) {
        tanh(l1(x)) + x
    }
}

model! {
    /// A model with another `model!` as a field, for the thread checks.
    struct Outer(width: usize) {
        l0: Linear(width),
        block: Inner(width),
        out: Linear(1),
    }
    fn forward(x) {
        out(block(relu(l0(x))))
    }
    fn loss(y, t) {
        mean_squared_error(y, t)
    }
}

const fn assert_send_sync<T: Send + Sync>() {}

// Compiled models, f32 and f64, nested or not, are `Send` and `Sync`: their
// layers hold `Parameter`s, `Arc<AtomicRefCell<…>>` handles, and their
// workspace is plain vectors. A change that makes one of them lose either
// stops this compiling.
const _: () = {
    assert_send_sync::<TwoLayerNet<f64>>();
    assert_send_sync::<TwoLayerNet<f32>>();
    assert_send_sync::<Classifier<f64>>();
    assert_send_sync::<Classifier<f32>>();
    assert_send_sync::<Outer<f64>>();
    assert_send_sync::<Outer<f32>>();
    assert_send_sync::<Inner<f32>>();
};

// So are the define-by-run types they are built from and trained with.
const _: () = {
    assert_send_sync::<Variable<f32>>();
    assert_send_sync::<Variable<f64>>();
    assert_send_sync::<Parameter<f32>>();
    assert_send_sync::<Parameter<f64>>();
    assert_send_sync::<Linear<f64>>();
    assert_send_sync::<dezero::MLP<f32>>();
    assert_send_sync::<dezero::Sequential<f64>>();
    assert_send_sync::<Box<dyn Layer<f32>>>();
    assert_send_sync::<SGD<f32>>();
    assert_send_sync::<MomentumSGD<f64>>();
    assert_send_sync::<dezero::AdaGrad<f32>>();
    assert_send_sync::<dezero::AdaDelta<f32>>();
    assert_send_sync::<Adam<f32>>();
    assert_send_sync::<dezero::compiled::Workspace<f64>>();
    assert_send_sync::<dezero::compiled::Plans>();
    assert_send_sync::<dezero::Error>();
};

/// The sine data of step 45, without randomness: 40 points of
/// `sin(2πx)` on `[0, 1)`.
fn sine(n: usize) -> (Array2<f64>, Array2<f64>) {
    let x = Array2::from_shape_fn((n, 1), |(i, _)| i as f64 / n as f64);
    let t = x.mapv(|v| (2.0 * std::f64::consts::PI * v).sin());
    (x, t)
}

/// A nested model with every layer initialised from seed 3.
fn outer() -> Outer<f64> {
    let mut rng = random::RandomState::new(3);
    Outer::with_rng(6, 1, &mut rng).expect("in_size 1 fits")
}

/// `steps` SGD steps on the sine data; the loss of each.
fn train(model: &mut Outer<f64>, opt: &mut SGD<f64>, steps: usize) -> Vec<f64> {
    let (x, t) = sine(40);
    (0..steps)
        .map(|_| {
            model.cleargrads();
            let loss = model.forward_backward(x.view(), t.view()).expect("fits");
            opt.update();
            loss
        })
        .collect()
}

/// A compiled model and its optimizer move to another thread, train there,
/// and come back: the losses and the weights are those of the same steps
/// on this thread, to the bit, and the model goes on training here.
#[test]
fn a_compiled_model_trains_on_another_thread() {
    let mut here = outer();
    let mut opt_here = SGD::new(0.1);
    opt_here.setup(&here);
    let losses_here = train(&mut here, &mut opt_here, 5);

    let mut there = outer();
    let mut opt_there = SGD::new(0.1);
    opt_there.setup(&there);
    let (mut there, mut opt_there, losses_there) = std::thread::spawn(move || {
        let losses = train(&mut there, &mut opt_there, 5);
        (there, opt_there, losses)
    })
    .join()
    .expect("the training thread does not panic");

    assert_eq!(bits(&losses_there), bits(&losses_here));
    for ((n, a), (_, b)) in there.named_params().iter().zip(here.named_params()) {
        assert_eq!(bits(&a.to_array()), bits(&b.to_array()), "{n}");
    }
    // Back on this thread, both go on as one.
    let more_there = train(&mut there, &mut opt_there, 2);
    let more_here = train(&mut here, &mut opt_here, 2);
    assert_eq!(bits(&more_there), bits(&more_here));
}

/// The bit patterns of `values`, for comparisons that must be exact.
fn bits<'a>(values: impl IntoIterator<Item = &'a f64>) -> Vec<u64> {
    values.into_iter().map(|v| v.to_bits()).collect()
}

/// One model shared by reference: two threads call it as a define-by-run
/// node at once (reading the parameters only), and get what this thread
/// gets.
#[test]
fn a_compiled_model_is_read_from_two_threads_at_once() {
    let model = outer();
    let (x, _) = sine(40);
    let x = Variable::new(x.into_dyn());
    let expected = {
        let _g = dezero::no_grad();
        Layer::forward(&model, &x).to_array()
    };
    std::thread::scope(|s| {
        let runs: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let _g = dezero::no_grad();
                    (0..20)
                        .map(|_| Layer::forward(&model, &x).to_array())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for r in runs {
            for y in r.join().expect("a reading thread does not panic") {
                assert_eq!(y, expected);
            }
        }
    });
}

/// The probes behind nothing else in this file: arrays cross threads, an
/// `Rc` does not (the negative check keeps `assert_send_sync` honest).
#[test]
fn what_crosses_threads() {
    assert_send_sync::<ArrayD<f32>>();
    const {
        assert!(SendProbe::<Vec<f64>>::SEND && SyncProbe::<Vec<f64>>::SYNC);
        assert!(!SendProbe::<std::rc::Rc<f64>>::SEND);
        assert!(!SyncProbe::<std::cell::Cell<f64>>::SYNC);
    }
}

/// Whether a type is `Send`, decided at compile time without requiring it
/// (stable Rust has no negative bounds): the inherent constant exists only
/// when `T: Send`; otherwise the trait's default is found.
struct SendProbe<T: ?Sized>(std::marker::PhantomData<T>);

trait NotSend {
    const SEND: bool = false;
}

impl<T: ?Sized> NotSend for SendProbe<T> {}

impl<T: ?Sized + Send> SendProbe<T> {
    const SEND: bool = true;
}

/// The same for `Sync`.
struct SyncProbe<T: ?Sized>(std::marker::PhantomData<T>);

trait NotSync {
    const SYNC: bool = false;
}

impl<T: ?Sized> NotSync for SyncProbe<T> {}

impl<T: ?Sized + Sync> SyncProbe<T> {
    const SYNC: bool = true;
}
