use dezero::prelude::*;

model! {
    struct Net {
        __w: Linear(1),
    }
    fn forward(x) {
        __w(x)
    }
}

fn main() {}
