//! The distributed flow: the same dedup as [`crate::Detector`] at its defaults, cut into
//! shard-level and component-level map steps over files (Rust) and a global stage of joins and
//! group-bys (an engine such as Apache Spark or Sail).
//!
//! ```text
//!  plan          shard list + every parameter               -> manifest.json (fingerprinted)
//!  sign          one JSON Lines shard (Rust, per shard)      -> bands/ docs/ samples/ rejects/
//!  engine        ids in two shards -> problems/; group (band, band_hash) -> LSH candidates;
//!                join samples on hash -> containment candidates; exact counts and relation
//!                in SQL; large-star/small-star components of all pairs
//!  assemble      whole components (Rust, per partition)      -> pairs/ clusters/
//!  cluster-local all of the engine's stage and assemble on one machine (the oracle)
//!  apply         one shard + clusters (Rust, per shard)      -> kept records, byte-identical
//! ```
//!
//! Rust does all per-document work and everything that looks at one component (the guarded
//! clustering, sources, roles, passages: [`assemble::assemble`], with `scan`'s own functions); the
//! engine only moves rows between them. The engine stage is a Python driver that uses
//! built-in Spark SQL only ([`DRIVER`], written out by `syndup spark-driver`), so it runs on
//! classic Spark and on Spark Connect servers such as Sail.
//!
//! Every step reads the [`Manifest`] and refuses files made with another one: each Parquet file
//! written here carries the manifest's fingerprint in its key-value metadata
//! (`syndup.manifest`), and the engine's outputs carry it in a `manifest` column.
//!
//! Documents are numbered `doc = shard << 32 | row`, with `row` the 0-based line of the record
//! in its shard, so the order of documents is the input order (shards in manifest order), the
//! same order `scan` numbers documents in, and every tie `scan` breaks by input order is broken
//! the same way. An id used in an earlier shard is a problem and its document is left out, as
//! `scan` skips the second record of an id. The candidates are the ones `scan` makes (LSH:
//! [`crate::lsh::candidates`]; containment: [`crate::containment::class_candidates`]), every
//! candidate is verified on the exact shingle sets, and the clusters, sources and roles are
//! those of `scan` with the same parameters.

pub mod apply;
pub mod assemble;
pub mod local;
pub mod parquet;
pub mod plan;
pub mod sign;

pub use apply::{apply, ApplyOptions, ApplyStats};
pub use assemble::{assemble, assemble_files, Assembled, PartDoc};
pub use local::{cluster_local, LocalStats};
pub use parquet::{read_clusters, read_pairs, read_problems, ClusterRow, PairRow, ProblemRow};
pub use plan::{Manifest, ManifestParameters};
pub use sign::{sign_shard, SignStats};

/// The Python driver of the engine stage (Spark SQL built-ins only), as shipped.
pub const DRIVER: &str = include_str!("driver.py");

/// Version of the manifest and of every file layout of this module. Bumped when a column, a
/// hash or a numbering changes; part of the fingerprint.
pub const FORMAT_VERSION: u32 = 3;

/// The document number of `row` in `shard`.
#[inline]
pub fn doc_number(shard: u32, row: u32) -> i64 {
    ((shard as u64) << 32 | row as u64) as i64
}

/// The shard of a document number.
#[inline]
pub fn shard_of(doc: i64) -> u32 {
    ((doc as u64) >> 32) as u32
}

/// The row (0-based line) of a document number.
#[inline]
pub fn row_of(doc: i64) -> u32 {
    doc as u64 as u32
}

/// The file name of shard `shard`'s output in each directory (`shard-00007.parquet`).
pub fn shard_file(shard: u32, ext: &str) -> String {
    format!("shard-{shard:05}.{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_numbers_keep_input_order() {
        let a = doc_number(0, u32::MAX);
        let b = doc_number(1, 0);
        assert!(a < b);
        assert_eq!(shard_of(b), 1);
        assert_eq!(row_of(a), u32::MAX);
        assert!(doc_number(i32::MAX as u32, u32::MAX) > 0);
    }
}
