//! Compile errors of `model!`: each case under `tests/ui/` is one mistake,
//! and its `.stderr` (generated with `TRYBUILD=overwrite`, then reviewed)
//! shows the error under the offending token, saying what would be right.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
