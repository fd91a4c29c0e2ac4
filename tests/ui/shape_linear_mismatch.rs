use dezero::prelude::*;

model! {
    struct Net {
        l1: Linear(3, 4),
        l2: Linear(5, 1),
    }
    fn forward(x) {
        let h = relu(l1(x));
        l2(h)
    }
}

fn main() {}
