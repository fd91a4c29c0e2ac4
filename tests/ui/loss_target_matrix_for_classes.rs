// A matrix given to a model trained with `softmax_cross_entropy`: one
// error at the argument, saying that the targets are class indices.
use dezero::prelude::*;
use ndarray::Array2;

model! {
    struct Net {
        l1: Linear(3),
    }
    fn forward(x) {
        l1(x)
    }
    fn loss(y, t) {
        softmax_cross_entropy(y, t)
    }
}

fn main() -> dezero::Result<()> {
    let mut model = Net::<f32>::new();
    let x = Array2::<f32>::zeros((4, 2));
    let t = Array2::<f32>::zeros((4, 3));
    model.forward_backward(x.view(), t.view())?;
    Ok(())
}
