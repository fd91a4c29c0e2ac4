use dezero::prelude::*;

model! {
    struct Net {
        l1: Linear(1),
    }
    fn loss(y, t) {
        mean_squared_error(y, t)
    }
    fn forward(x) {
        l1(x)
    }
}

fn main() {}
