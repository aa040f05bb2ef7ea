//! `syndup apply`: one shard + the components -> kept records (byte-identical) and annotated
//! duplicates.
//!
//! The last map step. A record of the shard is a duplicate when its document is in a component
//! and is not that component's representative; it is then dropped, or written annotated with
//! `dup_of` (the representative's id), `similarity` (its exact Jaccard with the representative)
//! and `relation` like `syndup filter` writes them ([`crate::stream::annotate_into`]). Every
//! other document is kept: its line is written as read, byte for byte. Records `sign` rejected
//! (they are not in the shard's docs file) are not written here; they are listed with their
//! reason in `rejects/` and counted.

use super::parquet as pq;
use super::{doc_number, row_of, shard_file, Manifest};
use crate::error::{Error, ErrorKind, Result};
use crate::input::{self, InputFile};
use crate::stream::{annotate_into, Relation, Verdict};
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

/// Applies `components` to shard `shard` (see the module documentation); `signed` is the
/// directory `sign` wrote to.
pub fn apply(
    manifest: &Manifest,
    shard: u32,
    signed: &Path,
    components: &Path,
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
    let dups: Vec<pq::ComponentRow> = pq::read_components(manifest, components, Some(shard))?
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
    let mut buf = Vec::new();
    let ApplyOptions {
        kept,
        mut duplicates,
        annotate,
    } = opts;
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
            buf.clear();
            match dups.binary_search_by_key(&doc, |c| c.doc) {
                Ok(i) => {
                    stats.duplicates += 1;
                    let c = &dups[i];
                    let union = c.size + c.representative_size - c.shared;
                    let v = Verdict::Duplicate {
                        id: c.id.clone(),
                        dup_of: c.representative_id.clone(),
                        similarity: if union > 0 {
                            c.shared as f64 / union as f64
                        } else {
                            0.0
                        },
                        relation: Relation::NearDuplicate,
                        replay: false,
                    };
                    if !annotate_into(line, &v, &mut buf) {
                        buf.extend_from_slice(line);
                    }
                    buf.push(b'\n');
                    if let Some(w) = duplicates.as_mut() {
                        w.write_all(&buf)
                            .map_err(|e| Error::io("<duplicates>", e))?;
                    } else if annotate {
                        kept.write_all(&buf).map_err(|e| Error::io("<output>", e))?;
                    }
                }
                Err(_) => {
                    stats.kept += 1;
                    let v = Verdict::Kept {
                        id: String::new(),
                        replay: false,
                    };
                    if !(annotate && annotate_into(line, &v, &mut buf)) {
                        buf.extend_from_slice(line);
                    }
                    buf.push(b'\n');
                    kept.write_all(&buf).map_err(|e| Error::io("<output>", e))?;
                }
            }
        }
        Ok(true)
    })?;
    Ok(stats)
}
