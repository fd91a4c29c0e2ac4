//! Runtime support for the code that `model!` generates: the workspace its
//! buffers live in (`workspace.rs`), where parameter gradients go
//! (`grads.rs`), the trait a compiled model implements so that another
//! compiled model can nest it and a define-by-run graph can call it, with
//! the define-by-run node whose backward is the fused backward (`model.rs`),
//! the plan description a compiled model prints (`plan.rs`), and the
//! non-finite check of its passes (`check.rs`).
//!
//! Users meet these types through a compiled model's methods
//! (`plan()`, `forward`); the generated code reaches them through
//! `dezero::__private`.

mod check;
mod grads;
mod model;
mod plan;
mod workspace;

pub use check::*;
pub use grads::*;
pub use model::*;
pub use plan::*;
pub use workspace::*;
