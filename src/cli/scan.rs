//! `syndup scan`: flags -> `Config` -> `Detector::scan` -> the report on its output, the
//! summary and warnings on stderr, and the exit code.

use super::*;

/// Clusters up to which the text report lists everything by default.
const TEXT_ALL_UP_TO: usize = 1_000;
/// Clusters the text report lists by default above that.
const TEXT_TOP: usize = 100;

pub(super) fn scan(args: &ScanArgs) -> syndup::Result<ExitCode> {
    set_threads(args.threads)?;
    let config = args.config();
    let detector = Detector::new(config.clone())?;
    let sources = input_sources(&args.paths, "scan")?;
    // Stop early, before any work, on what would make a silently wrong run.
    let expanded = checks::inputs(&sources)?;
    checks::fields(&expanded, &config)?;
    if (args.kept.is_some() || args.dropped.is_some()) && sources.contains(&Source::Stdin) {
        return Err(syndup::Error::config(
            "--kept and --dropped read the input again, and standard input cannot be read twice: scan files instead of -",
        ));
    }
    // Before any output is created: never write onto an input (or two outputs on one file).
    let targets: Vec<(&str, &std::path::Path)> = [
        ("-o", args.output.as_deref()),
        ("--kept", args.kept.as_deref()),
        ("--dropped", args.dropped.as_deref()),
    ]
    .into_iter()
    .filter_map(|(flag, p)| p.map(|p| (flag, p)))
    .collect();
    check_outputs(&targets, &|| expanded.files.clone(), &[])?;
    let mut outputs = Outputs::default();
    let report_file = args
        .output
        .as_ref()
        .map(|p| outputs.create(p))
        .transpose()?;
    let kept_file = args.kept.as_ref().map(|p| outputs.create(p)).transpose()?;
    let dropped_file = args
        .dropped
        .as_ref()
        .map(|p| outputs.create(p))
        .transpose()?;
    let bar = progress::Bar::new(!args.no_progress && std::io::stderr().is_terminal());
    let start = std::time::Instant::now();
    let format = args.format();
    // JSON Lines streams its clusters and pairs (waiting for their order in --tmp-dir), unless
    // --kept/--dropped need the clusters afterwards.
    let stream =
        format == syndup::report::Format::Jsonl && kept_file.is_none() && dropped_file.is_none();
    let (outcome, report_file) = if stream {
        let (mut w, name): (Box<dyn Write>, String) = match (&args.output, report_file) {
            (Some(path), Some(file)) => (
                Box::new(std::io::BufWriter::new(file)),
                path.display().to_string(),
            ),
            _ => (
                Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
                "<stdout>".into(),
            ),
        };
        (detector.scan_jsonl(&sources, &bar, &mut w, &name)?, None)
    } else {
        (detector.scan(&sources, &bar)?, report_file)
    };
    let elapsed = start.elapsed();
    let report = &outcome.report;

    let to_stdout_text = args.output.is_none() && matches!(args.format, FormatArg::Text);
    use syndup::report::text::Extent;
    // A text report of a large corpus lists its largest clusters, not a hundred thousand.
    let extent = match (args.summary, args.top) {
        (true, _) => Extent::Summary,
        (false, Some(n)) => Extent::Top(n),
        (false, None) if !args.all && report.clusters.len() > TEXT_ALL_UP_TO => {
            Extent::Top(TEXT_TOP)
        }
        (false, None) => Extent::All,
    };
    if !stream {
        let writer = syndup::report::Writer::new(report, format, &sources)?.text_extent(extent);
        let write = |w: &mut dyn Write| -> std::io::Result<()> {
            writer.write(w)?;
            w.flush()
        };
        match (&args.output, report_file) {
            (Some(path), Some(file)) => {
                write(&mut std::io::BufWriter::new(file))
                    .map_err(|e| syndup::Error::io(path, e))?;
            }
            _ => {
                let stdout = std::io::stdout();
                write(&mut std::io::BufWriter::new(stdout.lock()))
                    .map_err(|e| syndup::Error::io("<stdout>", e))?;
            }
        }
    }
    if kept_file.is_some() || dropped_file.is_some() {
        let drop: std::collections::BTreeSet<String> = report
            .clusters
            .iter()
            .flat_map(|c| {
                c.members
                    .iter()
                    .filter(|m| **m != c.representative)
                    .cloned()
            })
            .collect();
        let (mut kw, mut dw) = (
            kept_file.map(std::io::BufWriter::new),
            dropped_file.map(std::io::BufWriter::new),
        );
        fn sink<'w>(
            w: &'w mut Option<std::io::BufWriter<std::fs::File>>,
            p: &Option<PathBuf>,
        ) -> Option<syndup::input::SplitSink<'w>> {
            w.as_mut().map(|w| syndup::input::SplitSink {
                out: w,
                name: p
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            })
        }
        let split = syndup::input::split_records(
            &sources,
            &syndup::input::Reader::new(&config),
            &drop,
            sink(&mut kw, &args.kept),
            sink(&mut dw, &args.dropped),
        )?;
        let s = &report.stats;
        if (split.kept, split.dropped) != (s.unique_documents, s.duplicates) {
            return Err(syndup::Error::input(format!(
                "the input changed during the scan: it now holds {} records to keep and {} to drop, the scan found {} and {}",
                split.kept, split.dropped, s.unique_documents, s.duplicates
            )));
        }
    }
    outputs.done();

    let s = &report.stats;
    // Problems reach the user once: in the text report when it goes to stdout, else here.
    if !to_stdout_text {
        for p in report.problems.iter().take(20) {
            eprintln!("syndup: {}", syndup::report::text::clean(&p.to_string()));
        }
        if report.problems.len() > 20 {
            eprintln!(
                "syndup: ... and {} more problems (all are in the report)",
                report.problems.len() - 20
            );
        }
    }
    for w in checks::warnings(report) {
        eprintln!("syndup: warning: {w}");
    }
    if !args.quiet {
        let secs = elapsed.as_secs_f64().max(1e-9);
        let t = &outcome.timings;
        let p = checks::plural;
        eprintln!(
            "syndup: {} ({} of text, {} read) in {:.2} s ({:.0} docs/s, {:.1} MB/s): {}, {}, {}, {} [read+sign {:.2} s, candidates {:.2} s, containment {:.2} s, verify {:.2} s, cluster {:.2} s, passages {:.2} s, repeats {:.2} s]",
            p(s.documents, "document", "documents"),
            syndup::report::text::human_bytes(s.text_bytes),
            syndup::report::text::human_bytes(s.input_bytes),
            secs,
            s.documents as f64 / secs,
            s.input_bytes as f64 / 1e6 / secs,
            p(s.clusters, "cluster", "clusters"),
            p(s.duplicates, "duplicate", "duplicates"),
            p(s.repeats, "repeat", "repeats"),
            p(s.problems, "problem", "problems"),
            t.read.as_secs_f64(),
            t.candidates.as_secs_f64(),
            t.containment.as_secs_f64(),
            t.verify.as_secs_f64(),
            t.cluster.as_secs_f64(),
            t.passages.as_secs_f64(),
            t.repeats.as_secs_f64(),
        );
    }
    if args.verbose {
        let t = &outcome.timings;
        let mb = s.input_bytes as f64 / 1e6;
        eprintln!(
            "syndup: {:<12} {:>9} {:>11} {:>9} {:>14}",
            "stage", "seconds", "docs/s", "MB/s", "peak RSS (MB)"
        );
        // A stage may come back (verification, after the containment search): one row each,
        // in order of first appearance, with its highest peak.
        let mut peaks: Vec<(syndup::Stage, Option<u64>)> = Vec::new();
        for (stage, peak) in bar.peaks() {
            match peaks.iter_mut().find(|x| x.0 == stage) {
                Some(x) => x.1 = x.1.max(peak),
                None => peaks.push((stage, peak)),
            }
        }
        for (stage, peak) in peaks {
            let (name, secs) = match stage {
                syndup::Stage::Read => ("read+sign", t.read),
                syndup::Stage::Candidates => ("candidates", t.candidates),
                syndup::Stage::Containment => ("containment", t.containment),
                syndup::Stage::Verify => ("verify", t.verify),
                syndup::Stage::Cluster => ("cluster", t.cluster),
                syndup::Stage::Passages => ("passages", t.passages),
                syndup::Stage::Repeats => ("repeats", t.repeats),
                _ => ("other", std::time::Duration::ZERO),
            };
            let secs = secs.as_secs_f64().max(1e-9);
            eprintln!(
                "syndup: {:<12} {:>9.3} {:>11.0} {:>9.1} {:>14}",
                name,
                secs,
                s.documents as f64 / secs,
                mb / secs,
                peak.map(|p| format!("{:.0}", p as f64 / 1e6))
                    .unwrap_or_else(|| "n/a".into())
            );
        }
    }
    Ok(if s.problems > 0 {
        ExitCode::from(2)
    } else if args.exit_code && s.duplicates > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
