//! # dezero
//!
//! DeZero — the framework built step by step in "Deep Learning from Scratch 3"
//! — in Rust: define-by-run autograd with the book's names, and (from the
//! `model!` macro) a static-graph compiler.
//!
//! This crate is the facade: it re-exports [`dezero_runtime`].

pub use dezero_runtime::*;
