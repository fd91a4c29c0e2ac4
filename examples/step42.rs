//! Step 42 of "Deep Learning from Scratch 3": linear regression with bare
//! Variables, a hand-written mean squared error and a hand-written SGD step.
//!
//! Run: `cargo run --release --example step42`

use dezero::functions::{matmul, sum};
use dezero::{random, Variable};
use ndarray::ArrayD;

fn predict(x: &Variable<f64>, w: &Variable<f64>, b: &Variable<f64>) -> Variable<f64> {
    &matmul(x, w) + b
}

fn mean_squared_error(x0: &Variable<f64>, x1: &Variable<f64>) -> Variable<f64> {
    let diff = x0 - x1;
    &sum(&diff.powi(2)) / diff.len() as f64
}

fn main() {
    // Toy data set
    random::seed(0);
    let x = random::rand(&[100, 1]);
    let y = x.mapv(|v| 5.0 + 2.0 * v) + random::rand(&[100, 1]);
    let (x, y) = (Variable::new(x), Variable::new(y));

    let w = Variable::new(ArrayD::zeros(vec![1, 1]));
    let b = Variable::new(ArrayD::zeros(vec![1]));

    let lr = 0.1;
    let iters = 100;

    for _ in 0..iters {
        let y_pred = predict(&x, &w, &b);
        let loss = mean_squared_error(&y, &y_pred);

        w.cleargrad();
        b.cleargrad();
        loss.backward();

        let gw = w.grad().expect("W is on the loss's graph").to_array();
        let gb = b.grad().expect("b is on the loss's graph").to_array();
        w.data_mut().zip_mut_with(&gw, |p, &g| *p -= lr * g);
        b.data_mut().zip_mut_with(&gb, |p, &g| *p -= lr * g);
        println!("{w} {b} {loss}");
    }
}
