//! Sentences, stories and pages: the text layer between the Markov [`Model`] and a document.
//!
//! Input: model walks (token ids). Output: a `Story` (optional byline, paragraphs of
//! `Sent`ences, and a per-story string table for words the model never saw: re-drawn
//! numbers, renamed words, edits) and its rendering to text in a `Style`, with the byte
//! `Span`s of tagged sentences (the planted repeats). `DocGen` draws the sentences of one
//! document and keeps them distinct within the page (no word 4-gram seen twice), so the only
//! repeats in a generated page are the planted ones. Headlines, bylines and made-up names are
//! generated here too. `edits.rs` rewrites stories; `families.rs` assembles documents.

use super::model::{Model, EXTRA, F_CAP, F_END, F_FREQ, F_NUM, F_PUNCT, LANES, START};
use super::random::{mix, unit_of, IdSet, Rng, GOLDEN};

/// One sentence as token ids (model ids, or `EXTRA | i` for the story's string table).
#[derive(Clone, Debug)]
pub(super) struct Sent {
    pub(super) toks: Vec<u32>,
    /// 0 = plain, 1 = first of a planted repeat, 2 = second.
    pub(super) tag: u8,
}

/// A document body before rendering: what the edits work on.
#[derive(Clone, Debug)]
pub(super) struct Story {
    pub(super) byline: Option<String>,
    pub(super) paras: Vec<Vec<Sent>>,
    /// Words the model does not know (re-drawn numbers, renamed and edited words).
    pub(super) extra: Vec<String>,
}

/// Byte span `[start, end)` of a tagged sentence in the rendered text.
#[derive(Clone, Copy, Debug)]
pub(super) struct Span {
    pub(super) tag: u8,
    pub(super) start: usize,
    pub(super) end: usize,
}

/// Whitespace layout of a rendered page (`wrap > 0`: hard-wrap lines at that width).
#[derive(Clone, Copy, Debug)]
pub(super) struct Style {
    pub(super) sent_sep: &'static str,
    pub(super) para_sep: &'static str,
    pub(super) indent: &'static str,
    pub(super) wrap: usize,
}

/// One space between sentences, a blank line between paragraphs, no wrapping.
pub(super) const PLAIN: Style = Style {
    sent_sep: " ",
    para_sep: "\n\n",
    indent: "",
    wrap: 0,
};

impl Model {
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
    pub(super) fn replacement(&self, t: u32, extra: &mut Vec<String>, rng: &mut Rng) -> u32 {
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

    /// Renders `story` in `style` (with `footer` as the last paragraph); returns the text
    /// and the spans of its tagged sentences.
    pub(super) fn render(
        &self,
        story: &Story,
        style: Style,
        footer: Option<&str>,
    ) -> (String, Vec<Span>) {
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

    pub(super) fn word_count(&self, s: &Sent) -> usize {
        s.toks.iter().filter(|&&t| !self.is_punct(t)).count()
    }

    pub(super) fn story_words(&self, story: &Story) -> usize {
        story
            .paras
            .iter()
            .flatten()
            .map(|s| self.word_count(s))
            .sum()
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

/// Appends `s` to the story string table; returns its token id.
pub(super) fn push_extra(extra: &mut Vec<String>, s: String) -> u32 {
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

pub(super) fn capitalize(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Tries before [`DocGen::sentence`] accepts a sentence that repeats the page.
const SENTENCE_TRIES: usize = 40;

/// Generates sentences for one document, keeping them distinct within the page.
pub(super) struct DocGen<'m> {
    m: &'m Model,
    key: u64,
    /// Word 4-gram hashes of the sentences drawn so far.
    pub(super) seen: IdSet,
    raw: Vec<u32>,
    grams: Vec<u64>,
    batch: [Vec<u32>; LANES],
    batch_ok: [bool; LANES],
    batch_pos: usize,
}

impl<'m> DocGen<'m> {
    pub(super) fn new(m: &'m Model, key: u64) -> DocGen<'m> {
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

    /// The next sentence, avoiding (within [`SENTENCE_TRIES`]) one whose word 4-grams are
    /// more than a third already on the page.
    pub(super) fn sentence(&mut self, rng: &mut Rng, extra: &mut Vec<String>) -> Sent {
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

    /// About `words` words of sentences in `n_paras` paragraphs.
    pub(super) fn paragraphs(
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

    /// A title-case headline of 5-11 words from one model sentence.
    pub(super) fn headline(&mut self, rng: &mut Rng) -> String {
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

/// Paragraphs for a body of `words` words (about 70 words each, 4 to 10).
pub(super) fn base_paragraphs(words: usize) -> usize {
    ((words as f64 / 70.0).round() as usize).clamp(4, 10)
}

const SMALL_WORDS: &[&str] = &[
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "and", "or", "by", "with", "from", "as",
    "is", "was", "it", "its", "that", "but",
];

const FIRST_NAMES: &[&str] = &[
    "Alex", "Maria", "James", "Sofia", "David", "Hannah", "Peter", "Laura", "Daniel", "Emma",
    "Michael", "Anna", "Thomas", "Grace", "Robert", "Nina", "Samuel", "Clara", "Jonas", "Elena",
    "Victor", "Irene", "Oliver", "Paula", "Marcus", "Ruth", "Simon", "Lucia", "Adam", "Helen",
];

/// `By <first name> <made-up surname>`.
pub(super) fn byline(rng: &mut Rng) -> String {
    let first = rng.pick(FIRST_NAMES).copied().unwrap_or("Alex");
    let last = pseudo_word(rng);
    format!("By {first} {last}")
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
