use dezero::prelude::*;

model! {
    struct Net(hidden_size: usize) {
        l1: Linear(10.0),
        l2: Linear(1),
    }
    fn forward(x) {
        l2(sigmoid(l1(x)))
    }
}

fn main() {}
