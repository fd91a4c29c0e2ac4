use dezero::prelude::*;

model! {
    struct Net {
        l1: Linear(1),
    }
    fn forward(x) {
        l1(x)
    }
    fn loss(y, t) {
        mean_squared_error(y, sigmoid(t))
    }
}

fn main() {}
