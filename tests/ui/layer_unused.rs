use dezero::prelude::*;

model! {
    struct Net {
        l1: Linear(10),
        l2: Linear(1),
        l3: Linear(1),
    }
    fn forward(x) {
        l2(sigmoid(l1(x)))
    }
}

fn main() {}
