//! Assembling the report: matches -> guarded clusters with their likely source and member
//! roles, pairs with their relation, and the finished [`Report`].
//!
//! Clusters come from [`crate::cluster`] (union-find and the chaining guard, the keep policy
//! choosing the representative). Each cluster's source is the earliest date, else the member
//! that holds the others, else the first seen ([`Scan::source_of`]); each member's role is its
//! relation to that source. Similarities are rounded here, for the report only.

use super::batches::{self, Kept, Make, Reuse};
use super::held::{Held, Out};
use super::spool::Spool;
use super::texts::Texts;
use super::Scan;
use crate::align::Alignment;
use crate::cluster;
use crate::document::DocIdx;
use crate::error::Result;
use crate::report::{
    self, ClusterReport, MemberReport, PairRelation, PairReport, RepeatReport, Report, SourceBy,
};
use crate::roles;
use crate::verify::{Criteria, Match, MatchKind, Similarity};
use crate::{ClusterMode, KeepPolicy, VerifyMode};
use rayon::prelude::*;
use std::cell::RefCell;
use std::time::{Duration, Instant};

/// Each document's cluster number (0: none), once the clusters and pairs have gone out.
pub(super) struct Assembled {
    pub(super) cluster_of: Vec<u64>,
    /// The part of the time spent aligning passages.
    pub(super) passages_time: Duration,
}

/// A cluster before the clusters are put in order and numbered.
struct Draft {
    /// Its smallest document (the order of clusters in the report).
    first: DocIdx,
    /// The representative first, then the other members.
    docs: Vec<DocIdx>,
    details: Vec<MemberReport>,
    source: DocIdx,
    source_by: SourceBy,
}

impl Scan<'_> {
    /// Clusters `matches` and builds the cluster and pair reports, with the passages of every
    /// pair when they are on. The matched documents are loaded in batches of whole components
    /// (see [`super::batches`]): the chaining guard, the sources and the roles compare members
    /// that are not matches, and the titles, dates and passages come from the texts.
    ///
    /// The clusters, then the pairs, go to `out` in report order once every batch is done;
    /// until then they wait in memory, or in a temporary file in `--tmp-dir` when `out`
    /// streams (see [`super::held`]).
    pub(super) fn assemble(
        &mut self,
        matches: &[Match],
        criteria: Criteria,
        texts: &Texts,
        out: &mut Out,
        kept: &RefCell<Kept>,
    ) -> Result<Assembled> {
        let c = &self.det.config;
        let n = self.store.ids.len();
        let this = &*self;
        let s = &self.store;
        let ranks =
            (c.keep == KeepPolicy::Source).then(|| roles::source_ranks(n, matches, &s.date_keys));
        let before = |x: DocIdx, y: DocIdx| -> bool {
            roles::prefers(c.keep, ranks.as_deref(), x, y, |i| s.bytes[i], &s.date_keys)
        };
        let guarded = c.cluster == ClusterMode::Guarded;
        let make = Make {
            sets: c.verify == VerifyMode::Exact,
            passages: c.passages,
            meta: true,
        };
        let edges: Vec<(DocIdx, DocIdx)> = matches.iter().map(|m| (m.a, m.b)).collect();
        // The kept documents are taken out batch by batch: the budget is what they leave.
        let budget = this.budget().saturating_sub(kept.borrow().bytes());
        let plan = batches::plan(n, &edges, |d| this.weight(d, make), budget, true);
        drop(edges);
        let spill = || -> Result<Option<Spool>> {
            match (&c.tmp_dir, out.streams()) {
                (Some(dir), true) => Spool::create(dir).map(Some),
                _ => Ok(None),
            }
        };
        // Clusters wait (held) until every batch is done: then they are put in order of
        // their first document and numbered. Kept here: that order and their documents.
        let mut bodies: Held<ClusterReport> = Held::new(0, spill()?);
        let mut order: Vec<(DocIdx, u32)> = Vec::new();
        let mut docs_of: Vec<Box<[DocIdx]>> = Vec::new();
        let mut alignments: Held<Alignment> =
            Held::new(if c.passages { matches.len() } else { 0 }, spill()?);
        let mut passages_time = Duration::ZERO;
        let reuse = Some((kept, Reuse::Take));
        this.load_each(&plan, make, texts, reuse, |batch, loaded| {
            let sim = |a: DocIdx, b: DocIdx| this.similarity_in(&loaded, a, b);
            // Clustered in the batch's own numbering (its documents in order, so every
            // order and tie-break is the same), then named again.
            let ld = &loaded.docs;
            let local: Vec<Match> = batch
                .pairs
                .iter()
                .map(|&i| {
                    let m = matches[i as usize];
                    Match {
                        a: loaded.at(m.a) as DocIdx,
                        b: loaded.at(m.b) as DocIdx,
                        sim: m.sim,
                    }
                })
                .collect();
            let clusters = cluster::cluster(
                ld.len(),
                &local,
                criteria,
                guarded,
                |x: DocIdx, y: DocIdx| before(ld[x as usize], ld[y as usize]),
                |x: DocIdx, y: DocIdx| sim(ld[x as usize], ld[y as usize]),
            );
            drop(local);
            let drafts: Vec<Draft> = clusters
                .into_par_iter()
                .map(|cl| {
                    let cl = cluster::Cluster {
                        representative: ld[cl.representative as usize],
                        members: cl
                            .members
                            .into_iter()
                            .map(|(d, x)| (ld[d as usize], x))
                            .collect(),
                    };
                    let docs: Vec<DocIdx> = std::iter::once(cl.representative)
                        .chain(cl.members.iter().map(|m| m.0))
                        .collect();
                    let (source, source_by) =
                        this.source_of(&docs, &criteria, ranks.is_some(), &sim);
                    let member = |d: DocIdx, x: Option<&Similarity>| -> MemberReport {
                        let i = d as usize;
                        let at = loaded.at(d);
                        let role = roles::role(d, source, &criteria, sim);
                        MemberReport {
                            doc: s.ids[i].to_string(),
                            title: loaded.titles[at].clone(),
                            date: loaded.dates[at].clone(),
                            bytes: s.bytes[i],
                            shingles: match loaded.sets.get(at) {
                                Some(set) => set.len() as u32,
                                None => s.sizes[i],
                            },
                            representative: x.is_none(),
                            role,
                            jaccard: x.map(|x| report::round4(x.jaccard())).unwrap_or(1.0),
                            containment: x
                                .map(|x| report::round4(x.containment_a_in_b()))
                                .unwrap_or(1.0),
                        }
                    };
                    let mut details = vec![member(cl.representative, None)];
                    details.extend(cl.members.iter().map(|(d, x)| member(*d, Some(x))));
                    Draft {
                        first: docs.iter().copied().min().unwrap_or(cl.representative),
                        docs,
                        details,
                        source,
                        source_by,
                    }
                })
                .collect();
            let mut reports = Vec::with_capacity(drafts.len());
            for draft in drafts {
                order.push((draft.first, order.len() as u32));
                docs_of.push(draft.docs.into_boxed_slice());
                reports.push(ClusterReport {
                    id: 0,
                    representative: draft.details[0].doc.clone(),
                    members: draft.details.iter().map(|m| m.doc.clone()).collect(),
                    details: draft.details,
                    source: s.ids[draft.source as usize].to_string(),
                    source_by: draft.source_by,
                });
            }
            bodies.push(reports)?;
            if c.passages {
                let t = Instant::now();
                let found: Vec<(u32, Alignment)> = batch
                    .pairs
                    .par_iter()
                    .map(|&i| {
                        let m = &matches[i as usize];
                        let (pa, pb) = (
                            &loaded.prepared[loaded.at(m.a)],
                            &loaded.prepared[loaded.at(m.b)],
                        );
                        (i, crate::align::align_prepared(pa, pb))
                    })
                    .collect();
                alignments.put(found.into_iter().map(|(i, al)| (i as usize, al)).collect())?;
                passages_time += t.elapsed();
            }
            Ok(())
        })?;
        bodies.finish()?;
        alignments.finish()?;
        // Report order: by first document (clusters are disjoint, so no ties).
        order.sort_unstable();
        let mut cluster_of = vec![0u64; n];
        let mut clustered = 0u64;
        for (k, &(_, slot)) in order.iter().enumerate() {
            for &d in docs_of[slot as usize].iter() {
                cluster_of[d as usize] = k as u64 + 1;
            }
            clustered += docs_of[slot as usize].len() as u64;
        }
        drop(docs_of);
        let mut id = 0u64;
        bodies.drain(order.iter().map(|x| x.1 as usize), |chunk| {
            for c in chunk {
                let mut c = c.ok_or_else(|| crate::Error::internal("a cluster went missing"))?;
                id += 1;
                c.id = id;
                out.cluster(c)?;
            }
            Ok(())
        })?;
        drop(bodies);
        let pair = |m: &Match, alignment: Option<Alignment>| -> PairReport {
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
                alignment,
            }
        };
        let mut contained_pairs = 0u64;
        let mut emit = |m: &Match, al: Option<Alignment>| -> Result<()> {
            let p = pair(m, al);
            contained_pairs += p.contained.is_some() as u64;
            out.pair(p)
        };
        if c.passages {
            let mut next = matches.iter();
            alignments.drain(0..matches.len(), |chunk| {
                for al in chunk {
                    let m = next
                        .next()
                        .ok_or_else(|| crate::Error::internal("a pair went missing"))?;
                    emit(m, al)?;
                }
                Ok(())
            })?;
        } else {
            for m in matches {
                emit(m, None)?;
            }
        }
        let stats = &mut self.stats;
        stats.clustered_documents += clustered;
        stats.clusters = order.len() as u64;
        stats.matches = matches.len() as u64;
        stats.contained_pairs = contained_pairs;
        Ok(Assembled {
            cluster_of,
            passages_time,
        })
    }

    /// The finished report: the counts that depend on everything, the problems in input
    /// order, and the parameters.
    pub(super) fn report(
        mut self,
        clusters: Vec<ClusterReport>,
        pairs: Vec<PairReport>,
        repeats: Vec<RepeatReport>,
    ) -> Report {
        self.stats.repeats = repeats.len() as u64;
        self.stats.duplicates = self.stats.clustered_documents - self.stats.clusters;
        self.stats.unique_documents = self.stats.documents - self.stats.duplicates;
        let mut problems = std::mem::take(&mut self.problems);
        problems.sort_by_key(|(k, _)| *k);
        Report {
            format_version: report::FORMAT_VERSION,
            tool: report::Tool::current(),
            parameters: self.report_parameters(),
            stats: self.stats,
            clusters,
            pairs,
            repeats,
            problems: problems.into_iter().map(|(_, p)| p).collect(),
        }
    }

    /// The report's parameters, with those that depend on the number of documents.
    pub(super) fn report_parameters(&self) -> report::Parameters {
        let mut parameters = self.det.parameters();
        parameters.sentences = self.det.sentence_parameters(self.store.ids.len() as u64);
        parameters
    }

    /// The likely original of a cluster (`docs`, the representative first) and how it was
    /// chosen (see [`roles::source_of`]; `by_rank` under `--keep source`), comparing members
    /// with `similarity`.
    pub(super) fn source_of(
        &self,
        docs: &[DocIdx],
        criteria: &Criteria,
        by_rank: bool,
        similarity: &dyn Fn(DocIdx, DocIdx) -> Similarity,
    ) -> (DocIdx, SourceBy) {
        roles::source_of(docs, criteria, by_rank, &self.store.date_keys, similarity)
    }
}

#[cfg(test)]
mod tests {
    use super::super::batches::Make;
    use super::super::held::Out;
    use super::super::tests::{doc, with_scan, words};
    use super::super::texts::Texts;
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
            let make = Make {
                sets: true,
                ..Make::default()
            };
            let loaded = st
                .load(vec![0, 1, 2, 3], make, &Texts::Memory(&docs))
                .unwrap();
            let sim = |a, b| st.similarity_in(&loaded, a, b);
            // Without dates: the member every other is in or near-duplicates.
            assert_eq!(
                st.source_of(&[0, 1], &criteria, false, &sim),
                (1, SourceBy::Containment)
            );
            // A date wins when every member has one.
            assert_eq!(
                st.source_of(&[2, 3], &criteria, false, &sim),
                (3, SourceBy::Date)
            );
            // A member with the only date is not "the earliest" (regression, issue 18).
            assert_eq!(
                st.source_of(&[0, 1, 2], &criteria, false, &sim),
                (1, SourceBy::Containment)
            );
            // Nothing holds the other: first seen.
            assert_eq!(
                st.source_of(&[0], &criteria, false, &sim),
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
            let texts = Texts::Memory(&docs);
            let kept = std::cell::RefCell::default();
            let matches = st.verify(&pairs, &criteria, &texts, &kept, true).unwrap();
            let mut out = Out::Report {
                clusters: Vec::new(),
                pairs: Vec::new(),
            };
            let a = st
                .assemble(&matches, criteria, &texts, &mut out, &kept)
                .unwrap();
            let Out::Report { clusters, pairs } = out else {
                unreachable!()
            };
            assert!(
                pairs.iter().all(|p| p.alignment.is_some()),
                "passages are on by default"
            );
            assert_eq!(clusters.len(), 1);
            let c = &clusters[0];
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
            let rel: Vec<(&str, Option<&str>)> = pairs
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
