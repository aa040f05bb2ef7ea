//! Evaluation of a report against planted truth: pairwise precision, recall and F1, per edit
//! level, and the adjusted Rand index of the clusters.
//!
//! Inputs: the generator's truth file (planted pairs with their families and edit levels, and
//! planted repeats, read with the same typed records the generator writes:
//! [`Truth`]), the corpus it describes (for the document list and the true
//! Jaccard of each planted pair, computed with syndup's own normalisation and shingles), and a
//! result: a syndup JSON report, or a TSV any tool can write (`a<TAB>b` per line for pairs, or
//! `cluster<TAB>doc` per line after a `#clusters` header line). Output: an [`Evaluation`],
//! the last step of the harness (generate, scan, evaluate).
//!
//! Pairs found: the report's `pairs[]`, or all pairs inside each cluster when the result has
//! only clusters. A found pair is correct when both documents belong to one planted family.
//! Recall is measured on the planted pairs whose true Jaccard meets the threshold (the pairs a
//! Jaccard-threshold tool is asked to find), and also on all planted pairs, per level.

use super::truth::{line_error, DocRecord, Truth};
use crate::error::{Error, Result};
use crate::shingle::Shingler;
use crate::verify::Similarity;
use crate::ShingleKind;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Precision, recall and F1 with their counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Prf {
    /// Found pairs that are planted.
    pub true_positives: u64,
    /// Found pairs.
    pub found: u64,
    /// Planted pairs counted for recall.
    pub relevant: u64,
    /// Planted pairs counted for recall that were found.
    pub recalled: u64,
    /// `true_positives / found` (1 when nothing was found).
    pub precision: f64,
    /// `recalled / relevant` (1 when nothing is relevant).
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

impl Prf {
    fn finish(mut self) -> Prf {
        let r = |n: u64, d: u64| if d == 0 { 1.0 } else { n as f64 / d as f64 };
        self.precision = crate::report::round4(r(self.true_positives, self.found));
        self.recall = crate::report::round4(r(self.recalled, self.relevant));
        let (p, q) = (self.precision, self.recall);
        self.f1 = crate::report::round4(if p + q == 0.0 {
            0.0
        } else {
            2.0 * p * q / (p + q)
        });
        self
    }
}

/// Recall of one edit level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelScore {
    /// Planted pairs of this level.
    pub planted: u64,
    /// Of those, found.
    pub found: u64,
    /// Planted pairs of this level with true Jaccard >= threshold.
    pub above_threshold: u64,
    /// Of those, found.
    pub found_above_threshold: u64,
    /// Mean true Jaccard of the level's planted pairs.
    pub mean_jaccard: f64,
}

/// The evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Documents in the corpus.
    pub documents: u64,
    /// Jaccard threshold used to select the pairs recall is measured on.
    pub threshold: f64,
    /// Precision over all found pairs; recall over planted pairs with true Jaccard >= threshold.
    pub at_threshold: Prf,
    /// Precision over all found pairs; recall over all planted pairs.
    pub all_planted: Prf,
    /// Per edit level.
    pub levels: BTreeMap<String, LevelScore>,
    /// Adjusted Rand index of the found clusters against the planted families (documents
    /// outside any cluster or family are singletons).
    pub ari: f64,
    /// Within-page sentence near-repeats: precision over the reported `within_document`
    /// repeat pairs, recall over the planted repeats (see [`Found::repeats`]).
    pub repeats: Prf,
    /// Partial copies (base-copy pairs of the `partial` level): found as `contained` with the
    /// right document inside.
    pub partial: PartialScore,
    /// Which member each cluster keeps (its representative, listed first in a JSON report);
    /// `None` for a TSV result, which does not say.
    pub keep: Option<KeepScore>,
}

/// What a dedupe keeps: the planted original of each cluster, or a copy.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KeepScore {
    /// Found clusters whose representative belongs to a planted family.
    pub clusters: u64,
    /// Of those, clusters that keep the family's original (its base document).
    pub original: u64,
    /// ... that keep a partial copy (truncated, embedded in a page, or under a new intro).
    pub partial_copy: u64,
    /// ... that keep another copy (exact, light, medium or heavy).
    pub other_copy: u64,
    /// Clusters keeping a copy while the original is a member of the same cluster.
    pub original_passed_over: u64,
    /// `original / clusters` (1 when there are none).
    pub share: f64,
}

/// How well partial copies are found with their direction.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PartialScore {
    /// Planted base-copy pairs whose copy is truncated, embedded in a page or under a new
    /// intro.
    pub planted: u64,
    /// Of those, reported as a pair (any relation).
    pub found: u64,
    /// Of those, reported as `contained` with the right document inside the other.
    pub direction_right: u64,
    /// `direction_right / planted`.
    pub recall_with_direction: f64,
    /// Reported `contained` pairs.
    pub contained_found: u64,
    /// Of those, inside one planted family.
    pub contained_correct: u64,
    /// `contained_correct / contained_found` (1 when none).
    pub contained_precision: f64,
}

fn read_lines(path: &std::path::Path) -> Result<Vec<String>> {
    Ok(std::fs::read_to_string(path)
        .map_err(|e| Error::io(path, e))?
        .lines()
        .map(str::to_string)
        .collect())
}

/// A result to evaluate: found pairs and clusters (ids).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Found {
    /// Unordered pairs, each stored with the smaller id first.
    pub pairs: BTreeSet<(String, String)>,
    /// Clusters of ids.
    pub clusters: Vec<Vec<String>>,
    /// For pairs reported as `contained`: the pair (smaller id first) and the id inside.
    pub contained: BTreeMap<(String, String), String>,
    /// True when each cluster's first member is its representative (a syndup JSON report).
    pub representatives_first: bool,
    /// Reported `within_document` repeats as (document, first span, second span): every pair
    /// of occurrences of one repeat group in one document. A planted repeat is found when a
    /// reported pair's spans overlap the planted sentences' spans, in either order.
    pub repeats: Vec<(String, ByteSpan, ByteSpan)>,
}

fn ordered(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    }
}

/// Reads a syndup JSON report or a TSV of pairs or clusters.
pub fn read_found(path: &std::path::Path) -> Result<Found> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut found = Found::default();
    if text.trim_start().starts_with('{') {
        // Only the fields eval needs, so reports of other versions (with more fields) work.
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::input(format!("{}: not a JSON report: {e}", path.display())))?;
        let ids = |x: &serde_json::Value| -> Vec<String> {
            x.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        for p in v["pairs"].as_array().into_iter().flatten() {
            if let (Some(a), Some(b)) = (p["a"].as_str(), p["b"].as_str()) {
                found.pairs.insert(ordered(a, b));
                if let Some(inner) = p["contained"].as_str() {
                    found.contained.insert(ordered(a, b), inner.to_string());
                }
            }
        }
        found.clusters = v["clusters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| ids(&c["members"]))
            .collect();
        found.representatives_first = true;
        if v.get("pairs").is_none() {
            found.pairs = cluster_pairs(&found.clusters);
        }
        for r in v["repeats"].as_array().into_iter().flatten() {
            if r["kind"] != "within_document" {
                continue;
            }
            let occ: Vec<(String, u64, u64)> = r["occurrences"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|o| {
                    Some((
                        o["doc"].as_str()?.to_string(),
                        o["start"].as_u64()?,
                        o["end"].as_u64()?,
                    ))
                })
                .collect();
            for i in 0..occ.len() {
                for j in i + 1..occ.len() {
                    if occ[i].0 == occ[j].0 {
                        found.repeats.push((
                            occ[i].0.clone(),
                            (occ[i].1, occ[i].2),
                            (occ[j].1, occ[j].2),
                        ));
                    }
                }
            }
        }
        return Ok(found);
    }
    let mut clusters: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut mode_clusters = false;
    for (i, line) in text.lines().enumerate() {
        if line.trim() == "#clusters" {
            mode_clusters = true;
            continue;
        }
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut f = line.split('\t');
        let (Some(x), Some(y)) = (f.next(), f.next()) else {
            return Err(line_error(path, i, "expected two tab-separated fields"));
        };
        if mode_clusters {
            clusters
                .entry(x.to_string())
                .or_default()
                .push(y.to_string());
        } else {
            found.pairs.insert(ordered(x, y));
        }
    }
    if mode_clusters {
        found.clusters = clusters.into_values().collect();
        found.pairs = cluster_pairs(&found.clusters);
    } else {
        // Clusters of a pairs file: connected components.
        let ids: BTreeSet<&String> = found.pairs.iter().flat_map(|(a, b)| [a, b]).collect();
        let ids: Vec<&String> = ids.into_iter().collect();
        let idx = |s: &String| ids.binary_search(&s).unwrap_or(0) as u32;
        let comps = crate::cluster::components(
            ids.len(),
            found.pairs.iter().map(|(a, b)| (idx(a), idx(b))),
        );
        found.clusters = comps
            .into_iter()
            .map(|c| c.into_iter().map(|i| ids[i as usize].clone()).collect())
            .collect();
    }
    Ok(found)
}

fn cluster_pairs(clusters: &[Vec<String>]) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for c in clusters {
        for i in 0..c.len() {
            for j in i + 1..c.len() {
                out.insert(ordered(&c[i], &c[j]));
            }
        }
    }
    out
}

/// The measured S-curve: for every planted pair, whether its signatures (made with `config`)
/// share a band key, bucketed by the pair's true Jaccard in steps of 0.05.
pub fn detection_curve(
    truth_path: &std::path::Path,
    corpus_path: &std::path::Path,
    config: &crate::Config,
) -> Result<Vec<crate::report::svg::Measured>> {
    let det = crate::Detector::new(config.clone())?;
    let (bands, rows) = det.bands_rows();
    let signer = crate::minhash::Signer::new(config.scheme, config.num_perm, config.seed);
    let truth = Truth::read(truth_path)?.pairs;
    let (texts, _) = read_corpus(corpus_path)?;
    let mut sh = Shingler::new(config.shingle, config.ngram);
    let mut sign = |id: &str| -> (Vec<u64>, Vec<u32>) {
        let mut v = Vec::new();
        if let Some(t) = texts.get(id) {
            sh.shingles_into(t, &mut v);
        }
        let mut sig = Vec::new();
        signer.sign_into(&v, &mut sig);
        (v, sig)
    };
    let mut buckets = [(0u64, 0u64); 20];
    for p in &truth {
        let (sa, ga) = sign(&p.a);
        let (sb, gb) = sign(&p.b);
        let j = Similarity::exact(&sa, &sb).jaccard();
        let hit = (0..bands)
            .any(|b| crate::lsh::band_key(&ga, b, rows) == crate::lsh::band_key(&gb, b, rows));
        let k = ((j * 20.0) as usize).min(19);
        buckets[k].0 += 1;
        buckets[k].1 += hit as u64;
    }
    Ok(buckets
        .iter()
        .enumerate()
        .filter(|(_, b)| b.0 > 0)
        .map(|(i, &(n, hit))| crate::report::svg::Measured {
            similarity: (i as f64 + 0.5) / 20.0,
            detected: hit as f64 / n as f64,
            pairs: n,
        })
        .collect())
}

/// A byte span `(start, end)` in a document's original text.
pub type ByteSpan = (u64, u64);

fn overlaps(a: ByteSpan, b: ByteSpan) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// True when the reported pair `(x, y)` covers the planted pair `(a, b)` in either order.
fn same_repeat(x: ByteSpan, y: ByteSpan, a: ByteSpan, b: ByteSpan) -> bool {
    (overlaps(x, a) && overlaps(y, b)) || (overlaps(x, b) && overlaps(y, a))
}

/// Texts by id, and ids in corpus order.
fn read_corpus(corpus_path: &std::path::Path) -> Result<(BTreeMap<String, String>, Vec<String>)> {
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    let mut order = Vec::new();
    for (i, line) in read_lines(corpus_path)?.iter().enumerate() {
        let d: DocRecord<'_> =
            serde_json::from_str(line).map_err(|e| line_error(corpus_path, i, e))?;
        order.push(d.id.to_string());
        texts.insert(d.id.into_owned(), d.text.into_owned());
    }
    Ok((texts, order))
}

/// Evaluates `found` against the truth file and corpus, with word `ngram`-shingle Jaccard.
pub fn evaluate(
    truth_path: &std::path::Path,
    corpus_path: &std::path::Path,
    found: &Found,
    threshold: f64,
    ngram: usize,
) -> Result<Evaluation> {
    let Truth {
        pairs: truth,
        repeats: planted,
        ..
    } = Truth::read(truth_path)?;
    let (texts, order) = read_corpus(corpus_path)?;
    let mut sh = Shingler::new(ShingleKind::Word, ngram);
    let mut set = |id: &str| -> Vec<u64> {
        let mut v = Vec::new();
        if let Some(t) = texts.get(id) {
            sh.shingles_into(t, &mut v);
        }
        v
    };
    let family_of: BTreeMap<&str, &str> = truth
        .iter()
        .flat_map(|p| {
            [
                (p.a.as_str(), p.family.as_str()),
                (p.b.as_str(), p.family.as_str()),
            ]
        })
        .collect();
    let same_family = |a: &str, b: &str| matches!((family_of.get(a), family_of.get(b)), (Some(x), Some(y)) if x == y);
    let tp = found
        .pairs
        .iter()
        .filter(|(a, b)| same_family(a, b))
        .count() as u64;
    let mut at = Prf {
        true_positives: tp,
        found: found.pairs.len() as u64,
        ..Prf::default()
    };
    let mut all = at.clone();
    let mut levels: BTreeMap<String, (LevelScore, f64)> = BTreeMap::new();
    for p in &truth {
        let j = Similarity::exact(&set(&p.a), &set(&p.b)).jaccard();
        let hit = found.pairs.contains(&ordered(&p.a, &p.b));
        let e = levels.entry(p.level.as_str().to_string()).or_insert((
            LevelScore {
                planted: 0,
                found: 0,
                above_threshold: 0,
                found_above_threshold: 0,
                mean_jaccard: 0.0,
            },
            0.0,
        ));
        e.0.planted += 1;
        e.0.found += hit as u64;
        e.1 += j;
        all.relevant += 1;
        all.recalled += hit as u64;
        if j >= threshold - 1e-12 {
            e.0.above_threshold += 1;
            e.0.found_above_threshold += hit as u64;
            at.relevant += 1;
            at.recalled += hit as u64;
        }
    }
    let levels = levels
        .into_iter()
        .map(|(k, (mut s, sum))| {
            s.mean_jaccard = crate::report::round4(sum / s.planted.max(1) as f64);
            (k, s)
        })
        .collect();
    // ARI over all corpus documents.
    let found_of: BTreeMap<&str, usize> = found
        .clusters
        .iter()
        .enumerate()
        .flat_map(|(i, c)| c.iter().map(move |d| (d.as_str(), i)))
        .collect();
    let labels_true: Vec<String> = order
        .iter()
        .map(|d| {
            family_of
                .get(d.as_str())
                .map(|f| f.to_string())
                .unwrap_or_else(|| format!("doc:{d}"))
        })
        .collect();
    let labels_pred: Vec<String> = order
        .iter()
        .map(|d| {
            found_of
                .get(d.as_str())
                .map(|c| format!("c{c}"))
                .unwrap_or_else(|| format!("doc:{d}"))
        })
        .collect();
    // Planted repeats as (document, first span, second span).
    let planted: Vec<(&str, ByteSpan, ByteSpan)> = planted
        .iter()
        .map(|r| {
            let span = |(s, e): (usize, usize)| (s as u64, e as u64);
            (r.doc.as_str(), span(r.first), span(r.second))
        })
        .collect();
    let matches = |d: &str, x: ByteSpan, y: ByteSpan| {
        planted
            .iter()
            .any(|(pd, a, b)| *pd == d && same_repeat(x, y, *a, *b))
    };
    let rep = Prf {
        true_positives: found
            .repeats
            .iter()
            .filter(|(d, x, y)| matches(d, *x, *y))
            .count() as u64,
        found: found.repeats.len() as u64,
        relevant: planted.len() as u64,
        recalled: planted
            .iter()
            .filter(|(d, a, b)| {
                found
                    .repeats
                    .iter()
                    .any(|(fd, x, y)| fd.as_str() == *d && same_repeat(*x, *y, *a, *b))
            })
            .count() as u64,
        ..Prf::default()
    };
    let mut partial = PartialScore::default();
    for p in &truth {
        let Some(inside) = p.expected_inside() else {
            continue;
        };
        let key = ordered(&p.a, &p.b);
        partial.planted += 1;
        partial.found += found.pairs.contains(&key) as u64;
        partial.direction_right +=
            (found.contained.get(&key).map(String::as_str) == Some(inside)) as u64;
    }
    partial.contained_found = found.contained.len() as u64;
    partial.contained_correct = found
        .contained
        .keys()
        .filter(|(a, b)| same_family(a, b))
        .count() as u64;
    let ratio = |n: u64, d: u64| {
        if d == 0 {
            1.0
        } else {
            crate::report::round4(n as f64 / d as f64)
        }
    };
    partial.recall_with_direction = ratio(partial.direction_right, partial.planted);
    partial.contained_precision = ratio(partial.contained_correct, partial.contained_found);
    let keep = found.representatives_first.then(|| {
        // Each family's base, and the level of each copy, from the base-copy pairs.
        let mut base_of: BTreeMap<&str, &str> = BTreeMap::new();
        let mut level_of: BTreeMap<&str, super::EditLevel> = BTreeMap::new();
        for p in &truth {
            if let Some(b) = &p.base {
                base_of.insert(p.family.as_str(), b.as_str());
                let copy = if p.a == *b { &p.b } else { &p.a };
                level_of.insert(copy.as_str(), p.level);
            }
        }
        let mut k = KeepScore::default();
        for c in &found.clusters {
            let Some(rep) = c.first() else { continue };
            let Some(base) = family_of.get(rep.as_str()).and_then(|f| base_of.get(f)) else {
                continue;
            };
            k.clusters += 1;
            if rep == base {
                k.original += 1;
                continue;
            }
            match level_of.get(rep.as_str()) {
                Some(super::EditLevel::Partial) => k.partial_copy += 1,
                _ => k.other_copy += 1,
            }
            k.original_passed_over += c.iter().any(|d| d == base) as u64;
        }
        k.share = ratio(k.original, k.clusters);
        k
    });
    Ok(Evaluation {
        keep,
        partial,
        repeats: rep.finish(),
        documents: order.len() as u64,
        threshold,
        at_threshold: at.finish(),
        all_planted: all.finish(),
        levels,
        ari: crate::report::round4(adjusted_rand_index(&labels_true, &labels_pred)),
    })
}

/// The adjusted Rand index (Hubert and Arabie 1985) of two labelings of the same items.
pub fn adjusted_rand_index<A: Ord, B: Ord>(x: &[A], y: &[B]) -> f64 {
    let n = x.len() as f64;
    let c2 = |k: f64| k * (k - 1.0) / 2.0;
    let mut joint: BTreeMap<(&A, &B), f64> = BTreeMap::new();
    let mut a: BTreeMap<&A, f64> = BTreeMap::new();
    let mut b: BTreeMap<&B, f64> = BTreeMap::new();
    for (p, q) in x.iter().zip(y) {
        *joint.entry((p, q)).or_default() += 1.0;
        *a.entry(p).or_default() += 1.0;
        *b.entry(q).or_default() += 1.0;
    }
    let index: f64 = joint.values().map(|&k| c2(k)).sum();
    let sa: f64 = a.values().map(|&k| c2(k)).sum();
    let sb: f64 = b.values().map(|&k| c2(k)).sum();
    let expected = sa * sb / c2(n).max(1.0);
    let max = (sa + sb) / 2.0;
    if (max - expected).abs() < 1e-12 {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-computed example: x = [0,0,0,1,1,1], y = [0,0,1,1,2,2].
    /// Contingency: (0,0)=2 (0,1)=1 (1,1)=1 (1,2)=2 -> index = 1 + 0 + 0 + 1 = 2;
    /// rows 3,3 -> 3 + 3 = 6; columns 2,2,2 -> 3; expected = 6*3/15 = 1.2; max = 4.5;
    /// ARI = (2 - 1.2) / (4.5 - 1.2) = 0.8 / 3.3 = 0.242424...
    #[test]
    fn ari_matches_a_hand_computed_example() {
        let x = [0, 0, 0, 1, 1, 1];
        let y = [0, 0, 1, 1, 2, 2];
        assert!((adjusted_rand_index(&x, &y) - 0.8 / 3.3).abs() < 1e-12);
        assert_eq!(adjusted_rand_index(&x, &x), 1.0);
    }

    #[test]
    fn unreadable_found_files_are_input_errors_with_their_place() {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("found.json");
        std::fs::write(&json, "{not json").unwrap();
        let e = read_found(&json).unwrap_err();
        assert!(matches!(e.kind(), crate::ErrorKind::Input(_)), "{e:?}");
        assert!(e.to_string().contains(": not a JSON report: "), "{e}");
        let tsv = dir.path().join("found.tsv");
        std::fs::write(&tsv, "a\tb\nc\n").unwrap();
        let e = read_found(&tsv).unwrap_err();
        assert!(matches!(e.kind(), crate::ErrorKind::Input(_)), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!("{}:2: expected two tab-separated fields", tsv.display())
        );
    }
}
