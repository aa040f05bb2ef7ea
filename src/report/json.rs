//! JSON and JSON Lines writers.
//!
//! JSON Lines uses a `{"type": .., "data": ..}` envelope, one message per line:
//! `begin` (first: `format_version`, `tool`, `parameters`), then `cluster`, `pair`, `repeat`
//! and `problem` messages, then `summary` (last: `stats`). A consumer can stream clusters
//! without holding the whole report.

use super::Report;
use serde::Serialize;
use std::io::Write;

/// Writes the report as one pretty-printed JSON document and a newline.
pub fn write_json(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}

#[derive(Serialize)]
struct Message<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'a str,
    data: T,
}

#[derive(Serialize)]
struct Begin<'a> {
    format_version: u32,
    tool: &'a super::Tool,
    parameters: &'a super::Parameters,
}

fn line<T: Serialize>(out: &mut dyn Write, kind: &str, data: T) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, &Message { kind, data })?;
    out.write_all(b"\n")
}

/// Writes the report as JSON Lines messages.
pub fn write_jsonl(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    line(
        out,
        "begin",
        Begin {
            format_version: report.format_version,
            tool: &report.tool,
            parameters: &report.parameters,
        },
    )?;
    for c in &report.clusters {
        line(out, "cluster", c)?;
    }
    for p in &report.pairs {
        line(out, "pair", p)?;
    }
    for r in &report.repeats {
        line(out, "repeat", r)?;
    }
    for p in &report.problems {
        line(out, "problem", p)?;
    }
    line(out, "summary", &report.stats)
}
