//! The report model, and one writer per output format.
//!
//! A [`Report`] is plain data built by the detector; writers only format it:
//! [`text`] (the human summary, default), [`json`] (one JSON document), JSON Lines (typed
//! messages) and [`html`] (a self-contained page; [`Writer`] gathers the texts it shows). Every machine format carries `format_version`, the parameters and the stats.
//! Everything is sorted by input order, and similarities are ratios of integer counts rounded
//! to 4 decimals, so a report is byte-identical across runs and thread counts.
//!
//! ## Fields (format_version 1)
//! - `format_version`: 1. A field is only ever added within a version; removing or changing
//!   one bumps it.
//! - `tool`: `{name, version}` of the syndup that wrote the report.
//! - `parameters`: every setting that shaped the result, see [`Parameters`].
//! - `stats`: counts, see [`Stats`].
//! - `clusters[]`: see [`ClusterReport`]; `members` are document ids, the representative first.
//! - `pairs[]`: every verified near-duplicate pair, see [`PairReport`].
//! - `repeats[]`: sentence-level repeats, see [`RepeatReport`]: near-repeats within a
//!   document, sentences repeated across documents, and boilerplate, ordered by their first
//!   occurrence in input order.
//! - `problems[]`: bad input records with `path`, `line`, `id`, `kind` and `message`.

pub mod html;
pub mod json;
pub mod svg;
pub mod text;

use crate::config::{ClusterMode, Fields, GroupPairs, KeepPolicy, SentenceMode, VerifyMode};
use crate::document::Problem;
use crate::lsh::CurvePoint;
use crate::sketch::SketchParams;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Version of the JSON and JSON Lines report formats.
pub const FORMAT_VERSION: u32 = 1;

pub use crate::roles::{Role, SourceBy};
pub use crate::verify::round4;

/// A whole scan's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// Version of this format.
    pub format_version: u32,
    /// The tool that wrote the report.
    pub tool: Tool,
    /// The settings used.
    pub parameters: Parameters,
    /// Counts.
    pub stats: Stats,
    /// Clusters of near-duplicates, ordered by their earliest member in input order.
    pub clusters: Vec<ClusterReport>,
    /// Verified pairs, ordered by (a, b) in input order.
    pub pairs: Vec<PairReport>,
    /// Sentence-level repeats, ordered by their first occurrence in input order.
    pub repeats: Vec<RepeatReport>,
    /// Bad input records, in input order.
    pub problems: Vec<Problem>,
}

/// Name and version of the writer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    /// Always `syndup`.
    pub name: String,
    /// The crate version.
    pub version: String,
}

impl Tool {
    /// This build.
    pub fn current() -> Tool {
        Tool {
            name: "syndup".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// Every setting that shaped the result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameters {
    /// The sketch parameters (`shingle`, `ngram`, `normalization`, `hash`, `scheme`,
    /// `num_perm`, `seed`, `threshold`, `bands`, `rows`), in place: see [`SketchParams`].
    #[serde(flatten)]
    pub sketch: SketchParams,
    /// `threshold` when bands and rows were derived from the threshold, `flags` when given.
    pub bands_rows_from: String,
    /// Probability of becoming a candidate at a few Jaccard similarities.
    pub s_curve: Vec<CurvePoint>,
    /// `exact` or `estimate`.
    pub verify: VerifyMode,
    /// Representative policy: `first`, `longest` or `earliest`.
    pub keep: KeepPolicy,
    /// `guarded` (members meet the threshold against the representative) or `components`.
    pub cluster: ClusterMode,
    /// Bucket size above which LSH buckets give star edges only.
    pub max_bucket: usize,
    /// Largest document read, in bytes.
    pub max_doc_bytes: usize,
    /// Whether text that is not valid UTF-8 is read as Windows-1252.
    pub windows_1252: bool,
    /// JSON field names read.
    pub fields: Fields,
    /// The sentence stage's settings.
    pub sentences: SentenceParameters,
    /// Containment settings.
    pub containment: ContainmentParameters,
    /// `--window`: only documents at most this many days apart are compared.
    pub window_days: Option<u32>,
    /// `--group-pairs`: `all`, `across` or `within` groups of `fields.group`.
    pub group_pairs: GroupPairs,
    /// Whether pairs carry their aligned shared passages.
    pub passages: bool,
}

/// Containment settings (see [`crate::containment`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainmentParameters {
    /// Directed containment at or above which a pair is reported; `null` when off.
    pub threshold: Option<f64>,
    /// Fewest distinct shingles of a contained document.
    pub min_shingles: u32,
    /// One shingle in `sample` (by hash) is indexed in the candidate search.
    pub sample: u64,
    /// Sampled shingles in more documents than this are not indexed.
    pub max_df: usize,
}

/// The sentence stage's settings (see [`crate::repeat`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SentenceParameters {
    /// `off`, `standard` or `full`.
    pub mode: SentenceMode,
    /// What sentences are compared by: `word_jaccard` (Jaccard of normalised word sets).
    pub similarity: String,
    /// Similarity at or above which two sentences are a near-repeat.
    pub threshold: f64,
    /// Fewest words of a sentence that can be a near-repeat.
    pub min_words: usize,
    /// Smallest ratio of word counts (shorter / longer) of two compared sentences.
    pub length_ratio: f64,
    /// Whether sentences that each hold a number the other lacks are kept apart.
    pub numbers_must_match: bool,
    /// `--boilerplate-min-docs`.
    pub boilerplate_min_docs: usize,
    /// `--boilerplate-min-share`.
    pub boilerplate_min_share: f64,
    /// Documents a sentence must occur in to be boilerplate in this scan (the larger of the
    /// two settings above).
    pub boilerplate_cutoff: u64,
    /// Whether boilerplate stayed in document shingles.
    pub keep_boilerplate: bool,
    /// Occurrences listed per repeat at most (`count` has them all).
    pub max_occurrences: usize,
    /// Sentence MinHash signature length (`full` mode).
    pub num_perm: usize,
    /// Sentence LSH bands (`full` mode).
    pub bands: usize,
    /// Sentence LSH rows per band (`full` mode).
    pub rows: usize,
}

/// Counts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stats {
    /// Input files read (standard input counts as one).
    pub files: u64,
    /// Files inside directories skipped because of their extension.
    pub skipped_files: u64,
    /// Records met: documents + problems (blank lines not included).
    pub records: u64,
    /// Documents scanned.
    pub documents: u64,
    /// Bad records (see `problems`).
    pub problems: u64,
    /// Bad records by kind.
    pub problems_by_kind: BTreeMap<String, u64>,
    /// Blank lines in JSON Lines input (skipped, not records).
    pub blank_lines: u64,
    /// Documents that were not valid UTF-8 and were read as Windows-1252
    /// (`parameters.windows_1252`).
    pub recoded: u64,
    /// Documents with a readable date in the date field (`parameters.fields.date`).
    #[serde(default)]
    pub dated_documents: u64,
    /// Documents whose date field is there but not a date syndup reads (ISO 8601,
    /// `DD-MON-YYYY hh:mm:ss`, Unix seconds); they count as undated.
    #[serde(default)]
    pub unreadable_dates: u64,
    /// Bytes read (after decompression).
    pub input_bytes: u64,
    /// Bytes of document text scanned.
    pub text_bytes: u64,
    /// Shingles (k-grams) over all documents, repeats within a document included.
    pub shingles: u64,
    /// LSH candidate pairs.
    pub candidates: u64,
    /// LSH buckets larger than `max_bucket` (star edges only).
    pub giant_buckets: u64,
    /// Further candidates from the containment search (not already LSH candidates).
    pub containment_candidates: u64,
    /// Candidate pairs not compared because of `--window` or `--group-pairs`.
    pub skipped_pairs: u64,
    /// Candidates that verified (the `pairs`).
    pub matches: u64,
    /// Pairs whose relation is `contained`.
    pub contained_pairs: u64,
    /// Clusters.
    pub clusters: u64,
    /// Documents in clusters.
    pub clustered_documents: u64,
    /// Documents in clusters that are not the representative (what a dedupe removes).
    pub duplicates: u64,
    /// Documents a dedupe keeps: `documents - duplicates`.
    pub unique_documents: u64,
    /// Sentences (and lines) with at least one word, over all documents.
    pub sentences: u64,
    /// Distinct boilerplate sentences.
    pub boilerplate: u64,
    /// Document shingles left out because they touch boilerplate.
    pub boilerplate_shingles: u64,
    /// Sentence pairs compared across documents (LSH candidates, `full` mode).
    pub sentence_candidates: u64,
    /// Sentence pairs similar enough but kept apart because their numbers differ.
    pub changed_numbers: u64,
    /// Repeats reported (all kinds).
    pub repeats: u64,
}

/// A cluster of near-duplicates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterReport {
    /// 1-based cluster number, in report order.
    pub id: u64,
    /// Id of the representative (the document a dedupe keeps).
    pub representative: String,
    /// Member ids: the representative first, then the others in input order.
    pub members: Vec<String>,
    /// Per member (same order): title, date, size, role and similarity to the representative.
    pub details: Vec<MemberReport>,
    /// Id of the likely original (see `source_by`).
    pub source: String,
    /// How the source was guessed. Under `--keep source` (the default) the source is the
    /// representative: `date` (the earliest date, every member having one; ties go to the
    /// member nearest the others) or `similarity` (the member nearest the others: the largest
    /// sum of Jaccard similarities over its matches). Under the other keep policies: `date`
    /// (ties decided as below), `containment` (the one member every other is a
    /// near-duplicate of or contained in; the first such), or `first_seen` (neither applies:
    /// the first in input order). Values may be added within a format version.
    pub source_by: SourceBy,
}

/// One member of a cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberReport {
    /// Document id.
    pub doc: String,
    /// The title field, else the first words of the text.
    pub title: String,
    /// The date field as given, if any.
    pub date: Option<String>,
    /// Text size in bytes.
    pub bytes: u64,
    /// Distinct shingles.
    pub shingles: u32,
    /// True for the representative.
    pub representative: bool,
    /// `source` (the likely original), `copy` (a near-duplicate of the source) or
    /// `partial_copy` (contains, or is contained in, the source without being a
    /// near-duplicate).
    pub role: Role,
    /// Jaccard with the representative (1 for the representative itself).
    pub jaccard: f64,
    /// Share of this member's shingles found in the representative.
    pub containment: f64,
}

/// A verified near-duplicate pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairReport {
    /// Id of the document earlier in input order.
    pub a: String,
    /// Id of the later document.
    pub b: String,
    /// Jaccard similarity of the shingle sets.
    pub jaccard: f64,
    /// The larger directed containment, `shared / min(shingles_a, shingles_b)`.
    pub containment: f64,
    /// `shared / shingles_a`: how much of `a` lies in `b`.
    pub containment_a_in_b: f64,
    /// `shared / shingles_b`: how much of `b` lies in `a`.
    pub containment_b_in_a: f64,
    /// Shingles in common (estimated under `--verify estimate`).
    pub shared: u32,
    /// Distinct shingles of `a`.
    pub shingles_a: u32,
    /// Distinct shingles of `b`.
    pub shingles_b: u32,
    /// The cluster holding both, if one does (the chaining guard can separate a pair).
    pub cluster: Option<u64>,
    /// `near_duplicate` (Jaccard at or above the threshold) or `contained` (one lies inside
    /// the other: directed containment at or above `parameters.containment.threshold`).
    pub relation: PairRelation,
    /// For `contained`: the id of the document inside the other (`a` or `b`).
    pub contained: Option<String>,
    /// The shared passages as byte spans in both texts, with the share of each document's
    /// words they cover (`null` when `parameters.passages` is false).
    pub alignment: Option<crate::align::Alignment>,
}

/// A repeated sentence: a group of occurrences that repeat each other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepeatReport {
    /// `within_document` (near-repeats inside one document), `cross_document` (in several
    /// documents that are not near-duplicates of each other) or `boilerplate` (in at least
    /// `parameters.sentences.boilerplate_cutoff` documents, a small part of most of them).
    pub kind: RepeatKind,
    /// The lowest word-set Jaccard similarity among the verified pairs that make the group
    /// (1 for identical sentences and for boilerplate).
    pub similarity: f64,
    /// Documents the sentence occurs in (for boilerplate: its document frequency).
    pub documents: u64,
    /// Occurrences in all.
    pub count: u64,
    /// The first `parameters.sentences.max_occurrences` occurrences, in input order.
    pub occurrences: Vec<Occurrence>,
}

/// Gives a report enum its output name: `as_str`, `Display`, and equality with strings, so
/// that `pair.relation == "contained"` reads as it did when the fields were strings. The names
/// are the serde names (`rename_all = "snake_case"`); a unit test holds the two together.
macro_rules! output_names {
    ($t:ident { $($v:ident => $s:literal,)* }) => {
        impl $t {
            /// Every value, in declaration order.
            pub const ALL: &'static [$t] = &[$($t::$v,)*];

            /// The name used in every output format (the JSON value, snake_case).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($t::$v => $s,)*
                }
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<str> for $t {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $t {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl PartialEq<String> for $t {
            fn eq(&self, other: &String) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<$t> for str {
            fn eq(&self, other: &$t) -> bool {
                self == other.as_str()
            }
        }

        impl PartialEq<$t> for &str {
            fn eq(&self, other: &$t) -> bool {
                *self == other.as_str()
            }
        }
    };
}

output_names!(SourceBy {
    Date => "date",
    Containment => "containment",
    FirstSeen => "first_seen",
    Similarity => "similarity",
});

output_names!(Role {
    Source => "source",
    Copy => "copy",
    PartialCopy => "partial_copy",
});

/// How the two documents of a reported pair relate ([`PairReport::relation`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PairRelation {
    /// `near_duplicate`: Jaccard at or above the threshold.
    NearDuplicate,
    /// `contained`: one document lies inside the other
    /// ([`PairReport::contained`] says which).
    Contained,
}

output_names!(PairRelation {
    NearDuplicate => "near_duplicate",
    Contained => "contained",
});

/// What kind of sentence repeat a [`RepeatReport`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepeatKind {
    /// `within_document`: near-repeats inside one document.
    WithinDocument,
    /// `cross_document`: in several documents that are not near-duplicates of each other.
    CrossDocument,
    /// `boilerplate`: in at least `parameters.sentences.boilerplate_cutoff` documents.
    Boilerplate,
}

output_names!(RepeatKind {
    WithinDocument => "within_document",
    CrossDocument => "cross_document",
    Boilerplate => "boilerplate",
});

/// One occurrence of a repeated sentence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Occurrence {
    /// Document id.
    pub doc: String,
    /// Byte offset of the sentence's start in the original text.
    pub start: u64,
    /// Byte offset just past its end.
    pub end: u64,
    /// The sentence as it appears: `text[start..end]` of the document.
    pub text: String,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable summary and clusters.
    Text,
    /// One JSON document.
    Json,
    /// JSON Lines: `{"type": .., "data": ..}` messages.
    Jsonl,
    /// One self-contained HTML page ([`html`]), with the texts of cluster members side by side
    /// when written through a [`Writer`].
    Html,
}

/// Writes `report` in `format` to `out`. The HTML page written this way holds no document
/// text (no side-by-side views, no sentences in context): a [`Writer`] reads the texts it needs.
pub fn write(report: &Report, format: Format, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    match format {
        Format::Text => text::write(report, out),
        Format::Json => json::write_json(report, out),
        Format::Jsonl => json::write_jsonl(report, out),
        Format::Html => html::write(report, &BTreeMap::new(), html::MAX_COMPARE, out),
    }
}

/// A report ready to be written in one format, with what that format needs besides the report:
/// the HTML page shows document texts, which a report does not hold, so they are read again
/// from the scan's inputs ([`html::texts`]). Reading happens in [`Writer::new`], before
/// anything is written, so a failure leaves no half-written output.
#[derive(Debug)]
pub struct Writer<'r> {
    report: &'r Report,
    format: Format,
    texts: BTreeMap<String, String>,
    extent: text::Extent,
}

impl<'r> Writer<'r> {
    /// Prepares `report` for `format`; `sources` are the inputs the report was made from (read
    /// only for [`Format::Html`]).
    pub fn new(
        report: &'r Report,
        format: Format,
        sources: &[crate::input::Source],
    ) -> crate::Result<Writer<'r>> {
        let texts = match format {
            Format::Html => html::texts(report, sources)?,
            Format::Text | Format::Json | Format::Jsonl => BTreeMap::new(),
        };
        Ok(Writer {
            report,
            format,
            texts,
            extent: text::Extent::All,
        })
    }

    /// How much the text format lists (the other formats always hold everything).
    pub fn text_extent(mut self, extent: text::Extent) -> Writer<'r> {
        self.extent = extent;
        self
    }

    /// Writes the report to `out` (not flushed).
    pub fn write(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        match self.format {
            Format::Html => html::write(self.report, &self.texts, html::MAX_COMPARE, out),
            Format::Text => text::write_extent(self.report, self.extent, out),
            format => write(self.report, format, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each name is the serialised value (what JSON readers see), `Display` and `as_str`
    /// alike, and reads back as the same value.
    fn assert_named<T>(all: &[T], names: &[&'static str])
    where
        T: Copy + Serialize + serde::de::DeserializeOwned + fmt::Display + PartialEq + fmt::Debug,
        T: PartialEq<&'static str>,
    {
        assert_eq!(all.len(), names.len());
        for (&v, &name) in all.iter().zip(names) {
            assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{name}\""));
            assert_eq!(v.to_string(), name);
            assert_eq!(
                serde_json::from_str::<T>(&format!("\"{name}\"")).unwrap(),
                v
            );
            assert!(v == name);
        }
    }

    #[test]
    fn report_enums_serialise_to_their_snake_case_names() {
        assert_named(
            SourceBy::ALL,
            &["date", "containment", "first_seen", "similarity"],
        );
        assert_named(Role::ALL, &["source", "copy", "partial_copy"]);
        assert_named(PairRelation::ALL, &["near_duplicate", "contained"]);
        assert_named(
            RepeatKind::ALL,
            &["within_document", "cross_document", "boilerplate"],
        );
        assert!(serde_json::from_str::<Role>("\"partial copy\"").is_err());
    }

    #[test]
    fn report_enums_compare_with_strings_both_ways() {
        let kind = RepeatKind::CrossDocument;
        assert_eq!(kind, "cross_document");
        assert!(kind != "boilerplate");
        assert!(kind == *"cross_document");
        let owned = String::from("cross_document");
        assert!(kind == owned);
        assert!("cross_document" == kind);
        assert!(*"cross_document" == kind);
        assert_eq!(Role::PartialCopy.as_str(), "partial_copy");
        match PairRelation::Contained.as_str() {
            "contained" => {}
            other => panic!("{other}"),
        }
    }
}
