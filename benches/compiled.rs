//! Training-step speed of `model!`-compiled models against the
//! define-by-run path on the same workloads, f32, one thread:
//!
//! - W1, the book's step 45: 100×1, 1→10 sigmoid→1, MSE, SGD 0.2;
//! - W2, wide: 100×784 → 1000 sigmoid → 10, MSE, SGD 0.01 (throughput in
//!   FLOP counted as 6·batch·(784·1000 + 1000·10) per step);
//! - W3, deep narrow: 32×64 → 64 → 64 → 64 → 1, relu, MSE, SGD 0.01.
//!
//! Each measurement is one whole iteration: cleargrads, forward, backward,
//! optimizer update. W2 is measured again with the matrix products allowed
//! a second thread (`kernels::set_threads(2)`, group `W2_wide_2_threads`);
//! W1 and W3 never use one. W3's model on 256 rows (group
//! `W3_deep_256_rows`) is measured on one thread and on two, where its pass
//! is split by batch rows (`compiled::split_point`).
//!
//! Run: `cargo bench --bench compiled -- --warm-up-time 1 --measurement-time 3`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dezero::functions::{mean_squared_error, relu};
use dezero::optimizers::{Optimizer, SGD};
use dezero::prelude::*;
use dezero::{random, Variable, MLP};
use ndarray::{Array2, Ix2};

model! {
    /// W1: the book's TwoLayerNet.
    struct Sine(hidden: usize) {
        l1: Linear(hidden),
        l2: Linear(1),
    }
    fn forward(x) {
        l2(sigmoid(l1(x)))
    }
    fn loss(y, t) {
        mean_squared_error(y, t)
    }
}

model! {
    /// W2: one wide sigmoid layer.
    struct Wide() {
        l1: Linear(784, 1000),
        l2: Linear(1000, 10),
    }
    fn forward(x) {
        l2(sigmoid(l1(x)))
    }
    fn loss(y, t) {
        mean_squared_error(y, t)
    }
}

model! {
    /// W3: deep and narrow, relu.
    struct Deep() {
        l1: Linear(64, 64),
        l2: Linear(64, 64),
        l3: Linear(64, 64),
        l4: Linear(64, 1),
    }
    fn forward(x) {
        let h = relu(l1(x));
        let h = relu(l2(h));
        let h = relu(l3(h));
        l4(h)
    }
    fn loss(y, t) {
        mean_squared_error(y, t)
    }
}

fn data(rows: usize, cols: usize, outs: usize) -> (Array2<f32>, Array2<f32>) {
    random::seed(0);
    let x = random::rand(&[rows, cols]).mapv(|v| v as f32);
    let t = random::rand(&[rows, outs]).mapv(|v| v as f32);
    (
        x.into_dimensionality::<Ix2>().expect("2-d"),
        t.into_dimensionality::<Ix2>().expect("2-d"),
    )
}

fn sine_data() -> (Array2<f32>, Array2<f32>) {
    random::seed(0);
    let x = random::rand(&[100, 1]);
    let y = x.mapv(|v| (2.0 * std::f64::consts::PI * v).sin()) + random::rand(&[100, 1]);
    (
        x.mapv(|v| v as f32)
            .into_dimensionality::<Ix2>()
            .expect("2-d"),
        y.mapv(|v| v as f32)
            .into_dimensionality::<Ix2>()
            .expect("2-d"),
    )
}

/// One define-by-run training step of `model` (an MLP).
fn dbr_step(model: &MLP, opt: &mut SGD, x: &Variable, t: &Variable) {
    let loss = mean_squared_error(t, &model.forward(x));
    model.cleargrads();
    loss.backward();
    opt.update();
}

fn w1(c: &mut Criterion) {
    let (x, t) = sine_data();
    let mut g = c.benchmark_group("W1_sine");
    let mut m = Sine::<f32>::new(10);
    let mut opt = SGD::new(0.2);
    opt.setup(&m);
    g.bench_function("compiled", |b| {
        b.iter(|| {
            m.cleargrads();
            let l = m.forward_backward(x.view(), t.view()).expect("shapes fit");
            opt.update();
            l
        })
    });
    let model = MLP::new(&[10, 1]);
    let mut opt = SGD::new(0.2);
    opt.setup(&model);
    let (xv, tv) = (Variable::new(x.into_dyn()), Variable::new(t.into_dyn()));
    g.bench_function("define_by_run", |b| {
        b.iter(|| dbr_step(&model, &mut opt, &xv, &tv))
    });
    g.finish();
}

fn w2(c: &mut Criterion) {
    wide(c, "W2_wide", 1);
}

fn w2_two_threads(c: &mut Criterion) {
    wide(c, "W2_wide_2_threads", 2);
}

/// W2 with the products allowed `threads` threads.
fn wide(c: &mut Criterion, group: &str, threads: usize) {
    dezero::kernels::set_threads(threads);
    let (x, t) = data(100, 784, 10);
    let mut g = c.benchmark_group(group);
    g.sample_size(20);
    g.throughput(Throughput::Elements(6 * 100 * (784 * 1000 + 1000 * 10)));
    let mut m = Wide::<f32>::new();
    let mut opt = SGD::new(0.01);
    opt.setup(&m);
    g.bench_function("compiled", |b| {
        b.iter(|| {
            m.cleargrads();
            let l = m.forward_backward(x.view(), t.view()).expect("shapes fit");
            opt.update();
            l
        })
    });
    let model = MLP::new(&[1000, 10]);
    let mut opt = SGD::new(0.01);
    opt.setup(&model);
    let (xv, tv) = (Variable::new(x.into_dyn()), Variable::new(t.into_dyn()));
    g.bench_function("define_by_run", |b| {
        b.iter(|| dbr_step(&model, &mut opt, &xv, &tv))
    });
    g.finish();
    dezero::kernels::set_threads(1);
}

fn w3(c: &mut Criterion) {
    let (x, t) = data(32, 64, 1);
    let mut g = c.benchmark_group("W3_deep");
    let mut m = Deep::<f32>::new();
    let mut opt = SGD::new(0.01);
    opt.setup(&m);
    g.bench_function("compiled", |b| {
        b.iter(|| {
            m.cleargrads();
            let l = m.forward_backward(x.view(), t.view()).expect("shapes fit");
            opt.update();
            l
        })
    });
    let model = MLP::with_activation(&[64, 64, 64, 1], relu);
    let mut opt = SGD::new(0.01);
    opt.setup(&model);
    let (xv, tv) = (Variable::new(x.into_dyn()), Variable::new(t.into_dyn()));
    g.bench_function("define_by_run", |b| {
        b.iter(|| dbr_step(&model, &mut opt, &xv, &tv))
    });
    g.finish();
}

/// W3's model on 256 rows, on one thread and on two (the pass split by
/// batch rows).
fn w3_256_rows(c: &mut Criterion) {
    let (x, t) = data(256, 64, 1);
    let mut g = c.benchmark_group("W3_deep_256_rows");
    for threads in [1, 2] {
        dezero::kernels::set_threads(threads);
        let mut m = Deep::<f32>::new();
        let mut opt = SGD::new(0.01);
        opt.setup(&m);
        g.bench_function(format!("compiled_{threads}_threads"), |b| {
            b.iter(|| {
                m.cleargrads();
                let l = m.forward_backward(x.view(), t.view()).expect("shapes fit");
                opt.update();
                l
            })
        });
    }
    dezero::kernels::set_threads(1);
    g.finish();
}

criterion_group!(benches, w1, w2, w2_two_threads, w3, w3_256_rows);
criterion_main!(benches);
