//! Assembling the report: matches -> guarded clusters with their likely source and member
//! roles, pairs with their relation, and the finished [`Report`].
//!
//! Clusters come from [`crate::cluster`] (union-find and the chaining guard, the keep policy
//! choosing the representative). Each cluster's source is the earliest date, else the member
//! that holds the others, else the first seen ([`Scan::source_of`]); each member's role is its
//! relation to that source. Similarities are rounded here, for the report only.

use super::Scan;
use crate::cluster;
use crate::document::DocIdx;
use crate::report::{
    self, ClusterReport, MemberReport, PairRelation, PairReport, RepeatReport, Report, SourceBy,
};
use crate::roles;
use crate::verify::{Criteria, Match, MatchKind, Similarity};
use crate::{ClusterMode, KeepPolicy};
use rayon::prelude::*;

/// Clusters and pairs for the report, and each document's cluster number (0: none).
pub(super) struct Assembled {
    pub(super) clusters: Vec<ClusterReport>,
    pub(super) pairs: Vec<PairReport>,
    pub(super) cluster_of: Vec<u64>,
}

impl Scan<'_> {
    /// Clusters `matches` and builds the cluster and pair reports (without passages).
    pub(super) fn assemble(&mut self, matches: &[Match], criteria: Criteria) -> Assembled {
        let c = &self.det.config;
        let n = self.store.ids.len();
        let this = &self;
        let s = &self.store;
        let ranks =
            (c.keep == KeepPolicy::Source).then(|| roles::source_ranks(n, matches, &s.date_keys));
        let before = |x: DocIdx, y: DocIdx| -> bool {
            roles::prefers(c.keep, ranks.as_deref(), x, y, |i| s.bytes[i], &s.date_keys)
        };
        let guarded = c.cluster == ClusterMode::Guarded;
        let clusters = cluster::cluster(n, matches, criteria, guarded, before, |a, b| {
            this.similarity(a, b)
        });

        let mut cluster_of = vec![0u64; n];
        let mut reports = Vec::with_capacity(clusters.len());
        let sources: Vec<(DocIdx, SourceBy)> = clusters
            .par_iter()
            .map(|cl| {
                let docs: Vec<DocIdx> = std::iter::once(cl.representative)
                    .chain(cl.members.iter().map(|m| m.0))
                    .collect();
                this.source_of(&docs, &criteria, ranks.is_some())
            })
            .collect();
        let member = |d: DocIdx, sim: Option<&Similarity>, source: DocIdx| -> MemberReport {
            let i = d as usize;
            let role = roles::role(d, source, &criteria, |a, b| this.similarity(a, b));
            MemberReport {
                doc: s.ids[i].to_string(),
                title: s.titles[i].to_string(),
                date: s.dates[i].as_deref().map(str::to_string),
                bytes: s.bytes[i],
                shingles: s.sizes[i],
                representative: sim.is_none(),
                role,
                jaccard: sim.map(|x| report::round4(x.jaccard())).unwrap_or(1.0),
                containment: sim
                    .map(|x| report::round4(x.containment_a_in_b()))
                    .unwrap_or(1.0),
            }
        };
        let mut clustered = 0u64;
        for (k, (cl, &(source, source_by))) in clusters.iter().zip(&sources).enumerate() {
            let id = k as u64 + 1;
            cluster_of[cl.representative as usize] = id;
            let mut details = vec![member(cl.representative, None, source)];
            for (d, sim) in &cl.members {
                cluster_of[*d as usize] = id;
                details.push(member(*d, Some(sim), source));
            }
            clustered += details.len() as u64;
            reports.push(ClusterReport {
                id,
                representative: details[0].doc.clone(),
                members: details.iter().map(|m| m.doc.clone()).collect(),
                details,
                source: s.ids[source as usize].to_string(),
                source_by,
            });
        }
        let pairs: Vec<PairReport> = matches
            .iter()
            .map(|m| {
                let (ca, cb) = (cluster_of[m.a as usize], cluster_of[m.b as usize]);
                let (relation, contained) = match criteria.relation(&m.sim) {
                    Some(MatchKind::AInB) => (PairRelation::Contained, Some(m.a)),
                    Some(MatchKind::BInA) => (PairRelation::Contained, Some(m.b)),
                    _ => (PairRelation::NearDuplicate, None),
                };
                PairReport {
                    a: s.ids[m.a as usize].to_string(),
                    b: s.ids[m.b as usize].to_string(),
                    jaccard: report::round4(m.sim.jaccard()),
                    containment: report::round4(m.sim.containment()),
                    containment_a_in_b: report::round4(m.sim.containment_a_in_b()),
                    containment_b_in_a: report::round4(m.sim.containment_b_in_a()),
                    shared: m.sim.shared,
                    shingles_a: m.sim.size_a,
                    shingles_b: m.sim.size_b,
                    cluster: (ca != 0 && ca == cb).then_some(ca),
                    relation,
                    contained: contained.map(|d| s.ids[d as usize].to_string()),
                    alignment: None,
                }
            })
            .collect();
        self.stats.clustered_documents += clustered;
        self.stats.contained_pairs = pairs.iter().filter(|p| p.contained.is_some()).count() as u64;
        Assembled {
            clusters: reports,
            pairs,
            cluster_of,
        }
    }

    /// The finished report: the counts that depend on everything, the problems in input
    /// order, and the parameters.
    pub(super) fn report(
        mut self,
        clusters: Vec<ClusterReport>,
        pairs: Vec<PairReport>,
        repeats: Vec<RepeatReport>,
    ) -> Report {
        let det = self.det;
        let n = self.store.ids.len();
        self.stats.repeats = repeats.len() as u64;
        self.stats.matches = pairs.len() as u64;
        self.stats.clusters = clusters.len() as u64;
        self.stats.duplicates = self.stats.clustered_documents - self.stats.clusters;
        self.stats.unique_documents = self.stats.documents - self.stats.duplicates;
        let mut problems = std::mem::take(&mut self.problems);
        problems.sort_by_key(|(k, _)| *k);
        let mut parameters = det.parameters();
        parameters.sentences = det.sentence_parameters(n as u64);
        Report {
            format_version: report::FORMAT_VERSION,
            tool: report::Tool::current(),
            parameters,
            stats: self.stats,
            clusters,
            pairs,
            repeats,
            problems: problems.into_iter().map(|(_, p)| p).collect(),
        }
    }

    /// The likely original of a cluster (`docs`, the representative first) and how it was
    /// chosen (see [`roles::source_of`]; `by_rank` under `--keep source`).
    pub(super) fn source_of(
        &self,
        docs: &[DocIdx],
        criteria: &Criteria,
        by_rank: bool,
    ) -> (DocIdx, SourceBy) {
        roles::source_of(docs, criteria, by_rank, &self.store.date_keys, |a, b| {
            self.similarity(a, b)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{doc, with_scan, words};
    use crate::report::SourceBy;
    use crate::Config;

    fn dated(id: &str, text: &str, date: Option<&str>) -> crate::Document {
        let mut d = doc(id, text);
        d.date = date.map(str::to_string);
        d
    }

    #[test]
    fn the_source_is_the_earliest_date_else_the_text_that_holds_the_others() {
        let story = words(0, 300);
        let docs = vec![
            dated("part", &words(0, 200), None),
            dated("whole", &story, None),
            dated("copy", &story, Some("2024-05-01")),
            dated("early", &story, Some("2024-04-01")),
        ];
        with_scan(Config::default(), &docs, |st| {
            let criteria = st.det.criteria();
            let mut prepared = vec![false; 4];
            let pairs = [(0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)];
            st.prepare_sets(&pairs, &[], &mut prepared);
            // Without dates: the member every other is in or near-duplicates.
            assert_eq!(
                st.source_of(&[0, 1], &criteria, false),
                (1, SourceBy::Containment)
            );
            // A date wins when every member has one.
            assert_eq!(st.source_of(&[2, 3], &criteria, false), (3, SourceBy::Date));
            // A member with the only date is not "the earliest" (regression, issue 18).
            assert_eq!(
                st.source_of(&[0, 1, 2], &criteria, false),
                (1, SourceBy::Containment)
            );
            // Nothing holds the other: first seen.
            assert_eq!(
                st.source_of(&[0], &criteria, false),
                (0, SourceBy::FirstSeen)
            );
        });
    }

    #[test]
    fn clusters_carry_roles_and_pairs_their_relation() {
        let story = words(0, 300);
        let docs = vec![
            doc("whole", &story),
            doc("copy", &format!("{story} w7777")),
            doc("part", &words(0, 150)),
        ];
        with_scan(Config::default(), &docs, |st| {
            let criteria = st.det.criteria();
            let pairs = vec![(0, 1), (0, 2), (1, 2)];
            let mut prepared = vec![false; 3];
            st.prepare_sets(&pairs, &[], &mut prepared);
            let matches = st.verify(&pairs, &criteria);
            let a = st.assemble(&matches, criteria);
            assert_eq!(a.clusters.len(), 1);
            let c = &a.clusters[0];
            assert_eq!(c.source, "whole");
            let roles: Vec<(&str, &str)> = c
                .details
                .iter()
                .map(|m| (m.doc.as_str(), m.role.as_str()))
                .collect();
            assert_eq!(
                roles,
                [
                    ("whole", "source"),
                    ("copy", "copy"),
                    ("part", "partial_copy")
                ]
            );
            assert_eq!(a.cluster_of, vec![1, 1, 1]);
            let rel: Vec<(&str, Option<&str>)> = a
                .pairs
                .iter()
                .map(|p| (p.relation.as_str(), p.contained.as_deref()))
                .collect();
            assert_eq!(
                rel,
                [
                    ("near_duplicate", None),
                    ("contained", Some("part")),
                    ("contained", Some("part"))
                ]
            );
        });
    }
}
