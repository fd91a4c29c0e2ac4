//! The `model!` macro of dezero-rs: declared layers and a forward
//! expression in, a struct with a fused, allocation-free training pass out.
//!
//! Use it through the `dezero` facade (`dezero::model`), whose
//! documentation describes the language and the generated API with runnable
//! examples. This crate is only the entry point: the compiler is the
//! ordinary library `dezero-compiler` (in `dezero-macros/compiler/`), so
//! that tests and the fuzzer can call it.

#![warn(missing_docs)]

/// Compiles a model declaration into a struct with fused training and
/// inference passes; see the `dezero` crate's documentation.
#[proc_macro]
pub fn model(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    dezero_compiler::expand(input.into()).into()
}
