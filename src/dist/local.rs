//! `syndup cluster-local`: the engine's global stage on one machine, from the signed files.
//!
//! Input: the `docs/`, `bands/` and (with containment) `samples/` files of every shard.
//! Output: `pairs/`, `clusters/` and `problems/`, the files the engine writes, so `apply`
//! takes either. The steps are `scan`'s, in its order:
//!
//! 1. an id already used in an earlier shard is a problem and its document is left out (as
//!    `scan` skips the second record of an id);
//! 2. LSH candidates from the band rows ([`crate::lsh::bucket_pairs`], as
//!    [`crate::lsh::candidates`] makes them), verified exactly with the criteria (Jaccard, or
//!    containment either way);
//! 3. with containment on, [`crate::containment::class_candidates`] over the sample rows and
//!    the near-duplicate classes of step 2, minus the LSH candidates, verified the same way;
//! 4. [`super::assemble::assemble`]'s steps over every component: clusters, sources, roles,
//!    relations, then passages.
//!
//! Memory: the band rows (then the samples) of every document, the shingle sets of the
//! candidates' documents, and, once the clusters are made and the sets dropped, the texts of
//! the documents in pairs. The signed files are read a row group at a time (groups in
//! parallel, only the columns and rows a step uses), each `docs/` column at most twice.
//! This is the path for corpora whose band rows and candidate documents fit in memory, and
//! the oracle the engine is tested against.

use super::assemble::{add_passages, assemble_rows, PartDoc};
use super::parquet::{self as pq, ProblemRow, Reader};
use super::{shard_file, Manifest};
use crate::containment;
use crate::error::{Error, ErrorKind, Result};
use crate::verify::{Criteria, MatchKind, Similarity};
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What `cluster-local` found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LocalStats {
    /// Documents over all shards (ids used in an earlier shard excluded).
    pub documents: u64,
    /// Documents left out because their id was used in an earlier shard.
    pub duplicate_ids: u64,
    /// Band rows read.
    pub band_rows: u64,
    /// LSH candidate pairs.
    pub candidates: u64,
    /// Buckets larger than `max_bucket`.
    pub giant_buckets: u64,
    /// Containment candidates that were not LSH candidates.
    pub containment_candidates: u64,
    /// Reported pairs.
    pub pairs: u64,
    /// Pairs with relation `contained`.
    pub contained_pairs: u64,
    /// Clusters.
    pub clusters: u64,
    /// Documents in clusters that are not their representative.
    pub duplicates: u64,
}

/// The per-document columns the global stage needs.
struct Docs {
    doc: Vec<i64>,
    id: Vec<String>,
    length: Vec<i64>,
    date_key: Vec<Option<i64>>,
}

/// The dense index of each document number: per shard, each row's index (`u32::MAX` for a
/// row that is no document), so the tens of millions of band and sample rows find their
/// document with one load instead of a binary search.
struct DocIndex {
    shards: Vec<Vec<u32>>,
}

impl DocIndex {
    fn new(doc: &[i64]) -> DocIndex {
        let mut shards: Vec<Vec<u32>> = Vec::new();
        for (i, &d) in doc.iter().enumerate() {
            let (s, r) = (super::shard_of(d) as usize, super::row_of(d) as usize);
            if shards.len() <= s {
                shards.resize_with(s + 1, Vec::new);
            }
            let rows = &mut shards[s];
            if rows.len() <= r {
                rows.resize(r + 1, u32::MAX);
            }
            rows[r] = i as u32;
        }
        DocIndex { shards }
    }

    /// The dense index of document `doc`, if it is one.
    #[inline]
    fn get(&self, doc: i64) -> Option<usize> {
        let rows = self.shards.get(super::shard_of(doc) as usize)?;
        match rows.get(super::row_of(doc) as usize) {
            Some(&i) if i != u32::MAX => Some(i as usize),
            _ => None,
        }
    }
}

/// Opens a file made by `sign` and checks its manifest.
fn open_signed(manifest: &Manifest, path: &Path) -> Result<Reader> {
    if !path.is_file() {
        return Err(Error::new(ErrorKind::Manifest(
            "missing: run `syndup sign` for this shard first".into(),
        ))
        .with_path(path));
    }
    let r = Reader::open(path)?;
    manifest.check(r.meta(pq::META_MANIFEST).as_deref(), path)?;
    Ok(r)
}

fn paths(manifest: &Manifest, signed: &Path, dir: &str) -> Vec<PathBuf> {
    (0..manifest.shards.len() as u32)
        .map(|s| signed.join(dir).join(shard_file(s, "parquet")))
        .collect()
}

fn read_docs(manifest: &Manifest, signed: &Path) -> Result<Docs> {
    let mut d = Docs {
        doc: Vec::new(),
        id: Vec::new(),
        length: Vec::new(),
        date_key: Vec::new(),
    };
    for path in paths(manifest, signed, "docs") {
        let r = open_signed(manifest, &path)?;
        r.for_each(&["doc", "id", "length", "date_key"], |b| {
            d.doc.extend(pq::i64s(&path, b, 0)?);
            d.id.extend(pq::strings(&path, b, 1)?);
            d.length.extend(pq::i64s(&path, b, 2)?);
            d.date_key.extend(pq::opt_i64s(&path, b, 3)?);
            Ok(())
        })?;
    }
    if !d.doc.windows(2).all(|w| w[0] < w[1]) {
        return Err(Error::new(ErrorKind::Manifest(
            "documents in the docs files are not in order: sign them again".into(),
        )));
    }
    Ok(d)
}

/// Ids used by an earlier document (of an earlier shard: `sign` keeps one per shard): the
/// later documents, as problems, and a mask of them.
pub fn duplicate_ids(doc: &[i64], id: &[String]) -> (Vec<ProblemRow>, Vec<bool>) {
    let mut by_id: Vec<(&str, usize)> = id.iter().map(String::as_str).zip(0..).collect();
    by_id.par_sort_unstable();
    let mut out = Vec::new();
    let mut skip = vec![false; doc.len()];
    for run in by_id.chunk_by(|x, y| x.0 == y.0) {
        for &(_, i) in &run[1..] {
            skip[i] = true;
            out.push(ProblemRow {
                doc: doc[i],
                id: id[i].clone(),
                first: doc[run[0].1],
            });
        }
    }
    out.sort_unstable();
    (out, skip)
}

/// Reads the shingle sets of the documents marked in `sets_of` and the texts of those marked
/// in `texts_of` (dense indices) into `out`: row groups in parallel, each decoded once,
/// only the columns asked for, groups without a marked document skipped, and only the
/// marked rows kept (so memory holds what the later steps use, not the shard).
fn read_sets(
    manifest: &Manifest,
    signed: &Path,
    docs: &Docs,
    sets_of: &[bool],
    texts_of: &[bool],
    out: &mut [(Box<[u64]>, String)],
) -> Result<()> {
    let want_sets = sets_of.contains(&true);
    let want_texts = texts_of.contains(&true);
    let cols: &[&str] = match (want_sets, want_texts) {
        (true, true) => &["shingles", "text"],
        (true, false) => &["shingles"],
        (false, true) => &["text"],
        (false, false) => return Ok(()),
    };
    let marked = |i: usize| sets_of[i] || texts_of[i];
    for (shard, path) in paths(manifest, signed, "docs").into_iter().enumerate() {
        let r = open_signed(manifest, &path)?;
        // Dense indices of this shard: its documents follow those of the earlier shards.
        let base = docs
            .doc
            .partition_point(|&d| super::shard_of(d) < shard as u32);
        let end = docs
            .doc
            .partition_point(|&d| super::shard_of(d) <= shard as u32);
        if r.rows() != (end - base) as u64 {
            return Err(Error::new(ErrorKind::Manifest(
                "the docs file changed while it was read: sign the shard again".into(),
            ))
            .with_path(&path));
        }
        let got = r.map_groups(
            cols,
            |first, rows| (base + first as usize..base + (first + rows) as usize).any(marked),
            |first, b| {
                let sets = if want_sets {
                    Some(pq::i64_list_parts(&path, b, 0)?)
                } else {
                    None
                };
                let texts = if want_texts {
                    Some(pq::str_column(&path, b, cols.len() - 1)?)
                } else {
                    None
                };
                let mut rows = Vec::new();
                for j in 0..b.num_rows() {
                    let i = base + first as usize + j;
                    if !marked(i) {
                        continue;
                    }
                    let set: Option<Box<[u64]>> = match sets {
                        Some((v, o)) if sets_of[i] => Some(
                            v[o[j] as usize..o[j + 1] as usize]
                                .iter()
                                .map(|&x| x as u64)
                                .collect(),
                        ),
                        _ => None,
                    };
                    let text = match &texts {
                        Some(t) if texts_of[i] => Some(t.get(j).to_string()),
                        _ => None,
                    };
                    rows.push((i, set, text));
                }
                Ok(rows)
            },
        )?;
        for (i, set, text) in got.into_iter().flatten() {
            if let Some(set) = set {
                out[i].0 = set;
            }
            if let Some(text) = text {
                out[i].1 = text;
            }
        }
    }
    Ok(())
}

/// Candidate pairs (dense indices) from the band rows, as [`crate::lsh::candidates`] makes
/// them, without the documents in `skip`.
fn candidates(
    manifest: &Manifest,
    signed: &Path,
    index: &DocIndex,
    skip: &[bool],
    stats: &mut LocalStats,
) -> Result<Vec<(u32, u32)>> {
    let mut rows: Vec<(i32, i64, u32)> = Vec::new();
    for path in paths(manifest, signed, "bands") {
        let r = open_signed(manifest, &path)?;
        r.for_each(&["band", "band_hash", "doc"], |b| {
            let band = pq::i64s(&path, b, 0)?;
            let hash = pq::i64s(&path, b, 1)?;
            let doc = pq::i64s(&path, b, 2)?;
            for j in 0..band.len() {
                let Some(d) = index.get(doc[j]) else {
                    return Err(Error::new(ErrorKind::Manifest(format!(
                        "band row of document {} that is not in the docs files: sign the shard again",
                        doc[j]
                    )))
                    .with_path(&path));
                };
                if !skip[d] {
                    rows.push((band[j] as i32, hash[j], d as u32));
                }
            }
            Ok(())
        })?;
    }
    stats.band_rows = rows.len() as u64;
    // One shard's rows are in this order already (sign sorts them; dense indices follow
    // document numbers); several shards' rows need the sort.
    if !rows.is_sorted() {
        rows.par_sort_unstable();
    }
    let max_bucket = manifest.parameters.max_bucket;
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for bucket in rows.chunk_by(|x, y| x.0 == y.0 && x.1 == y.1) {
        let giant = crate::lsh::bucket_pairs(
            bucket.len(),
            |x| bucket[x].2,
            max_bucket,
            |a, b| pairs.push((a, b)),
        );
        stats.giant_buckets += giant as u64;
    }
    drop(rows);
    pairs.par_sort_unstable();
    pairs.dedup();
    stats.candidates = pairs.len() as u64;
    Ok(pairs)
}

/// Each document's containment sample at `rate` and the fingerprints of its finer sample (the
/// rows: see [`super::sign`]; dense indices; empty for documents in `skip`), back to back. The sample files are sorted by hash, not by document, so they are read twice: the
/// document column to count each document's rows, then both columns to put each hash at its
/// document's place; memory holds 8 bytes a sample row (then 4 in [`containment::Samples`]),
/// with no sort (a sort of `(document, hash)` rows took 16 bytes a row, and their 73 million
/// at 1M documents one thread's partition at the top).
fn read_samples(
    manifest: &Manifest,
    signed: &Path,
    index: &DocIndex,
    n: usize,
    skip: &[bool],
    rate: u64,
) -> Result<(containment::Samples, containment::Fingerprints)> {
    let files = paths(manifest, signed, "samples");
    let dense = |path: &Path, doc: i64| {
        index.get(doc).ok_or_else(|| {
            Error::new(ErrorKind::Manifest(format!(
                "sample row of document {doc} that is not in the docs files: sign the shard again"
            )))
            .with_path(path)
        })
    };
    // Where each document's samples start (then: where its next one goes).
    let mut at: Vec<u64> = vec![0; n + 1];
    for path in &files {
        open_signed(manifest, path)?.for_each(&["doc"], |b| {
            for doc in pq::i64s(path, b, 0)? {
                let d = dense(path, doc)?;
                if !skip[d] {
                    at[d + 1] += 1;
                }
            }
            Ok(())
        })?;
    }
    for d in 0..n {
        at[d + 1] += at[d];
    }
    let mut flat: Vec<u64> = vec![0; at[n] as usize];
    let starts = at.clone();
    for path in &files {
        open_signed(manifest, path)?.for_each(&["hash", "doc"], |b| {
            let hash = pq::i64s(path, b, 0)?;
            let doc = pq::i64s(path, b, 1)?;
            for (&h, &doc) in hash.iter().zip(&doc) {
                let d = dense(path, doc)?;
                if skip[d] {
                    continue;
                }
                // A file changed between the two passes could overflow a document's place.
                if at[d] >= starts[d + 1] {
                    return Err(Error::new(ErrorKind::Manifest(
                        "the samples file changed while it was read: sign the shard again".into(),
                    ))
                    .with_path(path));
                }
                flat[at[d] as usize] = h as u64;
                at[d] += 1;
            }
            Ok(())
        })?;
    }
    drop(at);
    let mut out = containment::Samples::default();
    let mut fine = containment::Fingerprints::default();
    for w in starts.windows(2) {
        let rows = &flat[w[0] as usize..w[1] as usize];
        out.push(&containment::sample(rows, rate));
        fine.push_keys(&containment::fingerprints(rows, rate));
    }
    Ok((out, fine))
}

/// Reads the sets of the documents of `pairs` not read yet, then keeps the pairs that meet
/// `criteria`, with their counts.
fn verify(
    manifest: &Manifest,
    signed: &Path,
    docs: &Docs,
    sets: &mut [(Box<[u64]>, String)],
    loaded: &mut [bool],
    pairs: &[(u32, u32)],
    criteria: &Criteria,
) -> Result<Vec<(u32, u32, Similarity)>> {
    let mut wanted = vec![false; loaded.len()];
    for &(a, b) in pairs {
        for d in [a as usize, b as usize] {
            if !loaded[d] {
                wanted[d] = true;
                loaded[d] = true;
            }
        }
    }
    let none = vec![false; loaded.len()];
    read_sets(manifest, signed, docs, &wanted, &none, sets)?;
    let sets = &*sets;
    Ok(pairs
        .par_iter()
        .filter_map(|&(a, b)| {
            let s = Similarity::exact(&sets[a as usize].0, &sets[b as usize].0);
            criteria.meets(&s).then_some((a, b, s))
        })
        .collect())
}

/// Runs the global stage (see the module documentation) and writes `out/pairs/`,
/// `out/clusters/` and `out/problems/`.
pub fn cluster_local(manifest: &Manifest, signed: &Path, out: &Path) -> Result<LocalStats> {
    let mut stats = LocalStats::default();
    let docs = read_docs(manifest, signed)?;
    let n = docs.doc.len();
    if n > u32::MAX as usize {
        return Err(Error::input(
            "more than 2^32 documents: use the engine (syndup spark-driver)",
        ));
    }
    let (problems, skip) = duplicate_ids(&docs.doc, &docs.id);
    stats.duplicate_ids = problems.len() as u64;
    stats.documents = (n - problems.len()) as u64;
    let criteria = manifest.criteria();

    let index = DocIndex::new(&docs.doc);
    let pairs = candidates(manifest, signed, &index, &skip, &mut stats)?;
    let mut sets = vec![Default::default(); n];
    let mut loaded = vec![false; n];
    let mut found = verify(
        manifest,
        signed,
        &docs,
        &mut sets,
        &mut loaded,
        &pairs,
        &criteria,
    )?;
    if let Some(c) = manifest.parameters.containment {
        let near: Vec<(u32, u32)> = found
            .iter()
            .filter(|m| criteria.relation(&m.2) == Some(MatchKind::NearDuplicate))
            .map(|m| (m.0, m.1))
            .collect();
        let (samples, fine) = read_samples(manifest, signed, &index, n, &skip, c.sample)?;
        let params = containment::Params {
            threshold: c.threshold,
            max_df: c.max_df,
            ..containment::Params::default()
        };
        let mut extra = containment::class_candidates_of(&samples, near, &params);
        extra.retain(|p| pairs.binary_search(p).is_err());
        let extra = containment::confirm(extra, &samples, &fine, &params);
        drop((samples, fine));
        stats.containment_candidates = extra.len() as u64;
        found.extend(verify(
            manifest,
            signed,
            &docs,
            &mut sets,
            &mut loaded,
            &extra,
            &criteria,
        )?);
        found.par_sort_unstable_by_key(|m| (m.0, m.1));
    }
    drop(pairs);

    // Only the documents of pairs go on (in document order).
    let mut used = vec![false; n];
    for &(a, b, _) in &found {
        used[a as usize] = true;
        used[b as usize] = true;
    }
    // The sets of candidates that were not matched are not needed any more.
    for (d, set) in sets.iter_mut().enumerate() {
        if loaded[d] && !used[d] {
            *set = Default::default();
        }
    }
    let mut part: Vec<PartDoc> = (0..n)
        .filter(|&d| used[d])
        .map(|d| PartDoc {
            doc: docs.doc[d],
            id: docs.id[d].clone(),
            length: docs.length[d],
            date_key: docs.date_key[d],
            shingles: std::mem::take(&mut sets[d].0),
            text: String::new(),
        })
        .collect();
    let pair_docs: Vec<(i64, i64)> = found
        .iter()
        .map(|&(a, b, _)| (docs.doc[a as usize], docs.doc[b as usize]))
        .collect();
    drop(found);
    // Clusters, sources and roles on the sets; then the sets make room for the texts of the
    // same documents, which only the passages read.
    let (mut done, matches) = assemble_rows(manifest, &part, &pair_docs)?;
    drop(pair_docs);
    if manifest.parameters.passages {
        for p in &mut part {
            p.shingles = Box::default();
        }
        let none = vec![false; n];
        read_sets(manifest, signed, &docs, &none, &used, &mut sets)?;
        let texts = (0..n).filter(|&d| used[d]);
        for (p, d) in part.iter_mut().zip(texts) {
            p.text = std::mem::take(&mut sets[d].1);
        }
        drop(sets);
        add_passages(manifest, &part, &matches, &mut done)?;
    }
    stats.pairs = done.pairs.len() as u64;
    stats.contained_pairs = done.pairs.iter().filter(|p| p.contained.is_some()).count() as u64;
    stats.clusters = done
        .clusters
        .iter()
        .filter(|r| r.doc == r.representative)
        .count() as u64;
    stats.duplicates = done.clusters.len() as u64 - stats.clusters;
    write_outputs(manifest, out, "part-00000.parquet", &done, Some(&problems))?;
    Ok(stats)
}

/// Writes the rows of one partition as `name` in `out/pairs/` and `out/clusters/` (and
/// `out/problems/` when given).
pub fn write_outputs(
    manifest: &Manifest,
    out: &Path,
    name: &str,
    done: &super::assemble::Assembled,
    problems: Option<&[ProblemRow]>,
) -> Result<()> {
    for d in ["pairs", "clusters", "problems"] {
        if d == "problems" && problems.is_none() {
            continue;
        }
        let dir = out.join(d);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    }
    pq::write_pairs(manifest, &out.join("pairs").join(name), &done.pairs)?;
    pq::write_clusters(manifest, &out.join("clusters").join(name), &done.clusters)?;
    if let Some(p) = problems {
        pq::write_problems(manifest, &out.join("problems").join(name), p)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_of_an_earlier_shard_is_a_problem_of_the_later_document() {
        let doc = [1, 2, 1 << 32, (2 << 32) + 5];
        let id: Vec<String> = ["a", "b", "a", "a"].map(String::from).to_vec();
        let (p, skip) = duplicate_ids(&doc, &id);
        assert_eq!(skip, [false, false, true, true]);
        assert_eq!(p.len(), 2);
        assert!(p.iter().all(|r| r.first == 1 && r.id == "a"));
        assert_eq!(p[0].doc, 1 << 32);
    }
}
