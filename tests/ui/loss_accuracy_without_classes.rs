// `accuracy` on a model trained with `mean_squared_error`: one error
// saying that accuracy needs `softmax_cross_entropy`.
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
    let t = vec![0, 1, 1, 0];
    let acc = model.accuracy(x.view(), &t)?;
    println!("{acc}");
    Ok(())
}
