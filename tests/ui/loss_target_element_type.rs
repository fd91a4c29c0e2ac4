// f64 targets for an f32 model: one error at the target, naming the
// model's element type.
use dezero::prelude::*;
use ndarray::Array2;

model! {
    struct Net {
        l1: Linear(1),
    }
    fn forward(x) {
        l1(x)
    }
    fn loss(y, t) {
        mean_squared_error(y, t)
    }
}

fn main() -> dezero::Result<()> {
    let mut model = Net::<f32>::new();
    let x = Array2::<f32>::zeros((4, 2));
    let t = Array2::<f64>::zeros((4, 1));
    model.forward_backward(x.view(), t.view())?;
    Ok(())
}
