// Independent mistakes are all reported at once, each at its own token:
// two in the declarations and bodies, one syntax error in `fn loss`.
use dezero::prelude::*;

model! {
    struct Net {
        l1: Linear(0),
        l2: Linear(1),
    }
    fn forward(x) {
        l2(sigmod(l1(x)))
    }
    fn loss(y, t) {
        mean_squared_error(y, t);
    }
}

fn main() {}
