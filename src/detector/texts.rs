//! Re-reading texts: the texts of reported documents, read again after the scan, and the
//! aligned passages of every pair.
//!
//! The scan keeps no text: plain files are read again by seeking to each record, compressed
//! ones by decompressing up to it, documents given in memory by position, the texts of
//! standard input and FIFOs (which cannot be read twice) from the copies kept while reading.
//! Every record goes through the sketch contract again and its text is checked against the
//! hash taken during the scan, so a file changed in between is an error, never a wrong
//! quote. For passages ([`crate::align`]) each document of the reported pairs is read and
//! prepared once (tokens, shingles and their index), then every pair is aligned from the two
//! prepared texts; past a memory budget pairs are taken in blocks, so memory stays bounded
//! however many pairs there are.

use super::read::text_hash;
use super::Scan;
use crate::document::Document;
use crate::error::{Error, Result};
use crate::input::{self, InputFile};
use crate::normalize::Tokenizer;
use crate::sketch::RawRecord;
use crate::verify::Match;
use crate::ShingleKind;
use rayon::prelude::*;

/// Where the texts of reported sentences are found after the scan.
pub(super) enum Texts<'a> {
    /// Documents given in memory, by position.
    Memory(&'a [Document]),
    /// The input files, read again.
    Files(&'a [InputFile]),
}

/// Heap bytes of prepared texts ([`crate::align::Prepared`]) held at once while aligning,
/// as estimated from text sizes. While the documents of all pairs fit, each is read and
/// prepared exactly once; past it, pairs are aligned in blocks (in match order) whose
/// documents fit, and a document needed by the next block is kept rather than read again.
pub(super) const PREPARED_BUDGET: u64 = 192 << 20;

/// Estimated bytes of a prepared text per byte of text: 24 to 32 bytes a word, and words of
/// news text take about 6 bytes with their separator.
const PREPARED_PER_TEXT_BYTE: u64 = 5;

/// The block of pairs from `start`: pairs in match order while the documents they need cost
/// at most `budget` (at least one pair), and those documents, sorted.
fn next_block(
    matches: &[Match],
    start: usize,
    budget: u64,
    cost: impl Fn(u32) -> u64,
) -> (usize, Vec<u32>) {
    let mut docs: ahash::AHashSet<u32> = ahash::AHashSet::new();
    let (mut used, mut end) = (0u64, start);
    while end < matches.len() {
        let m = &matches[end];
        let mut extra = 0;
        if !docs.contains(&m.a) {
            extra += cost(m.a);
        }
        if m.b != m.a && !docs.contains(&m.b) {
            extra += cost(m.b);
        }
        if end > start && used + extra > budget {
            break;
        }
        used += extra;
        docs.extend([m.a, m.b]);
        end += 1;
    }
    let mut wanted: Vec<u32> = docs.into_iter().collect();
    wanted.sort_unstable();
    (end, wanted)
}

impl Scan<'_> {
    /// The aligned shared passages of every match, in match order. Each document of the
    /// pairs is read again, checked and prepared once (in parallel), then the pairs are
    /// aligned in parallel; memory stays within [`PREPARED_BUDGET`] however many pairs there
    /// are. The result does not depend on the blocks: each pair's alignment is a function of
    /// its two texts.
    // Never inlined: profilers see the passages stage as one function.
    #[inline(never)]
    pub(super) fn alignments(
        &self,
        matches: &[Match],
        texts: &Texts,
    ) -> Result<Vec<crate::align::Alignment>> {
        self.alignments_within(matches, texts, PREPARED_BUDGET)
    }

    /// [`Scan::alignments`] with a given budget of prepared bytes.
    fn alignments_within(
        &self,
        matches: &[Match],
        texts: &Texts,
        budget: u64,
    ) -> Result<Vec<crate::align::Alignment>> {
        use crate::align::{align_prepared, Prepared};
        let c = &self.det.config;
        let k = match c.shingle {
            ShingleKind::Word => c.ngram,
            // Character shingles say nothing about word runs: align on word trigrams.
            ShingleKind::Char => 3,
        };
        let cost = |d: u32| self.store.bytes[d as usize].saturating_mul(PREPARED_PER_TEXT_BYTE);
        let mut out = Vec::with_capacity(matches.len());
        // Prepared documents of the last block, sorted by document.
        let mut kept: Vec<(u32, Prepared)> = Vec::new();
        let mut start = 0;
        while start < matches.len() {
            let (end, wanted) = next_block(matches, start, budget, cost);
            // Documents of the last block needed again are kept, the others dropped first.
            kept.retain(|(d, _)| wanted.binary_search(d).is_ok());
            let missing: Vec<usize> = wanted
                .iter()
                .filter(|d| kept.binary_search_by_key(d, |e| &e.0).is_err())
                .map(|&d| d as usize)
                .collect();
            let found = self.fetch_texts(&missing, texts)?;
            let fresh: Vec<Prepared> = found
                .par_iter()
                .map_init(Tokenizer::new, |tok, text| {
                    Prepared::from_text(tok, text, k)
                })
                .collect();
            drop(found);
            kept.extend(missing.iter().map(|&d| d as u32).zip(fresh));
            kept.sort_unstable_by_key(|e| e.0);
            let at = |d: u32| &kept[kept.binary_search_by_key(&d, |e| e.0).unwrap_or(0)].1;
            out.par_extend(
                matches[start..end]
                    .par_iter()
                    .map(|m| align_prepared(at(m.a), at(m.b))),
            );
            start = end;
        }
        Ok(out)
    }

    /// The texts of documents `wanted` (sorted), read again and checked against the hash
    /// taken during the scan.
    pub(super) fn fetch_texts(&self, wanted: &[usize], texts: &Texts) -> Result<Vec<String>> {
        let s = &self.store;
        let mut raw: Vec<Option<String>> = vec![None; wanted.len()];
        match texts {
            Texts::Memory(docs) => {
                for (k, &d) in wanted.iter().enumerate() {
                    let pos = s.origins[d].offset as usize;
                    raw[k] = docs.get(pos).map(|doc| doc.text.clone());
                }
            }
            Texts::Files(files) => {
                // Group by file, in record order.
                let mut by_file: Vec<(u32, u64, usize)> = wanted
                    .iter()
                    .enumerate()
                    .map(|(k, &d)| (s.origins[d].file, s.origins[d].offset, k))
                    .collect();
                by_file.sort_unstable();
                for run in by_file.chunk_by(|x, y| x.0 == y.0) {
                    let f = &files[run[0].0 as usize];
                    if f.reads_once() {
                        // Standard input or a FIFO: its texts were kept while reading.
                        for &(_, _, k) in run {
                            raw[k] = s.kept_texts[wanted[k]].as_deref().map(str::to_string);
                        }
                        continue;
                    }
                    let ranges: Vec<(u64, usize)> = run
                        .iter()
                        .map(|&(_, off, k)| (off, s.origins[wanted[k]].len as usize))
                        .collect();
                    let records = input::reread(f, &ranges)?;
                    let name = f.display();
                    let changed = || {
                        Error::input(format!(
                            "{} changed during the scan: cannot quote it",
                            f.display()
                        ))
                    };
                    // Decoding and JSON parsing in parallel, results in record order.
                    let parsed: Vec<(usize, String)> = run
                        .par_iter()
                        .zip(records.into_par_iter())
                        .map(|(&(_, _, k), bytes)| {
                            // Through the sketch contract, as when it was scanned.
                            let raw = RawRecord {
                                path: &name,
                                line: s.origins[wanted[k]].line,
                                bytes: &bytes,
                            };
                            match self.det.sketcher.read(&raw) {
                                Ok(rec) => Ok((k, rec.text.into_owned())),
                                Err(_) => Err(changed()),
                            }
                        })
                        .collect::<Result<_>>()?;
                    for (k, text) in parsed {
                        raw[k] = Some(text);
                    }
                }
            }
        }
        raw.into_par_iter()
            .zip(wanted.par_iter())
            .map(|(text, &d)| {
                let text = text.unwrap_or_default();
                if text_hash(&text) != s.text_hashes[d] {
                    return Err(Error::input(format!(
                        "the text of `{}` changed during the scan: cannot quote it",
                        s.ids[d]
                    )));
                }
                Ok(text)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{doc, with_scan, words};
    use super::{next_block, Texts};
    use crate::verify::Match;
    use crate::Config;

    #[test]
    fn texts_read_again_are_checked_against_the_scan() {
        let docs = vec![doc("a", &words(0, 50)), doc("b", &words(10, 50))];
        with_scan(Config::default(), &docs, |st| {
            let got = st.fetch_texts(&[1], &Texts::Memory(&docs)).unwrap();
            assert_eq!(got, vec![words(10, 50)]);
            let mut changed = docs.clone();
            changed[1].text.push_str(" edited");
            let err = st.fetch_texts(&[1], &Texts::Memory(&changed)).unwrap_err();
            assert!(err.to_string().contains("changed during the scan"), "{err}");
            assert!(matches!(err.kind(), crate::ErrorKind::Input(_)), "{err:?}");
        });
    }

    #[test]
    fn passages_are_aligned_per_pair_in_match_order() {
        let docs = vec![doc("a", &words(0, 50)), doc("b", &words(10, 50))];
        with_scan(Config::default(), &docs, |st| {
            let criteria = st.det.criteria();
            let mut prepared = vec![false; 2];
            st.prepare_sets(&[(0, 1)], &[], &mut prepared);
            let m = st.verify(&[(0, 1)], &criteria);
            assert_eq!(m.len(), 1, "b holds 40 of a's 50 words: contained");
            let found = st.alignments(&m, &Texts::Memory(&docs)).unwrap();
            assert_eq!(found.len(), 1);
            assert_eq!(found[0].passages.len(), 1);
            assert_eq!(found[0].passages[0].words, 40);
        });
    }

    fn pair(a: u32, b: u32) -> Match {
        let sim = crate::verify::Similarity {
            shared: 0,
            size_a: 1,
            size_b: 1,
        };
        Match { a, b, sim }
    }

    #[test]
    fn a_block_takes_pairs_while_their_documents_fit() {
        let m = [pair(0, 1), pair(0, 2), pair(1, 2), pair(3, 4), pair(2, 5)];
        let cost = |d: u32| 10 + d as u64;
        // Everything fits: one block, each document once.
        assert_eq!(next_block(&m, 0, 1000, cost), (5, vec![0, 1, 2, 3, 4, 5]));
        // Documents 0, 1, 2 cost 33; pair (3, 4) would add 27.
        assert_eq!(next_block(&m, 0, 59, cost), (3, vec![0, 1, 2]));
        assert_eq!(next_block(&m, 0, 60, cost), (4, vec![0, 1, 2, 3, 4]));
        // A block always holds one pair, even over the budget.
        assert_eq!(next_block(&m, 3, 1, cost), (4, vec![3, 4]));
        assert_eq!(next_block(&m, 5, 1, cost), (5, vec![]));
    }

    #[test]
    fn passages_do_not_depend_on_the_blocks() {
        // Five stories, each copied with a change; pairs across them.
        let mut docs = Vec::new();
        for s in 0..5 {
            let story = words(100 * s, 60);
            docs.push(doc(&format!("s{s}"), &story));
            docs.push(doc(
                &format!("c{s}"),
                &story.replace(&format!("w{}", 100 * s + 30), "changed"),
            ));
        }
        with_scan(Config::default(), &docs, |st| {
            let m: Vec<Match> = (0..10u32)
                .flat_map(|a| (a + 1..10).map(move |b| pair(a, b)))
                .filter(|p| p.a / 2 == p.b / 2 || p.b == 9)
                .collect();
            let texts = Texts::Memory(&docs);
            let whole = st.alignments(&m, &texts).unwrap();
            assert_eq!(whole.len(), m.len());
            // Copies share two passages around the changed word; unrelated stories none.
            assert_eq!(whole[0].passages.len(), 2);
            assert!(whole.iter().any(|a| a.passages.is_empty()));
            for budget in [0, 1, 2_000, 5_000] {
                assert_eq!(st.alignments_within(&m, &texts, budget).unwrap(), whole);
            }
        });
    }
}
