//! The benchmark harness: a deterministic planted-truth corpus generator and an evaluator
//! that scores a result against that truth. It sits outside the detection pipeline: it makes
//! the input a scan runs on and judges the output the scan writes.
//!
//! ```text
//!  seed text --Model::from_texts--> Model --generate--> Corpus --write_corpus--> corpus.jsonl
//!                                                                               truth.jsonl
//!  corpus.jsonl --syndup scan--> report.json --eval::evaluate (+ truth.jsonl)--> Evaluation
//! ```
//!
//! A word-level order-2 Markov [`Model`] is built from any English seed text. [`generate`](fn@generate)
//! uses it to write novel news-like base articles, then plants near-duplicate families (exact
//! copies, light/medium/heavy rewrites, partial copies), sentence near-repeats inside a page
//! and shared publisher boilerplate, and records every planted relationship as ground truth
//! ([`PlantedPair`], [`PlantedRepeat`]). Because the truth is known by construction, detectors
//! can be scored for recall and precision per edit level without hand labels, on corpora of
//! any size. Output depends only on the model and the [`GenerateOptions`]: the PRNG
//! (xoshiro256** seeded via splitmix64) lives in this module, every document family draws
//! from its own stream derived from `(seed, family index)`, so the bytes never change with the
//! thread count or a dependency update. [`write_corpus`] writes documents and truth as JSON
//! Lines in the typed format of [`truth`], which [`eval`] reads back with the same structs.
//!
//! The files, in the order a document flows through them:
//! ```text
//!  random.rs      seeded random streams (splitmix64, xoshiro256**)
//!  model.rs       seed tokenizer and the Markov model, with its novelty calibration
//!  text.rs        sentences, stories, headlines and bylines; rendering to text with spans
//!  edits.rs       the copy edits per level, and the planted within-page repeat
//!  publishers.rs  publishers, boilerplate footers and dates
//!  families.rs    the corpus plan and how each family and its truth pairs are built
//!  generate.rs    options, output types and `generate` (parallel over families)
//!  truth.rs       the truth and documents file format: written and read with one set of types
//!  overlap.rs     word-5-gram Jaccard and containment (calibration and checks)
//!  eval.rs        scoring a report or TSV against the truth
//! ```
//!
//! Like the rest of the library the harness never prints, exits or reads the environment; it
//! uses serde, serde_json and rayon, and syndup's own core (shingles, signatures, LSH bands,
//! clustering) for the evaluator.

mod edits;
pub mod eval;
mod families;
#[cfg(test)]
mod fixtures;
mod generate;
mod model;
mod overlap;
mod publishers;
mod random;
mod text;
pub mod truth;

pub use generate::{
    generate, generate_to, Corpus, GenerateError, GenerateOptions, GeneratedDoc, Written,
};
pub use model::{Model, MIN_SEED_WORDS};
pub use overlap::{shingle_overlap, Overlap};
pub use truth::{
    write_corpus, DocRecord, EditLevel, PlantedPair, PlantedRepeat, Truth, TruthHeader,
    TruthRecord, GENERATOR_VERSION,
};
