use dezero::prelude::*;

model! {
    struct Net {
        l1: Linear(1),
    }
    fn forward(x) {
        let y =
            x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x +
            x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x +
            x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x +
            x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x +
            x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x +
            x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x +
            x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x +
            x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x +
            x;
        l1(y)
    }
}

fn main() {}
