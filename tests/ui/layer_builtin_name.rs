use dezero::prelude::*;

model! {
    struct Net {
        relu: Linear(10),
        l2: Linear(1),
    }
    fn forward(x) {
        l2(relu(x))
    }
}

fn main() {}
