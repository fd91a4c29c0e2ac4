// What a layer size may not be: each refused at the offending tokens,
// saying what is allowed (literals, constructor arguments, `const`s and
// `+ - * /` of them).
use dezero::prelude::*;

model! {
    struct Net(h: usize) {
        l1: Linear(h % 3),
        l2: Linear(h.pow(2)),
        l3: Linear(h / 0),
        l4: Linear(2 - 3),
        l5: Linear(4 / 8),
        l6: Linear(hidden),
    }
    fn forward(x) {
        l6(l5(l4(l3(l2(l1(x))))))
    }
}

fn main() {}
