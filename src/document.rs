//! Documents, their origin, and the problems bad input records produce.
//!
//! A [`Document`] is what the pipeline works on: an id, the text, and the metadata syndup
//! uses (date, title). Documents get a dense index in input order (`DocIdx`), which every
//! later stage uses and which makes "first" and all sorting deterministic.
//!
//! A [`Problem`] is a bad input record (malformed JSON, missing field, invalid UTF-8, empty
//! text, duplicate id, oversized record, unreadable file): it carries `path:line`, is counted
//! and reported, and the run goes on (or stops under `strict`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Dense index of a document, in input order.
pub type DocIdx = u32;

/// A document to scan.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Document {
    /// Unique id (the path for text files, the id field for JSON Lines).
    pub id: String,
    /// The original text; reported byte offsets index into it.
    pub text: String,
    /// The date field as given, if any.
    pub date: Option<String>,
    /// A title to show in reports, if any.
    pub title: Option<String>,
    /// The group (e.g. publisher), if any; see [`crate::config::GroupPairs`].
    pub group: Option<String>,
}

/// What kind of problem an input record had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProblemKind {
    /// The line is not a JSON object.
    MalformedJson,
    /// The id or text field is missing.
    MissingField,
    /// The text (or id) field is not a string.
    NotAString,
    /// The bytes are not valid UTF-8.
    InvalidUtf8,
    /// The text has no words after normalisation.
    EmptyDocument,
    /// The id was already used by an earlier record.
    DuplicateId,
    /// The record is larger than `max_doc_bytes`.
    TooLarge,
    /// The file could not be read.
    Unreadable,
}

impl ProblemKind {
    /// The snake_case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            ProblemKind::MalformedJson => "malformed_json",
            ProblemKind::MissingField => "missing_field",
            ProblemKind::NotAString => "not_a_string",
            ProblemKind::InvalidUtf8 => "invalid_utf8",
            ProblemKind::EmptyDocument => "empty_document",
            ProblemKind::DuplicateId => "duplicate_id",
            ProblemKind::TooLarge => "too_large",
            ProblemKind::Unreadable => "unreadable",
        }
    }
}

/// A bad input record: where it is, what is wrong, and (when known) its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The file (`-` for standard input).
    pub path: String,
    /// 1-based line for JSON Lines input; absent for whole-file documents.
    pub line: Option<u64>,
    /// The document id, when it could be read.
    pub id: Option<String>,
    /// The kind of problem.
    pub kind: ProblemKind,
    /// A lower-case message saying what is wrong and, when the user can act, what to do.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.path, l, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// Parses a date to seconds since 1970-01-01 UTC. Accepted: `YYYY-MM-DD`, ISO 8601 date-times
/// (`T` or space, optional fraction, `Z` or `±hh:mm` offset), `DD-MON-YYYY[ hh:mm:ss[.f]]` (as in
/// Reuters-21578), and integer Unix seconds. `None` for anything else.
pub fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'-') && s.len() <= 12 {
        if let Ok(n) = s.parse::<i64>() {
            return Some(n);
        }
    }
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if t.bytes().all(|c| c.is_ascii_digit()) && !t.is_empty() {
            t.parse().ok()
        } else {
            None
        }
    };
    let (y, mo, d, rest) = if b.len() >= 10 && b[4] == b'-' && b[7] == b'-' {
        (num(0..4)?, num(5..7)?, num(8..10)?, &s[10..])
    } else if b.len() >= 11 && b[2] == b'-' && b[6] == b'-' {
        let months = [
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ];
        let m = s.get(3..6)?.to_ascii_uppercase();
        let mo = months.iter().position(|x| *x == m)? as i64 + 1;
        (num(7..11)?, mo, num(0..2)?, &s[11..])
    } else {
        return None;
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let mut secs = days_from_civil(y, mo, d) * 86_400;
    let rest = rest.trim_start_matches(['T', ' ']);
    if rest.len() >= 5 && rest.as_bytes()[2] == b':' {
        let h: i64 = rest.get(0..2)?.parse().ok()?;
        let mi: i64 = rest.get(3..5)?.parse().ok()?;
        let sec: i64 = if rest.len() >= 8 && rest.as_bytes()[5] == b':' {
            rest.get(6..8)?.parse().ok()?
        } else {
            0
        };
        secs += h * 3600 + mi * 60 + sec;
        // Offset: the last `+hh:mm` / `-hh:mm`, if any.
        if let Some(pos) = rest.rfind(['+', '-']) {
            let off = &rest[pos..];
            if off.len() == 6 && off.as_bytes()[3] == b':' {
                let oh: i64 = off.get(1..3)?.parse().ok()?;
                let om: i64 = off.get(4..6)?.parse().ok()?;
                let sign = if off.starts_with('-') { -1 } else { 1 };
                secs -= sign * (oh * 3600 + om * 60);
            }
        }
    }
    Some(secs)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-02"), Some(86_400));
        assert_eq!(
            parse_date("2024-03-01T10:00:00Z"),
            parse_date("2024-03-01 12:00:00+02:00")
        );
        assert_eq!(
            parse_date("26-FEB-1987 15:01:01.79"),
            Some(days_from_civil(1987, 2, 26) * 86_400 + 15 * 3600 + 61)
        );
        assert!(parse_date("2024-03-01") < parse_date("2024-03-02"));
        assert_eq!(parse_date("1700000000"), Some(1_700_000_000));
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date("2024-13-01"), None);
    }
}
