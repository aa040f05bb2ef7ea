//! Containment candidates: pairs where much of one document lies inside another, even when
//! their Jaccard similarity is low (a story trimmed, or embedded in a longer page).
//!
//! Input: each document's shingle hashes. Output: candidate pairs `(a, b)` (dense indices, `a <
//! b`) for exact verification of both directed containments.
//!
//! MinHash/LSH estimates Jaccard, which is small when one text is short and the other long even
//! if the short one is fully inside the long one. Containment needs a sample that is the same in
//! both documents whatever their sizes: content-defined sampling (Broder 1997; the "mod-m"
//! sample; Manber 1994): a shingle is sampled when its hash is in the lowest `1/rate` of the
//! range, so a shingle is sampled in every document that has it. Then `|S(A) ∩ S(B)| / |S(A)|`
//! estimates the containment of A in B. An inverted index from sampled hash to documents finds
//! the pairs that share samples; a pair is a candidate when the estimate for its smaller side
//! is within `z` standard errors of the threshold, and at least `slack x threshold` (see
//! [`Params::needed`] and [`candidates`]). Posting lists of hashes in
//! more than `max_df` documents (boilerplate) are never walked. Before exact verification (which
//! reads both texts again), a candidate is confirmed on a sample twice as dense: the sampled
//! keys and 16-bit fingerprints of as many shingles again ([`fingerprints`], [`confirm`]). Deterministic: sorted postings, sorted output.

use crate::verify::intersection_size;
use rayon::prelude::*;

/// The sampled shingles of a document: sorted, deduplicated hashes in the lowest `1/rate` of
/// the hash range (`rate` 1 keeps them all). The hashes are well mixed, so that is one shingle
/// in `rate`, and a shingle sampled at rate 8 is also sampled at rate 4.
pub fn sample(shingles: &[u64], rate: u64) -> Vec<u64> {
    let cut = sample_cut(rate);
    let mut v: Vec<u64> = shingles.iter().copied().filter(|&h| h <= cut).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The largest sampled hash at `rate`: the lowest `1/rate` of the range.
fn sample_cut(rate: u64) -> u64 {
    u64::MAX / rate.max(1)
}

/// The [`key`]s of a document's sampled shingles (see [`sample`]) and its [`fingerprints`],
/// each sorted and distinct, in one pass over the shingles: what [`Samples::push_keys`] and
/// [`Fingerprints::push_keys`] take. Made where the document is signed (in parallel), so the
/// sequential append only copies them.
pub fn sample_keys(shingles: &[u64], rate: u64) -> (Vec<u32>, Vec<u16>) {
    let (cut, fine_cut) = (sample_cut(rate), sample_cut(fine_rate(rate)));
    // The finer sample holds the search sample (`cut <= fine_cut`): one comparison a shingle
    // picks the shingles of either, and a second pass over those few (one in `fine_rate`)
    // splits them. Neither pass branches (which shingle is sampled is a coin toss, so a
    // branch would be mispredicted often): each item is written at the next place of its
    // buffer, and the place moves on only when the item belongs there.
    // The first pass writes into a buffer of the thread's, which only grows: a fresh one
    // would be allocated and zeroed for every document.
    thread_local! {
        static PICKED: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let (mut fine, mut keys, mut nf, mut nk) = (Vec::new(), Vec::new(), 0, 0);
    PICKED.with_borrow_mut(|picked| {
        if picked.len() <= shingles.len() {
            picked.resize(shingles.len() + 1, 0);
        }
        let mut n = 0;
        for &h in shingles {
            picked[n] = h;
            n += (h <= fine_cut) as usize;
        }
        fine = vec![0u16; n + 1];
        keys = vec![0u32; n + 1];
        for &h in &picked[..n] {
            let search = h <= cut;
            fine[nf] = fingerprint(h);
            nf += !search as usize;
            keys[nk] = key(h);
            nk += search as usize;
        }
    });
    fine.truncate(nf);
    keys.truncate(nk);
    fine.sort_unstable();
    keys.sort_unstable();
    keys.dedup();
    fine.dedup();
    (keys, fine)
}

/// Settings of the candidate search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Directed containment at or above which a pair is wanted.
    pub threshold: f64,
    /// Candidates need an estimate of at least `slack * threshold` whatever their sample size
    /// (the floor for small samples; verification is exact).
    pub slack: f64,
    /// ... and of at least `threshold - z x` the standard error of the estimate at the
    /// threshold, `sqrt(threshold x (1 - threshold) / samples)`: a document whose sample is
    /// large enough for a precise estimate is not a candidate of every text it shares a few
    /// stories with. At 4, a pair exactly at the threshold is missed with probability 0.003%
    /// (normal approximation of the sampled count). At 3 the 100k peer corpus had 39% fewer
    /// candidates than at 4, but the 1M scale corpus lost 96 of its 332,794 `contained` pairs
    /// (7 at 4).
    pub z: f64,
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
            z: 4.0,
            max_df: 200,
            min_shared: 2,
        }
    }
}

impl Params {
    /// The shared samples a pair needs to be a candidate when its smaller side has `all`
    /// samples, `visible` of them in at most `max_df` documents: the estimate over the visible
    /// samples within `z` standard errors of the threshold, `ceil(visible x max(0, threshold -
    /// z x sqrt(threshold x (1 - threshold) / visible)))`, and never less than `ceil(all x
    /// slack x threshold)` (the floor for small samples, over all of them so that a document
    /// with much boilerplate does not probe more lists than it ever did), at least
    /// `min(min_shared, all)` and 1. The engine's SQL (`dist/driver.py`) computes the same
    /// expression, operation by operation.
    pub fn needed(&self, visible: usize, all: usize) -> usize {
        self.floor(all).max(self.confirmed(visible))
    }

    /// The shared samples that put an estimate over `samples` within `z` standard errors
    /// of the threshold: `ceil(samples x max(0, threshold - z x sqrt(threshold x (1 -
    /// threshold) / samples)))`, 0 for no samples.
    pub fn confirmed(&self, samples: usize) -> usize {
        if samples == 0 {
            return 0;
        }
        let t = self.threshold;
        let v = samples as f64;
        let error = (t * (1.0 - t) / v).sqrt();
        ((t - self.z * error).max(0.0) * v).ceil() as usize
    }

    /// The count [`Params::needed`] never goes under: `ceil(all x slack x threshold)`, at
    /// least `min(min_shared, all)` and 1.
    pub fn floor(&self, all: usize) -> usize {
        (((self.slack * self.threshold).max(0.0) * all as f64).ceil() as usize)
            .max(self.min_shared.min(all))
            .max(1)
    }
}

/// Containment candidates among near-duplicate classes: the documents joined by the `near`
/// pairs (Jaccard matches) form classes, each class is searched through one member (its
/// smallest index; the other members' samples are dropped), and every pair across two classes
/// found is returned, sorted and deduplicated. Large families of copies would otherwise make
/// the shared-sample search quadratic, and the pairs inside a class are known already.
/// `samples` holds one sample per document (`n` of them).
pub fn class_candidates(
    samples: Vec<Box<[u64]>>,
    near: impl IntoIterator<Item = (u32, u32)>,
    p: &Params,
) -> Vec<(u32, u32)> {
    let mut flat = Samples::default();
    for s in samples {
        flat.push(&s);
    }
    class_candidates_of(&flat, near, p)
}

/// [`class_candidates`] over samples held back to back ([`Samples`]).
pub fn class_candidates_of(
    samples: &Samples,
    near: impl IntoIterator<Item = (u32, u32)>,
    p: &Params,
) -> Vec<(u32, u32)> {
    let n = samples.documents();
    let mut uf = crate::cluster::UnionFind::new(n);
    for (a, b) in near {
        uf.union(a, b);
    }
    let root: Vec<u32> = (0..n as u32).map(|d| uf.find(d)).collect();
    drop(uf);
    let found = candidates(
        &Roots {
            samples,
            root: &root,
        },
        p,
    );
    // Class members, by root.
    let mut by_root: Vec<(u32, u32)> = (0..n as u32).map(|d| (root[d as usize], d)).collect();
    by_root.sort_unstable();
    let class = |r: u32| {
        let i = by_root.partition_point(|x| x.0 < r);
        let j = by_root.partition_point(|x| x.0 <= r);
        &by_root[i..j]
    };
    let mut pairs: Vec<(u32, u32)> = found
        .iter()
        .flat_map(|&(a, b)| {
            class(a)
                .iter()
                .flat_map(move |&(_, x)| class(b).iter().map(move |&(_, y)| (x.min(y), x.max(y))))
        })
        .collect();
    pairs.par_sort_unstable();
    pairs.dedup();
    pairs
}

/// Per-document samples, however they are held: each as sorted, distinct index keys
/// ([`key`]).
pub trait SampleSet: Sync {
    /// The number of documents.
    fn documents(&self) -> usize;
    /// Document `d`'s sample keys (sorted, distinct).
    fn of(&self, d: usize) -> &[u32];
}

/// The index key of a sampled hash: its low 32 bits.
///
/// A sample is chosen by the high bits of the hash (the lowest `1/rate` of the range), and a
/// well-mixed hash's low half is independent of them, so keys are as good as hashes for
/// finding shared samples at half the memory. Two different shingles with one key (about one
/// sampled hash in 15 at 300 million distinct ones) only add a chance shared count, which
/// cannot make a pair a candidate on its own (it needs `slack x threshold` of a sample), and
/// candidates are verified exactly.
#[inline]
pub fn key(hash: u64) -> u32 {
    hash as u32
}

/// Per-document runs of items held back to back in one vector, with no allocation per
/// document: [`Samples`] (4 bytes a sampled key) and [`Fingerprints`] (2 bytes a
/// fingerprint), 8 bytes a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packed<T> {
    items: Vec<T>,
    ends: Vec<u64>,
}

impl<T> Default for Packed<T> {
    fn default() -> Packed<T> {
        Packed {
            items: Vec::new(),
            ends: Vec::new(),
        }
    }
}

/// Each document's sampled keys (see [`key`]), sorted and distinct.
pub type Samples = Packed<u32>;

/// Each document's fingerprints (see [`fingerprints`]), sorted and distinct.
pub type Fingerprints = Packed<u16>;

impl<T: Copy + Ord> Packed<T> {
    /// Appends the next document's items, already sorted and distinct (from [`sample_keys`]
    /// or [`fingerprints`]).
    pub fn push_keys(&mut self, items: &[T]) {
        debug_assert!(items.windows(2).all(|w| w[0] < w[1]));
        self.items.extend_from_slice(items);
        self.ends.push(self.items.len() as u64);
    }

    /// The number of documents.
    pub fn documents(&self) -> usize {
        self.ends.len()
    }

    /// Document `d`'s items.
    pub fn of(&self, d: usize) -> &[T] {
        let start = if d == 0 { 0 } else { self.ends[d - 1] as usize };
        &self.items[start..self.ends[d] as usize]
    }

    /// Empties the items of the documents for which `keep` is false, in place.
    pub fn retain(&mut self, keep: impl Fn(usize) -> bool) {
        let mut write = 0usize;
        let mut start = 0usize;
        for d in 0..self.ends.len() {
            let end = self.ends[d] as usize;
            if keep(d) {
                self.items.copy_within(start..end, write);
                write += end - start;
            }
            start = end;
            self.ends[d] = write as u64;
        }
        self.items.truncate(write);
        self.items.shrink_to_fit();
    }

    /// The number of items in all.
    pub fn total(&self) -> usize {
        self.items.len()
    }

    /// Bytes held.
    pub fn heap_bytes(&self) -> u64 {
        (std::mem::size_of::<T>() * self.items.capacity()) as u64 + 8 * self.ends.capacity() as u64
    }
}

impl Samples {
    /// Appends the next document's sample (hashes from [`sample`]), as sorted, distinct keys.
    pub fn push(&mut self, sample: &[u64]) {
        let mut keys: Vec<u32> = sample.iter().map(|&h| key(h)).collect();
        keys.sort_unstable();
        keys.dedup();
        self.push_keys(&keys);
    }
}

impl SampleSet for Samples {
    fn documents(&self) -> usize {
        Packed::documents(self)
    }
    fn of(&self, d: usize) -> &[u32] {
        Packed::of(self, d)
    }
}

/// The samples of the documents that are their class's root (`root[d] == d`); the others
/// have none. The samples of all stay, for [`confirm`].
struct Roots<'a> {
    samples: &'a Samples,
    root: &'a [u32],
}

impl SampleSet for Roots<'_> {
    fn documents(&self) -> usize {
        self.samples.documents()
    }
    fn of(&self, d: usize) -> &[u32] {
        if self.root[d] == d as u32 {
            self.samples.of(d)
        } else {
            &[]
        }
    }
}

/// The fingerprint of a sampled hash: 16 bits of it (bits 32 to 47), independent of the
/// bits that choose the sample and of the index [`key`].
#[inline]
pub fn fingerprint(hash: u64) -> u16 {
    (hash >> 32) as u16
}

/// The rate of the finer sample that confirms candidates: half the search's `rate` (twice
/// the shingles), at least 1.
pub fn fine_rate(rate: u64) -> u64 {
    (rate / 2).max(1)
}

/// The [`fingerprint`]s of a document's shingles sampled at [`fine_rate`] of `rate` but not at
/// `rate` (those are in [`sample`]), sorted and distinct: with the sample's keys, what
/// [`confirm`] estimates containment from. 2 bytes a fingerprint, about as many fingerprints
/// as sampled keys (none at rate 1).
pub fn fingerprints(shingles: &[u64], rate: u64) -> Vec<u16> {
    let (cut, fine_cut) = (sample_cut(rate), sample_cut(fine_rate(rate)));
    let mut v: Vec<u16> = shingles
        .iter()
        .filter(|&&h| h <= fine_cut && h > cut)
        .map(|&h| fingerprint(h))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The candidates (sorted) whose estimate on the finer sample could still reach the
/// threshold: the sample keys and the fingerprints two documents share are at least
/// [`Params::confirmed`] of one side's keys and fingerprints. The search's sample is sparse
/// for short texts (20 samples cannot tell a containment of 0.3 from 0.5, so the floor lets
/// through pairs that are far below the threshold), and exact verification reads both texts
/// again; twice the samples rule most of those pairs out first, for 2 bytes a fingerprint.
/// A key or fingerprint shared by chance only adds to the count, so it never rules a pair
/// out. Order kept.
pub fn confirm(
    pairs: Vec<(u32, u32)>,
    samples: &Samples,
    fine: &Fingerprints,
    p: &Params,
) -> Vec<(u32, u32)> {
    pairs
        .into_par_iter()
        .filter(|&(a, b)| {
            let (a, b) = (a as usize, b as usize);
            let (ka, kb, fa, fb) = (samples.of(a), samples.of(b), fine.of(a), fine.of(b));
            let both = intersection_size(ka, kb) + intersection_size(fa, fb);
            let (na, nb) = (ka.len() + fa.len(), kb.len() + fb.len());
            both >= p.confirmed(na).min(p.confirmed(nb))
        })
        .collect()
}

/// Bytes of `(key, document)` postings sorted at a time while the inverted index is built:
/// the key range is cut into as many parts as it takes, so the index never needs 8 bytes
/// for every sample at once.
const PART_BYTES: usize = 128 << 20;

/// How many postings walking the rest of a document's lists may read per lookup it saves
/// (a lookup is a binary search in another document's list, a cache miss or two; a posting
/// one increment). Measured on the 100k peer corpus and the 1M scale corpus: walking always
/// is best at 100k (lists of ~26 documents, a counter array in cache) and 1.6x slower at 1M
/// (lists up to `max_df`, 4 MB of counters); looking up always is the reverse. Past
/// [`WALK_MAX_DOCUMENTS`] every posting walked is a miss in a counter array far larger than
/// the cache (40 MB at 10M documents), so the rest is always looked up.
const WALK_FACTOR: usize = 2;

/// Documents up to which walking the rest may be chosen (a counter array of 8 MB). The 10M
/// scale run with walking allowed took 168.6 s in the containment stage against 102.2 s
/// without it (different days, so an upper bound on the harm, not a measure of it).
const WALK_MAX_DOCUMENTS: usize = 1 << 21;

/// Lists up to this long record each document's place in them (one byte a posting), so a
/// document walking the list starts after itself without a search.
const LISTED: usize = u8::MAX as usize + 1;

/// Candidate pairs from per-document samples (see [`sample`]).
///
/// Each document A walks the posting lists of its samples that occur in other documents and
/// counts, in a dense per-thread array, how many it shares with every document B that comes
/// after it in the order (samples, index) (so each pair is counted once, from its smaller
/// side): documents are numbered again in that order, so that is the tail of each list. Posting lists
/// longer than `max_df` are not walked, and their samples are left out of A's: a pair is a
/// candidate when the count reaches [`Params::needed`] of A's other samples (A's visible
/// samples). The work is the sum over samples of their document frequency.
///
/// The inverted index keeps only hashes found in two documents or more (8 bytes a posting: the
/// document in the hash's list and the hash's rank in the document's row; up to 2M documents,
/// a ninth, the document's place in the list when the list is at most 256 long): it is built
/// part by part of the hash range, each part's `(hash, document)` postings (128 MiB at most)
/// put into buckets of about a thousand by the high bits of the hash and each bucket sorted on
/// its own.
pub fn candidates<T: SampleSet + ?Sized>(samples: &T, p: &Params) -> Vec<(u32, u32)> {
    let walk = if samples.documents() <= WALK_MAX_DOCUMENTS {
        WALK_FACTOR
    } else {
        0
    };
    candidates_in_parts(samples, p, PART_BYTES, walk)
}

/// [`candidates`] with the inverted index built `part_bytes` of postings at a time, and
/// `walk_factor` in place of [`WALK_FACTOR`].
fn candidates_in_parts<T: SampleSet + ?Sized>(
    samples: &T,
    p: &Params,
    part_bytes: usize,
    walk_factor: usize,
) -> Vec<(u32, u32)> {
    let n = samples.documents();
    let size = |d: usize| samples.of(d).len();
    let total: usize = (0..n).map(size).sum();
    let top = (0..n)
        .filter_map(|d| samples.of(d).last().copied())
        .max()
        .unwrap_or(0);
    let parts = (total * 8).div_ceil(part_bytes.max(1)).max(1) as u128;
    // Documents are numbered again by (samples, index), the order in which the smaller side
    // of a pair probes: a document's probe then walks only the tail of each list (the
    // documents after it), and `pos`/`order` map between the two numberings.
    let order: Vec<u32> = {
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.par_sort_unstable_by_key(|&d| (size(d as usize), d));
        order
    };
    let mut pos = vec![0u32; n];
    for (i, &d) in order.iter().enumerate() {
        pos[d as usize] = i as u32;
    }
    // Part `i` holds the keys `h` with `floor(h x parts / (top + 1)) == i`, that is the keys
    // under `ceil((i + 1) x (top + 1) / parts)` not in an earlier part: one 128-bit division
    // per part, not one per key looked at (at 10M documents, 45 parts, the division per
    // comparison was 4% of the run's samples).
    let part_end = |i: usize| ((i as u128 + 1) * (top as u128 + 1)).div_ceil(parts) as u64;
    // Runs of one hash in at least two documents, in hash order: (document frequency, start
    // in `post`); `post` holds each run's documents (new numbers), increasing.
    let mut runs: Vec<(u32, usize)> = Vec::new();
    let mut post: Vec<u32> = Vec::new();
    // Where each document's next part starts: its keys are sorted and the parts are ranges,
    // so a part is the next run of each document's keys, and every key is visited once
    // (not once per part: the parts grow with the corpus).
    let mut next: Vec<u32> = vec![0; n];
    for part in 0..parts as usize {
        let end = part_end(part);
        // This part's keys of each document (they come next in its sorted keys).
        let slices: Vec<(u32, u32)> = next
            .par_iter_mut()
            .enumerate()
            .map(|(d, at)| {
                let keys = &samples.of(d)[*at as usize..];
                let len = keys.partition_point(|&h| (h as u64) < end);
                let from = *at;
                *at += len as u32;
                (from, len as u32)
            })
            .collect();
        let keys_of = |d: usize| {
            let (from, len) = slices[d];
            &samples.of(d)[from as usize..(from + len) as usize]
        };
        let count: usize = slices.iter().map(|s| s.1 as usize).sum();
        if count == 0 {
            continue;
        }
        // Postings `key << 32 | new number`, put into buckets of about a thousand by the high
        // bits of the key (a counting scatter), each bucket then sorted on its own and in
        // parallel: no sort of the whole part, and one buffer.
        let (lo, hi) = (0..n)
            .into_par_iter()
            .filter_map(|d| Some((*keys_of(d).first()?, *keys_of(d).last()?)))
            .reduce(|| (u32::MAX, 0), |(l, h), (a, b)| (l.min(a), h.max(b)));
        let want = (count / 1024).max(1) as u64;
        let mut shift = 0;
        while (((hi - lo) as u64) >> shift) + 1 > want {
            shift += 1;
        }
        let bucket = |h: u32| ((h - lo) as u64 >> shift) as usize;
        let buckets = bucket(hi) + 1;
        // Bucket sizes, counted over ranges of documents in parallel and added up.
        let sizes = (0..n)
            .into_par_iter()
            .fold(
                || vec![0usize; buckets],
                |mut at, d| {
                    for &h in keys_of(d) {
                        at[bucket(h)] += 1;
                    }
                    at
                },
            )
            .reduce(
                || vec![0usize; buckets],
                |mut x, y| {
                    x.iter_mut().zip(&y).for_each(|(a, b)| *a += b);
                    x
                },
            );
        let mut bounds = vec![0usize; buckets + 1];
        for b in 0..buckets {
            bounds[b + 1] = bounds[b] + sizes[b];
        }
        drop(sizes);
        let mut buf = vec![0u64; count];
        scatter(&mut buf, &bounds, || {
            pos.iter().enumerate().flat_map(|(d, &p)| {
                keys_of(d)
                    .iter()
                    .map(move |&h| (bucket(h), (h as u64) << 32 | p as u64))
            })
        });
        let mut pieces: Vec<&mut [u64]> = Vec::with_capacity(bounds.len() - 1);
        let mut rest = buf.as_mut_slice();
        for w in bounds.windows(2) {
            let (piece, tail) = rest.split_at_mut(w[1] - w[0]);
            pieces.push(piece);
            rest = tail;
        }
        // Per bucket: its runs of one key in two documents or more (frequency, documents).
        let found: Vec<(Vec<u32>, Vec<u32>)> = pieces
            .into_par_iter()
            .map(|piece| {
                piece.sort_unstable();
                let (mut dfs, mut docs) = (Vec::new(), Vec::new());
                for run in piece.chunk_by(|x, y| x >> 32 == y >> 32) {
                    if run.len() >= 2 {
                        dfs.push(run.len() as u32);
                        docs.extend(run.iter().map(|&x| x as u32));
                    }
                }
                (dfs, docs)
            })
            .collect();
        drop(buf);
        for (dfs, docs) in found {
            let mut start = post.len();
            for df in dfs {
                runs.push((df, start));
                start += df as usize;
            }
            post.extend_from_slice(&docs);
        }
    }
    drop(next);
    drop(pos);
    post.shrink_to_fit();
    // Rarest first: a stable counting sort by frequency keeps hash order within one
    // frequency (the runs come in hash order), with no random access into `post`.
    let runs = {
        let top = runs.iter().map(|r| r.0 as usize).max().unwrap_or(0);
        let mut at = vec![0usize; top + 2];
        for r in &runs {
            at[r.0 as usize + 1] += 1;
        }
        for f in 1..at.len() {
            at[f] += at[f - 1];
        }
        let mut sorted = vec![(0u32, 0usize); runs.len()];
        for r in runs {
            sorted[at[r.0 as usize]] = r;
            at[r.0 as usize] += 1;
        }
        sorted
    };
    // Each document's shared samples as ranks, rarest first (CSR layout, by new number).
    let mut first = vec![0usize; n + 1];
    for &(df, start) in &runs {
        for &d in &post[start..start + df as usize] {
            first[d as usize + 1] += 1;
        }
    }
    for d in 0..n {
        first[d + 1] += first[d];
    }
    // Writing a rank is a cache miss at 10M documents (one thread did it in 33 CPU seconds
    // there, while the other waited): the scatter shares the writes out.
    let mut ranks = vec![0u32; first[n]];
    scatter(&mut ranks, &first, || {
        runs.iter().enumerate().flat_map(|(r, &(df, start))| {
            post[start..start + df as usize]
                .iter()
                .map(move |&d| (d as usize, r as u32))
        })
    });
    // ... and the place of the document in each of those lists, for the lists it may walk
    // (at most `LISTED` long): finding it by binary search, once per list walked, was 36% of
    // the stage's samples at 100k documents (a dependent load per step). Ranks are in order
    // of frequency, so the longer lists come last in every row: leaving them out leaves each
    // row's places beside its ranks.
    // Only where the rest may be walked ([`WALK_MAX_DOCUMENTS`]): past it every step is a
    // cache miss in the counters anyway, and the places would add a byte a posting (about
    // 490 MB to the peak of the 10M scale run, for no time saved).
    let recorded = walk_factor > 0;
    let mut places = Vec::new();
    if recorded {
        places = vec![0u8; first[n]];
        scatter(&mut places, &first, || {
            runs.iter()
                .filter(|r| r.0 as usize <= LISTED)
                .flat_map(|&(df, start)| {
                    post[start..start + df as usize]
                        .iter()
                        .enumerate()
                        .map(|(k, &d)| (d as usize, k as u8))
                })
        });
    }
    let of = |d: usize| &ranks[first[d]..first[d + 1]];
    let places_of = |d: usize| {
        if recorded {
            &places[first[d]..first[d + 1]]
        } else {
            &places[..0]
        }
    };
    // Samples per document by new number (non-decreasing).
    let size = |d: usize| size(order[d] as usize);
    // Ranks are in order of frequency, so the lists walked (at most `max_df` long) are the
    // ranks under this one.
    let walked_ranks = runs.partition_point(|r| r.0 as usize <= p.max_df);
    // Documents in blocks, each block with one dense counter array (allocating one per
    // rayon split would spend more time zeroing pages than counting).
    let block = (n / 64).max(1024);
    let mut out: Vec<(u32, u32)> = (0..n.div_ceil(block))
        .into_par_iter()
        .flat_map_iter(|bi| {
            let mut count = vec![0u32; n];
            let mut touched: Vec<u32> = Vec::new();
            let mut found = Vec::new();
            // The tails of `a`'s lists walked: (from, end) in `post`.
            let mut tails: Vec<(usize, usize)> = Vec::new();
            for a in bi * block..((bi + 1) * block).min(n) {
                let mine = of(a);
                let sa = size(a);
                // The samples whose lists are walked (rarest first, so those over `max_df`
                // come last); only they count. The others (boilerplate) are left out of the
                // estimate: it is the share of A's visible samples found in B.
                let walk = mine.partition_point(|&r| (r as usize) < walked_ranks);
                let m = p.needed(sa - (mine.len() - walk), sa);
                if walk < m {
                    continue;
                }
                // Where each list's documents after `a` are (the ones `a` probes): `a` is in
                // the list, at the place recorded when the list is short enough. The lists
                // are found first, all of them (independent loads, a cache miss each at
                // scale, overlap), then walked.
                tails.clear();
                let places = places_of(a);
                tails.extend(mine[..walk].iter().enumerate().map(|(i, &r)| {
                    let (df, start) = runs[r as usize];
                    let end = start + df as usize;
                    let from = if recorded && df as usize <= LISTED {
                        start + places[i] as usize + 1
                    } else {
                        start + post[start..end].partition_point(|&b| b as usize <= a)
                    };
                    (from, end)
                }));
                // Prefix filtering: a document sharing `m` of the `walk` samples shares one
                // of the rarest `walk - m + 1`. A longer prefix is as correct, and the one
                // of the floor count (`floor <= m`) is walked: walking a list is cheap, and
                // every touched document then looks up at most `floor - 1` samples (at 10M
                // documents each lookup is a cache miss; the prefix of `m` itself made the
                // containment stage twice as slow). Their lists are walked, counting shared
                // samples with every document after this one (`count` is all zeros between
                // documents) ...
                let prefix = walk - p.floor(sa).min(m) + 1;
                for (i, &(from, end)) in tails[..prefix].iter().enumerate() {
                    fetch_ahead(&post, &tails, i);
                    for &b in &post[from..end] {
                        let c = &mut count[b as usize];
                        if *c == 0 {
                            touched.push(b);
                        }
                        *c += 1;
                    }
                }
                // ... and the common rest counted for those documents only: by walking the
                // rest's lists when that reads fewer postings than looking each sample up in
                // every touched document's own list (sorted ranks) would.
                let rest = &mine[prefix..walk];
                let walked: usize = tails[prefix..].iter().map(|t| t.1 - t.0).sum();
                let searches: usize = touched
                    .iter()
                    .map(|&b| rest.len().min(2 * count[b as usize] as usize))
                    .sum();
                let pair = |b: u32| {
                    let (x, y) = (order[a], order[b as usize]);
                    (x.min(y), x.max(y))
                };
                if walked <= walk_factor.saturating_mul(searches) {
                    for (i, &(from, end)) in tails.iter().enumerate().skip(prefix) {
                        fetch_ahead(&post, &tails, i);
                        for &b in &post[from..end] {
                            let c = &mut count[b as usize];
                            *c += (*c != 0) as u32;
                        }
                    }
                    for &b in touched.iter() {
                        if std::mem::take(&mut count[b as usize]) as usize >= m {
                            found.push(pair(b));
                        }
                    }
                } else {
                    for &b in touched.iter() {
                        let mut c = std::mem::take(&mut count[b as usize]) as usize;
                        let theirs = of(b as usize);
                        for (i, r) in rest.iter().enumerate() {
                            if c >= m || c + (rest.len() - i) < m {
                                break;
                            }
                            c += theirs.binary_search(r).is_ok() as usize;
                        }
                        if c >= m {
                            found.push(pair(b));
                        }
                    }
                }
                touched.clear();
            }
            found
        })
        .collect();
    out.par_sort_unstable();
    out
}

/// How many lists ahead of the one walked the walk asks for a list's postings (see
/// [`fetch_ahead`]). Measured on the 100k peer corpus (the walk alone, alternating builds): 4
/// took 0.29-0.31 s, 8 0.30-0.33 s, 16 0.34-0.48 s, none 0.55-0.94 s.
const AHEAD: usize = 4;

/// While list tail `i` of `tails` (ranges of `post`) is walked, asks the processor for the
/// first postings of tail `i + AHEAD`, without waiting for them. A document's walk reads a
/// tail of a dozen postings from each of its lists, each anywhere in `post` (26 MB at 100k
/// documents): a cache miss a list, and the loads of the next lists are not issued while
/// the loop over the current one runs. Profiled, the load of a list's first posting held 78%
/// of the walk's samples.
#[inline(always)]
fn fetch_ahead(post: &[u32], tails: &[(usize, usize)], i: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(x) = tails.get(i + AHEAD).and_then(|t| post.get(t.0)) {
        // SAFETY: SSE is part of the x86-64 baseline, and a prefetch only hints at an address
        // (here one inside `v`); it reads nothing into the program and cannot fault.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                (x as *const u32).cast(),
            )
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (post, tails, i);
}

/// The scatter of a counting sort, in parallel: group `g`'s items go to
/// `out[bounds[g]..bounds[g + 1]]`, in the order `items` gives them (`bounds` holds the prefix
/// sums of the groups' sizes). Each worker takes a range of groups and its piece of `out`,
/// goes over every `(group, value)` of `items` and writes those of its groups: reading
/// everything again per worker is sequential, and the writes, a cache miss each in a large
/// table, are shared out.
fn scatter<T, I>(out: &mut [T], bounds: &[usize], items: impl Fn() -> I + Sync)
where
    T: Copy + Send,
    I: Iterator<Item = (usize, T)>,
{
    let groups = bounds.len() - 1;
    let step = groups.div_ceil(rayon::current_num_threads().max(1)).max(1);
    let mut pieces: Vec<(usize, &mut [T])> = Vec::new();
    let mut rest = out;
    for g0 in (0..groups).step_by(step) {
        let g1 = (g0 + step).min(groups);
        let (piece, tail) = rest.split_at_mut(bounds[g1] - bounds[g0]);
        pieces.push((g0, piece));
        rest = tail;
    }
    pieces.into_par_iter().for_each(|(g0, piece)| {
        let g1 = (g0 + step).min(groups);
        let mut at: Vec<usize> = bounds[g0..g1].iter().map(|&x| x - bounds[g0]).collect();
        for (g, v) in items() {
            if (g0..g1).contains(&g) {
                let w = &mut at[g - g0];
                piece[*w] = v;
                *w += 1;
            }
        }
    });
}

#[cfg(test)]
mod tests;
