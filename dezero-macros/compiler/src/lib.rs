//! The compiler behind dezero-rs's `model!` macro: declared layers and a
//! forward expression in, a struct with a fused, allocation-free training
//! pass out.
//!
//! A proc-macro crate can export nothing but macros, so the compiler lives
//! here, as an ordinary library: `dezero-macros` is a shim that calls
//! [`expand`], and tests and the fuzzer (`fuzz/fuzz_targets/model_dsl.rs`)
//! call it directly on token streams. Use the macro through the `dezero`
//! facade (`dezero::model`), whose module `dezero::model_reference` describes
//! the language and the generated API with tested examples.
//!
//! One stage a file: `parse` → `check` → `ir` (lowering) → `shape` →
//! `autodiff` → `fuse` → `plan` → `emit`, driven by `expand`, with errors
//! collected by `ctxt` and a stub type from `fallback` emitted beside them;
//! `nesting` bounds how deeply the input nests, so that no stage's
//! recursion can overflow the stack.

#![warn(missing_docs)]

mod autodiff;
mod check;
mod ctxt;
mod emit;
mod emit_api;
mod emit_check;
mod emit_impl;
mod emit_memory;
mod emit_pass;
mod emit_step;
mod expand;
mod fallback;
mod fuse;
mod ir;
mod nesting;
mod parse;
mod plan;
mod program;
mod shape;

use proc_macro2::TokenStream;

/// Expands the input of one `model!` invocation (the tokens between its
/// braces) into the generated items, exactly as the macro does.
///
/// Never fails: a mistake in the input becomes `compile_error!` invocations
/// spanned at the offending tokens, beside a stub of the declared type (when
/// the input parsed far enough to name one) so that the user's other code
/// does not drown in secondary errors.
///
/// # Examples
///
/// ```
/// let input: proc_macro2::TokenStream = "
///     pub struct Net { l1: Linear(1) }
///     fn forward(x) { l1(x) }
/// "
/// .parse()
/// .expect("lexes");
/// let out = dezero_compiler::expand(input).to_string();
/// assert!(out.contains("struct Net"));
/// assert!(!out.contains("compile_error"));
///
/// let bad: proc_macro2::TokenStream = "pub struct Net { l1: Linear(0) } fn forward(x) { l1(x) }"
///     .parse()
///     .expect("lexes");
/// assert!(dezero_compiler::expand(bad).to_string().contains("compile_error"));
/// ```
pub fn expand(input: TokenStream) -> TokenStream {
    expand::model(input)
}
