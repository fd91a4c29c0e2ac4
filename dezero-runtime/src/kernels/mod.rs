//! Plain array routines: the one numerical source of truth.
//!
//! The define-by-run Functions and the code that `model!` generates both
//! call these, so the two paths compute the same numbers the same way. The
//! routines write into caller-provided buffers where the compiled path needs
//! to avoid allocation, and never allocate unless their name says so
//! (`*_new`).

mod activation;
mod gemm;
mod loss;
mod reduce;

pub use activation::*;
pub use gemm::*;
pub use loss::*;
pub use reduce::*;
