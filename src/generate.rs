//! Deterministic planted-truth corpus generator for benchmarks and acceptance tests.
//!
//! A word-level order-2 Markov [`Model`] is built from any English seed text. [`generate`]
//! uses it to write novel news-like base articles, then plants near-duplicate families
//! (exact copies, light/medium/heavy rewrites, partial copies), sentence near-repeats
//! inside a page and shared publisher boilerplate, and records every planted
//! relationship as ground truth ([`PlantedPair`], [`PlantedRepeat`]). Because the truth
//! is known by construction, detectors can be scored for recall and precision per edit
//! level without hand labels, on corpora of any size. Output depends only on the model
//! and the [`GenerateOptions`]: the PRNG (xoshiro256** seeded via splitmix64) lives in
//! this module, every document family draws from its own stream derived from
//! `(seed, family index)`, so the bytes never change with the thread count or a
//! dependency update. [`write_corpus`] writes documents and truth as JSONL.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, Write};
use std::str::FromStr;

/// Version of the generator algorithm and output format, written to the truth header.
///
/// Bump it whenever the same model and options would produce different bytes.
pub const GENERATOR_VERSION: u32 = 1;

/// Fewest usable seed words (in complete sentences) [`Model::from_texts`] accepts.
pub const MIN_SEED_WORDS: usize = 2_000;

// ---------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------

/// How strongly a planted copy was edited relative to its base document.
///
/// Levels are ordered from lightest to heaviest (`Exact < Light < Medium < Heavy <
/// Partial`); a copy-copy pair takes the heavier level of its two copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EditLevel {
    /// Byte-identical text under a new id and publisher (title kept).
    Exact,
    /// New headline, changed byline and/or footer, whitespace/case/punctuation noise;
    /// word-5-gram Jaccard typically at least 0.85.
    Light,
    /// Light edits plus 1-2 dropped or inserted sentences and ~1-2% substituted words;
    /// Jaccard about 0.65-0.85.
    Medium,
    /// Paragraph reorder, ~4-6% substituted words, 2-3 dropped sentences and OCR-like
    /// character errors; Jaccard about 0.35-0.65.
    Heavy,
    /// Truncation to 40-70% of the story, the whole story embedded in a page 1.5-3x
    /// longer, or the story under a new two-paragraph intro: low Jaccard, high
    /// containment.
    Partial,
}

impl EditLevel {
    /// Every level, lightest first.
    pub const ALL: [EditLevel; 5] = [
        EditLevel::Exact,
        EditLevel::Light,
        EditLevel::Medium,
        EditLevel::Heavy,
        EditLevel::Partial,
    ];

    /// The snake_case name used in JSON (`"exact"`, `"light"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            EditLevel::Exact => "exact",
            EditLevel::Light => "light",
            EditLevel::Medium => "medium",
            EditLevel::Heavy => "heavy",
            EditLevel::Partial => "partial",
        }
    }
}

impl fmt::Display for EditLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EditLevel {
    type Err = GenerateError;

    /// Parses a level name as written by [`EditLevel::as_str`] (ASCII case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EditLevel::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| GenerateError::UnknownLevel(s.to_string()))
    }
}

/// Errors from building a [`Model`] or parsing generator settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GenerateError {
    /// The seed text holds too few words in complete sentences to build a useful model.
    SeedTooSmall {
        /// Usable words found (words inside complete sentences of 3-60 words).
        words: usize,
        /// Complete sentences found.
        sentences: usize,
        /// Words required ([`MIN_SEED_WORDS`]).
        minimum: usize,
    },
    /// A level name that is not one of `exact`, `light`, `medium`, `heavy`, `partial`.
    UnknownLevel(String),
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GenerateError::SeedTooSmall {
                words,
                sentences,
                minimum,
            } => write!(
                f,
                "seed text too small for the corpus generator: found {words} usable words in \
                 {sentences} complete sentences, need at least {minimum}; point it at more \
                 English prose (for example a few dozen news stories)"
            ),
            GenerateError::UnknownLevel(s) => write!(
                f,
                "unknown edit level {s:?}; expected one of exact, light, medium, heavy, partial"
            ),
        }
    }
}

impl std::error::Error for GenerateError {}

/// Settings for [`generate`]. Every field has a sensible [`Default`].
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    /// Master seed; the same model and options always give byte-identical output.
    pub seed: u64,
    /// Total number of documents to write (bases plus copies).
    pub documents: usize,
    /// Share of documents that are planted copies of a base (default 0.3; clamped to
    /// `0..=1` and to what `families_max` allows; NaN means 0).
    pub copy_share: f64,
    /// Mean body length of a base document in words (default 550, about 3.4 KB with
    /// byline and footer); each base draws uniformly from 60-140% of it.
    pub mean_words: usize,
    /// Most copies planted per base document (default 5); each family gets 1..=this.
    pub families_max: usize,
    /// Edit levels to plant, assigned to copies round-robin in family order (default:
    /// all five); duplicates are ignored and an empty list plants no copies.
    pub levels: Vec<EditLevel>,
    /// Share of base documents with a within-page sentence near-repeat (default 0.05).
    pub repeat_share: f64,
    /// Share of documents carrying their publisher's fixed footer (default 0.2).
    pub boilerplate_share: f64,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            seed: 1,
            documents: 1_000,
            copy_share: 0.3,
            mean_words: 550,
            families_max: 5,
            levels: EditLevel::ALL.to_vec(),
            repeat_share: 0.05,
            boilerplate_share: 0.2,
        }
    }
}

/// One generated article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedDoc {
    /// Document id, `g` plus a zero-padded output position (`g000123`).
    pub id: String,
    /// Publication date, `YYYY-MM-DD`; bases spread over 2024, copies on or after their base.
    pub date: String,
    /// Publisher name; members of a family all have different publishers (while the
    /// 12 built-in publishers last; never the base's).
    pub publisher: String,
    /// Headline.
    pub title: String,
    /// Body text: optional byline, paragraphs separated by blank lines, optional footer.
    pub text: String,
    /// Family id (`f00042`) for bases with copies and for the copies; `None` otherwise.
    /// Not written to the documents file (it is ground truth).
    pub family: Option<String>,
}

/// A planted near-duplicate pair; every unordered pair inside a family is listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlantedPair {
    /// Id of the pair's document that comes first in output order.
    pub a: String,
    /// Id of the pair's document that comes later in output order.
    pub b: String,
    /// Family id (`f00042`).
    pub family: String,
    /// Edit level of the copy (base-copy pair) or the heavier of the two copies.
    pub level: EditLevel,
    /// Edits applied, `name` or `name:parameter`: `headline`, `byline`, `footer`,
    /// `whitespace`, `case_noise`, `punctuation`, `drop_sentence:N`,
    /// `insert_sentence:N`, `substitute_words:N`, `reorder_paragraphs`, `ocr_noise:N`,
    /// `truncate:F` (share of story words kept), `embed:F` (page length / story
    /// length), `new_intro:F` (intro words / story words). Empty for exact copies. For a
    /// copy-copy pair: the first copy's edits, then the second's not already listed.
    pub edits: Vec<String>,
    /// Id of the family's base when it is `a` or `b` (a base-copy pair); `None` for a
    /// copy-copy pair. Written as `"base": "g000123"` or `"base": null`.
    pub base: Option<String>,
}

impl PlantedPair {
    /// True for a base-copy pair (one of the two documents is the family's base).
    pub fn is_base_copy(&self) -> bool {
        self.base.is_some()
    }
}

/// A sentence repeated later in the same page with 1-3 words changed.
///
/// Planted in base documents; also listed for every copy in which both sentences
/// survive (there the copy's own edits may have changed a few more words).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlantedRepeat {
    /// Id of the document.
    pub doc: String,
    /// Byte span `[start, end)` of the earlier sentence in the document text.
    pub first: (usize, usize),
    /// Byte span `[start, end)` of the later sentence in the document text.
    pub second: (usize, usize),
}

/// A generated corpus with its ground truth.
#[derive(Debug, Clone, PartialEq)]
pub struct Corpus {
    /// Seed the corpus was generated from (written to the truth header).
    pub seed: u64,
    /// Documents in output order (`docs[i].id` encodes `i`).
    pub docs: Vec<GeneratedDoc>,
    /// Planted pairs, ordered by family then by ids.
    pub pairs: Vec<PlantedPair>,
    /// Planted within-page repeats, ordered by document.
    pub repeats: Vec<PlantedRepeat>,
}

// ---------------------------------------------------------------------------
// PRNG: splitmix64 for seeding, xoshiro256** for streams
// ---------------------------------------------------------------------------

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(GOLDEN);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn mix(x: u64) -> u64 {
    let mut s = x;
    splitmix64(&mut s)
}

fn unit_of(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[derive(Clone, Debug)]
struct Rng {
    s: [u64; 4],
}

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut sm = seed;
        let mut s = [0u64; 4];
        for x in &mut s {
            *x = splitmix64(&mut sm);
        }
        if s == [0; 4] {
            s[0] = GOLDEN;
        }
        Rng { s }
    }

    /// An independent stream for `(seed, domain, a, b)`.
    fn stream(seed: u64, domain: u64, a: u64, b: u64) -> Rng {
        Rng::new(mix(
            mix(mix(seed ^ mix(domain)) ^ a) ^ b.wrapping_mul(GOLDEN)
        ))
    }

    fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..n` (0 when `n == 0`).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        if hi <= lo {
            lo
        } else {
            lo + self.index(hi - lo + 1)
        }
    }

    fn unit(&mut self) -> f64 {
        unit_of(self.next_u64())
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.index(i + 1);
            v.swap(i, j);
        }
    }

    fn pick<'a, T>(&mut self, v: &'a [T]) -> Option<&'a T> {
        v.get(self.index(v.len()))
    }
}

/// Hasher for values that are already well mixed 64-bit hashes.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = mix(self.0 ^ u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type IdSet = HashSet<u64, BuildHasherDefault<IdHasher>>;

// ---------------------------------------------------------------------------
// Seed tokenizer
// ---------------------------------------------------------------------------

const ABBREVIATIONS: &[&str] = &[
    "Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Jr", "Sr", "Inc", "Corp", "Co", "Ltd", "Bros", "Jan",
    "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "Gov", "Sen",
    "Rep", "Gen", "Col", "Lt", "Sgt", "Mt", "Ft", "Ave", "vs", "etc", "Dept",
];

fn is_joiner(c: char) -> bool {
    matches!(c, '.' | ',' | '\'' | '\u{2019}' | '-' | '/' | '&')
}

fn is_abbreviation(w: &str) -> bool {
    let has_digit = w.bytes().any(|b| b.is_ascii_digit());
    (w.contains('.') && !has_digit)
        || (w.len() == 1 && w.bytes().all(|b| b.is_ascii_uppercase()))
        || ABBREVIATIONS.contains(&w)
}

/// Splits seed text into word tokens (alphanumeric runs with internal `.,'-/&`) and
/// the punctuation tokens `, ; : . ? !`; everything else is dropped.
fn split_tokens(text: &str, mut emit: impl FnMut(&str)) {
    let mut pos = 0;
    while let Some(c) = text[pos..].chars().next() {
        let clen = c.len_utf8();
        if c.is_alphanumeric() {
            let start = pos;
            let mut end = pos + clen;
            let mut prev = c;
            loop {
                let mut rest = text[end..].chars();
                match rest.next() {
                    Some(n) if n.is_alphanumeric() => {
                        end += n.len_utf8();
                        prev = n;
                    }
                    Some(n) if is_joiner(n) => match rest.next() {
                        Some(m)
                            if m.is_alphanumeric()
                                && (n != ',' || (prev.is_ascii_digit() && m.is_ascii_digit())) =>
                        {
                            end += n.len_utf8() + m.len_utf8();
                            prev = m;
                        }
                        _ => break,
                    },
                    _ => break,
                }
            }
            if text[end..].starts_with('.') && is_abbreviation(&text[start..end]) {
                end += 1;
            }
            emit(&text[start..end]);
            pos = end;
        } else {
            match c {
                '.' | '?' | '!' => {
                    emit(match c {
                        '.' => ".",
                        '?' => "?",
                        _ => "!",
                    });
                    pos += 1;
                    while let Some('.' | '?' | '!') = text[pos..].chars().next() {
                        pos += 1;
                    }
                    continue;
                }
                ',' => emit(","),
                ';' => emit(";"),
                ':' => emit(":"),
                _ => {}
            }
            pos += clen;
        }
    }
}

// ---------------------------------------------------------------------------
// Markov model
// ---------------------------------------------------------------------------

const F_PUNCT: u8 = 1;
const F_END: u8 = 2;
const F_NUM: u8 = 4;
const F_CAP: u8 = 8;
const F_FREQ: u8 = 16;
const F_SIMPLE: u8 = 32;

/// Token id of the sentence-start sentinel.
const START: u32 = 0;
/// Story tokens with this bit set index the story's own string table.
const EXTRA: u32 = 1 << 31;
/// The most frequent word types are never renamed by the novelty perturbation.
const FREQUENT_TYPES: usize = 60;
const MIN_SENTENCE_WORDS: usize = 4;
const MAX_SENTENCE_WORDS: usize = 45;
const MAX_SENTENCE_TOKENS: usize = 90;
const SENTENCE_TRIES: usize = 40;
/// Sentences sampled together by [`Model::raw_batch`].
const LANES: usize = 8;

#[derive(Clone, Copy, Debug)]
struct Walk {
    state: u32,
    first: u32,
    total: u32,
    words: usize,
    steps: usize,
    result: Option<bool>,
}

/// One observed transition. A state's successors are stored once per occurrence in
/// the seed, so sampling is a single uniform index; the entry carries the next
/// state's range so a walk touches one cache line per token.
#[derive(Clone, Copy, Debug)]
struct Occ {
    tok: u32,
    next: u32,
    next_first: u32,
    /// Occurrence count of the next state; top bit set when it has a single distinct
    /// successor (a candidate for back-off).
    next_total: u32,
}

const SINGLE: u32 = 1 << 31;

#[derive(Clone, Copy, Debug)]
struct State {
    first: u32,
    /// Occurrences, with the [`SINGLE`] bit as in [`Occ::next_total`].
    total: u32,
    last: u32,
}

/// A word-level order-2 Markov model of sentences, built from seed text.
///
/// Generation walks the model from a sentence-start state until a `.`, `?` or `!`
/// token. When the seed is small the model tends to replay long runs of it, so
/// [`Model::from_texts`] calibrates a novelty perturbation (back-off to order 1 at
/// single-successor states and a per-document renaming of less frequent words) until
/// sample documents share almost no word 5-grams. Numbers are always re-drawn per
/// document, keeping their shape.
#[derive(Clone)]
pub struct Model {
    vocab: Vec<Box<str>>,
    flags: Vec<u8>,
    states: Vec<State>,
    occ: Vec<Occ>,
    uni: Vec<State>,
    uni_occ: Vec<Occ>,
    start: u32,
    period: u32,
    lower_words: Vec<u32>,
    cap_words: Vec<u32>,
    words: usize,
    sentences: usize,
    backoff: f64,
    rename: f64,
    sample_overlap: f64,
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Model")
            .field("words", &self.words)
            .field("sentences", &self.sentences)
            .field("vocabulary", &self.vocabulary())
            .field("states", &self.states.len())
            .field("backoff", &self.backoff)
            .field("rename", &self.rename)
            .finish()
    }
}

#[derive(Default)]
struct Builder {
    ids: HashMap<String, u32>,
    vocab: Vec<Box<str>>,
    flags: Vec<u8>,
    counts: Vec<u64>,
    triples: Vec<(u32, u32, u32)>,
    pairs: Vec<(u32, u32)>,
    sent: Vec<u32>,
    words: usize,
    sentences: usize,
}

impl Builder {
    fn new() -> Builder {
        let mut b = Builder::default();
        b.intern(""); // START sentinel, id 0
        b
    }

    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.vocab.len() as u32;
        let mut f = 0u8;
        match s {
            "." | "?" | "!" => f |= F_PUNCT | F_END,
            "," | ";" | ":" => f |= F_PUNCT,
            _ => {
                if s.bytes().any(|b| b.is_ascii_digit()) {
                    f |= F_NUM;
                }
                if s.chars().next().is_some_and(char::is_uppercase) {
                    f |= F_CAP;
                }
                if !s.is_empty() && s.chars().all(char::is_alphabetic) {
                    f |= F_SIMPLE;
                }
            }
        }
        self.ids.insert(s.to_string(), id);
        self.vocab.push(s.into());
        self.flags.push(f);
        self.counts.push(0);
        id
    }

    fn add_text(&mut self, text: &str) {
        self.sent.clear();
        let mut toks = std::mem::take(&mut self.sent);
        split_tokens(text, |t| {
            let id = self.intern(t);
            toks.push(id);
            if self.flags[id as usize] & F_END != 0 {
                self.end_sentence(&toks);
                toks.clear();
            }
        });
        toks.clear();
        self.sent = toks;
    }

    fn end_sentence(&mut self, s: &[u32]) {
        let flags = &self.flags;
        let is_word = |t: u32| flags[t as usize] & F_PUNCT == 0;
        let words = s.iter().filter(|&&t| is_word(t)).count();
        if !(3..=60).contains(&words) || !s.first().is_some_and(|&t| is_word(t)) {
            return;
        }
        let (mut upper, mut lower) = (0usize, 0usize);
        for &t in s {
            for c in self.vocab[t as usize].chars() {
                if c.is_uppercase() {
                    upper += 1;
                } else if c.is_lowercase() {
                    lower += 1;
                }
            }
        }
        if upper + lower >= 10 && upper * 10 > (upper + lower) * 7 {
            return; // shouted headline or table line
        }
        let (mut a, mut b) = (START, START);
        for (i, &c) in s.iter().enumerate() {
            self.triples.push((a, b, c));
            if i > 0 {
                self.pairs.push((b, c));
            }
            self.counts[c as usize] += 1;
            a = b;
            b = c;
        }
        self.words += words;
        self.sentences += 1;
    }

    fn finish(mut self) -> Result<Model, GenerateError> {
        let too_small = GenerateError::SeedTooSmall {
            words: self.words,
            sentences: self.sentences,
            minimum: MIN_SEED_WORDS,
        };
        if self.words < MIN_SEED_WORDS {
            return Err(too_small);
        }
        self.triples.sort_unstable();
        self.pairs.sort_unstable();
        let flags = &self.flags;
        let is_end = |t: u32| flags.get(t as usize).is_some_and(|f| f & F_END != 0);

        // Order-2 states in sorted (a, b) order; one occurrence entry per triple.
        let tri = &self.triples;
        let mut keys: Vec<(u32, u32)> = Vec::new();
        let mut states: Vec<State> = Vec::new();
        let mut i = 0;
        while i < tri.len() {
            let (a, b, c0) = tri[i];
            let first = i;
            let mut single = true;
            while i < tri.len() && tri[i].0 == a && tri[i].1 == b {
                single &= tri[i].2 == c0;
                i += 1;
            }
            keys.push((a, b));
            let total = u32::try_from(i - first).unwrap_or(u32::MAX >> 1) & !SINGLE;
            states.push(State {
                first: first as u32,
                total: total | if single { SINGLE } else { 0 },
                last: b,
            });
        }
        let Ok(start) = keys.binary_search(&(START, START)) else {
            return Err(too_small);
        };
        let start = start as u32;
        let find = |b: u32, c: u32| {
            if is_end(c) {
                start
            } else {
                keys.binary_search(&(b, c)).map_or(start, |x| x as u32)
            }
        };
        let link = |tok: u32, next: u32| {
            let st = states.get(next as usize).copied().unwrap_or(State {
                first: 0,
                total: 0,
                last: 0,
            });
            Occ {
                tok,
                next,
                next_first: st.first,
                next_total: st.total,
            }
        };
        let mut occ: Vec<Occ> = Vec::with_capacity(tri.len());
        let mut prev: Option<((u32, u32, u32), Occ)> = None;
        for &t in tri {
            let o = match prev {
                Some((pt, po)) if pt == t => po,
                _ => link(t.2, find(t.1, t.2)),
            };
            prev = Some((t, o));
            occ.push(o);
        }

        // Order-1 back-off tables, indexed by token id.
        let mut uni: Vec<State> = (0..self.vocab.len() as u32)
            .map(|t| State {
                first: 0,
                total: 0,
                last: t,
            })
            .collect();
        let pr = &self.pairs;
        let mut uni_occ: Vec<Occ> = Vec::with_capacity(pr.len());
        let mut i = 0;
        while i < pr.len() {
            let b = pr[i].0;
            let first = i;
            while i < pr.len() && pr[i].0 == b {
                i += 1;
            }
            if let Some(u) = uni.get_mut(b as usize) {
                u.first = first as u32;
                u.total = u32::try_from(i - first).unwrap_or(u32::MAX >> 1) & !SINGLE;
            }
        }
        let mut prev: Option<((u32, u32), Occ)> = None;
        for &p in pr {
            let o = match prev {
                Some((pp, po)) if pp == p => po,
                _ => link(p.1, find(p.0, p.1)),
            };
            prev = Some((p, o));
            uni_occ.push(o);
        }

        // Frequency classes.
        let mut by_count: Vec<u32> = (1..self.vocab.len() as u32)
            .filter(|&t| self.flags[t as usize] & F_PUNCT == 0 && self.counts[t as usize] > 0)
            .collect();
        by_count.sort_by_key(|&t| (std::cmp::Reverse(self.counts[t as usize]), t));
        for &t in by_count.iter().take(FREQUENT_TYPES) {
            self.flags[t as usize] |= F_FREQ;
        }
        let mut lower_words = Vec::new();
        let mut cap_words = Vec::new();
        for t in 1..self.vocab.len() as u32 {
            let f = self.flags[t as usize];
            if self.counts[t as usize] == 0 || f & F_SIMPLE == 0 || f & F_FREQ != 0 {
                continue;
            }
            if f & F_CAP != 0 {
                if self.vocab[t as usize].chars().count() >= 2 {
                    cap_words.push(t);
                }
            } else if self.vocab[t as usize].chars().count() >= 2 {
                lower_words.push(t);
            }
        }
        let period = self.ids.get(".").copied().unwrap_or(START);

        let mut model = Model {
            vocab: self.vocab,
            flags: self.flags,
            states,
            occ,
            uni,
            uni_occ,
            start,
            period,
            lower_words,
            cap_words,
            words: self.words,
            sentences: self.sentences,
            backoff: 0.0,
            rename: 0.0,
            sample_overlap: 0.0,
        };
        model.calibrate();
        Ok(model)
    }
}

/// Mean pairwise word-5-gram Jaccard of calibration samples that counts as "novel".
const NOVELTY_TARGET: f64 = 0.002;

impl Model {
    /// Builds the model from seed texts (for example the `text` fields of a news JSONL).
    ///
    /// Only complete sentences of 3-60 words count; mostly upper-case lines (headlines,
    /// tables) are skipped. Fails with [`GenerateError::SeedTooSmall`] when fewer than
    /// [`MIN_SEED_WORDS`] usable words are found.
    pub fn from_texts<'a>(
        texts: impl IntoIterator<Item = &'a str>,
    ) -> Result<Model, GenerateError> {
        let mut b = Builder::new();
        for t in texts {
            b.add_text(t);
        }
        b.finish()
    }

    /// Usable seed words (inside accepted sentences).
    pub fn words(&self) -> usize {
        self.words
    }

    /// Accepted seed sentences.
    pub fn sentences(&self) -> usize {
        self.sentences
    }

    /// Distinct tokens (words and punctuation) seen in the seed.
    pub fn vocabulary(&self) -> usize {
        self.vocab.len().saturating_sub(1)
    }

    /// Calibrated novelty perturbation as `(backoff, rename)`: the probability of
    /// backing off to order 1 at a single-successor state, and the share of less
    /// frequent word types renamed per document. Both are 0 for large seeds.
    pub fn perturbation(&self) -> (f64, f64) {
        (self.backoff, self.rename)
    }

    /// Mean pairwise word-5-gram Jaccard between the calibration sample documents
    /// generated with the chosen perturbation (a novelty estimate; near 0 is good).
    pub fn sample_overlap(&self) -> f64 {
        self.sample_overlap
    }

    fn flag(&self, t: u32) -> u8 {
        if t & EXTRA != 0 {
            0
        } else {
            self.flags.get(t as usize).copied().unwrap_or(0)
        }
    }

    fn is_punct(&self, t: u32) -> bool {
        self.flag(t) & F_PUNCT != 0
    }

    fn tok_str<'s>(&'s self, t: u32, extra: &'s [String]) -> &'s str {
        if t & EXTRA != 0 {
            extra.get((t & !EXTRA) as usize).map_or("", String::as_str)
        } else {
            self.vocab.get(t as usize).map_or("", |s| s)
        }
    }

    fn start_walk(&self) -> Walk {
        let st = self.states.get(self.start as usize);
        Walk {
            state: self.start,
            first: st.map_or(0, |s| s.first),
            total: st.map_or(0, |s| s.total),
            words: 0,
            steps: 0,
            result: None,
        }
    }

    /// Advances one walk by one token, appending it to `out`; sets `w.result` when the
    /// sentence is finished (true) or failed (false: too short or unfinished). Long
    /// sentences are capped at [`MAX_SENTENCE_WORDS`].
    fn walk_step(&self, w: &mut Walk, rng: &mut Rng, out: &mut Vec<u32>) {
        let o = if w.total & SINGLE != 0 && self.backoff > 0.0 && rng.chance(self.backoff) {
            let last = self.states.get(w.state as usize).map_or(START, |s| s.last);
            match self.uni.get(last as usize) {
                Some(u) if u.total > 1 => self
                    .uni_occ
                    .get((u.first + rng.below(u64::from(u.total)) as u32) as usize),
                _ => self.occ.get(w.first as usize),
            }
        } else {
            let n = u64::from(w.total & !SINGLE);
            self.occ.get((w.first + rng.below(n) as u32) as usize)
        };
        let Some(&o) = o else {
            w.result = Some(false);
            return;
        };
        out.push(o.tok);
        w.steps += 1;
        let f = self.flag(o.tok);
        if f & F_END != 0 {
            w.result = Some(w.words >= MIN_SENTENCE_WORDS);
            return;
        }
        if f & F_PUNCT == 0 {
            w.words += 1;
            if w.words >= MAX_SENTENCE_WORDS {
                // Cap the length: close the sentence here instead of walking on.
                out.push(self.period);
                w.result = Some(true);
                return;
            }
        } else if w.words >= MAX_SENTENCE_WORDS - 8 && rng.chance(0.5) {
            // Late clause boundary: end the sentence (the comma becomes a full stop).
            if let Some(last) = out.last_mut() {
                *last = self.period;
            }
            w.result = Some(true);
            return;
        }
        if w.steps >= MAX_SENTENCE_TOKENS {
            w.result = Some(false);
            return;
        }
        (w.state, w.first, w.total) = (o.next, o.next_first, o.next_total);
    }

    /// Samples [`LANES`] raw sentences (model token ids) in lock-step, so the CPU can
    /// overlap their memory accesses; `ok[i]` is false for a failed sentence.
    fn raw_batch(&self, rng: &mut Rng, outs: &mut [Vec<u32>; LANES], ok: &mut [bool; LANES]) {
        let mut walks = [self.start_walk(); LANES];
        for o in outs.iter_mut() {
            o.clear();
        }
        let mut active = LANES;
        while active > 0 {
            active = 0;
            for (w, out) in walks.iter_mut().zip(outs.iter_mut()) {
                if w.result.is_none() {
                    self.walk_step(w, rng, out);
                    active += usize::from(w.result.is_none());
                }
            }
        }
        for (k, w) in ok.iter_mut().zip(&walks) {
            *k = w.result == Some(true);
        }
    }

    /// Applies the per-document novelty perturbation: numbers re-drawn, and (for
    /// small seeds) a consistent per-document renaming of less frequent word types.
    fn rename(&self, raw: &[u32], key: u64, rng: &mut Rng, extra: &mut Vec<String>) -> Vec<u32> {
        let mut out = Vec::with_capacity(raw.len());
        for &t in raw {
            let f = self.flag(t);
            if f & F_NUM != 0 {
                out.push(push_extra(extra, redraw_number(self.tok_str(t, &[]), rng)));
            } else if f & (F_PUNCT | F_FREQ) == 0 && self.rename > 0.0 && t != START {
                let h = mix(key ^ u64::from(t).wrapping_mul(GOLDEN));
                if unit_of(h) < self.rename {
                    let h2 = mix(h);
                    if f & F_CAP != 0 || self.lower_words.is_empty() {
                        let mut r = Rng::new(h2);
                        let mut w = pseudo_word(&mut r);
                        if f & F_CAP == 0 {
                            w = w.to_lowercase();
                        }
                        out.push(push_extra(extra, w));
                    } else {
                        let i = (h2 % self.lower_words.len() as u64) as usize;
                        out.push(self.lower_words.get(i).copied().unwrap_or(t));
                    }
                    continue;
                }
                out.push(t);
            } else {
                out.push(t);
            }
        }
        out
    }

    /// A different word of the same shape (capitalised, number or lower case).
    fn replacement(&self, t: u32, extra: &mut Vec<String>, rng: &mut Rng) -> u32 {
        let old = self.tok_str(t, extra).to_string();
        if old.bytes().any(|b| b.is_ascii_digit()) {
            for _ in 0..8 {
                let n = redraw_number(&old, rng);
                if n != old {
                    return push_extra(extra, n);
                }
            }
        }
        let cap = old.chars().next().is_some_and(char::is_uppercase);
        let pool = if cap {
            &self.cap_words
        } else {
            &self.lower_words
        };
        for _ in 0..8 {
            if let Some(&c) = rng.pick(pool) {
                if !self.tok_str(c, extra).eq_ignore_ascii_case(&old) {
                    return c;
                }
            }
        }
        let mut w = pseudo_word(rng);
        if !cap {
            w = w.to_lowercase();
        }
        push_extra(extra, w)
    }

    fn calibrate(&mut self) {
        const RENAME_STEPS: [f64; 9] = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
        self.backoff = 0.0;
        self.rename = 0.0;
        self.sample_overlap = self.measure_overlap();
        if self.sample_overlap <= NOVELTY_TARGET {
            return;
        }
        self.backoff = 0.5;
        for r in RENAME_STEPS {
            self.rename = r;
            self.sample_overlap = self.measure_overlap();
            if self.sample_overlap <= NOVELTY_TARGET {
                return;
            }
        }
    }

    /// Mean pairwise word-5-gram Jaccard over a fixed sample of generated bodies.
    fn measure_overlap(&self) -> f64 {
        const SAMPLES: u64 = 24;
        let sets: Vec<Vec<u64>> = (0..SAMPLES)
            .map(|i| {
                let mut rng = Rng::stream(0x5EED, 99, i, 0);
                let mut g = DocGen::new(self, rng.next_u64());
                let mut extra = Vec::new();
                let paras = g.paragraphs(&mut rng, &mut extra, 300, 4);
                let story = Story {
                    byline: None,
                    paras,
                    extra,
                };
                let (text, _) = self.render(&story, PLAIN, None);
                word_shingles(&text)
            })
            .collect();
        let mut sum = 0.0;
        let mut n = 0usize;
        for i in 0..sets.len() {
            for j in i + 1..sets.len() {
                sum += jaccard(&sets[i], &sets[j]);
                n += 1;
            }
        }
        if n == 0 {
            0.0
        } else {
            sum / n as f64
        }
    }

    fn render(&self, story: &Story, style: Style, footer: Option<&str>) -> (String, Vec<Span>) {
        let mut out = String::with_capacity(4096);
        let mut spans = Vec::new();
        if let Some(b) = &story.byline {
            out.push_str(b);
            out.push_str(style.para_sep);
        }
        for (pi, para) in story.paras.iter().enumerate() {
            if pi > 0 {
                out.push_str(style.para_sep);
            }
            let mut line_start = out.len();
            out.push_str(style.indent);
            let mut first_in_para = true;
            for s in para {
                let Some(&t0) = s.toks.first() else { continue };
                if !first_in_para {
                    let w = self.tok_str(t0, &story.extra);
                    separate(&mut out, &mut line_start, style, style.sent_sep, w.len());
                }
                first_in_para = false;
                let start = out.len();
                for (ti, &t) in s.toks.iter().enumerate() {
                    let w = self.tok_str(t, &story.extra);
                    if ti > 0 && !self.is_punct(t) {
                        separate(&mut out, &mut line_start, style, " ", w.len());
                    }
                    out.push_str(w);
                }
                if s.tag != 0 {
                    spans.push(Span {
                        tag: s.tag,
                        start,
                        end: out.len(),
                    });
                }
            }
        }
        if let Some(f) = footer {
            out.push_str(style.para_sep);
            out.push_str(f);
        }
        (out, spans)
    }
}

fn separate(out: &mut String, line_start: &mut usize, style: Style, sep: &str, next: usize) {
    if style.wrap > 0 && out.len() - *line_start + sep.len() + next > style.wrap {
        out.push('\n');
        *line_start = out.len();
    } else {
        out.push_str(sep);
    }
}

fn push_extra(extra: &mut Vec<String>, s: String) -> u32 {
    extra.push(s);
    EXTRA | (extra.len() - 1) as u32
}

/// Same shape, new digits; four-digit runs that look like years keep their century.
fn redraw_number(s: &str, rng: &mut Rng) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if !c.is_ascii_digit() {
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let run = rest.bytes().take_while(u8::is_ascii_digit).count();
        let digits = &rest[..run];
        let keep = if run == 4 && (digits.starts_with("19") || digits.starts_with("20")) {
            2 // a year: keep the century
        } else {
            0
        };
        out.push_str(&digits[..keep]);
        for (i, d) in digits.bytes().enumerate().skip(keep) {
            let nonzero_lead = i == 0 && d != b'0';
            let digit = if nonzero_lead {
                b'1' + rng.below(9) as u8
            } else {
                b'0' + rng.below(10) as u8
            };
            out.push(char::from(digit));
        }
        rest = &rest[run..];
    }
    out
}

const ONSETS: &[&str] = &[
    "b", "br", "c", "d", "dr", "f", "g", "gr", "h", "k", "kr", "l", "m", "n", "p", "pr", "r", "s",
    "st", "t", "tr", "v", "w", "z", "sh", "ch", "th", "j",
];
const VOWELS: &[&str] = &[
    "a", "e", "i", "o", "u", "ai", "ea", "ou", "io", "ar", "el", "in", "or", "an", "en",
];
const CODAS: &[&str] = &[
    "", "", "n", "r", "s", "l", "m", "nd", "rt", "ck", "x", "ng", "ss",
];

/// A capitalised pronounceable made-up word (for names and novelty renaming).
fn pseudo_word(rng: &mut Rng) -> String {
    let mut w = String::new();
    for _ in 0..rng.range(2, 3) {
        w.push_str(rng.pick(ONSETS).copied().unwrap_or("b"));
        w.push_str(rng.pick(VOWELS).copied().unwrap_or("a"));
    }
    w.push_str(rng.pick(CODAS).copied().unwrap_or(""));
    capitalize(&w)
}

fn capitalize(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

// ---------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Sent {
    toks: Vec<u32>,
    /// 0 = plain, 1 = first of a planted repeat, 2 = second.
    tag: u8,
}

#[derive(Clone, Debug)]
struct Story {
    byline: Option<String>,
    paras: Vec<Vec<Sent>>,
    extra: Vec<String>,
}

#[derive(Clone, Copy, Debug)]
struct Span {
    tag: u8,
    start: usize,
    end: usize,
}

#[derive(Clone, Copy, Debug)]
struct Style {
    sent_sep: &'static str,
    para_sep: &'static str,
    indent: &'static str,
    wrap: usize,
}

const PLAIN: Style = Style {
    sent_sep: " ",
    para_sep: "\n\n",
    indent: "",
    wrap: 0,
};

/// Generates sentences for one document, keeping them distinct within the page.
struct DocGen<'m> {
    m: &'m Model,
    key: u64,
    seen: IdSet,
    raw: Vec<u32>,
    grams: Vec<u64>,
    batch: [Vec<u32>; LANES],
    batch_ok: [bool; LANES],
    batch_pos: usize,
}

impl<'m> DocGen<'m> {
    fn new(m: &'m Model, key: u64) -> DocGen<'m> {
        DocGen {
            m,
            key,
            seen: IdSet::default(),
            raw: Vec::new(),
            grams: Vec::new(),
            batch: Default::default(),
            batch_ok: [false; LANES],
            batch_pos: LANES,
        }
    }

    /// Moves the next raw sentence into `raw`; false if it failed.
    fn next_raw(&mut self, rng: &mut Rng) -> bool {
        if self.batch_pos >= LANES {
            self.m.raw_batch(rng, &mut self.batch, &mut self.batch_ok);
            self.batch_pos = 0;
        }
        let i = self.batch_pos;
        self.batch_pos += 1;
        std::mem::swap(&mut self.raw, &mut self.batch[i]);
        self.batch_ok[i]
    }

    /// Fills `grams` with the raw sentence's word-4-gram hashes (or one whole-sentence
    /// hash when it has fewer than four words).
    fn compute_grams(&mut self) {
        self.grams.clear();
        let words: Vec<u64> = self
            .raw
            .iter()
            .filter(|&&t| !self.m.is_punct(t))
            .map(|&t| u64::from(t))
            .collect();
        if words.len() < 4 {
            let h = words.iter().fold(0xABCDu64, |h, &w| mix(h ^ w));
            self.grams.push(h);
        } else {
            for w in words.windows(4) {
                self.grams
                    .push(mix((w[0] << 32 | w[1]) ^ mix(w[2] << 32 | w[3])));
            }
        }
    }

    fn sentence(&mut self, rng: &mut Rng, extra: &mut Vec<String>) -> Sent {
        for _ in 0..SENTENCE_TRIES {
            if !self.next_raw(rng) {
                continue;
            }
            self.compute_grams();
            let seen = self.grams.iter().filter(|g| self.seen.contains(g)).count();
            if seen * 3 <= self.grams.len() {
                break;
            }
        }
        // After exhausting the tries the last attempt is used as it is, made to end.
        match self.raw.last() {
            Some(&t) if self.m.flag(t) & F_END != 0 => {}
            _ => self.raw.push(self.m.period),
        }
        self.compute_grams();
        self.seen.extend(self.grams.iter().copied());
        Sent {
            toks: self.m.rename(&self.raw, self.key, rng, extra),
            tag: 0,
        }
    }

    fn paragraphs(
        &mut self,
        rng: &mut Rng,
        extra: &mut Vec<String>,
        words: usize,
        n_paras: usize,
    ) -> Vec<Vec<Sent>> {
        let n = n_paras.max(1);
        let per = (words / n).max(1);
        let mut paras = Vec::with_capacity(n);
        for _ in 0..n {
            let mut para = Vec::new();
            let mut w = 0;
            let cap = (per / 8).max(12);
            while para.len() < cap && (para.is_empty() || w + 15 < per) {
                let s = self.sentence(rng, extra);
                w += self.m.word_count(&s);
                para.push(s);
            }
            paras.push(para);
        }
        paras
    }

    fn headline(&mut self, rng: &mut Rng) -> String {
        for _ in 0..10 {
            if self.next_raw(rng) {
                break;
            }
        }
        let mut extra = Vec::new();
        let toks = self.m.rename(&self.raw, self.key, rng, &mut extra);
        let limit = rng.range(5, 11);
        let mut words: Vec<String> = Vec::new();
        for &t in &toks {
            if self.m.is_punct(t) {
                continue;
            }
            let w = self.m.tok_str(t, &extra);
            if words.is_empty() || !SMALL_WORDS.contains(&w.to_lowercase().as_str()) {
                words.push(capitalize(w));
            } else {
                words.push(w.to_string());
            }
            if words.len() >= limit {
                break;
            }
        }
        while words.len() > 3
            && words
                .last()
                .is_some_and(|w| SMALL_WORDS.contains(&w.to_lowercase().as_str()))
        {
            words.pop();
        }
        if words.is_empty() {
            return "News Update".to_string();
        }
        words.join(" ")
    }
}

const SMALL_WORDS: &[&str] = &[
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "and", "or", "by", "with", "from", "as",
    "is", "was", "it", "its", "that", "but",
];

impl Model {
    fn word_count(&self, s: &Sent) -> usize {
        s.toks.iter().filter(|&&t| !self.is_punct(t)).count()
    }

    fn story_words(&self, story: &Story) -> usize {
        story
            .paras
            .iter()
            .flatten()
            .map(|s| self.word_count(s))
            .sum()
    }
}

const FIRST_NAMES: &[&str] = &[
    "Alex", "Maria", "James", "Sofia", "David", "Hannah", "Peter", "Laura", "Daniel", "Emma",
    "Michael", "Anna", "Thomas", "Grace", "Robert", "Nina", "Samuel", "Clara", "Jonas", "Elena",
    "Victor", "Irene", "Oliver", "Paula", "Marcus", "Ruth", "Simon", "Lucia", "Adam", "Helen",
];

fn byline(rng: &mut Rng) -> String {
    let first = rng.pick(FIRST_NAMES).copied().unwrap_or("Alex");
    let last = pseudo_word(rng);
    format!("By {first} {last}")
}

/// Publishers and their fixed footers (`None`: never carries boilerplate).
const PUBLISHERS: &[(&str, Option<&str>)] = &[
    (
        "Harbor City Times",
        Some(
            "We use cookies to personalise content and ads and to analyse our traffic. By \
             continuing to use this site you agree to our use of cookies. You can change \
             your choice at any time in Privacy Settings.",
        ),
    ),
    (
        "The Northern Ledger",
        Some(
            "Related News: Markets | Energy | Politics | World | Technology | Opinion | \
             Weather | Sport\nFollow The Northern Ledger for live updates throughout the day.",
        ),
    ),
    (
        "Valley Wire",
        Some(
            "Media playback is unsupported on your device. Watch the full report in our app \
             or open this page in a supported browser.",
        ),
    ),
    (
        "Meridian Daily",
        Some(
            "Copyright Meridian Daily. All rights reserved. This material may not be \
             published, broadcast, rewritten or redistributed in any form without prior \
             written permission.",
        ),
    ),
    (
        "Pacific Courier",
        Some(
            "Sign up for the morning briefing to get the day's top stories delivered to \
             your inbox before breakfast. You can unsubscribe at any time with one click.",
        ),
    ),
    ("Eastbrook Gazette", None),
    ("Lakeside Observer", None),
    ("Summit Financial Post", None),
    ("Riverton Chronicle", None),
    ("Global Markets Digest", None),
    ("Capital Business Review", None),
    ("Coastline Newswire", None),
];

/// Picks a publisher index not in `exclude` (when possible); with probability
/// `boilerplate` one with a footer, whose footer is then returned.
fn pick_publisher(
    rng: &mut Rng,
    boilerplate: f64,
    exclude: &[usize],
) -> (usize, Option<&'static str>) {
    let with_footer = rng.chance(boilerplate);
    let allowed = |i: usize| !with_footer || PUBLISHERS[i].1.is_some();
    let mut pool: Vec<usize> = (0..PUBLISHERS.len())
        .filter(|&i| allowed(i) && !exclude.contains(&i))
        .collect();
    if pool.is_empty() {
        // More family members than publishers: repeat all but the base's.
        pool = (0..PUBLISHERS.len())
            .filter(|&i| allowed(i) && exclude.first() != Some(&i))
            .collect();
    }
    let i = rng.pick(&pool).copied().unwrap_or(0);
    let footer = if with_footer {
        PUBLISHERS.get(i).and_then(|p| p.1)
    } else {
        None
    };
    (i, footer)
}

fn publisher_name(i: usize) -> String {
    PUBLISHERS.get(i).map_or("Unknown", |p| p.0).to_string()
}

/// `YYYY-MM-DD` for `day` days after 2024-01-01.
fn date_string(day: u64) -> String {
    let z = 19_723 + day as i64 + 719_468; // 2024-01-01 is day 19,723 of the Unix epoch
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

// ---------------------------------------------------------------------------
// Edits
// ---------------------------------------------------------------------------

/// Positions `(paragraph, sentence, token)` of plain alphabetic words.
fn word_positions(m: &Model, story: &Story) -> Vec<(usize, usize, usize)> {
    let mut v = Vec::new();
    for (p, para) in story.paras.iter().enumerate() {
        for (s, sent) in para.iter().enumerate() {
            for (i, &t) in sent.toks.iter().enumerate() {
                let w = m.tok_str(t, &story.extra);
                if !m.is_punct(t) && w.chars().count() >= 2 && w.chars().all(char::is_alphabetic) {
                    v.push((p, s, i));
                }
            }
        }
    }
    v
}

fn substitute_words(m: &Model, story: &mut Story, rng: &mut Rng, share: f64) -> usize {
    let mut pos = word_positions(m, story);
    let n = ((m.story_words(story) as f64 * share).round() as usize).min(pos.len());
    rng.shuffle(&mut pos);
    for &(p, s, i) in pos.iter().take(n) {
        let t = story.paras[p][s].toks[i];
        let r = m.replacement(t, &mut story.extra, rng);
        story.paras[p][s].toks[i] = r;
    }
    n
}

fn sentence_count(story: &Story) -> usize {
    story.paras.iter().map(Vec::len).sum()
}

/// Drops up to `n` random sentences, keeping at least three; returns how many.
fn drop_sentences(story: &mut Story, rng: &mut Rng, n: usize) -> usize {
    let mut done = 0;
    for _ in 0..n {
        let total = sentence_count(story);
        if total <= 3 {
            break;
        }
        let mut k = rng.index(total);
        let mut removed = false;
        for p in 0..story.paras.len() {
            if k < story.paras[p].len() {
                story.paras[p].remove(k);
                if story.paras[p].is_empty() {
                    story.paras.remove(p);
                }
                removed = true;
                break;
            }
            k -= story.paras[p].len();
        }
        if removed {
            done += 1;
        }
    }
    done
}

fn insert_sentences(g: &mut DocGen<'_>, story: &mut Story, rng: &mut Rng, n: usize) -> usize {
    for _ in 0..n {
        let s = g.sentence(rng, &mut story.extra);
        if story.paras.is_empty() {
            story.paras.push(Vec::new());
        }
        let p = rng.index(story.paras.len());
        let at = rng.range(0, story.paras[p].len());
        story.paras[p].insert(at, s);
    }
    n
}

fn reorder_paragraphs(story: &mut Story, rng: &mut Rng) -> bool {
    let n = story.paras.len();
    if n < 2 {
        return false;
    }
    let mut order: Vec<usize> = (0..n).collect();
    for _ in 0..10 {
        rng.shuffle(&mut order);
        if order.iter().enumerate().any(|(i, &o)| i != o) {
            break;
        }
    }
    if order.iter().enumerate().all(|(i, &o)| i == o) {
        order.swap(0, 1);
    }
    let old = std::mem::take(&mut story.paras);
    let mut slots: Vec<Option<Vec<Sent>>> = old.into_iter().map(Some).collect();
    story.paras = order
        .iter()
        .filter_map(|&o| slots.get_mut(o).and_then(Option::take))
        .collect();
    true
}

const OCR_SWAPS: &[(&str, &str)] = &[
    ("rn", "m"),
    ("m", "rn"),
    ("l", "1"),
    ("I", "l"),
    ("O", "0"),
    ("o", "0"),
    ("e", "c"),
    ("c", "e"),
    ("h", "b"),
    ("cl", "d"),
    ("d", "cl"),
    ("i", "l"),
    ("S", "5"),
    ("B", "8"),
    ("u", "v"),
    ("n", "h"),
    ("a", "o"),
    ("t", "f"),
];

/// One OCR-like error in `w`: a look-alike swap, a dropped letter or a split word.
fn ocr_corrupt(w: &str, rng: &mut Rng) -> Option<String> {
    let mut cands: Vec<String> = Vec::new();
    for &(from, to) in OCR_SWAPS {
        for (i, _) in w.match_indices(from) {
            cands.push(format!("{}{}{}", &w[..i], to, &w[i + from.len()..]));
        }
    }
    let inner: Vec<usize> = w.char_indices().map(|(i, _)| i).skip(1).collect();
    if let Some(&i) = rng.pick(&inner) {
        let end = w[i..].chars().next().map_or(i, |c| i + c.len_utf8());
        cands.push(format!("{}{}", &w[..i], &w[end..]));
        cands.push(format!("{} {}", &w[..i], &w[i..]));
    }
    let lw = w.to_lowercase();
    for _ in 0..6 {
        if let Some(c) = rng.pick(&cands) {
            if c.to_lowercase() != lw {
                return Some(c.clone());
            }
        }
    }
    None
}

/// Corrupts about `share` of the words with OCR-like errors; returns how many.
fn ocr_noise(m: &Model, story: &mut Story, rng: &mut Rng, share: f64) -> usize {
    let mut pos: Vec<_> = word_positions(m, story)
        .into_iter()
        .filter(|&(p, s, i)| {
            m.tok_str(story.paras[p][s].toks[i], &story.extra)
                .chars()
                .count()
                >= 3
        })
        .collect();
    let n = ((m.story_words(story) as f64 * share).round() as usize)
        .max(1)
        .min(pos.len());
    rng.shuffle(&mut pos);
    let mut done = 0;
    for &(p, s, i) in pos.iter().take(n) {
        let t = story.paras[p][s].toks[i];
        if let Some(c) = ocr_corrupt(m.tok_str(t, &story.extra), rng) {
            story.paras[p][s].toks[i] = push_extra(&mut story.extra, c);
            done += 1;
        }
    }
    done
}

/// Upper-cases, lower-cases or capitalises about `share` of the words.
fn case_noise(m: &Model, story: &mut Story, rng: &mut Rng, share: f64) -> usize {
    let mut pos = word_positions(m, story);
    let n = ((pos.len() as f64 * share).round() as usize)
        .max(1)
        .min(pos.len());
    rng.shuffle(&mut pos);
    let mut done = 0;
    for &(p, s, i) in pos.iter().take(n) {
        let t = story.paras[p][s].toks[i];
        let w = m.tok_str(t, &story.extra);
        let c = match rng.index(3) {
            0 => w.to_uppercase(),
            1 => w.to_lowercase(),
            _ => capitalize(&w.to_lowercase()),
        };
        if c != w {
            story.paras[p][s].toks[i] = push_extra(&mut story.extra, c);
            done += 1;
        }
    }
    done
}

/// Drops about half the commas and adds a few new ones.
fn punctuation_noise(m: &Model, story: &mut Story, rng: &mut Rng) -> bool {
    let comma = m.vocab.iter().position(|v| &**v == ",").map(|i| i as u32);
    let mut changed = false;
    for sent in story.paras.iter_mut().flatten() {
        let before = sent.toks.len();
        sent.toks.retain(|&t| Some(t) != comma || rng.chance(0.5));
        changed |= sent.toks.len() != before;
    }
    if let Some(c) = comma {
        for _ in 0..rng.range(2, 5) {
            let pos = word_positions(m, story);
            if let Some(&(p, s, i)) = rng.pick(&pos) {
                let toks = &mut story.paras[p][s].toks;
                if i + 2 < toks.len() && !m.is_punct(toks[i + 1]) {
                    toks.insert(i + 1, c);
                    changed = true;
                }
            }
        }
    }
    changed
}

fn whitespace_style(rng: &mut Rng) -> Style {
    match rng.index(4) {
        0 => Style {
            sent_sep: "  ",
            ..PLAIN
        },
        1 => Style {
            para_sep: "\n",
            indent: "    ",
            wrap: rng.range(62, 76),
            ..PLAIN
        },
        2 => Style {
            para_sep: "\n",
            ..PLAIN
        },
        _ => Style {
            para_sep: "\n \n",
            wrap: rng.range(70, 90),
            ..PLAIN
        },
    }
}

/// Plants a near-repeat: a sentence of 8+ words copied at least two sentences later
/// with 1-3 words substituted.
fn plant_repeat(m: &Model, story: &mut Story, rng: &mut Rng) -> bool {
    let flat: Vec<(usize, usize)> = story
        .paras
        .iter()
        .enumerate()
        .flat_map(|(p, para)| (0..para.len()).map(move |s| (p, s)))
        .collect();
    let total = flat.len();
    let cands: Vec<usize> = (0..total.saturating_sub(2))
        .filter(|&k| {
            let (p, s) = flat[k];
            m.word_count(&story.paras[p][s]) >= 8
        })
        .collect();
    let Some(&k) = rng.pick(&cands) else {
        return false;
    };
    let (p, s) = flat[k];
    let mut copy = story.paras[p][s].clone();
    let words: Vec<usize> = copy
        .toks
        .iter()
        .enumerate()
        .filter(|&(_, &t)| {
            let w = m.tok_str(t, &story.extra);
            !m.is_punct(t) && w.chars().count() >= 2 && w.chars().all(char::is_alphabetic)
        })
        .map(|(i, _)| i)
        .collect();
    let mut words = words;
    rng.shuffle(&mut words);
    let n = rng.range(1, 3).min(words.len());
    if n == 0 {
        return false;
    }
    for &i in words.iter().take(n) {
        copy.toks[i] = m.replacement(copy.toks[i], &mut story.extra, rng);
    }
    story.paras[p][s].tag = 1;
    copy.tag = 2;
    // Insert before flat sentence q (q == total: at the end of the last paragraph).
    let q = rng.range(k + 2, total);
    if q >= total {
        if let Some(last) = story.paras.last_mut() {
            last.push(copy);
        }
    } else {
        let (qp, qs) = flat[q];
        story.paras[qp].insert(qs, copy);
    }
    true
}

/// Keeps whole sentences from the start until `share` of the words; returns the
/// share actually kept.
fn truncate(m: &Model, story: &mut Story, share: f64) -> f64 {
    let total = m.story_words(story).max(1);
    let want = (total as f64 * share).round() as usize;
    let mut kept = 0;
    let mut paras = Vec::new();
    'outer: for para in std::mem::take(&mut story.paras) {
        let mut np = Vec::new();
        for s in para {
            if kept >= want {
                if !np.is_empty() {
                    paras.push(np);
                }
                break 'outer;
            }
            kept += m.word_count(&s);
            np.push(s);
        }
        paras.push(np);
    }
    story.paras = paras;
    kept as f64 / total as f64
}

// ---------------------------------------------------------------------------
// Planning and generation
// ---------------------------------------------------------------------------

const DOMAIN_PLAN: u64 = 1;
const DOMAIN_BASE: u64 = 2;
const DOMAIN_COPY: u64 = 3;
const NONE: u32 = u32::MAX;

struct Plan {
    /// Number of base documents; bases `0..sizes.len()` head families.
    bases: usize,
    /// Copies per family.
    sizes: Vec<usize>,
    /// Global index of each family's first copy (for round-robin levels).
    copy_offset: Vec<usize>,
    /// Canonical index of each base (its copies follow it).
    canon_start: Vec<usize>,
    /// Output position of each canonical index.
    pos: Vec<usize>,
    levels: Vec<EditLevel>,
    id_width: usize,
    fam_width: usize,
}

fn digits(n: usize) -> usize {
    n.max(1).ilog10() as usize + 1
}

impl Plan {
    fn new(opts: &GenerateOptions) -> Plan {
        let n = opts.documents;
        let mut rng = Rng::stream(opts.seed, DOMAIN_PLAN, 0, 0);
        let mut levels: Vec<EditLevel> = Vec::new();
        for &l in &opts.levels {
            if !levels.contains(&l) {
                levels.push(l);
            }
        }
        let fmax = opts.families_max;
        let share = if opts.copy_share.is_finite() {
            opts.copy_share.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let mut copies = if levels.is_empty() || fmax == 0 || n < 2 {
            0
        } else {
            (n as f64 * share).round() as usize
        };
        // Every family needs a base: copies <= bases * fmax.
        let most = (n as u128 * fmax as u128 / (fmax as u128 + 1)) as usize;
        copies = copies.min(most);
        let bases = n - copies;
        let mut sizes = Vec::new();
        let mut left = copies;
        while left > 0 {
            let k = rng.range(1, fmax).min(left);
            sizes.push(k);
            left -= k;
        }
        if sizes.len() > bases {
            let f = bases.max(1);
            sizes = (0..f)
                .map(|i| copies / f + usize::from(i < copies % f))
                .filter(|&k| k > 0)
                .collect();
        }
        let mut copy_offset = Vec::with_capacity(sizes.len());
        let mut canon_start = Vec::with_capacity(bases);
        let mut c = 0;
        let mut off = 0;
        for b in 0..bases {
            canon_start.push(c);
            c += 1;
            if let Some(&k) = sizes.get(b) {
                copy_offset.push(off);
                off += k;
                c += k;
            }
        }
        let mut perm: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut perm);
        let mut plan = Plan {
            bases,
            sizes,
            copy_offset,
            canon_start,
            pos: perm,
            levels,
            id_width: digits(n.saturating_sub(1)).max(6),
            fam_width: 5,
        };
        plan.fam_width = digits(plan.sizes.len().saturating_sub(1)).max(5);
        plan.separate_families(&mut rng);
        plan
    }

    /// Moves family members that landed next to each other away, swapping them with
    /// unrelated single documents (best effort, bounded work).
    fn separate_families(&mut self, rng: &mut Rng) {
        let n = self.pos.len();
        let mut owner = vec![NONE; n];
        let mut canon_at = vec![0usize; n];
        for (c, &p) in self.pos.iter().enumerate() {
            canon_at[p] = c;
        }
        for (f, &k) in self.sizes.iter().enumerate() {
            let start = self.canon_start[f];
            for c in start..=start + k {
                owner[self.pos[c]] = f as u32;
            }
        }
        for (f, &k) in self.sizes.iter().enumerate() {
            let start = self.canon_start[f];
            for _ in 0..32 {
                let adjacent = (start..=start + k).find(|&c| {
                    let p = self.pos[c];
                    (p > 0 && owner[p - 1] == f as u32) || (p + 1 < n && owner[p + 1] == f as u32)
                });
                let Some(c) = adjacent else { break };
                let free = |r: usize| {
                    owner[r] == NONE
                        && (r == 0 || owner[r - 1] != f as u32)
                        && (r + 1 >= n || owner[r + 1] != f as u32)
                };
                let mut target = None;
                for _ in 0..64 {
                    let r = rng.index(n);
                    if free(r) && r.abs_diff(self.pos[c]) > 1 {
                        target = Some(r);
                        break;
                    }
                }
                let Some(r) = target else { break };
                let p = self.pos[c];
                let other = canon_at[r];
                self.pos[c] = r;
                self.pos[other] = p;
                canon_at[r] = c;
                canon_at[p] = other;
                owner[r] = f as u32;
                owner[p] = NONE;
            }
        }
    }

    fn id(&self, canon: usize) -> String {
        format!(
            "g{:0w$}",
            self.pos.get(canon).copied().unwrap_or(canon),
            w = self.id_width
        )
    }

    fn family_id(&self, f: usize) -> String {
        format!("f{:0w$}", f, w = self.fam_width)
    }
}

fn target_words(mean: usize, rng: &mut Rng) -> usize {
    ((mean as f64 * rng.uniform(0.6, 1.4)).round() as usize).max(MIN_SENTENCE_WORDS)
}

fn base_paragraphs(words: usize) -> usize {
    ((words as f64 / 70.0).round() as usize).clamp(4, 10)
}

struct Member {
    pos: usize,
    id: String,
    level: Option<EditLevel>,
    edits: Vec<String>,
}

struct FamilyOut {
    docs: Vec<(usize, GeneratedDoc)>,
    pairs: Vec<PlantedPair>,
    repeats: Vec<(usize, PlantedRepeat)>,
}

fn repeat_of(id: &str, spans: &[Span]) -> Option<PlantedRepeat> {
    let a = spans.iter().find(|s| s.tag == 1)?;
    let b = spans.iter().find(|s| s.tag == 2)?;
    let (x, y) = if a.start <= b.start { (a, b) } else { (b, a) };
    Some(PlantedRepeat {
        doc: id.to_string(),
        first: (x.start, x.end),
        second: (y.start, y.end),
    })
}

struct CopyOut {
    title: String,
    text: String,
    spans: Vec<Span>,
    publisher: usize,
    edits: Vec<String>,
}

struct BaseInfo<'a> {
    story: &'a Story,
    text: &'a str,
    spans: &'a [Span],
    title: &'a str,
    footer: Option<&'static str>,
    seen: &'a IdSet,
}

fn make_copy(
    m: &Model,
    opts: &GenerateOptions,
    base: &BaseInfo<'_>,
    level: EditLevel,
    rng: &mut Rng,
    used: &[usize],
) -> CopyOut {
    let (publisher, footer) = pick_publisher(rng, opts.boilerplate_share, used);
    if level == EditLevel::Exact {
        return CopyOut {
            title: base.title.to_string(),
            text: base.text.to_string(),
            spans: base.spans.to_vec(),
            publisher,
            edits: Vec::new(),
        };
    }
    let mut g = DocGen::new(m, rng.next_u64());
    g.seen = base.seen.clone();
    let mut story = base.story.clone();
    let mut edits: Vec<String> = vec!["headline".to_string()];
    let title = g.headline(rng);
    let mut style = PLAIN;
    let base_words = m.story_words(&story);

    if level != EditLevel::Partial {
        let mut byline_changed = rng.chance(0.5);
        if footer == base.footer && !byline_changed {
            byline_changed = true;
        }
        if byline_changed {
            story.byline = match story.byline {
                Some(_) if rng.chance(0.5) => None,
                _ => Some(byline(rng)),
            };
            edits.push("byline".to_string());
        }
    }
    match level {
        EditLevel::Exact => {}
        EditLevel::Light | EditLevel::Medium => {
            let mut noise = [rng.chance(0.5), rng.chance(0.5), rng.chance(0.5)];
            if !noise.iter().any(|&b| b) {
                noise[rng.index(3)] = true;
            }
            if level == EditLevel::Medium {
                let ops = rng.range(1, 2);
                let drops = (0..ops).filter(|_| rng.chance(0.5)).count();
                let d = drop_sentences(&mut story, rng, drops);
                if d > 0 {
                    edits.push(format!("drop_sentence:{d}"));
                }
                let i = insert_sentences(&mut g, &mut story, rng, ops - drops);
                if i > 0 {
                    edits.push(format!("insert_sentence:{i}"));
                }
                let share = rng.uniform(0.01, 0.02);
                let n = substitute_words(m, &mut story, rng, share);
                if n > 0 {
                    edits.push(format!("substitute_words:{n}"));
                }
            }
            if noise[0] {
                style = whitespace_style(rng);
                edits.push("whitespace".to_string());
            }
            let share = rng.uniform(0.02, 0.05);
            if noise[1] && case_noise(m, &mut story, rng, share) > 0 {
                edits.push("case_noise".to_string());
            }
            if noise[2] && punctuation_noise(m, &mut story, rng) {
                edits.push("punctuation".to_string());
            }
        }
        EditLevel::Heavy => {
            let drops = rng.range(2, 3);
            let d = drop_sentences(&mut story, rng, drops);
            if d > 0 {
                edits.push(format!("drop_sentence:{d}"));
            }
            let share = rng.uniform(0.04, 0.06);
            let n = substitute_words(m, &mut story, rng, share);
            if n > 0 {
                edits.push(format!("substitute_words:{n}"));
            }
            if reorder_paragraphs(&mut story, rng) {
                edits.push("reorder_paragraphs".to_string());
            }
            let share = rng.uniform(0.005, 0.015);
            let o = ocr_noise(m, &mut story, rng, share);
            if o > 0 {
                edits.push(format!("ocr_noise:{o}"));
            }
            if rng.chance(0.3) {
                style = whitespace_style(rng);
                edits.push("whitespace".to_string());
            }
        }
        EditLevel::Partial => match rng.index(3) {
            0 => {
                let kept = truncate(m, &mut story, rng.uniform(0.4, 0.7));
                edits.push(format!("truncate:{kept:.2}"));
            }
            1 => {
                let factor = rng.uniform(1.5, 3.0);
                let more = ((factor - 1.0) * base_words as f64).round() as usize;
                let before = (more as f64 * rng.uniform(0.2, 0.8)).round() as usize;
                let after = more - before;
                let mut paras = Vec::new();
                if before > 0 {
                    let n = base_paragraphs(before).min(before / 40 + 1);
                    paras.extend(g.paragraphs(rng, &mut story.extra, before, n));
                }
                paras.append(&mut story.paras);
                if after > 0 {
                    let n = base_paragraphs(after).min(after / 40 + 1);
                    paras.extend(g.paragraphs(rng, &mut story.extra, after, n));
                }
                story.paras = paras;
                let ratio = m.story_words(&story) as f64 / base_words.max(1) as f64;
                edits.push(format!("embed:{ratio:.2}"));
            }
            _ => {
                let words = (base_words as f64 * rng.uniform(0.5, 0.9)).round() as usize;
                let mut paras = g.paragraphs(rng, &mut story.extra, words.max(8), 2);
                let intro = paras
                    .iter()
                    .flatten()
                    .map(|s| m.word_count(s))
                    .sum::<usize>();
                paras.append(&mut story.paras);
                story.paras = paras;
                let ratio = intro as f64 / base_words.max(1) as f64;
                edits.push(format!("new_intro:{ratio:.2}"));
            }
        },
    }
    if footer != base.footer {
        edits.push("footer".to_string());
    }
    let (text, spans) = m.render(&story, style, footer);
    CopyOut {
        title,
        text,
        spans,
        publisher,
        edits,
    }
}

fn gen_family(m: &Model, opts: &GenerateOptions, plan: &Plan, b: usize) -> FamilyOut {
    let mut rng = Rng::stream(opts.seed, DOMAIN_BASE, b as u64, 0);
    let mut g = DocGen::new(m, rng.next_u64());
    let words = target_words(opts.mean_words, &mut rng);
    let mut story = Story {
        byline: None,
        paras: Vec::new(),
        extra: Vec::new(),
    };
    story.paras = g.paragraphs(&mut rng, &mut story.extra, words, base_paragraphs(words));
    if rng.chance(0.5) {
        story.byline = Some(byline(&mut rng));
    }
    let title = g.headline(&mut rng);
    if rng.chance(opts.repeat_share) {
        plant_repeat(m, &mut story, &mut rng);
    }
    let (publisher, footer) = pick_publisher(&mut rng, opts.boilerplate_share, &[]);
    let day = rng.below(366);
    let (text, spans) = m.render(&story, PLAIN, footer);

    let canon = plan.canon_start.get(b).copied().unwrap_or(0);
    let family = plan.sizes.get(b).map(|_| plan.family_id(b));
    let base_id = plan.id(canon);
    let mut out = FamilyOut {
        docs: Vec::new(),
        pairs: Vec::new(),
        repeats: Vec::new(),
    };
    let base_pos = plan.pos.get(canon).copied().unwrap_or(canon);
    if let Some(r) = repeat_of(&base_id, &spans) {
        out.repeats.push((base_pos, r));
    }
    let mut members = vec![Member {
        pos: base_pos,
        id: base_id.clone(),
        level: None,
        edits: Vec::new(),
    }];
    if let (Some(&k), Some(fam)) = (plan.sizes.get(b), family.as_ref()) {
        let info = BaseInfo {
            story: &story,
            text: &text,
            spans: &spans,
            title: &title,
            footer,
            seen: &g.seen,
        };
        let offset = plan.copy_offset.get(b).copied().unwrap_or(0);
        let mut used = vec![publisher];
        for j in 0..k {
            let level = plan.levels[(offset + j) % plan.levels.len()];
            let mut crng = Rng::stream(opts.seed, DOMAIN_COPY, b as u64, j as u64);
            let c = make_copy(m, opts, &info, level, &mut crng, &used);
            used.push(c.publisher);
            let cc = canon + 1 + j;
            let id = plan.id(cc);
            let pos = plan.pos.get(cc).copied().unwrap_or(cc);
            if let Some(r) = repeat_of(&id, &c.spans) {
                out.repeats.push((pos, r));
            }
            let lag = if level == EditLevel::Exact {
                crng.below(3)
            } else {
                crng.below(8)
            };
            out.docs.push((
                pos,
                GeneratedDoc {
                    id: id.clone(),
                    date: date_string(day + lag),
                    publisher: publisher_name(c.publisher),
                    title: c.title,
                    text: c.text,
                    family: Some(fam.clone()),
                },
            ));
            members.push(Member {
                pos,
                id,
                level: Some(level),
                edits: c.edits,
            });
        }
        for i in 0..members.len() {
            for j in i + 1..members.len() {
                let (x, y) = (&members[i], &members[j]);
                let (level, edits, base) = match (x.level, y.level) {
                    (None, Some(l)) => (l, y.edits.clone(), Some(x.id.clone())),
                    (Some(l), None) => (l, x.edits.clone(), Some(y.id.clone())),
                    (Some(l1), Some(l2)) => {
                        let mut e = x.edits.clone();
                        for s in &y.edits {
                            if !e.contains(s) {
                                e.push(s.clone());
                            }
                        }
                        (l1.max(l2), e, None)
                    }
                    (None, None) => continue,
                };
                let (a, bb) = if x.pos <= y.pos { (x, y) } else { (y, x) };
                out.pairs.push(PlantedPair {
                    a: a.id.clone(),
                    b: bb.id.clone(),
                    family: fam.clone(),
                    level,
                    edits,
                    base,
                });
            }
        }
        out.pairs.sort_by(|p, q| (&p.a, &p.b).cmp(&(&q.a, &q.b)));
    }
    out.docs.push((
        base_pos,
        GeneratedDoc {
            id: base_id,
            date: date_string(day),
            publisher: publisher_name(publisher),
            title,
            text,
            family,
        },
    ));
    out
}

/// Generates a corpus with planted near-duplicates, repeats and boilerplate.
///
/// Deterministic: the same model and options give the same corpus (and the same bytes
/// from [`write_corpus`]) whatever the rayon thread count. Work is split per base
/// document and its family, so 100,000 documents take a few seconds on two cores.
pub fn generate(model: &Model, opts: &GenerateOptions) -> Corpus {
    let plan = Plan::new(opts);
    let parts: Vec<FamilyOut> = (0..plan.bases)
        .into_par_iter()
        .map(|b| gen_family(model, opts, &plan, b))
        .collect();
    let mut docs = Vec::with_capacity(opts.documents);
    let mut pairs = Vec::new();
    let mut repeats = Vec::new();
    for part in parts {
        docs.extend(part.docs);
        pairs.extend(part.pairs);
        repeats.extend(part.repeats);
    }
    docs.par_sort_unstable_by_key(|d| d.0);
    repeats.sort_by_key(|r| r.0);
    Corpus {
        seed: opts.seed,
        docs: docs.into_iter().map(|d| d.1).collect(),
        pairs,
        repeats: repeats.into_iter().map(|r| r.1).collect(),
    }
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

#[derive(Serialize)]
struct DocLine<'a> {
    id: &'a str,
    date: &'a str,
    publisher: &'a str,
    title: &'a str,
    text: &'a str,
}

#[derive(Serialize)]
struct HeaderLine {
    #[serde(rename = "type")]
    kind: &'static str,
    seed: u64,
    documents: usize,
    generator_version: u32,
}

#[derive(Serialize)]
struct PairLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    a: &'a str,
    b: &'a str,
    family: &'a str,
    level: EditLevel,
    edits: &'a [String],
    base: Option<&'a str>,
}

#[derive(Serialize)]
struct RepeatLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    doc: &'a str,
    first: [usize; 2],
    second: [usize; 2],
}

fn json_line<W: Write, T: Serialize>(w: &mut W, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *w, value).map_err(io::Error::from)?;
    w.write_all(b"\n")
}

/// Writes the corpus as two JSONL streams.
///
/// `docs_out`: one `{"id","date","publisher","title","text"}` object per line, in
/// output order. `truth_out`: a `{"type":"header","seed","documents",
/// "generator_version"}` line, then one `{"type":"pair","a","b","family","level",
/// "edits","base"}` line per planted pair, then one
/// `{"type":"repeat","doc","first":[s,e],"second":[s,e]}` line per planted repeat
/// (byte offsets into that document's `text`). Both writers are buffered internally
/// and flushed before returning.
pub fn write_corpus(
    corpus: &Corpus,
    docs_out: &mut impl Write,
    truth_out: &mut impl Write,
) -> io::Result<()> {
    {
        let mut w = io::BufWriter::with_capacity(1 << 20, &mut *docs_out);
        for d in &corpus.docs {
            json_line(
                &mut w,
                &DocLine {
                    id: &d.id,
                    date: &d.date,
                    publisher: &d.publisher,
                    title: &d.title,
                    text: &d.text,
                },
            )?;
        }
        w.flush()?;
    }
    docs_out.flush()?;
    {
        let mut w = io::BufWriter::with_capacity(1 << 20, &mut *truth_out);
        json_line(
            &mut w,
            &HeaderLine {
                kind: "header",
                seed: corpus.seed,
                documents: corpus.docs.len(),
                generator_version: GENERATOR_VERSION,
            },
        )?;
        for p in &corpus.pairs {
            json_line(
                &mut w,
                &PairLine {
                    kind: "pair",
                    a: &p.a,
                    b: &p.b,
                    family: &p.family,
                    level: p.level,
                    edits: &p.edits,
                    base: p.base.as_deref(),
                },
            )?;
        }
        for r in &corpus.repeats {
            json_line(
                &mut w,
                &RepeatLine {
                    kind: "repeat",
                    doc: &r.doc,
                    first: [r.first.0, r.first.1],
                    second: [r.second.0, r.second.1],
                },
            )?;
        }
        w.flush()?;
    }
    truth_out.flush()
}

// ---------------------------------------------------------------------------
// Shingles (calibration and checks)
// ---------------------------------------------------------------------------

/// Sorted, deduplicated hashes of word 5-grams (tokens: lower-case alphanumeric runs).
fn word_shingles(text: &str) -> Vec<u64> {
    let toks: Vec<u64> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.chars()
                .flat_map(char::to_lowercase)
                .fold(0x1234_5678u64, |h, c| mix(h ^ u64::from(c)))
        })
        .collect();
    let mut out: Vec<u64> = toks
        .windows(5)
        .map(|w| w.iter().fold(0u64, |h, &t| mix(h ^ t)))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn intersection(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let i = intersection(a, b);
    let u = a.len() + b.len() - i;
    if u == 0 {
        1.0
    } else {
        i as f64 / u as f64
    }
}

/// Word-5-gram overlap of two texts, the measure the planted levels are tuned for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overlap {
    /// `|A ∩ B| / |A ∪ B|` over distinct word 5-grams.
    pub jaccard: f64,
    /// `|A ∩ B| / min(|A|, |B|)`: how much of the shorter text is in the longer one.
    pub containment: f64,
}

/// Exact word-5-gram Jaccard and containment of two texts (tokens: lower-case
/// alphanumeric runs). Handy for checking planted pairs against their level.
pub fn shingle_overlap(a: &str, b: &str) -> Overlap {
    let (sa, sb) = (word_shingles(a), word_shingles(b));
    let i = intersection(&sa, &sb);
    let small = sa.len().min(sb.len());
    Overlap {
        jaccard: jaccard(&sa, &sb),
        containment: if small == 0 {
            1.0
        } else {
            i as f64 / small as f64
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashMap};

    /// Made-up English-like seed text from small word lists (no third-party text).
    fn synthetic_seed(words: usize, seed: u64) -> String {
        const SUBJECTS: &[&str] = &[
            "The council",
            "A spokesman",
            "The company",
            "Officials",
            "The minister",
            "Local farmers",
            "The central bank",
            "Analysts",
            "The union",
            "Residents",
            "The mayor",
            "Investors",
            "The committee",
            "Engineers",
            "The airline",
            "Shareholders",
            "Its chairman",
            "The regulator",
            "Traders",
            "The board",
        ];
        const VERBS: &[&str] = &[
            "said",
            "reported",
            "announced",
            "expected",
            "warned",
            "confirmed",
            "denied",
            "estimated",
            "argued",
            "noted",
            "predicted",
            "suggested",
        ];
        const CLAUSES: &[&str] = &[
            "that prices would rise",
            "a sharp fall in exports",
            "new rules for lenders",
            "higher output this year",
            "that talks had stalled",
            "a plan to cut costs",
            "that demand remained weak",
            "a record harvest",
            "that the deal was off",
            "stronger sales in the north",
            "delays at the port",
            "a rise in bad loans",
            "that wages would be frozen",
            "a new factory near the river",
            "that the merger would proceed",
            "lower fuel costs",
        ];
        const TAILS: &[&str] = &[
            "after a long meeting",
            "despite heavy rain",
            "in a statement on Monday",
            "according to people familiar with the matter",
            "ahead of the vote",
            "for the third quarter",
            "in its annual report",
            "at a press conference",
            "before markets opened",
            "without giving details",
            "in the capital",
            "during a visit to the plant",
        ];
        const EXTRAS: &[&str] = &[
            "Shares rose",
            "Output fell",
            "Profit climbed",
            "Costs increased",
            "Imports slipped",
            "Revenue grew",
            "Spending dropped",
            "Exports gained",
        ];
        let mut rng = Rng::new(seed);
        let mut out = String::new();
        let mut n = 0;
        let pick = |rng: &mut Rng, v: &[&'static str]| rng.pick(v).copied().unwrap_or("");
        while n < words {
            let s = if rng.chance(0.3) {
                format!(
                    "{} {} pct to {} mln dlrs {}.",
                    pick(&mut rng, EXTRAS),
                    rng.range(1, 40),
                    rng.range(2, 900),
                    pick(&mut rng, TAILS)
                )
            } else {
                format!(
                    "{} {} {}, {}.",
                    pick(&mut rng, SUBJECTS),
                    pick(&mut rng, VERBS),
                    pick(&mut rng, CLAUSES),
                    pick(&mut rng, TAILS)
                )
            };
            n += s.split_whitespace().count();
            out.push_str(&s);
            out.push(if rng.chance(0.2) { '\n' } else { ' ' });
        }
        out
    }

    fn model() -> Model {
        let text = synthetic_seed(6_000, 11);
        match Model::from_texts([text.as_str()]) {
            Ok(m) => m,
            Err(e) => panic!("synthetic seed rejected: {e}"),
        }
    }

    fn opts(documents: usize, seed: u64) -> GenerateOptions {
        GenerateOptions {
            seed,
            documents,
            mean_words: 250,
            ..GenerateOptions::default()
        }
    }

    fn bytes(c: &Corpus) -> (Vec<u8>, Vec<u8>) {
        let (mut d, mut t) = (Vec::new(), Vec::new());
        if let Err(e) = write_corpus(c, &mut d, &mut t) {
            panic!("write_corpus failed: {e}");
        }
        (d, t)
    }

    fn alnum_tokens(s: &str) -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase)
            .collect()
    }

    fn edit_distance(a: &[String], b: &[String]) -> usize {
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, x) in a.iter().enumerate() {
            let mut cur = vec![i + 1; b.len() + 1];
            for (j, y) in b.iter().enumerate() {
                cur[j + 1] = (prev[j] + usize::from(x != y))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1);
            }
            prev = cur;
        }
        prev[b.len()]
    }

    #[test]
    fn prng_matches_reference_vectors() {
        let mut sm = 0u64;
        assert_eq!(splitmix64(&mut sm), 0xE220_A839_7B1D_CDAF);
        let mut r = Rng { s: [1, 2, 3, 4] };
        let got: Vec<u64> = (0..4).map(|_| r.next_u64()).collect();
        assert_eq!(got, [11520, 0, 1509978240, 1215971899390074240]);
        let mut r = Rng::new(7);
        assert!((0..1000).all(|_| r.below(10) < 10 && r.range(3, 5) >= 3));
    }

    #[test]
    fn golden_output_hash() {
        // If this fails the generator's bytes changed: bump GENERATOR_VERSION and
        // update the constant.
        let (d, t) = bytes(&generate(&model(), &opts(60, 123)));
        let h = d.iter().chain(&t).fold(0u64, |h, &b| mix(h ^ u64::from(b)));
        assert_eq!(GENERATOR_VERSION, 1);
        assert_eq!(h, GOLDEN_HASH, "got {h:#018x}");
    }

    const GOLDEN_HASH: u64 = 0xa808_18e4_b3f4_b420;

    #[test]
    fn numbers_keep_their_shape() {
        let mut rng = Rng::new(3);
        for s in [
            "155,221", "5.93", "1986/87", "1987", "0.39", "61-1/8", "2,325",
        ] {
            for _ in 0..20 {
                let r = redraw_number(s, &mut rng);
                assert_eq!(r.len(), s.len());
                for (a, b) in s.chars().zip(r.chars()) {
                    assert_eq!(a.is_ascii_digit(), b.is_ascii_digit(), "{s} -> {r}");
                    if !a.is_ascii_digit() {
                        assert_eq!(a, b);
                    }
                }
                assert!(!r.starts_with('0') || s.starts_with('0'), "{s} -> {r}");
            }
        }
        assert!(redraw_number("1987", &mut rng).starts_with("19"));
        assert!(redraw_number("1986/87", &mut rng).starts_with("19"));
    }

    #[test]
    fn tokenizer_keeps_numbers_and_abbreviations() {
        let mut toks = Vec::new();
        split_tokens(
            "The U.S. sold 1,750 tonnes (at 5.93 dlrs), Mr. Smith said... Why? \"Fine\"!",
            |t| toks.push(t.to_string()),
        );
        assert_eq!(
            toks,
            [
                "The", "U.S.", "sold", "1,750", "tonnes", "at", "5.93", "dlrs", ",", "Mr.",
                "Smith", "said", ".", "Why", "?", "Fine", "!"
            ]
        );
    }

    #[test]
    fn small_seed_is_a_clear_error() {
        let err = Model::from_texts(["Too short. Far too short to model anything."]);
        match err {
            Err(e @ GenerateError::SeedTooSmall { minimum, .. }) => {
                assert_eq!(minimum, MIN_SEED_WORDS);
                assert!(e.to_string().contains("too small"), "{e}");
            }
            other => panic!("expected SeedTooSmall, got {other:?}"),
        }
        assert!(Model::from_texts(std::iter::empty()).is_err());
    }

    #[test]
    fn same_seed_same_bytes_different_seed_different_bytes() {
        let m = model();
        let a = bytes(&generate(&m, &opts(300, 5)));
        let b = bytes(&generate(&m, &opts(300, 5)));
        assert!(a == b, "same seed gave different output");
        let c = bytes(&generate(&m, &opts(300, 6)));
        assert!(
            a.0 != c.0 && a.1 != c.1,
            "different seed gave the same output"
        );
    }

    #[test]
    fn output_is_independent_of_thread_count() {
        let m = model();
        let o = opts(250, 9);
        let run = |threads: usize| {
            let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
                Ok(p) => p,
                Err(e) => panic!("thread pool: {e}"),
            };
            pool.install(|| bytes(&generate(&m, &o)))
        };
        let one = run(1);
        assert!(one == run(3), "1 thread and 3 threads differ");
    }

    #[test]
    fn ids_dates_and_sizes() {
        let m = model();
        let c = generate(&m, &opts(500, 2));
        assert_eq!(c.docs.len(), 500);
        for (i, d) in c.docs.iter().enumerate() {
            assert_eq!(d.id, format!("g{i:06}"));
            let b = d.date.as_bytes();
            assert!(
                d.date.len() == 10 && b[4] == b'-' && b[7] == b'-',
                "{}",
                d.date
            );
            assert!(d.date.starts_with("2024") || d.date.starts_with("2025"));
            assert!(!d.title.is_empty() && !d.text.is_empty() && !d.publisher.is_empty());
        }
        let copies = c.pairs.iter().filter(|p| p.is_base_copy()).count();
        assert_eq!(copies, 150, "copy_share 0.3 of 500 documents");
        assert_eq!(date_string(0), "2024-01-01");
        assert_eq!(date_string(59), "2024-02-29");
        assert_eq!(date_string(366), "2025-01-01");
    }

    #[test]
    fn pairs_reference_documents_and_families_have_planted_levels() {
        let m = model();
        let c = generate(&m, &opts(800, 3));
        let by_id: HashMap<&str, &GeneratedDoc> =
            c.docs.iter().map(|d| (d.id.as_str(), d)).collect();
        let mut members: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for d in &c.docs {
            if let Some(f) = &d.family {
                members.entry(f).or_default().push(&d.id);
            }
        }
        let mut level_count: BTreeMap<EditLevel, usize> = BTreeMap::new();
        for p in &c.pairs {
            let (a, b) = match (by_id.get(p.a.as_str()), by_id.get(p.b.as_str())) {
                (Some(a), Some(b)) => (a, b),
                _ => panic!("pair {p:?} names a missing document"),
            };
            assert!(p.a < p.b);
            assert_eq!(a.family.as_deref(), Some(p.family.as_str()));
            assert_eq!(b.family.as_deref(), Some(p.family.as_str()));
            assert_ne!(a.publisher, b.publisher, "copies change publisher: {p:?}");
            if let Some(base) = &p.base {
                assert!(*base == p.a || *base == p.b);
                let copy = if *base == p.a { b } else { a };
                assert!(copy.date >= by_id[base.as_str()].date, "{p:?}");
                *level_count.entry(p.level).or_default() += 1;
            }
            if p.level == EditLevel::Exact {
                assert_eq!(a.text, b.text);
                assert!(p.edits.is_empty());
            } else {
                assert_ne!(a.text, b.text);
                assert!(p.edits.iter().any(|e| e == "headline"), "{p:?}");
            }
            let o = shingle_overlap(&a.text, &b.text);
            if p.is_base_copy() {
                match p.level {
                    EditLevel::Exact => assert!(o.jaccard == 1.0),
                    EditLevel::Light => assert!(o.jaccard >= 0.7, "{p:?} {o:?}"),
                    EditLevel::Medium => assert!(o.jaccard >= 0.45, "{p:?} {o:?}"),
                    EditLevel::Heavy => assert!(o.jaccard >= 0.15, "{p:?} {o:?}"),
                    EditLevel::Partial => assert!(o.containment >= 0.7, "{p:?} {o:?}"),
                }
            }
        }
        // Every unordered pair of every family is listed.
        for (f, ids) in &members {
            let n = ids.len();
            let listed = c.pairs.iter().filter(|p| p.family == *f).count();
            assert_eq!(listed, n * (n - 1) / 2, "family {f}");
        }
        // Levels are planted round-robin.
        assert_eq!(level_count.len(), 5, "{level_count:?}");
        let (lo, hi) = (
            level_count.values().min().copied().unwrap_or(0),
            level_count.values().max().copied().unwrap_or(0),
        );
        assert!(hi - lo <= 1, "{level_count:?}");
        // Relatives never sit next to each other.
        for w in c.docs.windows(2) {
            if let (Some(x), Some(y)) = (&w[0].family, &w[1].family) {
                assert_ne!(x, y, "{} and {} are adjacent relatives", w[0].id, w[1].id);
            }
        }
    }

    #[test]
    fn only_requested_levels_are_planted() {
        let m = model();
        let o = GenerateOptions {
            levels: vec![EditLevel::Light, EditLevel::Partial, EditLevel::Light],
            ..opts(300, 4)
        };
        let c = generate(&m, &o);
        assert!(!c.pairs.is_empty());
        assert!(c
            .pairs
            .iter()
            .all(|p| matches!(p.level, EditLevel::Light | EditLevel::Partial)));
    }

    #[test]
    fn repeat_spans_are_real_sentences_differing_in_few_words() {
        let m = model();
        let o = GenerateOptions {
            repeat_share: 1.0,
            ..opts(200, 8)
        };
        let c = generate(&m, &o);
        let by_id: HashMap<&str, &GeneratedDoc> =
            c.docs.iter().map(|d| (d.id.as_str(), d)).collect();
        let singles = c.docs.iter().filter(|d| d.family.is_none()).count();
        let single_repeats = c
            .repeats
            .iter()
            .filter(|r| by_id[r.doc.as_str()].family.is_none())
            .count();
        assert!(
            single_repeats * 10 >= singles * 9,
            "{single_repeats} of {singles}"
        );
        for r in &c.repeats {
            let text = &by_id[r.doc.as_str()].text;
            let span = |(s, e): (usize, usize)| -> &str {
                assert!(s < e && e <= text.len(), "{r:?}");
                match text.get(s..e) {
                    Some(t) => t,
                    None => panic!("span {s}..{e} not on char boundaries"),
                }
            };
            let (a, b) = (span(r.first), span(r.second));
            assert!(r.first.1 <= r.second.0, "{r:?}");
            for (t, (s, _)) in [(a, r.first), (b, r.second)] {
                assert!(t.ends_with(['.', '?', '!']), "{t:?}");
                assert!(t.chars().next().is_some_and(char::is_alphanumeric), "{t:?}");
                let before = text[..s].trim_end_matches([' ', '\n']);
                assert!(
                    before.is_empty()
                        || before.ends_with(['.', '?', '!'])
                        || text[before.len()..s].contains('\n'),
                    "span does not start a sentence: {t:?}"
                );
            }
            let (ta, tb) = (alnum_tokens(a), alnum_tokens(b));
            assert!(ta.len() >= 8);
            if by_id[r.doc.as_str()].family.is_none() {
                assert_eq!(ta.len(), tb.len(), "{a:?} / {b:?}");
                let diff = ta.iter().zip(&tb).filter(|(x, y)| x != y).count();
                assert!(
                    (1..=3).contains(&diff),
                    "{diff} words differ: {a:?} / {b:?}"
                );
            } else {
                let d = edit_distance(&ta, &tb);
                assert!((1..=10).contains(&d), "{d}: {a:?} / {b:?}");
            }
        }
    }

    #[test]
    fn truth_jsonl_layout() {
        let m = model();
        let o = GenerateOptions {
            repeat_share: 0.5,
            ..opts(120, 21)
        };
        let c = generate(&m, &o);
        let (docs, truth) = bytes(&c);
        let parse = |l: &str| match serde_json::from_str::<serde_json::Value>(l) {
            Ok(v) => v,
            Err(e) => panic!("bad JSON line {l:?}: {e}"),
        };
        let doc_lines: Vec<&str> = std::str::from_utf8(&docs).unwrap_or("").lines().collect();
        assert_eq!(doc_lines.len(), 120);
        assert!(doc_lines[0].starts_with("{\"id\":\"g000000\",\"date\":\""));
        let v = parse(doc_lines[0]);
        let keys: Vec<&String> = v
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys.len(), 5);
        let truth_lines: Vec<&str> = std::str::from_utf8(&truth).unwrap_or("").lines().collect();
        assert_eq!(
            truth_lines[0],
            format!("{{\"type\":\"header\",\"seed\":21,\"documents\":120,\"generator_version\":{GENERATOR_VERSION}}}")
        );
        let kinds: Vec<String> = truth_lines[1..]
            .iter()
            .map(|l| parse(l)["type"].as_str().unwrap_or("").to_string())
            .collect();
        assert_eq!(kinds.len(), c.pairs.len() + c.repeats.len());
        assert!(kinds[..c.pairs.len()].iter().all(|k| k == "pair"));
        assert!(kinds[c.pairs.len()..].iter().all(|k| k == "repeat"));
        if let Some(l) = truth_lines.get(1) {
            assert!(l.starts_with("{\"type\":\"pair\",\"a\":\"g"), "{l}");
        }
        if let Some(r) = c.repeats.first() {
            let l = truth_lines[1 + c.pairs.len()];
            let v = parse(l);
            assert_eq!(v["doc"], r.doc.as_str());
            assert_eq!(v["first"][0], r.first.0);
            assert_eq!(v["second"][1], r.second.1);
        }
    }

    #[test]
    fn edge_case_options() {
        let m = model();
        let empty = generate(&m, &opts(0, 1));
        assert!(empty.docs.is_empty() && empty.pairs.is_empty());
        let one = generate(&m, &opts(1, 1));
        assert_eq!(one.docs.len(), 1);
        assert!(one.pairs.is_empty());
        let no_levels = GenerateOptions {
            levels: Vec::new(),
            ..opts(50, 1)
        };
        let c = generate(&m, &no_levels);
        assert!(c.pairs.is_empty() && c.docs.iter().all(|d| d.family.is_none()));
        let greedy = GenerateOptions {
            copy_share: 1.0,
            families_max: 1,
            ..opts(40, 1)
        };
        let c = generate(&m, &greedy);
        assert_eq!(c.docs.len(), 40);
        assert_eq!(c.pairs.len(), 20);
        let nan = GenerateOptions {
            copy_share: f64::NAN,
            repeat_share: f64::NAN,
            boilerplate_share: -1.0,
            ..opts(30, 1)
        };
        let c = generate(&m, &nan);
        assert!(c.pairs.is_empty() && c.repeats.is_empty());
    }

    #[test]
    fn edit_level_names() {
        for l in EditLevel::ALL {
            assert_eq!(l.as_str().parse::<EditLevel>().ok(), Some(l));
            let json = serde_json::to_string(&l).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", l.as_str()));
        }
        assert!("HEAVY".parse::<EditLevel>().is_ok());
        assert!("rewrite".parse::<EditLevel>().is_err());
        assert!(EditLevel::Exact < EditLevel::Light && EditLevel::Heavy < EditLevel::Partial);
    }

    // ---- statistics on real text ---------------------------------------------------

    struct LevelStats {
        n: usize,
        j: (f64, f64, f64),
        c: (f64, f64, f64),
    }

    fn summarize(xs: &[(f64, f64)]) -> LevelStats {
        let n = xs.len().max(1) as f64;
        let agg = |f: fn(&(f64, f64)) -> f64| {
            let v: Vec<f64> = xs.iter().map(f).collect();
            (
                v.iter().sum::<f64>() / n,
                v.iter().copied().fold(f64::INFINITY, f64::min),
                v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            )
        };
        LevelStats {
            n: xs.len(),
            j: agg(|x| x.0),
            c: agg(|x| x.1),
        }
    }

    /// Prints per-level Jaccard/containment of planted base-copy pairs and checks the
    /// ranges, plus the novelty of unrelated bases. Returns mean Jaccard per level.
    fn check_corpus(label: &str, m: &Model, documents: usize) -> BTreeMap<EditLevel, f64> {
        let t = std::time::Instant::now();
        let c = generate(
            m,
            &GenerateOptions {
                seed: 77,
                documents,
                ..GenerateOptions::default()
            },
        );
        let by_id: HashMap<&str, &GeneratedDoc> =
            c.docs.iter().map(|d| (d.id.as_str(), d)).collect();
        let mut groups: BTreeMap<(EditLevel, bool), Vec<(f64, f64)>> = BTreeMap::new();
        for p in &c.pairs {
            let o = shingle_overlap(&by_id[p.a.as_str()].text, &by_id[p.b.as_str()].text);
            groups
                .entry((p.level, p.is_base_copy()))
                .or_default()
                .push((o.jaccard, o.containment));
        }
        eprintln!(
            "[{label}] model: {m:?}; {} docs, {} pairs, {} repeats in {:.1?}",
            c.docs.len(),
            c.pairs.len(),
            c.repeats.len(),
            t.elapsed()
        );
        let mut means = BTreeMap::new();
        for ((level, base_copy), xs) in &groups {
            let s = summarize(xs);
            eprintln!(
                "[{label}] {:<8} {:<9} n={:<5} jaccard mean {:.3} min {:.3} max {:.3} | containment mean {:.3} min {:.3} max {:.3}",
                level.as_str(),
                if *base_copy { "base-copy" } else { "copy-copy" },
                s.n, s.j.0, s.j.1, s.j.2, s.c.0, s.c.1, s.c.2
            );
            if *base_copy {
                means.insert(*level, s.j.0);
                match level {
                    EditLevel::Exact => assert!(s.j.1 == 1.0),
                    EditLevel::Light => assert!(s.j.0 >= 0.85, "{label} light"),
                    EditLevel::Medium => {
                        assert!((0.6..=0.9).contains(&s.j.0), "{label} medium {}", s.j.0)
                    }
                    EditLevel::Heavy => {
                        assert!((0.3..=0.7).contains(&s.j.0), "{label} heavy {}", s.j.0)
                    }
                    EditLevel::Partial => {
                        assert!(s.j.0 <= 0.7 && s.c.0 >= 0.9, "{label} partial")
                    }
                }
            }
        }
        let singles: Vec<&str> = c
            .docs
            .iter()
            .filter(|d| d.family.is_none())
            .map(|d| d.text.as_str())
            .collect();
        let mut rng = Rng::new(4242);
        let mut sum = 0.0;
        let mut max: f64 = 0.0;
        for _ in 0..2_000 {
            let a = rng.index(singles.len());
            let b = (a + 1 + rng.index(singles.len() - 1)) % singles.len();
            let j = shingle_overlap(singles[a], singles[b]).jaccard;
            sum += j;
            max = max.max(j);
        }
        eprintln!(
            "[{label}] unrelated bases: 2000 random pairs, mean jaccard {:.5}, max {:.4}",
            sum / 2_000.0,
            max
        );
        assert!(max < 0.1, "{label}: unrelated bases too similar ({max})");
        means
    }

    fn reuters_texts() -> Option<Vec<String>> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/reuters-21578.jsonl"
        );
        let Ok(raw) = std::fs::read_to_string(path) else {
            eprintln!(
                "\n!!!! SKIPPED: {path} is missing; the Reuters corpus statistics were NOT checked !!!!\n"
            );
            return None;
        };
        Some(
            raw.lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter_map(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_string))
                .collect(),
        )
    }

    #[test]
    fn reuters_seeded_corpora_are_sane() {
        let Some(texts) = reuters_texts() else { return };
        // Small seed: the first stories up to ~3,000 words.
        let mut words = 0;
        let small: Vec<&str> = texts
            .iter()
            .take_while(|t| {
                let keep = words < 3_000;
                words += t.split_whitespace().count();
                keep
            })
            .map(String::as_str)
            .collect();
        let m = match Model::from_texts(small.iter().copied()) {
            Ok(m) => m,
            Err(e) => panic!("small Reuters seed: {e}"),
        };
        check_corpus("reuters-small", &m, 2_000);
        let t = std::time::Instant::now();
        let m = match Model::from_texts(texts.iter().map(String::as_str)) {
            Ok(m) => m,
            Err(e) => panic!("full Reuters seed: {e}"),
        };
        eprintln!("[reuters-full] model built in {:.1?}", t.elapsed());
        assert_eq!(
            m.perturbation(),
            (0.0, 0.0),
            "a large seed needs no perturbation"
        );
        let means = check_corpus("reuters-full", &m, 2_000);
        assert!(means[&EditLevel::Light] > means[&EditLevel::Medium]);
        assert!(means[&EditLevel::Medium] > means[&EditLevel::Heavy]);
    }

    #[test]
    fn synthetic_seed_corpus_is_sane() {
        check_corpus("synthetic", &model(), 1_500);
    }
}
