//! The fuzzer's seed corpus (`fuzz/seeds/model_dsl`) through [`expand`] in
//! the ordinary test run, so that the corpus cannot rot without nightly:
//! every seed lexes and expands without a panic, the valid models (every
//! seed not taken from `tests/ui/`) without an error, and every compile-fail
//! case of `tests/ui/` has its seed. `scripts/model_dsl_seeds.py` writes
//! the corpus.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use dezero_compiler::expand;
use proc_macro2::TokenStream;

/// The repository's root, two levels above this crate.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every seed file, by name, with its text.
fn seeds() -> Vec<(String, String)> {
    let dir = root().join("fuzz/seeds/model_dsl");
    let mut seeds: Vec<(String, String)> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("a directory entry").path();
            let name = path
                .file_name()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            let text = fs::read_to_string(&path).expect("a UTF-8 seed");
            (name, text)
        })
        .collect();
    seeds.sort();
    seeds
}

#[test]
fn every_seed_expands_and_the_valid_ones_cleanly() {
    let seeds = seeds();
    assert!(seeds.len() >= 90, "only {} seeds", seeds.len());
    for (name, text) in &seeds {
        let tokens: TokenStream = text
            .parse()
            .unwrap_or_else(|e| panic!("{name} does not lex: {e}"));
        let out = expand(tokens).to_string();
        if !name.starts_with("ui_") {
            assert!(!out.contains("compile_error"), "{name}: {out}");
            assert!(out.contains("struct"), "{name}: {out}");
        }
    }
}

#[test]
fn every_ui_case_has_a_seed() {
    let names: BTreeSet<String> = seeds().into_iter().map(|(name, _)| name).collect();
    let ui = root().join("tests/ui");
    for entry in fs::read_dir(&ui).unwrap_or_else(|e| panic!("{}: {e}", ui.display())) {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|ext| ext == "rs") {
            let stem = path.file_stem().expect("a file stem").to_string_lossy();
            let seed = format!("ui_{stem}.model");
            assert!(
                names.contains(&seed),
                "no seed {seed} for {}",
                path.display()
            );
        }
    }
}
