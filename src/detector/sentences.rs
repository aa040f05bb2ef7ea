//! Sentences: the sentence stage's corpus-wide half (per-document sentences and
//! within-document near-repeats are found while reading, see [`crate::repeat`]).
//!
//! In the default mode (`within`) there is no corpus-wide half: each document's near-repeats
//! were grouped and quoted while it was read, and are only put into report form here
//! ([`Scan::within_repeats`]).
//!
//! Boilerplate needs every document's sentences, so it is found once reading is over
//! ([`Scan::boilerplate`]). After clustering, repeats are grouped: within-document ones from
//! the edges found while reading, and in `full` mode identical and fuzzy (MinHash LSH over
//! sentences, verified exactly) cross-document ones; then the texts of the occurrences to
//! report are read again ([`super::texts`]) to quote them with byte spans.

use super::texts::Texts;
use super::Scan;
use crate::error::Result;
use crate::normalize::Tokenizer;
use crate::repeat::{self, Boilerplate, Edge};
use crate::report::{self, Occurrence, RepeatKind, RepeatReport};
use crate::verify::Similarity;
use crate::SentenceMode;
use rayon::prelude::*;

impl Scan<'_> {
    /// The within-document near-repeats found and quoted while reading (`within` mode, the
    /// default; none in other modes), in the order of their first occurrence.
    pub(super) fn within_repeats(&mut self) -> Vec<RepeatReport> {
        let found = std::mem::take(&mut self.store.within_found);
        let ids = &self.store.ids;
        found
            .into_iter()
            .map(|(d, r)| RepeatReport {
                kind: RepeatKind::WithinDocument,
                similarity: report::round4(r.sim.jaccard()),
                documents: 1,
                count: r.count,
                occurrences: r
                    .occurrences
                    .into_iter()
                    .map(|(sp, text)| Occurrence {
                        doc: ids[d as usize].to_string(),
                        start: sp.start as u64,
                        end: sp.end as u64,
                        text: text.into(),
                    })
                    .collect(),
            })
            .collect()
    }

    /// The corpus's boilerplate sentences, sorted by hash (none without the sentence stage).
    pub(super) fn boilerplate(&mut self) -> Vec<Boilerplate> {
        let c = &self.det.config;
        let n = self.store.ids.len();
        let cutoff = c.sentences.boilerplate_cutoff(n as u64);
        let boiler: Vec<Boilerplate> = if self.det.needs.sentences {
            let s = &self.store;
            repeat::boilerplate(&s.sent_hash, &s.sent_words, &s.sent_first, cutoff)
        } else {
            Vec::new()
        };
        self.stats.boilerplate = boiler.len() as u64;
        boiler
    }

    /// The document of global sentence `i`.
    pub(super) fn doc_of(&self, i: u32) -> usize {
        self.store.sent_first.partition_point(|&f| f <= i) - 1
    }

    /// Groups sentence repeats and boilerplate into reports (see [`crate::repeat`]).
    pub(super) fn repeats(
        &mut self,
        boiler: &[Boilerplate],
        cluster_of: &[u64],
        texts: &Texts,
    ) -> Result<Vec<RepeatReport>> {
        let sc = &self.det.config.sentences;
        let s = &self.store;
        let nsent = s.sent_hash.len();
        let min = sc.min_words as u32;
        // A document's cluster, or the document itself when it is in none.
        let key = |d: usize| -> u64 {
            match cluster_of[d] {
                0 => (1 << 63) | d as u64,
                c => c,
            }
        };
        let boilerplate_at = |i: usize| is_boilerplate(boiler, s.sent_hash[i]);
        let structure_at = |i: usize| s.sent_structure.binary_search(&(i as u32)).is_ok();
        // Within-document near-repeats, found while reading.
        let within: Vec<Edge> = s
            .within
            .iter()
            .filter(|e| !boilerplate_at(e.a as usize) && !boilerplate_at(e.b as usize))
            .copied()
            .collect();
        let mut edges: Vec<Edge> = Vec::new();
        let full = sc.mode == SentenceMode::Full;
        if full {
            // Identical sentences (same normalised words) in documents that are not all in
            // one cluster.
            let mut same: Vec<(u64, u32)> = (0..nsent)
                .into_par_iter()
                .filter(|&i| s.sent_words[i] >= min && !boilerplate_at(i) && !structure_at(i))
                .map(|i| (s.sent_hash[i], i as u32))
                .collect();
            same.par_sort_unstable();
            for run in same.chunk_by(|x, y| x.0 == y.0) {
                if run.len() < 2 {
                    continue;
                }
                let k0 = key(self.doc_of(run[0].1));
                if run.iter().all(|&(_, i)| key(self.doc_of(i)) == k0) {
                    continue;
                }
                for w in run.windows(2) {
                    let words = s.sent_words[w[0].1 as usize];
                    edges.push(Edge {
                        a: w[0].1,
                        b: w[1].1,
                        sim: Similarity {
                            shared: words,
                            size_a: words,
                            size_b: words,
                        },
                    });
                }
            }
        }
        let first_token = if full {
            self.first_tokens()
        } else {
            Vec::new()
        };
        if full {
            let (fuzzy, candidates) = self.cross_document(boiler, cluster_of, &first_token);
            self.stats.sentence_candidates = candidates;
            edges.extend(fuzzy.0);
            self.stats.changed_numbers += fuzzy.1;
        }
        let s = &self.store;
        // Pairs no edge links, for the chaining guard: identical sentences repeat each other;
        // a pair of sentences already compared (in one document, or as LSH candidates) by its
        // hashes; in `full` mode anything else is compared now.
        let known: ahash::AHashMap<(u64, u64), Similarity> = edges
            .iter()
            .chain(&within)
            .map(|e| {
                let (x, y) = (s.sent_hash[e.a as usize], s.sent_hash[e.b as usize]);
                ((x.min(y), x.max(y)), e.sim)
            })
            .collect();
        let this = &*self;
        let similarity = |x: u32, y: u32| -> Similarity {
            let (hx, hy) = (s.sent_hash[x as usize], s.sent_hash[y as usize]);
            if hx == hy {
                let w = s.sent_words[x as usize];
                return Similarity {
                    shared: w,
                    size_a: w,
                    size_b: w,
                };
            }
            if let Some(sim) = known.get(&(hx.min(hy), hx.max(hy))) {
                return *sim;
            }
            let none = Similarity {
                shared: 0,
                size_a: 1,
                size_b: 1,
            };
            if !full {
                return none;
            }
            let (mut pa, mut pb, mut nums) = Default::default();
            this.sentence_profile(&first_token, x, &mut pa, &mut nums);
            this.sentence_profile(&first_token, y, &mut pb, &mut nums);
            match repeat::compare(&pa, &pb, sc) {
                repeat::Comparison::Repeat(sim) => sim,
                _ => none,
            }
        };
        // A page that repeats itself and a sentence found in other pages are told apart:
        // within-document and cross-document repeats are grouped separately (a sentence may
        // be in one of each).
        let mut groups: Vec<(RepeatKind, repeat::Group)> =
            repeat::groups(&within, sc.threshold, similarity)
                .into_iter()
                .map(|g| (RepeatKind::WithinDocument, g))
                .collect();
        groups.extend(
            repeat::groups(&edges, sc.threshold, similarity)
                .into_iter()
                .map(|g| (RepeatKind::CrossDocument, g)),
        );
        drop(edges);
        drop(within);

        // Each report with the global indices of its listed occurrences, ordered by the
        // first occurrence.
        let mut pending: Vec<(u32, RepeatReport, Vec<u32>)> = Vec::new();
        let max = sc.max_occurrences;
        for (kind, g) in groups {
            let mut docs: Vec<usize> = g.members.iter().map(|&i| self.doc_of(i)).collect();
            docs.dedup();
            if kind == RepeatKind::CrossDocument && docs.len() < 2 {
                continue; // what is left of a group split by the guard, inside one document
            }
            pending.push((
                g.members[0],
                RepeatReport {
                    kind,
                    similarity: report::round4(g.sim.jaccard()),
                    documents: docs.len() as u64,
                    count: g.members.len() as u64,
                    occurrences: Vec::new(),
                },
                g.members.into_iter().take(max).collect(),
            ));
        }
        if !boiler.is_empty() {
            let mut occ: Vec<(u64, u32)> = (0..nsent)
                .into_par_iter()
                .filter(|&i| boilerplate_at(i))
                .map(|i| (s.sent_hash[i], i as u32))
                .collect();
            occ.par_sort_unstable();
            for run in occ.chunk_by(|x, y| x.0 == y.0) {
                let b = boiler[boiler
                    .binary_search_by_key(&run[0].0, |b| b.hash)
                    .unwrap_or(0)];
                pending.push((
                    run[0].1,
                    RepeatReport {
                        kind: RepeatKind::Boilerplate,
                        similarity: 1.0,
                        documents: b.documents,
                        count: run.len() as u64,
                        occurrences: Vec::new(),
                    },
                    run.iter().take(max).map(|x| x.1).collect(),
                ));
            }
        }
        // Ties (a sentence first in a within and a cross repeat): within first.
        let rank = |k: RepeatKind| match k {
            RepeatKind::WithinDocument => 0,
            RepeatKind::CrossDocument => 1,
            RepeatKind::Boilerplate => 2,
        };
        pending.sort_by_key(|p| (p.0, rank(p.1.kind)));

        // The texts of the listed occurrences, read again a chunk at a time (in document
        // order), each quoted where it is listed: (document, report, position, sentence).
        let this = &*self;
        let mut slots: Vec<(u32, u32, u32, u32)> = pending
            .iter()
            .enumerate()
            .flat_map(|(r, p)| {
                p.2.iter()
                    .enumerate()
                    .map(move |(k, &i)| (this.doc_of(i) as u32, r as u32, k as u32, i))
            })
            .collect();
        slots.sort_unstable();
        let mut wanted: Vec<u32> = slots.iter().map(|x| x.0).collect();
        wanted.dedup();
        let mut quoted: Vec<Vec<Option<Occurrence>>> =
            pending.iter().map(|p| vec![None; p.2.len()]).collect();
        let mut next = 0; // the first slot not filled yet
        let mut tok = Tokenizer::new();
        let mut tokens = Vec::new();
        let mut worker = repeat::SentenceWorker::default();
        this.fetch_each(this.fetch_chunks(&wanted), texts, |chunk, fetched| {
            for (&d, f) in chunk.iter().zip(fetched) {
                tokens.clear();
                tok.tokens_into(&f.text, &mut tokens);
                worker.sentences(&f.text, &tokens);
                while next < slots.len() && slots[next].0 == d {
                    let (_, r, k, i) = slots[next];
                    let local = (i - s.sent_first[d as usize]) as usize;
                    let sp = worker
                        .sentences
                        .get(local)
                        .map(|x| x.span)
                        .unwrap_or_default();
                    quoted[r as usize][k as usize] = Some(Occurrence {
                        doc: s.ids[d as usize].to_string(),
                        start: sp.start as u64,
                        end: sp.end as u64,
                        text: f.text[sp.start..sp.end].to_string(),
                    });
                    next += 1;
                }
            }
            Ok(())
        })?;
        Ok(pending
            .into_iter()
            .zip(quoted)
            .map(|((_, mut r, _), occurrences)| {
                // Every slot is filled: each listed document was read again.
                r.occurrences = occurrences.into_iter().flatten().collect();
                r
            })
            .collect())
    }

    /// Fuzzy cross-document near-repeats (`full` mode): MinHash LSH over sentences, verified
    /// exactly. Returns the edges with the pairs rejected for changed numbers, and the number
    /// of candidates.
    pub(super) fn cross_document(
        &self,
        boiler: &[Boilerplate],
        cluster_of: &[u64],
        first_token: &[u32],
    ) -> ((Vec<Edge>, u64), u64) {
        let det = self.det;
        let sc = &det.config.sentences;
        let s = &self.store;
        // One sentence per distinct normalised sentence: identical ones are grouped by hash
        // already, and a sentence copied into many documents would otherwise fill its LSH
        // buckets with pairs of itself.
        let mut classes: Vec<(u64, u32)> = (0..s.sent_hash.len())
            .into_par_iter()
            .filter(|&i| {
                s.sent_words[i] as usize >= sc.min_words
                    && !is_boilerplate(boiler, s.sent_hash[i])
                    && s.sent_structure.binary_search(&(i as u32)).is_err()
            })
            .map(|i| (s.sent_hash[i], i as u32))
            .collect();
        classes.par_sort_unstable();
        let mut eligible: Vec<u32> = classes
            .chunk_by(|x, y| x.0 == y.0)
            .map(|run| run[0].1)
            .collect();
        drop(classes);
        eligible.par_sort_unstable();
        let docs: Vec<u32> = eligible.iter().map(|&i| self.doc_of(i) as u32).collect();
        let tokens_of = |k: usize| -> &[u64] {
            let i = eligible[k] as usize;
            let d = docs[k] as usize;
            let t = first_token[i] as usize;
            &s.tokens[d][t..t + s.sent_words[i] as usize]
        };
        let words = |k: usize, out: &mut Vec<u64>| {
            out.clear();
            out.extend_from_slice(tokens_of(k));
            out.sort_unstable();
            out.dedup();
        };
        let frequent = repeat::frequent_words(eligible.len(), words);
        let (pairs, _giant) = repeat::cross_candidates(
            &docs,
            words,
            &frequent,
            &det.sentence_signer,
            det.sentence_bands,
            det.sentence_rows,
            det.config.max_bucket,
        );
        let candidates = pairs.len() as u64;
        // Word counts and masks, for the quick test before sets are sorted.
        let quick: Vec<(u32, u128)> = (0..eligible.len())
            .into_par_iter()
            .map(|k| {
                let t = tokens_of(k);
                (t.len() as u32, repeat::word_mask(t))
            })
            .collect();
        let key = |d: u32| match cluster_of[d as usize] {
            0 => (1 << 63) | d as u64,
            c => c,
        };
        let verified: Vec<(Option<Edge>, bool)> = pairs
            .par_iter()
            .map_init(
                || {
                    (
                        repeat::Profile::default(),
                        repeat::Profile::default(),
                        Vec::new(),
                    )
                },
                |(pa, pb, nums), &(a, b)| {
                    let (a, b) = (a as usize, b as usize);
                    if key(docs[a]) == key(docs[b]) {
                        return (None, false);
                    }
                    let ((wa, ma), (wb, mb)) = (quick[a], quick[b]);
                    if !repeat::may_repeat(wa, ma, wb, mb, sc) {
                        return (None, false);
                    }
                    self.sentence_profile(first_token, eligible[a], pa, nums);
                    self.sentence_profile(first_token, eligible[b], pb, nums);
                    match repeat::compare(pa, pb, sc) {
                        repeat::Comparison::Repeat(sim) => (
                            Some(Edge {
                                a: eligible[a],
                                b: eligible[b],
                                sim,
                            }),
                            false,
                        ),
                        repeat::Comparison::ChangedNumbers(_) => (None, true),
                        repeat::Comparison::No => (None, false),
                    }
                },
            )
            .collect();
        let changed = verified.iter().filter(|v| v.1).count() as u64;
        let edges = verified.into_iter().filter_map(|v| v.0).collect();
        ((edges, changed), candidates)
    }

    /// Each sentence's first token within its document (`full` mode, where tokens are kept).
    pub(super) fn first_tokens(&self) -> Vec<u32> {
        let s = &self.store;
        let mut first = vec![0u32; s.sent_hash.len()];
        for w in s.sent_first.windows(2) {
            let r = w[0] as usize..w[1] as usize;
            let mut t = 0;
            for (f, &words) in first[r.clone()].iter_mut().zip(&s.sent_words[r]) {
                *f = t;
                t += words;
            }
        }
        first
    }

    /// The profile of global sentence `i` from the kept tokens and numbers (`full` mode).
    pub(super) fn sentence_profile(
        &self,
        first_token: &[u32],
        i: u32,
        out: &mut repeat::Profile,
        nums: &mut Vec<u64>,
    ) {
        let s = &self.store;
        let d = self.doc_of(i);
        let t = first_token[i as usize] as usize;
        let tokens = &s.tokens[d][t..t + s.sent_words[i as usize] as usize];
        nums.clear();
        if self.det.config.sentences.numbers_must_match {
            let lo = s.numbers.partition_point(|x| x.0 < i);
            let hi = s.numbers.partition_point(|x| x.0 <= i);
            nums.extend(s.numbers[lo..hi].iter().map(|x| x.1));
        }
        out.fill(tokens, nums);
    }
}

/// True when `hash` is one of the (sorted) boilerplate sentences.
#[inline]
pub(super) fn is_boilerplate(boiler: &[Boilerplate], hash: u64) -> bool {
    !boiler.is_empty() && boiler.binary_search_by_key(&hash, |b| b.hash).is_ok()
}

#[cfg(test)]
mod tests {
    use super::super::tests::{doc, with_scan, words};
    use crate::{Config, SentenceMode};

    #[test]
    fn boilerplate_needs_the_whole_corpus() {
        let footer = "Subscribe to our newsletter for the latest harbour news every morning.";
        let docs: Vec<_> = (0..12)
            .map(|i| {
                doc(
                    &format!("d{i}"),
                    &format!("{}. {footer}", words(i * 100, 20)),
                )
            })
            .collect();
        let mut config = Config::default();
        config.sentences.mode = SentenceMode::Standard;
        with_scan(config, &docs, |st| {
            let boiler = st.boilerplate();
            assert_eq!(boiler.len(), 1);
            assert_eq!(boiler[0].documents, 12);
            assert_eq!(st.stats.boilerplate, 1);
            assert_eq!(st.doc_of(0), 0);
            assert_eq!(st.doc_of(3), 1, "two sentences per document");
        });
        // Without the sentence stage there is none.
        with_scan(Config::default(), &docs, |st| {
            assert!(st.boilerplate().is_empty())
        });
    }
}
