// A nested model given arguments its declaration does not take: one error
// at the nested type, naming the arguments it takes.
use dezero::prelude::*;

model! {
    struct Block(width: usize) {
        l1: Linear(width),
    }
    fn forward(x) {
        relu(l1(x))
    }
}

model! {
    struct Net(hidden_size: usize) {
        block: Block(hidden_size, 4),
        l2: Linear(1),
    }
    fn forward(x) {
        l2(block(x))
    }
    fn loss(y, t) {
        mean_squared_error(y, t)
    }
}

fn main() {
    let _ = Net::<f32>::new(3);
}
