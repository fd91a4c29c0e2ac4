//! `.npz` archives (NumPy's `np.savez` format): reading them
//! ([`NpzFile`]), and DeZero's weight files ([`save_weights`],
//! [`load_weights`]), which move weights between this crate and Python
//! DeZero/NumPy both ways.
//!
//! # Untrusted files
//!
//! A weights file is outside input: anything may be in it, and reading it
//! returns an error naming the key and what is wrong, never a panic. No
//! read allocates more than the archive's bytes could decompress to. Before
//! an array's data is read, its `.npy` header is parsed on its own (at most
//! NumPy's 10 000 bytes), and the byte size that its shape and dtype claim
//! must equal the size the zip entry declares, which in turn must be no more
//! than the entry's compressed bytes can expand to (as many when stored,
//! 1032 times as many under deflate), which must lie within the archive. So
//! a header claiming 2⁴⁰ elements in a 1 KB file is an error, not a request
//! for 4 TiB. Truncation, a damaged directory, a checksum mismatch, an entry
//! that is not an `.npy` array, a dtype NumPy names but this crate does not
//! read, and a compression method NumPy does not write are errors too.
//!
//! Big-endian (`>f4`) and Fortran-order arrays are valid `.npy` content that
//! NumPy writes and DeZero loads: they are read as NumPy reads them, into
//! row-major arrays.
//!
//! # Interrupted saves
//!
//! [`save_weights`] writes beside the target and renames over it, so a save
//! that fails, or a process killed in the middle of one, leaves the previous
//! file as it was. A killed save's temporary file is removed by the next save
//! to the same path.

mod npz;
mod save;

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::Path;

use ndarray::ArrayD;
use ndarray_npy::npy::header::Header;
use ndarray_npy::{ReadableElement, WritableElement};

use crate::error::{Error, Result};
use crate::layers::Layer;
use crate::scalar::Scalar;
use crate::variable::Parameter;

use npz::EntryError;
pub use npz::NpzFile;

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
    /// The file has two arrays that answer to `key` (entries `key` and
    /// `key.npy`), so it cannot say which one is meant.
    RepeatedInFile {
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
            | WeightProblem::NoData { key }
            | WeightProblem::RepeatedInFile { key } => key,
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
            WeightProblem::RepeatedInFile { key } => write!(
                f,
                "key `{key}` is in the file twice (as `{key}` and `{key}.npy`)"
            ),
        }
    }
}

/// Writes every parameter of `layer` to `path` as a compressed `.npz`
/// archive, keyed as DeZero's `Layer.save_weights` keys them (`l0/W`,
/// `l0/b`, `block/l1/W`), so NumPy and DeZero read it back with `np.load`.
///
/// The archive is built in memory (so a save needs memory for the
/// compressed archive besides the weights), written to a temporary file
/// beside `path`, flushed to disk, then renamed over `path`: a reader sees
/// the old file or the new one, never a half-written one. On any error the old file is left as it
/// was and the temporary file is removed. A temporary file left by a
/// process killed during a save is removed by the next save to `path`
/// (each save holds a lock on its own, so a save still running elsewhere
/// keeps its file).
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
    save_weights_through(layer, path.as_ref(), |file| file)
}

/// [`save_weights`], with the archive written through `wrap(file)` instead
/// of the temporary file itself: the seam through which the tests make the
/// write fail after every number of bytes.
fn save_weights_through<T, L, W>(layer: &L, path: &Path, wrap: impl FnOnce(File) -> W) -> Result<()>
where
    T: Scalar + WritableElement,
    L: Layer<T> + ?Sized,
    W: Write + Into<File>,
{
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

    let archive = save::write_npz(&named).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    save::replace_file(path, |file| {
        let mut w = wrap(file);
        w.write_all(&archive)?;
        w.flush()?;
        Ok(w.into())
    })
}

/// Loads every parameter of `layer` from the `.npz` archive at `path`
/// (DeZero's `Layer.load_weights`), all or nothing.
///
/// Loading is strict, unlike DeZero's (which ignores extra arrays and
/// assigns whatever shape it finds): every key of the model must be in the
/// file with the parameter's shape and element type, and every array of the
/// file must be a parameter of the model. The whole file is checked before
/// any parameter changes, and every problem is reported at once; on error
/// the model is left exactly as it was. The file is untrusted input (see the
/// [module docs](crate::io#untrusted-files)): a damaged or hostile one is an
/// error, never a panic.
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
/// missing, unexpected, mis-shaped, wrongly typed, undecodable or repeated
/// key (and every key that names two parameters of the model).
pub fn load_weights<T, L>(layer: &L, path: impl AsRef<Path>) -> Result<()>
where
    T: Scalar + ReadableElement,
    L: Layer<T> + ?Sized,
{
    load_weights_from(layer, &mut NpzFile::open(path)?)
}

/// [`load_weights`] from an archive already open, such as one read from
/// memory with [`NpzFile::from_reader`].
///
/// ```
/// use dezero_runtime::{io, layers::Linear, random::RandomState};
/// let trained = Linear::<f64>::with_in_rng(2, 3, &mut RandomState::new(0));
/// let path = std::env::temp_dir().join(format!("dezero-doc-from-{}.npz", std::process::id()));
/// io::save_weights(&trained, &path)?;
/// let bytes = std::fs::read(&path)?;
/// # std::fs::remove_file(&path).ok();
///
/// let mut file = io::NpzFile::from_reader(std::io::Cursor::new(bytes), "<memory>")?;
/// let fresh = Linear::<f64>::new(3);
/// io::load_weights_from(&fresh, &mut file)?;
/// assert_eq!(*fresh.w.data(), *trained.w.data());
///
/// let mut file = io::NpzFile::from_reader(std::io::Cursor::new(b"PK"), "<memory>");
/// assert!(file.is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// As [`load_weights`], but for opening the file.
pub fn load_weights_from<T, L, R>(layer: &L, file: &mut NpzFile<R>) -> Result<()>
where
    T: Scalar + ReadableElement,
    L: Layer<T> + ?Sized,
    R: Read + Seek,
{
    let named = layer.named_params();
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
        // The dtype, then the shape, before any data is read.
        let check = |h: &Header| {
            let got = dtype_name(&h.type_descriptor.to_string());
            if got != T::DTYPE {
                Err(EntryError::Dtype {
                    expected: T::DTYPE,
                    got,
                })
            } else if !expected.fits(&h.shape) {
                Err(EntryError::Shape(h.shape.clone()))
            } else {
                Ok(())
            }
        };
        match file.read_entry::<T>(key, check) {
            Ok(a) => loaded.push((p, a)),
            Err(EntryError::Shape(got)) => problems.push(WeightProblem::Shape {
                key: key.clone(),
                expected: expected.to_string(),
                got,
            }),
            Err(EntryError::Dtype { got, .. }) => problems.push(WeightProblem::Dtype {
                key: key.clone(),
                expected: T::DTYPE,
                got,
            }),
            Err(e) => problems.push(WeightProblem::Unreadable {
                key: key.clone(),
                message: e.to_string(),
            }),
        }
    }
    let mut seen = HashSet::new();
    for key in &in_file {
        if !seen.insert(key.as_str()) {
            problems.push(WeightProblem::RepeatedInFile { key: key.clone() });
        } else if !named.iter().any(|(k, _)| k == key) {
            problems.push(WeightProblem::Unexpected { key: key.clone() });
        }
    }
    if !problems.is_empty() {
        return Err(Error::WeightKeys {
            path: file.path().to_path_buf(),
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
/// or the descriptor itself when it is not a plain number type (cut to
/// [`MAX_DESCR_SHOWN`] characters: a file's descriptor can be 10 000 long).
fn dtype_name(descr: &str) -> String {
    let d = descr.trim_matches(|c| c == '\'' || c == '"');
    let body = d.trim_start_matches(['<', '>', '|', '=']);
    let mut chars = body.chars();
    let kind = chars.next();
    let rest = chars.as_str();
    // Bits, not bytes, in NumPy's names; a descriptor from a file may hold
    // any number, so the product is checked.
    let bits: Option<u32> = rest.parse::<u32>().ok().and_then(|n| n.checked_mul(8));
    match (kind, bits) {
        (Some('f'), Some(n)) => format!("float{n}"),
        (Some('i'), Some(n)) => format!("int{n}"),
        (Some('u'), Some(n)) => format!("uint{n}"),
        (Some('c'), Some(n)) => format!("complex{n}"),
        (Some('b'), Some(8)) => "bool".to_string(),
        (Some('O'), _) if rest.is_empty() => "object".to_string(),
        _ if descr.chars().count() > MAX_DESCR_SHOWN => {
            let mut cut: String = descr.chars().take(MAX_DESCR_SHOWN).collect();
            cut.push('…');
            cut
        }
        _ => descr.to_string(),
    }
}

/// The most characters of a type descriptor an error message shows.
const MAX_DESCR_SHOWN: usize = 60;

/// `e`'s message followed by those of its sources, each once (the zip
/// layer's own message for an I/O error is only "i/o error").
fn with_sources(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use super::save::tests::TestDir;
    use super::*;
    use crate::layers::Linear;
    use crate::models::Sequential;
    use crate::random::RandomState;

    #[test]
    fn dtype_names_follow_numpy() {
        assert_eq!(dtype_name("'<f8'"), "float64");
        assert_eq!(dtype_name("'<f4'"), "float32");
        assert_eq!(dtype_name("'>i8'"), "int64");
        assert_eq!(dtype_name("'|u1'"), "uint8");
        assert_eq!(dtype_name("'|b1'"), "bool");
        assert_eq!(dtype_name("'<U3'"), "'<U3'");
        assert_eq!(dtype_name("'|O'"), "object");
        assert_eq!(dtype_name("'<f4294967295'"), "'<f4294967295'");
        assert_eq!(dtype_name("[('a', '<f4')]"), "[('a', '<f4')]");
        let long = format!("[{}]", "('a', '<f4'), ".repeat(100));
        assert_eq!(dtype_name(&long).chars().count(), MAX_DESCR_SHOWN + 1);
    }

    /// A writer onto the temporary file that fails once its budget of
    /// bytes is spent, as a full disk or a yanked drive would.
    struct FailAfter {
        file: File,
        left: Rc<Cell<usize>>,
    }

    impl Write for FailAfter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let left = self.left.get();
            if left == 0 && !buf.is_empty() {
                return Err(std::io::Error::other("injected failure: no space left"));
            }
            let n = self.file.write(&buf[..buf.len().min(left)])?;
            self.left.set(left - n);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.file.flush()
        }
    }

    impl From<FailAfter> for File {
        fn from(w: FailAfter) -> File {
            w.file
        }
    }

    fn model(rng: &mut RandomState) -> Sequential<f32> {
        let mut m = Sequential::new();
        m.push(Linear::with_in_rng(3, 4, rng));
        m.push(Linear::with_in_rng(4, 2, rng));
        m
    }

    fn data(m: &Sequential<f32>) -> Vec<ArrayD<f32>> {
        m.params().iter().map(|p| p.to_array()).collect()
    }

    /// A save that fails after any number of bytes written (0 to one short
    /// of the whole file) reports the error, keeps the old file byte for
    /// byte and leaves no temporary file; with the whole file's budget it
    /// succeeds.
    #[test]
    fn a_save_failing_after_any_number_of_bytes_keeps_the_old_file() {
        let dir = TestDir::new("fail-after");
        let path = dir.0.join("w.npz");
        let mut rng = RandomState::new(0);
        let (old, new) = (model(&mut rng), model(&mut rng));
        save_weights(&old, &path).expect("first save");
        let old_bytes = std::fs::read(&path).expect("read");

        // Bytes a whole save writes: the new file's length.
        let count_path = dir.0.join("count.npz");
        save_weights(&new, &count_path).expect("save");
        let total = std::fs::metadata(&count_path).expect("stat").len() as usize;
        std::fs::remove_file(&count_path).expect("remove");

        // Every budget, except under Miri, where one save takes about a
        // second: there, nine budgets spread over the file, both ends
        // included. (The archive reaches the file in one `write_all`, so
        // every budget runs the same code: only where the write stops
        // differs.)
        let budgets: Vec<usize> = if cfg!(miri) {
            let mut b: Vec<usize> = (0..total).step_by(total.div_ceil(8)).collect();
            b.push(total - 1);
            b
        } else {
            (0..total).collect()
        };
        for &budget in &budgets {
            let left = Rc::new(Cell::new(budget));
            let err = save_weights_through(&new, &path, |file| FailAfter { file, left })
                .expect_err("a save with too small a budget fails");
            assert!(matches!(err, Error::Io { .. }), "budget {budget}: {err:?}");
            assert!(
                err.to_string().contains("injected failure"),
                "budget {budget}: {err}"
            );
            assert_eq!(
                std::fs::read(&path).expect("read"),
                old_bytes,
                "budget {budget}"
            );
            assert!(
                dir.hidden().is_empty(),
                "budget {budget}: {:?}",
                dir.hidden()
            );
        }
        eprintln!(
            "interrupted saves tried: {} (failing after 0..{total} bytes)",
            budgets.len()
        );

        let left = Rc::new(Cell::new(total));
        save_weights_through(&new, &path, |file| FailAfter { file, left }).expect("exact budget");
        let loaded = model(&mut RandomState::new(9));
        load_weights(&loaded, &path).expect("load");
        assert_eq!(data(&loaded), data(&new));
        assert!(dir.hidden().is_empty());
    }
}
