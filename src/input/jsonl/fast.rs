//! The fast path of [`super::parse_record`]: a hand-written scanner for the usual JSON Lines
//! records, string ends found sixteen bytes at a time (SSE2 on x86-64, SWAR elsewhere);
//! serde_json (the parent module) takes every line it does not handle.

use super::{FieldValue, Parsed};
use crate::config::Fields;
use std::borrow::Cow;

/// The fast path of [`super::parse_record`]: a hand-written scanner for the records almost every
/// corpus holds (an object whose fields syndup reads are strings or numbers), which finds
/// the string ends eight bytes at a time instead of going through serde's general machinery.
///
/// It returns `Some` only for a line that is valid JSON and then gives exactly what the
/// serde path gives (`fast_path_equals_serde`); anything it does not handle (an escaped key,
/// a `\u` surrogate, a text field that is not a string, a duplicate field syndup reads,
/// nesting deeper than [`FAST_DEPTH`], malformed JSON) returns `None`, and the serde path
/// decides, with its messages.
pub(super) fn parse_fast<'a>(line: &'a str, fields: &Fields) -> Option<Parsed<'a>> {
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

    /// A short field's value as `raw_field` (the serde path) gives it.
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

#[cfg(test)]
mod tests {
    use super::super::{parse_record, parse_serde};
    use super::*;

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
}
