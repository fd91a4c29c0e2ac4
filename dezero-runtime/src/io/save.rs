//! Writing weights files so that an interrupted save leaves the previous
//! file: a temporary file beside the target, renamed over it once complete,
//! and the clean-up of the temporary files of saves that died.

use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray_npy::{NpzWriter, WritableElement};
use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

use super::with_sources;
use crate::error::{Error, Result};
use crate::scalar::Scalar;
use crate::variable::Parameter;

/// Replaces `path` with what `write` writes: into a temporary file beside
/// it, flushed to disk, then renamed over `path`. On any error `path` is as
/// it was and the temporary file is removed.
///
/// # Errors
/// [`Error::Io`] naming the temporary file if it cannot be created, written
/// or flushed, or naming `path` if the rename fails.
pub(super) fn replace_file(
    path: &Path,
    write: impl FnOnce(File) -> std::io::Result<File>,
) -> Result<()> {
    let (tmp, file) = TempFile::create_beside(path)?;
    let tmp_err = |source| Error::Io {
        path: tmp.path.clone(),
        source,
    };
    let file = write(file).map_err(tmp_err)?;
    file.sync_all().map_err(tmp_err)?;
    std::fs::rename(&tmp.path, path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    tmp.disarm();
    // The lock goes only now that the temporary name is gone, so no other
    // save's clean-up can take the file for a dead save's.
    drop(file);
    sync_parent_dir(path);
    Ok(())
}

/// The compressed `.npz` archive of the arrays, built in memory.
///
/// In memory, so that the zip writer never meets an I/O error: it cannot
/// give the one it met back whole (its message for one is "i/o error"), and
/// its `Drop` tries to finish an archive whose writing failed and prints to
/// stderr when it cannot. The file is then written in one call whose error
/// is the file system's own.
///
/// # Errors
/// Whatever the zip layer reports, naming the key it was writing.
pub(super) fn write_npz<T: Scalar + WritableElement>(
    named: &[(String, Parameter<T>)],
) -> std::io::Result<Vec<u8>> {
    // Deflated, as `numpy.savez_compressed` writes. (`new_compressed` needs
    // ndarray-npy's `compressed_npz` feature, which would bring in zlib-rs:
    // see dezero-runtime/Cargo.toml.)
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let mut npz = NpzWriter::new_with_options(Cursor::new(Vec::new()), options);
    for (key, p) in named {
        let data = p.data();
        npz.add_array(key.as_str(), &*data).map_err(|e| {
            std::io::Error::other(format!("writing key `{key}`: {}", with_sources(&e)))
        })?;
    }
    let cursor = npz.finish().map_err(|e| {
        std::io::Error::other(format!("finishing the archive: {}", with_sources(&e)))
    })?;
    Ok(cursor.into_inner())
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
    /// rename stays within one file system (and so is atomic), and locks
    /// it for as long as the returned `File` is open. First removes the
    /// temporary files of earlier saves to `path` that died.
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
        remove_dead_temp_files(dir, name);
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
                    // Without locks (some network file systems) the save
                    // still works; only the clean-up then leaves the file
                    // alone, as it cannot tell whether its save is alive.
                    let _ = file.lock();
                    // Another save's clean-up may have locked and removed
                    // the file between its creation and the lock above.
                    if matches!(guard.path.try_exists(), Ok(false)) {
                        continue;
                    }
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

/// Removes the temporary files in `dir` that saves to `name` left behind
/// when their process died: those whose lock nobody holds (a lock dies with
/// its process; a live save holds its own).
///
/// Best effort, as the save does not depend on it: a file that cannot be
/// opened, locked or removed is left.
fn remove_dead_temp_files(dir: &Path, name: &OsStr) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if !is_temp_name_of(&entry.file_name(), name) {
            continue;
        }
        let path = entry.path();
        let Ok(file) = File::open(&path) else {
            continue;
        };
        if file.try_lock().is_ok() {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Whether `file` is a temporary file name that [`TempFile::create_beside`]
/// makes for `name`: `.<name>.<pid>-<n>.tmp`.
fn is_temp_name_of(file: &OsStr, name: &OsStr) -> bool {
    let (file, name) = (file.as_encoded_bytes(), name.as_encoded_bytes());
    let Some(rest) = file
        .strip_prefix(b".")
        .and_then(|r| r.strip_prefix(name))
        .and_then(|r| r.strip_prefix(b"."))
        .and_then(|r| r.strip_suffix(b".tmp"))
    else {
        return false;
    };
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    match rest.iter().position(|&c| c == b'-') {
        Some(i) => digits(&rest[..i]) && digits(&rest[i + 1..]),
        None => false,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::io::save_weights;
    use crate::layers::Linear;
    use crate::random::RandomState;

    /// A fresh directory for one test, removed at the end.
    pub(in crate::io) struct TestDir(pub(in crate::io) PathBuf);

    impl TestDir {
        pub(in crate::io) fn new(tag: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("dezero-io-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("create test dir");
            TestDir(dir)
        }

        /// Names in the directory that start with `.`: temporary files.
        pub(in crate::io) fn hidden(&self) -> Vec<String> {
            std::fs::read_dir(&self.0)
                .expect("read test dir")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with('.'))
                .collect()
        }
    }

    impl Drop for TestDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
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

    /// A save removes the temporary files of dead saves to the same path,
    /// and nothing else: not a live save's (locked) file, not look-alikes.
    #[test]
    fn a_save_removes_dead_saves_temporary_files_only() {
        let dir = TestDir::new("dead-temp");
        let path = dir.0.join("w.npz");
        let dead = dir.0.join(".w.npz.4000000-0.tmp");
        std::fs::write(&dead, b"half an archive").expect("write");
        let live = dir.0.join(".w.npz.4000000-1.tmp");
        let live_file = File::create(&live).expect("create");
        live_file.lock().expect("lock");
        let others = [
            ".w.npz.tmp",
            ".w.npz.12-x.tmp",
            ".w.npz.-1.tmp",
            ".v.npz.1-2.tmp",
            "w.npz.1-2.tmp",
            ".w.npz.1-2.tmp.keep",
        ];
        for o in others {
            std::fs::write(dir.0.join(o), b"not ours").expect("write");
        }
        let layer = Linear::<f32>::with_in_rng(3, 4, &mut RandomState::new(0));
        save_weights(&layer, &path).expect("save");
        assert!(!dead.exists(), "the dead save's file is still there");
        assert!(live.exists(), "the live save's file was removed");
        for o in others {
            assert!(dir.0.join(o).exists(), "{o} was removed");
        }
        drop(live_file);
    }

    /// The archive's entries are deflated, as `np.savez_compressed` writes
    /// them (through miniz_oxide: see dezero-runtime/Cargo.toml), and an
    /// array that compresses well comes out several times smaller.
    #[test]
    fn saved_entries_are_deflated() {
        let zeros = Parameter::new(ndarray::ArrayD::<f32>::zeros(ndarray::IxDyn(&[16, 16])));
        let bytes = write_npz(&[("w".to_string(), zeros)]).expect("write");
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("archive");
        assert_eq!(archive.len(), 1);
        let entry = archive.by_index(0).expect("entry");
        assert_eq!(entry.name(), "w.npy");
        assert_eq!(entry.compression(), CompressionMethod::Deflated);
        assert!(
            entry.compressed_size() * 4 < entry.size(),
            "{} bytes compressed to {}",
            entry.size(),
            entry.compressed_size()
        );
    }
}
