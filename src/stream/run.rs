//! The streaming filter's runner: JSON Lines files in -> every record routed to its output
//! ([`Router`]), decided by [`StreamFilter`] against everything kept before it.
//!
//! Input: [`Inputs`] (the expanded paths, JSON Lines only, with the paths that could not be
//! read) and [`Sinks`]. Output: the records on their sinks, and a [`RunSummary`] of what was
//! read and routed. Place in the pipeline: the whole of `syndup filter` minus flag parsing and
//! printing; the same loop serves any program that filters files or standard input.
//!
//! The flow of one batch (the reader's few MiB of records): a reader thread reads it and
//! prepares it ([`super::Preparer`]: parse, shingle, sign, in parallel) while this thread
//! decides the previous one; [`StreamFilter::decide`] then decides every record in order and
//! commits the new ones to the index, and **only then** are the verdicts written out, records
//! and reader problems (a line too large to hold, an unreadable file) merged by line, and the
//! sinks flushed. A run killed at any moment therefore leaves an index holding every record
//! whose verdict reached an output, and a rerun replays them (see [`super`]). A batch is
//! handed over at the latest [`RunOptions::latency`] after its first bytes arrived, so a slow
//! producer on standard input sees its records pass promptly.

use super::route::{Counts, Router, Sinks};
use super::{PreparedBatch, Record, StreamFilter};
use crate::document::Problem;
use crate::error::{Error, ErrorKind, Result};
use crate::input::{self, InputFile, InputKind, Source};
use serde::Serialize;
use std::time::Duration;

/// The default [`RunOptions::latency`]: one second.
pub const LATENCY: Duration = Duration::from_secs(1);

/// How a run reads.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// A batch of input is decided at the latest this long after its first bytes arrived
    /// (once it holds a complete line).
    pub latency: Duration,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions { latency: LATENCY }
    }
}

/// The files a run reads, in order: JSON Lines only.
#[derive(Debug, Clone)]
pub struct Inputs {
    files: Vec<InputFile>,
    problems: Vec<Problem>,
}

impl Inputs {
    /// Expands `sources` (directories walked in sorted order, `-` for standard input). A path
    /// that cannot be read becomes a problem, routed as a rejected record when the run starts;
    /// a text file (`.txt`, `.md`) is an error, since the filter reads one record per line.
    pub fn expand(sources: &[Source]) -> Result<Inputs> {
        let expanded = input::expand(sources);
        if let Some(f) = expanded.files.iter().find(|f| f.kind == InputKind::Text) {
            return Err(Error::new(ErrorKind::UnsupportedInput(format!(
                "{}: syndup filter reads JSON Lines (.jsonl, .jsonl.gz, .jsonl.zst, or - for standard input), one record per line",
                f.display()
            ))));
        }
        Ok(Inputs {
            files: expanded.files,
            problems: expanded.problems,
        })
    }

    /// The files, in order.
    pub fn files(&self) -> &[InputFile] {
        &self.files
    }

    /// The paths that could not be read.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

/// What a run read and where its records went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    /// Records by verdict. Unlike [`super::FilterStats`], `records` and `rejected` include the
    /// records the reader could not hand over (too large, unreadable paths).
    pub counts: Counts,
    /// Input bytes read (after decompression), blank lines and line terminators included.
    pub bytes: u64,
    /// Blank lines skipped (not records).
    pub blank_lines: u64,
    /// Records in the index after the run.
    pub index_records: u64,
    /// Records this run added to the index.
    pub added: u64,
}

impl StreamFilter {
    /// Filters `inputs` into `sinks`, record by record in input order, as `syndup filter` does.
    ///
    /// A reader thread reads and prepares each batch (a few MiB of records; parse, shingle,
    /// sign in parallel) while this thread decides the previous one with
    /// [`StreamFilter::decide`], which commits the batch to the index; only then are its
    /// verdicts routed ([`Router`]), records and reader problems (a line too large to hold, an
    /// unreadable file) merged by line, and the sinks flushed. A batch is handed over at the
    /// latest [`RunOptions::latency`] after its first bytes arrived, so a slow producer on
    /// standard input sees its records pass promptly. Paths that could not be read are routed
    /// as rejected records first.
    ///
    /// An error (writing a sink, the index) stops the run. A run stopped or killed at any
    /// moment leaves an index holding every record whose verdict reached an output (and
    /// possibly the batch being written); a rerun replays them.
    pub fn run(
        &mut self,
        inputs: &Inputs,
        sinks: Sinks<'_>,
        opts: &RunOptions,
    ) -> Result<RunSummary> {
        let before = self.index().len();
        let mut router = Router::new(sinks);
        let mut summary = RunSummary::default();
        for p in &inputs.problems {
            router.reject(p, None)?;
        }
        let files = &inputs.files;
        let names: Vec<String> = files.iter().map(InputFile::display).collect();
        // The reader thread also prepares each batch (parse, shingle, sign: in parallel), so
        // the next batch is prepared while this thread decides and commits the current one.
        let (tx, rx) = std::sync::mpsc::sync_channel::<(input::Batch, PreparedBatch)>(1);
        let max = self.preparer().config.max_doc_bytes;
        let preparer = self.preparer().clone();
        let (names, latency) = (&names, opts.latency);
        std::thread::scope(|scope| -> Result<()> {
            let reader = scope.spawn(move || {
                input::read_batches_within(files, max, latency, &mut |b| {
                    let prepared = preparer.prepare(&records_of(&b, names));
                    Ok(tx.send((b, prepared)).is_ok())
                })
            });
            let mut outcome = Ok(());
            for (batch, prepared) in rx.iter() {
                if let Err(e) = self.run_batch(&batch, prepared, names, &mut router, &mut summary) {
                    outcome = Err(e);
                    break;
                }
            }
            // Stops the reader at its next batch.
            drop(rx);
            let read = reader
                .join()
                .unwrap_or_else(|_| Err(Error::internal("input reader thread panicked")));
            outcome.and(read)
        })?;
        router.flush()?;
        summary.counts = *router.counts();
        summary.index_records = self.index().len();
        summary.added = summary.index_records - before;
        Ok(summary)
    }

    /// Decides one batch (committing it to the index), then routes its verdicts in input
    /// order, records and reader problems merged by line, and flushes the sinks.
    fn run_batch(
        &mut self,
        batch: &input::Batch,
        prepared: PreparedBatch,
        names: &[String],
        router: &mut Router,
        summary: &mut RunSummary,
    ) -> Result<()> {
        summary.bytes += batch.bytes;
        summary.blank_lines += batch.blank_lines;
        let verdicts = self.decide(prepared)?;
        let records = records_of(batch, names);
        let mut problems: Vec<&Problem> = batch.problems.iter().collect();
        problems.sort_by_key(|p| p.line);
        let mut problems = problems.into_iter().peekable();
        for (r, v) in records.iter().zip(&verdicts) {
            while let Some(p) = problems.next_if(|p| p.line.unwrap_or(0) < r.line.unwrap_or(0)) {
                router.reject(p, None)?;
            }
            router.route(r.bytes, v)?;
        }
        for p in problems {
            router.reject(p, None)?;
        }
        router.flush()
    }
}

/// The records of a batch, with their file names.
fn records_of<'a>(batch: &'a input::Batch, names: &'a [String]) -> Vec<Record<'a>> {
    batch
        .records
        .iter()
        .map(|r| Record {
            path: &names[r.file as usize],
            line: r.line,
            bytes: batch.record(r),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, VerifyMode};
    use crate::document::ProblemKind;
    use crate::index::Index;
    use crate::input::RecordRef;
    use crate::stream::{Rejects, Sink};
    use std::io::Write;

    const STORY: &str = "The harbour council approved the flood barrier budget on Monday after a long debate about ferry routes, the old fish market, storm drains and the price of steel for the new gates at the river mouth.";

    fn filter() -> StreamFilter {
        let config = Config {
            verify: VerifyMode::Estimate,
            ..Config::default()
        };
        StreamFilter::new(config.clone(), Index::in_memory(&config).unwrap()).unwrap()
    }

    fn line(id: &str, text: &str) -> String {
        serde_json::json!({"id": id, "text": text}).to_string()
    }

    fn too_large(line: u64) -> Problem {
        Problem {
            path: "in.jsonl".into(),
            line: Some(line),
            id: None,
            kind: ProblemKind::TooLarge,
            message: "too large".into(),
        }
    }

    /// A batch of `lines` (1-based line numbers given), as the reader hands it over.
    fn batch(lines: &[(u64, &str)], problems: Vec<Problem>) -> input::Batch {
        let mut b = input::Batch::default();
        for (n, l) in lines {
            let start = b.data.len();
            b.data.extend_from_slice(l.as_bytes());
            b.records.push(RecordRef {
                file: 0,
                line: Some(*n),
                start,
                end: b.data.len(),
                offset: start as u64,
            });
            b.data.push(b'\n');
        }
        b.bytes = b.data.len() as u64;
        b.problems = problems;
        b
    }

    #[test]
    fn reader_problems_are_merged_with_verdicts_by_line() {
        let mut f = filter();
        let (a, copy, other) = (
            line("a", STORY),
            line("b", &STORY.to_uppercase()),
            line(
                "c",
                "Something else entirely, about mountains and the weather up there.",
            ),
        );
        // Lines 1, 4, 6 are records; the reader gave up on lines 2, 5 and 9 (out of order,
        // as a reader may report them).
        let b = batch(
            &[(1, &a), (4, &copy), (6, &other)],
            vec![too_large(9), too_large(2), too_large(5)],
        );
        let names = ["in.jsonl".to_string()];
        let prepared = f.preparer().prepare(&records_of(&b, &names));
        let mut seen = Vec::new();
        let mut report = |p: &Problem| seen.push(p.line.unwrap());
        let mut out = Vec::new();
        let mut dups = Vec::new();
        let mut router = Router::new(Sinks {
            kept: Sink::new(&mut out, "<stdout>"),
            duplicates: Some(Sink::new(&mut dups, "dups")),
            rejects: Rejects::Report(&mut report),
            annotate: true,
        });
        let mut summary = RunSummary::default();
        f.run_batch(&b, prepared, &names, &mut router, &mut summary)
            .unwrap();
        let counts = *router.counts();
        drop(router);
        assert_eq!(seen, [2, 5, 9]);
        assert_eq!((counts.records, counts.rejected, counts.kept), (6, 3, 2));
        assert_eq!(summary.bytes, b.bytes);
        // Records in input order on each sink: a and c kept, b a duplicate of a.
        let ids = |bytes: &[u8]| -> Vec<String> {
            String::from_utf8_lossy(bytes)
                .lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].to_string())
                .collect()
        };
        assert_eq!(ids(&out), [r#""a""#, r#""c""#]);
        assert_eq!(ids(&dups), [r#""b""#]);
    }

    /// Fails every write, like a closed pipe.
    struct Closed;
    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_batch_is_committed_before_its_verdicts_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.jsonl");
        let text = format!(
            "{}\n{}\n{}\n",
            line("a", STORY),
            line("b", &STORY.to_uppercase()),
            line(
                "c",
                "Something else entirely, about mountains and the weather up there."
            )
        );
        std::fs::write(&path, text).unwrap();
        let inputs = Inputs::expand(&[Source::Path(path)]).unwrap();
        let mut f = filter();
        let mut closed = Closed;
        let e = f
            .run(
                &inputs,
                Sinks {
                    kept: Sink::new(&mut closed, "<stdout>"),
                    duplicates: None,
                    rejects: Rejects::Drop,
                    annotate: false,
                },
                &RunOptions::default(),
            )
            .unwrap_err();
        // The very first write failed, yet both kept records of its batch are in the index:
        // whatever reached (or failed to reach) an output was committed first.
        assert_eq!(e.path(), Some(std::path::Path::new("<stdout>")));
        assert_eq!(f.index().len(), 2);
        assert_eq!(f.stats().records, 3);
    }

    #[test]
    fn a_run_counts_what_it_read_and_routed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.jsonl");
        let text = format!(
            "{}\n\n{}\n{{oops\n",
            line("a", STORY),
            line("b", &STORY.to_uppercase()),
        );
        std::fs::write(&path, &text).unwrap();
        let missing = dir.path().join("missing.jsonl");
        let inputs = Inputs::expand(&[Source::Path(missing), Source::Path(path)]).unwrap();
        assert_eq!(inputs.problems().len(), 1);
        let mut f = filter();
        let (mut out, mut rejects) = (Vec::new(), Vec::new());
        let s = f
            .run(
                &inputs,
                Sinks {
                    kept: Sink::new(&mut out, "<stdout>"),
                    duplicates: None,
                    rejects: Rejects::Write(Sink::new(&mut rejects, "rejects")),
                    annotate: false,
                },
                &RunOptions::default(),
            )
            .unwrap();
        assert_eq!(
            s.counts,
            Counts {
                records: 4,
                kept: 1,
                duplicates: 1,
                exact_duplicates: 1,
                rejected: 2,
                replayed: 0,
            }
        );
        assert_eq!((s.bytes, s.blank_lines), (text.len() as u64, 1));
        assert_eq!((s.index_records, s.added), (1, 1));
        assert_eq!(out, format!("{}\n", line("a", STORY)).into_bytes());
        assert_eq!(String::from_utf8(rejects).unwrap().lines().count(), 2);
    }

    #[test]
    fn text_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "some text").unwrap();
        let e = Inputs::expand(&[Source::Path(path)]).unwrap_err();
        assert!(
            e.to_string().contains("syndup filter reads JSON Lines"),
            "{e}"
        );
    }
}
