//! Fuzzes the weights loader with arbitrary bytes as an `.npz` file: opening
//! it, loading it into models (one whose `W`s take any shape, one of fixed
//! shape and another element type), and reading every array it lists.
//! Errors are expected; a panic, an abort, a timeout or an allocation past
//! libFuzzer's limit is a bug.
//!
//! Seeds: `fuzz/seeds/load_weights` (and the `.npz` fixtures, which
//! `scripts/fuzz.sh` adds).

#![no_main]

use std::io::Cursor;

use dezero_runtime::io::{load_weights_from, NpzFile};
use dezero_runtime::layers::Linear;
use dezero_runtime::models::MLP;
use dezero_runtime::random::RandomState;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut file) = NpzFile::from_reader(Cursor::new(data), "fuzz.npz") else {
        return;
    };
    // Lazy `W`s accept any `[_, out_size]`: only the size checks stand
    // between a header's claim and an allocation.
    let lazy = MLP::<f32>::new(&[10, 3]);
    let _ = load_weights_from(&lazy, &mut file);
    let fixed = Linear::<f64>::with_in_rng(2, 10, &mut RandomState::new(0));
    let _ = load_weights_from(&fixed, &mut file);
    for name in file.names().unwrap_or_default() {
        let _ = file.array::<f32>(&name);
        let _ = file.array::<f64>(&name);
        let _ = file.array::<i64>(&name);
        let _ = file.array::<bool>(&name);
    }
});
