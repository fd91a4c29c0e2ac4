use dezero::prelude::*;

model! {
    struct Net(hidden_size: usize)
}

fn main() {}
