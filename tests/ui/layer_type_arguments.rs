// A layer written with its element type: one error at `<f32>`; the field
// is still declared, so the code using it compiles against the stub.
use dezero::prelude::*;

model! {
    struct Net(hidden_size: usize) {
        l1: Linear<f32>(hidden_size),
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
