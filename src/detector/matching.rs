//! Matching: signatures -> candidate pairs -> verified matches.
//!
//! Documents whose signing waited for the boilerplate are signed first. LSH gives the
//! candidate pairs ([`crate::lsh`]), `--window` and `--group-pairs` drop the pairs they do
//! not allow, and only then are the shingle sets of the candidate documents made ready
//! (sorted, or rebuilt from token hashes) and the pairs verified exactly. With containment
//! on, [`crate::containment::class_candidates`] adds the partial-copy candidates, verified the
//! same way.

use super::batches::{self, Kept, Loaded, Make, Reuse};
use super::sentences::is_boilerplate;
use super::texts::Texts;
use super::Scan;
use crate::containment;
use crate::document::DocIdx;
use crate::error::Result;
use crate::lsh;
use crate::minhash;
use crate::normalize::Tokenizer;
use crate::repeat::{self, Boilerplate};
use crate::shingle;
use crate::verify::{Criteria, Match, MatchKind, Similarity};
use crate::{GroupPairs, SentenceMode, VerifyMode};
use rayon::prelude::*;
use std::cell::RefCell;

impl Scan<'_> {
    /// The similarity of `a` and `b` estimated from their signatures (`--verify estimate`;
    /// exact similarities come from sets loaded in batches, see [`Scan::similarity_in`]).
    pub(super) fn similarity(&self, a: DocIdx, b: DocIdx) -> Similarity {
        let s = &self.store;
        let k = self.det.config.num_perm;
        let (a, b) = (a as usize, b as usize);
        // Two short documents are compared on their exact sets, which they keep: a chance
        // collision would make their signatures agree everywhere (see
        // `minhash::MIN_ESTIMATE_SHINGLES`).
        let (sa, sb) = (s.sizes[a] as usize, s.sizes[b] as usize);
        if !minhash::estimate_is_reliable(sa, sb) {
            if let (Some(x), Some(y)) = (s.shingles.get(a), s.shingles.get(b)) {
                if x.len() == sa && y.len() == sb {
                    return Similarity::exact(x, y);
                }
            }
        }
        let j = minhash::estimate(&s.sigs[a * k..(a + 1) * k], &s.sigs[b * k..(b + 1) * k]);
        Similarity::estimated(j, s.sizes[a], s.sizes[b])
    }

    /// The word shingles of document `d` from its kept token hashes (see
    /// [`Scan::doc_shingles_of`]).
    pub(super) fn doc_shingles(&self, d: usize, boiler: &[Boilerplate], out: &mut Vec<u64>) -> u64 {
        self.doc_shingles_of(d, &self.store.tokens[d], boiler, out)
    }

    /// The word shingles of document `d` with token hashes `tokens` (kept, or made again from
    /// its text read again), in text order, without the windows that touch a boilerplate
    /// sentence (all of them when that would leave fewer than half). Returns the number of
    /// windows left out.
    pub(super) fn doc_shingles_of(
        &self,
        d: usize,
        tokens: &[u64],
        boiler: &[Boilerplate],
        out: &mut Vec<u64>,
    ) -> u64 {
        let s = &self.store;
        let k = self.det.config.ngram;
        out.clear();
        if !self.det.needs.exclude || boiler.is_empty() || tokens.len() <= k {
            shingle::word_shingles(tokens, k, out);
            return 0;
        }
        // Token ranges of the document's boilerplate sentences, in order.
        let mut bad: Vec<(usize, usize)> = Vec::new();
        let mut t = 0usize;
        for i in s.sent_first[d] as usize..s.sent_first[d + 1] as usize {
            let w = s.sent_words[i] as usize;
            if is_boilerplate(boiler, s.sent_hash[i]) {
                bad.push((t, t + w));
            }
            t += w;
        }
        if bad.is_empty() {
            shingle::word_shingles(tokens, k, out);
            return 0;
        }
        let mut next = 0; // the first bad range that may still overlap
        let windows = tokens.len() - k + 1;
        for i in 0..windows {
            while next < bad.len() && bad[next].1 <= i {
                next += 1;
            }
            // The window i..i+k overlaps bad[next] when it starts before i + k.
            if next < bad.len() && bad[next].0 < i + k {
                continue;
            }
            out.push(shingle::combine(&tokens[i..i + k]));
        }
        // Boilerplate is left out of documents it is a small part of; a document that would
        // lose more than half its windows keeps them all, or two pages made of little else
        // than a template line would become identical.
        if (out.len() as f64) < repeat::ORIGINAL_SHARE * windows as f64 {
            out.clear();
            shingle::word_shingles(tokens, k, out);
            return 0;
        }
        (windows - out.len()) as u64
    }

    /// Signs the documents whose signing waited until boilerplate was known (word shingles
    /// without the windows that touch it), with their band keys and containment samples.
    ///
    /// Their token hashes are the kept ones when the scan keeps them (`Scan::keep_tokens`);
    /// otherwise each text is read again, in input order a chunk at a time on a thread of its
    /// own (see [`Scan::fetch_each`]), and tokenised again: memory holds one chunk of texts,
    /// not every document's words (8 bytes a word, 44 GB for 10M news articles).
    pub(super) fn sign_deferred(&mut self, boiler: &[Boilerplate], texts: &Texts) -> Result<()> {
        let det = self.det;
        let c = &det.config;
        let needs = det.needs;
        let n = self.store.ids.len();
        let params = det.sketcher.params();
        let rate = c.containment.sample_rate();
        let estimate = c.verify == VerifyMode::Estimate;
        /// What signing leaves of one document.
        struct Signed {
            size: u32,
            left_out: u64,
            keys: Vec<u64>,
            sample: Vec<u32>,
            fine: Vec<u16>,
            /// The signature, kept only under `--verify estimate`.
            sig: Vec<u32>,
            /// The set of a short document, kept only under estimates (see `similarity`).
            small: Box<[u64]>,
        }
        // Fingerprints go where the scan keeps them (memory or the spool), as read does.
        let mut fine = std::mem::take(&mut self.store.fine);
        let this = &*self;
        let sign_one = |buf: &mut Vec<u64>, sig: &mut Vec<u32>, d: usize, tokens: &[u64]| {
            let left_out = this.doc_shingles_of(d, tokens, boiler, buf);
            if estimate {
                buf.sort_unstable();
                buf.dedup();
            }
            sig.clear();
            det.sketcher.signer().sign_into(buf, sig);
            let (sample, fine) = if needs.samples {
                containment::sample_keys(buf, rate)
            } else {
                Default::default()
            };
            Signed {
                size: buf.len() as u32,
                left_out,
                keys: params.band_keys(sig),
                sample,
                fine,
                sig: if estimate { sig.clone() } else { Vec::new() },
                small: if estimate && buf.len() < minhash::MIN_ESTIMATE_SHINGLES {
                    buf.clone().into_boxed_slice()
                } else {
                    Box::default()
                },
            }
        };
        // What is kept, appended a chunk at a time (no per-document allocation outlives it).
        let mut sizes: Vec<u32> = Vec::with_capacity(n);
        let mut left_out = 0u64;
        let mut keys: Vec<u64> = Vec::with_capacity(n * params.bands);
        let mut samples = containment::Samples::default();
        let mut sigs: Vec<u32> = Vec::new();
        let mut small: Vec<Box<[u64]>> = Vec::new();
        let mut absorb = |signed: Vec<Signed>| -> Result<()> {
            for one in signed {
                sizes.push(one.size);
                left_out += one.left_out;
                keys.extend_from_slice(&one.keys);
                if needs.samples {
                    samples.push_keys(&one.sample);
                    fine.push(&one.fine)?;
                }
                if estimate {
                    sigs.extend_from_slice(&one.sig);
                    small.push(one.small);
                }
            }
            Ok(())
        };
        if self.keep_tokens {
            let all: Vec<usize> = (0..n).collect();
            for chunk in all.chunks(batches::FETCH_CHUNK) {
                absorb(
                    chunk
                        .par_iter()
                        .map_init(
                            || (Vec::new(), Vec::new()),
                            |(buf, sig), &d| sign_one(buf, sig, d, &this.store.tokens[d]),
                        )
                        .collect(),
                )?;
            }
        } else {
            let all: Vec<DocIdx> = (0..n as DocIdx).collect();
            this.fetch_each(this.fetch_chunks(&all), texts, |chunk, fetched| {
                absorb(
                    chunk
                        .par_iter()
                        .zip(fetched.into_par_iter())
                        .map_init(
                            || (Tokenizer::new(), Vec::new(), Vec::new(), Vec::new()),
                            |(tok, tokens, buf, sig), (&d, f)| {
                                tokens.clear();
                                tok.hashes_into(&f.text, tokens);
                                sign_one(buf, sig, d as usize, tokens)
                            },
                        )
                        .collect(),
                )?;
                Ok(())
            })?;
        }
        self.stats.shingles += sizes.iter().map(|&x| x as u64).sum::<u64>();
        self.stats.boilerplate_shingles += left_out;
        self.store.sizes = sizes;
        self.store.keys = keys;
        if needs.samples {
            self.store.samples = samples;
        }
        self.store.fine = fine;
        if estimate {
            self.store.sigs = sigs;
            self.store.shingles = small;
        }
        debug_assert_eq!(self.store.keys.len(), n * params.bands);
        // Estimates need no shingle sets, and only `full` mode reads tokens again.
        if c.verify == VerifyMode::Estimate && c.sentences.mode != SentenceMode::Full {
            self.store.tokens = Vec::new();
        }
        Ok(())
    }

    /// LSH candidate pairs that `--window` and `--group-pairs` allow.
    pub(super) fn lsh_candidates(&mut self) -> Vec<(u32, u32)> {
        let det = self.det;
        let params = det.sketcher.params();
        let cands =
            lsh::candidates_from_keys(&self.store.keys, params.bands, det.config.max_bucket);
        self.stats.candidates = cands.pairs.len() as u64;
        self.stats.giant_buckets = cands.giant_buckets;
        self.comparable_only(cands.pairs)
    }

    /// Containment candidates that are not LSH candidates already (`pairs`, sorted), found
    /// among the near-duplicate classes of `matches` (see
    /// [`containment::class_candidates`]). The samples are used up.
    pub(super) fn containment_candidates(
        &mut self,
        threshold: f64,
        matches: &[Match],
        pairs: &[(u32, u32)],
        criteria: &Criteria,
    ) -> Result<Vec<(u32, u32)>> {
        let c = &self.det.config;
        let near = matches
            .iter()
            .filter(|m| criteria.relation(&m.sim) == Some(MatchKind::NearDuplicate))
            .map(|m| (m.a, m.b));
        let params = containment::Params {
            threshold,
            max_df: c.containment.max_df,
            ..containment::Params::default()
        };
        let samples = std::mem::take(&mut self.store.samples);
        let mut extra = containment::class_candidates_of(&samples, near, &params);
        extra.retain(|p| pairs.binary_search(p).is_err());
        // Only the documents of candidates need their fingerprints.
        let mut wanted = vec![false; samples.documents()];
        for &(a, b) in &extra {
            wanted[a as usize] = true;
            wanted[b as usize] = true;
        }
        let fine = std::mem::take(&mut self.store.fine).load(&wanted)?;
        drop(wanted);
        let extra = containment::confirm(extra, &samples, &fine, &params);
        drop((samples, fine));
        let extra = self.comparable_only(extra);
        self.stats.containment_candidates = extra.len() as u64;
        Ok(extra)
    }

    /// The pairs `--window` and `--group-pairs` allow (counting the others as skipped).
    pub(super) fn comparable_only(&mut self, pairs: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
        let c = &self.det.config;
        if c.window_days.is_none() && c.group_pairs == GroupPairs::All {
            return pairs;
        }
        let before = pairs.len();
        let this = &*self;
        let kept: Vec<(u32, u32)> = pairs
            .into_par_iter()
            .filter(|&(a, b)| this.comparable(a, b))
            .collect();
        self.stats.skipped_pairs += (before - kept.len()) as u64;
        kept
    }

    /// Verifies candidate pairs (sorted): the ones meeting `criteria`, in pair order. The
    /// documents are loaded in batches of whole components that fit the memory budget, so
    /// each is read again once; a component heavier than the budget is cut into runs of its
    /// pairs whose documents fit, and a document in several runs is read for each unless it
    /// is kept (see [`super::batches::plan`]; verification needs both documents of a pair,
    /// not the whole component). With `prepare` (and passages on), the documents kept are
    /// kept with their prepared forms, made from the tokens their sets are made from: worth
    /// it for the LSH candidates, nearly all of which match, not for the containment
    /// candidates, most of which do not.
    pub(super) fn verify(
        &self,
        pairs: &[(u32, u32)],
        criteria: &Criteria,
        texts: &Texts,
        kept: &RefCell<Kept>,
        prepare: bool,
    ) -> Result<Vec<Match>> {
        let check = |loaded: &Loaded, &(a, b): &(u32, u32)| {
            let sim = self.similarity_in(loaded, a, b);
            criteria.meets(&sim).then_some(Match { a, b, sim })
        };
        if self.det.config.verify == VerifyMode::Estimate {
            let none = Loaded::default();
            return Ok(pairs.par_iter().filter_map(|p| check(&none, p)).collect());
        }
        // Matched documents are kept for what follows when sets come from texts (see
        // `Kept`): titles and dates are made now, for the report.
        let keep = self.sets_from_texts();
        let mut make = Make {
            sets: true,
            meta: keep,
            passages: keep && prepare && self.det.config.passages,
        };
        let n = self.store.ids.len();
        let budget = self.budget().saturating_sub(kept.borrow().bytes());
        let mut plan = batches::plan(n, pairs, |d| self.weight(d, make), budget, false);
        if make.passages {
            // Prepared forms are made only when the heaviest batch leaves room to keep every
            // document loaded with its prepared form (about what it weighs loaded): when it
            // does not (a large corpus), few would be kept, and the rest made for nothing.
            let weight = |d| self.weight(d, make);
            let mut loaded: Vec<DocIdx> = plan.iter().flat_map(|b| b.docs.clone()).collect();
            loaded.sort_unstable();
            loaded.dedup();
            let all: u64 = loaded.iter().map(|&d| weight(d)).sum();
            if batches::heaviest(&plan, weight) + all > self.budget() {
                make.passages = false;
                plan = batches::plan(n, pairs, |d| self.weight(d, make), budget, false);
            }
        }
        let weight = |d| self.weight(d, make);
        if keep {
            // What the heaviest batch leaves of the budget (the kept documents count in it).
            let heaviest = batches::heaviest(&plan, weight);
            kept.borrow_mut()
                .set_cap(self.budget().saturating_sub(heaviest));
        }
        let mut out = Vec::new();
        self.load_each(
            &plan,
            make,
            texts,
            Some((kept, Reuse::Copy)),
            |batch, mut loaded| {
                let found: Vec<Match> = batch
                    .pairs
                    .par_iter()
                    .filter_map(|&i| check(&loaded, &pairs[i as usize]))
                    .collect();
                if keep {
                    let mut k = kept.borrow_mut();
                    for m in &found {
                        for d in [m.a, m.b] {
                            let at = loaded.at(d);
                            k.keep(d, &mut loaded, at);
                        }
                    }
                }
                out.extend(found);
                Ok(())
            },
        )?;
        out.par_sort_unstable_by_key(|m| (m.a, m.b));
        Ok(out)
    }

    /// Whether `--window` and `--group-pairs` allow comparing documents `a` and `b`.
    /// Documents without a readable date, or without a group, are compared with every other.
    pub(super) fn comparable(&self, a: DocIdx, b: DocIdx) -> bool {
        let c = &self.det.config;
        let s = &self.store;
        let (a, b) = (a as usize, b as usize);
        if let (Some(days), Some(x), Some(y)) = (c.window_days, s.date_keys[a], s.date_keys[b]) {
            if x.abs_diff(y) > days as u64 * 86_400 {
                return false;
            }
        }
        let (ga, gb) = (s.groups[a], s.groups[b]);
        if ga == u32::MAX || gb == u32::MAX {
            return true;
        }
        match c.group_pairs {
            GroupPairs::All => true,
            GroupPairs::Across => ga != gb,
            GroupPairs::Within => ga == gb,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{doc, with_scan, words};
    use super::super::texts::Texts;
    use crate::{Config, GroupPairs};

    #[test]
    fn window_and_groups_decide_which_pairs_are_compared() {
        let mut docs: Vec<_> = ["2024-01-01", "2024-01-03", "2024-03-01"]
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let mut x = doc(&format!("d{i}"), &words(0, 30));
                x.date = Some(d.to_string());
                x.group = Some(if i == 1 { "g1" } else { "g0" }.into());
                x
            })
            .collect();
        docs.push(doc("nodate", &words(0, 30)));
        let mut config = Config {
            window_days: Some(7),
            group_pairs: GroupPairs::Across,
            ..Config::default()
        };
        config.fields.group = Some("group".into());
        with_scan(config, &docs, |st| {
            assert!(st.comparable(0, 1), "2 days apart, other group");
            assert!(!st.comparable(0, 2), "60 days apart");
            assert!(!st.comparable(0, 0), "same group");
            assert!(
                st.comparable(2, 3),
                "no date, no group: compared with everything"
            );
            let kept = st.comparable_only(vec![(0, 1), (0, 2), (1, 2)]);
            assert_eq!(kept, vec![(0, 1)]);
            assert_eq!(st.stats.skipped_pairs, 2);
        });
    }

    #[test]
    fn lsh_candidates_are_verified_exactly() {
        let story = words(0, 80);
        let docs = vec![
            doc("a", &story),
            doc("b", &format!("{story} w5000 w5001")),
            doc("c", &words(9000, 80)),
        ];
        with_scan(Config::default(), &docs, |st| {
            let pairs = st.lsh_candidates();
            assert_eq!(pairs, vec![(0, 1)]);
            let criteria = st.det.criteria();
            let m = st
                .verify(
                    &pairs,
                    &criteria,
                    &Texts::Memory(&docs),
                    &Default::default(),
                    false,
                )
                .unwrap();
            assert_eq!(m.len(), 1);
            assert_eq!(
                (m[0].sim.shared, m[0].sim.size_a, m[0].sim.size_b),
                (76, 76, 78)
            );
        });
    }

    #[test]
    fn a_trimmed_copy_is_a_containment_candidate_not_an_lsh_one() {
        let story = words(0, 400);
        let docs = vec![doc("full", &story), doc("part", &words(0, 120))];
        with_scan(Config::default(), &docs, |st| {
            let pairs = st.lsh_candidates();
            assert!(pairs.is_empty(), "J is 0.3: no LSH candidate");
            let criteria = st.det.criteria();
            let extra = st
                .containment_candidates(0.7, &[], &pairs, &criteria)
                .unwrap();
            assert_eq!(extra, vec![(0, 1)]);
            assert_eq!(st.stats.containment_candidates, 1);
        });
    }
}
