//! The reading half of the sketch contract ([`crate::sketch`]): a raw record and its
//! `path:line` -> the record's fields ([`RecordText`]), or a [`Problem`] naming the flag to
//! change. Every driver and every re-reader goes through [`Reader`], so they agree on what a
//! record is: decoding (UTF-8; a text file that is not UTF-8 in the encoding detected for it,
//! [`decode_detected`]; Windows-1252 where UTF-8 breaks under `--windows-1252`), the JSON
//! fields, the size limit and the id check, with the same messages.

use super::jsonl::{decode, decode_windows_1252_fallback, record_fields, RecordError};
use crate::config::{Config, Fields};
use crate::document::{Problem, ProblemKind};
use std::borrow::Cow;

/// One raw record and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct RawRecord<'a> {
    /// The input's name as reported (`-` for standard input, `<memory>` for documents given
    /// in memory).
    pub path: &'a str,
    /// The 1-based line of a JSON Lines record; `None` for a whole text file, whose id is its
    /// path.
    pub line: Option<u64>,
    /// The record's bytes, without the line terminator.
    pub bytes: &'a [u8],
}

impl RawRecord<'_> {
    /// A problem with this record.
    pub fn problem(&self, id: Option<&str>, kind: ProblemKind, message: String) -> Problem {
        Problem {
            path: self.path.to_string(),
            line: self.line,
            id: id.map(str::to_string),
            kind,
            message,
        }
    }
}

/// A usable record's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordText<'a> {
    /// The id: the id field, `path:line` when the id field name is empty, or the path of a
    /// whole text file.
    pub id: String,
    /// The text (borrowed from the record when it needs no unescaping or recoding).
    pub text: Cow<'a, str>,
    /// The date field as given.
    pub date: Option<String>,
    /// The title field as given.
    pub title: Option<String>,
    /// The group field as given.
    pub group: Option<String>,
    /// True when the bytes were not UTF-8 and were decoded: a text file in its detected
    /// encoding, or Windows-1252 under `--windows-1252`.
    pub recoded: bool,
}

/// Decodes a text file that is not UTF-8: a UTF-16 byte order mark decides, else the legacy
/// encoding chardetng (Firefox's detector) finds most likely (Windows-1252 for older Western
/// European text, Shift_JIS, GBK, KOI8-R, ...), read with encoding_rs. Never fails: bytes
/// the encoding does not map become U+FFFD. Byte offsets in reports index the decoded text.
pub fn decode_detected(bytes: &[u8]) -> String {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        return enc
            .decode_without_bom_handling(&bytes[bom..])
            .0
            .into_owned();
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let enc = detector.guess(None, chardetng::Utf8Detection::Deny);
    enc.decode_without_bom_handling(bytes).0.into_owned()
}

/// Reads records under the input rules of a [`Config`]: JSON fields, `--max-doc-bytes`,
/// `--windows-1252`.
#[derive(Debug, Clone)]
pub struct Reader {
    fields: Fields,
    max_doc_bytes: usize,
    windows_1252: bool,
}

impl Reader {
    /// The rules of `config`.
    pub fn new(config: &Config) -> Reader {
        Reader::with(&config.fields, config.max_doc_bytes, config.windows_1252)
    }

    /// The largest document (and line) read, in bytes.
    pub fn max_doc_bytes(&self) -> usize {
        self.max_doc_bytes
    }

    /// Explicit rules (for a report's parameters, say).
    pub fn with(fields: &Fields, max_doc_bytes: usize, windows_1252: bool) -> Reader {
        Reader {
            fields: fields.clone(),
            max_doc_bytes,
            windows_1252,
        }
    }

    /// Decodes and parses a raw record, and checks its size and id: a whole text file (no
    /// line) is its text with the path as id; a JSON Lines record gives its configured
    /// fields. Bytes that are not UTF-8 are read as Windows-1252 under `--windows-1252`.
    pub fn read<'a>(&self, raw: &RawRecord<'a>) -> std::result::Result<RecordText<'a>, Problem> {
        self.read_as(raw, raw.line.is_some())
    }

    /// [`Reader::read`] of a JSON Lines record, whatever its line (the streaming filter
    /// reads nothing else).
    pub fn read_json<'a>(
        &self,
        raw: &RawRecord<'a>,
    ) -> std::result::Result<RecordText<'a>, Problem> {
        self.read_as(raw, true)
    }

    fn read_as<'a>(
        &self,
        raw: &RawRecord<'a>,
        json: bool,
    ) -> std::result::Result<RecordText<'a>, Problem> {
        let problem = |(kind, id, message): RecordError| raw.problem(id.as_deref(), kind, message);
        if json && raw.bytes.len() > self.max_doc_bytes {
            return Err(raw.problem(
                None,
                ProblemKind::TooLarge,
                format!(
                    "line is {} bytes, more than --max-doc-bytes {}; skipped",
                    raw.bytes.len(),
                    self.max_doc_bytes
                ),
            ));
        }
        let (text, recoded): (Cow<'a, str>, bool) = match decode(raw.bytes) {
            Ok(t) => (Cow::Borrowed(t), false),
            Err(_) if self.windows_1252 => {
                (Cow::Owned(decode_windows_1252_fallback(raw.bytes)), true)
            }
            // A text file declares no encoding: detect it.
            Err(_) if !json => (Cow::Owned(decode_detected(raw.bytes)), true),
            Err((kind, id, message)) => {
                return Err(problem((
                    kind,
                    id,
                    format!(
                        "{message} (JSON Lines is UTF-8; to read older Windows-1252 or Latin-1 records, add --windows-1252)"
                    ),
                )))
            }
        };
        let rec = match json {
            false => RecordText {
                id: raw.path.to_string(),
                text,
                date: None,
                title: None,
                group: None,
                recoded,
            },
            true => {
                // The fields are moved out, never copied: the text stays borrowed from the
                // line unless it had escapes (or the line was recoded).
                let (id, text, date, title, group) = match text {
                    Cow::Borrowed(line) => {
                        let r = record_fields(line, &self.fields, raw.path, raw.line)
                            .map_err(problem)?;
                        (r.id, r.text, r.date, r.title, r.group)
                    }
                    Cow::Owned(line) => {
                        let r = record_fields(&line, &self.fields, raw.path, raw.line)
                            .map_err(problem)?;
                        let text = Cow::Owned(r.text.into_owned());
                        (r.id, text, r.date, r.title, r.group)
                    }
                };
                RecordText {
                    id,
                    text,
                    date,
                    title,
                    group,
                    recoded,
                }
            }
        };
        self.check(raw, &rec.id, &rec.text)?;
        Ok(rec)
    }

    /// The checks every document passes, whatever its source: at most `--max-doc-bytes` of
    /// text, and a non-empty id.
    pub fn check(&self, raw: &RawRecord, id: &str, text: &str) -> std::result::Result<(), Problem> {
        if text.len() > self.max_doc_bytes {
            return Err(raw.problem(
                Some(id),
                ProblemKind::TooLarge,
                format!(
                    "document is {} bytes, more than --max-doc-bytes {}; skipped",
                    text.len(),
                    self.max_doc_bytes
                ),
            ));
        }
        if id.is_empty() {
            return Err(raw.problem(None, ProblemKind::MissingField, "the id is empty".into()));
        }
        Ok(())
    }
}
