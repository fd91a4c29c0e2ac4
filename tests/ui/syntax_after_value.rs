use dezero::prelude::*;

model! {
    struct Net {
        l1: Linear(10),
        l2: Linear(1),
    }
    fn forward(x) {
        l1(x) l2(x)
    }
}

fn main() {}
