//! `syndup compare` (one pair explained), `syndup completions` and `syndup man`.

use clap::{Args, CommandFactory};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use syndup::{Config, ContainmentConfig, Detector, Error, Side};

#[derive(Args, Debug)]
pub(super) struct CompareArgs {
    /// The first text file.
    #[arg(value_name = "A")]
    a: PathBuf,
    /// The second text file.
    #[arg(value_name = "B")]
    b: PathBuf,
    #[command(flatten)]
    sketch: super::SketchArgs,
    /// Containment threshold, as for `scan` (`off` for Jaccard only).
    #[arg(long, default_value = "0.7", value_name = "C|off", value_parser = super::parse_containment, help_heading = "Containment")]
    containment: super::ContainmentArg,
    /// A contained text needs at least this many distinct shingles.
    #[arg(
        long,
        default_value_t = 20,
        value_name = "N",
        help_heading = "Containment"
    )]
    containment_min_shingles: u32,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub(super) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

fn read_text(path: &PathBuf) -> syndup::Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => syndup::input::decode_detected(e.as_bytes()),
    })
}

pub(super) fn compare(args: &CompareArgs) -> syndup::Result<ExitCode> {
    let mut config = Config {
        containment: ContainmentConfig {
            threshold: args.containment.0,
            min_shingles: args.containment_min_shingles,
            ..ContainmentConfig::default()
        },
        ..Config::default()
    };
    args.sketch.apply(&mut config);
    let detector = Detector::new(config.clone())?;
    let (a, b) = (read_text(&args.a)?, read_text(&args.b)?);
    let e = detector.compare(&a, &b)?;
    let mut out = std::io::stdout().lock();
    let names = [args.a.display().to_string(), args.b.display().to_string()];
    let written = if args.json {
        serde_json::to_writer_pretty(&mut out, &e)
            .map_err(std::io::Error::other)
            .and_then(|_| writeln!(out))
    } else {
        write_text(&mut out, &e, &names, &config, &a)
    };
    written.map_err(|err| Error::io("<stdout>", err))?;
    Ok(if e.relation.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn write_text(
    out: &mut dyn Write,
    e: &syndup::PairExplained,
    names: &[String; 2],
    config: &Config,
    a: &str,
) -> std::io::Result<()> {
    let clean = syndup::report::text::clean;
    let unit = match config.shingle {
        syndup::ShingleKind::Word => "word",
        syndup::ShingleKind::Char => "character",
    };
    for (i, (name, size)) in names.iter().zip([e.shingles_a, e.shingles_b]).enumerate() {
        writeln!(
            out,
            "{}: {} ({} words, {size} distinct {unit} {}-grams)",
            ["a", "b"][i],
            clean(name),
            e.words[i],
            config.ngram
        )?;
    }
    writeln!(
        out,
        "shared {}-grams: {}; Jaccard {:.2}, C(a in b) {:.2}, C(b in a) {:.2}",
        config.ngram, e.shared, e.jaccard, e.containment_a_in_b, e.containment_b_in_a
    )?;
    let verdict = match (e.relation, e.contained) {
        (Some(syndup::report::PairRelation::NearDuplicate), _) => format!(
            "near-duplicates (Jaccard {:.2} >= --threshold {})",
            e.jaccard, config.threshold
        ),
        (Some(_), Some(side)) => {
            let (inner, outer) = match side {
                Side::A => ("a", "b"),
                Side::B => ("b", "a"),
            };
            format!(
                "{inner} inside {outer} (containment >= --containment {}; Jaccard {:.2} is below --threshold {})",
                config.containment.threshold.unwrap_or(0.0),
                e.jaccard,
                config.threshold
            )
        }
        _ => format!(
            "not a match (Jaccard {:.2} < --threshold {}{})",
            e.jaccard,
            config.threshold,
            match config.containment.threshold {
                Some(c) => format!(
                    ", and neither text has {c} of its {unit} {}-grams in the other",
                    config.ngram
                ),
                None => String::new(),
            }
        ),
    };
    writeln!(out, "a scan reports: {verdict}")?;
    writeln!(
        out,
        "LSH ({} bands x {} rows): chance to become a candidate at J {:.2}: {:.2}{}",
        e.bands,
        e.rows,
        e.jaccard,
        e.candidate_probability,
        if config.containment.threshold.is_some() {
            " (partial copies are also found by the containment search)"
        } else {
            ""
        }
    )?;
    let al = &e.alignment;
    writeln!(
        out,
        "shared passages ({}, covering {:.0}% of a and {:.0}% of b; byte spans a = b):",
        al.passages.len(),
        al.coverage_a * 100.0,
        al.coverage_b * 100.0
    )?;
    for p in al.passages.iter().take(20) {
        let words: Vec<&str> = a[p.a_start..p.a_end].split_whitespace().take(12).collect();
        writeln!(
            out,
            "  a {}..{} = b {}..{}  ({} words)  \"{}…\"",
            p.a_start,
            p.a_end,
            p.b_start,
            p.b_end,
            p.words,
            clean(&words.join(" "))
        )?;
    }
    if al.passages.len() > 20 {
        writeln!(
            out,
            "  ... and {} more (all with --json)",
            al.passages.len() - 20
        )?;
    }
    Ok(())
}

pub(super) fn completions(args: &CompletionsArgs) -> syndup::Result<ExitCode> {
    let mut cmd = super::Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut cmd, "syndup", &mut out);
    out.flush().map_err(|e| Error::io("<stdout>", e))?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn man() -> syndup::Result<ExitCode> {
    let cmd = super::Cli::command();
    let mut out = std::io::stdout().lock();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .and_then(|_| out.flush())
        .map_err(|e| Error::io("<stdout>", e))?;
    Ok(ExitCode::SUCCESS)
}
