use dezero::prelude::*;

model! {
    struct Net {
        l1: Linear(1),
    }
    fn forward(x) {
        mean_squared_error(l1(x), x)
    }
}

fn main() {}
