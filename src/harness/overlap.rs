//! Word-5-gram overlap, the measure the planted edit levels are tuned for.
//!
//! Input: two texts. Output: their exact Jaccard and containment over distinct word 5-grams
//! (tokens: lower-case alphanumeric runs), as an [`Overlap`]. Deliberately independent of
//! syndup's own normalisation and shingles, so the generator's calibration (`model.rs`: how
//! novel unrelated documents are) and its tests do not move when the detector changes; the
//! evaluator scores with syndup's shingles instead (see [`eval`](super::eval)).

use super::random::mix;

/// Sorted, deduplicated hashes of word 5-grams (tokens: lower-case alphanumeric runs).
pub(super) fn word_shingles(text: &str) -> Vec<u64> {
    let toks: Vec<u64> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.chars()
                .flat_map(char::to_lowercase)
                .fold(0x1234_5678u64, |h, c| mix(h ^ u64::from(c)))
        })
        .collect();
    let mut out: Vec<u64> = toks
        .windows(5)
        .map(|w| w.iter().fold(0u64, |h, &t| mix(h ^ t)))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn intersection(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

pub(super) fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let i = intersection(a, b);
    let u = a.len() + b.len() - i;
    if u == 0 {
        1.0
    } else {
        i as f64 / u as f64
    }
}

/// Word-5-gram overlap of two texts, the measure the planted levels are tuned for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overlap {
    /// `|A ∩ B| / |A ∪ B|` over distinct word 5-grams.
    pub jaccard: f64,
    /// `|A ∩ B| / min(|A|, |B|)`: how much of the shorter text is in the longer one.
    pub containment: f64,
}

/// Exact word-5-gram Jaccard and containment of two texts (tokens: lower-case
/// alphanumeric runs). Handy for checking planted pairs against their level.
pub fn shingle_overlap(a: &str, b: &str) -> Overlap {
    let (sa, sb) = (word_shingles(a), word_shingles(b));
    let i = intersection(&sa, &sb);
    let small = sa.len().min(sb.len());
    Overlap {
        jaccard: jaccard(&sa, &sb),
        containment: if small == 0 {
            1.0
        } else {
            i as f64 / small as f64
        },
    }
}
