use dezero::prelude::*;

model! {
    struct Net {
        l1: Linear(10),
        act: ReLU(),
        l2: Linear(1),
    }
    fn forward(x) {
        l2(act(l1(x)))
    }
}

fn main() {}
