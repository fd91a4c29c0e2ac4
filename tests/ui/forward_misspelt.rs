use dezero::prelude::*;

model! {
    struct Net {
        l1: Linear(1),
    }
    fn forwrd(x) {
        l1(x)
    }
}

fn main() {}
