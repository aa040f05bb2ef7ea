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
    match short_xxh3::hash_folded(normalized, 0) {
        Some(h) => h,
        None => xxh3_64_with_seed(normalized, TOKEN_SEED),
    }
}

/// [`token_hash`] of `bytes` (ASCII letters and digits) lowercased, where bit `i` of `upper`
/// is set exactly when byte `i` is a capital; up to 16 bytes, the lowercased token is never
/// written out.
#[inline(always)]
fn token_hash_folded(bytes: &[u8], upper: u64) -> u64 {
    // No test of `upper == 0` first: a capitalised word is one in five or so, at random, so
    // the branch would be mispredicted often, and folding no capitals costs two table reads.
    match short_xxh3::hash_folded(bytes, upper) {
        Some(h) => h,
        None => long_token_hash_folded(bytes, upper),
    }
}

/// [`token_hash_folded`] of the token `text[start..end]`: a token of 1 to 8 bytes (most of
/// them) is hashed without a branch on its length (see [`short_xxh3::hash_1to8_in`]).
#[inline(always)]
fn token_hash_in(text: &[u8], start: usize, end: usize, upper: u64) -> u64 {
    match short_xxh3::hash_1to8_in(text, start, end, upper) {
        Some(h) => h,
        None => token_hash_folded(&text[start..end], upper),
    }
}

/// [`token_hash_folded`] of a token longer than 16 bytes (rare): lowercased, then hashed.
#[cold]
#[inline(never)]
fn long_token_hash_folded(bytes: &[u8], upper: u64) -> u64 {
    if upper == 0 {
        return token_hash(bytes);
    }
    let mut lower = bytes.to_vec();
    lower.make_ascii_lowercase();
    token_hash(&lower)
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

/// Reusable tokeniser state: the buffer of the token being built and the byte classes of the
/// text (see [`Tokenizer::for_each`]).
#[derive(Debug, Default)]
pub struct Tokenizer {
    buf: Vec<u8>,
    bits: Vec<Bits>,
}

impl Tokenizer {
    /// A tokeniser with an empty buffer.
    pub fn new() -> Tokenizer {
        Tokenizer::default()
    }

    /// Appends the hashes of `text`'s tokens to `out`, in order.
    pub fn hashes_into(&mut self, text: &str, out: &mut Vec<u64>) {
        let bytes = text.as_bytes();
        let mut runs = self.runs(text);
        while let Some(run) = self.next_run(&mut runs) {
            match run {
                Run::Ascii(start, end, upper) => out.push(token_hash_in(bytes, start, end, upper)),
                Run::Other(start, end) => {
                    self.other(text, start, end, &mut |_, _, tok| out.push(token_hash(tok)))
                }
            }
        }
    }

    /// Appends `text`'s tokens with their byte spans to `out`, in order.
    pub fn tokens_into(&mut self, text: &str, out: &mut Vec<Token>) {
        let bytes = text.as_bytes();
        let mut runs = self.runs(text);
        while let Some(run) = self.next_run(&mut runs) {
            match run {
                Run::Ascii(start, end, upper) => out.push(Token {
                    start,
                    end,
                    hash: token_hash_in(bytes, start, end, upper),
                }),
                Run::Other(start, end) => self.other(text, start, end, &mut |start, end, tok| {
                    out.push(Token {
                        start,
                        end,
                        hash: token_hash(tok),
                    })
                }),
            }
        }
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
    /// Fast path: the text is first classified 64 bytes at a time into three bitmaps (bytes
    /// that are not ASCII separators, ASCII capitals, non-ASCII bytes; SSE2 on x86-64, a table
    /// elsewhere); tokens are then the runs of set bits of the first, found
    /// with `trailing_zeros`, a few instructions a token whatever its length. A run of ASCII
    /// letters and digits is handed over in place (lowercased first only when the capitals
    /// bitmap has a bit in it; the hashing entry points fold the capitals into the hash
    /// instead). A run that contains any non-ASCII byte goes to the general
    /// path (NFKC, Unicode case folding, spaceless scripts). ASCII punctuation and whitespace
    /// always end a token in both paths, so cutting the text at them first changes nothing
    /// (`fast_path_equals_general_path`).
    pub fn for_each<F: FnMut(usize, usize, &[u8])>(&mut self, text: &str, mut emit: F) {
        let bytes = text.as_bytes();
        let mut runs = self.runs(text);
        while let Some(run) = self.next_run(&mut runs) {
            match run {
                Run::Ascii(start, end, 0) => emit(start, end, &bytes[start..end]),
                Run::Ascii(start, end, _) => {
                    // An `Ascii` run is at most 64 bytes.
                    let mut lower = [0u8; 64];
                    let lower = &mut lower[..end - start];
                    lower.copy_from_slice(&bytes[start..end]);
                    lower.make_ascii_lowercase();
                    emit(start, end, lower);
                }
                Run::Other(start, end) => self.other(text, start, end, &mut emit),
            }
        }
    }

    /// Classifies `text` for [`Tokenizer::next_run`].
    fn runs(&mut self, text: &str) -> Runs {
        classify(text.as_bytes(), &mut self.bits);
        Runs {
            w: 0,
            m: self.bits.first().map_or(0, |b| b.word),
            len: text.len(),
        }
    }

    /// The next run of non-separator bytes of the text given to [`Tokenizer::runs`].
    #[inline(always)]
    fn next_run(&self, r: &mut Runs) -> Option<Run> {
        let words = self.bits.len();
        // The run's first byte...
        while r.m == 0 {
            r.w += 1;
            if r.w >= words {
                return None;
            }
            r.m = self.bits[r.w].word;
        }
        let s = r.m.trailing_zeros();
        let start = r.w * 64 + s as usize;
        // ... and the first separator after it.
        let gap = !r.m & (u64::MAX << s);
        if gap != 0 {
            // The usual case: the run ends inside this block (`e > s`, as bit `s` is set).
            let e = gap.trailing_zeros();
            let run = (u64::MAX << s) & !(u64::MAX << e);
            r.m &= u64::MAX << e;
            let b = self.bits[r.w];
            let end = r.w * 64 + e as usize;
            return Some(if b.high & run != 0 {
                Run::Other(start, end)
            } else {
                Run::Ascii(start, end, (b.upper & run) >> s)
            });
        }
        // The run goes on into the next blocks (bits past the end of the text are clear, so
        // it ends at the end of the text at the latest).
        let first = r.w;
        let mut gap = 0;
        while gap == 0 {
            r.w += 1;
            if r.w >= words {
                r.m = 0;
                return Some(Run::Other(start, r.len));
            }
            gap = !self.bits[r.w].word;
        }
        r.m = self.bits[r.w].word & !(gap ^ (gap - 1));
        let e = gap.trailing_zeros();
        let end = r.w * 64 + e as usize;
        // A run of at most 64 bytes over two blocks (a word across a block boundary, about
        // one a block in news) is `Ascii` too when neither part has a non-ASCII byte: its
        // capitals are the first block's from `s` on, then the second's below `e`.
        if r.w == first + 1 && e <= s {
            let (a, b) = (self.bits[first], self.bits[r.w]);
            let tail = !(u64::MAX << e);
            if (a.high >> s) | (b.high & tail) == 0 {
                // `e <= s`, so `s > 0` when `e > 0`: the shift is below 64 when it matters.
                let upper = (a.upper >> s) | (b.upper & tail).checked_shl(64 - s).unwrap_or(0);
                return Some(Run::Ascii(start, end, upper));
            }
        }
        Some(Run::Other(start, end))
    }

    /// The tokens of an [`Run::Other`] run: the general path when it holds a non-ASCII byte,
    /// else one ASCII token (lowercased).
    #[inline(never)]
    fn other<F: FnMut(usize, usize, &[u8])>(
        &mut self,
        text: &str,
        start: usize,
        end: usize,
        emit: &mut F,
    ) {
        let run = &text.as_bytes()[start..end];
        if !run.is_ascii() {
            self.general(text, start, end, emit);
        } else if run.iter().any(u8::is_ascii_uppercase) {
            self.buf.clear();
            self.buf.extend(run.iter().map(u8::to_ascii_lowercase));
            emit(start, end, &self.buf);
        } else {
            emit(start, end, run);
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

/// The classes of 64 bytes of text, one bit a byte (bit `i` is byte `i` of the block).
#[derive(Debug, Clone, Copy, Default)]
struct Bits {
    /// Not an ASCII separator: an ASCII letter or digit, or any non-ASCII byte.
    word: u64,
    /// An ASCII capital.
    upper: u64,
    /// A non-ASCII byte.
    high: u64,
}

/// Fills `out` with the [`Bits`] of every 64-byte block of `bytes` (bits past the end are
/// clear).
fn classify(bytes: &[u8], out: &mut Vec<Bits>) {
    out.clear();
    out.reserve(bytes.len().div_ceil(64));
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2, checked just above.
        classify_with(bytes, out, |b| unsafe { classify_block_avx2(b) });
        return;
    }
    classify_with(bytes, out, classify_block);
}

/// [`classify`] by `block`, which gives the bits of one block.
#[inline(always)]
fn classify_with(bytes: &[u8], out: &mut Vec<Bits>, block: impl Fn(&[u8; 64]) -> Bits) {
    let mut blocks = bytes.chunks_exact(64);
    for b in &mut blocks {
        out.push(block(b.try_into().unwrap_or(&[0; 64])));
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        // NUL is a separator, so padding the last block with it adds no token.
        let mut padded = [0u8; 64];
        padded[..tail.len()].copy_from_slice(tail);
        out.push(block(&padded));
    }
}

/// `lo <= x <= hi` per byte, signed (bytes >= 0x80 are negative, below every range tested).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn within_avx2(x: std::arch::x86_64::__m256i, lo: u8, hi: u8) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    _mm256_and_si256(
        _mm256_cmpgt_epi8(x, _mm256_set1_epi8(lo as i8 - 1)),
        _mm256_cmpgt_epi8(_mm256_set1_epi8(hi as i8 + 1), x),
    )
}

/// [`classify_block`] with 32-byte AVX2 compares instead of 16 (the build targets the x86-64
/// baseline, SSE2).
///
/// # Safety
/// The processor must have AVX2.
#[cfg(target_arch = "x86_64")]
#[inline]
unsafe fn classify_block_avx2(block: &[u8; 64]) -> Bits {
    let (lo, hi) = block.split_at(32);
    // SAFETY: the caller checked for AVX2.
    let (lo, hi) = unsafe { (classify_half_avx2(lo), classify_half_avx2(hi)) };
    let join = |k: usize| lo[k] as u64 | (hi[k] as u64) << 32;
    Bits {
        word: join(0),
        upper: join(1),
        high: join(2),
    }
}

/// `[word, upper, high]` of 32 bytes. Not inlined: inlined, LLVM merges the two halves' mask
/// moves into one of a 64-byte vector, which AVX2 lacks, and spells it out byte by byte.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline(never)]
fn classify_half_avx2(half: &[u8]) -> [u32; 3] {
    use std::arch::x86_64::*;
    assert!(half.len() >= 32);
    // SAFETY: `half` holds 32 readable bytes (checked); `loadu` needs no alignment.
    let v = unsafe { _mm256_loadu_si256(half.as_ptr().cast()) };
    let letter = within_avx2(_mm256_or_si256(v, _mm256_set1_epi8(0x20)), b'a', b'z');
    let digit = within_avx2(v, b'0', b'9');
    let high = _mm256_movemask_epi8(v) as u32;
    [
        _mm256_movemask_epi8(_mm256_or_si256(letter, digit)) as u32 | high,
        _mm256_movemask_epi8(within_avx2(v, b'A', b'Z')) as u32,
        high,
    ]
}

/// Where [`Tokenizer::next_run`] is in a text.
struct Runs {
    /// The block being read.
    w: usize,
    /// Its non-separator bits not yet consumed.
    m: u64,
    /// The text's length.
    len: usize,
}

/// A run of non-separator bytes, `start..end`.
enum Run {
    /// ASCII letters and digits, at most 64 bytes, within one 64-byte block or across the
    /// boundary of two; bit `i` of the `u64` set when byte `start + i` is a capital.
    Ascii(usize, usize, u64),
    /// Any other run: one with non-ASCII bytes, or one longer than 64 bytes or over more than
    /// two blocks.
    Other(usize, usize),
}

/// [`Bits`] of one block: SSE2, part of every x86-64 processor.
#[cfg(target_arch = "x86_64")]
#[inline]
fn classify_block(block: &[u8; 64]) -> Bits {
    use std::arch::x86_64::*;
    let mut out = Bits::default();
    for (k, chunk) in block.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is enabled on every x86-64 target (it is part of the architecture's
        // baseline), and `chunk` is 16 readable bytes (`loadu` has no alignment requirement).
        let (word, upper, high) = unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().cast());
            // Signed comparisons: bytes >= 0x80 are negative, below every range tested here.
            let within = |x: __m128i, lo: u8, hi: u8| {
                _mm_and_si128(
                    _mm_cmpgt_epi8(x, _mm_set1_epi8(lo as i8 - 1)),
                    _mm_cmplt_epi8(x, _mm_set1_epi8(hi as i8 + 1)),
                )
            };
            let letter = within(_mm_or_si128(v, _mm_set1_epi8(0x20)), b'a', b'z');
            let digit = within(v, b'0', b'9');
            let upper = within(v, b'A', b'Z');
            let high = _mm_movemask_epi8(v) as u16 as u64;
            let word = _mm_movemask_epi8(_mm_or_si128(letter, digit)) as u16 as u64 | high;
            (word, _mm_movemask_epi8(upper) as u16 as u64, high)
        };
        out.word |= word << (16 * k);
        out.upper |= upper << (16 * k);
        out.high |= high << (16 * k);
    }
    out
}

/// [`Bits`] of one block, portable: the byte-class table.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline]
fn classify_block_portable(block: &[u8; 64]) -> Bits {
    let mut out = Bits::default();
    for (i, &b) in block.iter().enumerate() {
        let c = CLASS[b as usize];
        out.word |= ((c != SEP) as u64) << i;
        out.upper |= ((c == UPPER) as u64) << i;
        out.high |= ((c == HIGH) as u64) << i;
    }
    out
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn classify_block(block: &[u8; 64]) -> Bits {
    classify_block_portable(block)
}

mod short_xxh3;

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

    /// Words of every length, a capital at every position, ended by every kind of byte: the
    /// fast path agrees with the general path.
    #[test]
    fn word_scan_agrees_with_the_general_path() {
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

    /// The hashing entry points (which fold capitals into the hash, also for a word across
    /// two blocks) give the hashes of the general path's tokens, with its spans.
    fn assert_hashing_agrees(s: &str) {
        let want: Vec<(usize, usize, u64)> = collect(s, true)
            .into_iter()
            .map(|(a, b, tok)| (a, b, token_hash(&tok)))
            .collect();
        let mut t = Tokenizer::new();
        let (mut hashes, mut tokens) = (Vec::new(), Vec::new());
        t.hashes_into(s, &mut hashes);
        t.tokens_into(s, &mut tokens);
        let got: Vec<(usize, usize, u64)> =
            tokens.iter().map(|t| (t.start, t.end, t.hash)).collect();
        assert_eq!(got, want, "{s:?}");
        assert_eq!(
            hashes,
            want.iter().map(|x| x.2).collect::<Vec<_>>(),
            "{s:?}"
        );
    }

    /// Words that straddle the 64-byte blocks of the classifier, runs longer than a block and
    /// texts whose length is a multiple of 64 give what the general path gives.
    #[test]
    fn runs_across_block_boundaries() {
        for pad in 0..70 {
            for word in [
                "AbcdeFgh",
                "xyz",
                "Naïve",
                "q",
                &"Z9".repeat(40),
                "東京",
                &"aBc".repeat(21),
                &"Xy".repeat(32),
                "MiXeDcAsEwOrDsTrAdDlInG",
            ] {
                let s = format!("{}{word} tail.{}", ".".repeat(pad), "b".repeat(pad % 7));
                assert_eq!(collect(&s, false), collect(&s, true), "{s:?}");
                assert_hashing_agrees(&s);
                let t = format!("{}{word}", " ".repeat(pad));
                assert_eq!(collect(&t, false), collect(&t, true), "{t:?}");
                assert_hashing_agrees(&t);
            }
        }
        let exact = "word ".repeat(64); // 320 bytes: five full blocks
        assert_eq!(collect(&exact, false).len(), 64);
        let one = "a".repeat(128);
        assert_eq!(
            collect(&one, false),
            vec![(0, 128, one.as_bytes().to_vec())]
        );
        assert!(collect("", false).is_empty());
    }

    /// Hashing with the capitals folded in equals hashing the lowercased token, for every
    /// length up to a block and every pattern of capitals; and the hashing entry points agree
    /// with `for_each` + `token_hash`.
    #[test]
    fn folded_hashes_equal_hashes_of_lowercased_tokens() {
        let mut state = 11u64;
        for len in 1..=64 {
            for _ in 0..200 {
                let mut upper = 0u64;
                let tok: Vec<u8> = (0..len)
                    .map(|i| {
                        state = crate::minhash::mix64(state ^ i as u64);
                        let c = b"abcdefghijklmnopqrstuvwxyz0123456789"[(state % 36) as usize];
                        if c.is_ascii_lowercase() && state >> 40 & 1 == 1 {
                            upper |= 1 << i;
                            c.to_ascii_uppercase()
                        } else {
                            c
                        }
                    })
                    .collect();
                let lower = tok.to_ascii_lowercase();
                assert_eq!(
                    token_hash_folded(&tok, upper),
                    token_hash(&lower),
                    "{tok:?}"
                );
            }
        }
        let text = format!(
            "The QUICK brown Fox, {} naïve ΟΔΟΣ 東京 {} end",
            "AbC".repeat(30),
            "x".repeat(70)
        );
        let mut t = Tokenizer::new();
        let (mut hashes, mut tokens, mut via) = (Vec::new(), Vec::new(), Vec::new());
        t.hashes_into(&text, &mut hashes);
        t.tokens_into(&text, &mut tokens);
        t.for_each(&text, |_, _, tok| via.push(token_hash(tok)));
        assert_eq!(hashes, via);
        assert_eq!(tokens.iter().map(|t| t.hash).collect::<Vec<_>>(), via);
    }

    /// A token hashed in place in its text ([`token_hash_in`], no branch on the length up to
    /// 8 bytes) hashes as the token on its own, wherever it lies: at the start and the end
    /// of the text, in texts of 1 to 20 bytes, with and without capitals.
    #[test]
    fn tokens_hashed_in_their_text_hash_as_themselves() {
        let mut state = 5u64;
        for text_len in 1..=20usize {
            for _ in 0..100 {
                let text: Vec<u8> = (0..text_len)
                    .map(|i| {
                        state = crate::minhash::mix64(state ^ i as u64);
                        b"abcXYZ019 ."[(state % 11) as usize]
                    })
                    .collect();
                for start in 0..text_len {
                    for end in start + 1..=text_len {
                        let tok = &text[start..end];
                        let upper = tok
                            .iter()
                            .enumerate()
                            .fold(0u64, |u, (i, c)| u | (c.is_ascii_uppercase() as u64) << i);
                        assert_eq!(
                            token_hash_in(&text, start, end, upper),
                            token_hash(&tok.to_ascii_lowercase()),
                            "{text:?} {start}..{end}"
                        );
                    }
                }
            }
        }
    }

    /// The SSE2 classifier and the portable table agree on every byte value at every position.
    #[test]
    fn block_classifiers_agree() {
        let mut state = 1u64;
        for round in 0..2000 {
            let mut block = [0u8; 64];
            for (i, b) in block.iter_mut().enumerate() {
                state = crate::minhash::mix64(state.wrapping_add(i as u64));
                *b = if round < 4 {
                    (round * 64 + i) as u8
                } else {
                    state as u8
                };
            }
            let (a, b) = (classify_block(&block), classify_block_portable(&block));
            assert_eq!((a.word, a.upper, a.high), (b.word, b.upper, b.high));
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the processor has AVX2.
                let c = unsafe { classify_block_avx2(&block) };
                assert_eq!((c.word, c.upper, c.high), (b.word, b.upper, b.high));
            }
        }
    }

    /// The written-out short XXH3 is the library's XXH3 for every length it covers.
    #[test]
    fn token_hash_matches_the_library() {
        let mut state = 7u64;
        for len in 0..=40 {
            for _ in 0..300 {
                let bytes: Vec<u8> = (0..len)
                    .map(|i| {
                        state = crate::minhash::mix64(state ^ i as u64);
                        state as u8
                    })
                    .collect();
                assert_eq!(
                    token_hash(&bytes),
                    xxh3_64_with_seed(&bytes, TOKEN_SEED),
                    "{bytes:?}"
                );
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
