// A constructor argument without its type is one error: the stub's `new`
// still takes the arguments (the untyped one as a size, `usize`), so the
// code below compiles against it.
use dezero::prelude::*;
use ndarray::Array2;

model! {
    struct Net(hidden_size, out_size: usize) {
        l1: Linear(hidden_size),
        l2: Linear(out_size),
    }
    fn forward(x) {
        l2(sigmoid(l1(x)))
    }
    fn loss(y, t) {
        mean_squared_error(y, t)
    }
}

fn main() -> dezero::Result<()> {
    let mut model = Net::<f32>::new(10, 1);
    let x = Array2::<f32>::zeros((100, 1));
    model.cleargrads();
    let loss: f32 = model.forward_backward(x.view(), x.view())?;
    println!("{loss} {}", model.l1.w.shape().len());
    Ok(())
}
