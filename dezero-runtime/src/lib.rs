//! The runtime of dezero-rs: arrays, autograd, layers, optimizers, kernels.
//!
//! Most users depend on the `dezero` facade crate, which re-exports this one
//! together with the `model!` compiler.

#![warn(missing_docs)]

pub mod arith;
pub mod compiled;
pub mod config;
pub mod datasets;
pub mod error;
pub mod finite;
pub mod format;
pub mod function;
pub mod functions;
pub mod graph;
pub mod io;
pub mod kernels;
pub mod layers;
pub mod models;
pub mod optimizers;
pub mod random;
pub mod scalar;
pub mod utils;
pub mod variable;
mod vjp;

pub use config::{
    check_finite, no_grad, test_mode, using_backprop, using_check_finite, Config, ConfigGuard,
};
pub use error::{Error, Result};
pub use function::{apply, apply1, Function};
pub use layers::{Layer, Linear, ParamVisitor};
pub use models::{Model, Sequential, MLP};
pub use optimizers::{
    AdaDelta, AdaGrad, Adam, ClipGrad, Hook, MomentumSGD, Optimizer, WeightDecay, SGD,
};
pub use scalar::Scalar;
pub use variable::{BackwardOptions, Parameter, Variable};
