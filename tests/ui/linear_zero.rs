use dezero::prelude::*;

model! {
    struct Net {
        l1: Linear(0),
    }
    fn forward(x) {
        l1(x)
    }
}

fn main() {}
