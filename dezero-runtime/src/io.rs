//! `.npz` archives (NumPy's `np.savez` format): reading them
//! ([`NpzFile`]), and DeZero's weight files ([`save_weights`],
//! [`load_weights`]), which move weights between this crate and Python
//! DeZero/NumPy both ways.

use std::collections::HashSet;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::ArrayD;
use ndarray_npy::{
    NpzReader, NpzWriter, ReadNpyError, ReadNpzError, ReadableElement, WritableElement,
};

use crate::error::{Error, Result};
use crate::layers::Layer;
use crate::scalar::Scalar;
use crate::variable::Parameter;

/// An open `.npz` archive whose arrays are read by name.
///
/// ```no_run
/// use dezero_runtime::io::NpzFile;
/// let mut f = NpzFile::open("weights.npz")?;
/// for name in f.names()? {
///     let a = f.array::<f32>(&name)?;
///     println!("{name}: {:?}", a.shape());
/// }
/// # Ok::<(), dezero_runtime::Error>(())
/// ```
pub struct NpzFile {
    path: PathBuf,
    reader: NpzReader<BufReader<File>>,
}

impl NpzFile {
    /// Opens an archive.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be opened, [`Error::Weights`] if it
    /// is not a zip archive.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = File::open(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let reader = NpzReader::new(BufReader::new(file)).map_err(|e| Error::Weights {
            path: path.clone(),
            message: format!("not a readable .npz archive: {e}"),
        })?;
        Ok(NpzFile { path, reader })
    }

    /// The names of the arrays, without the `.npy` suffix (as NumPy lists them).
    ///
    /// # Errors
    /// [`Error::Weights`] if the archive's directory is damaged.
    pub fn names(&mut self) -> Result<Vec<String>> {
        self.reader.names().map_err(|e| Error::Weights {
            path: self.path.clone(),
            message: format!("cannot list arrays: {e}"),
        })
    }

    /// Reads the array `name` with element type `T`.
    ///
    /// # Errors
    /// [`Error::Weights`] naming the key if it is missing, damaged, or of
    /// another element type.
    pub fn array<T: ReadableElement>(&mut self, name: &str) -> Result<ArrayD<T>> {
        self.read_raw(name).map_err(|e| Error::Weights {
            path: self.path.clone(),
            message: format!("key `{name}`: {e}"),
        })
    }

    /// Reads `name` as `T`, keeping ndarray-npy's error so that a wrong
    /// element type can be told apart from a damaged entry.
    fn read_raw<T: ReadableElement>(&mut self, name: &str) -> Result<ArrayD<T>, ReadNpzError> {
        self.reader
            .by_name::<ndarray::OwnedRepr<T>, ndarray::IxDyn>(name)
    }

    /// The path the archive was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// One way a weights file and a model disagree, naming the key (carried by
/// [`Error::WeightKeys`]).
///
/// ```
/// use dezero_runtime::io::WeightProblem;
/// let p = WeightProblem::Shape {
///     key: "l0/W".into(),
///     expected: "[2, 10]".into(),
///     got: vec![3, 10],
/// };
/// assert_eq!(p.key(), "l0/W");
/// assert_eq!(p.to_string(), "key `l0/W`: expected shape [2, 10], got [3, 10]");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WeightProblem {
    /// The model has a parameter under `key`; the file has no such array.
    Missing {
        /// The model's key.
        key: String,
        /// The shape the parameter needs, `_` for an axis any size fits.
        expected: String,
    },
    /// The file has an array under `key`; the model has no such parameter.
    Unexpected {
        /// The file's key.
        key: String,
    },
    /// The array's shape does not fit the parameter.
    Shape {
        /// The key.
        key: String,
        /// The shape the parameter needs, `_` for an axis any size fits.
        expected: String,
        /// The array's shape.
        got: Vec<usize>,
    },
    /// The array's element type is not the model's.
    Dtype {
        /// The key.
        key: String,
        /// NumPy's name of the model's element type (`float32`).
        expected: &'static str,
        /// NumPy's name of the array's element type (`float64`).
        got: String,
    },
    /// The array could not be decoded.
    Unreadable {
        /// The key.
        key: String,
        /// What the decoder reported.
        message: String,
    },
    /// Two parameters of the model have the same key, so a file cannot say
    /// which is which.
    Duplicate {
        /// The key.
        key: String,
    },
    /// The parameter has no data to save (a lazy layer that was never
    /// called).
    NoData {
        /// The key.
        key: String,
    },
}

impl WeightProblem {
    /// The key the problem is about.
    pub fn key(&self) -> &str {
        match self {
            WeightProblem::Missing { key, .. }
            | WeightProblem::Unexpected { key }
            | WeightProblem::Shape { key, .. }
            | WeightProblem::Dtype { key, .. }
            | WeightProblem::Unreadable { key, .. }
            | WeightProblem::Duplicate { key }
            | WeightProblem::NoData { key } => key,
        }
    }
}

impl fmt::Display for WeightProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WeightProblem::Missing { key, expected } => {
                write!(f, "missing key `{key}` (expected shape {expected})")
            }
            WeightProblem::Unexpected { key } => {
                write!(
                    f,
                    "unexpected key `{key}` (the model has no such parameter)"
                )
            }
            WeightProblem::Shape { key, expected, got } => {
                write!(f, "key `{key}`: expected shape {expected}, got {got:?}")
            }
            WeightProblem::Dtype { key, expected, got } => {
                write!(f, "key `{key}`: expected dtype {expected}, got {got}")
            }
            WeightProblem::Unreadable { key, message } => {
                write!(f, "key `{key}`: unreadable array: {message}")
            }
            WeightProblem::Duplicate { key } => {
                write!(f, "key `{key}` names more than one parameter of the model")
            }
            WeightProblem::NoData { key } => write!(
                f,
                "key `{key}`: parameter has no data (a lazy layer never called; \
                 call it once or load weights into it first)"
            ),
        }
    }
}

/// Writes every parameter of `layer` to `path` as a compressed `.npz`
/// archive, keyed as DeZero's `Layer.save_weights` keys them (`l0/W`,
/// `l0/b`, `block/l1/W`), so NumPy and DeZero read it back with `np.load`.
///
/// The archive is written to a temporary file beside `path`, flushed to
/// disk, then renamed over `path`: a reader sees the old file or the new
/// one, never a half-written one. On any error the old file is left as it
/// was and the temporary file is removed.
///
/// Unlike `np.savez_compressed`, `path` is used as given (no `.npz` is
/// appended).
///
/// ```
/// // Step 53: `model.save_weights('my_mlp.npz')`.
/// use dezero_runtime::{io, layers::Linear, random::RandomState};
/// let l = Linear::<f32>::with_in_rng(2, 3, &mut RandomState::new(0));
/// let path = std::env::temp_dir().join(format!("dezero-doc-save-{}.npz", std::process::id()));
/// io::save_weights(&l, &path)?;
/// let mut f = io::NpzFile::open(&path)?;
/// assert_eq!(f.names()?, ["W", "b"]);
/// assert_eq!(f.array::<f32>("W")?, *l.w.data());
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), dezero_runtime::Error>(())
/// ```
///
/// # Errors
/// [`Error::WeightKeys`] naming every parameter without data
/// ([`WeightProblem::NoData`]: DeZero cannot save those either) and every
/// key that names two parameters, before anything is written;
/// [`Error::Io`] if the temporary file cannot be created, written, flushed
/// or renamed to `path` (for instance when `path` is a directory).
pub fn save_weights<T, L>(layer: &L, path: impl AsRef<Path>) -> Result<()>
where
    T: Scalar + WritableElement,
    L: Layer<T> + ?Sized,
{
    let path = path.as_ref();
    let named = layer.named_params();
    let mut problems = duplicate_keys(&named);
    for (key, p) in &named {
        if !p.has_data() {
            problems.push(WeightProblem::NoData { key: key.clone() });
        }
    }
    if !problems.is_empty() {
        return Err(Error::WeightKeys {
            path: path.to_path_buf(),
            problems,
        });
    }

    let (tmp, file) = TempFile::create_beside(path)?;
    let file = write_npz(file, &named).map_err(|source| Error::Io {
        path: tmp.path.clone(),
        source,
    })?;
    file.sync_all().map_err(|source| Error::Io {
        path: tmp.path.clone(),
        source,
    })?;
    drop(file);
    std::fs::rename(&tmp.path, path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    tmp.disarm();
    sync_parent_dir(path);
    Ok(())
}

/// Writes the arrays into a compressed archive on `file` and returns it.
fn write_npz<T: Scalar + WritableElement>(
    file: File,
    named: &[(String, Parameter<T>)],
) -> std::io::Result<File> {
    let mut npz = NpzWriter::new_compressed(file);
    for (key, p) in named {
        let data = p.data();
        npz.add_array(key.as_str(), &*data)
            .map_err(|e| std::io::Error::other(format!("key `{key}`: {e}")))?;
    }
    npz.finish().map_err(std::io::Error::other)
}

/// Makes a finished rename durable: on Unix, the directory entry lives in
/// the parent directory, which has to be flushed too.
///
/// Best effort: the new file is already in place, and not every platform or
/// file system can open or flush a directory, so a failure here is not an
/// error of the save.
fn sync_parent_dir(path: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = File::open(parent_dir(path)) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// The directory `path` is in (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A temporary file that is removed when dropped unless disarmed, so that
/// every early return (and a panic) of a save cleans up after itself.
struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl TempFile {
    /// Creates `.<name>.<pid>-<n>.tmp` next to `path`, so that the final
    /// rename stays within one file system (and so is atomic).
    fn create_beside(path: &Path) -> Result<(TempFile, File)> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let io_err = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let name = path.file_name().ok_or_else(|| {
            io_err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the path does not name a file",
            ))
        })?;
        let dir = parent_dir(path);
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let mut tmp_name = std::ffi::OsString::from(".");
            tmp_name.push(name);
            tmp_name.push(format!(".{}-{n}.tmp", std::process::id()));
            let tmp = dir.join(tmp_name);
            match OpenOptions::new().write(true).create_new(true).open(&tmp) {
                Ok(file) => {
                    let guard = TempFile {
                        path: tmp,
                        armed: true,
                    };
                    return Ok((guard, file));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(source) => return Err(Error::Io { path: tmp, source }),
            }
        }
    }

    /// Keeps the file: it has been renamed into place.
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            // Nothing more can be done if this fails; the save already
            // reports the error that brought us here.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Loads every parameter of `layer` from the `.npz` archive at `path`
/// (DeZero's `Layer.load_weights`), all or nothing.
///
/// Loading is strict, unlike DeZero's (which ignores extra arrays and
/// assigns whatever shape it finds): every key of the model must be in the
/// file with the parameter's shape and element type, and every array of the
/// file must be a parameter of the model. The whole file is checked before
/// any parameter changes, and every problem is reported at once; on error
/// the model is left exactly as it was.
///
/// A parameter without data, the `W` of a [`Linear`](crate::layers::Linear)
/// whose `in_size` is still unknown, takes the array's shape: it must be
/// 2-dimensional and, when the layer has a bias `b`, its second axis must be
/// the bias's length (the layer's `out_size`).
///
/// ```
/// // Step 53: `model.load_weights('my_mlp.npz')` into a fresh model.
/// use dezero_runtime::{io, layers::Linear, random::RandomState, Layer};
/// let trained = Linear::<f32>::with_in_rng(2, 3, &mut RandomState::new(0));
/// let path = std::env::temp_dir().join(format!("dezero-doc-load-{}.npz", std::process::id()));
/// io::save_weights(&trained, &path)?;
///
/// let fresh = Linear::<f32>::new(3); // W has no data until the first call
/// io::load_weights(&fresh, &path)?;
/// assert_eq!(fresh.in_size(), Some(2));
/// assert_eq!(*fresh.w.data(), *trained.w.data());
///
/// let wider = Linear::<f32>::new(4);
/// let err = io::load_weights(&wider, &path).unwrap_err();
/// assert!(err.to_string().ends_with(
///     "key `W`: expected shape [_, 4], got [2, 3]; key `b`: expected shape [4], got [3]"
/// ));
/// assert!(!wider.w.has_data());
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), dezero_runtime::Error>(())
/// ```
///
/// # Errors
/// [`Error::Io`] if the file cannot be opened; [`Error::Weights`] if it is
/// not a readable `.npz` archive; [`Error::WeightKeys`] listing every
/// missing, unexpected, mis-shaped, wrongly typed or undecodable key (and
/// every key that names two parameters of the model).
pub fn load_weights<T, L>(layer: &L, path: impl AsRef<Path>) -> Result<()>
where
    T: Scalar + ReadableElement,
    L: Layer<T> + ?Sized,
{
    let path = path.as_ref();
    let named = layer.named_params();
    let mut file = NpzFile::open(path)?;
    let in_file: Vec<String> = file.names()?;
    let mut problems = duplicate_keys(&named);
    let mut loaded: Vec<(&Parameter<T>, ArrayD<T>)> = Vec::with_capacity(named.len());

    for (key, p) in &named {
        let expected = expected_shape(key, p, &named);
        if !in_file.iter().any(|k| k == key) {
            problems.push(WeightProblem::Missing {
                key: key.clone(),
                expected: expected.to_string(),
            });
            continue;
        }
        match file.read_raw::<T>(key) {
            Ok(a) if expected.fits(a.shape()) => loaded.push((p, a)),
            Ok(a) => problems.push(WeightProblem::Shape {
                key: key.clone(),
                expected: expected.to_string(),
                got: a.shape().to_vec(),
            }),
            Err(ReadNpzError::Npy(ReadNpyError::WrongDescriptor(descr))) => {
                problems.push(WeightProblem::Dtype {
                    key: key.clone(),
                    expected: T::DTYPE,
                    got: dtype_name(&descr.to_string()),
                })
            }
            Err(e) => problems.push(WeightProblem::Unreadable {
                key: key.clone(),
                message: e.to_string(),
            }),
        }
    }
    for key in &in_file {
        if !named.iter().any(|(k, _)| k == key) {
            problems.push(WeightProblem::Unexpected { key: key.clone() });
        }
    }
    if !problems.is_empty() {
        return Err(Error::WeightKeys {
            path: path.to_path_buf(),
            problems,
        });
    }
    for (p, a) in loaded {
        p.set_data(a);
    }
    Ok(())
}

/// Every key that more than one parameter answers to, once each.
fn duplicate_keys<T: Scalar>(named: &[(String, Parameter<T>)]) -> Vec<WeightProblem> {
    let mut seen = HashSet::new();
    let mut reported = HashSet::new();
    let mut out = Vec::new();
    for (key, _) in named {
        if !seen.insert(key.as_str()) && reported.insert(key.as_str()) {
            out.push(WeightProblem::Duplicate { key: key.clone() });
        }
    }
    out
}

/// The shape a parameter accepts from a file.
enum Expected {
    /// A parameter with data keeps its shape.
    Exact(Vec<usize>),
    /// A lazy `W` takes any `(in_size, out_size)`, with `out_size` fixed when
    /// the layer has a bias.
    Lazy { out_size: Option<usize> },
}

impl Expected {
    fn fits(&self, shape: &[usize]) -> bool {
        match self {
            Expected::Exact(s) => s == shape,
            Expected::Lazy { out_size } => {
                shape.len() == 2 && out_size.is_none_or(|o| shape[1] == o)
            }
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Exact(s) => write!(f, "{s:?}"),
            Expected::Lazy { out_size: Some(o) } => write!(f, "[_, {o}]"),
            Expected::Lazy { out_size: None } => write!(f, "[_, _]"),
        }
    }
}

/// What the file's array for `key` must look like. A parameter without data
/// is a lazy `Linear`'s `W`; its `out_size` is the length of the sibling
/// bias `b`, when there is one.
fn expected_shape<T: Scalar>(
    key: &str,
    p: &Parameter<T>,
    named: &[(String, Parameter<T>)],
) -> Expected {
    if p.has_data() {
        return Expected::Exact(p.shape());
    }
    let bias_key = match key.rsplit_once('/') {
        Some((layer, _)) => format!("{layer}/b"),
        None => "b".to_string(),
    };
    let out_size = named
        .iter()
        .find(|(k, b)| *k == bias_key && b.has_data() && b.ndim() == 1)
        .map(|(_, b)| b.len());
    Expected::Lazy { out_size }
}

/// NumPy's name for an `.npy` type descriptor such as `'<f8'` (`float64`),
/// or the descriptor itself when it is not a plain number type.
fn dtype_name(descr: &str) -> String {
    let d = descr.trim_matches(|c| c == '\'' || c == '"');
    let body = d.trim_start_matches(['<', '>', '|', '=']);
    let mut chars = body.chars();
    let kind = chars.next();
    let bytes: Option<u32> = chars.as_str().parse().ok();
    match (kind, bytes) {
        (Some('f'), Some(n)) => format!("float{}", n * 8),
        (Some('i'), Some(n)) => format!("int{}", n * 8),
        (Some('u'), Some(n)) => format!("uint{}", n * 8),
        (Some('c'), Some(n)) => format!("complex{}", n * 8),
        (Some('b'), Some(1)) => "bool".to_string(),
        _ => descr.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtype_names_follow_numpy() {
        assert_eq!(dtype_name("'<f8'"), "float64");
        assert_eq!(dtype_name("'<f4'"), "float32");
        assert_eq!(dtype_name("'>i8'"), "int64");
        assert_eq!(dtype_name("'|u1'"), "uint8");
        assert_eq!(dtype_name("'|b1'"), "bool");
        assert_eq!(dtype_name("'<U3'"), "'<U3'");
    }

    #[test]
    fn temp_file_is_removed_unless_disarmed() {
        let dir = std::env::temp_dir().join(format!("dezero-io-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create test dir");
        let target = dir.join("w.npz");
        let (tmp, file) = TempFile::create_beside(&target).expect("temp file");
        drop(file);
        let tmp_path = tmp.path.clone();
        assert!(tmp_path.starts_with(&dir));
        assert!(tmp_path.exists());
        drop(tmp);
        assert!(!tmp_path.exists());
        std::fs::remove_dir_all(&dir).ok();
    }
}
