//! Weight files: round trips, interop with DeZero and NumPy both ways,
//! strict all-or-nothing loading, and saves that never leave a broken file.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::fixture;
use dezero::functions::sigmoid;
use dezero::io::{load_weights, save_weights, NpzFile, WeightProblem};
use dezero::layers::Linear;
use dezero::models::{Sequential, MLP};
use dezero::{random, test_mode, Error, Layer, Variable};
use ndarray::{ArrayD, Ix2, IxDyn};
use ndarray_npy::NpzWriter;
use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("dezero-weights-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    /// Entries whose names start with `.`: our temporary files.
    fn hidden_entries(&self) -> Vec<String> {
        std::fs::read_dir(&self.0)
            .expect("read temp dir")
            .map(|e| {
                e.expect("dir entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|n| n.starts_with('.'))
            .collect()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An `MLP((10, 3))` on 2 inputs with weights drawn from seed `seed`.
fn trained_mlp(seed: u32) -> MLP<f32> {
    random::seed(seed);
    let model = MLP::new(&[10, 3]);
    let x = Variable::new(ArrayD::<f32>::zeros(IxDyn(&[1, 2])));
    let _ = model.forward(&x);
    // Non-zero biases, so that a mix-up between keys would show.
    for (i, (_, p)) in model.named_params().iter().enumerate() {
        p.data_mut().mapv_inplace(|v| v + 0.01 * (i + 1) as f32);
    }
    model
}

/// Every parameter's key and a copy of its data (`None` when it has none).
fn snapshot<L: Layer<f32>>(model: &L) -> Vec<(String, Option<ArrayD<f32>>)> {
    model
        .named_params()
        .into_iter()
        .map(|(k, p)| {
            let data = p.has_data().then(|| p.to_array());
            (k, data)
        })
        .collect()
}

fn read_f32(name: &str) -> ArrayD<f32> {
    ndarray_npy::read_npy(fixture(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// Writes an archive with the given arrays, as NumPy would.
fn write_npz(path: &Path, f32s: &[(&str, ArrayD<f32>)], f64s: &[(&str, ArrayD<f64>)]) {
    let file = std::fs::File::create(path).expect("create npz");
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let mut npz = NpzWriter::new_with_options(file, options);
    for (k, a) in f32s {
        npz.add_array(*k, a).expect("add f32 array");
    }
    for (k, a) in f64s {
        npz.add_array(*k, a).expect("add f64 array");
    }
    npz.finish().expect("finish npz");
}

fn zeros32(shape: &[usize]) -> ArrayD<f32> {
    ArrayD::zeros(IxDyn(shape))
}

// ---------------------------------------------------------------------------

#[test]
fn round_trip_into_a_lazy_mlp() {
    let dir = TempDir::new("roundtrip");
    let path = dir.join("mlp.npz");
    let model = trained_mlp(0);
    save_weights(&model, &path).expect("save");
    assert!(dir.hidden_entries().is_empty());

    let mut f = NpzFile::open(&path).expect("open");
    assert_eq!(f.names().expect("names"), ["l0/W", "l0/b", "l1/W", "l1/b"]);

    let fresh = MLP::<f32>::new(&[10, 3]);
    assert_eq!(fresh.layers()[0].in_size(), None);
    load_weights(&fresh, &path).expect("load");
    assert_eq!(snapshot(&fresh), snapshot(&model));
    assert_eq!(fresh.layers()[0].in_size(), Some(2));

    let x = Variable::new(read_f32("dezero_mlp_inputs.npy"));
    assert_eq!(fresh.forward(&x).to_array(), model.forward(&x).to_array());
}

#[test]
fn round_trip_f64_nested_keys() {
    let dir = TempDir::new("nested");
    let path = dir.join("nested.npz");
    let build = || {
        let mut block = Sequential::<f64>::new();
        block.push(Linear::new(4));
        block.push(Linear::new(2));
        let mut model = Sequential::new();
        model.push(block);
        model.push(Linear::new(1).nobias());
        model
    };
    random::seed(3);
    let model = build();
    let _ = model.forward(&Variable::new(random::randn(&[2, 5])));
    save_weights(&model, &path).expect("save");

    let mut f = NpzFile::open(&path).expect("open");
    assert_eq!(
        f.names().expect("names"),
        ["l0/l0/W", "l0/l0/b", "l0/l1/W", "l0/l1/b", "l1/W"]
    );
    let fresh = build();
    load_weights(&fresh, &path).expect("load");
    for ((k0, p0), (k1, p1)) in model.named_params().iter().zip(fresh.named_params()) {
        assert_eq!(*k0, k1);
        assert_eq!(*p0.data(), *p1.data(), "{k0}");
    }
}

/// The file DeZero wrote gives DeZero's predictions.
///
/// Float32 sums are compared relative to the size of the terms summed
/// (`sum |h_k W_kj| + |b_j|`), the size of the rounding error any order of
/// addition makes. Relative to the output itself the deviation can be much
/// larger where terms cancel: measured 2e-6 to 2e-5 (depending on the
/// kernels' summation order) at an output of -0.0589 made of terms of size
/// ~6, where NumPy's own float32 result is 3.0e-6 from the exact value.
#[test]
fn dezero_file_reproduces_dezero_predictions() {
    let model = MLP::<f32>::new(&[10, 3]);
    load_weights(&model, fixture("dezero_mlp_weights.npz")).expect("load DeZero's file");
    let x = Variable::new(read_f32("dezero_mlp_inputs.npy"));
    let expected = read_f32("dezero_mlp_predictions.npy");
    let (y, h) = {
        let _mode = test_mode();
        let h = sigmoid(&model.layers()[0].forward(&x));
        (model.forward(&x).to_array(), h.to_array())
    };
    assert_eq!(y.shape(), [20, 3]);

    // The scale of each output: sum over k of |h_k W_kj|, plus |b_j|.
    let as2 = |a: ArrayD<f32>| a.mapv(f64::from).into_dimensionality::<Ix2>().expect("2-d");
    let out = &model.layers()[1];
    let b1 = out
        .b
        .as_ref()
        .expect("bias")
        .to_array()
        .mapv(|v| f64::from(v).abs());
    let scale = as2(h)
        .mapv(f64::abs)
        .dot(&as2(out.w.to_array()).mapv(f64::abs))
        + &b1;

    let (mut worst_plain, mut worst_scaled) = (0.0_f64, 0.0_f64);
    for ((a, b), s) in y.iter().zip(expected.iter()).zip(scale.iter()) {
        let (a, b) = (f64::from(*a), f64::from(*b));
        worst_plain = worst_plain.max((a - b).abs() / b.abs());
        worst_scaled = worst_scaled.max((a - b).abs() / s);
    }
    eprintln!(
        "deviation from DeZero's predictions: {worst_plain:e} relative to the output, \
         {worst_scaled:e} relative to the terms summed"
    );
    assert!(worst_scaled <= 1e-6, "deviation {worst_scaled:e} > 1e-6");
}

// ---------------------------------------------------------------------------
// Strict loading.

fn fixture_shaped_model() -> MLP<f32> {
    trained_mlp(1)
}

fn load_err(model: &MLP<f32>, path: &Path) -> (Vec<WeightProblem>, String) {
    match load_weights(model, path) {
        Err(e @ Error::WeightKeys { .. }) => {
            let msg = e.to_string();
            let Error::WeightKeys { problems, .. } = e else {
                unreachable!()
            };
            (problems, msg)
        }
        other => panic!("expected Error::WeightKeys, got {other:?}"),
    }
}

#[test]
fn missing_key_is_named_and_nothing_changes() {
    let dir = TempDir::new("missing");
    let path = dir.join("w.npz");
    write_npz(
        &path,
        &[
            ("l0/W", zeros32(&[2, 10])),
            ("l0/b", zeros32(&[10])),
            ("l1/W", zeros32(&[10, 3])),
        ],
        &[],
    );
    let model = fixture_shaped_model();
    let before = snapshot(&model);
    let (problems, msg) = load_err(&model, &path);
    assert_eq!(
        problems,
        [WeightProblem::Missing {
            key: "l1/b".into(),
            expected: "[3]".into()
        }]
    );
    assert_eq!(
        msg,
        format!(
            "{}: missing key `l1/b` (expected shape [3])",
            path.display()
        )
    );
    assert_eq!(snapshot(&model), before, "a failed load changed the model");
}

#[test]
fn unexpected_key_is_named() {
    let dir = TempDir::new("unexpected");
    let path = dir.join("w.npz");
    let model = fixture_shaped_model();
    let mut arrays: Vec<(&str, ArrayD<f32>)> = vec![("l2/W", zeros32(&[3, 1]))];
    let named = model.named_params();
    for (k, p) in &named {
        arrays.push((k.as_str(), p.to_array().mapv(|v| v + 1.0)));
    }
    write_npz(&path, &arrays, &[]);
    let before = snapshot(&model);
    let (problems, msg) = load_err(&model, &path);
    assert_eq!(problems, [WeightProblem::Unexpected { key: "l2/W".into() }]);
    assert!(
        msg.ends_with("unexpected key `l2/W` (the model has no such parameter)"),
        "{msg}"
    );
    assert_eq!(snapshot(&model), before);
}

#[test]
fn misshaped_key_is_named() {
    let dir = TempDir::new("shape");
    let path = dir.join("w.npz");
    write_npz(
        &path,
        &[
            ("l0/W", zeros32(&[3, 10])),
            ("l0/b", zeros32(&[10])),
            ("l1/W", zeros32(&[10, 3])),
            ("l1/b", zeros32(&[1, 3])),
        ],
        &[],
    );
    let model = fixture_shaped_model();
    let before = snapshot(&model);
    let (problems, msg) = load_err(&model, &path);
    assert_eq!(problems.len(), 2);
    assert!(
        msg.contains("key `l0/W`: expected shape [2, 10], got [3, 10]"),
        "{msg}"
    );
    assert!(
        msg.contains("key `l1/b`: expected shape [3], got [1, 3]"),
        "{msg}"
    );
    assert_eq!(snapshot(&model), before);
}

#[test]
fn wrong_dtype_is_named() {
    let dir = TempDir::new("dtype");
    let path = dir.join("w.npz");
    write_npz(
        &path,
        &[
            ("l0/W", zeros32(&[2, 10])),
            ("l0/b", zeros32(&[10])),
            ("l1/W", zeros32(&[10, 3])),
        ],
        &[("l1/b", ArrayD::<f64>::zeros(IxDyn(&[3])))],
    );
    let model = fixture_shaped_model();
    let before = snapshot(&model);
    let (problems, msg) = load_err(&model, &path);
    assert_eq!(
        problems,
        [WeightProblem::Dtype {
            key: "l1/b".into(),
            expected: "float32",
            got: "float64".into()
        }]
    );
    assert!(
        msg.ends_with("key `l1/b`: expected dtype float32, got float64"),
        "{msg}"
    );
    assert_eq!(snapshot(&model), before);

    // And the other way: DeZero's float32 file into an f64 model.
    let model64 = MLP::<f64>::new(&[10, 3]);
    let err = load_weights(&model64, fixture("dezero_mlp_weights.npz")).unwrap_err();
    assert!(err
        .to_string()
        .contains("key `l0/W`: expected dtype float64, got float32"));
    assert!(model64
        .params()
        .iter()
        .all(|p| !p.has_data() || p.data().iter().all(|&v| v == 0.0)));
}

#[test]
fn every_problem_is_reported_at_once() {
    let dir = TempDir::new("all");
    let path = dir.join("w.npz");
    write_npz(
        &path,
        &[("l0/W", zeros32(&[2, 9])), ("extra", zeros32(&[1]))],
        &[("l0/b", ArrayD::<f64>::zeros(IxDyn(&[10])))],
    );
    let model = fixture_shaped_model();
    let before = snapshot(&model);
    let (problems, msg) = load_err(&model, &path);
    let keys: Vec<&str> = problems.iter().map(WeightProblem::key).collect();
    assert_eq!(keys, ["l0/W", "l0/b", "l1/W", "l1/b", "extra"]);
    assert!(
        msg.contains("key `l0/W`: expected shape [2, 10], got [2, 9]"),
        "{msg}"
    );
    assert!(
        msg.contains("key `l0/b`: expected dtype float32, got float64"),
        "{msg}"
    );
    assert!(
        msg.contains("missing key `l1/W` (expected shape [10, 3])"),
        "{msg}"
    );
    assert!(
        msg.contains("missing key `l1/b` (expected shape [3])"),
        "{msg}"
    );
    assert!(msg.contains("unexpected key `extra`"), "{msg}");
    assert_eq!(snapshot(&model), before);
}

/// A lazy layer takes its shape from the file, but only one that fits its
/// `out_size`; on error it stays lazy.
#[test]
fn lazy_layer_checks_out_size() {
    let model = MLP::<f32>::new(&[10, 4]);
    let (problems, msg) = load_err(&model, &fixture("dezero_mlp_weights.npz"));
    assert_eq!(problems.len(), 2);
    assert!(
        msg.contains("key `l1/W`: expected shape [_, 4], got [10, 3]"),
        "{msg}"
    );
    assert!(
        msg.contains("key `l1/b`: expected shape [4], got [3]"),
        "{msg}"
    );
    assert!(model.layers().iter().all(|l| l.in_size().is_none()));
}

#[test]
fn unreadable_files_are_reported() {
    let dir = TempDir::new("unreadable");
    let model = fixture_shaped_model();
    let missing = dir.join("nope.npz");
    assert!(matches!(
        load_weights(&model, &missing),
        Err(Error::Io { .. })
    ));
    let garbage = dir.join("garbage.npz");
    std::fs::write(&garbage, b"not a zip archive").expect("write");
    let err = load_weights(&model, &garbage).unwrap_err();
    assert!(matches!(err, Error::Weights { .. }), "{err:?}");
    assert!(err.to_string().contains("not a readable .npz archive"));
}

// ---------------------------------------------------------------------------
// Saving never leaves a broken file.

#[test]
fn save_onto_a_directory_fails_cleanly() {
    let dir = TempDir::new("ontodir");
    let target = dir.join("w.npz");
    std::fs::create_dir(&target).expect("mkdir");
    std::fs::write(target.join("keep"), b"old").expect("write");
    let err = save_weights(&trained_mlp(0), &target).unwrap_err();
    assert!(
        matches!(err, Error::Io { ref path, .. } if *path == target),
        "{err:?}"
    );
    assert!(err.to_string().starts_with(&target.display().to_string()));
    assert_eq!(
        std::fs::read(target.join("keep")).expect("old content"),
        b"old"
    );
    assert!(
        dir.hidden_entries().is_empty(),
        "{:?}",
        dir.hidden_entries()
    );
}

#[test]
fn failed_save_keeps_the_old_file() {
    let dir = TempDir::new("keepold");
    let path = dir.join("w.npz");
    save_weights(&trained_mlp(0), &path).expect("first save");
    let old = std::fs::read(&path).expect("read");

    // A model with a lazy layer has nothing to save for `l0/W`.
    let lazy = MLP::<f32>::new(&[10, 3]);
    let err = save_weights(&lazy, &path).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("key `l0/W`: parameter has no data"), "{msg}");
    assert!(msg.contains("key `l1/W`: parameter has no data"), "{msg}");
    assert_eq!(std::fs::read(&path).expect("read"), old);
    assert!(dir.hidden_entries().is_empty());

    // A second successful save replaces the file whole.
    save_weights(&trained_mlp(5), &path).expect("second save");
    assert_ne!(std::fs::read(&path).expect("read"), old);
    assert!(dir.hidden_entries().is_empty());
}

#[cfg(unix)]
#[test]
fn save_into_read_only_directory_fails_cleanly() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("readonly");
    let path = dir.join("w.npz");
    save_weights(&trained_mlp(0), &path).expect("first save");
    let old = std::fs::read(&path).expect("read");
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    // Root may write anyway; then there is nothing to observe here (the
    // other save tests cover the clean-up).
    let probe = dir.join("probe");
    let writable = std::fs::write(&probe, b"").is_ok();
    let result = save_weights(&trained_mlp(5), &path);
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    if writable {
        result.expect("a writable directory");
        return;
    }
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert_eq!(std::fs::read(&path).expect("read"), old);
    assert!(dir.hidden_entries().is_empty());
}

#[test]
fn duplicate_keys_are_refused() {
    /// A hand-written layer that names two parameters alike.
    struct Twice(Linear<f32>, Linear<f32>);
    impl Layer<f32> for Twice {
        fn visit_params(&self, v: &mut dyn dezero::ParamVisitor<f32>) {
            self.0.visit_params(v);
            self.1.visit_params(v);
        }
        fn forward(&self, x: &Variable<f32>) -> Variable<f32> {
            self.1.forward(&self.0.forward(x))
        }
    }
    let mut rng = random::RandomState::new(0);
    let model = Twice(
        Linear::with_in_rng(2, 2, &mut rng),
        Linear::with_in_rng(2, 2, &mut rng),
    );
    let dir = TempDir::new("dup");
    let err = save_weights(&model, dir.join("w.npz")).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("key `W` names more than one parameter"),
        "{msg}"
    );
    assert!(
        msg.contains("key `b` names more than one parameter"),
        "{msg}"
    );
    assert!(!dir.join("w.npz").exists());
}

// ---------------------------------------------------------------------------
// NumPy reads what we write.

#[test]
fn numpy_reads_our_file() {
    let Some(py) = common::tools::numpy("numpy_reads_our_file") else {
        return;
    };
    let dir = TempDir::new("numpy");
    let path = dir.join("mlp.npz");
    let model = trained_mlp(2);
    save_weights(&model, &path).expect("save");

    let script = r#"
import json, sys
import numpy as np
f = np.load(sys.argv[1])
out = {k: {"dtype": str(f[k].dtype), "shape": list(f[k].shape),
           "bits": [int(b) for b in f[k].view(np.uint32).ravel()]} for k in f.files}
print(json.dumps({"files": list(f.files), "arrays": out}))
"#;
    let out = Command::new(&py)
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{py}`: {e}"));
    assert!(
        out.status.success(),
        "`{py}` failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json from python");
    let files: Vec<&str> = v["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|s| s.as_str().expect("key"))
        .collect();
    assert_eq!(files, ["l0/W", "l0/b", "l1/W", "l1/b"]);
    for (key, p) in model.named_params() {
        let a = &v["arrays"][key.as_str()];
        assert_eq!(a["dtype"], "float32", "{key}");
        let shape: Vec<usize> = a["shape"]
            .as_array()
            .expect("shape")
            .iter()
            .map(|n| n.as_u64().expect("dim") as usize)
            .collect();
        assert_eq!(shape, p.shape(), "{key}");
        // Bit patterns, so that no decimal round trip can blur a value.
        let bits: Vec<u64> = a["bits"]
            .as_array()
            .expect("bits")
            .iter()
            .map(|n| n.as_u64().expect("bit pattern"))
            .collect();
        let ours: Vec<u64> = p.data().iter().map(|x| u64::from(x.to_bits())).collect();
        assert_eq!(bits, ours, "{key}");
    }
}
