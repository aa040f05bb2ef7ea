//! Test fixtures shared by the harness unit tests: a made-up seed text, a model built from
//! it, small generator settings and the written bytes of a corpus.
//!
//! Test-only (`#[cfg(test)]`); the seed text is generated from small word lists, so no
//! third-party text is needed to run the unit tests.

use super::generate::{Corpus, GenerateOptions};
use super::model::Model;
use super::random::Rng;
use super::truth::write_corpus;

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

/// A model of a 6,000-word synthetic seed.
pub(super) fn model() -> Model {
    let text = synthetic_seed(6_000, 11);
    match Model::from_texts([text.as_str()]) {
        Ok(m) => m,
        Err(e) => panic!("synthetic seed rejected: {e}"),
    }
}

/// Default settings with `documents`, `seed` and short (250-word) bases.
pub(super) fn opts(documents: usize, seed: u64) -> GenerateOptions {
    GenerateOptions {
        seed,
        documents,
        mean_words: 250,
        ..GenerateOptions::default()
    }
}

/// The documents and truth bytes [`write_corpus`] writes for `c`.
pub(super) fn bytes(c: &Corpus) -> (Vec<u8>, Vec<u8>) {
    let (mut d, mut t) = (Vec::new(), Vec::new());
    if let Err(e) = write_corpus(c, &mut d, &mut t) {
        panic!("write_corpus failed: {e}");
    }
    (d, t)
}
