//! Compile errors of `model!`: each case under `tests/ui/` is one mistake,
//! and its `.stderr` (generated with `TRYBUILD=overwrite`, then reviewed)
//! shows the error under the offending token, saying what would be right.
//!
//! Cases are named by kind of mistake: `syntax_*` (the grammar), `layer_*`
//! (the fields), `linear_*` (the arguments of `Linear`), `ctor_*` (the
//! constructor arguments), `forward_*` and `loss_*` (the two functions),
//! `shape_*` (widths that provably disagree). `many_mistakes` shows that
//! independent mistakes are all reported at once; `no_cascade*` that the
//! stub emitted beside the errors keeps the user's other code free of
//! secondary errors.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
