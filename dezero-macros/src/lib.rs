//! The `model!` compiler of dezero-rs: declared layers and a forward
//! expression in, a struct with a fused, allocation-free training pass out.
//!
//! Use it through the `dezero` facade (`dezero::model`), whose
//! documentation describes the language and the generated API with runnable
//! examples. This crate holds the compiler, one stage a file:
//! `parse` → `check` → `ir` (lowering) → `shape` → `autodiff` → `fuse` →
//! `plan` → `emit`, driven by `expand`, with errors collected by `ctxt`
//! and a stub type from `fallback` emitted beside them.

#![warn(missing_docs)]

mod autodiff;
mod check;
mod ctxt;
mod emit;
mod emit_check;
mod emit_impl;
mod emit_pass;
mod emit_step;
mod expand;
mod fallback;
mod fuse;
mod ir;
mod parse;
mod plan;
mod program;
mod shape;

/// Compiles a model declaration into a struct with fused training and
/// inference passes; see the `dezero` crate's documentation.
#[proc_macro]
pub fn model(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    expand::model(input.into()).into()
}
