//! The book's step-45 workload on the define-by-run path: 100×1 data,
//! 1→10 sigmoid→1, mean squared error, SGD 0.2, f32 — one training
//! iteration per measurement (forward, backward, update).
//!
//! Run: `cargo bench --bench define_by_run`

use criterion::{criterion_group, criterion_main, Criterion};
use dezero::functions::mean_squared_error;
use dezero::optimizers::{Optimizer, SGD};
use dezero::{random, Layer, Variable, MLP};

fn step45(c: &mut Criterion) {
    random::seed(0);
    let x = random::rand(&[100, 1]);
    let y = x.mapv(|v| (2.0 * std::f64::consts::PI * v).sin()) + random::rand(&[100, 1]);
    let x = Variable::new(x.mapv(|v| v as f32));
    let y = Variable::new(y.mapv(|v| v as f32));
    let model = MLP::new(&[10, 1]);
    let mut opt = SGD::new(0.2);
    opt.setup(&model);

    c.bench_function("define_by_run/step45_sine_f32", |b| {
        b.iter(|| {
            let loss = mean_squared_error(&y, &model.forward(&x));
            model.cleargrads();
            loss.backward();
            opt.update();
        })
    });
}

criterion_group!(benches, step45);
criterion_main!(benches);
