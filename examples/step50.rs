//! Step 50 of "Deep Learning from Scratch 3": the spiral trained through
//! `DataLoader`s, with the loss and accuracy on the training set and, without
//! recording graphs, on the test set after every epoch.
//!
//! Run: `cargo run --release --example step50`

use dezero::datasets::{DataLoader, Dataset, Spiral};
use dezero::functions::{accuracy, softmax_cross_entropy};
use dezero::optimizers::{Optimizer, SGD};
use dezero::progress::Progress;
use dezero::{no_grad, test_mode, Layer, Variable, MLP};

fn main() {
    let max_epoch = 300;
    let batch_size = 30;
    let hidden_size = 10;
    let lr = 1.0;

    let train_set = Spiral::new(true);
    let test_set = Spiral::new(false);
    let mut train_loader = DataLoader::new(&train_set, batch_size, true);
    let mut test_loader = DataLoader::new(&test_set, batch_size, false);

    let model = MLP::new(&[hidden_size, 3]);
    let mut optimizer = SGD::new(lr);
    optimizer.setup(&model);

    let progress = Progress::new(max_epoch);
    for epoch in 0..max_epoch {
        let (mut sum_loss, mut sum_acc) = (0.0, 0.0);

        for (x, t) in &mut train_loader {
            let y = model.forward(&Variable::new(x.into_dyn()));
            let loss = softmax_cross_entropy(&y, &t);
            let acc = accuracy(&y, &t);
            model.cleargrads();
            loss.backward();
            optimizer.update();

            sum_loss += f64::from(loss.data()[[]]) * t.len() as f64;
            sum_acc += f64::from(acc) * t.len() as f64;
        }

        progress.println(format!("epoch: {}", epoch + 1));
        progress.println(format!(
            "train loss: {:.4}, accuracy: {:.4}",
            sum_loss / train_set.len() as f64,
            sum_acc / train_set.len() as f64
        ));
        progress.set_loss(sum_loss / train_set.len() as f64);

        let (mut sum_loss, mut sum_acc) = (0.0, 0.0);
        {
            // DeZero's `with dezero.no_grad():`. Test mode changes nothing
            // for an MLP; it is here for layers that do (dropout, step 54).
            let _no_grad = no_grad();
            let _test_mode = test_mode();
            for (x, t) in &mut test_loader {
                let y = model.forward(&Variable::new(x.into_dyn()));
                let loss = softmax_cross_entropy(&y, &t);
                let acc = accuracy(&y, &t);
                sum_loss += f64::from(loss.data()[[]]) * t.len() as f64;
                sum_acc += f64::from(acc) * t.len() as f64;
            }
        }

        progress.println(format!(
            "test loss: {:.4}, accuracy: {:.4}",
            sum_loss / test_set.len() as f64,
            sum_acc / test_set.len() as f64
        ));
        progress.inc();
    }
}
