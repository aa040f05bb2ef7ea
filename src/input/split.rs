//! A dedupe's output: the scan's inputs read again and split into the records it keeps and
//! the ones it drops (`syndup scan --kept FILE --dropped FILE`).
//!
//! Input: the sources a scan read, the same [`Reader`], and the ids the scan's clusters drop
//! (every member but the representative). Output: JSON Lines records written byte for byte,
//! one per line, to the kept or the dropped sink; a document read from a `.txt` or `.md` file
//! is written as its path (its id) on a line of its own. Records the scan could not use (bad
//! JSON, a repeated id, ...) go to neither: the scan reported them.

use super::{expand, read_batches, InputFile, InputKind, RawRecord, Reader, Source};
use crate::error::{Error, Result};
use std::collections::BTreeSet;
use std::io::Write;

/// Records written to each side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Split {
    /// Records written to the kept sink.
    pub kept: u64,
    /// Records written to the dropped sink.
    pub dropped: u64,
}

/// One side of the split: a writer and its name for error messages.
pub struct SplitSink<'a> {
    /// Where records go.
    pub out: &'a mut dyn Write,
    /// The name used in errors (a path, or `<stdout>`).
    pub name: String,
}

/// Reads `sources` again through `reader` and writes each usable record to `kept`, or to
/// `dropped` when its id is in `drop` (either sink may be absent). Standard input cannot be
/// read twice: it is an error.
pub fn split_records<'a>(
    sources: &[Source],
    reader: &Reader,
    drop: &BTreeSet<String>,
    mut kept: Option<SplitSink<'a>>,
    mut dropped: Option<SplitSink<'a>>,
) -> Result<Split> {
    if sources.contains(&Source::Stdin) {
        return Err(Error::config(
            "--kept and --dropped read the input again, and standard input cannot be read twice: scan files instead of -",
        ));
    }
    let expanded = expand(sources);
    let names: Vec<String> = expanded.files.iter().map(InputFile::display).collect();
    let text: Vec<bool> = expanded
        .files
        .iter()
        .map(|f| f.kind == InputKind::Text)
        .collect();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut out = Split::default();
    let mut tokenizer = crate::normalize::Tokenizer::new();
    let mut hashes = Vec::new();
    read_batches(&expanded.files, reader.max_doc_bytes(), &mut |batch| {
        for r in &batch.records {
            let bytes = batch.record(r);
            let raw = RawRecord {
                path: &names[r.file as usize],
                line: r.line,
                bytes,
            };
            let Ok(rec) = reader.read(&raw) else { continue };
            hashes.clear();
            tokenizer.hashes_into(&rec.text, &mut hashes);
            if hashes.is_empty() || !seen.insert(rec.id.clone()) {
                continue; // empty or a repeated id: a problem of the scan, not a document
            }
            let is_dropped = drop.contains(&rec.id);
            let sink = if is_dropped { &mut dropped } else { &mut kept };
            if is_dropped {
                out.dropped += 1;
            } else {
                out.kept += 1;
            }
            let Some(sink) = sink else { continue };
            let line: &[u8] = if text[r.file as usize] {
                rec.id.as_bytes()
            } else {
                bytes
            };
            sink.out
                .write_all(line)
                .and_then(|_| sink.out.write_all(b"\n"))
                .map_err(|e| Error::io(&sink.name, e))?;
        }
        Ok(true)
    })?;
    for s in [&mut kept, &mut dropped].into_iter().flatten() {
        s.out.flush().map_err(|e| Error::io(&s.name, e))?;
    }
    Ok(out)
}
