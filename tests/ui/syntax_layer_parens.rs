use dezero::prelude::*;

model! {
    struct Net {
        l1: Linear,
    }
    fn forward(x) {
        l1(x)
    }
}

fn main() {}
