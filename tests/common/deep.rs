//! The comparison harness's W3 model declared with `model!`, shared by the
//! two-thread tests that include this file (`#[path]`).

use dezero::prelude::*;

model! {
    /// W3's shape: three relu layers of `width`, then one output.
    pub struct Deep(width: usize) {
        l1: Linear(width),
        l2: Linear(width),
        l3: Linear(width),
        l4: Linear(1),
    }
    fn forward(x) {
        let h = relu(l1(x));
        let h = relu(l2(h));
        let h = relu(l3(h));
        l4(h)
    }
    fn loss(y, t) {
        mean_squared_error(y, t)
    }
}
