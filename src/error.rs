//! Errors with context.
//!
//! One hand-written [`Error`] for the crate: a [`ErrorKind`] saying what went wrong, plus the
//! context a user needs to act on it (the file, the line, the document id). Messages are lower
//! case and name the flag to change when the user can fix the problem. Problems with single
//! input records are not errors of the run: they are [`crate::Problem`]s, counted and reported
//! while the run goes on (unless `strict` is set).

use std::fmt;
use std::path::PathBuf;

/// The crate-wide result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading or writing a file failed.
    Io(std::io::Error),
    /// A setting is out of range or settings contradict each other.
    Config(String),
    /// An input record was unusable and `strict` mode turned the problem into an error.
    Record(crate::Problem),
    /// A path is not a kind of input syndup reads.
    UnsupportedInput(String),
    /// A persistent index cannot be used: not a syndup index, another format version, or
    /// built with other settings than this run's.
    Index(String),
    /// A file of the distributed flow cannot be used: not a syndup manifest or output, another
    /// format version, or made with another manifest than this run's.
    Manifest(String),
    /// The database holding a persistent index failed (the underlying error is the
    /// [`std::error::Error::source`]).
    Database(Box<dyn std::error::Error + Send + Sync>),
}

/// An error with the context needed to find its cause.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    path: Option<PathBuf>,
}

impl Error {
    /// Creates an error of this kind without a path.
    pub fn new(kind: ErrorKind) -> Error {
        Error { kind, path: None }
    }

    /// A configuration error with a message naming the flag.
    pub fn config(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::Config(msg.into()))
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, err: std::io::Error) -> Error {
        Error {
            kind: ErrorKind::Io(err),
            path: Some(path.into()),
        }
    }

    /// Attaches a path, unless the error already has one.
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> Error {
        if self.path.is_none() {
            self.path = Some(path.into());
        }
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The file involved, when there is one.
    pub fn path(&self) -> Option<&std::path::Path> {
        self.path.as_deref()
    }

    /// True when the error is a closed pipe on output (`syndup scan | head`), which a command
    /// line tool treats as success.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(&self.kind, ErrorKind::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.path {
            write!(f, "{}: ", p.display())?;
        }
        match &self.kind {
            ErrorKind::Io(e) => write!(f, "{e}"),
            ErrorKind::Config(m) => write!(f, "{m}"),
            ErrorKind::Record(p) => write!(f, "{p} (stopped by --strict)"),
            ErrorKind::UnsupportedInput(m) => write!(f, "{m}"),
            ErrorKind::Index(m) => write!(f, "{m}"),
            ErrorKind::Manifest(m) => write!(f, "{m}"),
            ErrorKind::Database(e) => write!(f, "index database: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io(e) => Some(e),
            ErrorKind::Database(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}
