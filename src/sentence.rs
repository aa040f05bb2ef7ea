//! Sentences: a document's text -> the byte spans of its sentences.
//!
//! Input: a document's original text. Output: [`Span`]s, byte offsets into that text (end
//! exclusive, on char boundaries, trimmed of surrounding whitespace), in text order, one per
//! sentence or line. The repeat stage ([`crate::repeat`]) hashes and compares what lies inside
//! them; the report quotes `text[start..end]`.
//!
//! The base is the Unicode default sentence boundaries (UAX #29, via `unicode-segmentation`),
//! with three changes news text needs:
//! 1. **Lines.** UAX #29 ends a sentence at every line break, which suits headlines, captions,
//!    bylines and `Related News:` lines but cuts hard-wrapped paragraphs (wire copy and e-mail
//!    wrapped at ~70 columns) into fragments. A line break is read as a space (a *soft wrap*)
//!    when the block of lines around it looks wrapped (its longest line has
//!    [`WRAP_MIN`]..=[`WRAP_MAX`] characters), the line before the break does not end with
//!    `:`, and either the next line starts with a lower-case letter or a digit, or the line
//!    before ends with a comma, semicolon or dash, or the line
//!    before is at least 60% of the block's width and does not follow a short line that ended
//!    a paragraph. Blank lines and indented lines always start a new paragraph, so a list of
//!    headlines stays a list while wire copy whose first line lost its dateline is joined.
//! 2. **Abbreviations.** A split after a title (`Mr.`, `Dr.`, `Lt.`, `Gen.`, `Gov.`, `St.`,
//!    ...) is undone; after a month (`Feb.`, `Aug.`, `Sept.`, ...) or `No.` when a digit
//!    follows; after a single capital initial (`George W. Bush`), an initialism (`U.S.`,
//!    `p.m.`) or a company suffix (`Co.`, `Inc.`, `Corp.`, `Ltd.`) unless the next word is one
//!    that usually starts a sentence (`The`, `It`, `But`, ...): "the U.S. Agriculture
//!    Department" and "Walgreen Co. (WAG) said" stay whole, "sold to the U.S. The deal" splits.
//! 3. Pieces without a letter or digit are dropped, and spans are trimmed.
//!
//! Speed: `unicode-segmentation` walks every character through a table search (about
//! 40 MB/s). Breaks can only follow a terminator (`.`, `!`, `?` and their Unicode kin) or a
//! paragraph separator, and rules never look across a line break, so lines made only of ASCII
//! take a fast path that jumps from terminator to terminator and applies rules SB6-SB11
//! locally; other lines go to the library. A property test checks the two agree on every
//! input. Line ends, terminators and non-ASCII bytes are found once per text, by one SSE2
//! pass that writes a bit per byte (`Marks`): news lines are short, and a `memchr` call per
//! line and per terminator cost more than the text's one pass and a bit scan per step.

use unicode_segmentation::UnicodeSegmentation;

mod lines;
mod marks;
pub use lines::{bare_line, line_kind, next_line, LineKind, LineTracker, TABLE_LINES};
use lines::{list_kind, trim_indent};
use marks::{next_in, Marks};

/// A sentence's place in the original text: byte offsets, `start..end`, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Byte offset of the sentence's first byte.
    pub start: usize,
    /// Byte offset just past its last byte.
    pub end: usize,
}

/// Shortest line (in characters) of a block for its line breaks to count as soft wraps.
pub const WRAP_MIN: usize = 50;
/// Longest line (in characters) of a block for its line breaks to count as soft wraps.
pub const WRAP_MAX: usize = 120;

/// Cuts text into sentences; holds reusable buffers, so keep one per thread.
#[derive(Debug, Default, Clone)]
pub struct Segmenter {
    scratch: Vec<u8>,
    breaks: Vec<usize>,
    lines: Vec<Line>,
    marks: Marks,
}

/// A line of the text: `start..end` without its line terminator, `next` past it; `body` is
/// where it ends without trailing whitespace, `chars` its characters up to there.
#[derive(Debug, Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
    next: usize,
    body: usize,
    chars: usize,
}

impl Segmenter {
    /// A segmenter with empty buffers.
    pub fn new() -> Segmenter {
        Segmenter::default()
    }

    /// The line feeds of the text last given to [`Segmenter::sentences_into`]: bit `i % 64`
    /// of word `i / 64` is set when byte `i` is `\n`.
    pub(crate) fn line_feeds(&self) -> &[u64] {
        &self.marks.lf
    }

    /// False when no line of `text` (the text last given to [`Segmenter::sentences_into`])
    /// can be structure, so [`LineTracker`] would call every span prose: the text holds no
    /// `|` or tab, and no line is a list item ([`list_kind`] after its indentation, which is
    /// tried only when the line's first byte after its spaces is one a marker can start with:
    /// `-`, `*`, `+`, a digit, or a non-ASCII byte). One byte test per line instead of the
    /// tracker's work per sentence; when it is true the tracker decides.
    pub(crate) fn may_have_structure(&self, text: &str) -> bool {
        let b = text.as_bytes();
        if memchr::memchr2(b'|', b'\t', b).is_some() {
            return true;
        }
        // A line whose first byte after its spaces cannot start a list marker is prose; the
        // others (`12.5 pct` on a wrapped line, say) take the tracker's own test.
        let may_list = |line: usize| {
            let mut i = line;
            while i < b.len() && b[i] == b' ' {
                i += 1;
            }
            i < b.len()
                && matches!(b[i], b'-' | b'*' | b'+' | b'0'..=b'9' | 0x80..)
                && list_kind(trim_indent(&text[line..])) == LineKind::ListItem
        };
        if may_list(0) {
            return true;
        }
        for (w, &word) in self.marks.lf.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let line = w * 64 + bits.trailing_zeros() as usize + 1;
                bits &= bits - 1;
                // Most lines start with a letter: one test.
                match b.get(line) {
                    Some(&c) if c > b'9' && c < 0x80 => {}
                    _ => {
                        if may_list(line) {
                            return true;
                        }
                    }
                }
            }
        }
        false
    }

    /// Appends the spans of `text`'s sentences to `out`, in order.
    pub fn sentences_into(&mut self, text: &str, out: &mut Vec<Span>) {
        let Segmenter {
            scratch,
            breaks,
            lines,
            marks,
        } = self;
        marks.build(text.as_bytes());
        // Soft wraps become spaces in a copy of the text: both are one byte, so offsets into
        // the copy are offsets into the original (and `marks` loses their line ends).
        let t: &str = if unwrap(text, marks, lines, scratch) {
            // SAFETY: `scratch` is a copy of `text` (UTF-8) in which only ASCII line
            // terminators were replaced by ASCII spaces, so it is UTF-8 too.
            unsafe { std::str::from_utf8_unchecked(scratch) }
        } else {
            text
        };
        breaks.clear();
        uax29_with(t, marks, breaks);
        let bytes = t.as_bytes();
        let mut start = None::<usize>;
        for w in breaks.windows(2) {
            let (a, b) = (w[0], w[1]);
            let s = start.unwrap_or(a);
            if b < bytes.len() && joins_next(t, s, b) {
                start = Some(s);
                continue;
            }
            start = None;
            push_trimmed(text, s, b, out);
        }
    }
}

/// Trims `text[start..end]` and pushes it when it holds a letter or digit.
fn push_trimmed(text: &str, start: usize, end: usize, out: &mut Vec<Span>) {
    let b = text.as_bytes();
    let (mut s, mut e) = (start, end);
    // ASCII whitespace is skipped on bytes; the `str` trims below see what remains.
    while s < e && is_ascii_white_space(b[s]) {
        s += 1;
    }
    while e > s && is_ascii_white_space(b[e - 1]) {
        e -= 1;
    }
    if s < e && b[s] < 0x80 && b[e - 1] < 0x80 {
        // Both ends are ASCII and not whitespace: trimmed already.
        let piece = &b[s..e];
        if piece.iter().any(u8::is_ascii_alphanumeric)
            || (piece.iter().any(|&c| c >= 0x80) && text[s..e].chars().any(char::is_alphanumeric))
        {
            out.push(Span { start: s, end: e });
        }
        return;
    }
    let (start, end) = (s, e);
    let piece = &text[start..end];
    let trimmed = piece.trim_start();
    let s = start + (piece.len() - trimmed.len());
    let trimmed = trimmed.trim_end();
    let e = s + trimmed.len();
    if trimmed
        .bytes()
        .any(|b| b.is_ascii_alphanumeric() || b >= 0x80)
        && trimmed.chars().any(char::is_alphanumeric)
    {
        out.push(Span { start: s, end: e });
    }
}

/// Titles before a name: a split after them is always undone. The lists are matched by
/// [`abbreviation`]; they are kept here, as its test, in the form that is easy to read.
#[cfg(test)]
const TITLES: &[&str] = &[
    "adm", "brig", "capt", "cmdr", "col", "cpl", "det", "dr", "ft", "gen", "gov", "hon", "insp",
    "jr", "lt", "maj", "messrs", "mme", "mr", "mrs", "ms", "mt", "pres", "prof", "pvt", "rep",
    "rev", "sen", "sgt", "sr", "st", "supt",
];
/// Abbreviations undone only before a digit ("Feb. 26", "No. 3").
#[cfg(test)]
const BEFORE_DIGIT: &[&str] = &[
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "no",
    "nos", "vol", "art", "fig", "p", "pp",
];
/// Company suffixes ("Walgreen Co. (WAG)", "Acme Inc. shares"): undone like initialisms.
#[cfg(test)]
const COMPANY: &[&str] = &["co", "corp", "inc", "ltd", "bros", "plc"];
/// Words that usually begin a sentence: a split after an initialism before them stays.
const STARTERS: &[&str] = &[
    "A",
    "After",
    "Also",
    "An",
    "And",
    "As",
    "At",
    "But",
    "By",
    "For",
    "He",
    "Her",
    "His",
    "However",
    "I",
    "If",
    "In",
    "It",
    "Its",
    "Meanwhile",
    "On",
    "Our",
    "She",
    "So",
    "That",
    "The",
    "Their",
    "There",
    "These",
    "They",
    "This",
    "Those",
    "To",
    "We",
    "What",
    "When",
    "While",
    "With",
    "You",
];

/// True when the split at `b` (after the piece starting at `s`) is after an abbreviation and
/// should be undone.
fn joins_next(t: &str, s: usize, b: usize) -> bool {
    // The usual splits, decided on bytes: after a line break, and after a piece whose last
    // character (ASCII) is not a full stop. The rest takes the general test below.
    let bytes = t.as_bytes();
    let mut e = b;
    while e > s && is_ascii_white_space(bytes[e - 1]) {
        if matches!(bytes[e - 1], b'\n' | b'\r') {
            return false;
        }
        e -= 1;
    }
    if e > s && bytes[e - 1] < 0x80 && bytes[e - 1] != b'.' {
        return false;
    }
    joins_next_general(t, s, b)
}

/// [`joins_next`] on characters (the reference its byte tests must agree with).
fn joins_next_general(t: &str, s: usize, b: usize) -> bool {
    let piece = &t[s..b];
    let body = piece.trim_end();
    // A split at a hard line break stays.
    if piece[body.len()..].contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']) {
        return false;
    }
    let Some(body) = body.strip_suffix('.') else {
        return false;
    };
    // The abbreviation: the run of ASCII letters and dots before the final dot.
    let k = body
        .bytes()
        .rev()
        .take_while(|c| c.is_ascii_alphabetic() || *c == b'.')
        .count();
    let word = &body[body.len() - k..];
    if word.is_empty() || word.starts_with('.') {
        return false;
    }
    // The abbreviation must be a word of its own, not the tail of "6.5.".
    if let Some(c) = body[..body.len() - k].chars().next_back() {
        if c.is_alphanumeric() {
            return false;
        }
    }
    let kind = abbreviation(word);
    if kind == Some(Abbrev::Title) {
        return true;
    }
    let next = t[b..].trim_start();
    if kind == Some(Abbrev::BeforeDigit) {
        return next.starts_with(|c: char| c.is_ascii_digit());
    }
    let initial = (word.len() == 1 && word.as_bytes()[0].is_ascii_uppercase())
        || kind == Some(Abbrev::Company);
    let initialism = word.contains('.') && word.split('.').all(|p| (1..=2).contains(&p.len()));
    if !(initial || initialism) {
        return false;
    }
    let next_word: &str = next
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("");
    !STARTERS.contains(&next_word)
}

/// Which list an abbreviation is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Abbrev {
    /// A title before a name (`Mr.`, `Gen.`): a split after it is always undone.
    Title,
    /// A month, `No.`, `Vol.`...: undone only before a digit.
    BeforeDigit,
    /// A company suffix (`Co.`, `Inc.`): undone like an initialism.
    Company,
}

/// The list `word` (ASCII letters, any case) is on: one `match` on its lower-case bytes
/// instead of comparing it with every entry (it runs at every full stop). A unit test checks
/// it against the lists.
fn abbreviation(word: &str) -> Option<Abbrev> {
    let w = word.as_bytes();
    if w.len() > 6 {
        return None;
    }
    let mut buf = [0u8; 6];
    for (d, c) in buf.iter_mut().zip(w) {
        *d = c.to_ascii_lowercase();
    }
    match &buf[..w.len()] {
        b"adm" | b"brig" | b"capt" | b"cmdr" | b"col" | b"cpl" | b"det" | b"dr" | b"ft"
        | b"gen" | b"gov" | b"hon" | b"insp" | b"jr" | b"lt" | b"maj" | b"messrs" | b"mme"
        | b"mr" | b"mrs" | b"ms" | b"mt" | b"pres" | b"prof" | b"pvt" | b"rep" | b"rev"
        | b"sen" | b"sgt" | b"sr" | b"st" | b"supt" => Some(Abbrev::Title),
        b"jan" | b"feb" | b"mar" | b"apr" | b"jun" | b"jul" | b"aug" | b"sep" | b"sept"
        | b"oct" | b"nov" | b"dec" | b"no" | b"nos" | b"vol" | b"art" | b"fig" | b"p" | b"pp" => {
            Some(Abbrev::BeforeDigit)
        }
        b"co" | b"corp" | b"inc" | b"ltd" | b"bros" | b"plc" => Some(Abbrev::Company),
        _ => None,
    }
}

/// Finds soft wraps; when there are any, writes the text with them replaced by spaces into
/// `scratch` and returns true.
fn unwrap(text: &str, marks: &mut Marks, lines: &mut Vec<Line>, scratch: &mut Vec<u8>) -> bool {
    let bytes = text.as_bytes();
    let n = bytes.len();
    if next_in(&marks.lf, 0, n).is_none() {
        return false;
    }
    lines.clear();
    let mut i = 0;
    while i < n {
        let (end, next) = match next_in(&marks.lf, i, n) {
            Some(nl) => {
                let end = if nl > i && bytes[nl - 1] == b'\r' {
                    nl - 1
                } else {
                    nl
                };
                (end, nl + 1)
            }
            None => (bytes.len(), bytes.len()),
        };
        let (body, chars) = if marks.ascii(i, end) {
            // ASCII: `trim_end` and a character count on bytes.
            let body = i + bytes[i..end]
                .iter()
                .rposition(|&c| !is_ascii_white_space(c))
                .map_or(0, |k| k + 1);
            (body, body - i)
        } else {
            let trimmed = text[i..end].trim_end();
            (i + trimmed.len(), trimmed.chars().count())
        };
        lines.push(Line {
            start: i,
            end,
            next,
            body,
            chars,
        });
        i = next;
    }
    let mut any = false;
    let mut b = 0;
    while b < lines.len() {
        // A block: a non-blank line and the non-blank, non-indented lines after it.
        let mut e = b + 1;
        if lines[b].chars > 0 {
            while e < lines.len() && lines[e].chars > 0 && !indented(text, &lines[e]) {
                e += 1;
            }
        }
        let width = lines[b..e].iter().map(|l| l.chars).max().unwrap_or(0);
        if e - b >= 2 && (WRAP_MIN..=WRAP_MAX).contains(&width) {
            let long = |l: &Line| l.chars * 10 >= width * 6;
            let mut joined_before = false;
            for j in b..e - 1 {
                let l = lines[j];
                // A lower-case letter or a digit after the break continues the sentence.
                let next = lines[j + 1].start;
                let continues = match bytes.get(next) {
                    Some(&c) if c < 0x80 => c.is_ascii_lowercase() || c.is_ascii_digit(),
                    _ => text[next..]
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_lowercase() || c.is_numeric()),
                };
                // A short line that ended a paragraph or list item is not followed by a wrap
                // unless the next line shows it.
                let after_break = j > b && !long(&lines[j - 1]) && !joined_before;
                // So does a line that ends in a comma, semicolon or hyphen (the last byte
                // tells, unless it is part of a non-ASCII character).
                let (open_end, colon) = match bytes[l.start..l.body].last() {
                    Some(&c) if c < 0x80 => (matches!(c, b',' | b';' | b'-'), c == b':'),
                    _ => {
                        let body = &text[l.start..l.body];
                        (body.ends_with(['\u{2013}', '\u{2014}']), false)
                    }
                };
                let join = !colon && (continues || open_end || (long(&l) && !after_break));
                joined_before = join;
                if join {
                    if !any {
                        scratch.clear();
                        scratch.extend_from_slice(text.as_bytes());
                        any = true;
                    }
                    // A line terminator ('\n' or "\r\n") becomes as many spaces.
                    scratch[l.end..l.next].fill(b' ');
                    for p in l.end..l.next {
                        marks.clear_line_end(p);
                    }
                }
            }
        }
        b = e;
    }
    any
}

fn indented(text: &str, l: &Line) -> bool {
    match text.as_bytes()[l.start..l.end].first() {
        Some(&c) if c < 0x80 => is_ascii_white_space(c),
        _ => text[l.start..l.end].starts_with(char::is_whitespace),
    }
}

/// `char::is_whitespace` for an ASCII byte (it includes the vertical tab, 0x0B, which
/// `u8::is_ascii_whitespace` does not).
#[inline]
fn is_ascii_white_space(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ')
}

/// Appends the UAX #29 sentence boundaries of `text` to `out`: `0`, each break, and
/// `text.len()` (nothing for an empty text). Equal to the piece starts of
/// `unicode_segmentation`'s `split_sentence_bound_indices` followed by the length, but ASCII
/// lines take a fast path (see the module documentation).
pub fn uax29_breaks_into(text: &str, out: &mut Vec<usize>) {
    let mut marks = Marks::default();
    marks.build(text.as_bytes());
    uax29_with(text, &marks, out);
}

/// [`uax29_breaks_into`] with the text's [`Marks`] made already.
fn uax29_with(text: &str, marks: &Marks, out: &mut Vec<usize>) {
    let bytes = text.as_bytes();
    let n = bytes.len();
    if n == 0 {
        return;
    }
    out.push(0);
    let mut start = 0;
    while start < n {
        // The line: up to a CR or LF (CR LF together), which always ends a sentence (SB4).
        let j = next_in(&marks.eol, start, n).unwrap_or(n);
        let ascii = marks.ascii(start, j);
        let next = if j < n && bytes[j] == b'\r' && j + 1 < n && bytes[j + 1] == b'\n' {
            j + 2
        } else {
            (j + 1).min(n)
        };
        if ascii {
            ascii_line(bytes, &marks.term, start, j, out);
        } else {
            for (i, _) in text[start..next].split_sentence_bound_indices().skip(1) {
                out.push(start + i);
            }
        }
        if next < n {
            out.push(next);
        }
        start = next;
    }
    out.push(n);
}

#[inline]
fn is_close(b: u8) -> bool {
    matches!(b, b'"' | b'\'' | b'(' | b')' | b'[' | b']' | b'{' | b'}')
}

#[inline]
fn is_sp(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | 0x0B | 0x0C)
}

#[inline]
fn is_saterm(b: u8) -> bool {
    matches!(b, b'.' | b'!' | b'?')
}

/// The breaks inside the ASCII line `bytes[s..e]` (its terminator excluded), by rules
/// SB6-SB11 of UAX #29 applied at each terminator.
fn ascii_line(bytes: &[u8], term: &[u64], s: usize, e: usize, out: &mut Vec<usize>) {
    let mut i = s;
    while i < e {
        let Some(p) = next_in(term, i, e) else {
            return;
        };
        let aterm = bytes[p] == b'.';
        let after = p + 1;
        if aterm && after < e {
            let c = bytes[after];
            // SB6: ATerm × Numeric.
            if c.is_ascii_digit() {
                i = after;
                continue;
            }
            // SB7: (Upper | Lower) ATerm × Upper.
            if c.is_ascii_uppercase() && p > s && bytes[p - 1].is_ascii_alphabetic() {
                i = after;
                continue;
            }
        }
        // SB9, SB10: no break inside SATerm Close* Sp*.
        let mut q = after;
        while q < e && is_close(bytes[q]) {
            q += 1;
        }
        while q < e && is_sp(bytes[q]) {
            q += 1;
        }
        if q >= e {
            // The break falls after the line terminator (or at the end of the text).
            return;
        }
        let c = bytes[q];
        // SB8a: SATerm Close* Sp* × (SContinue | SATerm).
        if matches!(c, b',' | b'-' | b':' | b';') || is_saterm(c) {
            i = q;
            continue;
        }
        // SB8: ATerm Close* Sp* × (¬(OLetter | Upper | Lower | ParaSep | SATerm))* Lower.
        if aterm {
            let lower = bytes[q..e]
                .iter()
                .find(|b| b.is_ascii_alphabetic() || is_saterm(**b))
                .is_some_and(|b| b.is_ascii_lowercase());
            if lower {
                i = q;
                continue;
            }
        }
        // SB11.
        out.push(q);
        i = q;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_structure_pre_check_passes_lists_tables_and_indented_bullets() {
        let check = |t: &str| {
            let mut seg = Segmenter::new();
            seg.sentences_into(t, &mut Vec::new());
            seg.may_have_structure(t)
        };
        assert!(!check("Plain prose. Two lines\nof it, 3 figures."));
        assert!(!check(""));
        for t in [
            "Intro.\n- an item",
            "  * item",
            "Text.\n  12. numbered",
            "a | b | c",
            "name\tvalue",
            "Text.\n\u{a0}\u{2022} bullet",
        ] {
            assert!(check(t), "{t:?}");
        }
    }

    #[test]
    fn the_abbreviation_match_is_the_lists() {
        for (list, kind) in [
            (TITLES, Abbrev::Title),
            (BEFORE_DIGIT, Abbrev::BeforeDigit),
            (COMPANY, Abbrev::Company),
        ] {
            for w in list {
                assert_eq!(abbreviation(w), Some(kind), "{w}");
                assert_eq!(abbreviation(&w.to_ascii_uppercase()), Some(kind), "{w}");
            }
        }
        for w in ["said", "m", "mrss", "messrsx", "", "a.b", "U.S"] {
            assert_eq!(abbreviation(w), None, "{w}");
        }
    }

    fn sentences(text: &str) -> Vec<&str> {
        let mut v = Vec::new();
        Segmenter::new().sentences_into(text, &mut v);
        v.iter().map(|s| &text[s.start..s.end]).collect()
    }

    fn library(text: &str) -> Vec<usize> {
        let mut v: Vec<usize> = text
            .split_sentence_bound_indices()
            .map(|(i, _)| i)
            .collect();
        if !text.is_empty() {
            v.push(text.len());
        }
        v
    }

    fn fast(text: &str) -> Vec<usize> {
        let mut v = Vec::new();
        uax29_breaks_into(text, &mut v);
        v
    }

    #[test]
    fn fast_path_matches_the_library_on_tricky_cases() {
        for t in [
            "",
            "a",
            "Hi! there. Yes?",
            "The U.S. Agriculture Department said. It was 5.93 mln.",
            "He said \"stop.\" Then (he left.) Now",
            "etc., and more... What? Yes!? No.\r\nNext line\rthird",
            "a.b e.g. the x. 12 y. Z",
            "end. (a) end.  [B] end.' c",
            "Wait... what Wait... What",
            ".\n.\n\n. x",
            "Mr. Smith met Dr. Jones. \n\n",
            "x.\t\u{b}y",
        ] {
            assert_eq!(fast(t), library(t), "{t:?}");
        }
    }

    /// `push_trimmed` as it was before its ASCII fast path.
    fn push_trimmed_reference(text: &str, start: usize, end: usize, out: &mut Vec<Span>) {
        let piece = &text[start..end];
        let trimmed = piece.trim_start();
        let s = start + (piece.len() - trimmed.len());
        let trimmed = trimmed.trim_end();
        let e = s + trimmed.len();
        if trimmed.chars().any(char::is_alphanumeric) {
            out.push(Span { start: s, end: e });
        }
    }

    proptest! {
        #[test]
        fn push_trimmed_is_the_unicode_trim(s in "[a1 .\t\n\r\u{b}\u{c}\u{85}\u{a0}\u{2028}é’-]{0,24}") {
            let bounds: Vec<usize> = (0..=s.len()).filter(|&i| s.is_char_boundary(i)).collect();
            for &a in &bounds {
                for &b in bounds.iter().filter(|&&b| b >= a) {
                    let (mut got, mut want) = (Vec::new(), Vec::new());
                    push_trimmed(&s, a, b, &mut got);
                    push_trimmed_reference(&s, a, b, &mut want);
                    prop_assert_eq!(got, want, "{:?} {}..{}", s, a, b);
                }
            }
        }

        #[test]
        fn marked_line_tracker_is_the_line_tracker(s in "[a .|\t\n\r\u{a0}-]{0,150}") {
            let mut seg = Segmenter::new();
            let mut spans = Vec::new();
            seg.sentences_into(&s, &mut spans);
            let (mut a, mut b) = (LineTracker::new(), LineTracker::new());
            for sp in spans {
                prop_assert_eq!(
                    a.structure(&s, sp.start),
                    b.structure_marked(&s, seg.line_feeds(), sp.start)
                );
            }
        }

        #[test]
        fn no_structure_means_the_tracker_finds_none(
            s in "([a1 .\n\u{a0}]|- |\\* |\\+ |12\\. |3\\) |\u{2022} |\\||\t){0,40}"
        ) {
            let mut seg = Segmenter::new();
            let mut spans = Vec::new();
            seg.sentences_into(&s, &mut spans);
            if !seg.may_have_structure(&s) {
                let mut t = LineTracker::new();
                for sp in spans {
                    prop_assert!(!t.structure(&s, sp.start), "{:?} at {}", s, sp.start);
                }
            }
        }

        #[test]
        fn ascii_white_space_is_char_white_space(c in 0u8..0x80) {
            prop_assert_eq!(is_ascii_white_space(c), (c as char).is_whitespace());
        }

        #[test]
        fn fast_path_matches_the_library(s in "[a-cA-C0-9 .!?,:;\"'()\\-\n\r\t]{0,60}") {
            prop_assert_eq!(fast(&s), library(&s));
        }

        #[test]
        fn mixed_text_matches_the_library(s in "[aB1 .!?\"'\n’”é。\u{2029}\u{85}\u{a0}]{0,40}") {
            prop_assert_eq!(fast(&s), library(&s));
        }

        #[test]
        fn joins_next_is_its_general_test(s in "[aBU1 .!?\n\r\t\u{a0}\u{2028}é]{0,24}", cut in 0usize..25) {
            let b = (0..=cut.min(s.len())).rev().find(|&b| s.is_char_boundary(b)).unwrap_or(0);
            if b < s.len() {
                proptest::prop_assert_eq!(joins_next(&s, 0, b), joins_next_general(&s, 0, b));
            }
        }

        #[test]
        fn spans_are_trimmed_ordered_and_on_char_boundaries(s in "[aB1 .!?\n’é]{0,60}") {
            let mut v = Vec::new();
            Segmenter::new().sentences_into(&s, &mut v);
            let mut last = 0;
            for sp in v {
                prop_assert!(sp.start >= last && sp.start < sp.end);
                prop_assert!(s.is_char_boundary(sp.start) && s.is_char_boundary(sp.end));
                let t = &s[sp.start..sp.end];
                prop_assert_eq!(t, t.trim());
                last = sp.end;
            }
        }
    }

    #[test]
    fn abbreviations_do_not_end_sentences() {
        assert_eq!(
            sentences(
                "The harbour master Lt. Gen. Ola Brannock-Hale opened the lock. \
                 The U.S. Agriculture Department agreed. They met on Feb. 26, 1987. \
                 George W. Bush spoke at 5 p.m. Tuesday. It was sold to the U.S. The deal closed."
            ),
            vec![
                "The harbour master Lt. Gen. Ola Brannock-Hale opened the lock.",
                "The U.S. Agriculture Department agreed.",
                "They met on Feb. 26, 1987.",
                "George W. Bush spoke at 5 p.m. Tuesday.",
                "It was sold to the U.S.",
                "The deal closed."
            ]
        );
        // A month not followed by a day, and a number before the dot, end a sentence.
        assert_eq!(
            sentences("Prices rose in Feb. Sales fell. The rate was 6.5. Then it fell."),
            vec![
                "Prices rose in Feb.",
                "Sales fell.",
                "The rate was 6.5.",
                "Then it fell."
            ]
        );
    }

    #[test]
    fn line_breaks_end_headlines_captions_and_list_lines() {
        let t = "Harbour gates jam again\n\nThe gates failed on Monday. Crews worked all night.\n\
                 Related News:\nCouncil backs cycle lanes on Mill Street\nWeekend road closures\n";
        assert_eq!(
            sentences(t),
            vec![
                "Harbour gates jam again",
                "The gates failed on Monday.",
                "Crews worked all night.",
                "Related News:",
                "Council backs cycle lanes on Mill Street",
                "Weekend road closures"
            ]
        );
    }

    #[test]
    fn hard_wrapped_paragraphs_are_joined() {
        // Wire copy wrapped at about 60 columns, paragraphs indented, a sign-off line.
        let t = "Frost lingered over the valley orchards for most of the week,\n\
                 delaying the blossom by ten days and worrying growers who\n\
                 sell to the canning plant at Dunmere, the guild said.\n    \
                 The late blossom will cut the early crop. Deliveries\n\
                 to the plant were 4,210 crates of 20 kilos, down from a\n\
                 year ago.\n Wirefeed\n";
        assert_eq!(
            sentences(t),
            vec![
                "Frost lingered over the valley orchards for most of the week,\ndelaying the \
                 blossom by ten days and worrying growers who\nsell to the canning plant at \
                 Dunmere, the guild said.",
                "The late blossom will cut the early crop.",
                "Deliveries\nto the plant were 4,210 crates of 20 kilos, down from a\nyear ago.",
                "Wirefeed"
            ]
        );
    }

    #[test]
    fn spans_index_the_original_text() {
        let t = "  Café owners met.\r\n\r\nThey agreed! ";
        let mut v = Vec::new();
        Segmenter::new().sentences_into(t, &mut v);
        assert_eq!(
            v,
            vec![Span { start: 2, end: 19 }, Span { start: 23, end: 35 }]
        );
        assert_eq!(&t[2..19], "Café owners met.");
        assert_eq!(&t[23..35], "They agreed!");
    }
}
