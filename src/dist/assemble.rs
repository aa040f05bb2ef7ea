//! `syndup assemble`: whole components of matches -> `pairs/` and `clusters/` rows, with
//! scan's own code.
//!
//! Input: the documents of some whole components (number, id, size, date, shingle set,
//! text) and their verified pairs. Output: every pair with its exact counts, relation and
//! direction ([`crate::verify::Criteria::relation`]) and aligned passages
//! ([`crate::align`]); the clusters ([`crate::cluster::cluster`]: guarded by default, each
//! member meeting the criteria against its representative), each with its likely source
//! and each member's role ([`crate::roles`]), under the manifest's keep policy.
//!
//! Everything here depends on one component only (the chaining guard, the source ranks, the
//! roles and the passages never look outside it), so the engine runs this step as a map over
//! partitions of whole components, and `cluster-local` runs it once over all of them: both
//! give `scan`'s answer. Pairs are verified again on the exact sets: an engine pair that does
//! not meet the criteria is an error, never a silent difference.

use super::parquet::{self as pq, ClusterRow, PairRow};
use super::Manifest;
use crate::align::{self, Prepared};
use crate::cluster;
use crate::config::{ClusterMode, KeepPolicy, ShingleKind};
use crate::error::{Error, ErrorKind, Result};
use crate::normalize::Tokenizer;
use crate::roles;
use crate::verify::{Match, MatchKind, Similarity};
use rayon::prelude::*;
use std::path::Path;

/// One document of a partition.
#[derive(Debug, Clone, Default)]
pub struct PartDoc {
    /// The document number.
    pub doc: i64,
    /// Its id.
    pub id: String,
    /// Its text's size in bytes.
    pub length: i64,
    /// Its date in Unix seconds, when it parses.
    pub date_key: Option<i64>,
    /// Its sorted, deduplicated shingle set.
    pub shingles: Box<[u64]>,
    /// Its text (needed only with passages on).
    pub text: String,
}

/// The rows of a partition.
#[derive(Debug, Default)]
pub struct Assembled {
    /// Every pair, sorted by `(a, b)`.
    pub pairs: Vec<PairRow>,
    /// Every cluster member, sorted by document.
    pub clusters: Vec<ClusterRow>,
}

/// Assembles `docs` (sorted by document number, each once) and `pairs` (document numbers,
/// each end among `docs`); see the module documentation.
pub fn assemble(manifest: &Manifest, docs: &[PartDoc], pairs: &[(i64, i64)]) -> Result<Assembled> {
    let (mut done, matches) = assemble_rows(manifest, docs, pairs)?;
    if manifest.parameters.passages {
        add_passages(manifest, docs, &matches, &mut done)?;
    }
    Ok(done)
}

/// [`assemble`] without the passages: the rows (pairs in match order, with `passages` null)
/// and the matches, for [`add_passages`]. Only the shingle sets of `docs` are read (not the
/// texts), so a caller may load the texts afterwards and drop the sets first.
pub(crate) fn assemble_rows(
    manifest: &Manifest,
    docs: &[PartDoc],
    pairs: &[(i64, i64)],
) -> Result<(Assembled, Vec<Match>)> {
    let p = &manifest.parameters;
    let criteria = manifest.criteria();
    if !docs.windows(2).all(|w| w[0].doc < w[1].doc) {
        return Err(Error::new(ErrorKind::Manifest(
            "assemble: documents are not sorted and distinct".into(),
        )));
    }
    let n = docs.len();
    let dense = |d: i64| -> Result<u32> {
        docs.binary_search_by_key(&d, |x| x.doc)
            .map(|i| i as u32)
            .map_err(|_| {
                Error::new(ErrorKind::Manifest(format!(
                    "assemble: document {d} of a pair is not among the documents"
                )))
            })
    };
    let mut idx: Vec<(u32, u32)> = Vec::with_capacity(pairs.len());
    for &(a, b) in pairs {
        let (a, b) = (dense(a)?, dense(b)?);
        idx.push((a.min(b), a.max(b)));
    }
    idx.par_sort_unstable();
    idx.dedup();
    let similarity = |a: u32, b: u32| -> Similarity {
        Similarity::exact(&docs[a as usize].shingles, &docs[b as usize].shingles)
    };
    let matches: Vec<Match> = idx
        .par_iter()
        .map(|&(a, b)| {
            let sim = similarity(a, b);
            if criteria.meets(&sim) && a != b {
                Ok(Match { a, b, sim })
            } else {
                Err(Error::new(ErrorKind::Manifest(format!(
                    "assemble: documents {} and {} are not a pair ({} shared of {} and {}): the engine's verification disagrees",
                    docs[a as usize].doc, docs[b as usize].doc, sim.shared, sim.size_a, sim.size_b
                ))))
            }
        })
        .collect::<Result<_>>()?;

    // Clusters, exactly as scan's assemble makes them.
    let date_keys: Vec<Option<i64>> = docs.iter().map(|d| d.date_key).collect();
    let ranks =
        (p.keep == KeepPolicy::Source).then(|| roles::source_ranks(n, &matches, &date_keys));
    let before = |x: u32, y: u32| -> bool {
        roles::prefers(
            p.keep,
            ranks.as_deref(),
            x,
            y,
            |i| docs[i].length.max(0) as u64,
            &date_keys,
        )
    };
    let guarded = p.cluster == ClusterMode::Guarded;
    let clusters = cluster::cluster(n, &matches, criteria, guarded, before, similarity);
    let mut cluster_of = vec![None; n];
    let mut rows: Vec<ClusterRow> = Vec::new();
    let sources: Vec<(u32, roles::SourceBy)> = clusters
        .par_iter()
        .map(|cl| {
            let members: Vec<u32> = std::iter::once(cl.representative)
                .chain(cl.members.iter().map(|m| m.0))
                .collect();
            roles::source_of(&members, &criteria, ranks.is_some(), &date_keys, similarity)
        })
        .collect();
    for (cl, &(source, by)) in clusters.iter().zip(&sources) {
        let rep = cl.representative;
        let key = cl
            .members
            .iter()
            .map(|m| m.0)
            .chain([rep])
            .min()
            .unwrap_or(rep);
        let own = Similarity {
            shared: docs[rep as usize].shingles.len() as u32,
            size_a: docs[rep as usize].shingles.len() as u32,
            size_b: docs[rep as usize].shingles.len() as u32,
        };
        for (d, sim) in std::iter::once((rep, own)).chain(cl.members.iter().copied()) {
            cluster_of[d as usize] = Some(docs[key as usize].doc);
            let x = &docs[d as usize];
            rows.push(ClusterRow {
                doc: x.doc,
                cluster: docs[key as usize].doc,
                representative: docs[rep as usize].doc,
                role: roles::role(d, source, &criteria, similarity)
                    .as_str()
                    .to_string(),
                source: docs[source as usize].doc,
                source_by: by.as_str().to_string(),
                id: x.id.clone(),
                representative_id: docs[rep as usize].id.clone(),
                source_id: docs[source as usize].id.clone(),
                shared: sim.shared as i64,
                size: sim.size_a as i64,
                representative_size: sim.size_b as i64,
            });
        }
    }
    rows.sort_unstable();

    let pairs = matches
        .iter()
        .map(|m| {
            let (a, b) = (&docs[m.a as usize], &docs[m.b as usize]);
            let (relation, contained) = match criteria.relation(&m.sim) {
                Some(MatchKind::AInB) => ("contained", Some(a.doc)),
                Some(MatchKind::BInA) => ("contained", Some(b.doc)),
                _ => ("near_duplicate", None),
            };
            let (ca, cb) = (cluster_of[m.a as usize], cluster_of[m.b as usize]);
            PairRow {
                a: a.doc,
                b: b.doc,
                a_id: a.id.clone(),
                b_id: b.id.clone(),
                relation: relation.into(),
                contained,
                shared: m.sim.shared as i64,
                size_a: m.sim.size_a as i64,
                size_b: m.sim.size_b as i64,
                cluster: ca.filter(|_| ca == cb),
                passages: None,
            }
        })
        .collect();
    Ok((
        Assembled {
            pairs,
            clusters: rows,
        },
        matches,
    ))
}

/// Sets the passages of `done`'s pairs (made by [`assemble_rows`] from `matches`), aligned
/// on the texts of `docs` (only the texts are read).
pub(crate) fn add_passages(
    manifest: &Manifest,
    docs: &[PartDoc],
    matches: &[Match],
    done: &mut Assembled,
) -> Result<()> {
    let json = passages(manifest, docs, matches, PASSAGE_BATCH)?;
    for (row, j) in done.pairs.iter_mut().zip(json) {
        row.passages = Some(j);
    }
    Ok(())
}

/// The aligned passages of every match as JSON, in match order (as `scan` aligns them: word
/// `ngram`-shingles, or word trigrams under character shingles).
fn passages(
    manifest: &Manifest,
    docs: &[PartDoc],
    matches: &[Match],
    batch: usize,
) -> Result<Vec<String>> {
    let s = &manifest.parameters.sketch;
    let k = match s.shingle {
        ShingleKind::Word => s.ngram,
        ShingleKind::Char => 3,
    };
    // Whole components in batches of about `batch` documents: each document is
    // prepared once, and only one batch's prepared texts (tokens, spans and a hash table,
    // several times the text's size) are in memory at a time.
    let comps = cluster::components(docs.len(), matches.iter().map(|m| (m.a, m.b)));
    let mut batch_of = vec![0u32; docs.len()];
    let mut batches: Vec<Vec<u32>> = vec![Vec::new()];
    for c in &comps {
        if batches.last().is_some_and(|b| b.len() >= batch) {
            batches.push(Vec::new());
        }
        let last = batches.len() - 1;
        for &d in c {
            batch_of[d as usize] = last as u32;
        }
        batches[last].extend_from_slice(c);
    }
    let mut by_batch: Vec<Vec<usize>> = vec![Vec::new(); batches.len()];
    for (i, m) in matches.iter().enumerate() {
        by_batch[batch_of[m.a as usize] as usize].push(i);
    }
    let mut out: Vec<String> = vec![String::new(); matches.len()];
    let mut prepared: Vec<Option<Prepared>> = (0..docs.len()).map(|_| None).collect();
    for (members, idx) in batches.iter().zip(&by_batch) {
        let made: Vec<Prepared> = members
            .par_iter()
            .map_init(Tokenizer::new, |tok, &d| {
                Prepared::from_text(tok, &docs[d as usize].text, k)
            })
            .collect();
        for (&d, p) in members.iter().zip(made) {
            prepared[d as usize] = Some(p);
        }
        let empty = Prepared::default();
        let json: Vec<String> = idx
            .par_iter()
            .map(|&i| {
                let m = &matches[i];
                let (a, b) = (
                    prepared[m.a as usize].as_ref().unwrap_or(&empty),
                    prepared[m.b as usize].as_ref().unwrap_or(&empty),
                );
                serde_json::to_string(&align::align_prepared(a, b))
                    .map_err(|e| Error::internal(format!("passages as JSON: {e}")))
            })
            .collect::<Result<_>>()?;
        for (&i, j) in idx.iter().zip(json) {
            out[i] = j;
        }
        for &d in members {
            prepared[d as usize] = None;
        }
    }
    Ok(out)
}

/// Documents whose texts are prepared for alignment at a time (see [`passages`]).
const PASSAGE_BATCH: usize = 16 * 1024;

/// The engine's map step: reads one partition of whole components (`docs`: Parquet files with
/// `doc, id, length, date_key, shingles, text`; `pairs`: files with `a, b`; a directory that
/// does not exist is an empty partition), assembles it and writes `out/pairs/NAME` and
/// `out/clusters/NAME`. Returns the numbers of pairs and cluster members written.
pub fn assemble_files(
    manifest: &Manifest,
    docs: &Path,
    pairs: &Path,
    out: &Path,
    name: &str,
) -> Result<(u64, u64)> {
    let mut part: Vec<PartDoc> = Vec::new();
    if docs.exists() {
        let cols = ["doc", "id", "length", "date_key", "shingles", "text"];
        for path in pq::parquet_files(docs)? {
            for b in pq::Reader::open(&path)?.read(&cols)? {
                let doc = pq::i64s(&path, &b, 0)?;
                let id = pq::strings(&path, &b, 1)?;
                let length = pq::i64s(&path, &b, 2)?;
                let date_key = pq::opt_i64s(&path, &b, 3)?;
                let sets = pq::u64_lists(&path, &b, 4)?;
                let text = pq::strings(&path, &b, 5)?;
                for (j, (set, (id, text))) in
                    sets.into_iter().zip(id.into_iter().zip(text)).enumerate()
                {
                    part.push(PartDoc {
                        doc: doc[j],
                        id,
                        length: length[j],
                        date_key: date_key[j],
                        shingles: set,
                        text,
                    });
                }
            }
        }
    }
    part.par_sort_unstable_by_key(|d| d.doc);
    let mut ends: Vec<(i64, i64)> = Vec::new();
    if pairs.exists() {
        for path in pq::parquet_files(pairs)? {
            for b in pq::Reader::open(&path)?.read(&["a", "b"])? {
                let (a, bb) = (pq::i64s(&path, &b, 0)?, pq::i64s(&path, &b, 1)?);
                ends.extend(a.into_iter().zip(bb));
            }
        }
    }
    let done = assemble(manifest, &part, &ends)?;
    super::local::write_outputs(manifest, out, name, &done, None)?;
    Ok((done.pairs.len() as u64, done.clusters.len() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::input::Source;

    fn manifest(dir: &Path, config: Config) -> Manifest {
        let a = dir.join("a.jsonl");
        std::fs::write(&a, "{}\n").unwrap();
        Manifest::new(&config, &[Source::Path(a)]).unwrap()
    }

    fn doc(doc: i64, id: &str, shingles: std::ops::Range<u64>) -> PartDoc {
        let text: Vec<String> = shingles.clone().map(|i| format!("w{i}")).collect();
        PartDoc {
            doc,
            id: id.into(),
            length: text.join(" ").len() as i64,
            date_key: None,
            shingles: shingles.collect(),
            text: text.join(" "),
        }
    }

    #[test]
    fn a_chain_is_split_and_a_part_is_a_partial_copy_of_its_source() {
        let dir = tempfile::tempdir().unwrap();
        let m = manifest(dir.path(), Config::default());
        // whole (0..100), copy (0..103, J 0.97), part (0..60: contained in both), and far
        // (50..150): J 50/150 with whole, half of it inside: below both thresholds. The
        // source (--keep source) is whole, nearest the others.
        let docs = [
            doc(1, "whole", 0..100),
            doc(2, "copy", 0..103),
            doc(3, "part", 0..60),
            doc(1 << 32, "far", 50..150),
        ];
        let pairs = [(1, 2), (1, 3), (2, 3)];
        let out = assemble(&m, &docs, &pairs).unwrap();
        let rel: Vec<(&str, Option<i64>)> = out
            .pairs
            .iter()
            .map(|p| (p.relation.as_str(), p.contained))
            .collect();
        assert_eq!(
            rel,
            [
                ("near_duplicate", None),
                ("contained", Some(3)),
                ("contained", Some(3))
            ]
        );
        assert!(out.pairs.iter().all(|p| p.cluster == Some(1)));
        let passages: crate::align::Alignment =
            serde_json::from_str(out.pairs[1].passages.as_deref().unwrap()).unwrap();
        assert_eq!(passages.passages.len(), 1);
        assert_eq!(passages.passages[0].words, 60);
        let roles: Vec<(&str, &str, &str)> = out
            .clusters
            .iter()
            .map(|r| (r.id.as_str(), r.role.as_str(), r.source_id.as_str()))
            .collect();
        assert_eq!(
            roles,
            [
                ("whole", "source", "whole"),
                ("copy", "copy", "whole"),
                ("part", "partial_copy", "whole")
            ]
        );
        // A pair the criteria refuse is an error, not a silent difference.
        let e = assemble(&m, &docs, &[(1, 1 << 32)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a pair"), "{e}");
        let e = assemble(&m, &docs, &[(1, 9)]).unwrap_err().to_string();
        assert!(e.contains("not among the documents"), "{e}");
    }

    #[test]
    fn passages_are_the_same_in_batches_of_any_size_and_after_the_rows() {
        let dir = tempfile::tempdir().unwrap();
        let m = manifest(dir.path(), Config::default());
        // Three components (whole/copy/part, x/y, and u/v/w), so batches of one or two
        // documents cut between components and put matches of one batch late in the list.
        let docs = [
            doc(1, "whole", 0..100),
            doc(2, "x", 1000..1080),
            doc(3, "copy", 0..103),
            doc(4, "u", 2000..2050),
            doc(5, "y", 1000..1081),
            doc(6, "part", 0..60),
            doc(7, "v", 2000..2051),
            doc(8, "w", 2001..2050),
        ];
        let pairs = [(1, 3), (1, 6), (3, 6), (2, 5), (4, 7), (4, 8), (7, 8)];
        let whole = assemble(&m, &docs, &pairs).unwrap();
        assert_eq!(whole.pairs.len(), 7);
        assert!(whole.pairs.iter().all(|p| p.passages.is_some()));
        let (rows, matches) = assemble_rows(&m, &docs, &pairs).unwrap();
        assert!(rows.pairs.iter().all(|p| p.passages.is_none()));
        assert_eq!(rows.clusters, whole.clusters);
        let want: Vec<String> = whole
            .pairs
            .iter()
            .map(|p| p.passages.clone().unwrap())
            .collect();
        for batch in [1, 2, 3, usize::MAX] {
            assert_eq!(
                passages(&m, &docs, &matches, batch).unwrap(),
                want,
                "batch {batch}"
            );
        }
        // The texts alone give the passages (the sets may be dropped first).
        let texts_only: Vec<PartDoc> = docs
            .iter()
            .map(|d| PartDoc {
                shingles: Box::default(),
                ..d.clone()
            })
            .collect();
        let mut later = rows;
        add_passages(&m, &texts_only, &matches, &mut later).unwrap();
        assert_eq!(later.pairs, whole.pairs);
    }
}
