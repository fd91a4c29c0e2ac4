//! Plain array routines: the one numerical source of truth.
//!
//! The define-by-run Functions and the code that `model!` generates both
//! call these, so the two paths compute the same numbers the same way. The
//! routines write into caller-provided buffers where the compiled path needs
//! to avoid allocation, and never allocate unless their name says so
//! (`*_new`).

mod activation;
mod dense;
mod gemm;
mod logsumexp;
mod loss;
mod reduce;
mod simd;

pub use activation::*;
pub use dense::*;
pub use gemm::*;
pub use logsumexp::*;
pub use loss::*;
pub use reduce::*;
pub use simd::{isa, madd, Isa};
