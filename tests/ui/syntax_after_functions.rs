use dezero::prelude::*;

model! {
    struct Net {
        l1: Linear(1),
    }
    fn forward(x) {
        l1(x)
    }
    loss(y, t) {
        mean_squared_error(y, t)
    }
}

fn main() {
    let _ = Net::<f32>::new();
}
