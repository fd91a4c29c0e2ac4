//! Optimizers against DeZero: the `15_optimizers_3_steps` fixture case
//! (loss `sum((W - 0.25)**2)`, three updates from `W0`) for every optimizer
//! and hook configuration, plus the optimizers' bookkeeping.

use dezero::optimizers::{
    AdaDelta, AdaGrad, Adam, ClipGrad, MomentumSGD, Optimizer, WeightDecay, SGD,
};
use dezero::{Layer, ParamVisitor, Parameter, Variable};
use ndarray::{Array2, ArrayD, IxDyn};
use serde_json::Value;

/// A layer holding one parameter `W` (the fixture's target).
struct Single {
    w: Parameter<f64>,
}

impl Layer<f64> for Single {
    fn visit_params(&self, v: &mut dyn ParamVisitor<f64>) {
        v.param("W", &self.w);
    }
    fn forward(&self, x: &Variable<f64>) -> Variable<f64> {
        &*self.w * x
    }
}

fn case() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/dezero_cases.json"
    ))
    .expect("fixture file");
    let all: Value = serde_json::from_str(&text).expect("valid JSON");
    all["cases"]["15_optimizers_3_steps"].clone()
}

fn matrix(v: &Value) -> ArrayD<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).expect("a matrix");
    let (n, m) = (rows.len(), rows[0].len());
    let flat: Vec<f64> = rows.into_iter().flatten().collect();
    Array2::from_shape_vec((n, m), flat)
        .expect("rectangular")
        .into_dyn()
}

/// Runs three steps of `opt` on the fixture's loss and compares each W.
fn check(key: &str, mut opt: impl Optimizer<f64>) {
    let case = case();
    let model = Single {
        w: Parameter::with_name(matrix(&case["W0"]), "W"),
    };
    opt.setup(&model);
    let steps = case["W_after_each_step"][key]
        .as_array()
        .unwrap_or_else(|| panic!("fixture has no `{key}`"));
    assert_eq!(steps.len(), 3);
    for (i, expected) in steps.iter().enumerate() {
        model.cleargrads();
        let loss = (&*model.w - 0.25).powi(2).sum();
        loss.backward();
        opt.update();
        let expected = matrix(expected);
        let got = model.w.to_array();
        for (g, e) in got.iter().zip(expected.iter()) {
            let rel = (g - e).abs() / e.abs().max(f64::MIN_POSITIVE);
            assert!(
                rel <= 1e-12,
                "{key}, step {}: W = {got}, DeZero has {expected}",
                i + 1
            );
        }
    }
}

#[test]
fn sgd_matches_dezero() {
    check("SGD(lr=0.1)", SGD::new(0.1));
}

#[test]
fn momentum_sgd_matches_dezero() {
    check(
        "MomentumSGD(lr=0.1,momentum=0.9)",
        MomentumSGD::new(0.1, 0.9),
    );
}

#[test]
fn adagrad_matches_dezero() {
    check("AdaGrad(lr=0.1)", AdaGrad::new(0.1));
}

#[test]
fn adadelta_matches_dezero() {
    check("AdaDelta()", AdaDelta::default());
}

#[test]
fn adam_matches_dezero() {
    check("Adam(alpha=0.1)", Adam::new(0.1));
}

#[test]
fn weight_decay_matches_dezero() {
    let mut opt = SGD::new(0.1);
    opt.add_hook(WeightDecay::new(0.5));
    check("SGD(lr=0.1)+WeightDecay(0.5)", opt);
}

#[test]
fn clip_grad_matches_dezero() {
    let mut opt = SGD::new(0.1);
    opt.add_hook(ClipGrad::new(1.0));
    check("SGD(lr=0.1)+ClipGrad(1.0)", opt);
}

#[test]
fn defaults_are_dezeros() {
    assert_eq!(SGD::<f32>::default().lr, 0.01);
    let m = MomentumSGD::<f32>::default();
    assert_eq!((m.lr, m.momentum), (0.01, 0.9));
    let a = AdaGrad::<f32>::default();
    assert_eq!((a.lr, a.eps), (0.001, 1e-8));
    let d = AdaDelta::<f32>::default();
    assert_eq!((d.rho, d.eps), (0.95, 1e-6));
    let adam = Adam::<f32>::default();
    assert_eq!(
        (adam.t, adam.alpha, adam.beta1, adam.beta2, adam.eps),
        (0, 0.001, 0.9, 0.999, 1e-8)
    );
}

#[test]
fn adam_lr_is_bias_corrected() {
    let mut adam = Adam::<f64>::new(0.1);
    adam.t = 3;
    let expected = 0.1 * (1.0 - 0.999_f64.powi(3)).sqrt() / (1.0 - 0.9_f64.powi(3));
    assert!((adam.lr() - expected).abs() < 1e-15);
}

#[test]
fn params_without_grad_are_skipped_and_hooks_see_only_the_rest() {
    let a = Parameter::new(ArrayD::<f64>::ones(IxDyn(&[2])));
    let b = Parameter::new(ArrayD::<f64>::ones(IxDyn(&[3])));
    b.set_grad(Some(Variable::new(ArrayD::ones(IxDyn(&[3])))));
    let mut opt = SGD::new(0.5);
    opt.setup_params(&[a.clone(), b.clone()]);
    // A hook is `Send` (so its optimizer is): an `Arc`, not an `Rc`.
    use std::sync::atomic::{AtomicUsize, Ordering};
    let seen = std::sync::Arc::new(AtomicUsize::new(0));
    let seen_in_hook = seen.clone();
    opt.add_hook(move |ps: &[Parameter<f64>]| seen_in_hook.store(ps.len(), Ordering::Relaxed));
    opt.update();
    assert_eq!(seen.load(Ordering::Relaxed), 1);
    assert_eq!(a.to_array(), ArrayD::<f64>::ones(IxDyn(&[2])));
    assert_eq!(b.to_array(), ArrayD::from_elem(IxDyn(&[3]), 0.5));
}

#[test]
fn setup_before_lazy_init_updates_the_initialised_weight() {
    use dezero::layers::Linear;
    let model = Linear::<f64>::new(2);
    let mut opt = MomentumSGD::new(0.1, 0.9);
    opt.setup(&model);
    let x = Variable::new(ArrayD::ones(IxDyn(&[3, 4])));
    let loss = model.forward(&x).sum();
    loss.backward();
    let before = model.w.to_array();
    let gw = model.w.grad().expect("W has a gradient").to_array();
    opt.update();
    assert_eq!(model.w.to_array(), &before - &(&gw * 0.1));
}

#[test]
fn f32_optimizers_run() {
    let p = Parameter::new(ArrayD::<f32>::ones(IxDyn(&[2])));
    let mut opts: Vec<Box<dyn Optimizer<f32>>> = vec![
        Box::new(SGD::new(0.1)),
        Box::new(MomentumSGD::default()),
        Box::new(AdaGrad::default()),
        Box::new(AdaDelta::default()),
        Box::new(Adam::default()),
    ];
    for opt in &mut opts {
        opt.setup_params(std::slice::from_ref(&p));
        opt.core_mut().add_hook(Box::new(ClipGrad::new(1.0)));
        p.set_grad(Some(Variable::new(ArrayD::ones(IxDyn(&[2])))));
        let before = p.to_array();
        opt.update();
        assert!(p.data().iter().zip(before.iter()).all(|(a, b)| a < b));
    }
}

// ---------------------------------------------------------------------------
// Allocation: a warm update, and walking parameters, allocate nothing
// ---------------------------------------------------------------------------

mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! {
        /// Allocations made by this thread (tests run on several threads).
        static ALLOCS: Cell<usize> = const { Cell::new(0) };
    }

    /// The system allocator, counting each thread's allocations.
    pub struct Counting;

    // SAFETY: forwards to `System`, only bumping a thread-local counter.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
            unsafe { System.alloc(layout) }
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
            unsafe { System.alloc_zeroed(layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
            unsafe { System.realloc(ptr, layout, new_size) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    /// How many allocations `f` makes on this thread.
    pub fn allocations(f: impl FnOnce()) -> usize {
        let before = ALLOCS.with(Cell::get);
        f();
        ALLOCS.with(Cell::get) - before
    }
}

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

fn mlp_with_grads() -> (dezero::models::MLP<f32>, Variable<f32>) {
    let model = dezero::models::MLP::<f32>::new(&[10, 1]);
    let x = Variable::new(dezero::random::RandomState::new(0).rand_t::<f32>(&[8, 1]));
    (model, x)
}

fn warm_update_allocates_nothing(mut opt: impl Optimizer<f32>) {
    let (model, x) = mlp_with_grads();
    opt.setup(&model);
    for _ in 0..2 {
        model.cleargrads();
        model.forward(&x).sum().backward();
        opt.update();
    }
    model.cleargrads();
    model.forward(&x).sum().backward();
    let n = counting::allocations(|| opt.update());
    assert_eq!(n, 0, "a warm update allocated {n} times");
}

#[test]
fn warm_updates_allocate_nothing() {
    warm_update_allocates_nothing(SGD::new(0.1));
    warm_update_allocates_nothing(MomentumSGD::default());
    warm_update_allocates_nothing(AdaGrad::default());
    warm_update_allocates_nothing(AdaDelta::default());
    warm_update_allocates_nothing(Adam::default());
    let mut opt = SGD::new(0.1);
    opt.add_hook(WeightDecay::new(1e-4));
    opt.add_hook(ClipGrad::new(0.5));
    warm_update_allocates_nothing(opt);
}

#[test]
fn walking_params_allocates_nothing() {
    let (model, x) = mlp_with_grads();
    model.forward(&x).sum().backward();
    let mut count = 0;
    let n = counting::allocations(|| {
        model.for_each_param(&mut |_| count += 1);
        model.cleargrads();
    });
    assert_eq!((count, n), (4, 0));
}
