//! Step 44 of "Deep Learning from Scratch 3": the two-layer network of step
//! 43 rebuilt from `Linear` layers, which own their parameters.
//!
//! Run: `cargo run --release --example step44`

use dezero::functions::{mean_squared_error, sigmoid};
use dezero::{random, Layer, Linear, Variable};

fn main() {
    // Dataset
    random::seed(0);
    let x = random::rand(&[100, 1]);
    let y = x.mapv(|v| (2.0 * std::f64::consts::PI * v).sin()) + random::rand(&[100, 1]);
    // The book keeps the data in float64 and the weights in float32; here the
    // whole network runs in f32, DeZero's parameter type.
    let x = Variable::new(x.mapv(|v| v as f32));
    let y = Variable::new(y.mapv(|v| v as f32));

    let l1 = Linear::new(10);
    let l2 = Linear::new(1);

    let predict = |x: &Variable| {
        let y = l1.forward(x);
        let y = sigmoid(&y);
        l2.forward(&y)
    };

    let lr = 0.2;
    let iters = 10000;

    for i in 0..iters {
        let y_pred = predict(&x);
        let loss = mean_squared_error(&y, &y_pred);

        l1.cleargrads();
        l2.cleargrads();
        loss.backward();

        for l in [&l1, &l2] {
            for p in l.params() {
                let g = p
                    .grad()
                    .expect("every parameter is on the loss's graph")
                    .to_array();
                p.data_mut().zip_mut_with(&g, |d, &g| *d -= lr * g);
            }
        }
        if i % 1000 == 0 {
            println!("{loss}");
        }
    }
}
