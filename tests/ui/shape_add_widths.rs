use dezero::prelude::*;

model! {
    struct Net {
        a: Linear(10),
        b: Linear(5),
        out: Linear(1),
    }
    fn forward(x) {
        out(a(x) + b(x))
    }
}

fn main() {}
