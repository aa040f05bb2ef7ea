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

/// Writes one JSON Lines message: `{"type": kind, "data": data}` and a newline.
pub fn write_jsonl_line<T: Serialize>(
    out: &mut dyn Write,
    kind: &str,
    data: T,
) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, &Message { kind, data })?;
    out.write_all(b"\n")
}

/// Writes the `begin` message of a JSON Lines report.
pub fn write_jsonl_begin(
    out: &mut dyn Write,
    format_version: u32,
    tool: &super::Tool,
    parameters: &super::Parameters,
) -> std::io::Result<()> {
    let begin = Begin {
        format_version,
        tool,
        parameters,
    };
    write_jsonl_line(out, "begin", begin)
}

/// Writes the messages that follow the pairs: repeats, problems and the summary.
pub fn write_jsonl_end(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    for r in &report.repeats {
        write_jsonl_line(out, "repeat", r)?;
    }
    for p in &report.problems {
        write_jsonl_line(out, "problem", p)?;
    }
    write_jsonl_line(out, "summary", &report.stats)
}

/// Writes the report as JSON Lines messages.
pub fn write_jsonl(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    write_jsonl_begin(out, report.format_version, &report.tool, &report.parameters)?;
    for c in &report.clusters {
        write_jsonl_line(out, "cluster", c)?;
    }
    for p in &report.pairs {
        write_jsonl_line(out, "pair", p)?;
    }
    write_jsonl_end(report, out)
}
