//! Helpers shared by the integration tests: reading the reference fixtures
//! written by the original DeZero, and comparing numbers.

#![allow(dead_code, reason = "each test file uses a different subset")]

pub mod cases;
pub mod tools;

use std::path::PathBuf;

use dezero::io::NpzFile;
use ndarray::ArrayD;

/// Path of a file in `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name)
}

/// Opens a fixture archive.
pub fn npz(name: &str) -> NpzFile {
    NpzFile::open(fixture(name)).unwrap_or_else(|e| panic!("cannot open fixture {name}: {e}"))
}

/// Reads an f64 array from a fixture archive.
pub fn f64_array(f: &mut NpzFile, key: &str) -> ArrayD<f64> {
    f.array::<f64>(key)
        .unwrap_or_else(|e| panic!("fixture key {key}: {e}"))
}

/// Asserts `|a - b| <= rtol * |b|` elementwise (b is the reference), with a
/// message naming `what` and the first offending index.
pub fn assert_close_rel(what: &str, a: &ArrayD<f64>, b: &ArrayD<f64>, rtol: f64) {
    assert_eq!(a.shape(), b.shape(), "{what}: shapes differ");
    for (i, (x, y)) in a.iter().zip(b.iter()).enumerate() {
        let err = (x - y).abs();
        assert!(
            err <= rtol * y.abs() || err == 0.0,
            "{what}[{i}]: got {x:e}, reference {y:e} (relative error {:e} > {rtol:e})",
            err / y.abs()
        );
    }
}
