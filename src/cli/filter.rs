//! `syndup filter`: JSON Lines (or Parquet) in, kept records out byte-identical (or as
//! Parquet), duplicates and rejects routed to their own files, a persistent index across runs.
//!
//! Flags -> [`Config`] and [`Sinks`] -> [`StreamFilter::run`] (which reads, decides, commits and
//! routes every batch; see `syndup::stream`) -> the summary line and the exit code.

use clap::Args;
use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;
use syndup::stream::{Inputs, Rejects, RunOptions, Sink, Sinks};
use syndup::{Config, Error, Fields, Index, KeepPolicy, Problem, Source, StreamFilter, VerifyMode};

#[derive(Args, Debug)]
pub(super) struct FilterArgs {
    /// JSON Lines files (.jsonl or .ndjson, also .gz or .zst), Parquet files (one record per
    /// row), directories of them, or - for standard input (the default when no path is given
    /// and standard input is not a terminal), as for `scan`.
    #[arg(value_name = "PATH")]
    paths: Vec<std::ffi::OsString>,

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

    /// Write kept records to FILE instead of standard output: as Parquet, with every input
    /// column, when FILE ends in `.parquet` (the input must then be Parquet too).
    #[arg(short, long, value_name = "FILE", help_heading = "Output")]
    output: Option<PathBuf>,
    /// Pass every record to stdout with `dup_of`, `similarity` and `relation` inserted before
    /// its closing brace (original bytes and key order kept); duplicates go to stdout too
    /// unless --duplicates is given.
    #[arg(long, help_heading = "Output")]
    annotate: bool,
    /// Write dropped duplicates to FILE, annotated with `dup_of`, `similarity` and `relation`
    /// (as Parquet columns when FILE ends in `.parquet`).
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
    /// At most this many indexed records are compared per shared band key (at most 1000).
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

pub(super) fn run(args: &FilterArgs) -> syndup::Result<ExitCode> {
    super::set_threads(args.threads)?;
    let config = args.config();
    config.validate()?;
    let sources: Vec<Source> = super::input_sources(&args.paths, "filter")?;
    let inputs = Inputs::expand(&sources)?;
    let outputs: Vec<(&str, &std::path::Path)> = [
        ("--output", args.output.as_deref()),
        ("--duplicates", args.duplicates.as_deref()),
        ("--rejects", args.rejects.as_deref()),
    ]
    .into_iter()
    .filter_map(|(flag, p)| p.map(|p| (flag, p)))
    .collect();
    let index: Vec<&std::path::Path> = args.index.as_deref().into_iter().collect();
    super::check_outputs(&outputs, &|| inputs.files().to_vec(), &index)?;
    let start = std::time::Instant::now();
    let index = match (&args.index, args.reference) {
        (Some(p), true) => Index::open_reference(p, &config)?,
        (Some(p), false) => Index::open(p, &config)?,
        (None, _) => Index::in_memory(&config)?,
    };
    let mut filter = StreamFilter::new(config, index)?;
    let mut stdout = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut output = args
        .output
        .as_ref()
        .map(|p| Output::create(p, "--output", &inputs, args.annotate))
        .transpose()?;
    let mut duplicates = args
        .duplicates
        .as_ref()
        .map(|p| Output::create(p, "--duplicates", &inputs, true))
        .transpose()?;
    let mut rejects = args.rejects.as_ref().map(create).transpose()?;
    // Without --rejects, the first rejected records are shown on stderr.
    let mut shown = 0u64;
    let mut show = |p: &Problem| {
        shown += 1;
        if shown <= 20 {
            eprintln!("syndup: {}", syndup::report::text::clean(&p.to_string()));
        } else if shown == 21 {
            eprintln!("syndup: ... more rejected records (write them all with --rejects FILE)");
        }
    };
    let sinks = Sinks {
        kept: match output.as_mut() {
            Some(o) => o.sink(),
            None => Sink::new(&mut stdout, "<stdout>"),
        },
        duplicates: duplicates.as_mut().map(Output::sink),
        rejects: match rejects.as_mut() {
            Some((p, w)) => Rejects::Write(Sink::new(w, &*p)),
            None => Rejects::Report(&mut show),
        },
        annotate: args.annotate,
    };
    let summary = filter.run(&inputs, sinks, &RunOptions::default())?;
    for o in [output, duplicates].into_iter().flatten() {
        o.finish()?;
    }
    let location = filter.index().location().to_string();
    filter.close()?;
    if !args.quiet {
        let secs = start.elapsed().as_secs_f64().max(1e-9);
        let c = &summary.counts;
        eprintln!(
            "syndup filter: {} ({} read) in {:.2} s ({:.0} records/s, {:.1} MB/s): {} kept, {} ({} exact), {} rejected{}{}; index {}: {} ({} added)",
            super::checks::plural(c.records, "record", "records"),
            syndup::report::text::human_bytes(summary.bytes),
            secs,
            c.records as f64 / secs,
            summary.bytes as f64 / 1e6 / secs,
            c.kept,
            super::checks::plural(c.duplicates, "duplicate", "duplicates"),
            c.exact_duplicates,
            c.rejected,
            if summary.blank_lines > 0 {
                format!(
                    ", {} skipped",
                    super::checks::plural(summary.blank_lines, "blank line", "blank lines")
                )
            } else {
                String::new()
            },
            if c.replayed > 0 {
                format!(" ({} verdicts replayed from the index)", c.replayed)
            } else {
                String::new()
            },
            location,
            super::checks::plural(summary.index_records, "record", "records"),
            summary.added,
        );
    }
    Ok(if summary.counts.rejected > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn create(path: &PathBuf) -> syndup::Result<(PathBuf, BufWriter<std::fs::File>)> {
    let f = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    Ok((path.clone(), BufWriter::new(f)))
}

/// A file `filter` writes records to: JSON Lines, or Parquet when its name ends in `.parquet`.
enum Output {
    Lines(PathBuf, BufWriter<std::fs::File>),
    Parquet(
        PathBuf,
        Box<syndup::input::parquet::RowWriter<BufWriter<std::fs::File>>>,
    ),
}

impl Output {
    /// Creates `path` (`flag` names it in errors); a Parquet output takes the schema of the
    /// first Parquet input, with the annotation columns when `annotated`.
    fn create(
        path: &PathBuf,
        flag: &str,
        inputs: &Inputs,
        annotated: bool,
    ) -> syndup::Result<Output> {
        use syndup::input::{parquet, InputKind};
        let is_parquet = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
        if !is_parquet {
            let (p, w) = create(path)?;
            return Ok(Output::Lines(p, w));
        }
        let Some(first) = inputs.files().iter().find(|f| f.kind == InputKind::Parquet) else {
            return Err(Error::config(format!(
                "{flag} {}: writing Parquet needs Parquet input (kept rows keep the input's columns); name a .jsonl file instead",
                path.display()
            )));
        };
        let mut schema = parquet::schema_of(&first.path)?;
        if annotated {
            schema = parquet::annotated_schema(&schema);
        }
        let (p, w) = create(path)?;
        let w = parquet::RowWriter::new(w, schema).map_err(|e| e.with_path(path))?;
        Ok(Output::Parquet(p, Box::new(w)))
    }

    fn sink(&mut self) -> Sink<'_> {
        match self {
            Output::Lines(p, w) => Sink::new(w, &*p),
            Output::Parquet(p, w) => Sink::new(&mut **w, &*p),
        }
    }

    /// Flushes the file (and writes a Parquet file's footer).
    fn finish(self) -> syndup::Result<()> {
        use std::io::Write;
        match self {
            Output::Lines(p, mut w) => w.flush().map_err(|e| Error::io(p, e)),
            Output::Parquet(p, w) => {
                let mut inner = w.finish().map_err(|e| e.with_path(&p))?;
                inner.flush().map_err(|e| Error::io(p, e))
            }
        }
    }
}
