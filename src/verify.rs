//! Stage 5: candidate pairs -> matches with exact Jaccard and containment.
//!
//! Every LSH candidate is checked on the exact shingle sets (sorted `Vec<u64>`): the size of
//! the intersection by a linear merge (or galloping when one set is much smaller), then
//! Jaccard `|A∩B| / |A∪B|` and both directed containments `|A∩B| / |A|`, `|A∩B| / |B|`, all
//! ratios of integer counts, so results are identical on every machine and thread count.
//! With [`crate::VerifyMode::Estimate`] the intersection is estimated from the signatures
//! (`J (|A| + |B|) / (1 + J)`), which needs no shingle sets in memory.

use serde::Serialize;

/// A verified pair with the integer counts its similarities come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Similarity {
    /// Shingles in common (estimated under `--verify estimate`).
    pub shared: u32,
    /// Shingles of the first document.
    pub size_a: u32,
    /// Shingles of the second document.
    pub size_b: u32,
}

impl Similarity {
    /// Computes the counts from two sorted, deduplicated shingle sets.
    pub fn exact(a: &[u64], b: &[u64]) -> Similarity {
        Similarity {
            shared: intersection_size(a, b) as u32,
            size_a: a.len() as u32,
            size_b: b.len() as u32,
        }
    }

    /// Estimates the counts from a Jaccard estimate and the set sizes.
    pub fn estimated(jaccard: f64, size_a: u32, size_b: u32) -> Similarity {
        let shared = (jaccard * (size_a as f64 + size_b as f64) / (1.0 + jaccard)).round();
        let shared = (shared as u32).min(size_a).min(size_b);
        Similarity {
            shared,
            size_a,
            size_b,
        }
    }

    /// |A∩B| / |A∪B|.
    pub fn jaccard(&self) -> f64 {
        let union = self.size_a as u64 + self.size_b as u64 - self.shared as u64;
        if union == 0 {
            0.0
        } else {
            self.shared as f64 / union as f64
        }
    }

    /// |A∩B| / |A|: how much of the first document lies in the second.
    pub fn containment_a_in_b(&self) -> f64 {
        ratio(self.shared, self.size_a)
    }

    /// |A∩B| / |B|: how much of the second document lies in the first.
    pub fn containment_b_in_a(&self) -> f64 {
        ratio(self.shared, self.size_b)
    }

    /// The larger directed containment.
    pub fn containment(&self) -> f64 {
        ratio(self.shared, self.size_a.min(self.size_b))
    }

    /// True when Jaccard >= `threshold`, compared on integers scaled to avoid rounding drift:
    /// `shared >= threshold * union`.
    pub fn meets(&self, threshold: f64) -> bool {
        let union = self.size_a as f64 + self.size_b as f64 - self.shared as f64;
        union > 0.0 && self.shared as f64 >= threshold * union - 1e-9
    }

    /// The same counts seen from the other side.
    pub fn swapped(&self) -> Similarity {
        Similarity {
            shared: self.shared,
            size_a: self.size_b,
            size_b: self.size_a,
        }
    }
}

/// Rounds a similarity to 4 decimals, as reports and passage coverages give it (the integer
/// counts it comes from are reported too, so nothing is lost). It lives here, beside the
/// ratios it rounds, so that stages and writers alike can use it without depending on the
/// report.
pub fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

fn ratio(n: u32, d: u32) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

/// Size of the intersection of two sorted, deduplicated slices (shingle hashes, or the
/// containment search's keys and fingerprints).
pub fn intersection_size<T: Ord + Copy>(a: &[T], b: &[T]) -> usize {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if small.is_empty() {
        return 0;
    }
    if large.len() / small.len() >= 16 {
        // Galloping: binary-search each small element in the shrinking rest of `large`.
        let mut rest = large;
        let mut n = 0;
        for x in small {
            match rest.binary_search(x) {
                Ok(i) => {
                    n += 1;
                    rest = &rest[i + 1..];
                }
                Err(i) => rest = &rest[i..],
            }
            if rest.is_empty() {
                break;
            }
        }
        return n;
    }
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        n += (x == y) as usize;
        i += (x <= y) as usize;
        j += (y <= x) as usize;
    }
    n
}

/// What makes two documents a reported pair: Jaccard at or above `jaccard`, or (with
/// containment on) one document at least `containment` inside the other, the contained one
/// having at least `min_shingles` shingles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Criteria {
    /// Jaccard threshold (near-duplicates).
    pub jaccard: f64,
    /// Directed containment threshold; `None`: Jaccard only.
    pub containment: Option<f64>,
    /// Fewest distinct shingles of a contained document.
    pub min_shingles: u32,
}

/// What kind of match a pair is: how its two documents relate, with the direction of a
/// containment (a report's pair has `relation: contained` and names the inner document).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchKind {
    /// Both are largely the same text (Jaccard at or above the threshold).
    NearDuplicate,
    /// The first document lies (mostly) inside the second.
    AInB,
    /// The second document lies (mostly) inside the first.
    BInA,
}

impl Criteria {
    /// Jaccard only.
    pub fn jaccard(threshold: f64) -> Criteria {
        Criteria {
            jaccard: threshold,
            containment: None,
            min_shingles: 0,
        }
    }

    /// The pair's relation, or `None` when it meets neither threshold. Near-duplicate wins
    /// when Jaccard meets its threshold; otherwise the larger directed containment decides
    /// the direction (ties: the second document inside the first, as copies usually come
    /// later).
    pub fn relation(&self, s: &Similarity) -> Option<MatchKind> {
        if s.meets(self.jaccard) {
            return Some(MatchKind::NearDuplicate);
        }
        let c = self.containment?;
        // shared >= c * size, on the integers, for the side with fewer shingles.
        let inside = |size: u32| {
            size >= self.min_shingles.max(1) && s.shared as f64 >= c * size as f64 - 1e-9
        };
        if s.size_b <= s.size_a && inside(s.size_b) {
            Some(MatchKind::BInA)
        } else if s.size_a < s.size_b && inside(s.size_a) {
            Some(MatchKind::AInB)
        } else {
            None
        }
    }

    /// True when the pair is reported.
    pub fn meets(&self, s: &Similarity) -> bool {
        self.relation(s).is_some()
    }
}

/// A verified match between two documents (dense indices, `a < b`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// The earlier document.
    pub a: u32,
    /// The later document.
    pub b: u32,
    /// Counts the similarities come from.
    pub sim: Similarity,
}

#[cfg(test)]
mod tests {
    #[test]
    fn relations_follow_jaccard_then_the_smaller_side() {
        use super::{Criteria, MatchKind, Similarity};
        let c = Criteria {
            jaccard: 0.8,
            containment: Some(0.7),
            min_shingles: 10,
        };
        let sim = |shared, size_a, size_b| Similarity {
            shared,
            size_a,
            size_b,
        };
        assert_eq!(
            c.relation(&sim(90, 100, 100)),
            Some(MatchKind::NearDuplicate)
        );
        // A truncated copy: 50 of b's 50 shingles are in a (J = 0.5).
        assert_eq!(c.relation(&sim(50, 100, 50)), Some(MatchKind::BInA));
        assert_eq!(c.relation(&sim(50, 50, 100)), Some(MatchKind::AInB));
        // 70% of the smaller side is exactly the threshold; 69% is below.
        assert_eq!(c.relation(&sim(70, 100, 300)), Some(MatchKind::AInB));
        assert_eq!(c.relation(&sim(69, 100, 300)), None);
        // A tiny text inside a page is not a partial copy.
        assert_eq!(c.relation(&sim(9, 9, 300)), None);
        assert_eq!(Criteria::jaccard(0.8).relation(&sim(50, 50, 100)), None);
        assert!(c.meets(&sim(50, 100, 50)) && !c.meets(&sim(10, 100, 100)));
    }

    use super::*;

    #[test]
    fn counts_and_ratios() {
        let a = [1u64, 2, 3, 4];
        let b = [3u64, 4, 5, 6, 7, 8];
        let s = Similarity::exact(&a, &b);
        assert_eq!(s.shared, 2);
        assert_eq!(s.jaccard(), 2.0 / 8.0);
        assert_eq!(s.containment_a_in_b(), 0.5);
        assert_eq!(s.containment_b_in_a(), 2.0 / 6.0);
        assert_eq!(s.containment(), 0.5);
        assert!(s.meets(0.25) && !s.meets(0.26));
    }

    #[test]
    fn galloping_agrees_with_merge() {
        let small: Vec<u64> = vec![5, 100, 2000, 40_000, 99_999];
        let large: Vec<u64> = (0..100_000).step_by(5).collect();
        let naive = small.iter().filter(|x| large.contains(x)).count();
        assert_eq!(intersection_size(&small, &large), naive);
        assert_eq!(intersection_size(&large, &small), naive);
        assert_eq!(intersection_size(&[], &large), 0);
    }
}
