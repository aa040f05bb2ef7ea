//! One JSON Lines record -> the fields syndup uses, in one pass over the line.
//!
//! The text field is read straight into a `Cow<str>` (borrowed from the line when it has no
//! escapes), other fields are skipped without building values, so parsing costs about one
//! scan of the line. A hand-written scanner takes the usual records (string ends found eight
//! bytes at a time, no general parser on the hot path) and hands anything unusual to serde_json,
//! which also words every error. Duplicate keys for a field syndup reads are an error, not a
//! silent choice.

mod fast;

use crate::config::Fields;
use fast::parse_fast;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// A field's value as syndup sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue<'a> {
    /// A JSON string.
    Str(Cow<'a, str>),
    /// A JSON number, as written.
    Number(String),
    /// Anything else; the JSON type's name.
    Other(&'static str),
}

impl FieldValue<'_> {
    /// The value as a string when it is a string or a number.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            FieldValue::Str(s) => Some(s),
            FieldValue::Number(n) => Some(n),
            FieldValue::Other(_) => None,
        }
    }
}

/// The fields of one record that syndup reads.
#[derive(Debug, Default, PartialEq)]
pub struct Parsed<'a> {
    /// The id field.
    pub id: Option<FieldValue<'a>>,
    /// The text field.
    pub text: Option<FieldValue<'a>>,
    /// The date field.
    pub date: Option<FieldValue<'a>>,
    /// The title field.
    pub title: Option<FieldValue<'a>>,
    /// The group field.
    pub group: Option<FieldValue<'a>>,
}

/// Parses one line (valid UTF-8) as a JSON object and extracts the configured fields.
/// The error is a lower-case message for a `malformed_json` problem.
pub fn parse_record<'a>(line: &'a str, fields: &Fields) -> Result<Parsed<'a>, String> {
    match parse_fast(line, fields) {
        Some(parsed) => Ok(parsed),
        None => parse_serde(line, fields),
    }
}

/// [`parse_record`] through serde_json: every line the fast path does not take.
fn parse_serde<'a>(line: &'a str, fields: &Fields) -> Result<Parsed<'a>, String> {
    let mut de = serde_json::Deserializer::from_str(line);
    let parsed = RecordSeed(fields)
        .deserialize(&mut de)
        .map_err(|e| lower_first(&e.to_string()))?;
    de.end().map_err(|e| lower_first(&e.to_string()))?;
    Ok(parsed)
}

/// Why a record cannot be used: the problem kind, the record's id when it was read, and a
/// lower-case message naming the flag to change.
pub type RecordError = (crate::ProblemKind, Option<String>, String);

/// The fields of a usable JSON Lines record.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordFields<'a> {
    /// The id: the id field (string or number), or `path:line` when the id field name is empty.
    pub id: String,
    /// The text field (borrowed from the line when it has no escapes).
    pub text: Cow<'a, str>,
    /// The date field as given, if a string or number.
    pub date: Option<String>,
    /// The title field as given, if a string or number.
    pub title: Option<String>,
    /// The group field as given, if a string or number.
    pub group: Option<String>,
}

/// Decodes one record's bytes, or says where the UTF-8 breaks.
pub fn decode(bytes: &[u8]) -> Result<&str, RecordError> {
    std::str::from_utf8(bytes).map_err(|e| {
        (
            crate::ProblemKind::InvalidUtf8,
            None,
            format!("invalid UTF-8 at byte {} of the record", e.valid_up_to()),
        )
    })
}

/// Windows-1252 for the bytes 0x80..=0x9F (the rest of the high half is Latin-1); the five
/// bytes Windows-1252 leaves undefined map to the C1 control of the same value, as WHATWG's
/// encoding standard does.
const CP1252_HIGH: [char; 32] = [
    '\u{20ac}', '\u{81}', '\u{201a}', '\u{192}', '\u{201e}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{2c6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8d}', '\u{17d}', '\u{8f}',
    '\u{90}', '\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{2dc}', '\u{2122}', '\u{161}', '\u{203a}', '\u{153}', '\u{9d}', '\u{17e}', '\u{178}',
];

/// Decodes bytes that are not valid UTF-8: valid UTF-8 runs stay as they are, and every byte
/// of an invalid sequence is read as Windows-1252 (the usual encoding of older Western
/// European text files). Never fails; the result is what byte offsets in reports index.
pub fn decode_windows_1252_fallback(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 8);
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                // `good` is valid UTF-8: it ends at `valid_up_to`.
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                let n = e.error_len().unwrap_or(bad.len()).max(1);
                for &b in &bad[..n] {
                    out.push(match b {
                        0x80..=0x9f => CP1252_HIGH[(b - 0x80) as usize],
                        _ => b as char,
                    });
                }
                rest = &bad[n..];
            }
        }
    }
}

/// Reads one JSON Lines record (`line` of `path`, 1-based `line_no`) into the fields scan and
/// filter use, with the same checks and messages for both: malformed JSON, a missing or
/// non-string id (numbers are accepted) or text field.
pub fn record_fields<'a>(
    line: &'a str,
    fields: &Fields,
    path: &str,
    line_no: Option<u64>,
) -> Result<RecordFields<'a>, RecordError> {
    use crate::ProblemKind;
    let rec = parse_record(line, fields).map_err(|m| (ProblemKind::MalformedJson, None, m))?;
    let id = if fields.id.is_empty() {
        format!("{path}:{}", line_no.unwrap_or(0))
    } else {
        match &rec.id {
            Some(v) => match v.as_text() {
                Some(s) => s.to_string(),
                None => {
                    return Err((
                        ProblemKind::NotAString,
                        None,
                        format!("id field `{}` is {}, not a string or number", fields.id, article(v)),
                    ))
                }
            },
            None => {
                return Err((
                    ProblemKind::MissingField,
                    None,
                    format!(
                        "missing id field `{}` (name it with --id-field, or pass --id-field '' to use path:line as the id)",
                        fields.id
                    ),
                ))
            }
        }
    };
    let date = rec
        .date
        .as_ref()
        .and_then(|v| v.as_text())
        .map(str::to_string);
    let title = rec
        .title
        .as_ref()
        .and_then(|v| v.as_text())
        .map(str::to_string);
    let group = rec
        .group
        .as_ref()
        .and_then(|v| v.as_text())
        .map(str::to_string);
    let text = match rec.text {
        Some(FieldValue::Str(s)) => s,
        Some(v) => {
            let msg = format!(
                "text field `{}` is {}, not a string",
                fields.text,
                article(&v)
            );
            return Err((ProblemKind::NotAString, Some(id), msg));
        }
        None => {
            let msg = format!(
                "missing text field `{}` (name it with --text-field)",
                fields.text
            );
            return Err((ProblemKind::MissingField, Some(id), msg));
        }
    };
    Ok(RecordFields {
        id,
        text,
        date,
        title,
        group,
    })
}

/// "a number", "an object", ...: the kind of a value, for messages.
fn article(v: &FieldValue) -> String {
    match v {
        FieldValue::Other(t) if t.starts_with(['a', 'o']) => format!("an {t}"),
        FieldValue::Other(t) => format!("a {t}"),
        FieldValue::Number(_) => "a number".into(),
        FieldValue::Str(_) => "a string".into(),
    }
}

/// A message from a library or the OS as part of a lower-case syndup message: its first
/// letter lowered, unless it starts an upper-case abbreviation ("UTF-8" stays as it is), and
/// serde_json's "EOF" spelled out (it meant the end of the record, not of the file).
pub(crate) fn lower_first(s: &str) -> String {
    if let Some(rest) = s.strip_prefix("EOF") {
        return format!("unexpected end of the record{rest}");
    }
    let mut c = s.chars();
    match (c.next(), c.next()) {
        (Some(_), Some(second)) if second.is_uppercase() => s.to_string(),
        (Some(first), _) => first
            .to_lowercase()
            .chain(s[first.len_utf8()..].chars())
            .collect(),
        (None, _) => String::new(),
    }
}

struct RecordSeed<'f>(&'f Fields);

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = Parsed<'de>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Parsed<'de>, D::Error> {
        d.deserialize_map(RecordVisitor(self.0))
    }
}

struct RecordVisitor<'f>(&'f Fields);

impl<'de> Visitor<'de> for RecordVisitor<'_> {
    type Value = Parsed<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parsed<'de>, A::Error> {
        let fields = self.0;
        let mut out = Parsed::default();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let key: &str = &key.0;
            let slot = if key == fields.text {
                &mut out.text
            } else if key == fields.id {
                &mut out.id
            } else if fields.date.as_deref() == Some(key) {
                &mut out.date
            } else if fields.title.as_deref() == Some(key) {
                &mut out.title
            } else if fields.group.as_deref() == Some(key) {
                &mut out.group
            } else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if slot.is_some() {
                return Err(de::Error::custom(format!("field `{key}` appears twice")));
            }
            *slot = Some(if key == fields.text {
                map.next_value::<FieldValue<'de>>()?
            } else {
                // Short fields are taken as written: a number keeps its exact decimal text
                // (two ids above 2^64 that differ in the last digit stay two ids, where
                // going through f64 would make them one).
                raw_field(map.next_value::<&'de serde_json::value::RawValue>()?)?
            });
        }
        Ok(out)
    }
}

/// A field's value from its raw JSON text: strings unescaped (borrowed when they need no
/// unescaping), numbers as written, anything else by its type's name.
fn raw_field<'de, E: de::Error>(
    raw: &'de serde_json::value::RawValue,
) -> Result<FieldValue<'de>, E> {
    let text = raw.get();
    Ok(match text.as_bytes().first() {
        Some(b'"') => serde_json::from_str::<FieldValue<'de>>(text).map_err(E::custom)?,
        Some(b'-' | b'0'..=b'9') => FieldValue::Number(text.to_string()),
        Some(b't' | b'f') => FieldValue::Other("boolean"),
        Some(b'n') => FieldValue::Other("null"),
        Some(b'[') => FieldValue::Other("array"),
        _ => FieldValue::Other("object"),
    })
}

struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> de::Deserialize<'de> for FieldValue<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FieldValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(FieldValue::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(FieldValue::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(FieldValue::Str(Cow::Owned(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(FieldValue::Number(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(FieldValue::Number(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(FieldValue::Number(v.to_string()))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(FieldValue::Other("boolean"))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(FieldValue::Other("null"))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(FieldValue::Other("array"))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(FieldValue::Other("object"))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn windows_1252_fallback_keeps_utf8_and_maps_the_rest() {
        use super::decode_windows_1252_fallback as d;
        assert_eq!(d(b"plain"), "plain");
        // "café" in Latin-1, curly quotes and a euro sign in Windows-1252, then real UTF-8.
        assert_eq!(
            d(b"caf\xe9 \x93q\x94 \x80 na\xc3\xafve"),
            "café “q” € naïve"
        );
        // A truncated UTF-8 sequence at the end is read byte by byte.
        assert_eq!(d(b"x\xc3"), "xÃ");
    }

    use super::*;

    #[test]
    fn extracts_fields_and_borrows_plain_text() {
        let f = Fields {
            date: Some("date".into()),
            ..Fields::default()
        };
        let p = parse_record(
            r#"{"id": 7, "meta": {"x": [1, 2]}, "text": "plain", "date": "2024-01-02"}"#,
            &f,
        )
        .unwrap();
        assert_eq!(p.id, Some(FieldValue::Number("7".into())));
        assert!(matches!(
            p.text,
            Some(FieldValue::Str(Cow::Borrowed("plain")))
        ));
        assert_eq!(p.date.unwrap().as_text(), Some("2024-01-02"));
        assert_eq!(p.title, None);
    }

    #[test]
    fn escapes_non_strings_and_errors() {
        let f = Fields::default();
        let p = parse_record(r#"{"id":"a","text":"line\nbreak \u00e9"}"#, &f).unwrap();
        assert_eq!(p.text.unwrap().as_text(), Some("line\nbreak é"));
        let p = parse_record(r#"{"id":"a","text":["no"]}"#, &f).unwrap();
        assert_eq!(p.text, Some(FieldValue::Other("array")));
        assert!(parse_record(r#"{"id":"a","text":"x""#, &f).is_err());
        assert!(parse_record(r#"[1,2]"#, &f).is_err());
        assert!(parse_record(r#"{"text":"a","text":"b"}"#, &f)
            .unwrap_err()
            .contains("appears twice"));
        assert!(parse_record(r#"{"text":"a"} trailing"#, &f).is_err());
    }

    /// Regression (issue 17, fault 5): numeric ids above 2^64 went through f64 and collided.
    #[test]
    fn numeric_ids_keep_their_exact_decimal_text() {
        let f = Fields {
            date: Some("date".into()),
            ..Fields::default()
        };
        fn id<'a>(line: &'a str) -> FieldValue<'a> {
            let f = Fields::default();
            parse_record(line, &f).unwrap().id.unwrap()
        }
        assert_eq!(
            id(r#"{"id": 18446744073709551617, "text": "x"}"#),
            FieldValue::Number("18446744073709551617".into())
        );
        assert_ne!(
            id(r#"{"id":18446744073709551616,"text":"x"}"#),
            id(r#"{"id":18446744073709551617,"text":"x"}"#)
        );
        assert_eq!(
            id(r#"{"id":-1.50e3 ,"text":"x"}"#),
            FieldValue::Number("-1.50e3".into())
        );
        assert_eq!(id(r#"{"id":"a\"b","text":"x"}"#).as_text(), Some("a\"b"));
        assert!(matches!(
            id(r#"{"id":"plain","text":"x"}"#),
            FieldValue::Str(Cow::Borrowed("plain"))
        ));
        assert_eq!(id(r#"{"id":[1],"text":"x"}"#), FieldValue::Other("array"));
        assert_eq!(
            id(r#"{"id":{"a":1},"text":"x"}"#),
            FieldValue::Other("object")
        );
        assert_eq!(id(r#"{"id":null,"text":"x"}"#), FieldValue::Other("null"));
        assert_eq!(
            id(r#"{"id":true,"text":"x"}"#),
            FieldValue::Other("boolean")
        );
        let p = parse_record(r#"{"id":1,"text":"x","date":20240102}"#, &f).unwrap();
        assert_eq!(p.date.unwrap().as_text(), Some("20240102"));
        assert!(parse_record(r#"{"id":01,"text":"x"}"#, &f).is_err());
    }

    /// Regression (issue 17, fault 12): serde_json's "EOF while parsing" became "eOF".
    #[test]
    fn error_messages_never_start_with_a_mangled_capital() {
        let f = Fields::default();
        let e = parse_record(r#"{"id":"a","text":"no end"#, &f).unwrap_err();
        assert!(
            e.starts_with("unexpected end of the record while parsing"),
            "{e}"
        );
        assert_eq!(lower_first("Expected value"), "expected value");
        assert_eq!(lower_first("UTF-8 error"), "UTF-8 error");
        assert_eq!(lower_first("É"), "é");
        assert_eq!(lower_first(""), "");
    }
}
