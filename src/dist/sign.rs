//! `syndup sign`: one JSON Lines shard -> `bands/`, `docs/`, `rejects/` and (with containment)
//! `samples/` files.
//!
//! Each record is read with the same checks as `scan` ([`crate::input::record_fields`], the
//! size limit, an empty id, no words), shingled and signed exactly as `scan` does, and given the
//! document number `shard << 32 | row` (`row` = 0-based line). A record that cannot be used is
//! never dropped silently: it goes to `rejects/shard-N.jsonl` with its `path:line` and the
//! reason, and is counted in the Parquet metadata. An id used twice in the shard keeps its first
//! record, as in `scan`; ids used in two shards are found by the global stage (reported as
//! problems there). The sample rows are each document's containment sample at the finer rate
//! ([`crate::containment::sample`] at [`crate::containment::fine_rate`] of the manifest's rate:
//! the search keeps the hashes sampled at the rate itself, and the fingerprints of the others
//! help confirm its candidates), sorted by hash and document.
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
    // a few batches whatever the shard's size; only the band and sample rows wait for the end
    // (they are sorted by hash, not by document). Three threads overlap: one reads the
    // shard, the pool signs a batch, one encodes the docs file (the longest serial part:
    // Parquet encoding is one thread per file), each handing on in input order.
    let docs_out = pq::FileWriter::create(
        &docs_path,
        pq::docs_schema(),
        pq::meta(manifest),
        DOCS_PER_GROUP,
    )?;
    let bands = sketcher.params().bands;
    // Band keys are any 64-bit value; sampled hashes are at most `u64::MAX / rate`.
    let mut keys: Vec<Buckets> = (0..bands)
        .map(|_| Buckets::new(BAND_BUCKET_BITS, i64::MIN, i64::MAX))
        .collect();
    // The sample rows are the finer sample (see the module documentation).
    let rate = containment.map(|c| containment::fine_rate(c.sample));
    let mut samples = match rate.map(|r| u64::MAX / r.max(1)) {
        Some(cut) if cut <= i64::MAX as u64 => Buckets::new(SAMPLE_BUCKET_BITS, 0, cut as i64),
        _ => Buckets::new(SAMPLE_BUCKET_BITS, i64::MIN, i64::MAX),
    };
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
    let max_doc_bytes = config.max_doc_bytes;
    let docs_out = std::thread::scope(|scope| -> Result<pq::FileWriter> {
        let (batch_tx, batch_rx) = std::sync::mpsc::sync_channel::<input::Batch>(1);
        let (docs_tx, docs_rx) = std::sync::mpsc::sync_channel::<Vec<Signed>>(1);
        let files = &files;
        let reader = scope.spawn(move || {
            input::read_batches(files, max_doc_bytes, &mut |b| Ok(batch_tx.send(b).is_ok()))
        });
        let docs_path = &docs_path;
        let writer = scope.spawn(move || -> Result<pq::FileWriter> {
            let mut out = docs_out;
            for docs in docs_rx {
                out.write(&docs_batch(shard, &docs, docs_path)?)?;
            }
            Ok(out)
        });
        let mut pending: Vec<Signed> = Vec::new();
        // Set when the writer stopped on an error (returned by its join below).
        let mut writer_gone = false;
        for batch in batch_rx.iter() {
            stats.bytes += batch.bytes;
            let results: Vec<std::result::Result<Signed, Problem>> = batch
                .records
                .par_iter()
                .map_init(
                    || sketcher.worker(),
                    |w, r| sign_record(&sketcher, w, &path, r.line, batch.record(r), rate),
                )
                .collect();
            let mut problems = batch.problems.clone();
            problems.sort_by_key(|p| p.line);
            let mut problems = problems.into_iter().peekable();
            for (r, res) in batch.records.iter().zip(results) {
                while let Some(p) = problems.next_if(|p| p.line.unwrap_or(0) < r.line.unwrap_or(0))
                {
                    reject(&mut stats, p);
                }
                let d = match res {
                    Ok(d) => d,
                    Err(p) => {
                        reject(&mut stats, p);
                        continue;
                    }
                };
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
                    continue;
                }
                seen.insert(d.id.clone(), d.row as u64 + 1);
                stats.records += 1;
                stats.documents += 1;
                let doc = doc_number(shard, d.row);
                for (band, &k) in keys.iter_mut().zip(&d.keys) {
                    band.push(k as i64, doc);
                }
                for &h in &d.sample {
                    samples.push(h as i64, doc);
                }
                pending.push(d);
                if pending.len() >= DOCS_PER_GROUP
                    && docs_tx.send(std::mem::take(&mut pending)).is_err()
                {
                    writer_gone = true;
                    break;
                }
            }
            if writer_gone {
                break;
            }
            for p in problems {
                reject(&mut stats, p);
            }
        }
        if !pending.is_empty() {
            let _ = docs_tx.send(pending);
        }
        drop(docs_tx);
        drop(batch_rx);
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(Error::internal("input reader thread panicked")));
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(Error::internal("docs writer thread panicked")));
        // A write error first: a reader stopped by it has no error of its own.
        let out = written?;
        read?;
        Ok(out)
    })?;

    let counts = [
        ("syndup.shard", shard.to_string()),
        ("syndup.records", stats.records.to_string()),
        ("syndup.documents", stats.documents.to_string()),
        ("syndup.rejected", stats.rejected.to_string()),
    ];
    let mut meta = pq::meta(manifest);
    meta.extend(counts.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let mut docs_out = docs_out;
    for (k, v) in counts {
        docs_out.append_meta(k, v);
    }
    // The band and sample files are independent: each is one Parquet writer thread.
    let (b, s) = rayon::join(
        || write_bands(&bands_path, keys, meta.clone()),
        || match containment {
            Some(_) => write_samples(&samples_path, samples, meta.clone()),
            None => Ok(()),
        },
    );
    b?;
    s?;
    super::plan::write_atomic(&rejects_path, &rejects)?;
    // The docs file last: its presence with this manifest means the shard is done.
    docs_out.finish()?;
    Ok(stats)
}

/// Buckets per band of the band rows (16 bands x 256: about 4,000 rows a bucket at 1M
/// documents) and of the sample rows (4,096: about 18,000 rows a bucket at 1M documents).
const BAND_BUCKET_BITS: u32 = 8;
const SAMPLE_BUCKET_BITS: u32 = 12;

/// Rows per batch handed to a band or sample file's writer (one row group at most).
const ROWS_PER_BATCH: usize = 1 << 20;

/// `(hash, doc)` rows kept in buckets of consecutive hash ranges, so that sorting them all is
/// sorting each small bucket, in parallel, with no copy: hashes are uniform, so buckets are
/// of about equal size, and each fits in a core's cache (a global parallel sort of 73 million
/// sample rows at 1M documents starts with one thread partitioning all of them).
struct Buckets {
    rows: Vec<Vec<(i64, i64)>>,
    /// The smallest hash's key (see [`Buckets::key`]).
    lo: u64,
    /// A key minus `lo`, shifted right by this, is the bucket.
    shift: u32,
}

impl Buckets {
    /// Buckets (2^`bits` at most) for hashes in `lo..=hi` (in `i64` order).
    fn new(bits: u32, lo: i64, hi: i64) -> Buckets {
        let (lo, hi) = (Self::key(lo), Self::key(hi));
        let span = hi.saturating_sub(lo);
        let shift = (u64::BITS - span.leading_zeros()).saturating_sub(bits);
        Buckets {
            rows: vec![Vec::new(); ((span >> shift) + 1) as usize],
            lo,
            shift,
        }
    }

    /// A hash as a `u64` in the same order as the `i64` (the sign bit flipped).
    fn key(hash: i64) -> u64 {
        hash as u64 ^ (1 << 63)
    }

    /// Adds a row (hashes outside the range go to the first or last bucket).
    fn push(&mut self, hash: i64, doc: i64) {
        let b = (Self::key(hash).saturating_sub(self.lo) >> self.shift) as usize;
        let last = self.rows.len() - 1;
        self.rows[b.min(last)].push((hash, doc));
    }

    /// The rows sorted by hash and document, one bucket at a time (each emptied once
    /// handed to `f`).
    fn sorted(mut self, mut f: impl FnMut(&[(i64, i64)]) -> Result<()>) -> Result<()> {
        self.rows.par_iter_mut().for_each(|b| b.sort_unstable());
        for b in &mut self.rows {
            f(b)?;
            *b = Vec::new();
        }
        Ok(())
    }
}

/// A Parquet writer of `(hash, doc)` rows under a constant first column (`band`) or none,
/// handing them on in batches of [`ROWS_PER_BATCH`].
struct RowsOut<'a> {
    path: &'a Path,
    schema: Arc<arrow_schema::Schema>,
    w: pq::FileWriter,
    band: Option<i32>,
    hash: Vec<i64>,
    doc: Vec<i64>,
}

impl<'a> RowsOut<'a> {
    fn create(
        path: &'a Path,
        schema: Arc<arrow_schema::Schema>,
        meta: Vec<(String, String)>,
    ) -> Result<RowsOut<'a>> {
        Ok(RowsOut {
            path,
            w: pq::FileWriter::create(path, schema.clone(), meta, ROWS_PER_BATCH)?,
            schema,
            band: None,
            hash: Vec::new(),
            doc: Vec::new(),
        })
    }

    fn push(&mut self, rows: &[(i64, i64)]) -> Result<()> {
        for &(h, d) in rows {
            self.hash.push(h);
            self.doc.push(d);
            if self.hash.len() >= ROWS_PER_BATCH {
                self.flush()?;
            }
        }
        Ok(())
    }

    /// Writes the rows held (a band's last rows go before the next band starts).
    fn flush(&mut self) -> Result<()> {
        if self.hash.is_empty() {
            return Ok(());
        }
        let mut cols = Vec::with_capacity(3);
        if let Some(b) = self.band {
            cols.push(pq::i32_array(vec![b; self.hash.len()]));
        }
        cols.push(pq::i64_array(std::mem::take(&mut self.hash)));
        cols.push(pq::i64_array(std::mem::take(&mut self.doc)));
        self.w
            .write(&pq::batch(self.path, self.schema.clone(), cols)?)
    }

    fn finish(mut self) -> Result<()> {
        self.flush()?;
        self.w.finish()
    }
}

/// Writes the band rows, `keys[band]` holding that band's `(band_hash, doc)` rows, sorted by
/// band, hash and document.
fn write_bands(path: &Path, keys: Vec<Buckets>, meta: Vec<(String, String)>) -> Result<()> {
    let mut out = RowsOut::create(path, pq::bands_schema(), meta)?;
    for (band, rows) in keys.into_iter().enumerate() {
        out.flush()?;
        out.band = Some(band as i32);
        rows.sorted(|r| out.push(r))?;
    }
    out.finish()
}

/// Writes the sample rows `(hash, doc)`, sorted by hash and document.
fn write_samples(path: &Path, rows: Buckets, meta: Vec<(String, String)>) -> Result<()> {
    let mut out = RowsOut::create(path, pq::samples_schema(), meta)?;
    rows.sorted(|r| out.push(r))?;
    out.finish()
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
            pq::i32_lists(path, docs.iter().map(|d| d.sig.as_slice()))?,
            pq::i64_lists(path, docs.iter().map(|d| d.shingles.as_slice()))?,
            Arc::new(StringArray::from_iter_values(docs.iter().map(|d| &d.text))),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows with hashes all over `lo..=hi` (ends and outside values included), in document
    /// order, as `sign` pushes them.
    fn rows(lo: i64, hi: i64) -> Vec<(i64, i64)> {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut out = Vec::new();
        for doc in 0..5000i64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let span = (hi as i128 - lo as i128 + 1) as u128;
            let h = (lo as i128 + ((x as u128 * span) >> 64) as i128) as i64;
            out.push((h, doc));
            // Repeated hashes (a bucket of documents), and the ends of the range.
            if doc % 7 == 0 {
                out.push((h, doc));
            }
            if doc % 1000 == 0 {
                out.extend([(lo, doc), (hi, doc), (i64::MIN, doc), (i64::MAX, doc)]);
            }
        }
        out
    }

    #[test]
    fn buckets_give_the_rows_sorted_by_hash_then_document() {
        for (bits, lo, hi) in [
            (8, i64::MIN, i64::MAX),
            (12, 0, (u64::MAX / 8) as i64),
            (12, 0, i64::MAX),
            (3, -5, 5),
            (4, 7, 7),
        ] {
            let rows = rows(lo, hi);
            let mut b = Buckets::new(bits, lo, hi);
            assert!(b.rows.len() <= 1 << bits, "{bits} {lo} {hi}");
            for &(h, d) in &rows {
                b.push(h, d);
            }
            let mut got = Vec::new();
            let mut sizes = Vec::new();
            b.sorted(|r| {
                got.extend_from_slice(r);
                sizes.push(r.len());
                Ok(())
            })
            .unwrap();
            let mut want = rows.clone();
            want.sort_unstable();
            assert_eq!(got, want, "{bits} {lo} {hi}");
            // Uniform hashes over the full range spread over every bucket.
            if bits == 8 && lo == i64::MIN {
                assert_eq!(sizes.len(), 256);
                assert!(sizes.iter().all(|&n| n > 0), "{sizes:?}");
            }
        }
    }
}
