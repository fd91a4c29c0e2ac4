use dezero::prelude::*;

model! {
    struct Net(size: usize, size: usize) {
        l1: Linear(size),
        l2: Linear(1),
    }
    fn forward(x) {
        l2(sigmoid(l1(x)))
    }
}

fn main() {
    // The stub keeps the call below free of a second error.
    let _ = Net::<f32>::new(10, 1);
}
