//! Line structure for the repeat stage: which lines of a text are table rows, list items or
//! tab-separated fields ([`line_kind`]), and, for sentence spans in text order, whether each
//! starts on such a line ([`LineTracker`]).

use super::marks::prev_in;

/// What a line of text is, for the repeat stage: prose, or structure that is cut into
/// "sentences" only because a line break ends one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// Ordinary text.
    Prose,
    /// A list item: after its indentation, `-`, `*`, `+`, `•`, `–` or `1.` / `1)` and a space.
    ListItem,
    /// A Markdown or ASCII table row: it starts with `|`, or holds two or more `|`.
    TableRow,
    /// Tab-separated fields: a tab after the first non-blank character.
    Tabular,
}

impl LineKind {
    /// True for list items, table rows and tab-separated lines.
    pub fn is_structure(self) -> bool {
        self != LineKind::Prose
    }
}

/// The kind of one line (without its terminator). Cheap: one pass over the line's bytes.
///
/// Why: table rows of one table share most of their words (`| 2025-10-19 | Ferrow Gazette |
/// 437 |`), and the items of a list or the rows of a TSV export repeat their pattern, so as
/// sentences they would be near-repeats of each other. They are structure, not text said
/// twice: the repeat stage ([`crate::repeat`]) never reports them as near-repeats (they can
/// still be boilerplate, a line found in many documents).
pub fn line_kind(line: &str) -> LineKind {
    let body = trim_indent(line);
    let b = body.as_bytes();
    if let Some(bar) = memchr::memchr(b'|', b) {
        if bar == 0 || memchr::memchr(b'|', &b[bar + 1..]).is_some() {
            return LineKind::TableRow;
        }
    }
    if memchr::memchr(b'\t', body.trim_end().as_bytes()).is_some() {
        return LineKind::Tabular;
    }
    list_kind(body)
}

/// `line` without its indentation: leading spaces, tabs and no-break spaces (U+00A0). ASCII
/// indentation is skipped on bytes.
pub(super) fn trim_indent(line: &str) -> &str {
    let b = line.as_bytes();
    let i = b.iter().take_while(|&&c| c == b' ' || c == b'\t').count();
    // Bytes `..i` are ASCII, so `i` is a character boundary.
    let rest = &line[i..];
    if rest.as_bytes().first().is_some_and(|&c| c >= 0x80) {
        rest.trim_start_matches([' ', '\t', '\u{a0}'])
    } else {
        rest
    }
}

/// [`LineKind::ListItem`] or [`LineKind::Prose`], from the first characters of `body` (a line
/// without its indentation).
pub(super) fn list_kind(body: &str) -> LineKind {
    let b = body.as_bytes();
    let marker = match b.first() {
        Some(b'-' | b'*' | b'+') => b.get(1) == Some(&b' '),
        Some(&c) if c >= 0x80 => ["\u{2022} ", "\u{2013} ", "\u{b7} "]
            .iter()
            .any(|m| body.starts_with(m)),
        _ => false,
    };
    let digits = b.iter().take(4).take_while(|c| c.is_ascii_digit()).count();
    let numbered = (1..=3).contains(&digits)
        && matches!(b.get(digits), Some(b'.' | b')'))
        && matches!(b.get(digits + 1), Some(b' ' | b'\t'));
    if marker || numbered {
        LineKind::ListItem
    } else {
        LineKind::Prose
    }
}

/// Tells, for spans given in text order, whether each starts on a structural line
/// ([`line_kind`]) or on an indented line that continues a list item (a wrapped item, with
/// no blank line between). Walks the text once, whatever the number of spans.
#[derive(Debug, Clone, Copy, Default)]
pub struct LineTracker {
    /// A span was seen (the fields below describe its line).
    started: bool,
    /// Where the search for the next span's line start begins (the last span's start).
    at: usize,
    /// Start of the current line.
    line: usize,
    /// The current line's verdict.
    structure: bool,
    /// The current line is a list item or continues one.
    in_list: bool,
    /// The text holds a `|` or a tab: lines can be table rows or tab-separated (when it does
    /// not, a line's kind is decided by its first characters alone).
    cells: bool,
}

impl LineTracker {
    /// A tracker at the start of a text.
    pub fn new() -> LineTracker {
        LineTracker::default()
    }

    /// True when the span starting at byte `start` (at or after the previous span's start)
    /// starts on a line of structure.
    pub fn structure(&mut self, text: &str, start: usize) -> bool {
        self.structure_with(text, start, |from, to| {
            memchr::memrchr(b'\n', &text.as_bytes()[from..to]).map(|k| from + k)
        })
    }

    /// [`LineTracker::structure`] for the text a [`Segmenter`] cut last, with its line feeds
    /// ([`Segmenter::line_feeds`]): a bit scan instead of a search call per span.
    pub(crate) fn structure_marked(&mut self, text: &str, lf: &[u64], start: usize) -> bool {
        self.structure_with(text, start, |from, to| prev_in(lf, from, to))
    }

    /// [`LineTracker::structure`] with `last_lf(from, to)`, the last `\n` in `from..to`.
    #[inline(always)]
    fn structure_with(
        &mut self,
        text: &str,
        start: usize,
        last_lf: impl Fn(usize, usize) -> Option<usize>,
    ) -> bool {
        let bytes = text.as_bytes();
        let from = if self.started { self.at.min(start) } else { 0 };
        let line = match last_lf(from, start) {
            Some(nl) => nl + 1,
            None if self.started => {
                self.at = start;
                return self.structure;
            }
            None => 0,
        };
        if !self.started {
            self.cells = memchr::memchr2(b'|', b'\t', bytes).is_some();
        }
        let (this, kind) = if self.cells {
            let end = memchr::memchr(b'\n', &bytes[line..]).map_or(text.len(), |e| line + e);
            let this = &text[line..end];
            (this, line_kind(this))
        } else {
            // No `|` or tab anywhere: only the start of the line matters.
            let this = &text[line..];
            (this, list_kind(trim_indent(this)))
        };
        // Lines between the previous span's line and this one: a blank one ends a list (only
        // looked at when this line could continue a list item).
        let continues = self.in_list && this.starts_with([' ', '\t']) && {
            let between = &text[self.line..line - 1];
            !between.split('\n').skip(1).any(|l| l.trim().is_empty())
        };
        self.in_list = kind == LineKind::ListItem || continues;
        self.structure = kind.is_structure() || continues;
        self.started = true;
        self.line = line;
        self.at = start;
        self.structure
    }
}

/// Consecutive bare lines ([`bare_line`], each on the line after the last) that make a table
/// set as plain text: [`crate::repeat::doc_sentences_into`] calls every sentence of such a
/// run structure.
pub const TABLE_LINES: usize = 3;

/// True when `text[start..end]` (a sentence span) is a bare line: it fills its line(s), with
/// only blanks before it on its first line and after it on its last, and it does not end a
/// sentence (no `.`, `!`, `?`, `…` or CJK full stop before any closing quotes or brackets).
///
/// Why: a table set as plain lines has no `|` or tab for [`line_kind`] to see. News wires set
/// earnings that way, one figure a line (`Shr loss 12 cts vs loss 16 cts`, `Net loss 214,000
/// vs 309,000`); the rows of one table, or of the two periods' tables in one story, share
/// every word but the figures and passed as near-repeated sentences: three in five of the
/// within-document repeats on the 100k news benchmark corpus. A sentence of prose ends with
/// its full stop; a headline or caption stands alone, between blank lines or prose.
pub fn bare_line(text: &str, start: usize, end: usize) -> bool {
    let b = text.as_bytes();
    if start >= end || end > b.len() {
        return false;
    }
    // Most sentences end with an ASCII full stop: one byte tells, before any walk.
    let last = b[end - 1];
    if matches!(last, b'.' | b'!' | b'?') {
        return false;
    }
    let after = b[end..]
        .iter()
        .find(|&&c| c != b' ' && c != b'\t' && c != b'\r')
        .is_none_or(|&c| c == b'\n');
    let before = || {
        b[..start]
            .iter()
            .rev()
            .find(|&&c| c != b' ' && c != b'\t')
            .is_none_or(|&c| c == b'\n')
    };
    let quoted = last >= 0x80 || matches!(last, b'"' | b'\'' | b')' | b']');
    after && before() && !(quoted && ends_sentence(&text[start..end]))
}

/// True when `s` ends with a sentence terminator, closing quotes and brackets aside.
fn ends_sentence(s: &str) -> bool {
    let body = s.trim_end_matches(['"', '\'', ')', ']', '\u{201d}', '\u{2019}', '\u{bb}']);
    body.ends_with([
        '.', '!', '?', '\u{2026}', '\u{3002}', '\u{ff01}', '\u{ff1f}',
    ])
}

/// True when a span starting at `start` is on the line right after the one where a span
/// ending at `end` ends: between them only blanks and exactly one line feed.
pub fn next_line(text: &str, end: usize, start: usize) -> bool {
    let Some(gap) = text.as_bytes().get(end..start) else {
        return false;
    };
    let mut feeds = 0;
    for &c in gap {
        match c {
            b'\n' => feeds += 1,
            b' ' | b'\t' | b'\r' => {}
            _ => return false,
        }
    }
    feeds == 1
}

#[cfg(test)]
mod tests {
    use super::super::Segmenter;
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table_rows_list_items_and_tab_separated_lines_are_structure() {
        for (line, kind) in [
            (
                "| `ferrow-chess` | 2025-10-23 | Ferrow Gazette | 431 |",
                LineKind::TableRow,
            ),
            ("a | b | c", LineKind::TableRow),
            (
                "  - byte 187..331: \"The regional transport authority",
                LineKind::ListItem,
            ),
            ("* item", LineKind::ListItem),
            ("\u{2022} item", LineKind::ListItem),
            ("12. The twelfth point", LineKind::ListItem),
            ("3) third", LineKind::ListItem),
            ("id\ttitle\tcount", LineKind::Tabular),
            ("\tAn indented paragraph is prose.", LineKind::Prose),
            (
                "The council said - again - that it would wait.",
                LineKind::Prose,
            ),
            ("2025 was a year of floods.", LineKind::Prose),
            ("-3 degrees overnight", LineKind::Prose),
        ] {
            assert_eq!(line_kind(line), kind, "{line:?}");
        }
    }

    #[test]
    fn wrapped_list_items_stay_structure_until_a_blank_line() {
        let text = "Intro sentence here.\n- first item that wraps\n  onto a second line\n\n  An indented paragraph.\nPlain. Two sentences.";
        let mut spans = Vec::new();
        Segmenter::new().sentences_into(text, &mut spans);
        let mut t = LineTracker::new();
        let got: Vec<(&str, bool)> = spans
            .iter()
            .map(|s| (&text[s.start..s.end], t.structure(text, s.start)))
            .collect();
        assert_eq!(
            got,
            [
                ("Intro sentence here.", false),
                ("- first item that wraps", true),
                ("onto a second line", true),
                ("An indented paragraph.", false),
                ("Plain.", false),
                ("Two sentences.", false),
            ]
        );
    }

    #[test]
    fn bare_lines_fill_their_lines_and_end_no_sentence() {
        let text = "Head line\n    Net loss 214,000 vs 309,000\r\nProse ends here. Another one\n\
                    \u{201c}A quote.\u{201d}\nWhy not?\nwrapped across\ntwo lines  \n";
        let bare = |s: &str| {
            let at = text.find(s).unwrap();
            bare_line(text, at, at + s.len())
        };
        assert!(bare("Head line"));
        assert!(bare("Net loss 214,000 vs 309,000"));
        assert!(bare("wrapped across\ntwo lines"));
        assert!(
            !bare("Prose ends here."),
            "ended, and not alone on its line"
        );
        assert!(!bare("Another one"), "not alone on its line");
        assert!(!bare("\u{201c}A quote.\u{201d}"));
        assert!(!bare("Why not?"));
        assert!(!bare("Head"));
        assert!(!bare_line(text, 3, 3));
        assert!(!bare_line(text, 0, text.len() + 1));
    }

    #[test]
    fn next_line_means_one_line_feed_between() {
        let text = "one\n  two\r\n\nthree four";
        assert!(next_line(text, 3, 6));
        assert!(!next_line(text, 9, 12), "a blank line between");
        assert!(!next_line(text, 18, 12), "backwards");
        assert!(!next_line(text, 17, 18), "the same line");
    }

    proptest! {
        #[test]
        fn trim_indent_is_the_character_trim(s in "[ \t\u{a0}a\u{2022}-]{0,12}") {
            proptest::prop_assert_eq!(trim_indent(&s), s.trim_start_matches([' ', '\t', '\u{a0}']));
        }
    }
}
