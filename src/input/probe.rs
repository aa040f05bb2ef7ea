//! A look at the first records of the input before a scan: which fields they have, so a
//! wrong `--text-field` (or id, date or group field) stops the run at once, naming the fields
//! that exist and the flag to type, instead of reporting one problem per record.
//!
//! Input: the files a scan will read. Output: a [`Sample`] of the first JSON Lines records
//! (standard input is never probed: it cannot be read twice), and [`Sample::check`], which
//! turns a field name that none of them has into an [`Error`] of kind `Config`.

use super::{read_batches, InputFile, InputKind};
use crate::config::Fields;
use crate::document::parse_date;
use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// Records probed at most.
pub const PROBE_RECORDS: usize = 100;

/// One field as seen in the probed records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldInfo {
    /// Records that have it.
    pub records: usize,
    /// Records where it is a string.
    pub strings: usize,
    /// The longest string value, in bytes (a text field is long).
    pub longest: usize,
    /// Records where it holds a date syndup reads ([`parse_date`]).
    pub dates: usize,
    /// Its first value, shortened (strings and numbers only).
    pub example: Option<String>,
}

/// The first JSON Lines records of an input, field by field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sample {
    /// The file they come from.
    pub path: String,
    /// JSON objects probed.
    pub records: usize,
    /// Files probed (the first is `path`).
    pub files: usize,
    /// Fields by name.
    pub fields: BTreeMap<String, FieldInfo>,
}

/// Reads up to [`PROBE_RECORDS`] records from the JSON Lines files in `files`, at most
/// [`PER_FILE`] from each (standard input and other streams excluded), so one broken file
/// among good ones does not decide. `None` when there is none, or when fewer than
/// [`MIN_RECORDS`] of the records read are JSON objects: a few bad records are problems the
/// scan reports one by one, not a reason to stop it.
pub fn sample(files: &[InputFile], max_doc_bytes: usize) -> Result<Option<Sample>> {
    let mut out = Sample::default();
    let mut seen = 0usize;
    // Never a stream that can be read only once (standard input, a FIFO): the scan itself
    // must read it.
    for file in files
        .iter()
        .filter(|f| !f.reads_once() && matches!(f.kind, InputKind::Jsonl(_) | InputKind::Parquet))
    {
        if seen >= PROBE_RECORDS {
            break;
        }
        if out.files == 0 {
            out.path = file.display();
        }
        out.files += 1;
        let mut here = 0usize;
        read_batches(std::slice::from_ref(file), max_doc_bytes, &mut |batch| {
            for r in &batch.records {
                seen += 1;
                here += 1;
                out.add(batch.record(r));
                if seen >= PROBE_RECORDS || here >= PER_FILE {
                    return Ok(false);
                }
            }
            Ok(true)
        })?;
    }
    Ok((out.records >= MIN_RECORDS).then_some(out))
}

/// At most this many records of one file are probed.
pub const PER_FILE: usize = 25;
/// Fewer JSON objects than this probed: no verdict on the fields.
pub const MIN_RECORDS: usize = 5;

impl Sample {
    /// Counts the fields of one record (when it is a JSON object).
    fn add(&mut self, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        let Ok(serde_json::Value::Object(map)) = serde_json::from_str(&text) else {
            return;
        };
        self.records += 1;
        for (k, v) in map {
            let f = self.fields.entry(k).or_default();
            f.records += 1;
            let shown = match &v {
                serde_json::Value::String(s) => {
                    f.strings += 1;
                    f.longest = f.longest.max(s.len());
                    f.dates += parse_date(s).is_some() as usize;
                    Some(s.clone())
                }
                serde_json::Value::Number(n) => {
                    // Unix seconds; small numbers are counts and ids, not dates.
                    f.dates += n.as_i64().is_some_and(|x| x >= 100_000_000) as usize;
                    Some(n.to_string())
                }
                _ => None,
            };
            if f.example.is_none() {
                f.example = shown.map(|s| shorten(&s, 40));
            }
        }
    }
}

fn shorten(s: &str, max: usize) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let mut t: String = one_line.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// Which fields a run cannot do without.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// Dates decide something (`--keep earliest`, `--window`): a date field that no probed
    /// record has, or has as a readable date, stops the run.
    pub dates: bool,
}

impl Sample {
    fn names(&self) -> String {
        self.fields
            .keys()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// "none of the first N records of P (and K other files) has a".
    fn lacks(&self) -> String {
        match self.files {
            0 | 1 => format!(
                "none of the first {} records of {} has a",
                self.records, self.path
            ),
            n => format!(
                "none of the first {} records of {} and {} other files has a",
                self.records,
                self.path,
                n - 1
            ),
        }
    }

    fn has(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }

    /// The field that looks most like `what` (a text, an id, a date), if any.
    fn suggest(&self, what: Suggest) -> Option<&str> {
        let mut best: Option<(&str, usize)> = None;
        for (name, f) in &self.fields {
            let lower = name.to_ascii_lowercase();
            let score = match what {
                Suggest::Text => (f.strings > 0).then_some(f.longest),
                Suggest::Id => {
                    let named = ["id", "url", "uuid", "key", "doc", "name"].iter().any(|w| {
                        lower == *w || lower.ends_with(&format!("_{w}")) || lower.ends_with(w)
                    });
                    (named && f.records == self.records && f.longest <= 512).then_some(f.records)
                }
                Suggest::Date => (f.dates > 0).then_some(f.dates),
            };
            if let Some(sc) = score {
                if best.is_none_or(|(_, b)| sc > b) {
                    best = Some((name, sc));
                }
            }
        }
        best.map(|(n, _)| n)
    }

    /// Checks `fields` against the probed records; the error names the fields they have and
    /// the flag to type.
    pub fn check(&self, fields: &Fields, needs: Needs) -> Result<()> {
        let text = &fields.text;
        if !self.has(text) {
            let hint = match self.suggest(Suggest::Text) {
                Some(s) => format!("name the text field with --text-field {}", quote_arg(s)),
                None => "name the text field with --text-field NAME".to_string(),
            };
            return Err(Error::config(format!(
                "{} text field `{text}`; {} {}: {hint}",
                self.lacks(),
                self.fields_are(),
                self.names()
            )));
        }
        if !fields.id.is_empty() && !self.has(&fields.id) {
            let hint = match self.suggest(Suggest::Id) {
                Some(s) => format!("--id-field {}", quote_arg(s)),
                None => "--id-field NAME".to_string(),
            };
            return Err(Error::config(format!(
                "{} id field `{}`; {} {}: name one with {hint}, or number the records by path:line with --id-field ''",
                self.lacks(),
                fields.id,
                self.fields_are(),
                self.names()
            )));
        }
        if let Some(g) = &fields.group {
            if !self.has(g) {
                return Err(Error::config(format!(
                    "{} group field `{g}`; {} {}: name it with --group-field NAME",
                    self.lacks(),
                    self.fields_are(),
                    self.names()
                )));
            }
        }
        if needs.dates {
            let Some(date) = &fields.date else {
                return Ok(());
            };
            let hint = match self.suggest(Suggest::Date) {
                Some(s) if s != date => format!("name it with --date-field {}", quote_arg(s)),
                _ => "name the field with dates with --date-field NAME".to_string(),
            };
            match self.fields.get(date) {
                None => {
                    return Err(Error::config(format!(
                        "{} date field `{date}` (needed by --keep earliest and --window); {} {}: {hint}",
                        self.lacks(),
                        self.fields_are(),
                        self.names()
                    )))
                }
                Some(f) if f.dates == 0 => {
                    return Err(Error::config(format!(
                        "{} readable date in `{date}` (needed by --keep earliest and --window; it holds values such as \"{}\"; syndup reads YYYY-MM-DD, ISO 8601 date-times, DD-MON-YYYY hh:mm:ss and Unix seconds): {hint}",
                        self.lacks(),
                        f.example.as_deref().unwrap_or("")
                    )))
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    fn fields_are(&self) -> &'static str {
        if self.records == 1 {
            "its fields are"
        } else {
            "their fields are"
        }
    }
}

#[derive(Clone, Copy)]
enum Suggest {
    Text,
    Id,
    Date,
}

/// A field name as typed in a shell: quoted when it holds anything but letters, digits, `_`,
/// `-` and `.`.
fn quote_arg(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Compression;

    fn sample_of(lines: &str) -> Sample {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.jsonl");
        std::fs::write(&p, lines).unwrap();
        let files = [InputFile {
            path: p,
            kind: InputKind::Jsonl(Compression::None),
        }];
        let mut s = sample(&files, 1 << 20).unwrap().unwrap();
        s.path = "x.jsonl".into();
        s
    }

    #[test]
    fn a_missing_text_field_names_the_fields_and_the_likely_one() {
        let s = sample_of(
            &"{\"url\":\"u1\",\"body\":\"a long text here\",\"t\":\"x\"}\n\n{\"url\":\"u2\",\"body\":\"b\"}\n"
                .repeat(3),
        );
        assert_eq!(s.records, 6);
        let fields = Fields {
            text: "text".into(),
            ..Fields::default()
        };
        let e = s.check(&fields, Needs::default()).unwrap_err().to_string();
        assert!(
            e.contains("none of the first 6 records of x.jsonl has a text field `text`")
                && e.contains("`body`, `t`, `url`")
                && e.contains("--text-field body"),
            "{e}"
        );
        let fields = Fields {
            text: "body".into(),
            ..Fields::default()
        };
        let e = s.check(&fields, Needs::default()).unwrap_err().to_string();
        assert!(
            e.contains("--id-field url") && e.contains("--id-field ''"),
            "{e}"
        );
        let fields = Fields {
            id: "url".into(),
            text: "body".into(),
            ..Fields::default()
        };
        s.check(&fields, Needs::default()).unwrap();
    }

    #[test]
    fn dates_are_checked_only_when_they_decide_something() {
        let s = sample_of(
            &"{\"id\":1,\"text\":\"t\",\"date\":\"yesterday\",\"published\":\"2024-05-01\"}\n"
                .repeat(5),
        );
        let fields = Fields::default();
        s.check(&fields, Needs::default()).unwrap();
        let e = s
            .check(&fields, Needs { dates: true })
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("none of the first 5 records of x.jsonl has a readable date in `date`")
                && e.contains("\"yesterday\"")
                && e.contains("--date-field published"),
            "{e}"
        );
        let fields = Fields {
            date: Some("when".into()),
            ..Fields::default()
        };
        let e = s
            .check(&fields, Needs { dates: true })
            .unwrap_err()
            .to_string();
        assert!(e.contains("has a date field `when`"), "{e}");
    }

    #[test]
    fn shell_quoting_of_suggested_names() {
        assert_eq!(quote_arg("body"), "body");
        assert_eq!(quote_arg("full text"), "'full text'");
        assert_eq!(quote_arg("it's"), r"'it'\''s'");
    }

    #[test]
    fn a_few_bad_records_or_one_bad_file_do_not_decide() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            InputFile {
                path: p,
                kind: InputKind::Jsonl(Compression::None),
            }
        };
        // Four records without a text: the scan reports them one by one.
        let few = write("few.jsonl", &"{\"id\":\"a\"}\n".repeat(4));
        assert!(sample(std::slice::from_ref(&few), 1 << 20)
            .unwrap()
            .is_none());
        // A broken file before a good one: the good one is probed too.
        let bad = write("bad.jsonl", &"{\"id\":\"a\"}\n".repeat(40));
        let good = write("good.jsonl", &"{\"id\":\"b\",\"text\":\"t\"}\n".repeat(40));
        let s = sample(&[bad, good], 1 << 20).unwrap().unwrap();
        assert_eq!((s.files, s.records), (2, 2 * PER_FILE));
        s.check(&Fields::default(), Needs::default()).unwrap();
    }
}
