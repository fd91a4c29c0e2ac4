//! Fuzzes the `model!` compiler with arbitrary text as the macro's input:
//! the bytes, if they are UTF-8 and lex as Rust tokens, go through
//! `dezero_compiler::expand`, the function the macro calls (parse, check,
//! lowering, shapes, autodiff, fusion, planning and emission). Mistakes are
//! expected and become `compile_error!` tokens; a panic, an abort, a stack
//! overflow or a timeout is a bug, since in the macro it would be an
//! internal compiler error in the user's build.
//!
//! Seeds: `fuzz/seeds/model_dsl`, the bodies of every `model! { ... }` in
//! the examples, benches, `tests/compiled_*.rs`, `tests/prop_compiled.rs`,
//! the facade's documentation and `tests/ui/*.rs` (valid models and one of
//! each mistake), written by `scripts/model_dsl_seeds.py`;
//! `dezero-macros/compiler/tests/seeds.rs` expands them all in the ordinary
//! test run. Dictionary: `fuzz/model_dsl.dict`.

#![no_main]

use std::str::FromStr;

use libfuzzer_sys::fuzz_target;
use proc_macro2::TokenStream;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Text that does not lex never reaches a macro: rustc rejects it first.
    let Ok(tokens) = TokenStream::from_str(text) else {
        return;
    };
    let _ = dezero_compiler::expand(tokens);
});
