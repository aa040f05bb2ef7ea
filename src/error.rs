//! Errors with context.
//!
//! One hand-written [`Error`] for the crate: a [`ErrorKind`] saying what went wrong, plus the
//! context a user needs to act on it (the file, the line, the document id). Messages are lower
//! case and name the flag to change when the user can fix the problem. Problems with single
//! input records are not errors of the run: they are [`crate::Problem`]s, counted and reported
//! while the run goes on (unless `strict` is set).
//!
//! The kinds fall into five families, by who can act on them:
//!
//! | family | kinds | what to do |
//! |---|---|---|
//! | input | [`Input`](ErrorKind::Input), [`Record`](ErrorKind::Record), [`UnsupportedInput`](ErrorKind::UnsupportedInput) | fix or replace the input the message names |
//! | settings | [`Config`](ErrorKind::Config) | change the flag the message names |
//! | stored state | [`Index`](ErrorKind::Index), [`Manifest`](ErrorKind::Manifest), [`Database`](ErrorKind::Database) | use the index or manifest the run was made with, or make it again |
//! | bug | [`Internal`](ErrorKind::Internal) | report it: no input or setting should cause it |
//! | system | [`Io`](ErrorKind::Io) | fix the file, permission or device |

use std::fmt;
use std::path::PathBuf;

/// The crate-wide result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong (the families are in the [module documentation](self)).
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading or writing a file failed.
    Io(std::io::Error),
    /// A setting (a flag, a [`crate::Config`] field) is out of range or settings contradict
    /// each other.
    Config(String),
    /// An input record was unusable and `strict` mode turned the problem into an error.
    Record(crate::Problem),
    /// A path is not a kind of input syndup reads.
    UnsupportedInput(String),
    /// An input cannot be used as a whole: it changed while the scan ran, it holds more than
    /// a scan can count, or it is not what the command reads (a report, a truth file). Problems
    /// with single records are not errors: see [`crate::Problem`] and [`ErrorKind::Record`].
    Input(String),
    /// A persistent index cannot be used: not a syndup index, another format version, or
    /// built with other settings than this run's.
    Index(String),
    /// A file of the distributed flow cannot be used: not a syndup manifest or output, another
    /// format version, or made with another manifest than this run's.
    Manifest(String),
    /// The database holding a persistent index failed (the underlying error is the
    /// [`std::error::Error::source`]).
    Database(Box<dyn std::error::Error + Send + Sync>),
    /// A bug, in syndup or in the program calling it: a worker thread panicked, or an
    /// invariant of the code or of the API's contract broke. No input or setting should cause
    /// it.
    Internal(String),
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

    /// A configuration error with a message naming the flag ([`ErrorKind::Config`]).
    pub fn config(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::Config(msg.into()))
    }

    /// An input that cannot be used as a whole ([`ErrorKind::Input`]); the message names it.
    pub fn input(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::Input(msg.into()))
    }

    /// A bug ([`ErrorKind::Internal`]): a panic or a broken invariant, not the user's doing.
    pub fn internal(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::Internal(msg.into()))
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
            ErrorKind::Input(m) => write!(f, "{m}"),
            ErrorKind::Index(m) => write!(f, "{m}"),
            ErrorKind::Manifest(m) => write!(f, "{m}"),
            ErrorKind::Database(e) => write!(f, "index database: {e}"),
            ErrorKind::Internal(m) => write!(f, "{m}"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_give_their_kind_and_the_message_as_it_was() {
        let e = Error::config("--bands must be at least 1");
        assert!(matches!(e.kind(), ErrorKind::Config(_)));
        assert_eq!(e.to_string(), "--bands must be at least 1");
        let e = Error::input("the text of `a` changed during the scan: cannot quote it");
        assert!(matches!(e.kind(), ErrorKind::Input(_)));
        assert_eq!(
            e.to_string(),
            "the text of `a` changed during the scan: cannot quote it"
        );
        let e = Error::internal("input reader thread panicked");
        assert!(matches!(e.kind(), ErrorKind::Internal(_)));
        assert_eq!(e.to_string(), "input reader thread panicked");
        for e in [Error::config("x"), Error::input("x"), Error::internal("x")] {
            assert!(e.path().is_none());
            assert!(std::error::Error::source(&e).is_none());
            assert!(!e.is_broken_pipe());
            assert_eq!(e.with_path("in.jsonl").to_string(), "in.jsonl: x");
        }
    }

    #[test]
    fn io_and_database_errors_keep_their_source() {
        let e = Error::io(
            "out.json",
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "pipe closed"),
        );
        assert!(e.is_broken_pipe());
        assert_eq!(e.to_string(), "out.json: pipe closed");
        assert_eq!(
            std::error::Error::source(&e).unwrap().to_string(),
            "pipe closed"
        );
        // The first path attached stays.
        assert_eq!(
            e.with_path("other").path().unwrap(),
            std::path::Path::new("out.json")
        );
        let e = Error::new(ErrorKind::Database("disk full".into()));
        assert_eq!(e.to_string(), "index database: disk full");
        assert_eq!(
            std::error::Error::source(&e).unwrap().to_string(),
            "disk full"
        );
    }
}
