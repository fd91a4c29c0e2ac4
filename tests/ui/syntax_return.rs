use dezero::prelude::*;

model! {
    struct Net {
        l1: Linear(1),
    }
    fn forward(x) {
        return l1(x);
    }
}

fn main() {}
