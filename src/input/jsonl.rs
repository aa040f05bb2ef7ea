//! One JSON Lines record -> the fields syndup uses, in one pass over the line.
//!
//! The text field is read straight into a `Cow<str>` (borrowed from the line when it has no
//! escapes), other fields are skipped without building values, so parsing costs about one
//! scan of the line. A hand-written scanner takes the usual records (string ends found eight
//! bytes at a time, no general parser on the hot path) and hands anything unusual to serde_json,
//! which also words every error. Duplicate keys for a field syndup reads are an error, not a
//! silent choice.

use crate::config::Fields;
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

/// The fast path of [`parse_record`]: a hand-written scanner for the records almost every
/// corpus holds (an object whose fields syndup reads are strings or numbers), which finds
/// the string ends eight bytes at a time instead of going through serde's general machinery.
///
/// It returns `Some` only for a line that is valid JSON and then gives exactly what the
/// serde path gives (`fast_path_equals_serde`); anything it does not handle (an escaped key,
/// a `\u` surrogate, a text field that is not a string, a duplicate field syndup reads,
/// nesting deeper than [`FAST_DEPTH`], malformed JSON) returns `None`, and the serde path
/// decides, with its messages.
fn parse_fast<'a>(line: &'a str, fields: &Fields) -> Option<Parsed<'a>> {
    let mut p = Scanner { s: line, i: 0 };
    let mut out = Parsed::default();
    p.ws();
    p.eat(b'{')?;
    p.ws();
    if p.peek()? == b'}' {
        p.i += 1;
    } else {
        loop {
            let key = p.plain_key()?;
            p.ws();
            p.eat(b':')?;
            p.ws();
            let is_text = key == fields.text;
            let slot = if is_text {
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
                p.skip_value(1)?;
                p.ws();
                match p.next()? {
                    b',' => {
                        p.ws();
                        continue;
                    }
                    b'}' => break,
                    _ => return None,
                }
            };
            if slot.is_some() {
                return None; // serde's "appears twice"
            }
            *slot = Some(if is_text {
                if p.peek()? != b'"' {
                    return None;
                }
                FieldValue::Str(p.string()?)
            } else {
                p.raw_field()?
            });
            p.ws();
            match p.next()? {
                b',' => p.ws(),
                b'}' => break,
                _ => return None,
            }
        }
    }
    p.ws();
    (p.i == line.len()).then_some(out)
}

/// Nesting the fast path follows inside values it skips; deeper goes to serde (whose own
/// limit is 128).
const FAST_DEPTH: usize = 64;

/// A position in a line being scanned.
struct Scanner<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Scanner<'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    #[inline]
    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.i += 1;
        Some(b)
    }

    #[inline]
    fn eat(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    /// Skips JSON whitespace (exactly space, tab, line feed and carriage return).
    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// At `"`: the run up to the next `"` or `\`, and that byte's position. `None` when the
    /// string is unterminated or the run holds a control character (invalid in JSON).
    #[inline]
    fn run(&self, from: usize) -> Option<(usize, u8)> {
        let b = self.s.as_bytes();
        let at = find_special(b, from)?;
        match b[at] {
            stop @ (b'"' | b'\\') => Some((at, stop)),
            _ => None,
        }
    }

    /// At `"`: a key without escapes.
    fn plain_key(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let (end, stop) = self.run(self.i)?;
        if stop != b'"' {
            return None;
        }
        let key = &self.s[self.i..end];
        self.i = end + 1;
        Some(key)
    }

    /// At `"`: a string, borrowed when it has no escapes, unescaped otherwise.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.eat(b'"')?;
        let (end, stop) = self.run(self.i)?;
        if stop == b'"' {
            let s = &self.s[self.i..end];
            self.i = end + 1;
            return Some(Cow::Borrowed(s));
        }
        // Room for the rest of the line (the string is no longer) plus one 16-byte block.
        let mut out = Vec::with_capacity(self.s.len() - self.i + 16);
        out.extend_from_slice(&self.s.as_bytes()[self.i..end]);
        let mut end = end;
        loop {
            // `end` is at a `\`.
            self.i = end + 1;
            let c = self.escape()?;
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            let (next, stop) = self.copy_run(self.i, &mut out)?;
            if stop == b'"' {
                self.i = next + 1;
                // Whole characters were copied, so this never fails.
                return String::from_utf8(out).ok().map(Cow::Owned);
            }
            end = next;
        }
    }

    /// [`Scanner::run`] that also appends the bytes before the stop to `out`: each 16-byte
    /// block is copied whole (a fixed-size copy, no call) and the copy cut back at the stop.
    fn copy_run(&self, from: usize, out: &mut Vec<u8>) -> Option<(usize, u8)> {
        let b = self.s.as_bytes();
        let mut i = from;
        let at = loop {
            let Some(block) = b.get(i..i + 16) else {
                let at = find_special_swar(b, i)?;
                out.extend_from_slice(&b[i..at]);
                break at;
            };
            let block: &[u8; 16] = block.try_into().ok()?;
            let len = out.len();
            out.extend_from_slice(block);
            let hits = special_mask(block);
            if hits != 0 {
                let k = hits.trailing_zeros() as usize;
                out.truncate(len + k);
                break i + k;
            }
            i += 16;
        };
        match b[at] {
            stop @ (b'"' | b'\\') => Some((at, stop)),
            _ => None,
        }
    }

    /// After a `\`: the escaped character. `None` for a surrogate `\u` (serde pairs them or
    /// reports them) and for invalid escapes.
    fn escape(&mut self) -> Option<char> {
        Some(match self.next()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => char::from_u32(self.hex4()?)?,
            _ => return None,
        })
    }

    /// Four hex digits.
    fn hex4(&mut self) -> Option<u32> {
        let digits = self.s.as_bytes().get(self.i..self.i + 4)?;
        let mut v = 0;
        for &d in digits {
            v = v * 16 + (d as char).to_digit(16)?;
        }
        self.i += 4;
        Some(v)
    }

    /// At `"`: skips a string, checking its escapes as serde does when it ignores a value
    /// (any four hex digits after `\u`).
    fn skip_string(&mut self) -> Option<()> {
        self.eat(b'"')?;
        loop {
            let (at, stop) = self.run(self.i)?;
            self.i = at + 1;
            if stop == b'"' {
                return Some(());
            }
            match self.next()? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                b'u' => {
                    self.hex4()?;
                }
                _ => return None,
            }
        }
    }

    /// Skips a number, checking JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)?
    /// ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Option<()> {
        let b = self.s.as_bytes();
        let digits = |i: &mut usize| {
            let from = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > from
        };
        let mut i = self.i;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i)? {
            b'0' => {
                i += 1;
                if b.get(i).is_some_and(u8::is_ascii_digit) {
                    return None;
                }
            }
            b'1'..=b'9' => {
                digits(&mut i);
            }
            _ => return None,
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !digits(&mut i) {
                return None;
            }
        }
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            if !digits(&mut i) {
                return None;
            }
        }
        self.i = i;
        Some(())
    }

    /// Skips `word` (`true`, `false`, `null`).
    fn literal(&mut self, word: &str) -> Option<()> {
        self.s[self.i..]
            .starts_with(word)
            .then(|| self.i += word.len())
    }

    /// Skips any value at nesting `depth`.
    fn skip_value(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'"' => self.skip_string(),
            b'-' | b'0'..=b'9' => self.number(),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            open @ (b'[' | b'{') => {
                if depth >= FAST_DEPTH {
                    return None;
                }
                let close = if open == b'[' { b']' } else { b'}' };
                self.i += 1;
                self.ws();
                if self.peek()? == close {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    if open == b'{' {
                        if self.peek()? != b'"' {
                            return None;
                        }
                        self.skip_string()?;
                        self.ws();
                        self.eat(b':')?;
                        self.ws();
                    }
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.next()? {
                        b',' => self.ws(),
                        c if c == close => return Some(()),
                        _ => return None,
                    }
                }
            }
            _ => None,
        }
    }

    /// A short field's value as [`raw_field`] gives it.
    fn raw_field(&mut self) -> Option<FieldValue<'a>> {
        let start = self.i;
        Some(match self.peek()? {
            b'"' => FieldValue::Str(self.string()?),
            b'-' | b'0'..=b'9' => {
                self.number()?;
                FieldValue::Number(self.s[start..self.i].to_string())
            }
            b't' => {
                self.literal("true")?;
                FieldValue::Other("boolean")
            }
            b'f' => {
                self.literal("false")?;
                FieldValue::Other("boolean")
            }
            b'n' => {
                self.literal("null")?;
                FieldValue::Other("null")
            }
            b'[' => {
                self.skip_value(1)?;
                FieldValue::Other("array")
            }
            b'{' => {
                self.skip_value(1)?;
                FieldValue::Other("object")
            }
            _ => return None,
        })
    }
}

/// The first byte of `b` at or after `from` that is `"`, `\` or a control character (below
/// 0x20, which JSON strings must escape): sixteen bytes at a time ([`special_mask`]), the
/// rest with [`find_special_swar`].
#[inline]
fn find_special(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(block) = b.get(i..i + 16) {
        let hits = special_mask(block.try_into().ok()?);
        if hits != 0 {
            return Some(i + hits.trailing_zeros() as usize);
        }
        i += 16;
    }
    find_special_swar(b, i)
}

/// Bit `i` set when byte `i` of `block` is `"`, `\` or below 0x20: SSE2, part of every
/// x86-64 processor.
#[cfg(target_arch = "x86_64")]
#[inline]
fn special_mask(block: &[u8; 16]) -> u32 {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is enabled on every x86-64 target (part of the architecture's baseline),
    // and `block` is 16 readable bytes (`loadu` has no alignment requirement).
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast());
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        // Unsigned v <= 0x1f  <=>  max(v, 0x1f) == 0x1f.
        let low = _mm_set1_epi8(0x1f);
        let control = _mm_cmpeq_epi8(_mm_max_epu8(v, low), low);
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)) as u32
    }
}

/// [`special_mask`], portable.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn special_mask(block: &[u8; 16]) -> u32 {
    let mut m = 0;
    for (i, &c) in block.iter().enumerate() {
        m |= ((c == b'"' || c == b'\\' || c < 0x20) as u32) << i;
    }
    m
}

/// [`find_special`] eight bytes at a time (SWAR), portable. Each of the three tests is the
/// classic "has a zero byte" subtraction; its borrow can only mark bytes above a byte that
/// truly matched, so the lowest marked byte is always a true match.
#[inline]
fn find_special_swar(b: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = from;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        let x = u64::from_le_bytes(bytes);
        let quote = x ^ (ONES * b'"' as u64);
        let backslash = x ^ (ONES * b'\\' as u64);
        let hits = ((quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (x.wrapping_sub(ONES * 0x20) & !x))
            & HIGH;
        if hits != 0 {
            return Some(i + hits.trailing_zeros() as usize / 8);
        }
        i += 8;
    }
    b[i..]
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|p| i + p)
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

    /// The eight-bytes-at-a-time search finds what a byte loop finds, at every offset.
    #[test]
    fn find_special_equals_a_byte_loop() {
        let mut state = 3u64;
        for round in 0..3000 {
            let len = round % 50;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state = crate::minhash::mix64(state);
                    // Mostly plain bytes, some specials and high bytes.
                    match state % 16 {
                        0 => b'"',
                        1 => b'\\',
                        2 => (state >> 8) as u8 % 0x20,
                        3 => 0x80 | (state >> 8) as u8,
                        4 => 0x20,
                        _ => b'a' + (state >> 8) as u8 % 26,
                    }
                })
                .collect();
            for from in 0..=len {
                let want = bytes[from..]
                    .iter()
                    .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                    .map(|p| from + p);
                assert_eq!(find_special(&bytes, from), want, "{bytes:?} from {from}");
                assert_eq!(
                    find_special_swar(&bytes, from),
                    want,
                    "{bytes:?} from {from}"
                );
            }
        }
    }

    /// Long strings with escapes at every offset around the 16-byte blocks of the copy.
    #[test]
    fn escaped_strings_across_blocks_equal_serde() {
        let f = Fields::default();
        for pad in 0..40 {
            for tail in ["", "x", "0123456789abcdef", "é漢字"] {
                let text = format!(
                    "{}\\n{}\\\"q\\\" \\u00e9\\t{}{}",
                    "a".repeat(pad),
                    "b".repeat(pad % 17),
                    "c".repeat(33 - pad % 33),
                    tail
                );
                let line = format!(r#"{{"id":"k{pad}","text":"{text}","date":"d"}}"#);
                let fast = parse_fast(&line, &f);
                assert!(fast.is_some(), "{line}");
                assert_eq!(fast, parse_serde(&line, &f).ok(), "{line}");
            }
        }
        // A control character after an escape, in a later block: left to serde's error.
        let line = format!("{{\"id\":\"a\",\"text\":\"x\\n{}\u{1}\"}}", "y".repeat(40));
        assert!(parse_fast(&line, &f).is_none());
        assert!(parse_record(&line, &f).is_err());
    }

    /// The usual record shapes take the fast path (so the benchmarks measure it).
    #[test]
    fn usual_records_take_the_fast_path() {
        let f = Fields::default();
        for line in [
            r#"{"id": "doc-1", "text": "plain text", "date": "2024-01-02"}"#,
            r#"{"id":7,"text":"line\nbreak \u00e9 \"q\"","meta":{"a":[1,2.5e-3,true,null]}}"#,
            r#"  {"title": "T", "text": "x", "id": -0.5, "group": "g"}  "#,
            r#"{"text":"\/\b\f\r\t\\"}"#,
            "{}",
        ] {
            let fast = parse_fast(line, &f);
            assert!(fast.is_some(), "{line}");
            assert_eq!(fast, parse_serde(line, &f).ok(), "{line}");
        }
        // Left to serde: a surrogate pair, an escaped key, a text that is not a string.
        for line in [
            r#"{"id":"a","text":"\ud83d\ude00"}"#,
            r#"{"i\u0064":"a","text":"x"}"#,
            r#"{"id":"a","text":5}"#,
        ] {
            assert!(parse_fast(line, &f).is_none(), "{line}");
            assert!(parse_record(line, &f).is_ok(), "{line}");
        }
    }

    /// Values with escapes, numbers and nesting (valid and not) for the property test below.
    fn value() -> impl proptest::strategy::Strategy<Value = &'static str> {
        proptest::sample::select(vec![
            r#""plain""#,
            r#""a\nb\"c\u00e9\/""#,
            r#""\ud83d\ude00""#,
            r#""\ud800""#,
            r#""\x""#,
            r#""\u12g4""#,
            "\"ctl\u{1}\"",
            "\"del\u{7f}é\"",
            "0",
            "-0",
            "01",
            "-",
            "1.",
            "1.5e+7",
            "2E-3",
            "1e",
            "18446744073709551617",
            "true",
            "tru",
            "null",
            "nulls",
            "[]",
            "[1,[2,{}]]",
            "[1,]",
            r#"{"a":[{"b":"\u0041"}]}"#,
            r#"{"a":}"#,
            r#"{"a" 1}"#,
            "{}",
        ])
    }

    proptest::proptest! {
        /// Members glued with whitespace and an occasional wrong byte: when the fast path
        /// answers, serde accepts the line and gives the same fields.
        #[test]
        fn fast_path_equals_serde(
            members in proptest::collection::vec(
                (
                    proptest::sample::select(vec!["id", "text", "date", "title", "group", "x", r"te\u0078t"]),
                    value(),
                    proptest::sample::select(vec!["", " ", "\t", "\n ", "x"]),
                ),
                0..5,
            ),
            trailer in proptest::sample::select(vec!["", " ", "\r\n", ",", "}", "x"]),
        ) {
            let f = Fields::default();
            let body: Vec<String> = members
                .iter()
                .map(|(k, v, ws)| format!("{ws}\"{k}\"{ws}:{ws}{v}{ws}"))
                .collect();
            let line = format!("{{{}}}{trailer}", body.join(","));
            if let Some(fast) = parse_fast(&line, &f) {
                proptest::prop_assert_eq!(Some(fast), parse_serde(&line, &f).ok(), "{}", line);
            }
        }
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
