//! Readers: paths and standard input -> batches of raw records with their `path:line`.
//!
//! Inputs are files and directories (walked recursively in sorted order, hidden entries
//! skipped): `.txt` and `.md` files are one document each (id = the path), `.jsonl` (or
//! `.ndjson`), `.jsonl.gz` and `.jsonl.zst` files one document per line, and `-` reads JSON Lines from
//! standard input. Records come in batches of a few MiB so the next stage can parse and shingle
//! a batch in parallel while the reader fills the next one. Lines longer than `max_doc_bytes`
//! are never held in memory whole: they are skipped and reported, and a text file is read up
//! to `max_doc_bytes + 1` bytes at most, whatever it is (`/dev/zero` included).
//!
//! **Directories and links** ([`expand`], walked with `walkdir`): symbolic links are
//! followed, to files and to directories; a link back to a directory being walked (an
//! ancestor: `ln -s .. sub/up`) is a loop and is not followed; a file reached twice (through
//! two links, a hard link, or named twice) is read once, at its first path in walking order
//! (files are told apart by device and inode). FIFOs, sockets and devices inside a directory
//! are never opened (a FIFO would block the walk). Each of these, like a file of a kind
//! syndup does not read, is counted in [`Expanded::skipped_files`]; a broken link of a
//! readable kind, or a directory that cannot be read, is a problem. A FIFO or device named on
//! the command line is read, once ([`InputFile::reads_once`]): what must be read again later
//! (passages, quotes) is kept from that one reading, as for standard input.

mod jsonl;
mod lines;
#[cfg(feature = "parquet-input")]
pub mod parquet;
pub mod probe;
mod record;
mod split;

pub use jsonl::{
    decode, decode_windows_1252_fallback, parse_record, record_fields, FieldValue, Parsed,
    RecordError, RecordFields,
};
pub(crate) use lines::read_ranges;
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
    /// `-` is standard input; anything else a path (which need not be UTF-8).
    pub fn parse(arg: impl AsRef<std::ffi::OsStr>) -> Source {
        let arg = arg.as_ref();
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
    /// One document per row of a Parquet file (feature `parquet-input`; see `input::parquet`):
    /// the record's line is its 1-based row number.
    Parquet,
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
    /// The path as shown in messages and reports, and as the id of a text file's document
    /// ([`display_path`]: bytes that are not UTF-8 escaped, so two names never share one).
    pub fn display(&self) -> String {
        display_path(&self.path)
    }

    /// True for standard input.
    pub fn is_stdin(&self) -> bool {
        self.path.as_os_str() == "-"
    }

    /// True when the input can only be read once: standard input, a FIFO, a device, anything
    /// but a regular file. What a scan needs from it again (passages, quotes) is kept from the
    /// first reading instead of being read twice, which for a FIFO would block for ever.
    pub fn reads_once(&self) -> bool {
        self.is_stdin()
            || std::fs::metadata(&self.path)
                .map(|m| !m.is_file())
                .unwrap_or(true)
    }
}

/// A path as shown in messages and reports, and as an id: the path as UTF-8, with each byte
/// of a name that is not UTF-8 written `\xHH` (Unix file names are bytes). Two names that
/// differ only in such bytes stay two ids, where a lossy conversion would give both the same
/// replacement character. Valid UTF-8 names are shown as they are.
pub fn display_path(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bytes = path.as_os_str().as_bytes();
        let mut out = String::with_capacity(bytes.len());
        for chunk in bytes.utf8_chunks() {
            out.push_str(chunk.valid());
            for b in chunk.invalid() {
                out.push_str(&format!("\\x{b:02X}"));
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        path.display().to_string()
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
    } else if name.ends_with(".parquet") {
        Some(InputKind::Parquet)
    } else {
        None
    }
}

/// The files to read, in order, plus problems (missing paths, unreadable directories,
/// unsupported files named explicitly, broken links) and the number of entries skipped inside
/// directories (see the module documentation).
#[derive(Debug, Default)]
pub struct Expanded {
    /// Files to read, in the order given, directories expanded in sorted order.
    pub files: Vec<InputFile>,
    /// Paths that could not be used.
    pub problems: Vec<Problem>,
    /// Entries inside directories not read: files of a kind syndup does not read, FIFOs,
    /// sockets and devices, links that loop back to a directory being walked, and files
    /// already met at another path.
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

/// A file's identity on its file system, to read it once however many paths lead to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    /// The identity of the file `m` describes (`None` where the platform gives none).
    pub fn of(m: &std::fs::Metadata) -> Option<FileId> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Some(FileId {
                dev: m.dev(),
                ino: m.ino(),
            })
        }
        #[cfg(not(unix))]
        {
            let _ = m;
            None
        }
    }

    /// The identity of the file at `path` (links followed), if it exists.
    pub fn of_path(path: &Path) -> Option<FileId> {
        std::fs::metadata(path).ok().as_ref().and_then(FileId::of)
    }
}

/// Expands sources into files (see the module documentation for links and special files).
pub fn expand(sources: &[Source]) -> Expanded {
    let mut out = Expanded::default();
    let mut seen: ahash::AHashSet<FileId> = ahash::AHashSet::new();
    for s in sources {
        match s {
            Source::Stdin => out.files.push(InputFile {
                path: PathBuf::from("-"),
                kind: InputKind::Jsonl(Compression::None),
            }),
            Source::Path(p) => match std::fs::metadata(p) {
                Ok(m) if m.is_dir() => walk(p, &mut out, &mut seen),
                Ok(m) => match kind_of(p) {
                    Some(kind) => {
                        if FileId::of(&m).is_some_and(|id| !seen.insert(id)) {
                            // Named twice (or also inside a directory given before).
                            out.skipped_files += 1;
                            continue;
                        }
                        out.files.push(InputFile {
                            path: p.clone(),
                            kind,
                        })
                    }
                    None => out.problems.push(unreadable(
                        p,
                        "unsupported file type: syndup reads .txt, .md, .jsonl (or .ndjson, also .gz or .zst), .parquet files, directories, and - for JSON Lines on standard input",
                    )),
                },
                Err(e) => out.problems.push(unreadable(p, &jsonl::lower_first(&e.to_string()))),
            },
        }
    }
    out
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().starts_with(b".")
}

/// Walks `dir` in sorted order, following links, with walkdir's loop detection.
fn walk(dir: &Path, out: &mut Expanded, seen: &mut ahash::AHashSet<FileId>) {
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        // The directory given is walked even when its own name is hidden (`.`, `./x`).
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                if e.loop_ancestor().is_some() {
                    // A link back to a directory being walked: its files are read at their
                    // own path already.
                    out.skipped_files += 1;
                    continue;
                }
                let path = e.path().unwrap_or(dir).to_path_buf();
                let broken_link = e
                    .io_error()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound)
                    && path.symlink_metadata().is_ok();
                if broken_link && kind_of(&path).is_none() {
                    out.skipped_files += 1;
                    continue;
                }
                let msg = match e.io_error() {
                    Some(io) if broken_link => {
                        format!(
                            "broken symbolic link: {}",
                            jsonl::lower_first(&io.to_string())
                        )
                    }
                    Some(io) => jsonl::lower_first(&io.to_string()),
                    None => jsonl::lower_first(&e.to_string()),
                };
                out.problems.push(unreadable(&path, &msg));
                continue;
            }
        };
        let ft = entry.file_type();
        if ft.is_dir() {
            continue;
        }
        let id = entry.metadata().ok().as_ref().and_then(FileId::of);
        let path = entry.into_path();
        if !ft.is_file() {
            // FIFO, socket or device: opening a FIFO blocks until a writer comes, and a
            // device may never end. Named on the command line, they are read (once).
            out.skipped_files += 1;
            continue;
        }
        let Some(kind) = kind_of(&path) else {
            out.skipped_files += 1;
            *out.skipped_kinds.entry(extension_of(&path)).or_default() += 1;
            continue;
        };
        if id.is_some_and(|id| !seen.insert(id)) {
            // The same file through another link (or a hard link): read once.
            out.skipped_files += 1;
            continue;
        }
        out.files.push(InputFile { path, kind });
    }
}

pub(crate) fn unreadable(path: &Path, msg: &str) -> Problem {
    Problem {
        path: display_path(path),
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
    let expanded = expand(sources);
    let problems = each_record(&expanded.files, expanded.problems, &reader, &mut |rec| {
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
    files: &[InputFile],
    mut problems: Vec<Problem>,
    reader: &Reader,
    f: &mut dyn FnMut(std::result::Result<RecordText, Problem>) -> bool,
) -> crate::Result<Vec<Problem>> {
    let names: Vec<String> = files.iter().map(InputFile::display).collect();
    read_batches(files, reader.max_doc_bytes(), &mut |batch| {
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
/// input, FIFOs and devices cannot be read twice ([`InputFile::reads_once`]) and are skipped.
pub fn read_texts_of(
    sources: &[Source],
    reader: &Reader,
    wanted: &std::collections::BTreeSet<String>,
) -> crate::Result<std::collections::BTreeMap<String, String>> {
    let files: Vec<InputFile> = expand(sources)
        .files
        .into_iter()
        .filter(|f| !f.reads_once())
        .collect();
    let mut out = std::collections::BTreeMap::new();
    each_record(&files, Vec::new(), reader, &mut |rec| {
        if let Ok(r) = rec {
            if wanted.contains(&r.id) {
                out.entry(r.id).or_insert_with(|| r.text.into_owned());
            }
        }
        out.len() < wanted.len()
    })?;
    Ok(out)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn names(e: &Expanded, root: &Path) -> Vec<String> {
        e.files
            .iter()
            .map(|f| f.path.strip_prefix(root).unwrap().display().to_string())
            .collect()
    }

    /// Regression (issue 17, fault 7): `ln -s . d/a` made the hand-written walker recurse for
    /// ever, and `ln -s .. sub/up` read a file 41 times.
    #[test]
    fn symlink_loops_are_not_followed_and_each_file_is_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::create_dir_all(d.join("other")).unwrap();
        std::fs::write(d.join("x.txt"), "a doc").unwrap();
        std::fs::write(d.join("sub/y.txt"), "another doc").unwrap();
        std::fs::write(d.join("other/z.jsonl"), "{}").unwrap();
        std::fs::write(d.join(".hidden.txt"), "hidden").unwrap();
        std::fs::write(d.join("notes.csv"), "a,b").unwrap();
        symlink(".", d.join("a")).unwrap(); // loop
        symlink(".", d.join("b")).unwrap(); // loop
        symlink("..", d.join("sub/up")).unwrap(); // loop through the parent
        symlink("other", d.join("w")).unwrap(); // a second way to other/z.jsonl
        symlink("x.txt", d.join("y-link.txt")).unwrap(); // a second name of x.txt
        std::fs::hard_link(d.join("x.txt"), d.join("zz-hard.txt")).unwrap();
        symlink("nowhere.txt", d.join("broken.txt")).unwrap();
        symlink("nowhere", d.join("broken-other")).unwrap();
        let e = expand(&[Source::Path(d.to_path_buf()), Source::Path(d.join("x.txt"))]);
        assert_eq!(names(&e, d), ["other/z.jsonl", "sub/y.txt", "x.txt"]);
        // a, b, sub/up (loops), w/z.jsonl, y-link.txt, zz-hard.txt, x.txt named again (read
        // once), notes.csv and broken-other (not read).
        assert_eq!(e.skipped_files, 9);
        assert_eq!(e.problems.len(), 1, "{:?}", e.problems);
        assert!(e.problems[0].path.ends_with("broken.txt"));
        assert!(
            e.problems[0].message.starts_with("broken symbolic link"),
            "{:?}",
            e.problems
        );
    }

    /// Regression (issue 17, fault 9): a FIFO inside a scanned directory blocked the walk.
    #[test]
    fn fifos_sockets_and_devices_inside_a_directory_are_skipped_not_opened() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("x.txt"), "a doc").unwrap();
        let fifo = d.join("f.txt");
        let ok = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        let _sock = std::os::unix::net::UnixListener::bind(d.join("s.jsonl")).unwrap();
        symlink("/dev/null", d.join("null.txt")).unwrap();
        let e = expand(&[Source::Path(d.to_path_buf())]);
        assert_eq!(names(&e, d), ["x.txt"]);
        assert_eq!(e.skipped_files, 2 + ok as u64);
        assert!(e.problems.is_empty());
        if ok {
            // Named on the command line, a FIFO is an input that reads once.
            let e = expand(&[Source::Path(fifo)]);
            assert_eq!(e.files.len(), 1);
            assert!(e.files[0].reads_once());
        }
        assert!(!e
            .files
            .iter()
            .any(|f| f.path.ends_with("x.txt") && f.reads_once()));
    }

    /// Regression (issue 17, fault 5): two file names differing only in bytes that are not
    /// UTF-8 got one id.
    #[test]
    fn names_that_are_not_utf8_are_escaped_not_merged() {
        use std::os::unix::ffi::OsStrExt;
        let a = Path::new(std::ffi::OsStr::from_bytes(b"d/n-\xe9.txt"));
        let b = Path::new(std::ffi::OsStr::from_bytes(b"d/n-\xe8.txt"));
        assert_eq!(display_path(a), "d/n-\\xE9.txt");
        assert_ne!(display_path(a), display_path(b));
        assert_eq!(display_path(Path::new("d/café.txt")), "d/café.txt");
    }
}
