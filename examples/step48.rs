//! Step 48 of "Deep Learning from Scratch 3": multi-class classification of
//! the spiral data set with `MLP((10, 3))`, `softmax_cross_entropy` and SGD,
//! in mini-batches of an index shuffled with `np.random.permutation`; then
//! the regions where the model predicts each class, drawn with the data to
//! `step48.png`, and the loss curve to `step48_loss.png`.
//!
//! Run: `cargo run --release --example step48`

use dezero::datasets::get_spiral;
use dezero::functions::softmax_cross_entropy;
use dezero::optimizers::{Optimizer, SGD};
use dezero::plot::{plot_decision_regions, plot_losses};
use dezero::progress::Progress;
use dezero::{random, Layer, Variable, MLP};
use ndarray::Axis;

fn main() -> dezero::Result<()> {
    // Hyperparameters
    let max_epoch = 300;
    let batch_size = 30;
    let hidden_size = 10;
    let lr = 1.0;

    let (x, t) = get_spiral(true);
    let model = MLP::new(&[hidden_size, 3]);
    let mut optimizer = SGD::new(lr);
    optimizer.setup(&model);

    let data_size = x.nrows();
    let max_iter = data_size.div_ceil(batch_size);

    let progress = Progress::new(max_epoch);
    let mut losses = Vec::with_capacity(max_epoch);
    for epoch in 0..max_epoch {
        // Shuffle index for data
        let index = random::permutation(data_size);
        let mut sum_loss = 0.0;

        for i in 0..max_iter {
            let batch_index = &index[i * batch_size..((i + 1) * batch_size).min(data_size)];
            let batch_x = x.select(Axis(0), batch_index);
            let batch_t: Vec<usize> = batch_index.iter().map(|&j| t[j]).collect();

            let y = model.forward(&Variable::new(batch_x.into_dyn()));
            let loss = softmax_cross_entropy(&y, &batch_t);
            model.cleargrads();
            loss.backward();
            optimizer.update();

            sum_loss += f64::from(loss.data()[[]]) * batch_t.len() as f64;
        }

        // Print loss every epoch
        let avg_loss = sum_loss / data_size as f64;
        progress.println(format!("epoch {}, loss {avg_loss:.2}", epoch + 1));
        progress.step(avg_loss);
        losses.push(avg_loss);
    }
    progress.finish();

    // Plot boundary area the model predict (`no_grad` is taken care of),
    // and the data points of the dataset.
    plot_decision_regions("step48.png", |x| model.forward(x), &x, &t)?;
    plot_losses("step48_loss.png", &losses)?;
    Ok(())
}
