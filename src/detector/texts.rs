//! Re-reading records: the texts, titles and dates of documents, read again after the scan
//! (by [`super::batches`] for verification, clustering and passages, and for sentence quotes).
//!
//! The scan keeps no text: plain files are read again by seeking to each record, compressed
//! ones by decompressing up to it, documents given in memory by position, the texts of
//! standard input and FIFOs (which cannot be read twice) from the copies kept while reading.
//! Every record goes through the sketch contract again and its text is checked against the
//! hash taken during the scan, so a file changed in between is an error, never a wrong
//! quote.

use super::read::text_hash;
use super::Scan;
use crate::document::Document;
use crate::error::{Error, Result};
use crate::input::{self, InputFile};
use crate::sketch::RawRecord;
use rayon::prelude::*;

/// A record read again: what the later stages take from it.
#[derive(Debug, Clone, Default)]
pub(super) struct Fetched {
    pub(super) text: String,
    pub(super) title: Option<String>,
    pub(super) date: Option<String>,
}

/// What is kept of a record of standard input or a FIFO, which cannot be read twice.
#[derive(Debug, Clone)]
pub(super) struct Kept {
    pub(super) text: Box<str>,
    pub(super) title: Option<Box<str>>,
    pub(super) date: Option<Box<str>>,
}

impl Kept {
    fn fetched(&self) -> Fetched {
        Fetched {
            text: self.text.to_string(),
            title: self.title.as_deref().map(str::to_string),
            date: self.date.as_deref().map(str::to_string),
        }
    }
}

/// Where the texts of reported sentences are found after the scan.
pub(super) enum Texts<'a> {
    /// Documents given in memory, by position.
    Memory(&'a [Document]),
    /// The input files, read again.
    Files(&'a [InputFile]),
}

impl Scan<'_> {
    /// The records of documents `wanted` (sorted), read again and checked against the hash
    /// taken during the scan: their texts, titles and dates.
    pub(super) fn fetch_records(&self, wanted: &[usize], texts: &Texts) -> Result<Vec<Fetched>> {
        let s = &self.store;
        let mut raw: Vec<Option<Fetched>> = (0..wanted.len()).map(|_| None).collect();
        match texts {
            Texts::Memory(docs) => {
                for (k, &d) in wanted.iter().enumerate() {
                    let pos = s.origins[d].offset as usize;
                    raw[k] = docs.get(pos).map(|doc| Fetched {
                        text: doc.text.clone(),
                        title: doc.title.clone(),
                        date: doc.date.clone(),
                    });
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
                    let spool = self
                        .spool
                        .as_ref()
                        .filter(|_| self.spooled.get(run[0].0 as usize) == Some(&true));
                    if f.reads_once() && spool.is_none() {
                        // Standard input or a FIFO: its texts were kept while reading.
                        for &(_, _, k) in run {
                            raw[k] = s.kept.get(&(wanted[k] as u32)).map(|k| k.fetched());
                        }
                        continue;
                    }
                    let ranges: Vec<(u64, usize)> = run
                        .iter()
                        .map(|&(_, off, k)| (off, s.origins[wanted[k]].len() as usize))
                        .collect();
                    let records = match spool {
                        Some(spool) => spool.read(&ranges)?,
                        None => input::reread(f, &ranges)?,
                    };
                    let name = f.display();
                    let changed = || {
                        Error::input(format!(
                            "{} changed during the scan: cannot quote it",
                            f.display()
                        ))
                    };
                    // Decoding and JSON parsing in parallel, results in record order.
                    let parsed: Vec<(usize, Fetched)> = run
                        .par_iter()
                        .zip(records.into_par_iter())
                        .map(|(&(_, _, k), bytes)| {
                            // Through the sketch contract, as when it was scanned.
                            let raw = RawRecord {
                                path: &name,
                                line: s.origins[wanted[k]].line(),
                                bytes: &bytes,
                            };
                            match self.det.sketcher.read(&raw) {
                                Ok(rec) => Ok((
                                    k,
                                    Fetched {
                                        text: rec.text.into_owned(),
                                        title: rec.title,
                                        date: rec.date,
                                    },
                                )),
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
            .map(|(f, &d)| {
                let f = f.unwrap_or_default();
                if text_hash(&f.text) != s.text_hashes[d] {
                    return Err(Error::input(format!(
                        "the text of `{}` changed during the scan: cannot quote it",
                        &s.ids[d]
                    )));
                }
                Ok(f)
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
            let got = st.fetch_records(&[1], &Texts::Memory(&docs)).unwrap();
            assert_eq!(got.len(), 1);
            assert_eq!(got[0].text, words(10, 50));
            let mut changed = docs.clone();
            changed[1].text.push_str(" edited");
            let err = st
                .fetch_records(&[1], &Texts::Memory(&changed))
                .unwrap_err();
            assert!(err.to_string().contains("changed during the scan"), "{err}");
            assert!(matches!(err.kind(), crate::ErrorKind::Input(_)), "{err:?}");
        });
    }
}
