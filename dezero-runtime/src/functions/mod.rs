//! DeZero's `functions.py`, one file per section: each op is a `Function`
//! (`Sigmoid`) with a lowercase wrapper (`sigmoid`), forward and backward
//! side by side.

mod matmul;
mod sum;
mod tensor;

pub use matmul::*;
pub use sum::*;
pub use tensor::*;
