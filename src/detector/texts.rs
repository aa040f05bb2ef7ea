//! Re-reading texts: the texts of reported documents, read again after the scan, and the
//! aligned passages of every pair.
//!
//! The scan keeps no text: plain files are read again by seeking to each record, compressed
//! ones by decompressing up to it, documents given in memory by position, the texts of
//! standard input and FIFOs (which cannot be read twice) from the copies kept while reading.
//! Every record goes through the sketch contract again and its text is checked against the
//! hash taken during the scan, so a file changed in between is an error, never a wrong
//! quote. Passages ([`crate::align`]) are aligned in chunks of pairs, so memory stays bounded
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

/// Pairs aligned per batch of texts read again.
pub(super) const ALIGN_CHUNK: usize = 16_384;

impl Scan<'_> {
    /// The aligned shared passages of every match, in match order. Texts are read again in
    /// chunks of pairs, so memory stays bounded however many pairs there are.
    pub(super) fn alignments(
        &self,
        matches: &[Match],
        texts: &Texts,
    ) -> Result<Vec<crate::align::Alignment>> {
        let c = &self.det.config;
        let k = match c.shingle {
            ShingleKind::Word => c.ngram,
            // Character shingles say nothing about word runs: align on word trigrams.
            ShingleKind::Char => 3,
        };
        let mut out = Vec::with_capacity(matches.len());
        for chunk in matches.chunks(ALIGN_CHUNK) {
            let mut wanted: Vec<usize> = chunk
                .iter()
                .flat_map(|m| [m.a as usize, m.b as usize])
                .collect();
            wanted.sort_unstable();
            wanted.dedup();
            let found = self.fetch_texts(&wanted, texts)?;
            let prepared: Vec<crate::align::Prepared> = found
                .par_iter()
                .map_init(Tokenizer::new, |tok, text| {
                    let mut v = Vec::new();
                    tok.tokens_into(text, &mut v);
                    crate::align::Prepared::new(v, k)
                })
                .collect();
            drop(found);
            let at = |d: u32| wanted.binary_search(&(d as usize)).unwrap_or(0);
            out.par_extend(
                chunk.par_iter().map(|m| {
                    crate::align::align_prepared(&prepared[at(m.a)], &prepared[at(m.b)], k)
                }),
            );
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
    use super::Texts;
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
}
