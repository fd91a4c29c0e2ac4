use dezero::prelude::*;

model! {
    struct Net {
    }
    fn forward(x) {
        x
    }
}

fn main() {}
