//! A residual block declared with `model!`, nested inside the models of the
//! compiled-model tests that include this file (`#[path]`).

use dezero::prelude::*;

model! {
    /// A residual block: `tanh(l1(x)) + x`, nested by other models.
    pub struct Block(width: usize) {
        l1: Linear(width),
    }
    fn forward(x) {
        tanh(l1(x)) + x
    }
}
