// A layer written as Rust's constructor call: one error saying how the
// language declares it.
use dezero::prelude::*;

model! {
    struct Net(hidden_size: usize) {
        l1: Linear::new(hidden_size),
        l2: Linear(1),
    }
    fn forward(x) {
        l2(relu(l1(x)))
    }
}

fn main() {
    let model = Net::<f32>::new(10);
    println!("{:?}", model.l1.w.shape());
}
