//! Step 43 of "Deep Learning from Scratch 3": a two-layer network written with
//! bare Variables (`linear`, `sigmoid`, `mean_squared_error`), fitted to a
//! noisy sine.
//!
//! Run: `cargo run --release --example step43`

use dezero::functions::{linear, mean_squared_error, sigmoid};
use dezero::{random, Variable};
use ndarray::ArrayD;

fn main() {
    random::seed(0);
    let x = random::rand(&[100, 1]);
    let y = x.mapv(|v| (2.0 * std::f64::consts::PI * v).sin()) + random::rand(&[100, 1]);
    let (x, y) = (Variable::new(x), Variable::new(y));

    // Weight initialization
    let (i, h, o) = (1, 10, 1);
    let w1 = Variable::new(random::randn(&[i, h]) * 0.01);
    let b1 = Variable::new(ArrayD::zeros(vec![h]));
    let w2 = Variable::new(random::randn(&[h, o]) * 0.01);
    let b2 = Variable::new(ArrayD::zeros(vec![o]));

    // Neural network inference
    let predict = |x: &Variable<f64>| {
        let y = linear(x, &w1, Some(&b1));
        let y = sigmoid(&y);
        linear(&y, &w2, Some(&b2))
    };

    let lr = 0.2;
    let iters = 10000;

    // Neural network training
    for i in 0..iters {
        let y_pred = predict(&x);
        let loss = mean_squared_error(&y, &y_pred);

        for p in [&w1, &b1, &w2, &b2] {
            p.cleargrad();
        }
        loss.backward();

        for p in [&w1, &b1, &w2, &b2] {
            let g = p
                .grad()
                .expect("every weight is on the loss's graph")
                .to_array();
            p.data_mut().zip_mut_with(&g, |d, &g| *d -= lr * g);
        }
        if i % 1000 == 0 {
            println!("{loss}");
        }
    }
}
