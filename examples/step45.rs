//! Step 45 of "Deep Learning from Scratch 3": the network as a `Model` of its
//! own (`TwoLayerNet`) whose layers are reached through `params()`.
//!
//! Run: `cargo run --release --example step45`

use dezero::functions::{mean_squared_error, sigmoid};
use dezero::layers::visit_child;
use dezero::{random, Layer, Linear, ParamVisitor, Variable};

/// The book's `TwoLayerNet(Model)`.
struct TwoLayerNet {
    l1: Linear,
    l2: Linear,
}

impl TwoLayerNet {
    fn new(hidden_size: usize, out_size: usize) -> Self {
        TwoLayerNet {
            l1: Linear::new(hidden_size),
            l2: Linear::new(out_size),
        }
    }
}

impl Layer for TwoLayerNet {
    fn visit_params(&self, v: &mut dyn ParamVisitor<f32>) {
        visit_child(v, "l1", &self.l1);
        visit_child(v, "l2", &self.l2);
    }

    fn forward(&self, x: &Variable) -> Variable {
        let y = sigmoid(&self.l1.forward(x));
        self.l2.forward(&y)
    }
}

fn main() {
    random::seed(0);
    let x = random::rand(&[100, 1]);
    let y = x.mapv(|v| (2.0 * std::f64::consts::PI * v).sin()) + random::rand(&[100, 1]);
    let x = Variable::new(x.mapv(|v| v as f32));
    let y = Variable::new(y.mapv(|v| v as f32));

    // Hyperparameters
    let lr = 0.2;
    let max_iter = 10000;
    let hidden_size = 10;

    let model = TwoLayerNet::new(hidden_size, 1);

    for i in 0..max_iter {
        let y_pred = model.forward(&x);
        let loss = mean_squared_error(&y, &y_pred);

        model.cleargrads();
        loss.backward();

        for p in model.params() {
            let g = p
                .grad()
                .expect("every parameter is on the loss's graph")
                .to_array();
            p.data_mut().zip_mut_with(&g, |d, &g| *d -= lr * g);
        }
        if i % 1000 == 0 {
            println!("{loss}");
        }
    }
}
