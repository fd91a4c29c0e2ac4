use dezero::prelude::*;

model! {
    Net {
        l1: Linear(1),
    }
    fn forward(x) {
        l1(x)
    }
}

fn main() {}
