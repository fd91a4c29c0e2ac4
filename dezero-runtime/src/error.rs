//! The crate's one error type.

use std::fmt;

/// What went wrong, naming the op, layer or key and the expected vs actual
/// shape or type.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// An array had the wrong shape.
    Shape {
        /// The op or layer that checked it.
        op: String,
        /// What was expected.
        expected: String,
        /// What was given.
        got: String,
    },
    /// A weights file could not be read or written.
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A weights file was readable but its content is wrong.
    Weights {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong, naming the key.
        message: String,
    },
    /// A weights file does not fit the model, or the model cannot be saved:
    /// every problem found, each naming its key (see
    /// [`load_weights`](crate::io::load_weights)).
    WeightKeys {
        /// The file.
        path: std::path::PathBuf,
        /// Each problem, in the model's key order, then the file's.
        problems: Vec<crate::io::WeightProblem>,
    },
    /// An external program could not be run or failed (the `dot` program of
    /// [`plot_dot_graph`](crate::graph::plot_dot_graph)).
    Program {
        /// The program as it was invoked.
        program: String,
        /// What went wrong.
        message: String,
    },
    /// In check-finite mode, the first op whose output or gradient held a
    /// NaN or an infinity (see [`finite`](crate::finite)).
    NonFinite(Box<crate::finite::NonFinite>),
    /// A gradient check failed (see [`gradient_check`](crate::utils::gradient_check)).
    Gradient(Box<crate::utils::GradientMismatch>),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Shape { op, expected, got } => {
                write!(f, "{op}: expected {expected}, got {got}")
            }
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Weights { path, message } => write!(f, "{}: {message}", path.display()),
            Error::WeightKeys { path, problems } => {
                write!(f, "{}: ", path.display())?;
                for (i, p) in problems.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{p}")?;
                }
                Ok(())
            }
            Error::Program { program, message } => write!(f, "program `{program}`: {message}"),
            Error::NonFinite(r) => fmt::Display::fmt(r, f),
            Error::Gradient(m) => fmt::Display::fmt(m, f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
