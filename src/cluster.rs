//! Stage 6: verified matches -> clusters with a representative, guarded against chaining.
//!
//! Union-find over the matches gives connected components. A component is not trusted as a
//! cluster: near-duplicate is not transitive (A~B and B~C with C far from A), and on real
//! corpora long chains pull unrelated documents into one giant component. So each component is
//! split around representatives: the best remaining document by the keep policy becomes a
//! representative, every remaining member that meets the [`Criteria`] with it (exact Jaccard
//! at the threshold, or containment either way when that is on) joins its cluster, and the rest is split into components again (using only their own
//! matches) and processed the same way. Invariant: every member of a cluster meets the
//! criteria against the cluster's representative. A document left alone after the split is
//! not in any cluster, but its matches still appear among the pairs.

use crate::verify::{Criteria, Match, Similarity};
use rayon::prelude::*;

/// Union-find with path halving; the smaller index becomes the root, so roots are
/// deterministic.
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    /// `n` singletons.
    pub fn new(n: usize) -> UnionFind {
        UnionFind {
            parent: (0..n as u32).collect(),
        }
    }

    /// The root of `x`'s set.
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = self.parent[x as usize];
        }
        x
    }

    /// Joins the sets of `a` and `b`.
    pub fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent[hi as usize] = lo;
        }
    }
}

/// A cluster: its representative first, then the other members in input order, each with its
/// similarity to the representative (`a` = member, `b` = representative).
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// The representative (dense index).
    pub representative: u32,
    /// The other members and their similarity to the representative.
    pub members: Vec<(u32, Similarity)>,
}

/// Connected components (members sorted, components sorted by first member) of the graph
/// whose edges are `edges`, restricted to vertices with at least one edge.
pub fn components(n: usize, edges: impl Iterator<Item = (u32, u32)>) -> Vec<Vec<u32>> {
    let mut uf = UnionFind::new(n);
    let mut touched = vec![false; n];
    for (a, b) in edges {
        uf.union(a, b);
        touched[a as usize] = true;
        touched[b as usize] = true;
    }
    let mut by_root: Vec<Vec<u32>> = vec![Vec::new(); n];
    for x in 0..n as u32 {
        if touched[x as usize] {
            let r = uf.find(x);
            by_root[r as usize].push(x);
        }
    }
    // Roots are the smallest member, so iterating roots in order sorts components.
    by_root.into_iter().filter(|c| c.len() > 1).collect()
}

/// Builds clusters from `matches` over `n` documents.
///
/// `before(x, y)` is true when `x` is a better representative than `y` (the keep policy);
/// `similarity(member, rep)` verifies a pair that is not among the matches. With `guarded`
/// false, each connected component is one cluster (members may be below the threshold against
/// the representative).
pub fn cluster<B, S>(
    n: usize,
    matches: &[Match],
    criteria: Criteria,
    guarded: bool,
    before: B,
    similarity: S,
) -> Vec<Cluster>
where
    B: Fn(u32, u32) -> bool + Sync,
    S: Fn(u32, u32) -> Similarity + Sync,
{
    let comps = components(n, matches.iter().map(|m| (m.a, m.b)));
    // Matches by pair, for lookups only (never iterated, so its order cannot leak).
    let known: ahash::AHashMap<(u32, u32), Similarity> =
        matches.iter().map(|m| ((m.a, m.b), m.sim)).collect();
    let lookup = |member: u32, rep: u32| -> Similarity {
        if member < rep {
            known.get(&(member, rep)).copied()
        } else {
            known.get(&(rep, member)).map(|s| s.swapped())
        }
        .unwrap_or_else(|| similarity(member, rep))
    };
    // Each match goes to its component's edge list (one pass, not one per component).
    let mut comp_of = vec![u32::MAX; n];
    for (ci, c) in comps.iter().enumerate() {
        for &d in c {
            comp_of[d as usize] = ci as u32;
        }
    }
    let mut edges: Vec<Vec<(u32, u32)>> = vec![Vec::new(); comps.len()];
    for m in matches {
        edges[comp_of[m.a as usize] as usize].push((m.a, m.b));
    }
    let mut clusters: Vec<Cluster> = comps
        .into_par_iter()
        .zip(edges)
        .flat_map_iter(|(comp, e)| {
            if guarded {
                split(comp, e, &criteria, &before, &lookup)
            } else {
                vec![whole(comp, &before, &lookup)]
            }
        })
        .collect();
    clusters.sort_by_key(|c| {
        c.members
            .iter()
            .map(|m| m.0)
            .chain([c.representative])
            .min()
    });
    clusters
}

/// One component as one cluster around its best representative.
fn whole<B, L>(comp: Vec<u32>, before: &B, lookup: &L) -> Cluster
where
    B: Fn(u32, u32) -> bool,
    L: Fn(u32, u32) -> Similarity,
{
    let mut rep = comp[0];
    for &x in &comp[1..] {
        if before(x, rep) {
            rep = x;
        }
    }
    Cluster {
        representative: rep,
        members: comp
            .iter()
            .filter(|&&x| x != rep)
            .map(|&x| (x, lookup(x, rep)))
            .collect(),
    }
}

fn split<B, L>(
    comp: Vec<u32>,
    edges: Vec<(u32, u32)>,
    criteria: &Criteria,
    before: &B,
    lookup: &L,
) -> Vec<Cluster>
where
    B: Fn(u32, u32) -> bool,
    L: Fn(u32, u32) -> Similarity,
{
    let mut out = Vec::new();
    let mut stack = vec![(comp, edges)];
    while let Some((mut rest, edges)) = stack.pop() {
        let mut rep = rest[0];
        for &x in &rest[1..] {
            if before(x, rep) {
                rep = x;
            }
        }
        let mut members = Vec::new();
        let mut left = Vec::new();
        for &x in &rest {
            if x == rep {
                continue;
            }
            let s = lookup(x, rep);
            if criteria.meets(&s) {
                members.push((x, s));
            } else {
                left.push(x);
            }
        }
        if !members.is_empty() {
            out.push(Cluster {
                representative: rep,
                members,
            });
        }
        rest = left;
        if rest.len() < 2 {
            continue;
        }
        // Re-split what is left into components of its own matches.
        let sub: Vec<(u32, u32)> = edges
            .into_iter()
            .filter(|(a, b)| rest.binary_search(a).is_ok() && rest.binary_search(b).is_ok())
            .collect();
        let local: Vec<u32> = rest.clone();
        let idx = |x: u32| local.binary_search(&x).unwrap_or(0) as u32;
        let comps = components(local.len(), sub.iter().map(|&(a, b)| (idx(a), idx(b))));
        // Push in reverse so components are processed in order (output is sorted anyway).
        for c in comps.into_iter().rev() {
            let members: Vec<u32> = c.into_iter().map(|i| local[i as usize]).collect();
            let e = sub
                .iter()
                .copied()
                .filter(|(a, b)| {
                    members.binary_search(a).is_ok() && members.binary_search(b).is_ok()
                })
                .collect();
            stack.push((members, e));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(a: u32, b: u32, shared: u32) -> Match {
        Match {
            a,
            b,
            sim: Similarity {
                shared,
                size_a: 10,
                size_b: 10,
            },
        }
    }

    #[test]
    fn union_find_joins_and_roots_at_smallest() {
        let mut uf = UnionFind::new(5);
        uf.union(4, 2);
        uf.union(2, 3);
        assert_eq!(uf.find(4), 2);
        assert_eq!(uf.find(3), 2);
        assert_ne!(uf.find(0), uf.find(1));
    }

    /// A chain 0~1~2~3 where each link is strong but the ends are far apart must not become
    /// one cluster: every member must meet the threshold against its representative.
    #[test]
    fn chaining_is_guarded() {
        // shared 9 of 10 => J = 9/11 = 0.818 >= 0.8 on each link.
        let matches = vec![m(0, 1, 9), m(1, 2, 9), m(2, 3, 9)];
        let far = |a: u32, b: u32| Similarity {
            shared: if a.abs_diff(b) == 1 { 9 } else { 5 },
            size_a: 10,
            size_b: 10,
        };
        let whole = cluster(
            4,
            &matches,
            Criteria::jaccard(0.8),
            false,
            |x, y| x < y,
            far,
        );
        assert_eq!(whole.len(), 1, "plain components chain");
        assert_eq!(whole[0].members.len(), 3);
        let clusters = cluster(4, &matches, Criteria::jaccard(0.8), true, |x, y| x < y, far);
        assert_eq!(clusters.len(), 2);
        assert_eq!(clusters[0].representative, 0);
        assert_eq!(
            clusters[0].members.iter().map(|x| x.0).collect::<Vec<_>>(),
            vec![1]
        );
        assert_eq!(clusters[1].representative, 2);
        assert_eq!(
            clusters[1].members.iter().map(|x| x.0).collect::<Vec<_>>(),
            vec![3]
        );
        for c in &clusters {
            assert!(c.members.iter().all(|(_, s)| s.meets(0.8)));
        }
    }

    #[test]
    fn keep_policy_chooses_the_representative() {
        let matches = vec![m(0, 1, 10), m(1, 2, 10)];
        let same = |_: u32, _: u32| Similarity {
            shared: 10,
            size_a: 10,
            size_b: 10,
        };
        let c = cluster(
            3,
            &matches,
            Criteria::jaccard(0.8),
            true,
            |x, y| x > y,
            same,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].representative, 2);
        assert_eq!(
            c[0].members.iter().map(|x| x.0).collect::<Vec<_>>(),
            vec![0, 1]
        );
    }
}
