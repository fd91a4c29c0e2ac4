//! Step 49 of "Deep Learning from Scratch 3": step 48's training with the
//! spiral as a `Dataset` (`Spiral(train=True)`), mini-batches gathered by
//! index (`train_set[i]`).
//!
//! Run: `cargo run --release --example step49`

use dezero::datasets::{Dataset, Spiral};
use dezero::functions::softmax_cross_entropy;
use dezero::optimizers::{Optimizer, SGD};
use dezero::{random, Layer, Variable, MLP};
use ndarray::Axis;

fn main() {
    let max_epoch = 300;
    let batch_size = 30;
    let hidden_size = 10;
    let lr = 1.0;

    let train_set = Spiral::new(true);
    let model = MLP::new(&[hidden_size, 3]);
    let mut optimizer = SGD::new(lr);
    optimizer.setup(&model);

    let data_size = train_set.len();
    let max_iter = data_size.div_ceil(batch_size);

    for epoch in 0..max_epoch {
        // Shuffle index for data
        let index = random::permutation(data_size);
        let mut sum_loss = 0.0;

        for i in 0..max_iter {
            // Create minibatch
            let batch_index = &index[i * batch_size..((i + 1) * batch_size).min(data_size)];
            let batch: Vec<_> = batch_index.iter().map(|&i| train_set.get(i)).collect();
            let rows: Vec<_> = batch.iter().map(|example| example.0.view()).collect();
            let batch_x = ndarray::stack(Axis(0), &rows).expect("every example has 2 features");
            let batch_t: Vec<usize> = batch.iter().map(|example| example.1).collect();

            let y = model.forward(&Variable::new(batch_x.into_dyn()));
            let loss = softmax_cross_entropy(&y, &batch_t);
            model.cleargrads();
            loss.backward();
            optimizer.update();

            sum_loss += f64::from(loss.data()[[]]) * batch_t.len() as f64;
        }

        // Print loss every epoch
        let avg_loss = sum_loss / data_size as f64;
        println!("epoch {}, loss {avg_loss:.2}", epoch + 1);
    }
}
