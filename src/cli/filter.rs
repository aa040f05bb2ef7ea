//! `syndup filter`: JSON Lines in, kept records out byte-identical, duplicates and rejects
//! routed to their own files, a persistent index across runs.
//!
//! The flow of one batch (the reader's few MiB of records): the reader thread prepares it
//! (parse, shingle, sign, in parallel) while the main thread decides the previous one;
//! [`StreamFilter::decide`] then decides every record in order and commits the new ones to the
//! index, and only then are the verdicts written out. A run killed at any moment therefore leaves an index holding every record whose
//! verdict reached an output, and a rerun replays them (see `syndup::stream`).

use clap::Args;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use syndup::input::{self, InputFile, InputKind};
use syndup::stream::{annotate_into, PreparedBatch, Record};
use syndup::{
    Config, Error, ErrorKind, Fields, Index, KeepPolicy, Problem, Source, StreamFilter, Verdict,
    VerifyMode,
};

/// A batch of input is decided at the latest this long after its first bytes arrived (when it
/// holds a complete line), so a slow producer sees its records pass promptly.
const LATENCY: std::time::Duration = std::time::Duration::from_secs(1);

#[derive(Args, Debug)]
pub(super) struct FilterArgs {
    /// JSON Lines files (.jsonl, .jsonl.gz, .jsonl.zst), directories of them, or - for standard
    /// input (the default).
    #[arg(value_name = "PATH", default_value = "-")]
    paths: Vec<String>,

    /// Persistent index: records kept by earlier runs are checked too, and this run's kept
    /// records are added (created when absent). Without it, only this run's records count.
    #[arg(long, value_name = "PATH", help_heading = "Index")]
    index: Option<PathBuf>,
    /// Check against --index without adding to it, and without comparing the input's records
    /// with each other (decontaminate a test set against a training index).
    #[arg(long, requires = "index", help_heading = "Index")]
    reference: bool,
    /// Keep each kept record's shingle set in the index (on disk, 8 bytes per distinct
    /// shingle) and verify candidates with the exact Jaccard similarity. Without it the
    /// similarity is estimated from the MinHash signatures (standard error about
    /// sqrt(J(1-J)/num-perm), 0.035 at J=0.8 with 128). Fixed when the index is created.
    #[arg(long, help_heading = "Index")]
    exact: bool,

    /// Pass every record to stdout with `dup_of`, `similarity` and `relation` inserted before
    /// its closing brace (original bytes and key order kept); duplicates go to stdout too
    /// unless --duplicates is given.
    #[arg(long, help_heading = "Output")]
    annotate: bool,
    /// Write dropped duplicates to FILE, annotated with `dup_of`, `similarity` and `relation`.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    duplicates: Option<PathBuf>,
    /// Write records that could not be read to FILE as JSON Lines with `path`, `line`, `id`,
    /// `kind`, `message` and the `record` itself (when it was read).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    rejects: Option<PathBuf>,
    /// No summary on stderr.
    #[arg(short, long, help_heading = "Output")]
    quiet: bool,

    #[command(flatten)]
    record: super::RecordArgs,
    /// Reject (with reason) records larger than this many bytes; they are never held whole.
    #[arg(long, default_value_t = 64 << 20, value_name = "BYTES", help_heading = "Input")]
    max_doc_bytes: usize,

    #[command(flatten)]
    sketch: super::SketchArgs,
    /// At most this many indexed records are compared per shared band key.
    #[arg(long, default_value_t = 200, help_heading = "MinHash and LSH")]
    max_bucket: usize,

    /// Worker threads (default: all cores). Verdicts are identical at any count.
    #[arg(short = 'j', long, help_heading = "Performance")]
    threads: Option<usize>,
}

impl FilterArgs {
    fn config(&self) -> Config {
        let mut c = Config {
            verify: if self.exact {
                VerifyMode::Exact
            } else {
                VerifyMode::Estimate
            },
            keep: KeepPolicy::First,
            // The filter decides record by record; clusters play no part.
            cluster: syndup::ClusterMode::Guarded,
            sentences: syndup::SentenceConfig {
                mode: syndup::SentenceMode::Off,
                ..Default::default()
            },
            max_bucket: self.max_bucket,
            strict: false,
            max_doc_bytes: self.max_doc_bytes,
            fields: Fields {
                id: self.record.id_field.clone(),
                text: self.record.text_field.clone(),
                date: None,
                title: None,
                group: None,
            },
            // The filter's verdicts are by Jaccard (containment is a `scan` relation).
            containment: syndup::ContainmentConfig {
                threshold: None,
                ..Default::default()
            },
            passages: false,
            ..Config::default()
        };
        self.sketch.apply(&mut c);
        c
    }
}

/// Verdict counts, including records rejected by the reader.
#[derive(Default)]
struct Counts {
    read: u64,
    kept: u64,
    duplicates: u64,
    exact: u64,
    rejected: u64,
    replayed: u64,
    bytes: u64,
}

/// Where verdicts go.
struct Outputs {
    stdout: BufWriter<std::io::StdoutLock<'static>>,
    duplicates: Option<(PathBuf, BufWriter<std::fs::File>)>,
    rejects: Option<(PathBuf, BufWriter<std::fs::File>)>,
    annotate: bool,
    buf: Vec<u8>,
    shown_problems: u64,
}

fn create(path: &PathBuf) -> syndup::Result<(PathBuf, BufWriter<std::fs::File>)> {
    let f = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    Ok((path.clone(), BufWriter::new(f)))
}

fn stdout_err(e: std::io::Error) -> Error {
    Error::io("<stdout>", e)
}

impl Outputs {
    fn write(&mut self, line: &[u8], v: &Verdict, c: &mut Counts) -> syndup::Result<()> {
        c.read += 1;
        match v {
            Verdict::Kept { replay, .. } => {
                c.kept += 1;
                c.replayed += *replay as u64;
                self.buf.clear();
                if !(self.annotate && annotate_into(line, v, &mut self.buf)) {
                    self.buf.extend_from_slice(line);
                }
                self.buf.push(b'\n');
                self.stdout.write_all(&self.buf).map_err(stdout_err)?;
            }
            Verdict::Duplicate {
                relation, replay, ..
            } => {
                c.duplicates += 1;
                c.exact += (*relation == syndup::Relation::ExactDuplicate) as u64;
                c.replayed += *replay as u64;
                self.buf.clear();
                annotate_into(line, v, &mut self.buf);
                self.buf.push(b'\n');
                if let Some((path, w)) = &mut self.duplicates {
                    w.write_all(&self.buf).map_err(|e| Error::io(&*path, e))?;
                } else if self.annotate {
                    self.stdout.write_all(&self.buf).map_err(stdout_err)?;
                }
            }
            Verdict::Rejected(p) => self.reject(p, Some(line), c)?,
        }
        Ok(())
    }

    fn reject(&mut self, p: &Problem, line: Option<&[u8]>, c: &mut Counts) -> syndup::Result<()> {
        if line.is_none() {
            c.read += 1;
        }
        c.rejected += 1;
        match &mut self.rejects {
            Some((path, w)) => {
                let v = serde_json::json!({
                    "path": p.path,
                    "line": p.line,
                    "id": p.id,
                    "kind": p.kind.name(),
                    "message": p.message,
                    "record": line.map(String::from_utf8_lossy),
                });
                writeln!(w, "{v}").map_err(|e| Error::io(&*path, e))?;
            }
            None => {
                self.shown_problems += 1;
                if self.shown_problems <= 20 {
                    eprintln!("syndup: {}", syndup::report::text::clean(&p.to_string()));
                } else if self.shown_problems == 21 {
                    eprintln!(
                        "syndup: ... more rejected records (write them all with --rejects FILE)"
                    );
                }
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> syndup::Result<()> {
        self.stdout.flush().map_err(stdout_err)?;
        for (path, w) in [&mut self.duplicates, &mut self.rejects]
            .into_iter()
            .flatten()
        {
            w.flush().map_err(|e| Error::io(&*path, e))?;
        }
        Ok(())
    }
}

pub(super) fn run(args: &FilterArgs) -> syndup::Result<ExitCode> {
    super::set_threads(args.threads)?;
    let config = args.config();
    config.validate()?;
    let sources: Vec<Source> = args.paths.iter().map(|p| Source::parse(p)).collect();
    let expanded = input::expand(&sources);
    if let Some(f) = expanded.files.iter().find(|f| f.kind == InputKind::Text) {
        return Err(Error::new(ErrorKind::UnsupportedInput(format!(
            "{}: syndup filter reads JSON Lines (.jsonl, .jsonl.gz, .jsonl.zst, or - for standard input), one record per line",
            f.display()
        ))));
    }
    let start = std::time::Instant::now();
    let index = match (&args.index, args.reference) {
        (Some(p), true) => Index::open_reference(p, &config)?,
        (Some(p), false) => Index::open(p, &config)?,
        (None, _) => Index::in_memory(&config)?,
    };
    let before = index.len();
    let mut filter = StreamFilter::new(config.clone(), index)?;
    let mut out = Outputs {
        stdout: BufWriter::with_capacity(1 << 16, std::io::stdout().lock()),
        duplicates: args.duplicates.as_ref().map(create).transpose()?,
        rejects: args.rejects.as_ref().map(create).transpose()?,
        annotate: args.annotate,
        buf: Vec::new(),
        shown_problems: 0,
    };
    let mut counts = Counts::default();
    for p in &expanded.problems {
        out.reject(p, None, &mut counts)?;
    }
    let files = expanded.files;
    let names: Vec<String> = files.iter().map(InputFile::display).collect();
    // The reader thread also prepares each batch (parse, shingle, sign: in parallel), so the
    // next batch is prepared while this thread decides and commits the current one.
    let (tx, rx) = std::sync::mpsc::sync_channel::<(input::Batch, PreparedBatch)>(1);
    let max = config.max_doc_bytes;
    let preparer = filter.preparer().clone();
    let reader_names = names.clone();
    let result = std::thread::scope(|scope| -> syndup::Result<()> {
        let reader = scope.spawn(move || {
            input::read_batches_within(&files, max, LATENCY, &mut |b| {
                let prepared = preparer.prepare(&records_of(&b, &reader_names));
                Ok(tx.send((b, prepared)).is_ok())
            })
        });
        let mut outcome = Ok(());
        for (batch, prepared) in rx.iter() {
            if let Err(e) =
                filter_batch(&mut filter, &batch, prepared, &names, &mut out, &mut counts)
            {
                outcome = Err(e);
                break;
            }
        }
        drop(rx);
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(Error::config("input reader thread panicked")));
        outcome.and(read)
    });
    result?;
    out.flush()?;
    let index_len = filter.index().len();
    let location = filter.index().location().to_string();
    filter.close()?;
    if !args.quiet {
        let secs = start.elapsed().as_secs_f64().max(1e-9);
        let c = &counts;
        eprintln!(
            "syndup filter: {} records ({}) in {:.2} s ({:.0} records/s, {:.1} MB/s): {} kept, {} duplicates ({} exact), {} rejected{}; index {}: {} records ({} added)",
            c.read,
            syndup::report::text::human_bytes(c.bytes),
            secs,
            c.read as f64 / secs,
            c.bytes as f64 / 1e6 / secs,
            c.kept,
            c.duplicates,
            c.exact,
            c.rejected,
            if c.replayed > 0 {
                format!(" ({} verdicts replayed from the index)", c.replayed)
            } else {
                String::new()
            },
            location,
            index_len,
            index_len - before,
        );
    }
    Ok(if counts.rejected > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// Decides one batch (committing it to the index), then writes its verdicts in input order,
/// records and reader problems merged by line.
fn filter_batch(
    filter: &mut StreamFilter,
    batch: &input::Batch,
    prepared: PreparedBatch,
    names: &[String],
    out: &mut Outputs,
    counts: &mut Counts,
) -> syndup::Result<()> {
    counts.bytes += batch.bytes;
    let records = records_of(batch, names);
    let verdicts = filter.decide(prepared)?;
    let mut problems: Vec<&Problem> = batch.problems.iter().collect();
    problems.sort_by_key(|p| p.line);
    let mut problems = problems.into_iter().peekable();
    for (r, v) in records.iter().zip(&verdicts) {
        while let Some(p) = problems.next_if(|p| p.line.unwrap_or(0) < r.line.unwrap_or(0)) {
            out.reject(p, None, counts)?;
        }
        out.write(r.bytes, v, counts)?;
    }
    for p in problems {
        out.reject(p, None, counts)?;
    }
    out.flush()
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
