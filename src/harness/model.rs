//! The text model of the corpus generator: a word-level order-2 Markov chain of sentences,
//! built from seed text.
//!
//! Input: any English seed text (for example the `text` fields of a news JSONL). Output: a
//! [`Model`] whose walks produce novel sentences as token ids; `text.rs` turns those into
//! sentences, stories and rendered pages, and `families.rs` into whole documents. The seed is
//! split by a small news-aware tokenizer (numbers such as `1,750` and abbreviations such as
//! `U.S.` stay one token), only complete sentences of 3-60 words count, and successors are
//! stored once per occurrence so sampling is a single uniform index. Small seeds make a
//! Markov chain replay long runs of the seed, so building ends with a calibration: back-off
//! to order 1 and a per-document renaming of less frequent words are raised until sample
//! documents share almost no word 5-grams (see [`Model::sample_overlap`]).

use super::generate::GenerateError;
use super::overlap::{jaccard, word_shingles};
use super::random::Rng;
use super::text::{DocGen, Story, PLAIN};
use std::collections::HashMap;
use std::fmt;

/// Fewest usable seed words (in complete sentences) [`Model::from_texts`] accepts.
pub const MIN_SEED_WORDS: usize = 2_000;

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

// Token flags (see `Model::flag`): punctuation, sentence end, number, capitalised, among the
// most frequent types, plain alphabetic.
pub(super) const F_PUNCT: u8 = 1;
pub(super) const F_END: u8 = 2;
pub(super) const F_NUM: u8 = 4;
pub(super) const F_CAP: u8 = 8;
pub(super) const F_FREQ: u8 = 16;
const F_SIMPLE: u8 = 32;

/// Token id of the sentence-start sentinel.
pub(super) const START: u32 = 0;
/// Story tokens with this bit set index the story's own string table.
pub(super) const EXTRA: u32 = 1 << 31;
/// The most frequent word types are never renamed by the novelty perturbation.
const FREQUENT_TYPES: usize = 60;
pub(super) const MIN_SENTENCE_WORDS: usize = 4;
const MAX_SENTENCE_WORDS: usize = 45;
const MAX_SENTENCE_TOKENS: usize = 90;
/// Sentences sampled together by [`Model::raw_batch`].
pub(super) const LANES: usize = 8;

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
    pub(super) vocab: Vec<Box<str>>,
    flags: Vec<u8>,
    states: Vec<State>,
    occ: Vec<Occ>,
    uni: Vec<State>,
    uni_occ: Vec<Occ>,
    start: u32,
    pub(super) period: u32,
    pub(super) lower_words: Vec<u32>,
    pub(super) cap_words: Vec<u32>,
    words: usize,
    sentences: usize,
    backoff: f64,
    pub(super) rename: f64,
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

    pub(super) fn flag(&self, t: u32) -> u8 {
        if t & EXTRA != 0 {
            0
        } else {
            self.flags.get(t as usize).copied().unwrap_or(0)
        }
    }

    pub(super) fn is_punct(&self, t: u32) -> bool {
        self.flag(t) & F_PUNCT != 0
    }

    pub(super) fn tok_str<'s>(&'s self, t: u32, extra: &'s [String]) -> &'s str {
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
    pub(super) fn raw_batch(
        &self,
        rng: &mut Rng,
        outs: &mut [Vec<u32>; LANES],
        ok: &mut [bool; LANES],
    ) {
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
