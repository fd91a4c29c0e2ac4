//! Step 46 of "Deep Learning from Scratch 3": `MLP` trained by an optimizer
//! (`SGD(lr).setup(model)`, then `update()` each iteration).
//!
//! Run: `cargo run --release --example step46`

use dezero::functions::mean_squared_error;
use dezero::optimizers::{Optimizer, SGD};
use dezero::{random, Layer, Variable, MLP};

fn main() {
    random::seed(0);
    let x = random::rand(&[100, 1]);
    let y = x.mapv(|v| (2.0 * std::f64::consts::PI * v).sin()) + random::rand(&[100, 1]);
    let x = Variable::new(x.mapv(|v| v as f32));
    let y = Variable::new(y.mapv(|v| v as f32));

    let lr = 0.2;
    let max_iter = 10000;
    let hidden_size = 10;

    let model = MLP::new(&[hidden_size, 1]);
    let mut optimizer = SGD::new(lr);
    optimizer.setup(&model);
    // or: let mut optimizer = MomentumSGD::new(lr, 0.9);

    for i in 0..max_iter {
        let y_pred = model.forward(&x);
        let loss = mean_squared_error(&y, &y_pred);

        model.cleargrads();
        loss.backward();

        optimizer.update();
        if i % 1000 == 0 {
            println!("{loss}");
        }
    }
}
