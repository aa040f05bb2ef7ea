//! Sentence repeats: sentences -> near-repeats within and across documents, and boilerplate.
//!
//! Input: each document's sentences ([`crate::sentence`]) with their normalised tokens
//! ([`crate::normalize`]). Output: groups of sentence occurrences ([`Group`]) and boilerplate
//! sentences ([`Boilerplate`]), which a report lists as repeats of kind `within_document`,
//! `cross_document` or `boilerplate`. The stage runs beside the document pipeline: its boilerplate is left out of
//! document shingles, and the document clusters tell it which cross-document repeats are
//! already explained.
//!
//! **Why a profile of its own.** Document settings (word 5-grams, Jaccard 0.8) cannot see a
//! sentence said twice with small edits: one changed word removes five 5-grams of about
//! twenty. A sentence is compared by its *word set* (normalised unigrams), the
//! short-text profile that measured best on the MSR paraphrase corpus (word 1-2-grams and
//! character 5-grams lose more near-copies at the same precision; see `benches/sentences.rs`).
//! Two sentences are a near-repeat when
//! - both have at least `min_words` words besides numbers (shorter ones are trivial: "He said
//!   so."; and a line of figures is not a sentence: "Oper shr 42 cts vs 41 cts" and "Oper shr
//!   16 cts vs 14 cts", rows of an earnings table, share every word but the figures, and were
//!   three in four of the within-document repeats reported on the 100k news benchmark corpus
//!   while their tokens counted; see [`has_words`]),
//! - neither is structure: on a table row, list item or tab-separated line, or one of three or
//!   more consecutive bare lines, a table set as plain text ([`crate::sentence::bare_line`]),
//! - their word counts are within `length_ratio` of each other (shorter / longer), which keeps
//!   a sentence from matching the longer one that merely contains it,
//! - the Jaccard similarity of their word sets, an exact ratio of integer counts, is at least
//!   `threshold`, and
//! - with `numbers_must_match` (off by default), they do not each hold a number the other
//!   lacks: "rose 3.1 percent" and "rose 4.2 percent" are then different facts, not a repeat.
//!   On the MSR paraphrase corpus this check removes more pairs its annotators call
//!   paraphrases (rounded or updated figures) than pairs they do not, so it is a choice for
//!   corpora where a changed figure is a different fact.
//!
//! **Within a document** every pair of sentences is compared exactly (a page has tens of
//! sentences; a bound from 128-bit word masks skips most pairs without merging their sets).
//! **Across documents** (with [`crate::SentenceMode::Full`]) identical sentences (same
//! normalised token sequence) are grouped by hash, and near-repeats are found with MinHash
//! LSH (Broder 1997; MMDS ch. 3) over each sentence's content words — its word set
//! without the corpus's most frequent words, which short sentences share by the dozen and
//! which would otherwise flood the LSH buckets — then verified exactly like the rest.
//! Cross-document evidence between two documents of the same near-duplicate cluster is not
//! reported: the cluster already says those documents share their text.
//!
//! **Boilerplate.** A sentence (or line: a line break ends a headline, caption or list item)
//! is boilerplate when it occurs in at least `boilerplate_cutoff` documents *and* in most of
//! them sentences found in other documents make up less than half of the words. The second
//! condition keeps a story syndicated to hundreds of sites from being called boilerplate: its
//! sentences recur as often as a footer, but each copy shares most of its sentences with the
//! other copies (even a heavily edited one keeps many verbatim), while a footer ("Reuter",
//! "Related News:", a cookie notice) sits on unrelated pages whose own text is theirs alone. Boilerplate is reported
//! with its document frequency and by default left out of document shingling.
//!
//! Groups are made like document clusters, with the same guard against chaining: the first
//! sentence of a set of linked sentences is the representative, and a sentence joins its group
//! only if it repeats the representative itself. The reported similarity is the lowest of a
//! member to the representative; groups are listed in input order.

use crate::config::SentenceConfig;
use crate::normalize::Token;
use crate::sentence::{Segmenter, Span};
use crate::verify::Similarity;
use rayon::prelude::*;

/// Start value of a sentence's hash over its token hashes ("syndup-s").
pub const SENTENCE_SEED: u64 = 0x7379_6e64_7570_2d73;

/// The hash of a sentence's normalised token sequence: the word-shingle combination
/// ([`crate::shingle::combine`]) started from [`SENTENCE_SEED`]. Sentences that normalise to
/// the same words in the same order have the same hash.
#[inline]
pub fn sentence_hash(tokens: &[u64]) -> u64 {
    let mut h = SENTENCE_SEED;
    for &t in tokens {
        h = (h ^ t).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
    }
    crate::minhash::mix64(h ^ tokens.len() as u64)
}

/// True when `tokens` (a sentence's, in `text`) hold at least `min` words that are not
/// numbers. A number is a token that starts with a digit, as [`numbers_into`] reads them, so
/// "2,005,000" (three tokens) and "4th" are not words. Looks at tokens only until the answer
/// is known.
pub fn has_words(text: &str, tokens: &[Token], min: usize) -> bool {
    let mut words = 0;
    for (k, t) in tokens.iter().enumerate() {
        if words >= min {
            return true;
        }
        if words + (tokens.len() - k) < min {
            return false;
        }
        words += !is_number(text, t) as usize;
    }
    words >= min
}

/// True when token `t` of `text` is a number: its first character is numeric (one byte
/// test for ASCII).
#[inline(always)]
fn is_number(text: &str, t: &Token) -> bool {
    match text.as_bytes()[t.start] {
        b if b < 0x80 => b.is_ascii_digit(),
        _ => text[t.start..t.end]
            .chars()
            .next()
            .is_some_and(char::is_numeric),
    }
}

/// One sentence of a document: its span and the range of its tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocSentence {
    /// Byte span in the original text.
    pub span: Span,
    /// Index of its first token among the document's tokens.
    pub first_token: usize,
    /// Number of tokens (words).
    pub words: usize,
    /// It starts on a table row, a list item or a tab-separated line
    /// ([`crate::sentence::line_kind`]), or is a row of a table of bare lines
    /// ([`crate::sentence::bare_line`]): never a near-repeat (it can be boilerplate).
    pub structure: bool,
}

/// Cuts `text` into sentences and gives each its tokens; sentences without a token are
/// dropped, and every token belongs to exactly one sentence (a token outside every span joins
/// the sentence after it, or the last one), so the sentences' word counts add up to
/// `tokens.len()`. Deterministic: the report re-runs it to find spans again.
pub fn doc_sentences_into(
    text: &str,
    tokens: &[Token],
    seg: &mut Segmenter,
    spans: &mut Vec<Span>,
    out: &mut Vec<DocSentence>,
) {
    out.clear();
    spans.clear();
    seg.sentences_into(text, spans);
    let mut lines = crate::sentence::LineTracker::new();
    let tracked = seg.may_have_structure(text);
    let mut ti = 0;
    for sp in spans.iter() {
        let t0 = ti;
        // A walk, not a binary search: a sentence is a few dozen tokens, and the search's
        // unpredictable branches cost more than stepping over them (each token is passed
        // once for the whole text). Strides of 8 first, then single steps.
        while ti + 8 <= tokens.len() && tokens[ti + 7].start < sp.end {
            ti += 8;
        }
        while ti < tokens.len() && tokens[ti].start < sp.end {
            ti += 1;
        }
        if ti > t0 {
            out.push(DocSentence {
                span: *sp,
                first_token: t0,
                words: ti - t0,
                structure: tracked && lines.structure_marked(text, seg.line_feeds(), sp.start),
            });
        }
    }
    if ti < tokens.len() {
        match out.last_mut() {
            Some(last) => last.words += tokens.len() - ti,
            None => out.push(DocSentence {
                span: Span {
                    start: tokens[0].start,
                    end: tokens[tokens.len() - 1].end,
                },
                first_token: 0,
                words: tokens.len(),
                structure: false,
            }),
        }
    }
    mark_line_tables(text, out);
}

/// Marks as structure the sentences of every run of at least
/// [`crate::sentence::TABLE_LINES`] bare lines ([`crate::sentence::bare_line`]) on
/// consecutive lines: a table set as plain text, whose rows differ only in their figures.
fn mark_line_tables(text: &str, out: &mut [DocSentence]) {
    use crate::sentence::{bare_line, next_line, TABLE_LINES};
    let bare = |s: &DocSentence| bare_line(text, s.span.start, s.span.end);
    let mut i = 0;
    while i < out.len() {
        if !bare(&out[i]) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < out.len()
            && next_line(text, out[j - 1].span.end, out[j].span.start)
            && bare(&out[j])
        {
            j += 1;
        }
        if j - i >= TABLE_LINES {
            for s in &mut out[i..j] {
                s.structure = true;
            }
        }
        i = j;
    }
}

/// What a sentence is compared by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Word count, repeats included.
    pub words: u32,
    /// Sorted, deduplicated word hashes.
    pub set: Vec<u64>,
    /// Sorted hashes of the numbers it holds, repeats kept (see [`numbers_into`]).
    pub numbers: Vec<u64>,
    /// Bit `h >> 57` set for each word hash `h`: a quick bound on what two sets share.
    pub mask: u128,
}

impl Profile {
    /// Fills the profile from the sentence's token hashes and its numbers' hashes.
    pub fn fill(&mut self, hashes: &[u64], numbers: &[u64]) {
        self.words = hashes.len() as u32;
        self.set.clear();
        self.set.extend_from_slice(hashes);
        self.set.sort_unstable();
        self.set.dedup();
        self.mask = word_mask(&self.set);
        self.numbers.clear();
        self.numbers.extend_from_slice(numbers);
        self.numbers.sort_unstable();
    }
}

/// Appends the hashes of the numbers among `tokens` (of `text`) to `out`. A number is a run of
/// tokens that start with a digit (of any script) joined by single `.` or `,` characters, so
/// "6,000,000" and "5.93" are one number each, and its hash combines its tokens' hashes.
pub fn numbers_into(text: &str, tokens: &[Token], out: &mut Vec<u64>) {
    let digit = |t: &Token| is_number(text, t);
    let mut i = 0;
    while i < tokens.len() {
        if !digit(&tokens[i]) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < tokens.len()
            && digit(&tokens[j])
            && tokens[j].start == tokens[j - 1].end + 1
            && matches!(text.as_bytes()[tokens[j - 1].end], b'.' | b',')
        {
            j += 1;
        }
        let mut h = [0u64; 8];
        let run = &tokens[i..j.min(i + 8)];
        for (x, t) in h.iter_mut().zip(run) {
            *x = t.hash;
        }
        out.push(crate::shingle::combine(&h[..run.len()]));
        i = j;
    }
}

/// Why a compared pair is or is not a near-repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// A near-repeat with these counts.
    Repeat(Similarity),
    /// Similar enough, but each holds a number the other lacks.
    ChangedNumbers(Similarity),
    /// Not a near-repeat.
    No,
}

/// The length gate alone: word counts within `ratio` (shorter / longer).
#[inline(always)]
pub fn lengths_compatible(a: u32, b: u32, ratio: f64) -> bool {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    lo as f64 >= ratio * hi as f64 - 1e-9
}

/// Compares two profiles under `cfg` (see the module documentation).
pub fn compare(a: &Profile, b: &Profile, cfg: &SentenceConfig) -> Comparison {
    let min = cfg.min_words as u32;
    if a.words < min || b.words < min || !lengths_compatible(a.words, b.words, cfg.length_ratio) {
        return Comparison::No;
    }
    if !may_meet(a, b, cfg.threshold) {
        return Comparison::No;
    }
    let sim = Similarity::exact(&a.set, &b.set);
    if !sim.meets(cfg.threshold) {
        return Comparison::No;
    }
    if cfg.numbers_must_match && numbers_changed(&a.numbers, &b.numbers) {
        return Comparison::ChangedNumbers(sim);
    }
    Comparison::Repeat(sim)
}

/// False when the word sets of `a` and `b` cannot reach Jaccard `threshold`, from their
/// masks: each bit set in one mask only is set by at least one word the other set lacks, so
/// `|A ∩ B| <= |A| - popcount(mask_A & !mask_B)` (and the same from B), and Jaccard grows with
/// the intersection. Never false for a pair that meets the threshold.
#[inline]
pub fn may_meet(a: &Profile, b: &Profile, threshold: f64) -> bool {
    let (na, nb) = (a.set.len() as u32, b.set.len() as u32);
    let only_a = (a.mask & !b.mask).count_ones();
    let only_b = (b.mask & !a.mask).count_ones();
    let bound = na.saturating_sub(only_a).min(nb.saturating_sub(only_b));
    bound as f64 >= threshold * (na + nb - bound) as f64 - 1e-9
}

/// The mask of a sentence's word hashes (any order, repeats allowed): bit `h >> 57` per word.
#[inline]
pub fn word_mask(hashes: &[u64]) -> u128 {
    mask_at(hashes, 57)
}

/// A second mask of a sentence's word hashes, from other bits than [`word_mask`]'s: bit
/// `(h >> 50) & 127` per word. The mask bound holds for any such map from words to bits, so
/// a pair must pass it with both masks; the pair gate uses this one on the few pairs that pass
/// the first, before their sets are sorted (the two masks' collisions are independent).
#[inline]
pub(crate) fn second_mask(hashes: &[u64]) -> u128 {
    mask_at(hashes, 50)
}

/// Bit `(h >> shift) & 127` per hash `h` (`shift` at most 57). With AVX2 (checked at run
/// time) four hashes a step: every eligible sentence's words go through here, about 12
/// instructions a word one at a time and 3 four at a time.
#[inline(always)]
fn mask_at(hashes: &[u64], shift: u32) -> u128 {
    #[cfg(target_arch = "x86_64")]
    if hashes.len() >= 8 && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2, checked just above.
        return unsafe { mask_at_avx2(hashes, shift) };
    }
    mask_at_scalar(hashes, shift)
}

/// [`mask_at`] four hashes at a time: the bit index `(h >> shift) & 127` shifts a one left
/// for the low half and, less 64, for the high half; `vpsllvq` gives zero for a count of 64
/// or more (and for the negative ones, which are huge unsigned), so each lane lands in
/// exactly one half with no comparison. The hashes past the last four take the scalar loop.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn mask_at_avx2(hashes: &[u64], shift: u32) -> u128 {
    use std::arch::x86_64::*;
    let count = _mm_cvtsi32_si128(shift as i32);
    let (bits, one, sixty_four) = (
        _mm256_set1_epi64x(127),
        _mm256_set1_epi64x(1),
        _mm256_set1_epi64x(64),
    );
    let (mut lo, mut hi) = (_mm256_setzero_si256(), _mm256_setzero_si256());
    let quads = hashes.chunks_exact(4);
    let rest = quads.remainder();
    for q in quads {
        // SAFETY: `q` is 4 `u64`s, 32 bytes; the load is unaligned.
        let h = unsafe { _mm256_loadu_si256(q.as_ptr().cast()) };
        let at = _mm256_and_si256(_mm256_srl_epi64(h, count), bits);
        lo = _mm256_or_si256(lo, _mm256_sllv_epi64(one, at));
        hi = _mm256_or_si256(hi, _mm256_sllv_epi64(one, _mm256_sub_epi64(at, sixty_four)));
    }
    let fold = |v: __m256i| {
        let x = _mm_or_si128(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
        (_mm_cvtsi128_si64(x) | _mm_extract_epi64::<1>(x)) as u64
    };
    let (lo, hi) = (fold(lo), fold(hi));
    ((hi as u128) << 64 | lo as u128) | mask_at_scalar(rest, shift)
}

/// [`mask_at`] one hash at a time (the reference, and the fallback).
#[inline(always)]
fn mask_at_scalar(hashes: &[u64], shift: u32) -> u128 {
    // Two 64-bit halves without branches: cheaper than a 128-bit shift per word.
    let (mut lo, mut hi) = (0u64, 0u64);
    for &h in hashes {
        let bit = 1u64 << ((h >> shift) & 63);
        // All ones when the bit is in the high half.
        let high = ((h >> (shift + 6)) & 1).wrapping_neg();
        lo |= bit & !high;
        hi |= bit & high;
    }
    (hi as u128) << 64 | lo as u128
}

/// The quick test every pair passes before its sets are sorted and compared: word counts
/// within `cfg.length_ratio`, and the mask bound with word counts (repeats included) for set
/// sizes: `|A ∩ B| <= words_A - popcount(mask_A & !mask_B)` (and from B), `|A ∪ B| >=
/// popcount(mask_A | mask_B)`. Never false for a pair that meets the threshold.
#[inline]
pub fn may_repeat(wa: u32, ma: u128, wb: u32, mb: u128, cfg: &SentenceConfig) -> bool {
    if !lengths_compatible(wa, wb, cfg.length_ratio) {
        return false;
    }
    masks_may_meet(
        wa,
        ma,
        ma.count_ones(),
        wb,
        mb,
        mb.count_ones(),
        cfg.threshold,
    )
}

/// The mask bound of [`may_repeat`] with each mask's bit count given (`pa`, `pb`), so a pair
/// costs one population count (the build targets x86-64 without `popcnt`, where each is a
/// dozen instructions).
#[inline(always)]
fn masks_may_meet(wa: u32, ma: u128, pa: u32, wb: u32, mb: u128, pb: u32, threshold: f64) -> bool {
    let both = (ma & mb).count_ones();
    let bound = wa
        .saturating_sub(pa - both)
        .min(wb.saturating_sub(pb - both));
    let union = (pa + pb - both).max(bound);
    bound as f64 >= threshold * union as f64 - 1e-9
}

/// True when each sorted multiset holds an element the other lacks: two sentences that state
/// different numbers. A number only one of them gives is not a change.
pub fn numbers_changed(a: &[u64], b: &[u64]) -> bool {
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared < a.len() && shared < b.len()
}

/// A verified pair of sentences (indices into some sentence list, `a < b`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// First sentence.
    pub a: u32,
    /// Second sentence.
    pub b: u32,
    /// Its counts.
    pub sim: Similarity,
}

/// Lower similarity first: compares `shared / union` exactly.
fn lower(x: &Similarity, y: &Similarity) -> bool {
    let ux = x.size_a as u64 + x.size_b as u64 - x.shared as u64;
    let uy = y.size_a as u64 + y.size_b as u64 - y.shared as u64;
    (x.shared as u64) * uy < (y.shared as u64) * ux
}

/// A group of sentences that repeat each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Sentence indices, ascending; the first is the group's representative.
    pub members: Vec<u32>,
    /// The lowest similarity of a member to the representative.
    pub sim: Similarity,
}

/// Groups the sentences linked by `edges` with the document clustering's chaining guard
/// ([`crate::cluster::cluster`]): near-repeat is not transitive, and template sentences
/// ("the sale is expected to be completed ...") chain into large components, so a group is
/// its first sentence and the linked sentences that repeat *it*; `similarity(x, y)` compares
/// two sentences that no edge links (a zero `shared` count for "not a repeat"). Groups are
/// ordered by their first member; the result does not depend on the order of `edges`.
pub fn groups(
    edges: &[Edge],
    threshold: f64,
    similarity: impl Fn(u32, u32) -> Similarity + Sync,
) -> Vec<Group> {
    let mut ids: Vec<u32> = edges.iter().flat_map(|e| [e.a, e.b]).collect();
    ids.par_sort_unstable();
    ids.dedup();
    let at = |x: u32| ids.binary_search(&x).unwrap_or(0) as u32;
    let mut matches: Vec<crate::verify::Match> = edges
        .iter()
        .map(|e| {
            let (a, b) = (at(e.a), at(e.b));
            crate::verify::Match {
                a: a.min(b),
                b: a.max(b),
                sim: e.sim,
            }
        })
        .collect();
    // One match per pair: the first by (pair, counts) order, whatever the order of `edges`.
    matches.sort_unstable_by_key(|m| (m.a, m.b, m.sim.shared, m.sim.size_a, m.sim.size_b));
    matches.dedup_by_key(|m| (m.a, m.b));
    let clusters = crate::cluster::cluster(
        ids.len(),
        &matches,
        crate::verify::Criteria::jaccard(threshold),
        true,
        |x, y| x < y,
        |x, y| similarity(ids[x as usize], ids[y as usize]),
    );
    clusters
        .into_iter()
        .map(|c| {
            let mut members = vec![ids[c.representative as usize]];
            let mut sim = Similarity {
                shared: 1,
                size_a: 1,
                size_b: 1,
            };
            for (m, s) in &c.members {
                members.push(ids[*m as usize]);
                if lower(s, &sim) {
                    sim = *s;
                }
            }
            Group { members, sim }
        })
        .collect()
}

/// A boilerplate sentence: its hash and document frequency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Boilerplate {
    /// [`sentence_hash`] of the sentence.
    pub hash: u64,
    /// Documents it occurs in.
    pub documents: u64,
}

/// Share of a document's words in sentences found in other documents below which the
/// document counts as mostly its own (see the module documentation); also the share of its
/// shingles a document must keep for boilerplate to be left out of them.
pub const ORIGINAL_SHARE: f64 = 0.5;

/// Finds boilerplate among the sentences of all documents: `hashes` and `words` hold every
/// sentence, document after document, and `first[d]..first[d + 1]` are document `d`'s.
/// Returns the boilerplate sorted by hash.
pub fn boilerplate(hashes: &[u64], words: &[u32], first: &[u32], cutoff: u64) -> Vec<Boilerplate> {
    let docs = first.len().saturating_sub(1);
    let range = |d: usize| first[d] as usize..first[d + 1] as usize;
    // Document frequency: each document's distinct hashes, all sorted together.
    let per_doc: Vec<Vec<u64>> = (0..docs)
        .into_par_iter()
        .map(|d| {
            let mut v = hashes[range(d)].to_vec();
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    let mut all: Vec<u64> = Vec::with_capacity(per_doc.iter().map(Vec::len).sum());
    for v in &per_doc {
        all.extend_from_slice(v);
    }
    all.par_sort_unstable();
    let mut frequent: Vec<Boilerplate> = Vec::new();
    let mut repeated: Vec<u64> = Vec::new();
    for run in all.chunk_by(|a, b| a == b) {
        if run.len() >= 2 {
            repeated.push(run[0]);
        }
        if run.len() as u64 >= cutoff {
            frequent.push(Boilerplate {
                hash: run[0],
                documents: run.len() as u64,
            });
        }
    }
    drop(all);
    if frequent.is_empty() {
        return frequent;
    }
    let index = |h: u64| frequent.binary_search_by_key(&h, |b| b.hash).ok();
    // Documents that are mostly their own text (less than half of their words in sentences
    // found in other documents too) vote for their frequent sentences. A story syndicated
    // many times, even with heavy edits, keeps sentences in common with its other copies, so
    // its copies do not vote; a footer on unrelated pages collects their votes.
    let votes: Vec<u64> = (0..docs)
        .into_par_iter()
        .fold(
            || vec![0u64; frequent.len()],
            |mut votes, d| {
                let r = range(d);
                let total: u64 = words[r.clone()].iter().map(|&w| w as u64).sum();
                let recurring: u64 = hashes[r.clone()]
                    .iter()
                    .zip(&words[r])
                    .filter(|(h, _)| repeated.binary_search(h).is_ok())
                    .map(|(_, &w)| w as u64)
                    .sum();
                if (recurring as f64) < ORIGINAL_SHARE * total as f64 {
                    for h in &per_doc[d] {
                        if let Some(i) = index(*h) {
                            votes[i] += 1;
                        }
                    }
                }
                votes
            },
        )
        .reduce(
            || vec![0u64; frequent.len()],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
                a
            },
        );
    frequent
        .into_iter()
        .zip(votes)
        .filter(|(b, v)| 2 * v > b.documents)
        .map(|(b, _)| b)
        .collect()
}

/// Sentences sampled (in input order) to find the most frequent words.
pub const FREQUENT_SAMPLE: usize = 100_000;
/// A word in at least this share of the sampled sentences is left out of LSH profiles.
pub const FREQUENT_SHARE: f64 = 0.01;
/// Below this many sentences no word is left out (and LSH is cheap anyway).
pub const FREQUENT_MIN_SAMPLE: usize = 20_000;

/// The most frequent words of the first [`FREQUENT_SAMPLE`] sentences (`words(i, out)` fills
/// sentence `i`'s deduplicated word hashes): those in at least [`FREQUENT_SHARE`] of them.
/// Sorted. Deterministic: the sample is the first sentences in input order.
pub fn frequent_words(n: usize, words: impl Fn(usize, &mut Vec<u64>)) -> Vec<u64> {
    let sample = n.min(FREQUENT_SAMPLE);
    if sample < FREQUENT_MIN_SAMPLE {
        // Too few sentences to tell frequent words from shared topic words.
        return Vec::new();
    }
    let mut counts: ahash::AHashMap<u64, u32> = ahash::AHashMap::new();
    let mut buf = Vec::new();
    for i in 0..sample {
        words(i, &mut buf);
        for &w in &buf {
            *counts.entry(w).or_default() += 1;
        }
    }
    let min = ((FREQUENT_SHARE * sample as f64).ceil() as u32).max(2);
    let mut out: Vec<u64> = counts
        .into_iter()
        .filter(|&(_, c)| c >= min)
        .map(|(w, _)| w)
        .collect();
    out.sort_unstable();
    out
}

/// Candidate pairs of sentences for cross-document near-repeats, by MinHash LSH over each
/// sentence's content words (its word set without `frequent`; all its words when nothing is
/// left). `words(i, out)` fills sentence `i`'s deduplicated word hashes and `doc[i]` is its
/// document; pairs within one document are skipped (those are all compared anyway). Returns
/// sorted pairs `(i, j)`, `i < j`, and the number of buckets larger than `max_bucket` (which
/// give star edges to their first sentence only, as for documents).
///
/// Memory: one 32-bit key per sentence and band (a 32-bit key collides by chance about
/// n^2 / 2^33 times per band; the extra candidates are verified away).
pub fn cross_candidates(
    doc: &[u32],
    words: impl Fn(usize, &mut Vec<u64>) + Sync,
    frequent: &[u64],
    signer: &crate::minhash::Signer,
    bands: usize,
    rows: usize,
    max_bucket: usize,
) -> (Vec<(u32, u32)>, u64) {
    let n = doc.len();
    let mut keys = vec![0u32; n * bands];
    const CHUNK: usize = 4096;
    // Sentence-major keys in chunks, transposed to band-major below.
    keys.par_chunks_mut(CHUNK * bands)
        .enumerate()
        .for_each(|(c, out)| {
            let (mut buf, mut content, mut sig) = (Vec::new(), Vec::new(), Vec::new());
            for (k, row) in out.chunks_mut(bands).enumerate() {
                let i = c * CHUNK + k;
                words(i, &mut buf);
                content.clear();
                content.extend(buf.iter().filter(|w| frequent.binary_search(w).is_err()));
                let set = if content.is_empty() { &buf } else { &content };
                sig.clear();
                signer.sign_into(set, &mut sig);
                for (b, key) in row.iter_mut().enumerate() {
                    *key = crate::lsh::band_key(&sig, b, rows) as u32;
                }
            }
        });
    let per_band: Vec<(Vec<u64>, u64)> = (0..bands)
        .into_par_iter()
        .map(|b| {
            let mut v: Vec<u64> = (0..n)
                .map(|i| (keys[i * bands + b] as u64) << 32 | i as u64)
                .collect();
            v.sort_unstable();
            let mut pairs = Vec::new();
            let mut giant = 0;
            for run in v.chunk_by(|x, y| x >> 32 == y >> 32) {
                if run.len() < 2 {
                    continue;
                }
                let id = |x: u64| x as u32;
                let mut push = |a: u32, c: u32| {
                    if doc[a as usize] != doc[c as usize] {
                        pairs.push((a.min(c) as u64) << 32 | a.max(c) as u64);
                    }
                };
                if run.len() > max_bucket {
                    giant += 1;
                    for x in &run[1..] {
                        push(id(run[0]), id(*x));
                    }
                } else {
                    for (k, x) in run.iter().enumerate() {
                        for y in &run[k + 1..] {
                            push(id(*x), id(*y));
                        }
                    }
                }
            }
            pairs.sort_unstable();
            pairs.dedup();
            (pairs, giant)
        })
        .collect();
    drop(keys);
    let giant = per_band.iter().map(|p| p.1).sum();
    let mut all: Vec<u64> = Vec::with_capacity(per_band.iter().map(|p| p.0.len()).sum());
    for (p, _) in per_band {
        all.extend(p);
    }
    all.par_sort_unstable();
    all.dedup();
    (
        all.into_iter()
            .map(|p| ((p >> 32) as u32, p as u32))
            .collect(),
        giant,
    )
}

mod worker;
pub use worker::{DocRepeats, DocWithin, SentenceWorker, WithinRepeat};

#[cfg(test)]
mod tests;
