use dezero::prelude::*;

model! {
    struct Net {
        l1: Linear(3, 4),
        l2: Linear(5, 1),
        a: Linear(1),
        b: Linear(2),
    }
    fn forward(x) {
        let h = relu(l1(x));
        l2(h) * a(x) + b(x)
    }
}

fn main() {}
