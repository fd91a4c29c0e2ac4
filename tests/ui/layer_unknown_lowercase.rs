use dezero::prelude::*;

model! {
    struct Net {
        l1: dense(10),
    }
    fn forward(x) {
        l1(x)
    }
}

fn main() {}
