//! Step 45 of "Deep Learning from Scratch 3" declared with `model!`: the
//! book's `TwoLayerNet` fits `sin(2πx)` plus noise, trained 10 000
//! iterations with SGD (lr 0.2) by the compiled, allocation-free pass,
//! printing the loss every 1 000 iterations as the book does.
//!
//! Run: `cargo run --release --example sine` (add `-- --plan` to print the
//! compiled plan, `-- --dot` for its Graphviz rendering, `-- --memory` for
//! the process's peak resident memory before and after training, read from
//! `/proc/self/status` on Linux).

use dezero::prelude::*;
use ndarray::Ix2;

model! {
    /// The book's TwoLayerNet: `Linear(hidden_size)`, sigmoid, `Linear(out_size)`.
    pub struct TwoLayerNet(hidden_size: usize, out_size: usize) {
        l1: Linear(hidden_size),
        l2: Linear(out_size),
    }
    fn forward(x) {
        let y = sigmoid(l1(x));
        l2(y)
    }
    fn loss(y, t) {
        mean_squared_error(y, t)
    }
}

fn main() -> dezero::Result<()> {
    // Dataset
    random::seed(0);
    let x = random::rand(&[100, 1]);
    let y = x.mapv(|v| (2.0 * std::f64::consts::PI * v).sin()) + random::rand(&[100, 1]);
    let x = x
        .mapv(|v| v as f32)
        .into_dimensionality::<Ix2>()
        .expect("100×1");
    let y = y
        .mapv(|v| v as f32)
        .into_dimensionality::<Ix2>()
        .expect("100×1");

    // Hyperparameters
    let lr = 0.2;
    let max_iter = 10000;
    let hidden_size = 10;

    let args: Vec<String> = std::env::args().collect();
    let memory = args.iter().any(|a| a == "--memory");
    let peak_before = peak_resident_kib();

    let mut model = TwoLayerNet::<f32>::new(hidden_size, 1);
    let mut optimizer = SGD::new(lr);
    optimizer.setup(&model);

    let mut losses = Vec::with_capacity(max_iter);
    for i in 0..max_iter {
        model.cleargrads();
        let loss = model.forward_backward(x.view(), y.view())?;
        optimizer.update();
        losses.push(loss);
        if i % 1000 == 0 {
            println!("{}", Variable::scalar(loss));
        }
    }

    if memory {
        match (peak_before, peak_resident_kib()) {
            (Some(before), Some(after)) => println!(
                "peak resident memory: {before} KiB before the model, {after} KiB after \
                 training ({} KiB for the model and its training)",
                after.saturating_sub(before)
            ),
            _ => println!("peak resident memory: unavailable (needs Linux's /proc)"),
        }
    }

    // Plot, as the book does: the data and the fitted curve on [0, 1).
    let t = ndarray::Array::range(0.0_f32, 1.0, 0.01).insert_axis(ndarray::Axis(1));
    let y_pred = model.predict(t.view())?.to_owned();
    dezero::plot::plot_fit("sine.png", &x, &y, &t, &y_pred)?;
    dezero::plot::plot_losses("sine_loss.png", &losses)?;
    println!("wrote sine.png and sine_loss.png");

    if args.iter().any(|a| a == "--plan") {
        println!("{}", model.plan());
    }
    if args.iter().any(|a| a == "--dot") {
        println!("{}", model.plan().to_dot());
    }
    Ok(())
}

/// The process's peak resident set so far (`VmHWM` in `/proc/self/status`),
/// in KiB; `None` where that file does not exist or says otherwise.
fn peak_resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
