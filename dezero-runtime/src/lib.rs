//! The runtime of dezero-rs: arrays, autograd, layers, optimizers, kernels.
//!
//! Most users depend on the `dezero` facade crate, which re-exports this one
//! together with the `model!` compiler.

pub mod arith;
pub mod config;
pub mod error;
pub mod format;
pub mod function;
pub mod io;
pub mod functions;
pub mod kernels;
pub mod layers;
pub mod random;
pub mod scalar;
pub mod variable;

pub use config::{no_grad, test_mode, using_backprop, Config, ConfigGuard};
pub use error::{Error, Result};
pub use function::{apply, apply1, Function};
pub use layers::{Layer, ParamVisitor};
pub use scalar::Scalar;
pub use variable::{BackwardOptions, Parameter, Variable};
