use dezero::prelude::*;

model! {
    struct Net {
        l1: Linear(10),
        l1: Linear(1),
    }
    fn forward(x) {
        l1(x)
    }
}

fn main() {}
