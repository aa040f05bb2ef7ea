//! Stage 6b: clusters -> each cluster's likely source and each member's role.
//!
//! Input: the verified matches, each document's parsed date, and a way to compare two
//! documents exactly (a closure, so the batch scan verifies on its stored sets and the
//! distributed flow on the sets of one partition of components). Output: the representative
//! order of `--keep source` ([`SourceRank`]), each cluster's source with how it was chosen
//! ([`source_of`]) and each member's [`Role`] towards it ([`role`]).
//!
//! Shared by `scan` (`detector/assemble`) and the distributed flow (`dist::assemble`), so both
//! name the same source and the same roles. Why these rules: copies made from one original are
//! each nearer to it than to each other (the largest sum of Jaccard similarities marks it when
//! dates do not), and a page that holds every other member names it as the original when no
//! date decides (measured on the generated corpora, see the README).

use crate::cluster;
use crate::config::KeepPolicy;
use crate::verify::{Criteria, Match, MatchKind, Similarity};
use serde::{Deserialize, Serialize};

/// Clusters with more members than this get their source by date or input order only (the
/// containment rule compares every pair of members).
pub const SOURCE_MAX_MEMBERS: usize = 64;

/// How a cluster's likely source was chosen (`ClusterReport::source_by` in the report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceBy {
    /// `date`: the member with the earliest date.
    Date,
    /// `containment`: the member every other is a near-duplicate of or contained in.
    Containment,
    /// `first_seen`: neither applies, the first member in input order.
    FirstSeen,
    /// `similarity`: under `--keep source` when dates do not decide, the member nearest the
    /// others (the largest sum of Jaccard similarities over its verified matches).
    Similarity,
}

/// A cluster member's relation to the cluster's likely source (`MemberReport::role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// `source`: the likely original itself.
    Source,
    /// `copy`: a near-duplicate of the source.
    Copy,
    /// `partial_copy`: contains, or is contained in, the source without being a
    /// near-duplicate.
    PartialCopy,
}

/// How likely a document is to be the original of its component, for `--keep source`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SourceRank {
    /// Its date, when every document of its component has one (else dates decide nothing).
    date: Option<i64>,
    /// The sum of its matches' Jaccard similarities: the original is near every copy, copies
    /// are near the original more than each other.
    centrality: f64,
}

impl SourceRank {
    /// True when `self` (document `x`) is a likelier original than `other` (document `y`).
    pub fn before(&self, other: &SourceRank, x: u32, y: u32) -> bool {
        let by_date = match (self.date, other.date) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => std::cmp::Ordering::Equal,
        };
        by_date
            .then(other.centrality.total_cmp(&self.centrality))
            .then(x.cmp(&y))
            .is_lt()
    }
}

/// Each document's [`SourceRank`]: dates count only in components whose documents all have
/// one (a lone dated member is not the earliest of anything), and the Jaccard sums are added
/// in match order (deterministic).
pub fn source_ranks(n: usize, matches: &[Match], date_keys: &[Option<i64>]) -> Vec<SourceRank> {
    let mut ranks = vec![SourceRank::default(); n];
    for m in matches {
        let j = m.sim.jaccard();
        ranks[m.a as usize].centrality += j;
        ranks[m.b as usize].centrality += j;
    }
    for comp in cluster::components(n, matches.iter().map(|m| (m.a, m.b))) {
        if comp.iter().all(|&d| date_keys[d as usize].is_some()) {
            for d in comp {
                ranks[d as usize].date = date_keys[d as usize];
            }
        }
    }
    ranks
}

/// True when `x` is a better representative than `y`: by `ranks` under `--keep source`
/// (given), else by the keep policy on text sizes (`bytes`) and dates.
pub fn prefers(
    keep: KeepPolicy,
    ranks: Option<&[SourceRank]>,
    x: u32,
    y: u32,
    bytes: impl Fn(usize) -> u64,
    date_keys: &[Option<i64>],
) -> bool {
    match ranks {
        Some(r) => r[x as usize].before(&r[y as usize], x, y),
        None => keep.prefers(x as usize, y as usize, bytes, |i| date_keys[i]),
    }
}

/// The likely original of a cluster (`docs`, the representative first) and how it was
/// chosen. Under `--keep source` (`by_rank`) it is the representative, chosen by date or as
/// the member nearest the others. Otherwise: the earliest date when every member has a
/// readable one (a member with the only date is not "the earliest"); among members with that
/// date (or all, without dates) the first in input order that every other member is a
/// near-duplicate of or contained in, when at least one is contained (clusters of up to
/// [`SOURCE_MAX_MEMBERS`]); else the first in input order. `similarity(a, b)` compares two
/// members exactly.
pub fn source_of(
    docs: &[u32],
    criteria: &Criteria,
    by_rank: bool,
    date_keys: &[Option<i64>],
    similarity: impl Fn(u32, u32) -> Similarity,
) -> (u32, SourceBy) {
    if by_rank {
        // Under --keep source the representative is the likely source: by date when the
        // dates decided it, else as the member nearest the others. (The rule below, which
        // prefers the text that holds the others, names a page that embeds a story as its
        // source; measured on a generated corpus it finds the original less often.)
        let rep = docs[0];
        let all_dated = docs.iter().all(|&d| date_keys[d as usize].is_some());
        let min = docs.iter().filter_map(|&d| date_keys[d as usize]).min();
        let by = if all_dated && date_keys[rep as usize] == min {
            SourceBy::Date
        } else {
            SourceBy::Similarity
        };
        return (rep, by);
    }
    let mut pool: Vec<u32> = docs.to_vec();
    pool.sort_unstable();
    let mut by = SourceBy::FirstSeen;
    let all_dated = docs.iter().all(|&d| date_keys[d as usize].is_some());
    if let Some(min) = docs
        .iter()
        .filter_map(|&d| date_keys[d as usize])
        .min()
        .filter(|_| all_dated)
    {
        pool.retain(|&d| date_keys[d as usize] == Some(min));
        by = SourceBy::Date;
        if pool.len() == 1 {
            return (pool[0], by);
        }
    }
    if docs.len() <= SOURCE_MAX_MEMBERS {
        for &m in &pool {
            let mut contains_one = false;
            let holds_all = docs.iter().all(|&o| {
                if o == m {
                    return true;
                }
                match criteria.relation(&similarity(o, m)) {
                    Some(MatchKind::NearDuplicate) => true,
                    Some(MatchKind::AInB) => {
                        contains_one = true;
                        true
                    }
                    _ => false,
                }
            });
            if holds_all && contains_one {
                let by = if by == SourceBy::Date {
                    by
                } else {
                    SourceBy::Containment
                };
                return (m, by);
            }
        }
    }
    (pool[0], by)
}

/// The role of member `d` of a cluster whose source is `source`: its relation to the source
/// (members joined through the representative only share part of the text with it).
pub fn role(
    d: u32,
    source: u32,
    criteria: &Criteria,
    similarity: impl Fn(u32, u32) -> Similarity,
) -> Role {
    if d == source {
        return Role::Source;
    }
    match criteria.relation(&similarity(d, source)) {
        Some(MatchKind::NearDuplicate) => Role::Copy,
        _ => Role::PartialCopy,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim(shared: u32, size_a: u32, size_b: u32) -> Similarity {
        Similarity {
            shared,
            size_a,
            size_b,
        }
    }

    #[test]
    fn the_source_holds_the_others_unless_dates_decide() {
        let c = Criteria {
            jaccard: 0.8,
            containment: Some(0.7),
            min_shingles: 10,
        };
        // 0 is a part of 1; 2 is a copy of 1.
        let s = |a: u32, b: u32| match (a.min(b), a.max(b)) {
            (0, 1) | (0, 2) if a == 0 => sim(50, 50, 100),
            (0, 1) | (0, 2) => sim(50, 100, 50),
            _ => sim(95, 100, 100),
        };
        let none = [None, None, None];
        assert_eq!(
            source_of(&[2, 0, 1], &c, false, &none, s),
            (1, SourceBy::Containment)
        );
        let dated = [Some(5), Some(9), Some(7)];
        assert_eq!(
            source_of(&[2, 0, 1], &c, false, &dated, s),
            (0, SourceBy::Date)
        );
        assert_eq!(
            source_of(&[2, 0, 1], &c, true, &dated, s),
            (2, SourceBy::Similarity)
        );
        assert_eq!(role(0, 1, &c, s), Role::PartialCopy);
        assert_eq!(role(2, 1, &c, s), Role::Copy);
        assert_eq!(role(1, 1, &c, s), Role::Source);
    }

    #[test]
    fn ranks_prefer_the_member_nearest_the_others() {
        let m = |a, b, shared| Match {
            a,
            b,
            sim: sim(shared, 10, 10),
        };
        // 1 is near both 0 and 2, which are less near each other.
        let matches = [m(0, 1, 9), m(1, 2, 9), m(0, 2, 8)];
        let r = source_ranks(3, &matches, &[None, None, None]);
        assert!(prefers(KeepPolicy::Source, Some(&r), 1, 0, |_| 0, &[]));
        assert!(!prefers(KeepPolicy::Source, Some(&r), 2, 1, |_| 0, &[]));
        assert!(prefers(
            KeepPolicy::Longest,
            None,
            2,
            1,
            |i| i as u64,
            &[None; 3]
        ));
    }
}
