//! # syndup
//!
//! Finds near-duplicate articles, syndicated copies and repeated text in corpora, fast, and
//! says exactly what matched.
//!
//! ## The pipeline
//! ```text
//!  input/      files, directories, JSON Lines (.gz, .zst), stdin  -> records with path:line
//!  sketch      the contract every driver signs through: record -> fields -> signature
//!  normalize   NFKC, case folding, punctuation folding           -> tokens with byte spans
//!  shingle     word or character k-grams, XXH3-64                 -> sorted Vec<u64>
//!  minhash     densified one-permutation hashing                  -> Signature (num_perm x u32)
//!  lsh         bands x rows from the threshold (S-curve)          -> candidate pairs
//!  verify      exact Jaccard and containment on shingle sets      -> matches
//!  containment sampled shingles shared by near-duplicate classes  -> partial-copy candidates
//!  cluster     union-find + chaining guard + keep policy          -> clusters, source, roles
//!  align       runs of shared shingles                            -> passages (byte spans)
//!  report/     text, JSON, JSON Lines                             -> Report
//! ```
//! A sentence stage runs beside it. By default ([`SentenceMode::Within`]) it only cuts each
//! document into sentences while the document is signed, from the same tokens, and reports the
//! sentences a page says twice with small edits; with [`SentenceMode::Standard`] or
//! [`SentenceMode::Full`] (`--sentences`) it also finds boilerplate and repeats across
//! documents:
//! ```text
//!  sentence    UAX #29 + news rules (abbreviations, lines, wraps)  -> sentence spans
//!  repeat      word-set Jaccard, boilerplate by document frequency -> repeats, boilerplate
//!              (boilerplate is left out of the document shingles before signing)
//! ```
//! Every driver turns records into signed documents through one contract, [`sketch`]
//! ([`sketch::SketchParams`] is embedded in the report, the index header and the manifest).
//! [`Detector`] drives the stages over a whole corpus; every stage is a module with a pure,
//! tested core. [`StreamFilter`] drives the same stages one record at a time for ingestion
//! pipelines: each record is checked against everything kept before it, in this run or in
//! earlier runs through a persistent [`Index`]. [`dist`] cuts the batch pipeline into
//! shard-level steps over Parquet files, for corpora that need Apache Spark or Sail.
//!
//! ## Example
//! ```
//! use syndup::{Config, Detector, Document, SentenceMode};
//!
//! let story = "The city council approved the new harbour budget on Monday after a long debate \
//!              about flood defences, ferry routes and the old fish market.";
//! let docs = vec![
//!     Document { id: "a".into(), text: story.into(), ..Document::default() },
//!     Document { id: "b".into(), text: format!("{story} Copyright Example News."), ..Document::default() },
//!     Document { id: "c".into(), text: "An unrelated text about the weather in the mountains.".into(), ..Document::default() },
//! ];
//! let detector = Detector::new(Config { threshold: 0.7, ..Config::default() })?;
//! let report = detector.scan_documents(docs)?.report;
//! assert_eq!(report.clusters.len(), 1);
//! assert_eq!(report.clusters[0].members, vec!["a", "b"]);
//! assert!(report.pairs[0].jaccard >= 0.7);
//!
//! // Sentence repeats: a page that says the same thing twice with small edits.
//! let page = "The ferry will run two extra sailings every weekend until the end of August. \
//!             Tickets go on sale on Monday. \
//!             The ferry is to run three extra sailings every weekend until the end of August.";
//! let doc = Document { id: "ferry".into(), text: page.into(), ..Document::default() };
//! let report = Detector::new(Config::default())?.scan_documents(vec![doc.clone()])?.report;
//! let repeat = &report.repeats[0];
//! assert_eq!(repeat.kind, "within_document");
//! assert_eq!(repeat.occurrences[1].start, 107); // byte offsets into the text
//! assert!(repeat.occurrences[1].text.starts_with("The ferry is to run"));
//! // `--no-sentences`:
//! let mut config = Config::default();
//! config.sentences.mode = SentenceMode::Off;
//! assert!(Detector::new(config)?.scan_documents(vec![doc])?.report.repeats.is_empty());
//! # Ok::<(), syndup::Error>(())
//! ```
//!
//! The library never prints, exits or reads environment variables; the `syndup` binary is a
//! thin layer over this API. Without default features (`default-features = false`) the crate
//! is the detection library alone; the features `index` ([`StreamFilter`] and its SQLite
//! index), `dist`, `harness` and `cli` switch the rest on (see ARCHITECTURE.md).
#![deny(missing_docs)]

pub mod align;
pub mod allpairs;
pub mod cluster;
pub mod config;
pub mod containment;
pub mod detector;
#[cfg(feature = "dist")]
pub mod dist;
pub mod document;
pub mod error;
#[cfg(feature = "harness")]
pub mod harness;
#[cfg(feature = "index")]
pub mod index;
pub mod input;
pub mod lsh;
pub mod minhash;
pub mod normalize;
pub mod repeat;
pub mod report;
pub mod roles;
pub mod sentence;
pub mod shingle;
pub mod sketch;
#[cfg(feature = "index")]
pub mod stream;
pub mod verify;

pub use config::{
    ClusterMode, Config, ContainmentConfig, Fields, GroupPairs, KeepPolicy, Scheme, SentenceConfig,
    SentenceMode, ShingleKind, VerifyMode,
};
pub use detector::{Detector, NoProgress, Outcome, PairExplained, Progress, Side, Stage, Timings};
pub use document::{Document, Problem, ProblemKind};
pub use error::{Error, ErrorKind, Result};
#[cfg(feature = "index")]
pub use index::Index;
pub use input::Source;
pub use report::{Format, Report};
#[cfg(feature = "index")]
pub use stream::{Record, Relation, StreamFilter, Verdict};
