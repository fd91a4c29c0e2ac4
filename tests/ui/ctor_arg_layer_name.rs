use dezero::prelude::*;

model! {
    struct Net(l1: usize) {
        l1: Linear(5),
        l2: Linear(l1),
    }
    fn forward(x) {
        l2(l1(x))
    }
}

fn main() {}
