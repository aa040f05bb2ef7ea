//! Checks before a scan starts, and warnings once it is over: a run that would be silently
//! wrong (no input read, a field that no record has, dates that decide nothing) stops early
//! or says so once, naming what exists and what to type.

use std::path::Path;
use syndup::input::{self, probe, Expanded};
use syndup::{Config, Error, KeepPolicy, Report, Source};

/// Words `--sentences MODE` takes: written with a space, the mode is read as a path.
const SENTENCE_MODES: [&str; 4] = ["off", "within", "standard", "full"];

/// Checks the paths before any work: each must exist, and together they must hold at least one
/// file syndup reads. Returns their expansion.
pub(super) fn inputs(sources: &[Source]) -> syndup::Result<Expanded> {
    for s in sources {
        let Source::Path(p) = s else { continue };
        if std::fs::symlink_metadata(p).is_err() {
            let name = p.display().to_string();
            if SENTENCE_MODES.contains(&name.as_str()) {
                return Err(Error::config(format!(
                    "`{name}` is not a file: to choose the sentence mode, write --sentences={name} (with `=`; a word after a space is a path)"
                )));
            }
            return Err(Error::input(format!("{name}: no such file or directory")));
        }
    }
    let expanded = input::expand(sources);
    // A path named on the command line that cannot be read stops the run; what is met inside
    // a directory (a broken link, an unreadable folder) is a problem the report counts.
    let named = |p: &syndup::Problem| {
        sources
            .iter()
            .any(|s| matches!(s, Source::Path(x) if input::display_path(x) == p.path))
    };
    if let Some(p) = expanded.problems.iter().find(|p| named(p)) {
        let hint = unsupported_hint(Path::new(&p.path));
        return Err(Error::input(format!("{p}{hint}")));
    }
    if expanded.files.is_empty() && expanded.problems.is_empty() {
        let found = if expanded.skipped_kinds.is_empty() {
            "no files at all".to_string()
        } else {
            let kinds: Vec<String> = expanded
                .skipped_kinds
                .iter()
                .map(|(ext, n)| format!("{n} {ext}"))
                .collect();
            format!(
                "{} ({})",
                plural(expanded.skipped_files, "file", "files"),
                kinds.join(", ")
            )
        };
        let hint = if expanded
            .skipped_kinds
            .keys()
            .any(|k| k.starts_with(".json"))
        {
            "; JSON documents one per line are JSON Lines: name the files .jsonl (or pipe one in: syndup scan - < FILE)"
        } else if expanded.skipped_kinds.keys().any(|k| k.starts_with(".htm")) {
            "; extract the text of HTML pages first (one .txt file per page)"
        } else {
            ""
        };
        return Err(Error::input(format!(
            "nothing to scan: found {found} but no file syndup reads (.txt, .md, .jsonl or .ndjson, also .jsonl.gz and .jsonl.zst){hint}"
        )));
    }
    Ok(expanded)
}

fn unsupported_hint(path: &Path) -> &'static str {
    match input::extension_of(path).as_str() {
        ".json" => {
            " (a file of one JSON object per line is JSON Lines: name it .jsonl or .ndjson; a JSON array becomes one with jq -c '.[]')"
        }
        ".html" | ".htm" => " (extract the page's text into a .txt file first)",
        _ => "",
    }
}

/// Checks the first JSON Lines records against the field flags: a field that none of them has
/// stops the run (one error naming the fields that exist) instead of one problem per record.
pub(super) fn fields(expanded: &Expanded, config: &Config) -> syndup::Result<()> {
    let Some(sample) = probe::sample(&expanded.files, config.max_doc_bytes)? else {
        return Ok(());
    };
    let needs = probe::Needs {
        dates: config.keep == KeepPolicy::Earliest || config.window_days.is_some(),
    };
    sample.check(&config.fields, needs)
}

/// Warnings about a finished scan, each said once: date fields that are not dates, documents
/// without the date that --keep earliest or --window uses, and nothing read at all.
pub(super) fn warnings(report: &Report) -> Vec<String> {
    let s = &report.stats;
    let p = &report.parameters;
    let mut out = Vec::new();
    if s.documents == 0 && s.problems == 0 {
        out.push(
            "no documents were read: the input is empty (standard input with nothing piped in?)"
                .to_string(),
        );
    }
    if let Some(field) = &p.fields.date {
        // (`--keep source`, the default, is made for corpora with and without dates: a
        // document without one is no warning there.)
        let uses = match (p.keep, p.window_days) {
            (KeepPolicy::Earliest, _) => Some("--keep earliest"),
            (_, Some(_)) => Some("--window"),
            _ => None,
        };
        let undated = s.documents.saturating_sub(s.dated_documents);
        if s.unreadable_dates > 0 {
            out.push(format!(
                "{} of {} have a `{field}` that is not a date syndup reads (YYYY-MM-DD, ISO 8601, DD-MON-YYYY hh:mm:ss, Unix seconds); they count as undated",
                s.unreadable_dates,
                plural(s.documents, "document", "documents")
            ));
        } else if let (Some(flag), true) = (uses, undated > 0) {
            out.push(format!(
                "{} of {} have no date in `{field}`: {flag} treats them as undated",
                undated,
                plural(s.documents, "document", "documents"),
            ));
        }
    }
    out
}

pub(super) fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
