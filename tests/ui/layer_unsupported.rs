// DeZero's layers that the language does not have: an error at each,
// listing the layer kinds it has.
use dezero::prelude::*;

model! {
    struct Net {
        conv: Conv2d(16, 3),
        norm: BatchNorm(),
        l1: Linear(10),
    }
    fn forward(x) {
        l1(norm(conv(x)))
    }
}

fn main() {}
