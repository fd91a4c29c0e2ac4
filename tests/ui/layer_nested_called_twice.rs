use dezero::prelude::*;

model! {
    struct Block {
        l1: Linear(4, 4),
    }
    fn forward(x) {
        tanh(l1(x))
    }
}

model! {
    struct Net {
        block: Block(),
        out: Linear(1),
    }
    fn forward(x) {
        out(block(block(x)))
    }
}

fn main() {}
