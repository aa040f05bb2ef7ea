//! Readers: paths and standard input -> batches of raw records with their `path:line`.
//!
//! Inputs are files and directories (walked recursively in sorted order, hidden entries
//! skipped): `.txt` and `.md` files are one document each (id = the path), `.jsonl` (or
//! `.ndjson`), `.jsonl.gz` and `.jsonl.zst` files one document per line, and `-` reads JSON Lines from
//! standard input. Records come in batches of a few MiB so the next stage can parse and shingle
//! a batch in parallel while the reader fills the next one. Lines longer than `max_doc_bytes`
//! are never held in memory whole: they are skipped and reported.

mod jsonl;
mod lines;
pub mod probe;
mod record;
mod split;

pub use jsonl::{
    decode, decode_windows_1252_fallback, parse_record, record_fields, FieldValue, Parsed,
    RecordError, RecordFields,
};
pub use lines::{read_batches, read_batches_within, reread, Batch, RecordRef};
pub use record::{decode_detected, RawRecord, Reader, RecordText};
pub use split::{split_records, Split, SplitSink};

use crate::document::{Problem, ProblemKind};
use std::path::{Path, PathBuf};

/// Where input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file or a directory.
    Path(PathBuf),
    /// JSON Lines on standard input.
    Stdin,
}

impl Source {
    /// `-` is standard input; anything else a path.
    pub fn parse(arg: &str) -> Source {
        if arg == "-" {
            Source::Stdin
        } else {
            Source::Path(PathBuf::from(arg))
        }
    }
}

/// Compression of a JSON Lines file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain text.
    None,
    /// gzip (`.jsonl.gz`), possibly multi-member.
    Gzip,
    /// Zstandard (`.jsonl.zst`).
    Zstd,
}

/// How a file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// One document per file.
    Text,
    /// One document per line.
    Jsonl(Compression),
}

/// One input file (or standard input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// The path (`-` for standard input).
    pub path: PathBuf,
    /// How to read it.
    pub kind: InputKind,
}

impl InputFile {
    /// The path as shown in messages and reports.
    pub fn display(&self) -> String {
        self.path.display().to_string()
    }

    /// True for standard input.
    pub fn is_stdin(&self) -> bool {
        self.path.as_os_str() == "-"
    }
}

/// The kind of a file by its name, or `None` when syndup does not read it.
pub fn kind_of(path: &Path) -> Option<InputKind> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".jsonl") || name.ends_with(".ndjson") {
        Some(InputKind::Jsonl(Compression::None))
    } else if name.ends_with(".jsonl.gz") || name.ends_with(".ndjson.gz") {
        Some(InputKind::Jsonl(Compression::Gzip))
    } else if name.ends_with(".jsonl.zst") || name.ends_with(".ndjson.zst") {
        Some(InputKind::Jsonl(Compression::Zstd))
    } else if name.ends_with(".txt") || name.ends_with(".md") {
        Some(InputKind::Text)
    } else {
        None
    }
}

/// The files to read, in order, plus problems (missing paths, unreadable directories,
/// unsupported files named explicitly) and the number of files skipped inside directories
/// because of their extension.
#[derive(Debug, Default)]
pub struct Expanded {
    /// Files to read, in the order given, directories expanded in sorted order.
    pub files: Vec<InputFile>,
    /// Paths that could not be used.
    pub problems: Vec<Problem>,
    /// Files inside directories that are not of a kind syndup reads.
    pub skipped_files: u64,
    /// Those files by extension ([`extension_of`]), to say what was found instead.
    pub skipped_kinds: std::collections::BTreeMap<String, u64>,
}

/// A file's extension as shown in messages: `.html`, `.json.gz`, or `(none)`.
pub fn extension_of(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let mut parts = name.rsplitn(3, '.');
    let last = parts.next().unwrap_or_default();
    match (parts.next(), parts.next()) {
        (Some(mid), Some(_)) if matches!(last, "gz" | "zst" | "bz2" | "xz") && !mid.is_empty() => {
            format!(".{mid}.{last}")
        }
        (Some(_), _) if !last.is_empty() => format!(".{last}"),
        _ => "(none)".to_string(),
    }
}

/// Expands sources into files.
pub fn expand(sources: &[Source]) -> Expanded {
    let mut out = Expanded::default();
    for s in sources {
        match s {
            Source::Stdin => out.files.push(InputFile {
                path: PathBuf::from("-"),
                kind: InputKind::Jsonl(Compression::None),
            }),
            Source::Path(p) => match std::fs::metadata(p) {
                Ok(m) if m.is_dir() => walk(p, &mut out),
                Ok(_) => match kind_of(p) {
                    Some(kind) => out.files.push(InputFile {
                        path: p.clone(),
                        kind,
                    }),
                    None => out.problems.push(unreadable(
                        p,
                        "unsupported file type: syndup reads .txt, .md, .jsonl (or .ndjson, also .gz or .zst) files, directories, and - for JSON Lines on standard input",
                    )),
                },
                Err(e) => out.problems.push(unreadable(p, &e.to_string().to_lowercase())),
            },
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Expanded) {
    let entries = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            out.problems
                .push(unreadable(dir, &e.to_string().to_lowercase()));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .map(|n| n.to_string_lossy().starts_with('.'))
                .unwrap_or(true)
        })
        .collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            walk(&p, out);
        } else if let Some(kind) = kind_of(&p) {
            out.files.push(InputFile { path: p, kind });
        } else {
            out.skipped_files += 1;
            *out.skipped_kinds.entry(extension_of(&p)).or_default() += 1;
        }
    }
}

pub(crate) fn unreadable(path: &Path, msg: &str) -> Problem {
    Problem {
        path: path.display().to_string(),
        line: None,
        id: None,
        kind: ProblemKind::Unreadable,
        message: msg.to_string(),
    }
}

/// Reads the texts of all documents in `sources` (whole text files, and the text field of JSON
/// Lines records), in input order, with the problems met, through the reading half of the
/// sketch contract ([`Reader`]; ids are not needed, so records are numbered by `path:line`).
/// Used to feed the corpus generator.
pub fn read_texts(
    sources: &[Source],
    fields: &crate::config::Fields,
    max_doc_bytes: usize,
) -> crate::Result<(Vec<String>, Vec<Problem>)> {
    let fields = crate::config::Fields {
        id: String::new(),
        ..fields.clone()
    };
    let reader = Reader::with(&fields, max_doc_bytes, false);
    let mut texts = Vec::new();
    let problems = each_record(sources, &reader, &mut |rec| {
        if let Ok(r) = rec {
            texts.push(r.text.into_owned());
        }
        true
    })?;
    Ok((texts, problems))
}

/// Calls `f` with every record of `sources` read through `reader`, in input order, until it
/// returns false; returns the problems of the inputs themselves (unreadable files, lines
/// too long), which never reach `f`. Records that cannot be read reach `f` as their problem.
fn each_record(
    sources: &[Source],
    reader: &Reader,
    f: &mut dyn FnMut(std::result::Result<RecordText, Problem>) -> bool,
) -> crate::Result<Vec<Problem>> {
    let expanded = expand(sources);
    let mut problems = expanded.problems;
    let names: Vec<String> = expanded.files.iter().map(InputFile::display).collect();
    read_batches(&expanded.files, reader.max_doc_bytes(), &mut |batch| {
        problems.extend(batch.problems.iter().cloned());
        for r in &batch.records {
            let raw = RawRecord {
                path: &names[r.file as usize],
                line: r.line,
                bytes: batch.record(r),
            };
            let rec = reader.read(&raw);
            if let Err(p) = &rec {
                problems.push(p.clone());
            }
            if !f(rec) {
                return Ok(false);
            }
        }
        Ok(true)
    })?;
    Ok(problems)
}

/// Reads the texts of the documents whose ids are in `wanted` (ids as the scan assigns them:
/// the path for text files, the id field for JSON Lines), through `reader` as the scan read
/// them. Records that cannot be read are skipped: the scan reported them already. Standard
/// input cannot be read twice and is skipped.
pub fn read_texts_of(
    sources: &[Source],
    reader: &Reader,
    wanted: &std::collections::BTreeSet<String>,
) -> crate::Result<std::collections::BTreeMap<String, String>> {
    let sources: Vec<Source> = sources
        .iter()
        .filter(|s| **s != Source::Stdin)
        .cloned()
        .collect();
    let mut out = std::collections::BTreeMap::new();
    each_record(&sources, reader, &mut |rec| {
        if let Ok(r) = rec {
            if wanted.contains(&r.id) {
                out.entry(r.id).or_insert_with(|| r.text.into_owned());
            }
        }
        out.len() < wanted.len()
    })?;
    Ok(out)
}
