//! The book's TwoLayerNet (step 45) declared with `model!`, shared by the
//! compiled-model tests that include this file (`#[path]`), so that each
//! test binary that needs it compiles it once and the others not at all.

use dezero::prelude::*;

model! {
    /// The book's TwoLayerNet (step 45).
    pub struct TwoLayerNet(hidden_size: usize, out_size: usize) {
        l1: Linear(hidden_size),
        l2: Linear(out_size),
    }
    fn forward(x) {
        let y = sigmoid(l1(x));
        l2(y)
    }
    fn loss(y, t) {
        mean_squared_error(y, t)
    }
}
