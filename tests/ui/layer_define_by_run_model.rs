// A define-by-run model as a field: one error, saying what a field may be.
use dezero::models::MLP;
use dezero::prelude::*;

model! {
    struct Net(hidden_size: usize) {
        l1: MLP(hidden_size),
        l2: Linear(1),
    }
    fn forward(x) {
        l2(l1(x))
    }
    fn loss(y, t) {
        mean_squared_error(y, t)
    }
}

fn main() {
    let _ = Net::<f32>::new(10);
}
