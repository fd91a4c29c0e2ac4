use dezero::prelude::*;

model! {
    struct Net {
        l1: Linear(3, 4, 5),
    }
    fn forward(x) {
        l1(x)
    }
}

fn main() {}
