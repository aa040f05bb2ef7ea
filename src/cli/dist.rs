//! The distributed flow's subcommands: `plan`, `sign`, `cluster-local`, `assemble`, `apply`
//! and `spark-driver` (see `syndup::dist`).

use clap::Args;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use syndup::dist::{self, Manifest};
use syndup::{Config, Error, Fields, KeepPolicy, Source};

#[derive(Args, Debug)]
pub(super) struct PlanArgs {
    /// JSON Lines shards (.jsonl, .jsonl.gz, .jsonl.zst) or directories of them, in order:
    /// shard i is the i-th file (directories are walked in sorted order).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<String>,
    /// Write the manifest to FILE.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,

    #[command(flatten)]
    record: super::RecordArgs,
    /// JSON field with a date (for --keep earliest); '' for none.
    #[arg(
        long,
        default_value = "date",
        value_name = "NAME",
        help_heading = "Input"
    )]
    date_field: String,
    /// Reject (with reason) records larger than this many bytes.
    #[arg(long, default_value_t = 64 << 20, value_name = "BYTES", help_heading = "Input")]
    max_doc_bytes: usize,

    #[command(flatten)]
    sketch: super::SketchArgs,
    /// Which member of a cluster is kept (as `scan --keep`; `source`, the default, keeps the
    /// likely original).
    #[arg(long, value_enum, default_value_t = super::KeepArg::Source, help_heading = "Similarity")]
    keep: super::KeepArg,
    /// How matches become clusters (as `scan --cluster`): `guarded` (no chaining) or plain
    /// `components`.
    #[arg(long, value_enum, default_value_t = super::ClusterArg::Guarded, help_heading = "Similarity")]
    cluster: super::ClusterArg,
    /// Partial copies: also report pairs where at least this share of one document's shingles
    /// lies in the other (as `scan --containment`); `off` for Jaccard only.
    #[arg(long, default_value = "0.7", value_name = "C|off", value_parser = super::parse_containment, help_heading = "Containment")]
    containment: super::ContainmentArg,
    /// A contained document needs at least this many distinct shingles.
    #[arg(
        long,
        default_value_t = 20,
        value_name = "N",
        help_heading = "Containment"
    )]
    containment_min_shingles: u32,
    /// Index one shingle in R (by hash) in the containment search (default: 8 at
    /// --containment 0.5 and above, else 1).
    #[arg(long, value_name = "R", help_heading = "Containment")]
    containment_sample: Option<u64>,
    /// Sampled shingles found in more documents than this are not joined on.
    #[arg(
        long,
        default_value_t = 200,
        value_name = "N",
        help_heading = "Containment"
    )]
    containment_max_df: usize,
    /// Do not compute the aligned shared passages of each pair.
    #[arg(long, help_heading = "Containment")]
    no_passages: bool,
    /// LSH buckets larger than this give star edges to their first document only.
    #[arg(long, default_value_t = 200, help_heading = "MinHash and LSH")]
    max_bucket: usize,
}

#[derive(Args, Debug)]
pub(super) struct SignArgs {
    /// The manifest written by `syndup plan`.
    #[arg(long, value_name = "FILE")]
    manifest: PathBuf,
    /// Shard number(s) to sign (comma-separated); all shards when absent.
    #[arg(long, value_delimiter = ',', value_name = "N")]
    shard: Vec<u32>,
    /// Directory to write bands/, docs/ and rejects/ into.
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// Worker threads (default: all cores). Output is identical at any count.
    #[arg(short = 'j', long)]
    threads: Option<usize>,
}

#[derive(Args, Debug)]
pub(super) struct ClusterLocalArgs {
    /// The manifest written by `syndup plan`.
    #[arg(long, value_name = "FILE")]
    manifest: PathBuf,
    /// The directory `syndup sign` wrote to.
    #[arg(long, value_name = "DIR")]
    signed: PathBuf,
    /// Directory to write pairs/, clusters/ and problems/ into.
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// Worker threads (default: all cores). Output is identical at any count.
    #[arg(short = 'j', long)]
    threads: Option<usize>,
}

#[derive(Args, Debug)]
pub(super) struct ApplyArgs {
    /// The manifest written by `syndup plan`.
    #[arg(long, value_name = "FILE")]
    manifest: PathBuf,
    /// Shard number(s) to filter (comma-separated); all shards, in order, when absent.
    #[arg(long, value_delimiter = ',', value_name = "N")]
    shard: Vec<u32>,
    /// The directory `syndup sign` wrote to.
    #[arg(long, value_name = "DIR")]
    signed: PathBuf,
    /// The clusters/ directory written by the engine or by `syndup cluster-local`.
    #[arg(long, value_name = "DIR")]
    clusters: PathBuf,
    /// Write kept records to FILE instead of standard output (several shards: one after the
    /// other, in shard order).
    #[arg(short, long, value_name = "FILE", conflicts_with = "out_dir")]
    output: Option<PathBuf>,
    /// Write duplicates to FILE, annotated with `dup_of`, `similarity` and `relation`.
    #[arg(long, value_name = "FILE", conflicts_with = "out_dir")]
    duplicates: Option<PathBuf>,
    /// Write each shard's kept records to DIR/shard-NNNNN.jsonl (the name of its signed
    /// files), and its duplicates to DIR/duplicates/shard-NNNNN.jsonl.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Write every record annotated (kept ones with `"relation":"unique"`); duplicates go to
    /// the output too unless --duplicates is given.
    #[arg(long)]
    annotate: bool,
    /// No summary on stderr.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Args, Debug)]
pub(super) struct AssembleArgs {
    /// The manifest written by `syndup plan`.
    #[arg(long, value_name = "FILE")]
    manifest: PathBuf,
    /// Parquet files (or a directory of them) with the documents of whole components:
    /// `doc, id, length, date_key, shingles, text`.
    #[arg(long, value_name = "DIR")]
    docs: PathBuf,
    /// Parquet files (or a directory of them) with the verified pairs of those components:
    /// `a, b`.
    #[arg(long, value_name = "DIR")]
    pairs: PathBuf,
    /// Directory to write pairs/NAME and clusters/NAME into.
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// The file name of this partition's outputs.
    #[arg(long, default_value = "part-00000.parquet", value_name = "NAME")]
    name: String,
    /// Worker threads (default: all cores). Output is identical at any count.
    #[arg(short = 'j', long)]
    threads: Option<usize>,
}

#[derive(Args, Debug)]
pub(super) struct DriverArgs {
    /// Write the driver to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

fn stdout_json(v: &impl serde::Serialize) -> syndup::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, v)
        .map_err(std::io::Error::other)
        .and_then(|_| writeln!(out))
        .map_err(|e| Error::io("<stdout>", e))
}

pub(super) fn plan(args: &PlanArgs) -> syndup::Result<ExitCode> {
    let mut c = Config {
        keep: match args.keep {
            super::KeepArg::First => KeepPolicy::First,
            super::KeepArg::Longest => KeepPolicy::Longest,
            super::KeepArg::Earliest => KeepPolicy::Earliest,
            super::KeepArg::Source => KeepPolicy::Source,
        },
        cluster: match args.cluster {
            super::ClusterArg::Guarded => syndup::ClusterMode::Guarded,
            super::ClusterArg::Components => syndup::ClusterMode::Components,
        },
        containment: syndup::config::ContainmentConfig {
            threshold: args.containment.0,
            min_shingles: args.containment_min_shingles,
            sample: args.containment_sample,
            max_df: args.containment_max_df,
        },
        passages: !args.no_passages,
        max_bucket: args.max_bucket,
        max_doc_bytes: args.max_doc_bytes,
        fields: Fields {
            id: args.record.id_field.clone(),
            text: args.record.text_field.clone(),
            date: (!args.date_field.is_empty()).then(|| args.date_field.clone()),
            title: None,
            group: None,
        },
        ..Config::default()
    };
    args.sketch.apply(&mut c);
    let sources: Vec<Source> = args.paths.iter().map(Source::parse).collect();
    let m = Manifest::new(&c, &sources)?;
    m.write(&args.output)?;
    eprintln!(
        "syndup plan: {} shards, {} bands x {} rows, manifest {} written to {}",
        m.shards.len(),
        m.parameters.sketch.bands,
        m.parameters.sketch.rows,
        m.fingerprint,
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub(super) fn sign(args: &SignArgs) -> syndup::Result<ExitCode> {
    super::set_threads(args.threads)?;
    let m = Manifest::read(&args.manifest)?;
    let shards: Vec<u32> = if args.shard.is_empty() {
        (0..m.shards.len() as u32).collect()
    } else {
        args.shard.clone()
    };
    let mut rejected = 0;
    for s in shards {
        let start = std::time::Instant::now();
        let stats = dist::sign_shard(&m, s, &args.output)?;
        for p in &stats.problems {
            eprintln!("syndup: {}", syndup::report::text::clean(&p.to_string()));
        }
        if stats.rejected > stats.problems.len() as u64 {
            eprintln!(
                "syndup: ... {} rejected records in all: see {}",
                stats.rejected,
                dist::sign::output_paths(&args.output, s).2.display()
            );
        }
        rejected += stats.rejected;
        eprintln!(
            "syndup sign: shard {s}: {} documents, {} rejected{} in {:.2} s",
            stats.documents,
            stats.rejected,
            if stats.skipped {
                " (already signed with this manifest)"
            } else {
                ""
            },
            start.elapsed().as_secs_f64()
        );
        stdout_json(&stats)?;
    }
    Ok(if rejected > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

pub(super) fn cluster_local(args: &ClusterLocalArgs) -> syndup::Result<ExitCode> {
    super::set_threads(args.threads)?;
    let m = Manifest::read(&args.manifest)?;
    let start = std::time::Instant::now();
    let stats = dist::cluster_local(&m, &args.signed, &args.output)?;
    if stats.duplicate_ids > 0 {
        eprintln!(
            "syndup: {} documents have an id used in an earlier shard and were left out: see {}",
            stats.duplicate_ids,
            args.output.join("problems").display()
        );
    }
    eprintln!(
        "syndup cluster-local: {} documents, {} candidates (+{} containment), {} pairs ({} contained), {} clusters, {} duplicates in {:.2} s",
        stats.documents,
        stats.candidates,
        stats.containment_candidates,
        stats.pairs,
        stats.contained_pairs,
        stats.clusters,
        stats.duplicates,
        start.elapsed().as_secs_f64()
    );
    stdout_json(&stats)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn assemble(args: &AssembleArgs) -> syndup::Result<ExitCode> {
    super::set_threads(args.threads)?;
    let m = Manifest::read(&args.manifest)?;
    let (pairs, members) =
        dist::assemble_files(&m, &args.docs, &args.pairs, &args.output, &args.name)?;
    stdout_json(&serde_json::json!({"name": args.name, "pairs": pairs, "members": members}))?;
    Ok(ExitCode::SUCCESS)
}

fn create(path: &PathBuf) -> syndup::Result<BufWriter<std::fs::File>> {
    let f = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    Ok(BufWriter::new(f))
}

pub(super) fn apply(args: &ApplyArgs) -> syndup::Result<ExitCode> {
    let m = Manifest::read(&args.manifest)?;
    let outputs: Vec<(&str, &std::path::Path)> = [
        ("-o", args.output.as_deref()),
        ("--duplicates", args.duplicates.as_deref()),
    ]
    .into_iter()
    .filter_map(|(flag, p)| p.map(|p| (flag, p)))
    .collect();
    let shard_files = || {
        m.shards
            .iter()
            .map(|s| syndup::input::InputFile {
                path: PathBuf::from(s),
                kind: syndup::input::InputKind::Jsonl(syndup::input::Compression::None),
            })
            .collect()
    };
    super::check_outputs(&outputs, &shard_files, &[args.manifest.as_path()])?;
    let shards: Vec<u32> = if args.shard.is_empty() {
        (0..m.shards.len() as u32).collect()
    } else {
        args.shard.clone()
    };
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir.join("duplicates")).map_err(|e| Error::io(dir, e))?;
    }
    let stdout = std::io::stdout();
    // Without --out-dir, every shard goes to the same outputs, in shard order.
    let mut kept_all: Option<Box<dyn Write>> = match (&args.out_dir, &args.output) {
        (Some(_), _) => None,
        (None, Some(p)) => Some(Box::new(create(p)?)),
        (None, None) => Some(Box::new(BufWriter::new(stdout.lock()))),
    };
    let mut dups_all = args.duplicates.as_ref().map(create).transpose()?;
    let out_name = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from("<stdout>"));
    for shard in shards {
        // With --out-dir: this shard's own files (kept, duplicates).
        let mut own = match &args.out_dir {
            Some(dir) => {
                let k = dir.join(dist::shard_file(shard, "jsonl"));
                let d = dir
                    .join("duplicates")
                    .join(dist::shard_file(shard, "jsonl"));
                Some([(create(&k)?, k), (create(&d)?, d)])
            }
            None => None,
        };
        let (kept, dups): (&mut dyn Write, Option<&mut dyn Write>) = match (&mut own, &mut kept_all)
        {
            (Some([(kw, _), (dw, _)]), _) => (kw, Some(dw)),
            (None, Some(k)) => (k, dups_all.as_mut().map(|w| w as &mut dyn Write)),
            (None, None) => unreachable!("kept_all is set without --out-dir"),
        };
        let stats = dist::apply(
            &m,
            shard,
            &args.signed,
            &args.clusters,
            dist::ApplyOptions {
                kept: &mut *kept,
                duplicates: dups,
                annotate: args.annotate,
            },
        )?;
        for (w, p) in own.iter_mut().flatten() {
            w.flush().map_err(|e| Error::io(&*p, e))?;
        }
        if !args.quiet {
            eprintln!(
                "syndup apply: shard {}: {} records, {} kept, {} duplicates, {} rejected by sign",
                stats.shard, stats.records, stats.kept, stats.duplicates, stats.rejected
            );
        }
    }
    if let Some(k) = kept_all.as_mut() {
        k.flush().map_err(|e| Error::io(&out_name, e))?;
    }
    if let (Some(w), Some(p)) = (dups_all.as_mut(), &args.duplicates) {
        w.flush().map_err(|e| Error::io(p, e))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn driver(args: &DriverArgs) -> syndup::Result<ExitCode> {
    match &args.output {
        Some(p) => std::fs::write(p, dist::DRIVER).map_err(|e| Error::io(p, e))?,
        None => std::io::stdout()
            .lock()
            .write_all(dist::DRIVER.as_bytes())
            .map_err(|e| Error::io("<stdout>", e))?,
    }
    Ok(ExitCode::SUCCESS)
}
