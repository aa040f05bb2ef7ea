//! `syndup sign`: one JSON Lines shard -> `bands/`, `docs/`, `rejects/` and (with containment)
//! `samples/` files.
//!
//! Each record is read with the same checks as `scan` ([`crate::input::record_fields`], the
//! size limit, an empty id, no words), shingled and signed exactly as `scan` does, and given the
//! document number `shard << 32 | row` (`row` = 0-based line). A record that cannot be used is
//! never dropped silently: it goes to `rejects/shard-N.jsonl` with its `path:line` and the
//! reason, and is counted in the Parquet metadata. An id used twice in the shard keeps its first
//! record, as in `scan`; ids used in two shards are found by the global stage (reported as
//! problems there). The sample rows are each document's containment sample
//! ([`crate::containment::sample`], the rate from the manifest), sorted by hash and document.
//!
//! Band rows are sorted by band, band hash and document, so an engine reading the files finds
//! each band's buckets in order. All three files are written to hidden temporary names and
//! renamed (the docs file last), so a task killed half-way leaves no partial file and a retry
//! just runs again; a shard whose files already carry this manifest's fingerprint is not signed
//! again.

use super::parquet::{self as pq, Reader};
use super::{doc_number, shard_file, Manifest};
use crate::containment;
use crate::document::{parse_date, Problem, ProblemKind};
use crate::error::{Error, Result};
use crate::input::{self, InputFile};
use crate::sketch::{Order, RawRecord, Sketcher, Want, Worker};
use arrow_array::{ArrayRef, StringArray};
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What signing one shard did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SignStats {
    /// The shard number.
    pub shard: u32,
    /// Records read (documents + rejected).
    pub records: u64,
    /// Documents signed.
    pub documents: u64,
    /// Records rejected (listed in the rejects file).
    pub rejected: u64,
    /// Input bytes (after decompression).
    pub bytes: u64,
    /// True when the outputs were already there with this manifest (nothing was done).
    pub skipped: bool,
    /// The first rejected records (all are in the rejects file).
    #[serde(skip)]
    pub problems: Vec<Problem>,
}

/// One signed document.
struct Signed {
    row: u32,
    id: String,
    length: i64,
    date: Option<String>,
    sig: Vec<u32>,
    shingles: Vec<u64>,
    /// The containment sample (empty when containment is off).
    sample: Vec<u64>,
    /// The text as read (passages are aligned on it).
    text: String,
    /// The band keys (`bands` of them).
    keys: Vec<u64>,
}

/// The three output paths of `shard` under `out` (bands, docs, rejects).
pub fn output_paths(out: &Path, shard: u32) -> (PathBuf, PathBuf, PathBuf) {
    (
        out.join("bands").join(shard_file(shard, "parquet")),
        out.join("docs").join(shard_file(shard, "parquet")),
        out.join("rejects").join(shard_file(shard, "jsonl")),
    )
}

/// The sample file of `shard` under `out` (written when containment is on).
pub fn samples_path(out: &Path, shard: u32) -> PathBuf {
    out.join("samples").join(shard_file(shard, "parquet"))
}

/// Problems listed in [`SignStats::problems`] at most.
const KEEP_PROBLEMS: usize = 20;

/// Signs shard `shard` of `manifest` into `out` (see the module documentation).
pub fn sign_shard(manifest: &Manifest, shard: u32, out: &Path) -> Result<SignStats> {
    let path = manifest.shard(shard)?.to_string();
    let (bands_path, docs_path, rejects_path) = output_paths(out, shard);
    if let Some(stats) = already_signed(manifest, shard, &bands_path, &docs_path)? {
        return Ok(stats);
    }
    let samples_path = samples_path(out, shard);
    let containment = manifest.parameters.containment;
    for p in [&bands_path, &docs_path, &rejects_path, &samples_path] {
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
    }
    let config = manifest.config();
    let sketcher = Sketcher::new(&config)?;
    let kind = input::kind_of(Path::new(&path))
        .unwrap_or(input::InputKind::Jsonl(input::Compression::None));
    let files = [InputFile {
        path: PathBuf::from(&path),
        kind,
    }];
    let mut stats = SignStats {
        shard,
        ..SignStats::default()
    };
    // Documents are written as they come (row groups of DOCS_PER_GROUP), so memory stays at
    // a few batches whatever the shard's size; only the band rows wait for the end (they are
    // sorted by band then hash, not by document).
    let mut docs_out = pq::FileWriter::create(
        &docs_path,
        pq::docs_schema(),
        pq::meta(manifest),
        DOCS_PER_GROUP,
    )?;
    let mut pending: Vec<Signed> = Vec::new();
    let mut keys: Vec<(i32, i64, i64)> = Vec::new();
    let mut samples: Vec<(i64, i64)> = Vec::new();
    let mut rejects: Vec<u8> = Vec::new();
    let mut seen: ahash::AHashMap<String, u64> = ahash::AHashMap::new();
    let mut reject = |stats: &mut SignStats, p: Problem| {
        stats.rejected += 1;
        stats.records += 1;
        let _ = serde_json::to_writer(&mut rejects, &p);
        rejects.push(b'\n');
        if stats.problems.len() < KEEP_PROBLEMS {
            stats.problems.push(p);
        }
    };
    input::read_batches(&files, config.max_doc_bytes, &mut |batch| {
        stats.bytes += batch.bytes;
        let results: Vec<std::result::Result<Signed, Problem>> = batch
            .records
            .par_iter()
            .map_init(
                || sketcher.worker(),
                |w, r| {
                    let rate = containment.map(|c| c.sample);
                    sign_record(&sketcher, w, &path, r.line, batch.record(r), rate)
                },
            )
            .collect();
        let mut problems = batch.problems.clone();
        problems.sort_by_key(|p| p.line);
        let mut problems = problems.into_iter().peekable();
        for (r, res) in batch.records.iter().zip(results) {
            while let Some(p) = problems.next_if(|p| p.line.unwrap_or(0) < r.line.unwrap_or(0)) {
                reject(&mut stats, p);
            }
            match res {
                Ok(d) => {
                    if let Some(first) = seen.get(&d.id) {
                        let p = Problem {
                            path: path.clone(),
                            line: r.line,
                            id: Some(d.id.clone()),
                            kind: ProblemKind::DuplicateId,
                            message: format!(
                                "duplicate id `{}` (first seen at {path}:{first}); skipped",
                                d.id
                            ),
                        };
                        reject(&mut stats, p);
                    } else {
                        seen.insert(d.id.clone(), d.row as u64 + 1);
                        stats.records += 1;
                        stats.documents += 1;
                        let doc = doc_number(shard, d.row);
                        keys.extend(
                            d.keys
                                .iter()
                                .enumerate()
                                .map(|(b, &k)| (b as i32, k as i64, doc)),
                        );
                        samples.extend(d.sample.iter().map(|&h| (h as i64, doc)));
                        pending.push(d);
                        if pending.len() >= DOCS_PER_GROUP {
                            docs_out.write(&docs_batch(shard, &pending, &docs_path)?)?;
                            pending.clear();
                        }
                    }
                }
                Err(p) => reject(&mut stats, p),
            }
        }
        for p in problems {
            reject(&mut stats, p);
        }
        Ok(true)
    })?;

    if !pending.is_empty() {
        docs_out.write(&docs_batch(shard, &pending, &docs_path)?)?;
    }
    let counts = [
        ("syndup.shard", shard.to_string()),
        ("syndup.records", stats.records.to_string()),
        ("syndup.documents", stats.documents.to_string()),
        ("syndup.rejected", stats.rejected.to_string()),
    ];
    let mut meta = pq::meta(manifest);
    meta.extend(counts.iter().map(|(k, v)| (k.to_string(), v.clone())));
    for (k, v) in counts {
        docs_out.append_meta(k, v);
    }
    keys.par_sort_unstable();
    let b = pq::batch(
        &bands_path,
        pq::bands_schema(),
        vec![
            pq::i32_array(keys.iter().map(|k| k.0).collect()),
            pq::i64_array(keys.iter().map(|k| k.1).collect()),
            pq::i64_array(keys.iter().map(|k| k.2).collect()),
        ],
    )?;
    drop(keys);
    pq::write_file(&bands_path, pq::bands_schema(), &[b], meta.clone(), 1 << 20)?;
    if containment.is_some() {
        samples.par_sort_unstable();
        let b = pq::batch(
            &samples_path,
            pq::samples_schema(),
            vec![
                pq::i64_array(samples.iter().map(|k| k.0).collect()),
                pq::i64_array(samples.iter().map(|k| k.1).collect()),
            ],
        )?;
        pq::write_file(&samples_path, pq::samples_schema(), &[b], meta, 1 << 20)?;
    }
    super::plan::write_atomic(&rejects_path, &rejects)?;
    // The docs file last: its presence with this manifest means the shard is done.
    docs_out.finish()?;
    Ok(stats)
}

/// The stats of a shard whose outputs already carry this manifest, if both do.
fn already_signed(
    manifest: &Manifest,
    shard: u32,
    bands: &Path,
    docs: &Path,
) -> Result<Option<SignStats>> {
    if !bands.is_file() || !docs.is_file() {
        return Ok(None);
    }
    let (Ok(b), Ok(d)) = (Reader::open(bands), Reader::open(docs)) else {
        return Ok(None);
    };
    let fp = Some(manifest.fingerprint.as_str());
    if b.meta(pq::META_MANIFEST).as_deref() != fp || d.meta(pq::META_MANIFEST).as_deref() != fp {
        return Ok(None);
    }
    let num = |k: &str| d.meta(k).and_then(|v| v.parse().ok()).unwrap_or(0);
    Ok(Some(SignStats {
        shard,
        records: num("syndup.records"),
        documents: num("syndup.documents"),
        rejected: num("syndup.rejected"),
        bytes: 0,
        skipped: true,
        problems: Vec::new(),
    }))
}

/// Reads, checks, shingles and signs one record through the sketch contract, as `scan`
/// does; only the row number (a shard holds at most 2^32 lines) is this step's own check.
fn sign_record(
    sketcher: &Sketcher,
    w: &mut Worker,
    path: &str,
    line: Option<u64>,
    bytes: &[u8],
    sample_rate: Option<u64>,
) -> std::result::Result<Signed, Problem> {
    let raw = RawRecord { path, line, bytes };
    let row = match line.map(|l| l.checked_sub(1).map(u32::try_from)) {
        Some(Some(Ok(r))) => r,
        _ => {
            return Err(raw.problem(
                None,
                ProblemKind::TooLarge,
                "line number beyond 2^32 in one shard; split the shard".into(),
            ))
        }
    };
    let rec = sketcher.sign_record(w, &raw, Want::signed(Order::Set))?;
    Ok(Signed {
        row,
        length: rec.text.len() as i64,
        text: rec.text.into_owned(),
        sample: sample_rate
            .map(|r| containment::sample(&w.shingles, r))
            .unwrap_or_default(),
        id: rec.id,
        date: rec.date,
        keys: sketcher.params().band_keys(&w.signature),
        sig: std::mem::take(&mut w.signature),
        shingles: w.shingles.clone(),
    })
}

/// Documents per row group of a docs file (each holds its shingle list).
const DOCS_PER_GROUP: usize = 8192;

/// The docs-file rows of `docs`.
fn docs_batch(shard: u32, docs: &[Signed], path: &Path) -> Result<arrow_array::RecordBatch> {
    let dates: ArrayRef = Arc::new(StringArray::from(
        docs.iter().map(|d| d.date.as_deref()).collect::<Vec<_>>(),
    ));
    let date_keys: ArrayRef = Arc::new(arrow_array::Int64Array::from(
        docs.iter()
            .map(|d| d.date.as_deref().and_then(parse_date))
            .collect::<Vec<_>>(),
    ));
    pq::batch(
        path,
        pq::docs_schema(),
        vec![
            pq::i64_array(docs.iter().map(|d| doc_number(shard, d.row)).collect()),
            Arc::new(StringArray::from_iter_values(docs.iter().map(|d| &d.id))),
            pq::i64_array(docs.iter().map(|d| d.length).collect()),
            dates,
            date_keys,
            pq::i32_lists(docs.iter().map(|d| d.sig.as_slice())),
            pq::i64_lists(docs.iter().map(|d| d.shingles.as_slice())),
            Arc::new(StringArray::from_iter_values(docs.iter().map(|d| &d.text))),
        ],
    )
}
