use dezero::prelude::*;

model! {
    struct Net {
        l1: Linear(10),
        l2: Linear(1),
    }
    fn forward(x) {
        let h = l1(x)
        l2(h)
    }
}

fn main() {}
