//! Every knob of a run, validated once before any work.
//!
//! The CLI turns its flags into a [`Config`]; library users build one directly (start from
//! [`Config::default`]). [`Config::validate`] checks ranges and contradictions and names the
//! flag to change. Nothing here reads the environment.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// How documents are cut into shingles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShingleKind {
    /// k consecutive normalised words (one character per word in scripts without spaces).
    Word,
    /// k consecutive characters of the normalised text.
    Char,
}

/// How LSH candidates are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyMode {
    /// On the exact shingle sets (kept in memory: 8 bytes per distinct shingle).
    Exact,
    /// On the MinHash signatures only: less memory, Jaccard is an estimate
    /// (standard error about sqrt(J(1-J)/num_perm)).
    Estimate,
}

/// Which member of a cluster represents it (and is kept by a dedupe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeepPolicy {
    /// The first document in input order.
    First,
    /// The longest document (in bytes); ties go to the first.
    Longest,
    /// The earliest by the date field; documents without a date come last; ties go to the first.
    Earliest,
    /// The likely original (the default of `syndup scan`): the earliest date when every
    /// document of the cluster's component has a readable one; then the document closest to
    /// the others (the largest sum of Jaccard similarities over its verified matches: copies
    /// made from one original are each nearer to it than to each other, and a trimmed copy,
    /// a page that embeds the story or a copy under a new intro is far from most); ties go to
    /// the first. It needs the matches, so only the batch scan offers it (the distributed
    /// flow refuses it); [`KeepPolicy::prefers`] alone orders like `Earliest`.
    Source,
}

impl KeepPolicy {
    /// True when document `x` is a better representative than `y`: documents are numbered in
    /// input order, `bytes` gives a document's text size and `date` its parsed date. Shared by
    /// `scan` and the distributed flow, so both keep the same document.
    pub fn prefers(
        self,
        x: usize,
        y: usize,
        bytes: impl Fn(usize) -> u64,
        date: impl Fn(usize) -> Option<i64>,
    ) -> bool {
        match self {
            KeepPolicy::First => x < y,
            KeepPolicy::Longest => {
                (bytes(x), std::cmp::Reverse(x)) > (bytes(y), std::cmp::Reverse(y))
            }
            KeepPolicy::Earliest | KeepPolicy::Source => {
                let key = |i: usize| (date(i).is_none(), date(i).unwrap_or(0), i);
                key(x) < key(y)
            }
        }
    }
}

/// How verified matches become clusters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterMode {
    /// Union-find components split around representatives: every member meets the threshold
    /// against its cluster's representative (no chaining). The default.
    Guarded,
    /// Plain union-find components (what datasketch/text-dedup pipelines do): a chain of
    /// matches can join documents that are far apart.
    Components,
}

/// The MinHash scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// One-permutation hashing with optimal densification (Shrivastava 2017): one hash per
    /// shingle instead of `num_perm`. The default.
    Densified,
    /// Classic k-permutation MinHash (Broder 1997): `num_perm` hashes per shingle. The
    /// reference the fast scheme is tested against.
    Classic,
}

/// How much of the sentence stage ([`crate::repeat`]) a scan runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SentenceMode {
    /// No sentence stage: no repeats, no boilerplate, document shingles as they are
    /// (`--no-sentences`).
    Off,
    /// Near-repeats within each document only, the default: found while each document is
    /// read, from the tokens its signing made, and quoted there (no corpus-wide sentence
    /// state, no boilerplate, document shingles as they are). It reports the within-document
    /// repeats `standard` reports, less those made of boilerplate.
    Within,
    /// Near-repeats within each document, and boilerplate (reported, and left out of
    /// document shingles): `--sentences`.
    Standard,
    /// Everything in `standard`, plus sentences repeated across documents that are not
    /// near-duplicates of each other: identical ones, and near-repeats found with MinHash LSH
    /// over every sentence. More time and memory, and on a corpus with many partial copies a
    /// report that lists each of their shared sentences.
    Full,
}

/// Settings of the sentence stage (see [`crate::repeat`] for what they mean).
#[derive(Debug, Clone, PartialEq)]
pub struct SentenceConfig {
    /// What to look for.
    pub mode: SentenceMode,
    /// Jaccard similarity of the two sentences' word sets at or above which they are a
    /// near-repeat.
    pub threshold: f64,
    /// Sentences with fewer words are trivial and never repeats (boilerplate has no minimum).
    /// Numbers do not count: a line of figures ("Net 2,005,000 vs 1,685,000", seven tokens)
    /// has three words (see [`crate::repeat::has_words`]).
    pub min_words: usize,
    /// Two sentences whose word counts differ by more than this ratio (shorter / longer) are
    /// not compared.
    pub length_ratio: f64,
    /// Two sentences that each hold a number the other lacks state different facts and are
    /// not a near-repeat (off by default: see `benches/sentences.rs` for what it costs).
    pub numbers_must_match: bool,
    /// A sentence in at least this many documents can be boilerplate.
    pub boilerplate_min_docs: usize,
    /// ... and in at least this share of the documents.
    pub boilerplate_min_share: f64,
    /// Keep boilerplate in document shingles (by default it is left out).
    pub keep_boilerplate: bool,
    /// Occurrences listed per repeat (all are counted).
    pub max_occurrences: usize,
    /// Signature length of sentence MinHash (`full` mode).
    pub num_perm: usize,
}

impl Default for SentenceConfig {
    fn default() -> SentenceConfig {
        SentenceConfig {
            mode: SentenceMode::Within,
            threshold: 0.5,
            min_words: 6,
            length_ratio: 0.7,
            numbers_must_match: false,
            boilerplate_min_docs: 5,
            boilerplate_min_share: 0.0,
            keep_boilerplate: false,
            max_occurrences: 10,
            num_perm: 96,
        }
    }
}

impl SentenceConfig {
    /// Checks every setting; the message names the flag to change.
    pub fn validate(&self) -> Result<()> {
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return Err(Error::config(format!(
                "--sentence-threshold must be in (0, 1], got {}",
                self.threshold
            )));
        }
        if self.min_words == 0 {
            return Err(Error::config("--sentence-min-words must be at least 1"));
        }
        if !(0.0..=1.0).contains(&self.length_ratio) {
            return Err(Error::config(format!(
                "--sentence-length-ratio must be between 0 and 1, got {}",
                self.length_ratio
            )));
        }
        if self.boilerplate_min_docs < 2 {
            return Err(Error::config(format!(
                "--boilerplate-min-docs must be at least 2, got {}",
                self.boilerplate_min_docs
            )));
        }
        if !(0.0..=1.0).contains(&self.boilerplate_min_share) {
            return Err(Error::config(format!(
                "--boilerplate-min-share must be between 0 and 1, got {}",
                self.boilerplate_min_share
            )));
        }
        if self.max_occurrences == 0 {
            return Err(Error::config("--max-occurrences must be at least 1"));
        }
        if !(2..=1024).contains(&self.num_perm) {
            return Err(Error::config(format!(
                "--sentence-num-perm must be between 2 and 1024, got {}",
                self.num_perm
            )));
        }
        Ok(())
    }

    /// The number of documents a sentence must occur in to be boilerplate:
    /// `max(boilerplate_min_docs, ceil(boilerplate_min_share x documents))`.
    pub fn boilerplate_cutoff(&self, documents: u64) -> u64 {
        let share = (self.boilerplate_min_share * documents as f64 - 1e-9)
            .ceil()
            .max(0.0) as u64;
        (self.boilerplate_min_docs as u64).max(share)
    }
}

/// Names of the JSON fields read from JSON Lines input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fields {
    /// Field holding the document id (string or integer). Empty: ids are `path:line`.
    pub id: String,
    /// Field holding the text (must be a string).
    pub text: String,
    /// Field holding a date (ISO 8601, `DD-MON-YYYY hh:mm:ss`, or Unix seconds), if any.
    pub date: Option<String>,
    /// Field holding a title shown in reports, if any (default `title`).
    pub title: Option<String>,
    /// Field holding a group such as the publisher (string or number), if any; see
    /// [`GroupPairs`].
    pub group: Option<String>,
}

impl Default for Fields {
    fn default() -> Fields {
        Fields {
            id: "id".into(),
            text: "text".into(),
            date: Some("date".into()),
            title: Some("title".into()),
            group: None,
        }
    }
}

/// Which pairs are compared when documents have a group field (`--group-field`, e.g. the
/// publisher).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupPairs {
    /// Every pair, whatever the groups. The default.
    All,
    /// Only pairs from different groups: matches inside one group (a site reusing its own
    /// template or boilerplate) are ignored. The usual choice for syndication.
    Across,
    /// Only pairs inside one group (a site's own reuse).
    Within,
}

/// Containment: pairs where much of one document lies inside another even though their
/// Jaccard similarity is low (a story trimmed, put under a new intro, or embedded in a longer
/// page). See [`crate::containment`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContainmentConfig {
    /// Directed containment (share of one document's shingles found in the other) at or
    /// above which a pair is reported; `None` turns containment off (Jaccard only).
    pub threshold: Option<f64>,
    /// The contained document needs at least this many distinct shingles (a two-line text is
    /// "contained" in every page that quotes it).
    pub min_shingles: u32,
    /// Content-defined sampling rate of the candidate search: one shingle in `sample` (by
    /// hash) is indexed. 1 indexes all of them (best recall on short texts); `None` picks from
    /// the threshold (see [`ContainmentConfig::sample_rate`]).
    pub sample: Option<u64>,
    /// Sampled shingles found in more documents than this are not indexed (boilerplate).
    pub max_df: usize,
}

impl Default for ContainmentConfig {
    fn default() -> ContainmentConfig {
        ContainmentConfig {
            threshold: Some(0.7),
            min_shingles: 20,
            sample: None,
            max_df: 200,
        }
    }
}

impl ContainmentConfig {
    /// The sampling rate in use: the given one, else 8 at thresholds of 0.5 and above and 1
    /// below. At 8 a 100-word story has about 12 samples, enough to see that 70% of it is
    /// inside another text (measured: the same pairs as at 4 on 100,000 generated documents,
    /// 27% less CPU); a text of 20-40 words may have none and its partial copies be missed
    /// (use 1 for short texts). Low thresholds mean a few shared sentences, which sparse
    /// samples would miss.
    pub fn sample_rate(&self) -> u64 {
        match (self.sample, self.threshold) {
            (Some(r), _) => r.max(1),
            (None, Some(t)) if t >= 0.5 => 8,
            _ => 1,
        }
    }
}

/// Every setting of a scan.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Word or character shingles.
    pub shingle: ShingleKind,
    /// Shingle length k (words or characters).
    pub ngram: usize,
    /// MinHash signature length.
    pub num_perm: usize,
    /// Seed of the MinHash permutations.
    pub seed: u64,
    /// MinHash scheme.
    pub scheme: Scheme,
    /// Jaccard similarity at or above which two documents are near-duplicates.
    pub threshold: f64,
    /// LSH bands; chosen from the threshold when `None`.
    pub bands: Option<usize>,
    /// Rows per band; chosen from the threshold when `None`.
    pub rows: Option<usize>,
    /// Exact or estimated verification of candidates.
    pub verify: VerifyMode,
    /// Representative choice.
    pub keep: KeepPolicy,
    /// Guarded clusters or plain components.
    pub cluster: ClusterMode,
    /// LSH buckets with more documents than this contribute star edges to their first
    /// document instead of all pairs (a guard against quadratic blow-up on boilerplate); at
    /// most [`crate::lsh::MAX_BUCKET_LIMIT`].
    pub max_bucket: usize,
    /// Stop at the first bad record instead of reporting it and going on.
    pub strict: bool,
    /// Documents (and JSON lines) larger than this many bytes are reported and skipped.
    pub max_doc_bytes: usize,
    /// Read records that are not valid UTF-8 as Windows-1252 where they break (counted in
    /// `stats.recoded`). Without it, JSON Lines records that are not UTF-8 are `invalid_utf8`
    /// problems, and whole text files are read in the encoding detected for them
    /// ([`crate::input::decode_detected`]).
    pub windows_1252: bool,
    /// JSON field names.
    pub fields: Fields,
    /// The sentence stage: repeats and boilerplate.
    pub sentences: SentenceConfig,
    /// Partial copies by containment.
    pub containment: ContainmentConfig,
    /// Compare only documents whose dates are at most this many days apart (documents
    /// without a readable date are compared with every other).
    pub window_days: Option<u32>,
    /// Which pairs to compare when the group field is set.
    pub group_pairs: GroupPairs,
    /// Compute the aligned shared passages of every reported pair (texts are read again).
    pub passages: bool,
    /// Memory, in bytes, for the stages that work in batches (`--memory`): the documents of
    /// candidate pairs are read again and held a batch at a time within it. It bounds those
    /// stages, not what the scan keeps per document (about 0.8 KB at the defaults). It never
    /// changes the report, only how many batches the work takes.
    pub memory: u64,
    /// Where records of standard input, FIFOs and compressed files are spooled so that they
    /// can be read again by offset (`--tmp-dir`). `None` keeps the records of standard input
    /// and FIFOs in memory and decompresses compressed files again from their start.
    pub tmp_dir: Option<std::path::PathBuf>,
}

/// The default of [`Config::memory`]: 512 MiB.
pub const DEFAULT_MEMORY: u64 = 512 << 20;

impl Default for Config {
    fn default() -> Config {
        Config {
            shingle: ShingleKind::Word,
            ngram: 5,
            num_perm: 128,
            seed: 1,
            scheme: Scheme::Densified,
            threshold: 0.8,
            bands: None,
            rows: None,
            verify: VerifyMode::Exact,
            keep: KeepPolicy::Source,
            cluster: ClusterMode::Guarded,
            max_bucket: 200,
            strict: false,
            max_doc_bytes: 64 << 20,
            windows_1252: false,
            fields: Fields::default(),
            sentences: SentenceConfig::default(),
            containment: ContainmentConfig::default(),
            window_days: None,
            group_pairs: GroupPairs::All,
            passages: true,
            memory: DEFAULT_MEMORY,
            tmp_dir: None,
        }
    }
}

impl Config {
    /// Checks every setting; the message names the flag to change.
    pub fn validate(&self) -> Result<()> {
        if self.memory < 1 << 20 {
            return Err(Error::config(format!(
                "--memory must be at least 1 MB, got {} bytes",
                self.memory
            )));
        }
        if !(1..=64).contains(&self.ngram) {
            return Err(Error::config(format!(
                "--ngram must be between 1 and 64, got {}",
                self.ngram
            )));
        }
        if !(2..=4096).contains(&self.num_perm) {
            return Err(Error::config(format!(
                "--num-perm must be between 2 and 4096, got {}",
                self.num_perm
            )));
        }
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return Err(Error::config(format!(
                "--threshold must be in (0, 1], got {}",
                self.threshold
            )));
        }
        match (self.bands, self.rows) {
            (Some(b), Some(r)) => {
                if b == 0 || r == 0 || b * r > self.num_perm {
                    return Err(Error::config(format!(
                        "--bands x --rows must be between 1 and --num-perm ({}), got {b} x {r}",
                        self.num_perm
                    )));
                }
            }
            (None, None) => {}
            _ => {
                return Err(Error::config(
                    "--bands and --rows go together: give both, or neither to derive them from --threshold",
                ))
            }
        }
        if self.max_bucket < 2 || self.max_bucket > crate::lsh::MAX_BUCKET_LIMIT {
            return Err(Error::config(format!(
                "--max-bucket must be between 2 and {} (a bucket gives all its pairs up to that size, so memory grows with its square; a larger bucket gives star edges to its first document), got {}",
                crate::lsh::MAX_BUCKET_LIMIT,
                self.max_bucket
            )));
        }
        if self.max_doc_bytes == 0 {
            return Err(Error::config("--max-doc-bytes must be positive"));
        }
        if self.fields.text.is_empty() {
            return Err(Error::config("--text-field must not be empty"));
        }
        if self.keep == KeepPolicy::Earliest && self.fields.date.is_none() {
            return Err(Error::config(
                "--keep earliest needs the date field: add --date-field NAME",
            ));
        }
        if let Some(c) = self.containment.threshold {
            if !(c > 0.0 && c <= 1.0) {
                return Err(Error::config(format!(
                    "--containment must be in (0, 1] (or `off`), got {c}"
                )));
            }
        }
        if self.containment.max_df < 2 {
            return Err(Error::config("--containment-max-df must be at least 2"));
        }
        if self.window_days.is_some() && self.fields.date.is_none() {
            return Err(Error::config(
                "--window needs the date field: add --date-field NAME",
            ));
        }
        if self.group_pairs != GroupPairs::All && self.fields.group.is_none() {
            return Err(Error::config(
                "--group-pairs across|within needs the group field: add --group-field NAME",
            ));
        }
        self.sentences.validate()
    }
}
