//! Reading `.npz` archives as untrusted input (see the [`io`](crate::io)
//! module's docs): each entry's declared sizes and `.npy` header are checked
//! before its data is read.

use std::fmt;
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use ndarray::{ArrayD, IxDyn, ShapeBuilder};
use ndarray_npy::npy::header::{Header, Layout};
use ndarray_npy::{ReadDataError, ReadableElement};
use zip::{CompressionMethod, ZipArchive};

use super::{dtype_name, with_sources};
use crate::error::{Error, Result};

/// The longest `.npy` header read, in bytes: NumPy's own limit
/// (`np.load(..., max_header_size=10000)`).
const MAX_HEADER_LEN: usize = 10_000;

/// The deepest bracket nesting accepted in an `.npy` header: enough for
/// every array this crate reads (a dict holding a shape tuple nests 2 deep,
/// a simple structured dtype 3). The header parser's time grows about 2.4
/// times with each level (a 10 000-byte header nesting 20 deep takes
/// seconds, 30 deep hours); at 3 levels a header parses in tens of
/// milliseconds at worst.
const MAX_HEADER_NESTING: usize = 3;

/// The most bytes one compressed byte expands to under deflate: a 258-byte
/// match coded in 2 bits (zlib's technical notes give 1032:1).
const MAX_DEFLATE_RATIO: u64 = 1032;

/// The bytes every `.npy` file starts with.
const NPY_MAGIC: &[u8; 6] = b"\x93NUMPY";

/// An open `.npz` archive whose arrays are read by name.
///
/// Every read checks the archive as untrusted input (see the [module
/// docs](crate::io#untrusted-files)). `R` is where the archive's bytes come from:
/// a file for [`open`](NpzFile::open), anything that reads and seeks for
/// [`from_reader`](NpzFile::from_reader).
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
pub struct NpzFile<R = BufReader<File>> {
    path: PathBuf,
    zip: ZipArchive<R>,
    /// Bytes in the archive: no entry's compressed data can be longer.
    len: u64,
}

impl NpzFile<BufReader<File>> {
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
        NpzFile::from_reader(BufReader::new(file), path)
    }
}

impl<R: Read + Seek> NpzFile<R> {
    /// Reads an archive from `reader` (bytes in memory, say); `path` names
    /// it in errors.
    ///
    /// ```
    /// use dezero_runtime::io::NpzFile;
    /// let err = NpzFile::from_reader(std::io::Cursor::new(b"not a zip"), "<memory>")
    ///     .err()
    ///     .expect("not an archive");
    /// assert!(err.to_string().starts_with("<memory>: not a readable .npz archive"));
    /// ```
    ///
    /// # Errors
    /// [`Error::Io`] if `reader` cannot seek, [`Error::Weights`] if it does
    /// not hold a zip archive.
    pub fn from_reader(mut reader: R, path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let len = reader
            .seek(SeekFrom::End(0))
            .and_then(|len| reader.rewind().map(|()| len))
            .map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
        let zip = ZipArchive::new(reader).map_err(|e| Error::Weights {
            path: path.clone(),
            message: format!("not a readable .npz archive: {}", with_sources(&e)),
        })?;
        Ok(NpzFile { path, zip, len })
    }

    /// The names of the arrays, without the `.npy` suffix (as NumPy lists
    /// them), in the archive's order.
    ///
    /// # Errors
    /// None at present: the directory is checked when the archive is
    /// opened. The `Result` leaves room for readers that check it later.
    pub fn names(&mut self) -> Result<Vec<String>> {
        Ok((0..self.zip.len())
            .filter_map(|i| self.zip.name_for_index(i))
            .map(|n| n.strip_suffix(".npy").unwrap_or(n).to_string())
            .collect())
    }

    /// Reads the array `name` with element type `T`, as a row-major array.
    ///
    /// # Errors
    /// [`Error::Weights`] naming the key if it is missing, damaged, not an
    /// `.npy` array, of another element type, or claims more data than the
    /// entry holds.
    pub fn array<T: ReadableElement + Clone>(&mut self, name: &str) -> Result<ArrayD<T>> {
        self.read_entry::<T>(name, |_| Ok(()))
            .map_err(|e| Error::Weights {
                path: self.path.clone(),
                message: format!("key `{name}`: {e}"),
            })
    }

    /// The path the archive was opened from (or the name given to
    /// [`from_reader`](NpzFile::from_reader)).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The index of the entry NumPy's `npz[name]` reads: the entry called
    /// `name`, else `name.npy`.
    fn index_of(&self, name: &str) -> Option<usize> {
        self.zip
            .index_for_name(name)
            .or_else(|| self.zip.index_for_name(&format!("{name}.npy")))
    }

    /// Reads the entry `name` as an array of `T`. `check` sees the header
    /// before any data is read; then the claimed size is checked against the
    /// entry's, and only then is memory for the data allocated.
    pub(super) fn read_entry<T: ReadableElement + Clone>(
        &mut self,
        name: &str,
        check: impl FnOnce(&Header) -> Result<(), EntryError>,
    ) -> Result<ArrayD<T>, EntryError> {
        let index = self.index_of(name).ok_or(EntryError::Missing)?;
        let archive_len = self.len;
        let mut entry = self
            .zip
            .by_index(index)
            .map_err(|e| EntryError::Zip(with_sources(&e)))?;
        check_entry_size(
            entry.compression(),
            entry.compressed_size(),
            entry.size(),
            archive_len,
        )?;
        let (header, header_len) = read_npy_header(&mut entry)?;
        check(&header)?;

        let elems = claimed_elems::<T>(&header, header_len, entry.size())?;
        let data = T::read_to_end_exact_vec(&mut entry, &header.type_descriptor, elems)
            .map_err(data_error)?;
        let shape = IxDyn(&header.shape);
        let array = match header.layout {
            Layout::Standard => ArrayD::from_shape_vec(shape, data),
            Layout::Fortran => ArrayD::from_shape_vec(shape.f(), data),
        }
        .map_err(|e| EntryError::Size(format!("shape {:?}: {e}", header.shape)))?;
        Ok(if array.is_standard_layout() {
            array
        } else {
            array.as_standard_layout().into_owned()
        })
    }
}

/// Why one entry of an archive could not be read as an array.
#[derive(Debug)]
pub(super) enum EntryError {
    /// No entry has the name.
    Missing,
    /// The zip layer refused the entry (bad local header, encryption).
    Zip(String),
    /// The entry is not an `.npy` array, or its header is malformed.
    NotNpy(String),
    /// The header's dtype is not the one asked for.
    Dtype {
        /// What was asked for.
        expected: &'static str,
        /// NumPy's name of the header's dtype.
        got: String,
    },
    /// The header's shape is not the one asked for (checked by the caller).
    Shape(Vec<usize>),
    /// Declared sizes that cannot be true, or do not agree.
    Size(String),
    /// The data could not be decompressed or does not fit the header.
    Data(String),
}

impl fmt::Display for EntryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryError::Missing => f.write_str("no such array in the archive"),
            EntryError::Zip(m) => write!(f, "damaged zip entry: {m}"),
            EntryError::NotNpy(m) => write!(f, "not an .npy array: {m}"),
            EntryError::Dtype { expected, got } => {
                write!(f, "expected dtype {expected}, got {got}")
            }
            EntryError::Shape(s) => write!(f, "unexpected shape {s:?}"),
            EntryError::Size(m) => f.write_str(m),
            EntryError::Data(m) => write!(f, "damaged data: {m}"),
        }
    }
}

/// The number of elements the header claims, once it is known to be what
/// the entry holds: `header_len` bytes of header, then the data, `size`
/// bytes in all. Checks that the dtype has `T`'s size first.
fn claimed_elems<T>(header: &Header, header_len: u64, size: u64) -> Result<usize, EntryError> {
    let descr = header.type_descriptor.to_string();
    let elem = std::mem::size_of::<T>();
    if item_size(&descr) != Some(elem) {
        return Err(EntryError::Dtype {
            expected: std::any::type_name::<T>(),
            got: dtype_name(&descr),
        });
    }
    let Some(data_len) = size.checked_sub(header_len) else {
        return Err(EntryError::Size(format!(
            "the entry declares {size} bytes, fewer than its {header_len}-byte .npy header"
        )));
    };
    let elems = header
        .shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .filter(|n| {
            n.checked_mul(elem)
                .is_some_and(|b| b <= isize::MAX as usize)
        });
    let claimed = elems.map(|n| n as u128 * elem as u128);
    match elems {
        Some(n) if claimed == Some(u128::from(data_len)) => Ok(n),
        _ => Err(EntryError::Size(format!(
            "header claims shape {:?} of {} ({}), but the entry holds {data_len} bytes of data",
            header.shape,
            dtype_name(&descr),
            match claimed {
                Some(b) => format!("{b} bytes"),
                None => "more bytes than memory can address".to_string(),
            },
        ))),
    }
}

/// Says what was wrong with an entry's data.
fn data_error(e: ReadDataError) -> EntryError {
    EntryError::Data(match e {
        ReadDataError::WrongDescriptor(d) => format!("unsupported type descriptor {d}"),
        ReadDataError::MissingData => "the data ends before the shape is filled".to_string(),
        ReadDataError::ExtraBytes(n) => format!("{n} bytes after the end of the data"),
        e => with_sources(&e),
    })
}

/// Checks that an entry's declared sizes can be true: its compressed bytes
/// lie within the archive, and its uncompressed size is no more than they
/// can expand to. Everything read later is bounded by the declared size.
fn check_entry_size(
    method: CompressionMethod,
    compressed: u64,
    size: u64,
    archive_len: u64,
) -> Result<(), EntryError> {
    if compressed > archive_len {
        return Err(EntryError::Size(format!(
            "the entry claims {compressed} compressed bytes, more than the archive's \
             {archive_len}"
        )));
    }
    let most = match method {
        CompressionMethod::Stored => compressed,
        CompressionMethod::Deflated => compressed.saturating_mul(MAX_DEFLATE_RATIO),
        other => {
            return Err(EntryError::Zip(format!(
                "compression method {other}, which NumPy does not write"
            )))
        }
    };
    if size > most {
        return Err(EntryError::Size(format!(
            "the entry claims {size} bytes from {compressed} compressed bytes, more than \
             {method} can expand them to"
        )));
    }
    Ok(())
}

/// Reads an `.npy` header from `r`, leaving `r` at the first byte of data;
/// returns it with its length in bytes. Reads at most [`MAX_HEADER_LEN`]
/// bytes of header, and parses it only when its brackets nest at most
/// [`MAX_HEADER_NESTING`] deep, so that neither memory nor time depends on
/// what the header claims.
fn read_npy_header(r: &mut impl Read) -> Result<(Header, u64), EntryError> {
    let read_err = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            EntryError::NotNpy("the entry ends inside the .npy header".to_string())
        } else {
            EntryError::Data(e.to_string())
        }
    };
    let mut prefix = [0u8; 8];
    r.read_exact(&mut prefix).map_err(read_err)?;
    if prefix[..6] != NPY_MAGIC[..] {
        return Err(EntryError::NotNpy(
            "it does not start with the .npy magic string".to_string(),
        ));
    }
    let (major, minor) = (prefix[6], prefix[7]);
    let len_bytes = match major {
        1 => 2,
        2 | 3 => 4,
        _ => {
            return Err(EntryError::NotNpy(format!(
                "unsupported .npy format version {major}.{minor}"
            )))
        }
    };
    let mut len_buf = [0u8; 4];
    r.read_exact(&mut len_buf[..len_bytes]).map_err(read_err)?;
    let header_len = u32::from_le_bytes(len_buf) as usize;
    if header_len > MAX_HEADER_LEN {
        return Err(EntryError::NotNpy(format!(
            "a header of {header_len} bytes, longer than NumPy's limit of {MAX_HEADER_LEN}"
        )));
    }
    let mut bytes = Vec::with_capacity(prefix.len() + len_bytes + header_len);
    bytes.extend_from_slice(&prefix);
    bytes.extend_from_slice(&len_buf[..len_bytes]);
    let start = bytes.len();
    bytes.resize(start + header_len, 0);
    r.read_exact(&mut bytes[start..]).map_err(read_err)?;
    let depth = nesting_depth(&bytes[start..]);
    if depth > MAX_HEADER_NESTING {
        return Err(EntryError::NotNpy(format!(
            "the header nests brackets {depth} deep, more than the {MAX_HEADER_NESTING} \
             that headers of plain arrays need"
        )));
    }
    let header = Header::from_reader(&mut Cursor::new(&bytes))
        .map_err(|e| EntryError::NotNpy(format!("bad header: {}", with_sources(&e))))?;
    Ok((header, bytes.len() as u64))
}

/// The deepest nesting of `(`, `[` and `{` in `text` (quotes are not
/// special: a bracket inside a string only makes the count larger).
fn nesting_depth(text: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for &c in text {
        match c {
            b'(' | b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// The bytes per element of a plain number type descriptor such as
/// `'<f4'`, or `None` for any other (structured, object, strings).
fn item_size(descr: &str) -> Option<usize> {
    let d = descr.trim_matches(|c| c == '\'' || c == '"');
    let body = d.trim_start_matches(['<', '>', '|', '=']);
    let mut chars = body.chars();
    match chars.next() {
        Some('f' | 'i' | 'u' | 'c' | 'b') => chars.as_str().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_nesting_is_measured() {
        assert_eq!(nesting_depth(b"{'shape': (2, 3), }"), 2);
        assert_eq!(nesting_depth(b"((()))"), 3);
        assert_eq!(nesting_depth(b")))"), 0);
    }

    #[test]
    fn item_sizes_of_plain_numbers_only() {
        assert_eq!(item_size("'<f4'"), Some(4));
        assert_eq!(item_size("'>f8'"), Some(8));
        assert_eq!(item_size("'|b1'"), Some(1));
        assert_eq!(item_size("'|O'"), None);
        assert_eq!(item_size("'<U3'"), None);
        assert_eq!(item_size("'<f99999999999999999999999'"), None);
    }
}
