//! Stage 1: text -> normalised tokens, each with its byte span in the original text.
//!
//! Input: a document's text. Output: a sequence of tokens, each a normalised word (or one
//! character of a script written without spaces) with `start..end`, byte offsets into the
//! **original** text, so later stages can report exact spans.
//!
//! Normalisation (`nfkc_casefold_v1`, recorded in every report and index):
//! 1. Unicode NFKC (compatibility forms fold: `ﬁ` -> `fi`, full-width `Ａ` -> `A`, `①` -> `1`);
//!    a base character and the combining marks after it are normalised together, so `e` +
//!    U+0301 and the precomposed `é` give the same token.
//! 2. Case folding: Unicode lowercase, plus the full folds `ß`/`ẞ` -> `ss` and final `ς` -> `σ`.
//! 3. Punctuation and whitespace folding: a token is a maximal run of alphanumeric characters
//!    (and combining marks inside it); everything else only separates tokens. So `U.S.` is two
//!    tokens, `US-led` is two tokens, and curly and straight apostrophes behave alike.
//! 4. Scripts written without spaces between words (Han, Hiragana, Katakana, Thai, Lao, Khmer,
//!    Myanmar) give one token per character, so word k-grams over them are character k-grams:
//!    Chinese, Japanese and Thai text is shingled by characters automatically, and mixed text
//!    works without a per-document mode switch.
//!
//! ASCII bytes take a fast path (table lookups, no per-token allocation); only non-ASCII
//! characters go through NFKC.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Name and version of the normalisation, recorded in reports and persisted indexes.
pub const NORMALIZATION: &str = "nfkc_casefold_v1";

/// Seed of the XXH3-64 hash of a normalised token's UTF-8 bytes ("syndup-t" in ASCII).
pub const TOKEN_SEED: u64 = 0x7379_6e64_7570_2d74;

/// A normalised token and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// Byte offset of the token's first byte in the original text.
    pub start: usize,
    /// Byte offset just past the token's last byte in the original text.
    pub end: usize,
    /// [`token_hash`] of the normalised token.
    pub hash: u64,
}

/// The stable hash of a normalised token: XXH3-64 of its UTF-8 bytes with [`TOKEN_SEED`].
#[inline]
pub fn token_hash(normalized: &[u8]) -> u64 {
    xxh3_64_with_seed(normalized, TOKEN_SEED)
}

/// True for characters of scripts written without spaces between words; each becomes a token.
#[inline]
pub fn is_spaceless(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF      // Thai, Lao
        | 0x1000..=0x109F    // Myanmar
        | 0x1780..=0x17FF    // Khmer
        | 0x3040..=0x30FF    // Hiragana, Katakana
        | 0x31F0..=0x31FF    // Katakana phonetic extensions
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0x20000..=0x3134F) // CJK extensions B-G
}

/// Reusable tokeniser state: one buffer for the token being built.
#[derive(Debug, Default)]
pub struct Tokenizer {
    buf: Vec<u8>,
}

impl Tokenizer {
    /// A tokeniser with an empty buffer.
    pub fn new() -> Tokenizer {
        Tokenizer::default()
    }

    /// Appends the hashes of `text`'s tokens to `out`, in order.
    pub fn hashes_into(&mut self, text: &str, out: &mut Vec<u64>) {
        self.for_each(text, |_, _, tok| out.push(token_hash(tok)));
    }

    /// Appends `text`'s tokens with their byte spans to `out`, in order.
    pub fn tokens_into(&mut self, text: &str, out: &mut Vec<Token>) {
        self.for_each(text, |start, end, tok| {
            out.push(Token {
                start,
                end,
                hash: token_hash(tok),
            })
        });
    }

    /// The normalised text: tokens joined by single spaces.
    pub fn normalize(&mut self, text: &str) -> String {
        let mut s = String::with_capacity(text.len());
        self.for_each(text, |_, _, tok| {
            if !s.is_empty() {
                s.push(' ');
            }
            // Tokens are built from whole chars, so they are valid UTF-8.
            s.push_str(std::str::from_utf8(tok).unwrap_or_default());
        });
        s
    }

    /// Calls `emit(start, end, normalised_bytes)` for each token of `text`.
    ///
    /// Invariant: `start..end` are byte offsets on char boundaries of `text`.
    ///
    /// Fast path: a word made only of ASCII letters and digits is found with a byte-class
    /// table and handed over in place (lowercased into the buffer only when it has capitals).
    /// A run of non-separator bytes that contains any non-ASCII byte goes to the general path
    /// (NFKC, Unicode case folding, spaceless scripts). ASCII punctuation and whitespace always
    /// end a token in both paths, so cutting the text at them first changes nothing.
    pub fn for_each<F: FnMut(usize, usize, &[u8])>(&mut self, text: &str, mut emit: F) {
        let bytes = text.as_bytes();
        let n = bytes.len();
        let mut i = 0;
        while i < n {
            // Skip ASCII separators.
            while i < n && CLASS[bytes[i] as usize] == SEP {
                i += 1;
            }
            if i == n {
                break;
            }
            let start = i;
            let (end, upper) = scan_word(bytes, i);
            i = end;
            if i < n && CLASS[bytes[i] as usize] == HIGH {
                // The run holds non-ASCII characters: general path up to the next ASCII
                // separator.
                let mut j = i;
                while j < n && CLASS[bytes[j] as usize] != SEP {
                    j += 1;
                }
                self.general(text, start, j, &mut emit);
                i = j;
                continue;
            }
            let word = &bytes[start..i];
            if upper {
                self.buf.clear();
                self.buf.extend(word.iter().map(u8::to_ascii_lowercase));
                emit(start, i, &self.buf);
            } else {
                emit(start, i, word);
            }
        }
    }

    /// The general path over `text[from..to]`, a run without ASCII separators.
    fn general<F: FnMut(usize, usize, &[u8])>(
        &mut self,
        text: &str,
        from: usize,
        to: usize,
        emit: &mut F,
    ) {
        let bytes = text.as_bytes();
        let buf = &mut self.buf;
        buf.clear();
        let mut start = usize::MAX; // start of the token being built; MAX when none
        let mut end = 0;
        let mut i = from;
        while i < to {
            let b = bytes[i];
            if b < 0x80 {
                // Separators do not reach this path from `for_each`, but handling them keeps
                // it a complete reference implementation (see the property test).
                if b.is_ascii_alphanumeric() {
                    if start == usize::MAX {
                        start = i;
                    }
                    buf.push(b.to_ascii_lowercase());
                    end = i + 1;
                } else if start != usize::MAX {
                    emit(start, end, buf);
                    buf.clear();
                    start = usize::MAX;
                }
                i += 1;
                continue;
            }
            // A base character plus the combining marks that follow it.
            let rest = &text[i..to];
            let mut chars = rest.char_indices();
            let first = match chars.next() {
                Some((_, c)) => c,
                None => break,
            };
            let mut seg_len = first.len_utf8();
            for (off, c) in chars {
                if is_combining_mark(c) {
                    seg_len = off + c.len_utf8();
                } else {
                    break;
                }
            }
            let j = i + seg_len;
            let segment = &text[i..j];
            if is_combining_mark(first) {
                // Marks after a character already in the token (e.g. ASCII `e` + U+0301):
                // renormalise the token's last character together with the marks.
                if start != usize::MAX {
                    let last = pop_last_char(buf);
                    let mut joined = String::with_capacity(segment.len() + 4);
                    if let Some(c) = last {
                        joined.push(c);
                    }
                    joined.push_str(segment);
                    for c in joined.nfkc() {
                        fold(c, |lc| push_char(buf, lc));
                    }
                    end = j;
                }
                i = j;
                continue;
            }
            for c in segment.nfkc() {
                fold(c, |lc| {
                    if is_spaceless(lc) {
                        if start != usize::MAX {
                            emit(start, end, buf);
                            buf.clear();
                            start = usize::MAX;
                        }
                        let mut tmp = [0u8; 4];
                        emit(i, j, lc.encode_utf8(&mut tmp).as_bytes());
                    } else if lc.is_alphanumeric() {
                        if start == usize::MAX {
                            start = i;
                        }
                        push_char(buf, lc);
                        end = j;
                    } else if is_combining_mark(lc) {
                        if start != usize::MAX {
                            push_char(buf, lc);
                            end = j;
                        }
                    } else if start != usize::MAX {
                        emit(start, end, buf);
                        buf.clear();
                        start = usize::MAX;
                    }
                });
            }
            i = j;
        }
        if start != usize::MAX {
            emit(start, end, buf);
            buf.clear();
        }
    }
}

const HI: u64 = 0x8080_8080_8080_8080;
const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
const ONES: u64 = 0x0101_0101_0101_0101;

/// High bit set in each byte of `x7` (bytes < 0x80) that lies in `lo..=hi`.
#[inline(always)]
fn in_range(x7: u64, lo: u8, hi: u8) -> u64 {
    let ge_lo = x7.wrapping_add(ONES * (0x80 - lo as u64)) & HI;
    let gt_hi = x7.wrapping_add(ONES * (0x7F - hi as u64)) & HI;
    ge_lo & !gt_hi
}

/// The end of the ASCII letters and digits starting at `i`, and whether any is a capital.
/// Eight bytes at a time (SWAR: each byte's top bit is cleared first, so additions never
/// carry into the next byte), then byte by byte for the tail.
#[inline]
fn scan_word(bytes: &[u8], mut i: usize) -> (usize, bool) {
    let n = bytes.len();
    let mut upper = 0u64;
    while i + 8 <= n {
        let mut chunk = [0u8; 8];
        chunk.copy_from_slice(&bytes[i..i + 8]);
        let x = u64::from_le_bytes(chunk);
        let x7 = x & LOW7;
        let ascii = !x & HI;
        let up = in_range(x7, b'A', b'Z') & ascii;
        let word = (in_range(x7, b'0', b'9') | in_range(x7, b'a', b'z') | up) & ascii;
        let stop = !word & HI;
        if stop != 0 {
            let k = stop.trailing_zeros() as usize / 8;
            // Capitals among the first k bytes only.
            let keep = if k == 0 { 0 } else { u64::MAX >> (64 - 8 * k) };
            upper |= up & keep;
            return (i + k, upper != 0);
        }
        upper |= up;
        i += 8;
    }
    let mut up = upper != 0;
    while i < n {
        match CLASS[bytes[i] as usize] {
            LOWER => {}
            UPPER => up = true,
            _ => break,
        }
        i += 1;
    }
    (i, up)
}

const SEP: u8 = 0;
const LOWER: u8 = 1;
const UPPER: u8 = 2;
const HIGH: u8 = 3;

/// Byte classes: ASCII separator, lowercase letter or digit, capital, non-ASCII byte.
static CLASS: [u8; 256] = {
    let mut t = [SEP; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c >= 0x80 {
            HIGH
        } else if c.is_ascii_uppercase() {
            UPPER
        } else if c.is_ascii_alphanumeric() {
            LOWER
        } else {
            SEP
        };
        b += 1;
    }
    t
};

/// Case-folds one character, calling `f` for each character of the result.
#[inline]
fn fold(c: char, mut f: impl FnMut(char)) {
    match c {
        'ß' | 'ẞ' => {
            f('s');
            f('s');
        }
        'ς' => f('σ'),
        _ => c.to_lowercase().for_each(f),
    }
}

#[inline]
fn push_char(buf: &mut Vec<u8>, c: char) {
    let mut tmp = [0u8; 4];
    buf.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
}

/// Removes and returns the last UTF-8 character of `buf` (which holds whole characters).
fn pop_last_char(buf: &mut Vec<u8>) -> Option<char> {
    let mut k = buf.len();
    while k > 0 {
        k -= 1;
        if buf[k] & 0xC0 != 0x80 {
            let c = std::str::from_utf8(&buf[k..]).ok()?.chars().next();
            buf.truncate(k);
            return c;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        Tokenizer::new().normalize(s)
    }

    fn spans(s: &str) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        Tokenizer::new().tokens_into(s, &mut v);
        v.iter().map(|t| (t.start, t.end)).collect()
    }

    #[test]
    fn ascii_case_and_punctuation_fold() {
        assert_eq!(
            norm("The U.S.-led  coalition, said:"),
            "the u s led coalition said"
        );
        assert_eq!(norm("  \n\t "), "");
        assert_eq!(norm("Forces' offensive"), norm("forces’ offensive"));
    }

    #[test]
    fn nfkc_and_case_folding() {
        assert_eq!(norm("ﬁnal ＡＢＣ ①"), "final abc 1");
        assert_eq!(norm("Straße STRASSE"), "strasse strasse");
        assert_eq!(norm("ΟΔΟΣ οδος"), "οδοσ οδοσ");
        // Decomposed and precomposed accents give the same token.
        assert_eq!(norm("Cafe\u{301} CAFÉ"), "café café");
    }

    #[test]
    fn spaceless_scripts_are_one_token_per_character() {
        assert_eq!(norm("东京大学。"), "东 京 大 学");
        assert_eq!(norm("AI技术"), "ai 技 术");
    }

    #[test]
    fn spans_point_into_the_original_text() {
        let text = "Ｈi, “Café\u{301}” 東京!";
        let s = spans(text);
        let words: Vec<&str> = s.iter().map(|&(a, b)| &text[a..b]).collect();
        assert_eq!(words, vec!["Ｈi", "Café\u{301}", "東", "京"]);
    }

    fn collect(s: &str, general: bool) -> Vec<(usize, usize, Vec<u8>)> {
        let mut t = Tokenizer::new();
        let mut v = Vec::new();
        if general {
            t.general(s, 0, s.len(), &mut |a, b, tok: &[u8]| {
                v.push((a, b, tok.to_vec()))
            });
        } else {
            t.for_each(s, |a, b, tok| v.push((a, b, tok.to_vec())));
        }
        v
    }

    /// Words of every length around the 8-byte SWAR chunks, a capital at every position,
    /// ended by every kind of byte: the fast path agrees with the general path.
    #[test]
    fn swar_word_scan_at_chunk_boundaries() {
        for len in 1..20 {
            for cap in 0..=len {
                for end in ["", " ", ".", "é", "日", "\u{301}x", "9Z"] {
                    let mut w: Vec<char> = "abcdefghij0123456789".chars().take(len).collect();
                    if cap < len {
                        w[cap] = w[cap].to_ascii_uppercase();
                    }
                    let s = format!("x {}{end} tail", w.iter().collect::<String>());
                    assert_eq!(collect(&s, false), collect(&s, true), "{s:?}");
                }
            }
        }
    }

    proptest::proptest! {
        /// The ASCII fast path gives exactly what the general path gives.
        #[test]
        fn fast_path_equals_general_path(s in "[a-zA-Z0-9 .,'\\-\n]{0,40}(\\PC{0,6}[a-zA-Z .]{0,8}){0,4}") {
            proptest::prop_assert_eq!(collect(&s, false), collect(&s, true));
        }

        /// Spans are non-empty, on char boundaries and in order (two tokens can share the span
        /// of one base character + marks segment); nothing panics on any input.
        #[test]
        fn spans_are_ordered_char_boundaries(s in "\\PC{0,64}") {
            let v = collect(&s, false);
            let (mut la, mut lb) = (0, 0);
            for (a, b, _) in v {
                proptest::prop_assert!(a >= la && b >= lb && a < b);
                proptest::prop_assert!(s.is_char_boundary(a) && s.is_char_boundary(b));
                la = a;
                lb = b;
            }
        }
    }

    #[test]
    fn token_hash_is_pinned() {
        // Test vector, cross-checked with Python's `xxhash.xxh3_64_intdigest(b"the", TOKEN_SEED)`.
        // Changing it breaks every persisted index and reported hash.
        assert_eq!(token_hash(b"the"), 12_067_667_995_659_873_368);
    }
}
