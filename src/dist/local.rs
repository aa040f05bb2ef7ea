//! `syndup cluster-local`: the engine's global stage on one machine, with a union-find.
//!
//! Input: the `docs/` files of every shard, and either the `bands/` files (candidates and
//! exact verification are then done here, exactly as [`crate::lsh::candidates`] and `scan` do
//! them) or an engine's `matches/` (only the components are then computed here). Output: the
//! same `matches/` and `components/` files as the engine writes, so `apply` takes either.
//!
//! This is the path for corpora whose band rows and candidate documents fit in memory (they
//! usually do: 16 bands x 20 bytes per document, plus the shingle sets of candidate documents
//! only), and the oracle the engine's components are tested against.

use super::parquet::{self as pq, ComponentRow, MatchRow, Reader};
use super::{shard_file, Manifest};
use crate::cluster::UnionFind;
use crate::error::{Error, ErrorKind, Result};
use crate::verify::Similarity;
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What `cluster-local` found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LocalStats {
    /// Documents over all shards.
    pub documents: u64,
    /// Band rows read (0 when matches were given).
    pub band_rows: u64,
    /// Candidate pairs (0 when matches were given).
    pub candidates: u64,
    /// Buckets larger than `max_bucket`.
    pub giant_buckets: u64,
    /// Verified matches.
    pub matches: u64,
    /// Components (of two documents or more).
    pub components: u64,
    /// Documents in components that are not their representative.
    pub duplicates: u64,
}

/// The per-document columns the global stage needs.
struct Docs {
    doc: Vec<i64>,
    id: Vec<String>,
    length: Vec<i64>,
    date_key: Vec<Option<i64>>,
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

fn docs_paths(manifest: &Manifest, signed: &Path, dir: &str) -> Vec<PathBuf> {
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
    for path in docs_paths(manifest, signed, "docs") {
        let r = open_signed(manifest, &path)?;
        for b in r.read(&["doc", "id", "length", "date_key"])? {
            d.doc.extend(pq::i64s(&path, &b, 0)?);
            d.id.extend(pq::strings(&path, &b, 1)?);
            d.length.extend(pq::i64s(&path, &b, 2)?);
            d.date_key.extend(pq::opt_i64s(&path, &b, 3)?);
        }
    }
    if !d.doc.windows(2).all(|w| w[0] < w[1]) {
        return Err(Error::new(ErrorKind::Manifest(
            "documents in the docs files are not in order: sign them again".into(),
        )));
    }
    Ok(d)
}

/// Reads the shingle sets of the documents marked in `wanted` (dense indices).
fn read_shingles(
    manifest: &Manifest,
    signed: &Path,
    docs: &Docs,
    wanted: &[bool],
) -> Result<Vec<Box<[u64]>>> {
    let mut out: Vec<Box<[u64]>> = vec![Box::default(); docs.doc.len()];
    let mut i = 0usize;
    for path in docs_paths(manifest, signed, "docs") {
        let r = open_signed(manifest, &path)?;
        for b in r.read(&["shingles"])? {
            for set in pq::u64_lists(&path, &b, 0)? {
                if wanted.get(i).copied().unwrap_or(false) {
                    out[i] = set;
                }
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Candidate pairs (dense indices) from the band rows, as [`crate::lsh::candidates`] makes
/// them: all pairs of a bucket of at most `max_bucket` documents, star edges to the smallest
/// document of a larger one.
fn candidates(
    manifest: &Manifest,
    signed: &Path,
    docs: &Docs,
    stats: &mut LocalStats,
) -> Result<Vec<(u32, u32)>> {
    let mut rows: Vec<(i32, i64, u32)> = Vec::new();
    for path in docs_paths(manifest, signed, "bands") {
        let r = open_signed(manifest, &path)?;
        for b in r.read(&["band", "band_hash", "doc"])? {
            let band = pq::i64s(&path, &b, 0)?;
            let hash = pq::i64s(&path, &b, 1)?;
            let doc = pq::i64s(&path, &b, 2)?;
            for j in 0..band.len() {
                let Ok(d) = docs.doc.binary_search(&doc[j]) else {
                    return Err(Error::new(ErrorKind::Manifest(format!(
                        "band row of document {} that is not in the docs files: sign the shard again",
                        doc[j]
                    )))
                    .with_path(&path));
                };
                rows.push((band[j] as i32, hash[j], d as u32));
            }
        }
    }
    stats.band_rows = rows.len() as u64;
    rows.par_sort_unstable();
    let max_bucket = manifest.parameters.max_bucket;
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let mut j = i + 1;
        while j < rows.len() && rows[j].0 == rows[i].0 && rows[j].1 == rows[i].1 {
            j += 1;
        }
        let bucket = &rows[i..j];
        let giant = crate::lsh::bucket_pairs(
            bucket.len(),
            |x| bucket[x].2,
            max_bucket,
            |a, b| pairs.push((a, b)),
        );
        stats.giant_buckets += giant as u64;
        i = j;
    }
    drop(rows);
    pairs.par_sort_unstable();
    pairs.dedup();
    stats.candidates = pairs.len() as u64;
    Ok(pairs)
}

/// Runs the global stage (see the module documentation) and writes `out/matches/` and
/// `out/components/`.
pub fn cluster_local(
    manifest: &Manifest,
    signed: &Path,
    matches: Option<&Path>,
    out: &Path,
) -> Result<LocalStats> {
    let mut stats = LocalStats::default();
    let docs = read_docs(manifest, signed)?;
    let n = docs.doc.len();
    stats.documents = n as u64;
    if n > u32::MAX as usize {
        return Err(Error::input(
            "more than 2^32 documents: use the engine (syndup spark-driver)",
        ));
    }
    let dense = |doc: i64, path: &Path| -> Result<u32> {
        docs.doc.binary_search(&doc).map(|i| i as u32).map_err(|_| {
            Error::new(ErrorKind::Manifest(format!(
                "document {doc} is not in the docs files"
            )))
            .with_path(path)
        })
    };
    let threshold = manifest.parameters.sketch.threshold;
    // Matches as dense pairs with their counts, and the shingle sets of matched documents.
    type Found = Vec<(u32, u32, Similarity)>;
    let (found, shingles): (Found, Vec<Box<[u64]>>) = match matches {
        Some(dir) => {
            let rows = pq::read_matches(manifest, dir)?;
            let mut m = Vec::with_capacity(rows.len());
            for r in rows {
                m.push((
                    dense(r.a, dir)?,
                    dense(r.b, dir)?,
                    Similarity {
                        shared: r.shared as u32,
                        size_a: r.size_a as u32,
                        size_b: r.size_b as u32,
                    },
                ));
            }
            let mut wanted = vec![false; n];
            for &(a, b, _) in &m {
                wanted[a as usize] = true;
                wanted[b as usize] = true;
            }
            let sets = read_shingles(manifest, signed, &docs, &wanted)?;
            (m, sets)
        }
        None => {
            let pairs = candidates(manifest, signed, &docs, &mut stats)?;
            let mut wanted = vec![false; n];
            for &(a, b) in &pairs {
                wanted[a as usize] = true;
                wanted[b as usize] = true;
            }
            let sets = read_shingles(manifest, signed, &docs, &wanted)?;
            let m = pairs
                .par_iter()
                .filter_map(|&(a, b)| {
                    let s = Similarity::exact(&sets[a as usize], &sets[b as usize]);
                    s.meets(threshold).then_some((a, b, s))
                })
                .collect();
            (m, sets)
        }
    };
    stats.matches = found.len() as u64;

    let mut uf = UnionFind::new(n);
    let mut touched = vec![false; n];
    for &(a, b, _) in &found {
        uf.union(a, b);
        touched[a as usize] = true;
        touched[b as usize] = true;
    }
    // Members by root (the root is the smallest member), in document order.
    let mut members: Vec<(u32, u32)> = (0..n as u32)
        .filter(|&x| touched[x as usize])
        .map(|x| (uf.find(x), x))
        .collect();
    members.sort_unstable();
    let keep = manifest.parameters.keep;
    let better = |x: usize, y: usize| -> bool {
        keep.prefers(x, y, |i| docs.length[i].max(0) as u64, |i| docs.date_key[i])
    };
    let mut rows: Vec<ComponentRow> = Vec::with_capacity(members.len());
    let mut i = 0;
    while i < members.len() {
        let mut j = i + 1;
        while j < members.len() && members[j].0 == members[i].0 {
            j += 1;
        }
        let comp = &members[i..j];
        let mut rep = comp[0].1 as usize;
        for &(_, x) in &comp[1..] {
            if better(x as usize, rep) {
                rep = x as usize;
            }
        }
        stats.components += 1;
        stats.duplicates += comp.len() as u64 - 1;
        for &(root, x) in comp {
            let x = x as usize;
            let s = Similarity::exact(&shingles[x], &shingles[rep]);
            rows.push(ComponentRow {
                doc: docs.doc[x],
                component: docs.doc[root as usize],
                representative: docs.doc[rep],
                id: docs.id[x].clone(),
                representative_id: docs.id[rep].clone(),
                shared: s.shared as i64,
                size: s.size_a as i64,
                representative_size: s.size_b as i64,
            });
        }
        i = j;
    }
    rows.sort_unstable_by_key(|r| r.doc);

    let match_rows: Vec<MatchRow> = found
        .iter()
        .map(|&(a, b, s)| MatchRow {
            a: docs.doc[a as usize],
            b: docs.doc[b as usize],
            shared: s.shared as i64,
            size_a: s.size_a as i64,
            size_b: s.size_b as i64,
        })
        .collect();
    for d in ["matches", "components"] {
        let dir = out.join(d);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    }
    pq::write_matches(
        manifest,
        &out.join("matches").join("part-00000.parquet"),
        &match_rows,
    )?;
    pq::write_components(
        manifest,
        &out.join("components").join("part-00000.parquet"),
        &rows,
    )?;
    Ok(stats)
}
