// A syntax error among the layers gives one error: the other layers are
// still read, and the stub of the type keeps every use below compiling.
use dezero::prelude::*;
use ndarray::Array2;

model! {
    /// A model with one mistake.
    pub struct TwoLayerNet(hidden_size: usize, out_size: usize) {
        l1: Linear(hidden_size),
        l2 Linear(out_size),
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
    let mut model = TwoLayerNet::<f32>::new(10, 1);
    let mut opt = SGD::new(0.2);
    opt.setup(&model);
    let x = Array2::<f32>::zeros((100, 1));
    model.cleargrads();
    let loss: f32 = model.forward_backward(x.view(), x.view())?;
    println!("{loss} {}", model.l1.w.shape().len());
    opt.update();
    Ok(())
}
