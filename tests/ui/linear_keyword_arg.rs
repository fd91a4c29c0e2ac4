use dezero::prelude::*;

model! {
    struct Net {
        l1: Linear(in_size = 3, 10),
        l2: Linear(1, nobias = true),
    }
    fn forward(x) {
        l2(sigmoid(l1(x)))
    }
}

fn main() {}
