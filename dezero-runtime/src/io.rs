//! Reading `.npz` archives (NumPy's `np.savez` format), the format of
//! DeZero's weight files and of the reference fixtures.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use ndarray::ArrayD;
use ndarray_npy::{NpzReader, ReadableElement};

use crate::error::{Error, Result};

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
        self.reader
            .by_name::<ndarray::OwnedRepr<T>, ndarray::IxDyn>(name)
            .map_err(|e| Error::Weights {
                path: self.path.clone(),
                message: format!("key `{name}`: {e}"),
            })
    }

    /// The path the archive was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
