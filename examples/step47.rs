//! Step 47 of "Deep Learning from Scratch 3": softmax and the cross-entropy
//! loss on the scores of a small `MLP((10, 3))`.
//!
//! Run: `cargo run --example step47`

use dezero::functions::{exp, softmax, softmax_cross_entropy, sum};
use dezero::{random, Layer, Variable, MLP};
use ndarray::array;

fn softmax1d(x: &Variable<f64>) -> Variable<f64> {
    let y = exp(x);
    let sum_y = sum(&y);
    &y / &sum_y
}

/// DeZero's `Linear` keeps `W` in float32 (`dtype=np.float32`) while this
/// script feeds it float64 data, so NumPy computes in float64 with weights
/// rounded to float32. The model here is `f64`, so its weights are drawn as
/// DeZero's first call draws them (`randn(I, O).astype(float32) *
/// sqrt(1/I)`, in float32, `l0` then `l1`) and widened.
fn init_float32_weights(model: &MLP<f64>, mut in_size: usize) {
    for l in model.layers() {
        let scale = (1.0 / in_size as f64).sqrt() as f32;
        let w = random::with_global(|rng| rng.randn_t::<f32>(&[in_size, l.out_size()]));
        l.w.set_data(w.mapv(|v| f64::from(v * scale)));
        in_size = l.out_size();
    }
}

fn main() {
    random::seed(0);

    let model = MLP::new(&[10, 3]);
    init_float32_weights(&model, 2);

    let x = Variable::new(array![[0.2, -0.4]].into_dyn());
    let y = model.forward(&x);
    let p = softmax1d(&y);
    println!("{y}");
    println!("{p}");

    let x = array![[0.2, -0.4], [0.3, 0.5], [1.3, -3.2], [2.1, 0.3]];
    let t = [2, 0, 1, 0];

    let y = model.forward(&Variable::new(x.into_dyn()));
    let p = softmax(&y);
    println!("{y}");
    println!("{p}");

    let loss = softmax_cross_entropy(&y, &t);
    loss.backward();
    println!("{loss}");
}
