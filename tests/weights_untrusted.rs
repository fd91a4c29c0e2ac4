//! Weights files as untrusted input: truncated, corrupted, not a zip, zip
//! entries that are not `.npy` arrays, headers claiming absurd shapes,
//! wrong dtypes, big-endian and Fortran-order arrays, missing and unexpected
//! keys. Every one gives an `Err` naming the key and what is wrong (or loads
//! the right values), never a panic, an abort or a huge allocation; a failed
//! load leaves the model as it was. A save killed midway leaves the
//! previous file loadable. Inputs the fuzzers (`fuzz/`) found stay refused.
//!
//! Each test prints how many bad inputs of its kind it tried (run with
//! `--nocapture` to see the counts). Files that NumPy writes are made by
//! `$DEZERO_PYTHON` (default `python3`), which needs NumPy; without it that
//! test says so and passes, unless `DEZERO_REQUIRE_TOOLS=1`
//! (`tests/common/tools.rs`).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{BufRead, BufReader, Cursor};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::fixture;
use dezero::io::{load_weights, load_weights_from, save_weights, NpzFile, WeightProblem};
use dezero::layers::Linear;
use dezero::models::MLP;
use dezero::{random, Error, Layer, Variable};
use ndarray::{ArrayD, IxDyn};

// ---------------------------------------------------------------------------
// Measuring allocations
// ---------------------------------------------------------------------------

/// The system allocator, noting the largest single request of each thread
/// since [`largest_allocation_since`] last reset it.
struct Measured;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to `System`; the bookkeeping
// only touches a thread-local `Cell` that has no destructor and does not
// allocate.
unsafe impl GlobalAlloc for Measured {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: as for `dealloc`, and `new_size` is the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn note(size: usize) {
    let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
}

#[global_allocator]
static ALLOCATOR: Measured = Measured;

/// Runs `f` and returns its result with the largest single allocation this
/// thread requested meanwhile.
fn largest_allocation_since<R>(f: impl FnOnce() -> R) -> (R, usize) {
    LARGEST.with(|l| l.set(0));
    let r = f();
    (r, LARGEST.with(Cell::get))
}

// ---------------------------------------------------------------------------
// The model, its true weights, and what a load may do to it
// ---------------------------------------------------------------------------

/// The keys and shapes of `MLP((10, 3))` on 2 inputs.
const KEYS: [(&str, &[usize]); 4] = [
    ("l0/W", &[2, 10]),
    ("l0/b", &[10]),
    ("l1/W", &[10, 3]),
    ("l1/b", &[3]),
];

/// The `k`-th key's true weights: `arange(n).reshape(shape) * 0.5 - k`,
/// exact in float32 (the Python script below writes the same).
fn truth_of(k: usize) -> ArrayD<f32> {
    let shape = KEYS[k].1;
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|i| i as f32 * 0.5 - k as f32).collect();
    ArrayD::from_shape_vec(IxDyn(shape), v).expect("shape fits")
}

fn truth() -> Vec<ArrayD<f32>> {
    (0..KEYS.len()).map(truth_of).collect()
}

/// A model with every parameter set, to values that differ from the truth.
fn fixed_model() -> MLP<f32> {
    let m = MLP::new(&[10, 3]);
    let _ = m.forward(&Variable::new(ArrayD::zeros(IxDyn(&[1, 2]))));
    for (k, (_, p)) in m.named_params().iter().enumerate() {
        p.set_data(truth_of(k).mapv(|v| v + 100.0));
    }
    m
}

/// A model whose `W`s have no data yet: they take any `[_, out_size]`.
fn lazy_model() -> MLP<f32> {
    MLP::new(&[10, 3])
}

/// Every parameter's data, `None` where there is none.
fn snapshot(m: &MLP<f32>) -> Vec<Option<ArrayD<f32>>> {
    m.params()
        .iter()
        .map(|p| p.has_data().then(|| p.to_array()))
        .collect()
}

/// How one load ended.
#[derive(Debug)]
enum Outcome {
    /// The file loaded into both models, with exactly the true weights.
    Loaded,
    /// The load failed and left the models as they were: the fixed model's
    /// error, and the lazy model's.
    Refused(Error, Error),
}

/// Loads `bytes` into a fixed and a lazy model and lists and reads every
/// array, checking that a load either gives the true weights or fails
/// leaving the model untouched. A panic is re-raised after the input is
/// written to the target directory for reproduction.
fn try_bytes(kind: &str, i: usize, bytes: &[u8]) -> Outcome {
    let load = |m: &MLP<f32>, what: &str| -> Result<(), Error> {
        let before = snapshot(m);
        let result = NpzFile::from_reader(Cursor::new(bytes), format!("{kind}#{i}"))
            .and_then(|mut f| load_weights_from(m, &mut f));
        match &result {
            Ok(()) => {
                let got: Vec<_> = snapshot(m).into_iter().flatten().collect();
                assert_eq!(
                    got,
                    truth(),
                    "{kind}#{i}: the {what} model loaded other weights"
                );
            }
            Err(_) => assert_eq!(
                snapshot(m),
                before,
                "{kind}#{i}: a failed load changed the {what} model"
            ),
        }
        result
    };
    let run = || {
        let fixed = load(&fixed_model(), "fixed");
        let lazy = load(&lazy_model(), "lazy");
        if let Ok(mut f) = NpzFile::from_reader(Cursor::new(bytes), "listing") {
            for name in f.names().unwrap_or_default() {
                let _ = f.array::<f32>(&name);
                let _ = f.array::<f64>(&name);
                let _ = f.array::<bool>(&name);
            }
        }
        match (fixed, lazy) {
            (Ok(()), Ok(())) => Outcome::Loaded,
            (Err(f), Err(l)) => Outcome::Refused(f, l),
            (f, l) => panic!("{kind}#{i}: fixed model {f:?}, lazy model {l:?}"),
        }
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(o) => o,
        Err(panic) => {
            let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("untrusted-failures");
            let _ = std::fs::create_dir_all(&dir);
            let file = dir.join(format!("{kind}-{i}.npz"));
            let _ = std::fs::write(&file, bytes);
            eprintln!("input {kind}#{i} panicked; saved to {}", file.display());
            resume_unwind(panic)
        }
    }
}

/// [`try_bytes`] for an input that must be refused; returns both models'
/// messages, one a line.
fn refused(kind: &str, i: usize, bytes: &[u8]) -> String {
    match try_bytes(kind, i, bytes) {
        Outcome::Refused(f, l) => format!("{f}\n{l}"),
        Outcome::Loaded => panic!("{kind}#{i}: a bad file loaded"),
    }
}

/// The fixed model's problems with a file that must fail with
/// [`Error::WeightKeys`].
fn problems(kind: &str, bytes: &[u8]) -> Vec<WeightProblem> {
    match try_bytes(kind, 0, bytes) {
        Outcome::Refused(Error::WeightKeys { problems, .. }, _) => problems,
        other => panic!("{kind}: expected Error::WeightKeys, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Making files: .npy entries and zip archives by hand
// ---------------------------------------------------------------------------

/// An `.npy` file of format 1.0 with the header dictionary `dict`, padded
/// as NumPy pads it, followed by `data`.
fn npy_raw(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut header = dict.as_bytes().to_vec();
    let unpadded = 10 + header.len() + 1;
    header.resize(header.len() + (64 - unpadded % 64) % 64, b' ');
    header.push(b'\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(
        &u16::try_from(header.len())
            .expect("short header")
            .to_le_bytes(),
    );
    out.extend_from_slice(&header);
    out.extend_from_slice(data);
    out
}

/// An `.npy` file with the given descriptor, order and shape text.
fn npy(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
    let order = if fortran { "True" } else { "False" };
    npy_raw(
        &format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape}, }}"),
        data,
    )
}

/// A little-endian float32 `.npy` file of `a`.
fn npy_f32(a: &ArrayD<f32>) -> Vec<u8> {
    let data: Vec<u8> = a.iter().flat_map(|v| v.to_le_bytes()).collect();
    npy("<f4", false, &shape_text(a.shape()), &data)
}

/// Python's text for a shape tuple.
fn shape_text(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// One zip entry, stored as given.
#[derive(Clone)]
struct Entry {
    name: Vec<u8>,
    data: Vec<u8>,
    /// The compression method field (0: stored, 8: deflate).
    method: u16,
    /// The general-purpose flags (bit 0: encrypted).
    flags: u16,
    /// The declared uncompressed size, when it is to lie.
    size: Option<u32>,
    /// The declared compressed size, when it is to lie.
    compressed: Option<u32>,
}

fn entry(name: &str, data: Vec<u8>) -> Entry {
    Entry {
        name: name.as_bytes().to_vec(),
        data,
        method: 0,
        flags: 0,
        size: None,
        compressed: None,
    }
}

/// The entries of a stored `.npz` of the true weights.
fn stored_truth() -> Vec<Entry> {
    KEYS.iter()
        .enumerate()
        .map(|(k, (key, _))| entry(&format!("{key}.npy"), npy_f32(&truth_of(k))))
        .collect()
}

/// A zip archive of `entries` (local headers, data, central directory).
fn zip(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let offset = out.len() as u32;
        let crc = crc32(&e.data);
        let len = e.data.len() as u32;
        let fields = |out: &mut Vec<u8>| {
            out.extend_from_slice(&e.flags.to_le_bytes());
            out.extend_from_slice(&e.method.to_le_bytes());
            out.extend_from_slice(&[0, 0, 0x21, 0]); // time, date (1980-01-01)
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&e.compressed.unwrap_or(len).to_le_bytes());
            out.extend_from_slice(&e.size.unwrap_or(len).to_le_bytes());
            out.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes()); // extra field length
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes()); // version needed
        fields(&mut out);
        out.extend_from_slice(&e.name);
        out.extend_from_slice(&e.data);

        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        central.extend_from_slice(&20u16.to_le_bytes()); // version needed
        fields(&mut central);
        central.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(&e.name);
    }
    let (cd_offset, cd_len) = (out.len() as u32, central.len() as u32);
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // disk numbers
    let n = entries.len() as u16;
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&cd_len.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    out
}

/// CRC-32 (IEEE), as zip uses.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A small deterministic generator for mutations (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("dezero-untrusted-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    /// Entries whose names start with `.`: temporary files of saves.
    fn hidden_entries(&self) -> Vec<String> {
        std::fs::read_dir(&self.0)
            .expect("read temp dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The valid files the truncation and corruption tests start from, each
/// holding the true weights: ours (deflate), a stored archive (as
/// `np.savez` writes), and one with the entries in another order.
fn valid_files() -> Vec<(&'static str, Vec<u8>)> {
    let dir = TempDir::new("valid");
    let path = dir.join("ours.npz");
    let m = fixed_model();
    for (k, p) in m.params().iter().enumerate() {
        p.set_data(truth_of(k));
    }
    save_weights(&m, &path).expect("save");
    let ours = std::fs::read(&path).expect("read");
    let mut reordered = stored_truth();
    reordered.reverse();
    let files = vec![
        ("ours", ours),
        ("stored", zip(&stored_truth())),
        ("reordered", zip(&reordered)),
    ];
    for (name, bytes) in &files {
        assert!(
            matches!(try_bytes(name, 0, bytes), Outcome::Loaded),
            "the valid file {name} does not load"
        );
    }
    files
}

// ---------------------------------------------------------------------------
// Truncated and corrupted files
// ---------------------------------------------------------------------------

/// Every prefix of every valid file is refused (the whole file loads).
#[test]
fn truncated_files_are_refused() {
    let mut tried = 0;
    for (name, bytes) in valid_files() {
        for len in 0..bytes.len() {
            refused(&format!("truncated-{name}"), len, &bytes[..len]);
            tried += 1;
        }
    }
    // A few through the file system, as `load_weights` opens them.
    let dir = TempDir::new("truncated");
    let (_, ours) = &valid_files()[0];
    for len in (0..ours.len()).step_by(97) {
        let path = dir.join("t.npz");
        std::fs::write(&path, &ours[..len]).expect("write");
        let m = fixed_model();
        let before = snapshot(&m);
        assert!(load_weights(&m, &path).is_err(), "prefix {len} loaded");
        assert_eq!(snapshot(&m), before);
        tried += 1;
    }
    eprintln!("bad inputs tried: truncated files: {tried}");
}

/// Random byte changes either leave the weights intact (a byte the format
/// does not check, such as a timestamp) or are refused: never a panic,
/// never other weights.
#[test]
fn corrupted_files_load_exactly_or_are_refused() {
    const PER_FILE: usize = 1500;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut tried, mut refused_n) = (0, 0);
    for (name, bytes) in valid_files() {
        for i in 0..PER_FILE {
            let mut b = bytes.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(b.len());
                if rng.below(2) == 0 {
                    b[at] ^= 1 << rng.below(8);
                } else {
                    b[at] = rng.next() as u8;
                }
            }
            if let Outcome::Refused(..) = try_bytes(&format!("flipped-{name}"), i, &b) {
                refused_n += 1;
            }
            tried += 1;
        }
    }
    eprintln!(
        "bad inputs tried: corrupted files (1-4 random bytes changed): {tried} \
         ({refused_n} refused, the rest changed no checked byte and loaded exactly)"
    );
    assert!(refused_n > tried / 2, "{refused_n} of {tried} refused");
}

// ---------------------------------------------------------------------------
// Not a zip, or a zip of something else
// ---------------------------------------------------------------------------

#[test]
fn files_that_are_not_zip_archives_are_refused() {
    let mut inputs: Vec<(String, Vec<u8>)> = vec![
        ("empty".into(), vec![]),
        ("text".into(), b"not a zip archive".to_vec()),
        ("npy".into(), npy_f32(&truth_of(0))),
        (
            "gzip".into(),
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03".to_vec(),
        ),
        ("png".into(), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()),
        ("zip-magic-only".into(), b"PK\x03\x04".to_vec()),
        ("eocd-garbage".into(), {
            let mut v = b"PK\x05\x06".to_vec();
            v.extend_from_slice(&[0xff; 18]);
            v
        }),
        ("eocd-pointing-past-end".into(), {
            let mut v = b"PK\x05\x06\0\0\0\0\x01\0\x01\0".to_vec();
            v.extend_from_slice(&1000u32.to_le_bytes());
            v.extend_from_slice(&1000u32.to_le_bytes());
            v.extend_from_slice(&[0, 0]);
            v
        }),
    ];
    let mut rng = Rng(7);
    for i in 0..200 {
        let len = rng.below(2048);
        let mut v: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if i % 2 == 1 && v.len() >= 22 {
            // Random bytes that end like a zip, so that the directory is parsed.
            let at = v.len() - 22;
            v[at..at + 4].copy_from_slice(b"PK\x05\x06");
        }
        inputs.push((format!("random-{i}"), v));
    }
    for (i, (name, bytes)) in inputs.iter().enumerate() {
        let msg = refused(name, i, bytes);
        assert!(msg.starts_with(&format!("{name}#{i}: ")), "{msg}");
    }
    // And through the file system: a missing file, a directory.
    let dir = TempDir::new("notzip");
    let m = fixed_model();
    assert!(matches!(
        load_weights(&m, dir.join("missing.npz")),
        Err(Error::Io { .. })
    ));
    assert!(load_weights(&m, &dir.0).is_err());
    let garbage = dir.join("garbage.npz");
    std::fs::write(&garbage, b"garbage").expect("write");
    let e = load_weights(&m, &garbage).expect_err("garbage");
    assert!(e.to_string().contains("not a readable .npz archive"), "{e}");
    eprintln!("bad inputs tried: not a zip archive: {}", inputs.len() + 3);
}

/// Entries that are not `.npy` arrays, or that a zip reader cannot read,
/// are named.
#[test]
fn zip_entries_that_are_not_npy_arrays_are_named() {
    let with = |k: usize, e: Entry| {
        let mut es = stored_truth();
        es[k] = e;
        zip(&es)
    };
    let plus = |e: Entry| {
        let mut es = stored_truth();
        es.push(e);
        zip(&es)
    };
    let mut tried = 0;
    let mut expect = |name: &str, bytes: Vec<u8>, key: &str, says: &str| {
        let msg = refused(name, 0, &bytes);
        assert!(msg.contains(&format!("`{key}`")), "{name}: {msg}");
        assert!(msg.contains(says), "{name}: expected `{says}` in: {msg}");
        tried += 1;
    };
    expect(
        "text-entry",
        with(0, entry("l0/W.npy", b"hello, world".to_vec())),
        "l0/W",
        "not an .npy array: it does not start with the .npy magic string",
    );
    expect(
        "empty-entry",
        with(0, entry("l0/W.npy", vec![])),
        "l0/W",
        "the entry ends inside the .npy header",
    );
    expect(
        "entry-without-suffix",
        with(1, entry("l0/b", b"\x89PNG".to_vec())),
        "l0/b",
        "not an .npy array",
    );
    expect(
        "extra-text-file",
        plus(entry("README.txt", b"weights".to_vec())),
        "README.txt",
        "unexpected key `README.txt`",
    );
    expect(
        "directory-entry",
        plus(entry("l0/", vec![])),
        "l0/",
        "unexpected key `l0/`",
    );
    expect(
        "both-suffixes",
        plus(entry("l1/b", npy_f32(&truth_of(3)))),
        "l1/b",
        "is in the file twice (as `l1/b` and `l1/b.npy`)",
    );
    for method in [12u16, 14, 93, 1, 6, 9] {
        let mut e = entry("l1/W.npy", npy_f32(&truth_of(2)));
        e.method = method;
        expect(
            &format!("method-{method}"),
            with(2, e),
            "l1/W",
            "ompression method",
        );
    }
    let mut e = entry("l1/W.npy", npy_f32(&truth_of(2)));
    e.method = 8;
    expect("deflate-of-stored-bytes", with(2, e), "l1/W", "damaged");
    let mut e = entry("l1/W.npy", npy_f32(&truth_of(2)));
    e.flags = 1;
    expect("encrypted", with(2, e), "l1/W", "damaged zip entry");
    let mut e = entry("l1/W.npy", npy_f32(&truth_of(2)));
    e.data.push(0);
    expect(
        "trailing-byte",
        with(2, e),
        "l1/W",
        "(120 bytes), but the entry holds 121 bytes",
    );
    // AES needs an extra field; without it the directory itself is refused.
    let mut e = entry("l1/W.npy", npy_f32(&truth_of(2)));
    e.method = 99;
    let msg = refused("method-99", 0, &with(2, e));
    assert!(msg.contains("not a readable .npz archive"), "{msg}");
    tried += 1;
    eprintln!("bad inputs tried: zip entries that are not .npy arrays: {tried}");
}

// ---------------------------------------------------------------------------
// Headers that lie
// ---------------------------------------------------------------------------

/// Headers claiming far more data than the entry holds are refused before
/// memory for the data is allocated: no allocation comes near the claim.
#[test]
fn absurd_shapes_are_refused_before_allocating() {
    const LIMIT: usize = 1 << 20;
    let f4 = |shape: &str| npy("<f4", false, shape, &[0; 40]);
    let cases: Vec<(&str, usize, Vec<u8>, &str)> = vec![
        // The lazy `W` takes any [_, 10]: only the size check stands
        // between this header and a 40 TiB allocation.
        ("2^40 rows", 0, f4("(1099511627776, 10)"), "1099511627776"),
        ("2^40 elements", 1, f4("(1099511627776,)"), "l0/b"),
        (
            "overflowing",
            0,
            f4("(4611686018427387904, 10)"),
            "more bytes than memory",
        ),
        (
            "2^64-1",
            0,
            f4("(18446744073709551615, 10)"),
            "more bytes than memory",
        ),
        ("2^64", 1, f4("(18446744073709551616,)"), "bad header"),
        ("negative", 1, f4("(-1,)"), "bad header"),
        (
            "product overflows",
            0,
            f4("(4294967296, 4294967296, 10)"),
            "l0/W",
        ),
        (
            "zero times huge",
            1,
            npy("<f4", false, "(0, 9223372036854775807)", &[]),
            "l0/b",
        ),
        (
            "fortran 2^40",
            0,
            npy("<f4", true, "(1099511627776, 10)", &[0; 40]),
            "l0/W",
        ),
        (
            "f8 2^40",
            1,
            npy("<f8", false, "(1099511627776,)", &[0; 40]),
            "float64",
        ),
        (
            "header too long",
            1,
            {
                let mut v = b"\x93NUMPY\x02\x00".to_vec();
                v.extend_from_slice(&u32::MAX.to_le_bytes());
                v.extend_from_slice(&[b' '; 64]);
                v
            },
            "longer than NumPy's limit",
        ),
        (
            "v1 header 65535",
            1,
            {
                let mut v = b"\x93NUMPY\x01\x00\xff\xff".to_vec();
                v.extend_from_slice(&[b' '; 100]);
                v
            },
            "longer than NumPy's limit",
        ),
        (
            "deep nesting",
            1,
            npy_raw(&format!("{}{}", "(".repeat(4000), ")".repeat(4000)), &[]),
            "nests brackets 4000 deep, more than the 3",
        ),
        (
            "deep dict",
            1,
            npy_raw(
                &format!(
                    "{{'descr': {}'<f4'{}, }}",
                    "[".repeat(2000),
                    "]".repeat(2000)
                ),
                &[],
            ),
            "deep",
        ),
        ("not a dict", 1, npy_raw("[1, 2, 3]", &[]), "bad header"),
        (
            "missing newline",
            1,
            {
                let mut v = npy_f32(&truth_of(1));
                let end = 10 + usize::from(u16::from_le_bytes([v[8], v[9]])) - 1;
                v[end] = b' ';
                v
            },
            "bad header",
        ),
        (
            "version 9.9",
            1,
            {
                let mut v = npy_f32(&truth_of(1));
                v[6] = 9;
                v[7] = 9;
                v
            },
            "unsupported .npy format version 9.9",
        ),
        (
            "unknown key",
            1,
            npy_raw(
                "{'descr': '<f4', 'fortran_order': False, 'shape': (10,), 'x': 1, }",
                &[0; 40],
            ),
            "bad header",
        ),
        (
            "descr number overflow",
            1,
            npy("<f4294967296", false, "(10,)", &[0; 40]),
            "l0/b",
        ),
    ];
    let mut tried = 0;
    for (i, (name, k, npy_bytes, says)) in cases.into_iter().enumerate() {
        let mut es = stored_truth();
        es[k].data = npy_bytes;
        let bytes = zip(&es);
        let (msg, largest) = largest_allocation_since(|| refused(name, i, &bytes));
        assert!(msg.contains(&format!("`{}`", KEYS[k].0)), "{name}: {msg}");
        assert!(msg.contains(says), "{name}: expected `{says}` in: {msg}");
        assert!(largest < LIMIT, "{name}: allocated {largest} bytes at once");
        tried += 1;
    }

    // Zip entries whose declared sizes lie.
    let lies: Vec<(&str, Entry, &str)> = vec![
        (
            "stored, size 4 GiB",
            {
                let mut e = entry("l0/W.npy", npy("<f4", false, "(1073741823, 1)", &[0; 40]));
                e.size = Some(u32::MAX);
                e
            },
            "more than Stored can expand them to",
        ),
        (
            "deflate, size 4 GiB from 100 bytes",
            {
                let mut e = entry("l0/W.npy", vec![0; 100]);
                e.method = 8;
                e.size = Some(u32::MAX);
                e
            },
            "more than Deflated can expand them to",
        ),
        (
            "compressed larger than the archive",
            {
                let mut e = entry("l0/W.npy", npy_f32(&truth_of(0)));
                e.compressed = Some(u32::MAX);
                e
            },
            "more than the archive's",
        ),
        (
            "size smaller than the header",
            {
                let mut e = entry("l0/W.npy", npy_f32(&truth_of(0)));
                e.size = Some(4);
                e
            },
            "l0/W",
        ),
    ];
    for (i, (name, e, says)) in lies.into_iter().enumerate() {
        let mut es = stored_truth();
        es[0] = e;
        let bytes = zip(&es);
        let (msg, largest) = largest_allocation_since(|| refused(name, i, &bytes));
        assert!(msg.contains("`l0/W`"), "{name}: {msg}");
        assert!(msg.contains(says), "{name}: expected `{says}` in: {msg}");
        assert!(largest < LIMIT, "{name}: allocated {largest} bytes at once");
        tried += 1;
    }
    eprintln!("bad inputs tried: headers or zip sizes claiming absurd sizes: {tried}");
}

/// Headers as hard to parse as the nesting limit allows (10 000 bytes of
/// dicts in a list, in every entry) are refused in bounded time, and the
/// error shows the long descriptor cut short.
#[test]
fn hard_headers_parse_in_bounded_time() {
    let groups = "{'a': 1}, ".repeat(960);
    let dict = format!("{{'descr': [{groups}], 'fortran_order': False, 'shape': (1,), }}");
    let es: Vec<Entry> = KEYS
        .iter()
        .map(|(key, _)| entry(&format!("{key}.npy"), npy_raw(&dict, &[0; 4])))
        .collect();
    let bytes = zip(&es);
    let m = fixed_model();
    let start = std::time::Instant::now();
    let result = NpzFile::from_reader(Cursor::new(&bytes), "hard")
        .and_then(|mut f| load_weights_from(&m, &mut f));
    let took = start.elapsed();
    let Err(Error::WeightKeys { problems, .. }) = &result else {
        panic!("expected dtype problems, got {result:?}");
    };
    assert_eq!(problems.len(), KEYS.len());
    assert!(
        matches!(&problems[0], WeightProblem::Dtype { got, .. } if got.ends_with('…') && got.len() < 100),
        "{:?}",
        problems[0]
    );
    eprintln!("4 headers of 10 000 bytes at the nesting limit refused in {took:?}");
    assert!(took < std::time::Duration::from_secs(5), "took {took:?}");
}

/// A header that claims one shape and an entry that holds another amount
/// of data: both directions, every key.
#[test]
fn data_that_does_not_fit_the_header_is_refused() {
    let mut tried = 0;
    for (k, (key, shape)) in KEYS.iter().enumerate() {
        let t = truth_of(k);
        let data: Vec<u8> = t.iter().flat_map(|v| v.to_le_bytes()).collect();
        for cut in [1, 3, 4, data.len() - 1] {
            let mut es = stored_truth();
            es[k].data = npy("<f4", false, &shape_text(shape), &data[..data.len() - cut]);
            let msg = refused("short-data", tried, &zip(&es));
            assert!(
                msg.contains(&format!("`{key}`")) && msg.contains("header claims"),
                "{msg}"
            );
            tried += 1;
        }
        let mut es = stored_truth();
        let mut more = data.clone();
        more.extend_from_slice(&[0; 4]);
        es[k].data = npy("<f4", false, &shape_text(shape), &more);
        let msg = refused("long-data", tried, &zip(&es));
        assert!(
            msg.contains(&format!("`{key}`")) && msg.contains("header claims"),
            "{msg}"
        );
        tried += 1;
    }
    eprintln!("bad inputs tried: data not fitting its header: {tried}");
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

/// Every subset of the keys missing, with and without an extra key and a
/// misspelt one: each missing and unexpected key named, nothing changed.
#[test]
fn missing_and_unexpected_keys_are_named() {
    let mut tried = 0;
    for present in 0..(1u32 << KEYS.len()) {
        for extra in [None, Some("l2/W"), Some("l0/w")] {
            let mut es: Vec<Entry> = stored_truth()
                .into_iter()
                .enumerate()
                .filter(|(k, _)| present & (1 << k) != 0)
                .map(|(_, e)| e)
                .collect();
            if let Some(x) = extra {
                es.push(entry(&format!("{x}.npy"), npy_f32(&truth_of(0))));
            }
            if present == (1 << KEYS.len()) - 1 && extra.is_none() {
                continue; // the valid file
            }
            let got = problems("keys", &zip(&es));
            let mut want: Vec<WeightProblem> = Vec::new();
            for (k, (key, shape)) in KEYS.iter().enumerate() {
                if present & (1 << k) == 0 {
                    want.push(WeightProblem::Missing {
                        key: key.to_string(),
                        expected: format!("{shape:?}"),
                    });
                }
            }
            if let Some(x) = extra {
                want.push(WeightProblem::Unexpected { key: x.to_string() });
            }
            assert_eq!(got, want, "present {present:04b}, extra {extra:?}");
            tried += 1;
        }
    }
    eprintln!("bad inputs tried: missing or unexpected keys: {tried}");
}

// ---------------------------------------------------------------------------
// What NumPy writes
// ---------------------------------------------------------------------------

/// Runs `script` with `dir` as its argument in `py`, failing the test
/// with Python's message if it fails.
fn run_python(py: &str, script: &str, dir: &Path) {
    let out = Command::new(py)
        .arg("-c")
        .arg(script)
        .arg(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{py}`: {e}"));
    assert!(
        out.status.success(),
        "`{py}` failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The script's common part: the true weights, as [`truth_of`] makes them.
const PY_TRUTH: &str = r#"
import sys, os
import numpy as np
d = sys.argv[1]
keys = [("l0/W", (2, 10)), ("l0/b", (10,)), ("l1/W", (10, 3)), ("l1/b", (3,))]
def truth(k):
    shape = keys[k][1]
    return (np.arange(int(np.prod(shape)), dtype=np.float32) * np.float32(0.5) - np.float32(k)).reshape(shape)
arrays = {key: truth(k) for k, (key, _) in enumerate(keys)}
"#;

/// Big-endian and Fortran-order arrays, compressed or not, load with the
/// values NumPy sees; a dtype NumPy names but the model does not use is
/// refused with NumPy's name.
#[test]
fn numpy_byte_orders_layouts_and_dtypes() {
    let Some(py) = common::tools::numpy("numpy_byte_orders_layouts_and_dtypes") else {
        return;
    };
    let dir = TempDir::new("numpy");
    let script = format!(
        "{PY_TRUTH}{}",
        r#"
np.savez(os.path.join(d, "plain.npz"), **arrays)
np.savez_compressed(os.path.join(d, "compressed.npz"), **arrays)
np.savez(os.path.join(d, "big_endian.npz"), **{k: v.astype(">f4") for k, v in arrays.items()})
np.savez_compressed(os.path.join(d, "fortran.npz"), **{k: np.asfortranarray(v) for k, v in arrays.items()})
np.savez(os.path.join(d, "fortran_big_endian.npz"), **{k: np.asfortranarray(v.astype(">f4")) for k, v in arrays.items()})
dtypes = {
    "float16": np.float16, "float64": np.float64, "big_float64": ">f8",
    "int32": np.int32, "int64": np.int64, "uint8": np.uint8, "bool": np.bool_,
    "complex64": np.complex64, "str": "<U3", "bytes": "S3", "datetime": "<M8[s]",
    "structured": [("a", "<f4")],
}
names = []
for tag, dt in dtypes.items():
    a = dict(arrays)
    a["l1/b"] = np.zeros(3, dtype=dt)
    names.append(tag + " " + a["l1/b"].dtype.name)
    np.savez(os.path.join(d, "dtype_" + tag + ".npz"), **a)
a = dict(arrays)
a["l1/b"] = np.array([None, 1, "x"], dtype=object)
np.savez(os.path.join(d, "dtype_object.npz"), **a)
names.append("object object")
with open(os.path.join(d, "dtype_names.txt"), "w") as f:
    f.write("\n".join(names))
"#
    );
    run_python(&py, &script, &dir.0);
    let mut tried = 0;
    for name in [
        "plain",
        "compressed",
        "big_endian",
        "fortran",
        "fortran_big_endian",
    ] {
        let bytes = std::fs::read(dir.join(&format!("{name}.npz"))).expect("read");
        assert!(
            matches!(try_bytes(name, 0, &bytes), Outcome::Loaded),
            "{name}"
        );
        // And through `load_weights`, into rows-major arrays.
        let m = fixed_model();
        load_weights(&m, dir.join(&format!("{name}.npz"))).expect(name);
        assert!(
            m.params().iter().all(|p| p.data().is_standard_layout()),
            "{name}"
        );
    }
    let names = std::fs::read_to_string(dir.join("dtype_names.txt")).expect("names");
    for line in names.lines() {
        let (tag, numpy_name) = line.split_once(' ').expect("tag name");
        let bytes = std::fs::read(dir.join(&format!("dtype_{tag}.npz"))).expect("read");
        let got = problems(tag, &bytes);
        let [WeightProblem::Dtype { key, expected, got }] = &got[..] else {
            panic!("{tag}: expected one dtype problem, got {got:?}");
        };
        assert_eq!((key.as_str(), *expected), ("l1/b", "float32"), "{tag}");
        // NumPy's own name where it is a plain number type, else the
        // descriptor as the file writes it.
        match tag {
            "str" | "bytes" | "datetime" | "structured" => {
                assert!(
                    got.starts_with('\'') || got.starts_with('['),
                    "{tag}: {got}"
                )
            }
            _ => assert_eq!(got, numpy_name, "{tag}"),
        }
        tried += 1;
    }
    eprintln!(
        "bad inputs tried: dtypes other than the model's: {tried}; \
         big-endian and Fortran-order files loaded with NumPy's values: 3"
    );
}

// ---------------------------------------------------------------------------
// A save killed midway
// ---------------------------------------------------------------------------

/// When the parent kills the child.
#[derive(Clone, Copy, Debug)]
enum Kill {
    /// This many milliseconds after the child reports its first save.
    After(u64),
    /// As soon as a temporary file of a save appears.
    Writing,
}

/// The variable that turns [`child_saves_until_killed`] from a no-op into
/// the child of [`a_save_killed_midway_keeps_the_old_file`].
const KILL_TARGET: &str = "DEZERO_TEST_KILL_SAVE_TARGET";

/// A model large enough that a save takes a while: 2.4 MB of weights.
fn big_model(seed: u32) -> Linear<f32> {
    Linear::with_in_rng(600, 1000, &mut random::RandomState::new(seed))
}

fn big_model_data(m: &Linear<f32>) -> Vec<ArrayD<f32>> {
    m.params().iter().map(|p| p.to_array()).collect()
}

/// In the child: saves the seed-2 model to `$DEZERO_TEST_KILL_SAVE_TARGET`
/// over and over until killed. Without the variable, does nothing.
#[test]
fn child_saves_until_killed() {
    let Ok(target) = std::env::var(KILL_TARGET) else {
        return;
    };
    let m = big_model(2);
    for i in 0.. {
        println!("DEZERO-CHILD saving {i}");
        save_weights(&m, &target).expect("child save");
    }
}

/// A child process saving a large model is killed (SIGKILL) at various
/// moments: each time the file still loads, as the old weights or the
/// child's, never a mix; the next save removes the temporary file the
/// killed save left.
#[test]
fn a_save_killed_midway_keeps_the_old_file() {
    let dir = TempDir::new("killed");
    let target = dir.join("big.npz");
    let old = big_model(1);
    save_weights(&old, &target).expect("first save");
    let (old_data, new_data) = (big_model_data(&old), big_model_data(&big_model(2)));
    let exe = std::env::current_exe().expect("test binary");

    // A kill after a delay (the child is then mostly compressing, before
    // the file is touched), or as soon as a temporary file appears (the
    // child is writing it).
    let kills = [
        Kill::After(0),
        Kill::After(10),
        Kill::After(40),
        Kill::After(110),
        Kill::After(220),
        Kill::After(400),
        Kill::Writing,
        Kill::Writing,
        Kill::Writing,
        Kill::Writing,
        Kill::Writing,
        Kill::Writing,
    ];
    let (mut mid_write, mut loaded_old, mut loaded_new) = (0, 0, 0);
    for &kill in &kills {
        // Each round starts from the old file, and this save removes the
        // temporary file the last kill left.
        save_weights(&old, &target).expect("save before the round");
        assert!(
            dir.hidden_entries().is_empty(),
            "{:?}",
            dir.hidden_entries()
        );
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "child_saves_until_killed",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(KILL_TARGET, &target)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the child");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("DEZERO-CHILD saving") && tx.send(line).is_err() {
                    return;
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(120))
            .expect("the child started saving");
        match kill {
            Kill::After(ms) => std::thread::sleep(Duration::from_millis(ms)),
            Kill::Writing => {
                let start = std::time::Instant::now();
                while dir.hidden_entries().is_empty() {
                    assert!(
                        start.elapsed() < Duration::from_secs(120),
                        "no temporary file"
                    );
                    std::hint::spin_loop();
                }
            }
        }
        child.kill().expect("kill the child");
        child.wait().expect("reap the child");

        if !dir.hidden_entries().is_empty() {
            mid_write += 1;
        }
        let m = Linear::<f32>::new(1000);
        load_weights(&m, &target).expect("the file loads after a kill");
        let data = big_model_data(&m);
        if data == old_data {
            loaded_old += 1;
        } else {
            assert!(
                data == new_data,
                "after a kill ({kill:?}): a mix of weights"
            );
            loaded_new += 1;
        }
    }
    assert!(mid_write > 0, "no kill landed while the file was written");
    save_weights(&old, &target).expect("save after the kills");
    assert!(
        dir.hidden_entries().is_empty(),
        "{:?}",
        dir.hidden_entries()
    );
    eprintln!(
        "saves killed: {} ({mid_write} while writing the file, each leaving a temporary file \
         that the next save removed); \
         the file then held the old weights {loaded_old} times, the child's {loaded_new}",
        kills.len()
    );
}

// ---------------------------------------------------------------------------
// Inputs the fuzzers found
// ---------------------------------------------------------------------------

/// Found by `fuzz/fuzz_targets/npy_entry.rs` within 2 100 executions when run
/// against the loader before it checked headers itself: an `.npy` 3.0 header
/// whose length field claims 4 GiB, which the NumPy-format reader
/// allocated (zeroed) before reading any of it. Now refused before reading
/// the header, by NumPy's limit on header length.
#[test]
fn fuzz_found_header_length_of_4_gib() {
    // The input as libFuzzer saved it, in hex.
    const INPUT: [&str; 5] = [
        "934e554d5059030083ffffff84d89b9a736372273a20273c6634272c2027666f",
        "727472616e5f6f72646572273a2046616c73652c20277368617065273a202832",
        "2c243130292c207d202020202020202020202020202020202020202020202020",
        "202020202020202020200020202020202020202020202020202020202020200a",
        "00000000000000bf0000803f0000c03f0000000000104100001841",
    ];
    let input: Vec<u8> = INPUT
        .concat()
        .as_bytes()
        .chunks(2)
        .map(|h| u8::from_str_radix(std::str::from_utf8(h).expect("ascii"), 16).expect("hex"))
        .collect();
    assert_eq!(input.len(), 155);
    let mut es = stored_truth();
    es[0].data = input;
    let bytes = zip(&es);
    let (msg, largest) = largest_allocation_since(|| refused("fuzz-header-length", 0, &bytes));
    assert!(
        msg.contains("key `l0/W`") && msg.contains("longer than NumPy's limit of 10000"),
        "{msg}"
    );
    assert!(largest < 1 << 20, "allocated {largest} bytes at once");
}

// ---------------------------------------------------------------------------
// The fixtures and the hand-made archives are what they claim
// ---------------------------------------------------------------------------

/// The hand-made archive loads, so the refusals above are about the defect
/// each one adds, and DeZero's own file survives the same treatment.
#[test]
fn hand_made_archives_and_dezero_file_load() {
    assert!(matches!(
        try_bytes("stored", 0, &zip(&stored_truth())),
        Outcome::Loaded
    ));
    let dezero = std::fs::read(fixture("dezero_mlp_weights.npz")).expect("fixture");
    let m = lazy_model();
    load_weights_from(
        &m,
        &mut NpzFile::from_reader(Cursor::new(&dezero), "dezero").expect("open"),
    )
    .expect("DeZero's file loads");
    let mut rng = Rng(3);
    for i in 0..300 {
        let mut b = dezero.clone();
        let at = rng.below(b.len());
        b[at] ^= 1 << rng.below(8);
        let m = lazy_model();
        let result = NpzFile::from_reader(Cursor::new(&b), "dezero-flipped")
            .and_then(|mut f| load_weights_from(&m, &mut f));
        if result.is_err() {
            assert!(
                m.params().iter().all(|p| !p.has_data() || p.ndim() == 1),
                "#{i}"
            );
        }
    }
}
