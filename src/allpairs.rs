//! The exact reference: all pairs of documents with Jaccard >= t, without sampling.
//!
//! Input: sorted, deduplicated shingle sets. Output: every pair whose exact Jaccard meets the
//! threshold, with its counts. This is the oracle the MinHash/LSH pipeline is measured against
//! (recall and precision on real corpora, and in property tests).
//!
//! Prefix filtering (Chaudhuri et al. 2006; Bayardo, Ma and Srikant 2007, "All-Pairs"): order
//! shingles globally, rarest first; if J(A, B) >= t then A and B share a shingle among the first
//! `|A| - ceil(t |A|) + 1` of A's shingles in that order (and likewise for B). Indexing only
//! those prefixes finds every qualifying pair; a size filter (`t |A| <= |B| <= |A| / t`) and
//! exact verification of each candidate do the rest. Exact and deterministic; cost grows with
//! the number of pairs sharing a rare shingle, not with n^2.

use crate::verify::Similarity;
use rayon::prelude::*;

/// Every pair `(a, b, similarity)` with `a < b` and exact Jaccard >= `threshold`, sorted.
pub fn all_pairs(sets: &[Vec<u64>], threshold: f64) -> Vec<(u32, u32, Similarity)> {
    let t = threshold.clamp(1e-9, 1.0);
    // Global order: document frequency ascending, then hash.
    let mut df: ahash::AHashMap<u64, u32> = ahash::AHashMap::new();
    for s in sets {
        for &h in s {
            *df.entry(h).or_default() += 1;
        }
    }
    let prefixes: Vec<Vec<u64>> = sets
        .par_iter()
        .map(|s| {
            let mut v: Vec<(u32, u64)> = s.iter().map(|h| (df[h], *h)).collect();
            v.sort_unstable();
            let p = prefix_len(s.len(), t);
            v.into_iter().take(p).map(|(_, h)| h).collect()
        })
        .collect();
    let mut index: ahash::AHashMap<u64, Vec<u32>> = ahash::AHashMap::new();
    for (d, p) in prefixes.iter().enumerate() {
        for &h in p {
            index.entry(h).or_default().push(d as u32);
        }
    }
    let mut out: Vec<(u32, u32, Similarity)> = (0..sets.len())
        .into_par_iter()
        .flat_map_iter(|a| {
            let mut cands: Vec<u32> = prefixes[a]
                .iter()
                .flat_map(|h| index[h].iter().copied())
                .filter(|&b| b as usize > a)
                .collect();
            cands.sort_unstable();
            cands.dedup();
            let (sa, la) = (&sets[a], sets[a].len() as f64);
            cands
                .into_iter()
                .filter_map(move |b| {
                    let lb = sets[b as usize].len() as f64;
                    if lb < t * la - 1e-9 || la < t * lb - 1e-9 {
                        return None;
                    }
                    let sim = Similarity::exact(sa, &sets[b as usize]);
                    sim.meets(t).then_some((a as u32, b, sim))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    out.sort_unstable_by_key(|&(a, b, _)| (a, b));
    out
}

/// Prefix length for a set of `n` shingles at threshold `t`.
fn prefix_len(n: usize, t: f64) -> usize {
    if n == 0 {
        return 0;
    }
    let keep = (t * n as f64 - 1e-9).ceil() as usize;
    (n - keep.min(n) + 1).min(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(sets: &[Vec<u64>], t: f64) -> Vec<(u32, u32)> {
        let mut v = Vec::new();
        for a in 0..sets.len() {
            for b in a + 1..sets.len() {
                if Similarity::exact(&sets[a], &sets[b]).meets(t) {
                    v.push((a as u32, b as u32));
                }
            }
        }
        v
    }

    proptest::proptest! {
        /// Prefix filtering finds exactly the pairs a brute-force comparison finds.
        #[test]
        fn equals_brute_force(
            sets in proptest::collection::vec(proptest::collection::btree_set(0u64..40, 1..20), 2..25),
            t in 0.2f64..1.0,
        ) {
            let sets: Vec<Vec<u64>> = sets.into_iter().map(|s| s.into_iter().collect()).collect();
            let fast: Vec<(u32, u32)> = all_pairs(&sets, t).into_iter().map(|(a, b, _)| (a, b)).collect();
            proptest::prop_assert_eq!(fast, brute(&sets, t));
        }
    }
}
