use dezero::prelude::*;
use ndarray::Array2;

model! {
    struct Net {
        l1: Linear(1),
    }
    fn forward(x) {
        l1(x)
    }
}

fn main() {
    let mut model = Net::<f32>::new();
    let x = Array2::<f32>::zeros((4, 1));
    let _ = model.forward_backward(x.view(), x.view());
}
