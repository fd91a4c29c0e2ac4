//! Fuzzes the `.npy` side of the weights loader: the input is the content
//! of the entry `l0/W.npy` of an otherwise valid stored archive, so that
//! mutations reach the header's claims (shape, dtype, order, lengths)
//! instead of breaking the zip layer around them. The model's `W` takes any
//! `[_, 10]`, so only the size checks stand between a header's claim and an
//! allocation. Errors are expected; a panic, an abort, a timeout or an
//! allocation past libFuzzer's limit is a bug.
//!
//! Seeds: `fuzz/seeds/npy_entry` (and the `.npy` fixtures, which
//! `scripts/fuzz.sh` adds).

#![no_main]

use std::io::{Cursor, Write};

use dezero_runtime::io::{load_weights_from, NpzFile};
use dezero_runtime::models::MLP;
use libfuzzer_sys::fuzz_target;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

fuzz_target!(|data: &[u8]| {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    if zip.start_file("l0/W.npy", stored).is_err() || zip.write_all(data).is_err() {
        return;
    }
    let Ok(archive) = zip.finish() else {
        return;
    };
    let Ok(mut file) = NpzFile::from_reader(Cursor::new(archive.into_inner()), "fuzz.npz") else {
        return;
    };
    let lazy = MLP::<f32>::new(&[10, 3]);
    let _ = load_weights_from(&lazy, &mut file);
    let _ = file.array::<f32>("l0/W");
    let _ = file.array::<f64>("l0/W");
    let _ = file.array::<bool>("l0/W");
});
