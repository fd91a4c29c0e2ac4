//! Plain array routines: the one numerical source of truth.
//!
//! The define-by-run Functions and the code that `model!` generates both
//! call these, so the two paths compute the same numbers the same way. The
//! routines write into caller-provided buffers where the compiled path needs
//! to avoid allocation, and never allocate unless their name says so
//! (`*_new`) — apart from a per-thread scratch buffer that grows to the
//! largest size asked for and is then reused.

mod activation;
mod dense;
mod elementwise;
mod entry;
mod gemm;
mod logsumexp;
mod loss;
mod product;
mod reduce;
mod simd;
pub(crate) mod threads;

pub use activation::*;
pub use dense::*;
pub use elementwise::*;
pub(crate) use entry::Kernels;
pub use gemm::*;
pub use logsumexp::*;
pub use loss::*;
pub use reduce::*;
pub use simd::{isa, madd, Isa};
pub use threads::{set_threads, threads, PARALLEL_MIN_WORK};
