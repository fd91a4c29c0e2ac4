//! dezero-rs on the comparison harness's workloads (see
//! `bench/compare/common/workloads.rs`): `--mode compiled` trains a
//! `model!`-compiled model, `--mode define-by-run` the book's `MLP` through
//! the define-by-run graph. Both start from the harness's shared weights.
//!
//! `bench/compare/run.sh` runs it; alone:
//! `cargo run --release -- --workload w1 --mode compiled`.

#[path = "../../common/workloads.rs"]
mod workloads;

use dezero::functions::{mean_squared_error, relu};
use dezero::prelude::*;
use dezero::MLP;
use ndarray::{Array2, ArrayD, IxDyn};
use workloads::{Args, Workload};

model! {
    /// W1: the book's TwoLayerNet (1 → 10 sigmoid → 1).
    struct Sine() {
        l1: Linear(1, 10),
        l2: Linear(10, 1),
    }
    fn forward(x) {
        l2(sigmoid(l1(x)))
    }
    fn loss(y, t) {
        mean_squared_error(y, t)
    }
}

model! {
    /// W2: 784 → 1000 sigmoid → 10.
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
    /// W3: 64 → 64 → 64 → 64 → 1, relu.
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

/// Asks dezero-rs for `n` threads: the matrix products of both paths split
/// their rows over that many threads when a product is large enough to pay
/// for it (`dezero::kernels::set_threads`).
fn set_threads(n: usize) -> bool {
    if n == 0 {
        return false;
    }
    dezero::kernels::set_threads(n);
    true
}

/// Overwrites each layer's `W` with the harness's initial weights and `b`
/// with zeros.
fn load_weights(w: &Workload, layers: &[&Linear<f32>]) {
    for (k, l) in layers.iter().enumerate() {
        let (i, o) = (w.sizes[k], w.sizes[k + 1]);
        l.w.set_data(ArrayD::from_shape_vec(IxDyn(&[i, o]), w.weight(k)).expect("i×o"));
        if let Some(b) = &l.b {
            b.set_data(ArrayD::zeros(IxDyn(&[o])));
        }
    }
}

/// Trains a compiled model `iters` iterations inside the timer; the last
/// loss. (A macro: `forward_backward` is an inherent method of each
/// generated struct.)
macro_rules! train_compiled {
    ($model:expr, [$($l:ident),+], $args:expr, $x:expr, $t:expr, $timer:expr) => {{
        let mut model = $model;
        load_weights(&$args.workload, &[$(&model.$l),+]);
        let mut opt = SGD::new($args.workload.lr);
        opt.setup(&model);
        let iters = $args.iters;
        $timer.time(|| {
            let mut loss = f32::NAN;
            for _ in 0..iters {
                model.cleargrads();
                loss = model
                    .forward_backward($x.view(), $t.view())
                    .expect("shapes fit");
                opt.update();
            }
            loss
        })
    }};
}

fn main() {
    let args = Args::parse();
    let mode = args.get("mode").unwrap_or("compiled").to_string();
    let system = match mode.as_str() {
        "compiled" => "dezero-rs compiled",
        "define-by-run" => "dezero-rs define-by-run",
        other => {
            eprintln!("unknown --mode {other} (compiled | define-by-run)");
            std::process::exit(2)
        }
    };
    if !set_threads(args.threads) {
        workloads::unsupported_threads(system, &args);
    }
    let w = args.workload;
    let (x, t) = w.data();
    let x = Array2::from_shape_vec((w.rows, w.in_width()), x).expect("rows×in");
    let t = Array2::from_shape_vec((w.rows, w.out_width()), t).expect("rows×out");

    if mode == "compiled" {
        workloads::measure(system, &args, |timer| match w.name {
            "w1" => train_compiled!(Sine::<f32>::new(), [l1, l2], args, x, t, timer),
            "w2" => train_compiled!(Wide::<f32>::new(), [l1, l2], args, x, t, timer),
            _ => train_compiled!(Deep::<f32>::new(), [l1, l2, l3, l4], args, x, t, timer),
        });
    } else {
        let (xv, tv) = (
            Variable::new(x.clone().into_dyn()),
            Variable::new(t.clone().into_dyn()),
        );
        workloads::measure(system, &args, |timer| {
            let model: MLP<f32> = if w.activation == "relu" {
                MLP::with_activation(&w.sizes[1..], relu)
            } else {
                MLP::new(&w.sizes[1..])
            };
            load_weights(&w, &model.layers().iter().collect::<Vec<_>>());
            let mut opt = SGD::new(w.lr);
            opt.setup(&model);
            let iters = args.iters;
            timer.time(|| {
                let mut last = None;
                for _ in 0..iters {
                    let y = model.forward(&xv);
                    let loss = mean_squared_error(&y, &tv);
                    model.cleargrads();
                    loss.backward();
                    opt.update();
                    last = Some(loss);
                }
                last.map_or(f32::NAN, |l| l.data()[[]])
            })
        });
    }
}
