// A mistake in a nested model gives one error: its stub stands in for it
// inside the outer model, whose own code and uses below still compile.
use dezero::prelude::*;
use ndarray::Array2;

model! {
    struct Block(width: usize) {
        l1: Linear(width),
        l2: Linaer(width),
    }
    fn forward(x) {
        l2(relu(l1(x)))
    }
}

model! {
    pub struct TwoLayerNet(hidden_size: usize, out_size: usize) {
        block: Block(hidden_size),
        l1: Linear(hidden_size),
        l2: Linear(out_size),
    }
    fn forward(x) {
        l2(sigmoid(l1(block(x))))
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
    for _ in 0..10 {
        model.cleargrads();
        let loss: f32 = model.forward_backward(x.view(), x.view())?;
        println!("{loss}");
        opt.update();
    }
    let y = model.predict(x.view())?;
    println!("{} {}", y.len(), model.l1.w.shape().len());
    println!("{}", model.plan());
    Ok(())
}
