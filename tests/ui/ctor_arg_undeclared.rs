use dezero::prelude::*;

model! {
    struct Net {
        l1: Linear(hidden_size),
        l2: Linear(1),
    }
    fn forward(x) {
        l2(sigmoid(l1(x)))
    }
}

fn main() {}
