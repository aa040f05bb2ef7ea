//! Output routing: one record's line and its [`Verdict`] -> the right output, as
//! `syndup filter` and `syndup apply` write them.
//!
//! Input: the raw line of a record as read (no line terminator) and its verdict, or a
//! [`Problem`] for a record that could not be read. Output: kept records on the `kept` sink,
//! byte for byte (or annotated, with [`Sinks::annotate`]); duplicates annotated on the
//! `duplicates` sink, or on `kept` when annotating, else dropped; unreadable records as JSON
//! Lines on the rejects sink, or handed to the caller. Place in the pipeline: the last step of
//! the streaming filter ([`crate::StreamFilter::run`]) and of the distributed flow's `apply`
//! ([`crate::dist::apply()`]), so both route and annotate records the same way by
//! construction. Annotation inserts fields before the closing brace and keeps every other byte
//! ([`super::annotate_into`]): downstream tools see the records they sent in.

use super::{annotate_into, Relation, Verdict};
use crate::document::Problem;
use crate::error::{Error, Result};
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;

/// An output and the name its write errors carry (a path, or a label such as `<stdout>`).
pub struct Sink<'a> {
    out: &'a mut dyn Write,
    name: PathBuf,
}

impl<'a> Sink<'a> {
    /// `out`, named `name` in errors.
    pub fn new(out: &'a mut dyn Write, name: impl Into<PathBuf>) -> Sink<'a> {
        Sink {
            out,
            name: name.into(),
        }
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        self.out
            .write_all(bytes)
            .map_err(|e| Error::io(&self.name, e))
    }

    fn flush(&mut self) -> Result<()> {
        self.out.flush().map_err(|e| Error::io(&self.name, e))
    }
}

impl std::fmt::Debug for Sink<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sink").field("name", &self.name).finish()
    }
}

/// Where records that could not be read go.
pub enum Rejects<'a> {
    /// Written as JSON Lines: `path`, `line`, `id`, `kind`, `message` and the `record` itself
    /// (as lossy UTF-8, `null` when it was never read).
    Write(Sink<'a>),
    /// Handed to the caller, in input order (to show them on a terminal, say).
    Report(&'a mut dyn FnMut(&Problem)),
    /// Counted only.
    Drop,
}

impl std::fmt::Debug for Rejects<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejects::Write(s) => f.debug_tuple("Write").field(s).finish(),
            Rejects::Report(_) => f.write_str("Report(..)"),
            Rejects::Drop => f.write_str("Drop"),
        }
    }
}

/// Where verdicts go.
#[derive(Debug)]
pub struct Sinks<'a> {
    /// Kept records, byte-identical (and, with `annotate`, every record annotated).
    pub kept: Sink<'a>,
    /// Duplicates, annotated; `None` drops them (or, with `annotate`, writes them to `kept`).
    pub duplicates: Option<Sink<'a>>,
    /// Records that could not be read.
    pub rejects: Rejects<'a>,
    /// Annotate kept records too (`"relation":"unique"`), and send duplicates to `kept` when
    /// there is no `duplicates` sink.
    pub annotate: bool,
}

/// Counts of the records a [`Router`] was given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Records routed: kept + duplicates + rejected.
    pub records: u64,
    /// Kept records.
    pub kept: u64,
    /// Duplicates (written, annotated, or dropped).
    pub duplicates: u64,
    /// Of which exact duplicates.
    pub exact_duplicates: u64,
    /// Records that could not be read.
    pub rejected: u64,
    /// Verdicts replayed from an index (counted in kept or duplicates too).
    pub replayed: u64,
}

/// Routes records to [`Sinks`] and counts them: kept records byte-identical (or annotated),
/// duplicates annotated ([`super::annotate_into`]) to their sink, to `kept` when annotating,
/// or nowhere, and unreadable records to [`Rejects`]. `syndup filter`
/// ([`crate::StreamFilter::run`]) and `syndup apply` ([`crate::dist::apply()`]) both write
/// through it.
#[derive(Debug)]
pub struct Router<'a> {
    sinks: Sinks<'a>,
    counts: Counts,
    buf: Vec<u8>,
}

impl<'a> Router<'a> {
    /// A router writing to `sinks`.
    pub fn new(sinks: Sinks<'a>) -> Router<'a> {
        Router {
            sinks,
            counts: Counts::default(),
            buf: Vec::new(),
        }
    }

    /// Writes `line` (a record as read, without its line terminator) where `verdict` sends it,
    /// followed by `\n`. A line that cannot be annotated (not ending in `}`; never the case
    /// for a record the filter parsed) is written as read.
    pub fn route(&mut self, line: &[u8], verdict: &Verdict) -> Result<()> {
        let c = &mut self.counts;
        match verdict {
            Verdict::Kept { replay, .. } => {
                c.records += 1;
                c.kept += 1;
                c.replayed += *replay as u64;
                self.buf.clear();
                if !(self.sinks.annotate && annotate_into(line, verdict, &mut self.buf)) {
                    self.buf.extend_from_slice(line);
                }
                self.buf.push(b'\n');
                self.sinks.kept.write_all(&self.buf)
            }
            Verdict::Duplicate {
                relation, replay, ..
            } => {
                c.records += 1;
                c.duplicates += 1;
                c.exact_duplicates += (*relation == Relation::ExactDuplicate) as u64;
                c.replayed += *replay as u64;
                self.buf.clear();
                if !annotate_into(line, verdict, &mut self.buf) {
                    self.buf.extend_from_slice(line);
                }
                self.buf.push(b'\n');
                match (&mut self.sinks.duplicates, self.sinks.annotate) {
                    (Some(s), _) => s.write_all(&self.buf),
                    (None, true) => self.sinks.kept.write_all(&self.buf),
                    (None, false) => Ok(()),
                }
            }
            Verdict::Rejected(p) => self.reject(p, Some(line)),
        }
    }

    /// Routes a record that could not be read: `problem` says where and why, `line` is the
    /// record when it was read (a reader problem such as a too-large line has none).
    pub fn reject(&mut self, problem: &Problem, line: Option<&[u8]>) -> Result<()> {
        self.counts.records += 1;
        self.counts.rejected += 1;
        match &mut self.sinks.rejects {
            Rejects::Write(s) => {
                let v = serde_json::json!({
                    "path": problem.path,
                    "line": problem.line,
                    "id": problem.id,
                    "kind": problem.kind.name(),
                    "message": problem.message,
                    "record": line.map(String::from_utf8_lossy),
                });
                self.buf.clear();
                // Writing JSON to a Vec cannot fail.
                let _ = writeln!(self.buf, "{v}");
                s.write_all(&self.buf)
            }
            Rejects::Report(f) => {
                f(problem);
                Ok(())
            }
            Rejects::Drop => Ok(()),
        }
    }

    /// Flushes every sink.
    pub fn flush(&mut self) -> Result<()> {
        self.sinks.kept.flush()?;
        if let Some(s) = &mut self.sinks.duplicates {
            s.flush()?;
        }
        if let Rejects::Write(s) = &mut self.sinks.rejects {
            s.flush()?;
        }
        Ok(())
    }

    /// What was routed so far.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::ProblemKind;

    const LINE: &[u8] = br#"{"id": "x", "text": "t"}"#;

    fn kept() -> Verdict {
        Verdict::Kept {
            id: "x".into(),
            replay: false,
        }
    }

    fn dup(relation: Relation) -> Verdict {
        Verdict::Duplicate {
            id: "x".into(),
            dup_of: "k".into(),
            similarity: 0.87654,
            relation,
            replay: true,
        }
    }

    fn problem() -> Problem {
        Problem {
            path: "in.jsonl".into(),
            line: Some(3),
            id: None,
            kind: ProblemKind::MalformedJson,
            message: "expected value".into(),
        }
    }

    /// Routes kept, near duplicate, exact duplicate and a rejected record with a too-large
    /// reader problem; returns (kept, duplicates, rejects) bytes and the counts.
    fn route_all(annotate: bool, with_dups: bool) -> (String, String, String, Counts) {
        let (mut k, mut d, mut r) = (Vec::new(), Vec::new(), Vec::new());
        let counts = {
            let mut router = Router::new(Sinks {
                kept: Sink::new(&mut k, "<stdout>"),
                duplicates: with_dups.then(|| Sink::new(&mut d, "dups.jsonl")),
                rejects: Rejects::Write(Sink::new(&mut r, "rejects.jsonl")),
                annotate,
            });
            router.route(LINE, &kept()).unwrap();
            router.route(LINE, &dup(Relation::NearDuplicate)).unwrap();
            router.route(LINE, &dup(Relation::ExactDuplicate)).unwrap();
            router
                .route(b"{oops", &Verdict::Rejected(problem()))
                .unwrap();
            router.reject(&problem(), None).unwrap();
            router.flush().unwrap();
            *router.counts()
        };
        let s = |b: Vec<u8>| String::from_utf8(b).unwrap();
        (s(k), s(d), s(r), counts)
    }

    const UNIQUE: &str =
        r#"{"id": "x", "text": "t","dup_of":null,"similarity":null,"relation":"unique"}"#;
    const NEAR: &str =
        r#"{"id": "x", "text": "t","dup_of":"k","similarity":0.8765,"relation":"near_duplicate"}"#;
    const EXACT: &str =
        r#"{"id": "x", "text": "t","dup_of":"k","similarity":0.8765,"relation":"exact_duplicate"}"#;

    #[test]
    fn kept_records_pass_byte_identical_and_duplicates_are_dropped() {
        let (k, d, _, c) = route_all(false, false);
        assert_eq!(k, format!("{}\n", std::str::from_utf8(LINE).unwrap()));
        assert_eq!(d, "");
        assert_eq!(
            c,
            Counts {
                records: 5,
                kept: 1,
                duplicates: 2,
                exact_duplicates: 1,
                rejected: 2,
                replayed: 2,
            }
        );
    }

    #[test]
    fn duplicates_go_annotated_to_their_sink() {
        let (k, d, _, _) = route_all(false, true);
        assert_eq!(k, format!("{}\n", std::str::from_utf8(LINE).unwrap()));
        assert_eq!(d, format!("{NEAR}\n{EXACT}\n"));
    }

    #[test]
    fn annotate_writes_every_record_to_kept_unless_duplicates_have_a_sink() {
        let (k, d, _, _) = route_all(true, false);
        assert_eq!(k, format!("{UNIQUE}\n{NEAR}\n{EXACT}\n"));
        assert_eq!(d, "");
        let (k, d, _, _) = route_all(true, true);
        assert_eq!(k, format!("{UNIQUE}\n"));
        assert_eq!(d, format!("{NEAR}\n{EXACT}\n"));
    }

    #[test]
    fn rejects_are_json_lines_with_the_record_when_read() {
        let (_, _, r, _) = route_all(false, false);
        let v: Vec<serde_json::Value> = r
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0]["record"], "{oops");
        assert_eq!(v[0]["kind"], "malformed_json");
        assert_eq!(v[0]["line"], 3);
        assert!(v[1]["record"].is_null());
        // The keys in sorted order, as `syndup filter --rejects` has always written them.
        assert!(r.starts_with(r#"{"id":null,"kind":"malformed_json","line":3,"message":"expected value","path":"in.jsonl","record":"{oops"}"#));
    }

    #[test]
    fn rejects_can_be_reported_or_dropped() {
        let mut seen = Vec::new();
        let mut report = |p: &Problem| seen.push(p.to_string());
        let mut k = Vec::new();
        let mut router = Router::new(Sinks {
            kept: Sink::new(&mut k, "<stdout>"),
            duplicates: None,
            rejects: Rejects::Report(&mut report),
            annotate: true,
        });
        router.reject(&problem(), None).unwrap();
        assert_eq!(router.counts().rejected, 1);
        drop(router);
        assert_eq!(seen, ["in.jsonl:3: expected value"]);
        assert!(k.is_empty());
    }

    #[test]
    fn write_errors_name_the_sink() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let (mut k, mut d) = (Vec::new(), Broken);
        let mut router = Router::new(Sinks {
            kept: Sink::new(&mut k, "<stdout>"),
            duplicates: Some(Sink::new(&mut d, "dups.jsonl")),
            rejects: Rejects::Drop,
            annotate: false,
        });
        router.route(LINE, &kept()).unwrap();
        let e = router
            .route(LINE, &dup(Relation::NearDuplicate))
            .unwrap_err();
        assert_eq!(e.path(), Some(std::path::Path::new("dups.jsonl")));
    }
}
