//! Stage 4: signatures -> candidate pairs, by LSH banding (MMDS ch. 3).
//!
//! A signature of `num_perm` values is cut into `bands` bands of `rows` values. Each band is
//! hashed to one 64-bit key (XXH3-64 of the rows' little-endian bytes, seeded with the band
//! number), and two documents become a candidate when they share a key in any band. A pair with
//! Jaccard `s` is a candidate with probability `1 - (1 - s^rows)^bands`, the S-curve.
//!
//! [`optimal_params`] picks `bands x rows <= num_perm` minimising the weighted areas under the
//! S-curve below the threshold (false positives) and above the curve beyond it (false
//! negatives), integrated with Simpson's rule. datasketch weighs both 0.5, which puts the
//! curve's midpoint on the threshold: a pair at exactly J = 0.8 is then found 40% of the time.
//! syndup verifies every candidate exactly, so a false positive costs one set intersection
//! while a false negative is lost for good: false negatives weigh [`FN_WEIGHT`] = 0.95. At
//! threshold 0.8 with 128 permutations that gives 16 bands x 8 rows: P = 0.95 at J = 0.8,
//! 0.98 at 0.83, and 0.06 at 0.5.
//!
//! Buckets are found by sorting `(key, doc)` per band (in parallel over bands), so the result
//! never depends on hash-map order. A bucket with more than `max_bucket` documents contributes
//! star edges to its first document only: boilerplate-only pages can share a bucket by the
//! thousand, and all pairs would be quadratic. `max_bucket` is at most [`MAX_BUCKET_LIMIT`],
//! so a band gives at most `n x (MAX_BUCKET_LIMIT - 1) / 2` pairs whatever the input (100,000
//! identical documents in one bucket of all pairs took 23.8 GB before the limit), and the
//! bands' pairs are merged as they are made, so identical buckets in every band cost one
//! band's pairs, not sixteen.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Seed base of the band-key hash ("syndup-b"); band `i` uses `BAND_SEED + i`.
pub const BAND_SEED: u64 = 0x7379_6e64_7570_2d62;

/// The largest `max_bucket` allowed: a bucket of that many documents gives about 500,000
/// pairs (4 MB) per band.
pub const MAX_BUCKET_LIMIT: usize = 1000;

/// The probability that a pair with Jaccard `s` becomes a candidate.
pub fn probability(s: f64, bands: usize, rows: usize) -> f64 {
    1.0 - (1.0 - s.powi(rows as i32)).powi(bands as i32)
}

fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    const N: usize = 256; // even
    if b <= a {
        return 0.0;
    }
    let h = (b - a) / N as f64;
    let mut sum = f(a) + f(b);
    for i in 1..N {
        let x = a + i as f64 * h;
        sum += if i % 2 == 1 { 4.0 } else { 2.0 } * f(x);
    }
    sum * h / 3.0
}

/// Weight of the false-negative area in [`optimal_params`] (false positives: `1 - FN_WEIGHT`).
pub const FN_WEIGHT: f64 = 0.95;

/// Bands and rows for `threshold` with `num_perm` values: the pair minimising
/// `(1 - FN_WEIGHT) * false-positive area + FN_WEIGHT * false-negative area`. Ties keep the
/// first found (fewest bands).
pub fn optimal_params(threshold: f64, num_perm: usize) -> (usize, usize) {
    let mut best = (1, num_perm.max(1));
    let mut best_err = f64::INFINITY;
    for bands in 1..=num_perm {
        for rows in 1..=num_perm / bands {
            let fp = simpson(|s| probability(s, bands, rows), 0.0, threshold);
            let fneg = simpson(|s| 1.0 - probability(s, bands, rows), threshold, 1.0);
            let err = (1.0 - FN_WEIGHT) * fp + FN_WEIGHT * fneg;
            if err < best_err - 1e-12 {
                best_err = err;
                best = (bands, rows);
            }
        }
    }
    best
}

/// A point of the S-curve, as reported.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Jaccard similarity.
    pub similarity: f64,
    /// Probability that a pair with that similarity becomes a candidate.
    pub probability: f64,
}

/// The S-curve at the similarities users ask about (rounded to 4 decimals).
pub fn s_curve(bands: usize, rows: usize) -> Vec<CurvePoint> {
    [0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
        .iter()
        .map(|&s| CurvePoint {
            similarity: s,
            probability: (probability(s, bands, rows) * 1e4).round() / 1e4,
        })
        .collect()
}

/// The key of band `band` of `sig` (rows `band*rows .. (band+1)*rows`).
#[inline]
pub fn band_key(sig: &[u32], band: usize, rows: usize) -> u64 {
    let mut bytes = [0u8; 4 * 64];
    let slice = &sig[band * rows..(band + 1) * rows];
    if rows <= 64 {
        for (dst, v) in bytes.chunks_exact_mut(4).zip(slice) {
            dst.copy_from_slice(&v.to_le_bytes());
        }
        xxh3_64_with_seed(&bytes[..rows * 4], BAND_SEED.wrapping_add(band as u64))
    } else {
        let v: Vec<u8> = slice.iter().flat_map(|x| x.to_le_bytes()).collect();
        xxh3_64_with_seed(&v, BAND_SEED.wrapping_add(band as u64))
    }
}

/// The bucket rule, the one every driver uses: the pairs of a bucket of `len` documents
/// (`doc(i)`, in increasing order), passed to `emit(smaller, larger)`. A bucket of at most
/// `max_bucket` documents gives all its pairs; a larger one gives star edges to its first
/// (smallest) document only, and the function returns true (a giant bucket).
#[inline]
pub fn bucket_pairs(
    len: usize,
    doc: impl Fn(usize) -> u32,
    max_bucket: usize,
    mut emit: impl FnMut(u32, u32),
) -> bool {
    if len > max_bucket {
        let anchor = doc(0);
        for x in 1..len {
            emit(anchor, doc(x));
        }
        true
    } else {
        for x in 0..len {
            for y in x + 1..len {
                emit(doc(x), doc(y));
            }
        }
        false
    }
}

/// Candidate pairs and bucket statistics.
#[derive(Debug, Clone, Default)]
pub struct Candidates {
    /// Pairs `(a, b)` with `a < b` (dense document indices), sorted and deduplicated.
    pub pairs: Vec<(u32, u32)>,
    /// Buckets larger than `max_bucket` (counted over all bands).
    pub giant_buckets: u64,
}

/// The union of two sorted, deduplicated vectors, sorted and deduplicated.
fn merge_sorted(a: Vec<u64>, b: Vec<u64>) -> Vec<u64> {
    if a.is_empty() {
        return b;
    }
    if b.is_empty() {
        return a;
    }
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        out.push(x.min(y));
        i += (x <= y) as usize;
        j += (y <= x) as usize;
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Finds candidate pairs among `n` signatures of length `num_perm` stored back to back in
/// `sigs`. Pure and deterministic (independent of the thread count).
pub fn candidates(
    sigs: &[u32],
    num_perm: usize,
    bands: usize,
    rows: usize,
    max_bucket: usize,
) -> Candidates {
    let n = sigs.len().checked_div(num_perm).unwrap_or(0);
    candidates_by(n, bands, max_bucket, |d, band| {
        band_key(&sigs[d * num_perm..(d + 1) * num_perm], band, rows)
    })
}

/// [`candidates`] from band keys made already: `keys[d * bands + band]` (see
/// [`crate::sketch::SketchParams::band_keys`]), 8 bytes a band instead of the signature.
pub fn candidates_from_keys(keys: &[u64], bands: usize, max_bucket: usize) -> Candidates {
    let n = keys.len().checked_div(bands).unwrap_or(0);
    candidates_by(n, bands, max_bucket, |d, band| keys[d * bands + band])
}

/// Candidate pairs of `n` documents whose key in band `band` is `key(d, band)`.
fn candidates_by(
    n: usize,
    bands: usize,
    max_bucket: usize,
    key: impl Fn(usize, usize) -> u64 + Sync,
) -> Candidates {
    // Each band's pairs, sorted and deduplicated, are merged into the others as soon as both
    // are made (a tree reduction): never all bands' pairs at once. Merging sorted sets is
    // associative and commutative, so the result does not depend on the thread count.
    let (all, giant_buckets) = (0..bands)
        .into_par_iter()
        .map(|band| {
            let mut keys: Vec<(u64, u32)> = (0..n).map(|d| (key(d, band), d as u32)).collect();
            keys.sort_unstable();
            let mut pairs = Vec::new();
            let mut giant = 0;
            let mut i = 0;
            while i < keys.len() {
                let mut j = i + 1;
                while j < keys.len() && keys[j].0 == keys[i].0 {
                    j += 1;
                }
                let bucket = &keys[i..j];
                giant += bucket_pairs(
                    bucket.len(),
                    |x| bucket[x].1,
                    max_bucket,
                    |a, b| pairs.push(pack(a, b)),
                ) as u64;
                i = j;
            }
            pairs.sort_unstable();
            pairs.dedup();
            (pairs, giant)
        })
        .reduce(
            || (Vec::new(), 0),
            |(a, ga), (b, gb)| (merge_sorted(a, b), ga + gb),
        );
    Candidates {
        pairs: all
            .into_iter()
            .map(|p| ((p >> 32) as u32, p as u32))
            .collect(),
        giant_buckets,
    }
}

/// Packs a pair with the smaller index in the high half (sorted packs = sorted pairs).
#[inline]
fn pack(a: u32, b: u32) -> u64 {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    (lo as u64) << 32 | hi as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimal_params_match_known_values() {
        // Within budget, high recall at the threshold, few candidates far below it.
        for t in [0.5, 0.7, 0.8, 0.9] {
            let (b, r) = optimal_params(t, 128);
            assert!(b * r <= 128);
            assert!(probability(t, b, r) > 0.85, "t={t} b={b} r={r}");
            assert!(probability(t - 0.3, b, r) < 0.3, "t={t} b={b} r={r}");
        }
        assert_eq!(optimal_params(0.8, 128), (16, 8));
    }

    /// Regression (issue 17, fault 10): 100,000 identical documents in one bucket of all
    /// pairs ran out of memory; a bucket above `max_bucket` gives star edges, and the bands'
    /// identical pairs are merged into one set.
    #[test]
    fn identical_signatures_give_star_edges_once() {
        let n = 3 * MAX_BUCKET_LIMIT;
        let sigs: Vec<u32> = (0..n).flat_map(|_| 0..128u32).collect();
        let c = candidates(&sigs, 128, 16, 8, MAX_BUCKET_LIMIT);
        assert_eq!(c.pairs.len(), n - 1);
        assert!(c.pairs.iter().all(|&(a, _)| a == 0));
        assert_eq!(c.giant_buckets, 16);
        assert_eq!(
            merge_sorted(vec![1, 3, 5], vec![2, 3, 6]),
            vec![1, 2, 3, 5, 6]
        );
        assert_eq!(merge_sorted(vec![], vec![4]), vec![4]);
        assert_eq!(merge_sorted(vec![4], vec![]), vec![4]);
    }

    #[test]
    fn s_curve_is_monotone() {
        let pts = s_curve(9, 13);
        assert!(pts.windows(2).all(|w| w[0].probability <= w[1].probability));
        assert!((probability(1.0, 9, 13) - 1.0).abs() < 1e-12);
        assert_eq!(probability(0.0, 9, 13), 0.0);
    }

    #[test]
    fn identical_signatures_are_candidates_and_giant_buckets_become_stars() {
        let num_perm = 8;
        let mut sigs = Vec::new();
        for d in 0..5u32 {
            // docs 0..3 identical, doc 4 different in every position
            let v = if d < 4 { 7 } else { 99 };
            sigs.extend(std::iter::repeat_n(v, num_perm));
        }
        let c = candidates(&sigs, num_perm, 4, 2, 10);
        assert_eq!(
            c.pairs,
            vec![(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
        );
        let c = candidates(&sigs, num_perm, 4, 2, 2);
        assert_eq!(c.pairs, vec![(0, 1), (0, 2), (0, 3)]);
        assert_eq!(c.giant_buckets, 4);
    }
}
