// A misspelt nested model type: one error, at the type, with rustc's
// suggestion of the model declared above.
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
        block: Blok(hidden_size),
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
