//! Containment candidates: pairs where much of one document lies inside another, even when
//! their Jaccard similarity is low (a story trimmed, or embedded in a longer page).
//!
//! Input: each document's shingle hashes. Output: candidate pairs `(a, b)` (dense indices, `a <
//! b`) for exact verification of both directed containments.
//!
//! MinHash/LSH estimates Jaccard, which is small when one text is short and the other long even
//! if the short one is fully inside the long one. Containment needs a sample that is the same in
//! both documents whatever their sizes: content-defined sampling (Broder 1997; the "mod-m"
//! sample; Manber 1994): a shingle is sampled when its hash is 0 modulo `rate`, so a shingle is
//! sampled in every document that has it. Then `|S(A) ∩ S(B)| / |S(A)|` estimates the
//! containment of A in B. An inverted index from sampled hash to documents finds the pairs that
//! share samples; a pair is a candidate when the estimate reaches `slack x threshold` for either
//! direction. Hashes found in more than `max_df` documents (boilerplate) are skipped: they would
//! make the work quadratic and say little about copying. Deterministic: sorted postings, sorted
//! output.

use rayon::prelude::*;

/// The sampled shingles of a document: sorted, deduplicated hashes with `h % rate == 0`
/// (`rate` 1 keeps them all). The hashes are well mixed, so the low bits are uniform.
pub fn sample(shingles: &[u64], rate: u64) -> Vec<u64> {
    let rate = rate.max(1);
    let mut v: Vec<u64> = shingles.iter().copied().filter(|h| h % rate == 0).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Settings of the candidate search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Directed containment at or above which a pair is wanted.
    pub threshold: f64,
    /// Candidates need an estimate of at least `slack * threshold` (recall margin for the
    /// sampling error; verification is exact).
    pub slack: f64,
    /// Sampled hashes present in more documents than this are ignored.
    pub max_df: usize,
    /// Minimum shared samples (guards against single chance matches of tiny samples).
    pub min_shared: usize,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            threshold: 0.7,
            slack: 0.6,
            max_df: 200,
            min_shared: 2,
        }
    }
}

/// Candidate pairs from per-document samples (see [`sample`]).
pub fn candidates<S: AsRef<[u64]> + Sync>(samples: &[S], p: &Params) -> Vec<(u32, u32)> {
    // Inverted index as a sorted list of (hash, doc): no hash-map order anywhere.
    let mut post: Vec<(u64, u32)> = samples
        .iter()
        .enumerate()
        .flat_map(|(d, s)| s.as_ref().iter().map(move |&h| (h, d as u32)))
        .collect();
    post.par_sort_unstable();
    // Runs of one hash: keep those with 2..=max_df documents.
    let mut groups: Vec<&[(u64, u32)]> = Vec::new();
    let mut i = 0;
    while i < post.len() {
        let mut j = i + 1;
        while j < post.len() && post[j].0 == post[i].0 {
            j += 1;
        }
        if j - i >= 2 && j - i <= p.max_df {
            groups.push(&post[i..j]);
        }
        i = j;
    }
    // Per-document lists of the groups it is in, then co-occurrence counts per document.
    let n = samples.len();
    let mut of_doc: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (g, grp) in groups.iter().enumerate() {
        for &(_, d) in grp.iter() {
            of_doc[d as usize].push(g as u32);
        }
    }
    let need = (p.slack * p.threshold).max(0.0);
    let mut out: Vec<(u32, u32)> = (0..n)
        .into_par_iter()
        .flat_map_iter(|a| {
            // Later documents sharing a sample with `a`, with multiplicity.
            let mut others: Vec<u32> = of_doc[a]
                .iter()
                .flat_map(|&g| groups[g as usize].iter().map(|&(_, d)| d))
                .filter(|&d| d as usize > a)
                .collect();
            others.sort_unstable();
            let sa = samples[a].as_ref().len().max(1) as f64;
            let mut found = Vec::new();
            let mut k = 0;
            while k < others.len() {
                let b = others[k];
                let mut m = k + 1;
                while m < others.len() && others[m] == b {
                    m += 1;
                }
                let shared = m - k;
                let sb = samples[b as usize].as_ref().len().max(1) as f64;
                let est = (shared as f64 / sa).max(shared as f64 / sb);
                if shared
                    >= p.min_shared
                        .min(
                            samples[a]
                                .as_ref()
                                .len()
                                .min(samples[b as usize].as_ref().len()),
                        )
                        .max(1)
                    && est >= need
                {
                    found.push((a as u32, b));
                }
                k = m;
            }
            found
        })
        .collect();
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minhash::mix64;

    fn doc(range: std::ops::Range<u64>) -> Vec<u64> {
        range.map(mix64).collect()
    }

    #[test]
    fn a_story_inside_a_long_page_is_a_candidate_though_jaccard_is_low() {
        let story = doc(0..300);
        let mut page = doc(10_000..12_000);
        page.extend(&story); // J = 300 / 2300 = 0.13, containment of story = 1.0
        let unrelated = doc(50_000..50_300);
        let samples: Vec<Vec<u64>> = [story, page, unrelated]
            .iter()
            .map(|d| sample(d, 4))
            .collect();
        let c = candidates(&samples, &Params::default());
        assert_eq!(c, vec![(0, 1)]);
    }

    #[test]
    fn partial_overlap_below_the_threshold_is_not_a_candidate() {
        let a = doc(0..1000);
        let b: Vec<u64> = doc(0..100).into_iter().chain(doc(5000..5900)).collect(); // 10% shared
        let samples: Vec<Vec<u64>> = [a, b].iter().map(|d| sample(d, 2)).collect();
        assert!(candidates(&samples, &Params::default()).is_empty());
    }

    #[test]
    fn common_hashes_are_ignored() {
        // 300 documents share 20 boilerplate shingles, each has 200 of its own.
        let boiler = doc(0..20);
        let docs: Vec<Vec<u64>> = (0..300u64)
            .map(|i| {
                boiler
                    .iter()
                    .copied()
                    .chain(doc(1000 * (i + 1)..1000 * (i + 1) + 200))
                    .collect()
            })
            .collect();
        let samples: Vec<Vec<u64>> = docs.iter().map(|d| sample(d, 1)).collect();
        assert!(candidates(
            &samples,
            &Params {
                max_df: 100,
                ..Params::default()
            }
        )
        .is_empty());
    }
}
