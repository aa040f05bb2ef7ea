//! The streaming pre-filter: records in input order -> one [`Verdict`] each (kept, duplicate
//! of an earlier record, or rejected), checked against everything kept before, in this run or
//! in earlier runs through a persistent [`Index`].
//!
//! Input: batches of raw JSON Lines records with their `path:line` ([`Record`]), or documents
//! held in memory. Output: a verdict per record, in the same order. Place in the pipeline: the
//! batch driver ([`crate::Detector`]) sees the whole corpus and clusters it; this driver sees
//! one record at a time and decides at once, which is what an ingestion pipeline needs (drop
//! near-duplicates of anything seen before, pass the rest on unchanged).
//!
//! Per batch, parsing, normalising, shingling, signing and band keys are computed in parallel
//! (rayon, results in input order); decisions are then taken sequentially in input order, so
//! the verdicts are identical at any thread count and a record is compared with every record
//! kept before it, even in the same batch. A record is:
//! 1. an **exact duplicate** when a kept record has the same normalised content
//!    ([`crate::shingle::Shingler::content_hash`]);
//! 2. a **near-duplicate** when an LSH candidate (a kept record sharing a band key, at most
//!    `max_bucket` per band key) has Jaccard similarity >= `threshold`; the best match wins, ties
//!    go to the earliest kept. Without shingle sets in the index (the default) the Jaccard is
//!    estimated from the full signatures: the share of equal positions, whose standard error
//!    is about `sqrt(J(1-J)/num_perm)` (0.035 at J = 0.8 with 128 permutations), so pairs within
//!    a few hundredths of the threshold may fall on either side; two short records (fewer than
//!    [`crate::minhash::MIN_ESTIMATE_SHINGLES`] distinct shingles each) are compared on their
//!    exact sets, which short kept records store. With [`crate::VerifyMode::Exact`]
//!    the index stores each kept record's sorted shingle hashes (8 bytes per distinct shingle,
//!    on disk) and the Jaccard is exact;
//! 3. otherwise **kept**, and added to the index (unless it was opened with
//!    [`crate::index::Mode::Reference`]).
//!
//! **Ids.** Every decided id is remembered with its content hash, verdict and `path:line`. A
//! record whose id was decided before:
//! - with the same content and the same `path:line` is a **replay** (a rerun of the same input
//!   after a crash): it gets the stored verdict again, kept or the same duplicate; this is what
//!   makes reruns idempotent. Paths are compared canonical (`x.jsonl` is `./x.jsonl`), and
//!   standard input matches any input at the same line;
//! - with the same content from another place is a repeat: a duplicate of that record
//!   (`exact_duplicate`, similarity 1), or of what that record duplicated;
//! - with other content is rejected as `duplicate_id`.
//!
//! In reference mode ids are not checked (the index's ids are another collection's) and
//! records are compared with the index only, never with each other.
//!
//! **Crash safety.** [`StreamFilter::check_batch`] commits the batch's transaction before it
//! returns the verdicts: a caller that writes verdicts out only after that call (as
//! [`StreamFilter::run`] does) can be killed at any moment and the index then holds every
//! record whose verdict was written; a rerun on the same input replays those and decides the
//! rest as before.
//!
//! ```
//! use syndup::{Config, Index, StreamFilter, Verdict, VerifyMode};
//! use syndup::stream::Record;
//!
//! let config = Config { verify: VerifyMode::Estimate, ..Config::default() };
//! // Index::open(path, &config) for a persistent index; this one lives in memory.
//! let mut filter = StreamFilter::new(config.clone(), Index::in_memory(&config)?)?;
//! let story = r#"{"id": "a", "text": "The council approved the harbour budget on Monday after a long debate about flood defences and ferries."}"#;
//! let copy = r#"{"id": "b", "text": "THE COUNCIL APPROVED THE HARBOUR BUDGET ON MONDAY AFTER A LONG DEBATE ABOUT FLOOD DEFENCES AND FERRIES."}"#;
//! let records: Vec<Record> = [story, copy, "{oops"]
//!     .iter()
//!     .enumerate()
//!     .map(|(i, l)| Record { path: "in.jsonl", line: Some(i as u64 + 1), bytes: l.as_bytes() })
//!     .collect();
//! let verdicts = filter.check_batch(&records)?; // committed: safe to write them out now
//! assert!(matches!(&verdicts[0], Verdict::Kept { id, .. } if id == "a"));
//! assert!(matches!(&verdicts[1], Verdict::Duplicate { dup_of, .. } if dup_of == "a"));
//! assert!(matches!(&verdicts[2], Verdict::Rejected(p) if p.line == Some(3)));
//! # Ok::<(), syndup::Error>(())
//! ```

mod route;
mod run;

pub use route::{Counts, Rejects, Router, Sink, Sinks};
pub use run::{Inputs, RunOptions, RunSummary, LATENCY};

use crate::config::Config;
use crate::document::{Document, Problem, ProblemKind};
use crate::error::{Error, ErrorKind, Result};
use crate::index::{self, Header, Index, Mode, StoredKind};
use crate::minhash;
use crate::sketch::{Order, RawRecord, Sketcher, Want, Worker};
use crate::verify::Similarity;
use rayon::prelude::*;
use serde::Serialize;

/// One raw JSON Lines record and where it came from (`line` is its 1-based line): the sketch
/// contract's [`RawRecord`].
pub type Record<'a> = RawRecord<'a>;

/// How a dropped record relates to the kept one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// Jaccard similarity at or above the threshold.
    NearDuplicate,
    /// The same normalised content.
    ExactDuplicate,
}

impl Relation {
    /// The snake_case name used in output.
    pub fn name(self) -> &'static str {
        match self {
            Relation::NearDuplicate => "near_duplicate",
            Relation::ExactDuplicate => "exact_duplicate",
        }
    }
}

/// The decision about one record.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Not a duplicate of anything kept before: passed on (and indexed).
    Kept {
        /// The record's id.
        id: String,
        /// True when the index already held this very record (same id, content and
        /// `path:line`): a rerun of the same input.
        replay: bool,
    },
    /// A duplicate of a kept record: dropped (or annotated).
    Duplicate {
        /// The record's id.
        id: String,
        /// The id of the kept record it duplicates.
        dup_of: String,
        /// Jaccard similarity to it (estimated from signatures unless the index stores shingle
        /// sets; 1 for exact duplicates).
        similarity: f64,
        /// Exact or near duplicate.
        relation: Relation,
        /// True when this is a replay of a stored verdict (see [`Verdict::Kept`]).
        replay: bool,
    },
    /// The record could not be read: `path:line`, kind and message.
    Rejected(Problem),
}

/// Counts of verdicts given so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FilterStats {
    /// Records checked (= kept + duplicates + rejected).
    pub records: u64,
    /// Kept records.
    pub kept: u64,
    /// Dropped duplicates.
    pub duplicates: u64,
    /// Of which exact duplicates.
    pub exact_duplicates: u64,
    /// Rejected records.
    pub rejected: u64,
    /// Verdicts replayed from the index (counted in kept or duplicates too).
    pub replayed: u64,
    /// LSH candidates compared.
    pub candidates: u64,
    /// Bytes of the records checked.
    pub bytes: u64,
}

/// The streaming filter; see the module documentation.
#[derive(Debug)]
pub struct StreamFilter {
    prep: Preparer,
    index: Index,
    stats: FilterStats,
    documents_seen: u64,
    poisoned: bool,
    sig_buf: Vec<u32>,
    set_buf: Vec<u64>,
    cand_buf: Vec<u32>,
}

/// The parallel half of a [`StreamFilter`]: parsing, normalising, shingling, signing and band
/// keys, which need no index. Cheap to clone and `Send + Sync`, so a pipeline can prepare the
/// next batch on another thread while the filter decides the current one ([`StreamFilter::run`]
/// does).
#[derive(Debug, Clone)]
pub struct Preparer {
    config: Config,
    header: Header,
    sketcher: Sketcher,
}

/// A batch after [`Preparer::prepare`], ready for [`StreamFilter::decide`].
#[derive(Debug)]
pub struct PreparedBatch {
    header: Header,
    entries: Vec<Entry>,
}

impl PreparedBatch {
    /// Records in the batch.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True for an empty batch.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[derive(Debug)]
struct Entry {
    path: std::sync::Arc<str>,
    line: Option<u64>,
    bytes: u64,
    result: std::result::Result<Prepared, Problem>,
}

/// What the parallel phase computes for a readable record.
#[derive(Debug)]
struct Prepared {
    id: String,
    content: u64,
    sig: Vec<u32>,
    keys: Vec<u64>,
    /// Sorted shingle set, only when the index stores them.
    shingles: Option<Vec<u64>>,
    /// Sorted shingle set of a short record (fewer than
    /// [`minhash::MIN_ESTIMATE_SHINGLES`]) when the index does not store sets: it is compared
    /// exactly with short kept records, and stored if kept.
    small: Option<Vec<u64>>,
}

enum Body<'a> {
    Json(&'a [u8]),
    Doc(&'a str, &'a str),
}

struct Item<'a> {
    path: &'a str,
    line: Option<u64>,
    body: Body<'a>,
}

impl StreamFilter {
    /// A filter deciding with `config` against `index`. `config.verify` must match the
    /// index: [`crate::VerifyMode::Exact`] needs an index storing shingle sets. The index was opened
    /// with a configuration; it must give the same [`Header`].
    pub fn new(config: Config, index: Index) -> Result<StreamFilter> {
        let header = Header::for_config(&config)?;
        let diffs = index.header().differences(&header);
        if !diffs.is_empty() {
            return Err(Error::new(ErrorKind::Index(format!(
                "{} was opened with other settings than the filter's: {}",
                index.location(),
                diffs.join("; ")
            ))));
        }
        let sketcher = Sketcher::with_params(&config, header.sketch.clone());
        Ok(StreamFilter {
            prep: Preparer {
                config,
                header,
                sketcher,
            },
            index,
            stats: FilterStats::default(),
            documents_seen: 0,
            poisoned: false,
            sig_buf: Vec::new(),
            set_buf: Vec::new(),
            cand_buf: Vec::new(),
        })
    }

    /// The index.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// Counts so far.
    pub fn stats(&self) -> &FilterStats {
        &self.stats
    }

    /// Bands and rows in use.
    pub fn bands_rows(&self) -> (usize, usize) {
        (self.prep.header.sketch.bands, self.prep.header.sketch.rows)
    }

    /// Closes the index.
    pub fn close(self) -> Result<()> {
        self.index.close()
    }

    /// Decides a batch of JSON Lines records, in order, and commits the new records to the
    /// index in one transaction before returning. Verdicts are returned in input order, one per
    /// record. An error (I/O on the index) leaves the filter unusable; the index then holds
    /// the batches committed before.
    pub fn check_batch(&mut self, records: &[Record]) -> Result<Vec<Verdict>> {
        let batch = self.prep.prepare(records);
        self.decide(batch)
    }

    /// The parallel half, to prepare batches on another thread (see [`Preparer`]).
    pub fn preparer(&self) -> &Preparer {
        &self.prep
    }

    /// Decides documents held in memory, like [`StreamFilter::check_batch`]. Problems name the
    /// path `<memory>` and the document's 1-based position among all documents given to this
    /// filter as the line.
    pub fn check_documents(&mut self, docs: &[Document]) -> Result<Vec<Verdict>> {
        let base = self.documents_seen;
        let items: Vec<Item> = docs
            .iter()
            .enumerate()
            .map(|(i, d)| Item {
                path: "<memory>",
                line: Some(base + i as u64 + 1),
                body: Body::Doc(&d.id, &d.text),
            })
            .collect();
        let batch = self.prep.prepare_items(&items);
        let v = self.decide(batch)?;
        self.documents_seen += docs.len() as u64;
        Ok(v)
    }

    /// Decides a prepared batch, in order, and commits the new records to the index in one
    /// transaction before returning (the second half of [`StreamFilter::check_batch`]). The
    /// batch must come from this filter's [`Preparer`] or a clone of it.
    pub fn decide(&mut self, batch: PreparedBatch) -> Result<Vec<Verdict>> {
        if self.poisoned {
            return Err(Error::new(ErrorKind::Index(format!(
                "{}: an earlier batch failed; reopen the index to go on",
                self.index.location()
            ))));
        }
        if batch.header != self.prep.header {
            return Err(Error::internal(
                "a batch prepared with other settings than the filter's was given to StreamFilter::decide",
            ));
        }
        self.index.begin()?;
        let mut out = Vec::with_capacity(batch.entries.len());
        let mut bytes = 0;
        for e in batch.entries {
            bytes += e.bytes;
            let v = match e.result {
                Ok(p) => match self.decide_one(&e.path, e.line, p) {
                    Ok(v) => v,
                    Err(err) => {
                        self.index.rollback();
                        self.poisoned = true;
                        return Err(err);
                    }
                },
                Err(problem) => Verdict::Rejected(problem),
            };
            out.push(v);
        }
        if let Err(e) = self.index.commit() {
            self.index.rollback();
            self.poisoned = true;
            return Err(e);
        }
        let s = &mut self.stats;
        s.bytes += bytes;
        for v in &out {
            s.records += 1;
            match v {
                Verdict::Kept { replay, .. } => {
                    s.kept += 1;
                    s.replayed += *replay as u64;
                }
                Verdict::Duplicate {
                    relation, replay, ..
                } => {
                    s.duplicates += 1;
                    s.exact_duplicates += (*relation == Relation::ExactDuplicate) as u64;
                    s.replayed += *replay as u64;
                }
                Verdict::Rejected(_) => s.rejected += 1,
            }
        }
        Ok(out)
    }

    /// The sequential part: the verdict of one record, given everything kept before it.
    fn decide_one(&mut self, path: &str, line: Option<u64>, p: Prepared) -> Result<Verdict> {
        let reference = self.index.mode() == Mode::Reference;
        if !reference && self.index.hot.ids.contains(index::id_hash(&p.id)) {
            // Decided before (or a 64-bit hash collision, which the lookup tells apart).
            if let Some(sv) = self.index.lookup(&p.id)? {
                if sv.content_hash != p.content {
                    let at = match sv.line {
                        Some(l) => format!("{}:{l}", sv.path),
                        None => sv.path.clone(),
                    };
                    return Ok(Verdict::Rejected(Problem {
                        path: path.to_string(),
                        line,
                        message: format!(
                            "duplicate id `{}` with other content (first seen at {at}); skipped: ids must be unique",
                            p.id
                        ),
                        id: Some(p.id),
                        kind: ProblemKind::DuplicateId,
                    }));
                }
                // The same place: the same line of the same input however its path is
                // spelled (paths are compared canonical), or of standard input against any
                // input (the same bytes piped in after a run on the file, or the reverse).
                let key = self.index.source_key(path);
                let replay = sv.line == line && (sv.path == key || sv.path == "-" || key == "-");
                return Ok(match sv.verdict {
                    StoredKind::Kept if replay => Verdict::Kept { id: p.id, replay },
                    StoredKind::Kept => Verdict::Duplicate {
                        dup_of: p.id.clone(),
                        id: p.id,
                        similarity: 1.0,
                        relation: Relation::ExactDuplicate,
                        replay,
                    },
                    kind => Verdict::Duplicate {
                        id: p.id,
                        dup_of: self.index.record_id(sv.rec)?,
                        similarity: sv.similarity,
                        relation: if kind == StoredKind::ExactDuplicate {
                            Relation::ExactDuplicate
                        } else {
                            Relation::NearDuplicate
                        },
                        replay,
                    },
                });
            }
        }
        let found = match self.index.hot.content.first(p.content) {
            Some(rec) => Some((rec, 1.0, Relation::ExactDuplicate)),
            None => self
                .best_candidate(&p)?
                .map(|(rec, sim)| (rec, sim, Relation::NearDuplicate)),
        };
        if let Some((rec, similarity, relation)) = found {
            if !reference {
                let kind = match relation {
                    Relation::ExactDuplicate => StoredKind::ExactDuplicate,
                    Relation::NearDuplicate => StoredKind::NearDuplicate,
                };
                self.index
                    .add_dropped(&p.id, p.content, kind, rec, similarity, path, line)?;
            }
            return Ok(Verdict::Duplicate {
                dup_of: self.index.record_id(rec)?,
                id: p.id,
                similarity,
                relation,
                replay: false,
            });
        }
        if !reference {
            self.index.add_kept(
                &p.id,
                p.content,
                &p.sig,
                &p.keys,
                p.shingles.as_deref().or(p.small.as_deref()),
                path,
                line,
            )?;
        }
        Ok(Verdict::Kept {
            id: p.id,
            replay: false,
        })
    }

    /// The best LSH candidate meeting the threshold: highest similarity, then lowest number.
    fn best_candidate(&mut self, p: &Prepared) -> Result<Option<(u32, f64)>> {
        let mut cands = std::mem::take(&mut self.cand_buf);
        cands.clear();
        for (b, &k) in p.keys.iter().enumerate() {
            self.index.hot.bands[b].get_into(k, self.prep.config.max_bucket, &mut cands);
        }
        cands.sort_unstable();
        cands.dedup();
        self.stats.candidates += cands.len() as u64;
        let threshold = self.prep.config.threshold;
        let mut best: Option<(u32, f64)> = None;
        for &rec in &cands {
            let sim = match &p.shingles {
                Some(set) => {
                    if !self.index.shingles_into(rec, &mut self.set_buf)? {
                        return Err(Error::new(ErrorKind::Index(format!(
                            "{}: record {rec} has no shingle set, though the index stores them: the index is damaged",
                            self.index.location()
                        ))));
                    }
                    let s = Similarity::exact(set, &self.set_buf);
                    if !s.meets(threshold) {
                        continue;
                    }
                    s.jaccard()
                }
                None => {
                    self.index.signature_into(rec, &mut self.sig_buf)?;
                    // Two short records are compared on their exact sets: a chance collision
                    // would make their signatures agree everywhere (see
                    // `minhash::MIN_ESTIMATE_SHINGLES`). A kept record whose signature holds
                    // that many distinct values is not short; a short one has its set stored.
                    let exact = match &p.small {
                        Some(set)
                            if !minhash::has_distinct(
                                &self.sig_buf,
                                minhash::MIN_ESTIMATE_SHINGLES,
                            ) && self.index.shingles_into(rec, &mut self.set_buf)? =>
                        {
                            Some(Similarity::exact(set, &self.set_buf))
                        }
                        _ => None,
                    };
                    match exact {
                        Some(s) if !s.meets(threshold) => continue,
                        Some(s) => s.jaccard(),
                        None => {
                            let agree = minhash::agreement(&p.sig, &self.sig_buf);
                            let n = self.prep.config.num_perm as f64;
                            if (agree as f64) < threshold * n - 1e-9 {
                                continue;
                            }
                            agree as f64 / n
                        }
                    }
                }
            };
            // Candidates come in increasing number, so `>` keeps the earliest on ties.
            if best.is_none_or(|(_, s)| sim > s) {
                best = Some((rec, sim));
            }
        }
        self.cand_buf = cands;
        Ok(best)
    }
}

impl Preparer {
    /// Parses, normalises, shingles and signs `records` in parallel (rayon), results in input
    /// order.
    pub fn prepare(&self, records: &[Record]) -> PreparedBatch {
        let items: Vec<Item> = records
            .iter()
            .map(|r| Item {
                path: r.path,
                line: r.line,
                body: Body::Json(r.bytes),
            })
            .collect();
        self.prepare_items(&items)
    }

    fn prepare_items(&self, items: &[Item]) -> PreparedBatch {
        let results: Vec<std::result::Result<Prepared, Problem>> = items
            .par_iter()
            .map_init(
                || self.sketcher.worker(),
                |w, item| self.prepare_one(w, item),
            )
            .collect();
        let mut last: Option<std::sync::Arc<str>> = None;
        let entries = items
            .iter()
            .zip(results)
            .map(|(item, result)| {
                let path = match &last {
                    Some(p) if **p == *item.path => p.clone(),
                    _ => {
                        let p: std::sync::Arc<str> = item.path.into();
                        last = Some(p.clone());
                        p
                    }
                };
                Entry {
                    path,
                    line: item.line,
                    bytes: match item.body {
                        Body::Json(b) => b.len() as u64,
                        Body::Doc(_, t) => t.len() as u64,
                    },
                    result,
                }
            })
            .collect();
        PreparedBatch {
            header: self.header.clone(),
            entries,
        }
    }

    /// The parallel part for one record, through the sketch contract: parse, check,
    /// normalise, shingle, sign, band keys.
    fn prepare_one(&self, w: &mut Worker, item: &Item) -> std::result::Result<Prepared, Problem> {
        let exact = self.header.shingle_sets;
        let want = Want::signed(if exact { Order::Set } else { Order::Text });
        let id = match item.body {
            Body::Doc(id, text) => {
                let raw = RawRecord {
                    path: item.path,
                    line: item.line,
                    bytes: text.as_bytes(),
                };
                self.sketcher.check(&raw, id, text)?;
                self.sketcher.sign(w, &raw, id, text, want)?;
                id.to_string()
            }
            Body::Json(bytes) => {
                let raw = RawRecord {
                    path: item.path,
                    line: item.line,
                    bytes,
                };
                let rec = self.sketcher.read_json(&raw)?;
                self.sketcher.sign(w, &raw, &rec.id, &rec.text, want)?;
                rec.id
            }
        };
        // A short record's set (see `Prepared::small`): a signature with enough distinct
        // values proves the record is not short without sorting its shingles.
        let small = if exact || minhash::has_distinct(&w.signature, minhash::MIN_ESTIMATE_SHINGLES)
        {
            None
        } else {
            let mut set = w.shingles.clone();
            set.sort_unstable();
            set.dedup();
            (set.len() < minhash::MIN_ESTIMATE_SHINGLES).then_some(set)
        };
        Ok(Prepared {
            id,
            content: w.content_hash(),
            keys: self.sketcher.params().band_keys(&w.signature),
            sig: std::mem::take(&mut w.signature),
            shingles: exact.then(|| w.shingles.clone()),
            small,
        })
    }
}

/// Appends `line` (a JSON object, as read) to `out` with the verdict's fields inserted before
/// its closing `}`: `"dup_of"` (the kept record's id, or `null`), `"similarity"` (rounded to 4
/// decimals, or `null`) and `"relation"` (`near_duplicate`, `exact_duplicate`, or `unique` for
/// kept records). Every byte of the line is kept, so key order and formatting are preserved.
/// Returns `false` (and appends nothing) for rejected records or a line not ending in `}`.
pub fn annotate_into(line: &[u8], verdict: &Verdict, out: &mut Vec<u8>) -> bool {
    let Some(close) = line.iter().rposition(|b| !b.is_ascii_whitespace()) else {
        return false;
    };
    if line[close] != b'}' {
        return false;
    }
    let fields = match verdict {
        Verdict::Kept { .. } => {
            r#""dup_of":null,"similarity":null,"relation":"unique""#.to_string()
        }
        Verdict::Duplicate {
            dup_of,
            similarity,
            relation,
            ..
        } => format!(
            r#""dup_of":{},"similarity":{},"relation":"{}""#,
            serde_json::Value::from(dup_of.as_str()),
            serde_json::Value::from(crate::verify::round4(*similarity)),
            relation.name()
        ),
        Verdict::Rejected(_) => return false,
    };
    let empty = line[..close]
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .is_some_and(|i| line[i] == b'{');
    out.extend_from_slice(&line[..close]);
    if !empty {
        out.push(b',');
    }
    out.extend_from_slice(fields.as_bytes());
    out.extend_from_slice(&line[close..]);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::VerifyMode;

    fn cfg() -> Config {
        Config {
            verify: VerifyMode::Estimate,
            ..Config::default()
        }
    }

    fn doc(id: &str, text: &str) -> Document {
        Document {
            id: id.into(),
            text: text.into(),
            ..Document::default()
        }
    }

    const STORY: &str = "The harbour council approved the flood barrier budget on Monday after a long debate about ferry routes, the old fish market, storm drains and the price of steel for the new gates at the river mouth.";

    #[test]
    fn exact_near_kept_and_duplicate_ids() {
        for verify in [VerifyMode::Estimate, VerifyMode::Exact] {
            let config = Config { verify, ..cfg() };
            let mut f =
                StreamFilter::new(config.clone(), Index::in_memory(&config).unwrap()).unwrap();
            let near = STORY.replace("river mouth", "river mouths");
            let v = f
                .check_documents(&[
                    doc("a", STORY),
                    doc("b", &STORY.to_uppercase()),
                    doc("c", &near),
                    doc(
                        "d",
                        "Something else entirely, about mountains and the weather up there.",
                    ),
                    doc("a", "Other content under a used id."),
                    doc("", "no id"),
                ])
                .unwrap();
            assert_eq!(
                v[0],
                Verdict::Kept {
                    id: "a".into(),
                    replay: false
                }
            );
            assert!(
                matches!(&v[1], Verdict::Duplicate { dup_of, relation: Relation::ExactDuplicate, similarity, .. } if dup_of == "a" && *similarity == 1.0)
            );
            assert!(
                matches!(&v[2], Verdict::Duplicate { dup_of, relation: Relation::NearDuplicate, similarity, .. } if dup_of == "a" && *similarity >= 0.8 && *similarity < 1.0),
                "{:?}",
                v[2]
            );
            assert!(matches!(&v[3], Verdict::Kept { .. }));
            assert!(
                matches!(&v[4], Verdict::Rejected(p) if p.kind == ProblemKind::DuplicateId && p.line == Some(5))
            );
            assert!(matches!(&v[5], Verdict::Rejected(p) if p.kind == ProblemKind::MissingField));
            let s = f.stats();
            assert_eq!((s.records, s.kept, s.duplicates, s.rejected), (6, 2, 2, 2));
            assert_eq!(f.index().len(), 2);
        }
    }

    #[test]
    fn a_batch_prepared_with_other_settings_is_a_bug_of_the_caller() {
        let config = cfg();
        let other = Config { seed: 2, ..cfg() };
        let mut f = StreamFilter::new(config.clone(), Index::in_memory(&config).unwrap()).unwrap();
        let g = StreamFilter::new(other.clone(), Index::in_memory(&other).unwrap()).unwrap();
        let line = format!(r#"{{"id":"x","text":"{STORY}"}}"#);
        let rec = Record {
            path: "in",
            line: Some(1),
            bytes: line.as_bytes(),
        };
        let err = f.decide(g.preparer().prepare(&[rec])).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Internal(_)), "{err:?}");
        assert_eq!(
            err.to_string(),
            "a batch prepared with other settings than the filter's was given to StreamFilter::decide"
        );
    }

    #[test]
    fn json_records_are_parsed_and_bad_ones_rejected() {
        let config = cfg();
        let mut f = StreamFilter::new(config.clone(), Index::in_memory(&config).unwrap()).unwrap();
        let good = format!(r#"{{"id":"x","text":"{STORY}"}}"#);
        let lines: Vec<&[u8]> = vec![
            good.as_bytes(),
            b"{not json",
            b"{\"id\":\"y\",\"text\":\"caf\xe9\"}",
            br#"{"id":"z","text":7}"#,
        ];
        let recs: Vec<Record> = lines
            .iter()
            .enumerate()
            .map(|(i, b)| Record {
                path: "in",
                line: Some(i as u64 + 1),
                bytes: b,
            })
            .collect();
        let v = f.check_batch(&recs).unwrap();
        let kinds: Vec<Option<ProblemKind>> = v
            .iter()
            .map(|v| match v {
                Verdict::Rejected(p) => Some(p.kind),
                _ => None,
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                None,
                Some(ProblemKind::MalformedJson),
                Some(ProblemKind::InvalidUtf8),
                Some(ProblemKind::NotAString)
            ]
        );
    }

    #[test]
    fn annotation_keeps_every_byte() {
        let line = br#"{ "b": 1, "id": "x",  "text": "t" }  "#;
        let mut out = Vec::new();
        let v = Verdict::Duplicate {
            id: "x".into(),
            dup_of: "q\"uote".into(),
            similarity: 0.8125,
            relation: Relation::NearDuplicate,
            replay: false,
        };
        assert!(annotate_into(line, &v, &mut out));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{ "b": 1, "id": "x",  "text": "t" ,"dup_of":"q\"uote","similarity":0.8125,"relation":"near_duplicate"}  "#
        );
        let mut out = Vec::new();
        assert!(annotate_into(
            b"{}",
            &Verdict::Kept {
                id: "k".into(),
                replay: false
            },
            &mut out
        ));
        assert_eq!(
            out,
            br#"{"dup_of":null,"similarity":null,"relation":"unique"}"#
        );
        assert!(!annotate_into(
            b"[1]",
            &Verdict::Kept {
                id: "k".into(),
                replay: false
            },
            &mut Vec::new()
        ));
    }
}
