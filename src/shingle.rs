//! Stage 2: normalised tokens -> the document's shingle set, a sorted, deduplicated
//! `Vec<u64>` of stable shingle hashes.
//!
//! Word shingles (the default, k = 5) are k consecutive tokens. Each token is hashed once
//! ([`crate::normalize::token_hash`], XXH3-64), and a shingle's hash combines its k token
//! hashes `t_1..t_k` ([`combine`]):
//! `h = SHINGLE_SEED; for t in t_1..t_k { h = rotl64((h ^ t) * 0x9E3779B97F4A7C15, 29) };
//! shingle = mix64(h)` with [`crate::minhash::mix64`] (the SplitMix64 finaliser). Each step is
//! a bijection of `h` for a fixed token, so two windows of k tokens that differ collide only by
//! chance (about 2^-64); it costs about 5 instructions a token instead of re-hashing 8k bytes.
//! Character shingles are k consecutive characters of the normalised text (tokens joined by
//! single spaces), hashed as XXH3-64 of their UTF-8 bytes with [`CHAR_SHINGLE_SEED`].
//!
//! A document with fewer than k tokens (or characters) gets one shingle made of all of them,
//! never the empty set: an empty set would make every short text a duplicate of every other.
//! A document with no token at all has no shingles and is reported as empty upstream.
//!
//! The hashes are 64-bit, so two different shingles of a corpus collide with probability
//! about n^2 / 2^65 (n = distinct shingles): negligible for exact verification.

use crate::config::ShingleKind;
use crate::normalize::Tokenizer;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Start value of the combination of k token hashes ("syndup-w").
pub const SHINGLE_SEED: u64 = 0x7379_6e64_7570_2d77;
/// Seed of the XXH3-64 hash over k characters ("syndup-c").
pub const CHAR_SHINGLE_SEED: u64 = 0x7379_6e64_7570_2d63;
/// Start value of the content hash of a whole normalised text ("syndup-h"), see
/// [`Shingler::content_hash`].
pub const CONTENT_SEED: u64 = 0x7379_6e64_7570_2d68;

/// Turns text into shingle sets; holds reusable buffers, so keep one per thread.
#[derive(Debug)]
pub struct Shingler {
    kind: ShingleKind,
    k: usize,
    tokenizer: Tokenizer,
    hashes: Vec<u64>,
    normalized: String,
}

impl Clone for Shingler {
    fn clone(&self) -> Shingler {
        Shingler::new(self.kind, self.k)
    }
}

impl Shingler {
    /// A shingler for `k`-grams of `kind`. `k` is at least 1 (validated by [`crate::Config`]).
    pub fn new(kind: ShingleKind, k: usize) -> Shingler {
        Shingler {
            kind,
            k: k.max(1),
            tokenizer: Tokenizer::new(),
            hashes: Vec::new(),
            normalized: String::new(),
        }
    }

    /// Replaces `out` with the sorted, deduplicated shingle hashes of `text` and returns the
    /// number of tokens (0 means the text has no words: `out` is then empty).
    pub fn shingles_into(&mut self, text: &str, out: &mut Vec<u64>) -> usize {
        let n = self.shingles_unsorted_into(text, out);
        out.sort_unstable();
        out.dedup();
        n
    }

    /// Like [`Shingler::shingles_into`] but in text order, repeats included. MinHash does not
    /// need a set, and sorting is a large share of the per-document cost, so the detector sorts
    /// only the documents that LSH makes candidates.
    pub fn shingles_unsorted_into(&mut self, text: &str, out: &mut Vec<u64>) -> usize {
        out.clear();
        let n = match self.kind {
            ShingleKind::Word => {
                self.hashes.clear();
                self.tokenizer.hashes_into(text, &mut self.hashes);
                word_shingles(&self.hashes, self.k, out);
                self.hashes.len()
            }
            ShingleKind::Char => {
                self.normalized = self.tokenizer.normalize(text);
                char_shingles(&self.normalized, self.k, out);
                self.normalized.split(' ').filter(|w| !w.is_empty()).count()
            }
        };
        n
    }

    /// A stable 64-bit hash of the whole normalised content of the text last given to
    /// [`Shingler::shingles_into`] or [`Shingler::shingles_unsorted_into`]: two texts get the
    /// same value when they normalise to the same token sequence (word shingles) or the same
    /// normalised text (character shingles). The streaming filter calls such records exact
    /// duplicates. Word shingles: the token hashes folded like [`combine`] from
    /// [`CONTENT_SEED`], then the token count, then [`crate::minhash::mix64`]; character
    /// shingles: XXH3-64 of the normalised text with [`CONTENT_SEED`]. Pinned by a test vector.
    pub fn content_hash(&self) -> u64 {
        match self.kind {
            ShingleKind::Word => content_hash_of(&self.hashes),
            ShingleKind::Char => xxh3_64_with_seed(self.normalized.as_bytes(), CONTENT_SEED),
        }
    }
}

/// The content hash of a word-shingled text from its token hashes (see
/// [`Shingler::content_hash`]).
pub fn content_hash_of(tokens: &[u64]) -> u64 {
    let mut h = CONTENT_SEED;
    for &t in tokens.iter().chain([&(tokens.len() as u64)]) {
        h = (h ^ t).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
    }
    crate::minhash::mix64(h)
}

/// The hash of one word shingle from its token hashes (see the module documentation).
#[inline]
pub fn combine(tokens: &[u64]) -> u64 {
    let mut h = SHINGLE_SEED;
    for &t in tokens {
        h = (h ^ t).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
    }
    crate::minhash::mix64(h)
}

/// Appends the hashes of the `k`-grams over `tokens` (one shingle when fewer than `k`).
///
/// `k` up to 8 runs a copy of the loop with `k` fixed at compile time (the rounds unrolled, no
/// bounds checks), the same arithmetic as [`combine`].
pub fn word_shingles(tokens: &[u64], k: usize, out: &mut Vec<u64>) {
    if tokens.is_empty() {
        return;
    }
    if tokens.len() <= k {
        out.push(combine(tokens));
        return;
    }
    // Reserved once: the buffer is often taken by the caller, so it would regrow each time.
    out.reserve(tokens.len() - k + 1);
    match k {
        1 => fixed_windows::<1>(tokens, out),
        2 => fixed_windows::<2>(tokens, out),
        3 => fixed_windows::<3>(tokens, out),
        4 => fixed_windows::<4>(tokens, out),
        5 => fixed_windows::<5>(tokens, out),
        6 => fixed_windows::<6>(tokens, out),
        7 => fixed_windows::<7>(tokens, out),
        8 => fixed_windows::<8>(tokens, out),
        _ => out.extend(tokens.windows(k).map(combine)),
    }
}

/// [`word_shingles`] for `K`-grams over at least `K` tokens.
#[inline]
fn fixed_windows<const K: usize>(tokens: &[u64], out: &mut Vec<u64>) {
    out.extend(tokens.windows(K).map(|w| {
        let mut h = SHINGLE_SEED;
        for &t in &w[..K] {
            h = (h ^ t).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
        }
        crate::minhash::mix64(h)
    }));
}

/// Appends the hashes of the character `k`-grams of `normalized`.
fn char_shingles(normalized: &str, k: usize, out: &mut Vec<u64>) {
    if normalized.is_empty() {
        return;
    }
    let bounds: Vec<usize> = normalized
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(normalized.len()))
        .collect();
    let chars = bounds.len() - 1;
    if chars <= k {
        out.push(xxh3_64_with_seed(normalized.as_bytes(), CHAR_SHINGLE_SEED));
        return;
    }
    for w in bounds.windows(k + 1) {
        out.push(xxh3_64_with_seed(
            &normalized.as_bytes()[w[0]..w[k]],
            CHAR_SHINGLE_SEED,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(kind: ShingleKind, k: usize, text: &str) -> Vec<u64> {
        let mut out = Vec::new();
        Shingler::new(kind, k).shingles_into(text, &mut out);
        out
    }

    #[test]
    fn word_shingle_count_and_dedup() {
        let s = set(ShingleKind::Word, 2, "a b c a b");
        // a b, b c, c a, (a b again)
        assert_eq!(s.len(), 3);
        assert!(s.windows(2).all(|w| w[0] < w[1]));
    }

    /// The compile-time copies of the loop give what [`combine`] gives, for every `k`.
    #[test]
    fn fixed_k_loops_equal_combine() {
        let tokens: Vec<u64> = (0..40).map(crate::minhash::mix64).collect();
        for k in 1..=10 {
            for n in [1, k, k + 1, 40] {
                let mut out = vec![9];
                word_shingles(&tokens[..n], k, &mut out);
                let want: Vec<u64> = if n <= k {
                    vec![combine(&tokens[..n])]
                } else {
                    tokens[..n].windows(k).map(combine).collect()
                };
                assert_eq!(out[0], 9);
                assert_eq!(out[1..], want[..], "k {k} n {n}");
            }
        }
    }

    #[test]
    fn short_texts_get_one_shingle_and_differ() {
        let a = set(ShingleKind::Word, 5, "Breaking news");
        let b = set(ShingleKind::Word, 5, "Weather today");
        assert_eq!(a.len(), 1);
        assert_eq!(b.len(), 1);
        assert_ne!(a, b);
        assert!(set(ShingleKind::Word, 5, " ... ").is_empty());
    }

    #[test]
    fn normalisation_makes_shingles_equal() {
        assert_eq!(
            set(ShingleKind::Word, 3, "The  Quick, brown fox!"),
            set(ShingleKind::Word, 3, "the quick brown FOX")
        );
        assert_eq!(
            set(ShingleKind::Char, 4, "Hello World"),
            set(ShingleKind::Char, 4, "hello,   world")
        );
    }

    #[test]
    fn shingle_hashes_are_pinned() {
        // Test vectors for the documented hash: word 5-gram over "the quick brown fox jumps",
        // and character 5-gram "hello". Changing them invalidates persisted data.
        let w = set(ShingleKind::Word, 5, "The quick brown fox jumps");
        let c = set(ShingleKind::Char, 5, "Hello");
        assert_eq!((w[0], c[0]), PINNED);
    }

    #[test]
    fn content_hash_follows_normalisation_and_is_pinned() {
        let mut sh = Shingler::new(ShingleKind::Word, 5);
        let mut out = Vec::new();
        sh.shingles_unsorted_into("The quick brown fox jumps", &mut out);
        let a = sh.content_hash();
        sh.shingles_unsorted_into("the QUICK, brown fox... jumps!", &mut out);
        assert_eq!(sh.content_hash(), a);
        sh.shingles_unsorted_into("the quick brown fox jumps jumps", &mut out);
        assert_ne!(sh.content_hash(), a);
        // Changing this value invalidates persisted indexes (bump the index format).
        assert_eq!(a, PINNED_CONTENT);
        let mut ch = Shingler::new(ShingleKind::Char, 5);
        ch.shingles_unsorted_into("Hello  World", &mut out);
        let c = ch.content_hash();
        ch.shingles_unsorted_into("hello world", &mut out);
        assert_eq!(ch.content_hash(), c);
    }

    const PINNED_CONTENT: u64 = 7_197_421_506_502_751_799;

    /// Cross-checked with Python (xxhash for the token hashes, the combination and SplitMix64
    /// finaliser written out) and `xxh3_64_intdigest(b"hello", CHAR_SHINGLE_SEED)`.
    const PINNED: (u64, u64) = (13_919_467_192_254_902_066, 3_349_242_588_301_439_750);
}
