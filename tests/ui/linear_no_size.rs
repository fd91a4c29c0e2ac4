use dezero::prelude::*;

model! {
    struct Net {
        l1: Linear(),
        l2: Linear(nobias),
    }
    fn forward(x) {
        l2(l1(x))
    }
}

fn main() {}
