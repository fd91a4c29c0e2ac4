//! DeZero's `functions.py`, one file per section: each op is a `Function`
//! (`Sigmoid`) with a lowercase wrapper (`sigmoid`), forward and backward
//! side by side.

mod activation;
mod basic;
mod checks;
mod clip;
mod loss;
mod matmul;
mod minmax;
mod sum;
mod tensor;

pub use activation::*;
pub use basic::{cos, exp, log, sin, tanh, Cos, Exp, Log, Sin, Tanh};
pub use clip::*;
pub use loss::*;
pub use matmul::*;
pub use minmax::*;
pub use sum::*;
pub use tensor::*;
