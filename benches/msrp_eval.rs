//! The MSR paraphrase corpus as documents, scanned for sentence repeats and scored.
//!
//! Shared by `benches/sentences.rs` (which prints the figures) and `tests/sentences.rs` (which
//! checks them). The training file holds 4,076 labelled sentence pairs (TSV: quality, id1,
//! id2, sentence 1, sentence 2; UTF-8 with a byte-order mark, no header). Pairs with an even
//! index go into one document each (both sentences, a blank line apart), so they can only be
//! found as within-document repeats. Pairs with an odd index are split: sentence 1 goes into
//! an "A" document with three other first sentences, sentence 2 into a "B" document with
//! second sentences of pairs from other A documents, so no two documents are near-duplicates
//! and the pair can only be found across documents.
//!
//! A labelled pair is *found* when both of its sentences are occurrences of one repeat.
//! Precision is over the labelled pairs found; recall over the paraphrases; both by the word
//! Jaccard of the pair (syndup's normalised word sets), in the buckets the issue names.

#![allow(dead_code)] // each includer uses a part

use std::collections::BTreeMap;
use syndup::normalize::Tokenizer;
use syndup::{Config, Detector, Document, Report, SentenceMode};

/// One labelled pair.
pub struct Pair {
    pub paraphrase: bool,
    pub a: String,
    pub b: String,
    /// Word-set Jaccard of the two sentences.
    pub jaccard: f64,
}

pub fn load(path: &std::path::Path) -> Vec<Pair> {
    let text = std::fs::read_to_string(path).expect("read MSRP");
    let text = text.trim_start_matches('\u{feff}');
    let mut tok = Tokenizer::new();
    let mut set = |s: &str| {
        let mut v = Vec::new();
        tok.hashes_into(s, &mut v);
        v.sort_unstable();
        v.dedup();
        v
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert!(f.len() >= 5, "MSRP line with {} fields", f.len());
            let (a, b) = (f[3].to_string(), f[4].to_string());
            let (sa, sb) = (set(&a), set(&b));
            let shared = syndup::verify::intersection_size(&sa, &sb);
            let jaccard = shared as f64 / (sa.len() + sb.len() - shared).max(1) as f64;
            Pair {
                paraphrase: f[0] == "1",
                a,
                b,
                jaccard,
            }
        })
        .collect()
}

/// Where each labelled sentence was put: (document index, byte start).
pub struct Layout {
    pub docs: Vec<Document>,
    /// Per pair: the (doc, start) of sentence a and of sentence b.
    pub slots: Vec<((usize, usize), (usize, usize))>,
    /// Pairs placed in one document.
    pub within: Vec<bool>,
}

pub fn layout(pairs: &[Pair]) -> Layout {
    let mut docs: Vec<(String, String)> = Vec::new();
    let mut slots = vec![((0, 0), (0, 0)); pairs.len()];
    let mut within = vec![false; pairs.len()];
    let push = |doc: &mut (String, String), s: &str| -> usize {
        if !doc.1.is_empty() {
            doc.1.push_str("\n\n");
        }
        let at = doc.1.len();
        doc.1.push_str(s);
        at
    };
    let cross: Vec<usize> = (0..pairs.len()).filter(|i| i % 2 == 1).collect();
    for i in (0..pairs.len()).step_by(2) {
        let mut d = (format!("msrp-within-{i}"), String::new());
        let a = push(&mut d, &pairs[i].a);
        let b = push(&mut d, &pairs[i].b);
        slots[i] = ((docs.len(), a), (docs.len(), b));
        within[i] = true;
        docs.push(d);
    }
    // A documents: four first sentences each; B documents: second sentences of pairs whose
    // first sentences sit in four different A documents.
    let groups = cross.len().div_ceil(4);
    let a0 = docs.len();
    for g in 0..groups {
        let mut d = (format!("msrp-a-{g}"), String::new());
        for &i in cross.iter().skip(4 * g).take(4) {
            let at = push(&mut d, &pairs[i].a);
            slots[i].0 = (a0 + g, at);
        }
        docs.push(d);
    }
    let b0 = docs.len();
    let mut bdocs: Vec<(String, String)> = (0..groups)
        .map(|g| (format!("msrp-b-{g}"), String::new()))
        .collect();
    for (k, &i) in cross.iter().enumerate() {
        // Pair k is at position k % 4 of A document k / 4; B document j gets position p of
        // A document j - 7p, so its four sentences come from four different A documents.
        let g = (k / 4 + 7 * (k % 4)) % groups;
        let at = push(&mut bdocs[g], &pairs[i].b);
        slots[i].1 = (b0 + g, at);
    }
    docs.extend(bdocs);
    Layout {
        docs: docs
            .into_iter()
            .map(|(id, text)| Document {
                id,
                text,
                ..Document::default()
            })
            .collect(),
        slots,
        within,
    }
}

/// The configuration scored: `full` mode (with or without the changed-numbers check),
/// occurrences all listed.
pub fn config(numbers_must_match: bool) -> Config {
    let mut c = Config::default();
    c.sentences.mode = SentenceMode::Full;
    c.sentences.max_occurrences = usize::MAX;
    c.sentences.numbers_must_match = numbers_must_match;
    c
}

pub fn scan(l: &Layout, config: Config) -> Report {
    Detector::new(config)
        .unwrap()
        .scan_documents(l.docs.clone())
        .unwrap()
        .report
}

/// Counts in one bucket.
#[derive(Default, Clone, Copy)]
pub struct Bucket {
    pub positives: usize,
    pub found_positives: usize,
    pub negatives: usize,
    pub found_negatives: usize,
}

pub const BUCKETS: [&str; 5] = ["<0.3", "0.3-0.5", "0.5-0.7", "0.7-0.9", ">=0.9"];

pub fn bucket(j: f64) -> usize {
    match j {
        j if j < 0.3 => 0,
        j if j < 0.5 => 1,
        j if j < 0.7 => 2,
        j if j < 0.9 => 3,
        _ => 4,
    }
}

/// Scores: per bucket, and (within, across) separately.
pub struct Score {
    pub buckets: [Bucket; 5],
    pub within: Bucket,
    pub across: Bucket,
}

impl Score {
    /// Precision over all labelled pairs found.
    pub fn precision(&self) -> f64 {
        let f: usize = self.buckets.iter().map(|b| b.found_positives).sum();
        let n: usize = self
            .buckets
            .iter()
            .map(|b| b.found_positives + b.found_negatives)
            .sum();
        f as f64 / n.max(1) as f64
    }
    /// Recall on paraphrases with word Jaccard >= 0.5.
    pub fn recall_near_copies(&self) -> f64 {
        let f: usize = self.buckets[2..].iter().map(|b| b.found_positives).sum();
        let n: usize = self.buckets[2..].iter().map(|b| b.positives).sum();
        f as f64 / n.max(1) as f64
    }
    /// Labelled pairs found.
    pub fn found(&self) -> usize {
        self.buckets
            .iter()
            .map(|b| b.found_positives + b.found_negatives)
            .sum()
    }
}

pub fn score(pairs: &[Pair], l: &Layout, r: &Report) -> Score {
    // (doc index, start) -> repeat number; an occurrence is mapped to the labelled sentence
    // that starts where it starts (sentences are a blank line apart, so a sentence the
    // segmenter cut in two is found by its first part).
    let index: BTreeMap<&str, usize> = l
        .docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let mut group_of: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for (g, x) in r.repeats.iter().enumerate() {
        if x.kind == "boilerplate" {
            continue;
        }
        for o in &x.occurrences {
            group_of
                .entry((index[o.doc.as_str()], o.start as usize))
                .or_default()
                .push(g);
        }
    }
    let mut s = Score {
        buckets: [Bucket::default(); 5],
        within: Bucket::default(),
        across: Bucket::default(),
    };
    for (i, p) in pairs.iter().enumerate() {
        let (a, b) = l.slots[i];
        let found = match (group_of.get(&a), group_of.get(&b)) {
            (Some(x), Some(y)) => x.iter().any(|g| y.contains(g)),
            _ => false,
        };
        for bk in [
            &mut s.buckets[bucket(p.jaccard)],
            if l.within[i] {
                &mut s.within
            } else {
                &mut s.across
            },
        ] {
            if p.paraphrase {
                bk.positives += 1;
                bk.found_positives += found as usize;
            } else {
                bk.negatives += 1;
                bk.found_negatives += found as usize;
            }
        }
    }
    s
}

/// Precision of the plain rule "word Jaccard >= 0.5" on the labelled pairs.
pub fn plain_rule_precision(pairs: &[Pair]) -> f64 {
    let hits: Vec<&Pair> = pairs.iter().filter(|p| p.jaccard >= 0.5).collect();
    hits.iter().filter(|p| p.paraphrase).count() as f64 / hits.len().max(1) as f64
}

pub fn table(s: &Score) -> String {
    let mut out = String::from(
        "word Jaccard  paraphrases  found  recall | non-paraphrases  found | precision\n",
    );
    for (k, b) in s.buckets.iter().enumerate() {
        let f = b.found_positives + b.found_negatives;
        out.push_str(&format!(
            "{:<12}  {:>11}  {:>5}  {:>6.3} | {:>15}  {:>5} | {:>9}\n",
            BUCKETS[k],
            b.positives,
            b.found_positives,
            b.found_positives as f64 / b.positives.max(1) as f64,
            b.negatives,
            b.found_negatives,
            if f == 0 {
                "-".to_string()
            } else {
                format!("{:.3}", b.found_positives as f64 / f as f64)
            }
        ));
    }
    for (name, b) in [
        ("in one document", &s.within),
        ("across documents", &s.across),
    ] {
        out.push_str(&format!(
            "{name}: paraphrases found {}/{}, non-paraphrases found {}/{}\n",
            b.found_positives, b.positives, b.found_negatives, b.negatives
        ));
    }
    out
}
