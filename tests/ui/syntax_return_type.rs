use dezero::prelude::*;

model! {
    struct Net {
        l1: Linear(1),
    }
    fn forward(x) -> Variable {
        l1(x)
    }
}

fn main() {}
