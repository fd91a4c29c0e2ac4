use dezero::prelude::*;

model! {
    struct Net {
        l1: Linear(10),
        l2: Linear(1),
    }
    fn forward(x) {
        let h = sigmoid(l1(x));
        let unused = relu(h);
        l2(h)
    }
}

fn main() {}
