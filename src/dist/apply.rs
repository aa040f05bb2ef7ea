//! `syndup apply`: one shard + the clusters -> kept records (byte-identical) and annotated
//! duplicates.
//!
//! The last map step. A record of the shard is a duplicate when its document is in a cluster
//! and is not that cluster's representative (the keep policy's choice); it is then dropped, or
//! written annotated with `dup_of` (the representative's id), `similarity` (its exact Jaccard
//! with the representative) and `relation` (`near_duplicate`; `clusters/` tells copies from
//! partial copies by `role`), routed by the same [`Router`] as `syndup filter`'s records. Every other
//! document is kept: its line is written as read, byte for byte. Records `sign` rejected
//! (they are not in the shard's docs file) are not written here; they are listed with their
//! reason in `rejects/` and counted.

use super::parquet as pq;
use super::{doc_number, row_of, shard_file, Manifest};
use crate::error::{Error, ErrorKind, Result};
use crate::input::{self, InputFile};
use crate::stream::{Rejects, Relation, Router, Sink, Sinks, Verdict};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where `apply` writes.
pub struct ApplyOptions<'a> {
    /// Kept records (and, with `annotate`, every record annotated).
    pub kept: &'a mut dyn Write,
    /// Duplicates, annotated; `None` drops them (or, with `annotate`, writes them to `kept`).
    pub duplicates: Option<&'a mut dyn Write>,
    /// Annotate kept records too (`"relation":"unique"`), as `syndup filter --annotate` does.
    pub annotate: bool,
}

/// What `apply` did to one shard.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplyStats {
    /// The shard number.
    pub shard: u32,
    /// Records read.
    pub records: u64,
    /// Records kept.
    pub kept: u64,
    /// Duplicates dropped or annotated.
    pub duplicates: u64,
    /// Records `sign` rejected (see its rejects file).
    pub rejected: u64,
}

/// Applies `clusters` (a `clusters/` directory) to shard `shard` (see the module
/// documentation); `signed` is the directory `sign` wrote to.
pub fn apply(
    manifest: &Manifest,
    shard: u32,
    signed: &Path,
    clusters: &Path,
    opts: ApplyOptions,
) -> Result<ApplyStats> {
    let path = manifest.shard(shard)?.to_string();
    // The shard's documents (rows sign accepted).
    let docs_path = signed.join("docs").join(shard_file(shard, "parquet"));
    if !docs_path.is_file() {
        return Err(Error::new(ErrorKind::Manifest(
            "missing: run `syndup sign` for this shard first".into(),
        ))
        .with_path(&docs_path));
    }
    let r = pq::Reader::open(&docs_path)?;
    manifest.check(r.meta(pq::META_MANIFEST).as_deref(), &docs_path)?;
    let mut rows: Vec<u32> = Vec::new();
    for b in r.read(&["doc"])? {
        rows.extend(pq::i64s(&docs_path, &b, 0)?.into_iter().map(row_of));
    }
    rows.sort_unstable();
    let dups: Vec<pq::ClusterRow> = pq::read_clusters(manifest, clusters, Some(shard))?
        .into_iter()
        .filter(|c| c.doc != c.representative)
        .collect();

    let kind = input::kind_of(Path::new(&path))
        .unwrap_or(input::InputKind::Jsonl(input::Compression::None));
    let files = [InputFile {
        path: PathBuf::from(&path),
        kind,
    }];
    let mut stats = ApplyStats {
        shard,
        ..ApplyStats::default()
    };
    let ApplyOptions {
        kept,
        duplicates,
        annotate,
    } = opts;
    let mut router = Router::new(Sinks {
        kept: Sink::new(kept, "<output>"),
        duplicates: duplicates.map(|w| Sink::new(w, "<duplicates>")),
        rejects: Rejects::Drop,
        annotate,
    });
    input::read_batches(&files, manifest.parameters.max_doc_bytes, &mut |batch| {
        stats.records += (batch.records.len() + batch.problems.len()) as u64;
        stats.rejected += batch.problems.len() as u64;
        for r in &batch.records {
            let line = batch.record(r);
            let row = r.line.and_then(|l| u32::try_from(l.wrapping_sub(1)).ok());
            let Some(row) = row.filter(|row| rows.binary_search(row).is_ok()) else {
                stats.rejected += 1;
                continue;
            };
            let doc = doc_number(shard, row);
            let v = match dups.binary_search_by_key(&doc, |c| c.doc) {
                Ok(i) => {
                    let c = &dups[i];
                    let union = c.size + c.representative_size - c.shared;
                    Verdict::Duplicate {
                        id: c.id.clone(),
                        dup_of: c.representative_id.clone(),
                        similarity: if union > 0 {
                            c.shared as f64 / union as f64
                        } else {
                            0.0
                        },
                        relation: Relation::NearDuplicate,
                        replay: false,
                    }
                }
                Err(_) => Verdict::Kept {
                    id: String::new(),
                    replay: false,
                },
            };
            router.route(line, &v)?;
        }
        Ok(true)
    })?;
    stats.kept = router.counts().kept;
    stats.duplicates = router.counts().duplicates;
    Ok(stats)
}
