//! Batches of documents read again: memory bounded by a budget, not by the corpus.
//!
//! The scan keeps no shingle set and no text (see the module documentation of
//! [`super`]). Exact verification, clustering (the chaining guard and the roles compare
//! members that are not matches) and passages need them, for the documents of candidate pairs
//! only. [`plan`] groups those pairs into batches of whole connected components whose documents
//! fit the budget; [`Scan::load`] reads each batch's documents again (in parallel, through the
//! sketch contract, checked against the hash taken while scanning) and makes what the stage
//! needs: exact shingle sets, the prepared form of [`crate::align`], titles and dates. A
//! document is read once per stage, whatever the number of its pairs.
//!
//! A component larger than the budget is split into runs of its pairs whose documents fit
//! (`whole` false: verification, where each pair stands alone), or loaded whole (`whole` true:
//! clustering, where any two members may be compared).

use super::read::snippet;
use super::texts::{Fetched, Texts};
use super::Scan;
use crate::align::Prepared;
use crate::cluster::UnionFind;
use crate::document::DocIdx;
use crate::error::Result;
use crate::normalize::Tokenizer;
use crate::sketch::{Order, RawRecord, Want};
use crate::verify::Similarity;
use crate::{ShingleKind, VerifyMode};
use rayon::prelude::*;
use std::cell::RefCell;
use std::sync::Arc;

/// What [`Scan::load_each`] makes of one document read again: its set, prepared form, title
/// and date.
type Made = (Box<[u64]>, Option<Arc<Prepared>>, String, Option<String>);

/// Documents to load together and the pairs (indices into the planned list) they serve.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Batch {
    /// Sorted, distinct.
    pub(super) docs: Vec<DocIdx>,
    /// Sorted indices into the pair list given to [`plan`].
    pub(super) pairs: Vec<u32>,
}

/// Splits the documents of `pairs` into batches of whole connected components that fit
/// `budget` (the sum of `weight` over a batch's documents), in order of each component's
/// first document. A component heavier than the budget is a batch of its own when `whole`,
/// else it is cut into runs of its pairs (in pair order) whose documents fit.
pub(super) fn plan(
    n: usize,
    pairs: &[(DocIdx, DocIdx)],
    weight: impl Fn(DocIdx) -> u64,
    budget: u64,
    whole: bool,
) -> Vec<Batch> {
    let mut uf = UnionFind::new(n);
    for &(a, b) in pairs {
        uf.union(a, b);
    }
    // (root, pair index): each component's pairs, components in root order (the root is the
    // smallest document, so this is the order of first documents).
    let mut by_root: Vec<(u32, u32)> = pairs
        .iter()
        .enumerate()
        .map(|(i, &(a, _))| (uf.find(a), i as u32))
        .collect();
    drop(uf);
    by_root.sort_unstable();
    let mut out: Vec<Batch> = Vec::new();
    let mut cur = Batch::default();
    let mut cur_weight = 0u64;
    let flush = |cur: &mut Batch, out: &mut Vec<Batch>| {
        if !cur.pairs.is_empty() {
            cur.docs.sort_unstable();
            cur.docs.dedup();
            cur.pairs.sort_unstable();
            out.push(std::mem::take(cur));
        }
    };
    for comp in by_root.chunk_by(|x, y| x.0 == y.0) {
        let mut docs: Vec<DocIdx> = comp
            .iter()
            .flat_map(|&(_, i)| {
                let (a, b) = pairs[i as usize];
                [a, b]
            })
            .collect();
        docs.sort_unstable();
        docs.dedup();
        let w: u64 = docs.iter().map(|&d| weight(d)).sum();
        if cur_weight + w <= budget {
            cur.docs.extend_from_slice(&docs);
            cur.pairs.extend(comp.iter().map(|x| x.1));
            cur_weight += w;
            continue;
        }
        flush(&mut cur, &mut out);
        cur_weight = 0;
        if w <= budget || whole {
            cur.docs = docs;
            cur.pairs = comp.iter().map(|x| x.1).collect();
            cur_weight = w;
            continue;
        }
        // Too heavy for one batch: runs of its pairs whose documents fit.
        let mut seen: ahash::AHashSet<DocIdx> = ahash::AHashSet::new();
        for &(_, i) in comp {
            let (a, b) = pairs[i as usize];
            let add: u64 = [a, b]
                .iter()
                .filter(|d| !seen.contains(d))
                .map(|&d| weight(d))
                .sum();
            if cur_weight + add > budget && !cur.pairs.is_empty() {
                flush(&mut cur, &mut out);
                cur_weight = 0;
                seen.clear();
            }
            for d in [a, b] {
                if seen.insert(d) {
                    cur_weight += weight(d);
                    cur.docs.push(d);
                }
            }
            cur.pairs.push(i);
        }
        flush(&mut cur, &mut out);
        cur_weight = 0;
    }
    flush(&mut cur, &mut out);
    out
}

/// The most documents whose texts are read again at a time while a batch is loaded.
pub(super) const FETCH_CHUNK: usize = 4096;
/// The most record bytes read again at a time (two chunks are held: one read, one made).
const FETCH_BYTES: u64 = 32 << 20;

/// What [`Scan::load`] makes for each document of a batch.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Make {
    /// Exact shingle sets (sorted, distinct), for exact similarities.
    pub(super) sets: bool,
    /// The prepared form of [`crate::align`], for passages.
    pub(super) passages: bool,
    /// Titles and dates, for the report.
    pub(super) meta: bool,
}

/// One batch's documents, loaded.
#[derive(Debug, Default)]
pub(super) struct Loaded {
    /// Sorted, distinct.
    pub(super) docs: Vec<DocIdx>,
    pub(super) sets: Vec<Box<[u64]>>,
    /// Shared with [`Kept`] when it keeps them.
    pub(super) prepared: Vec<Arc<Prepared>>,
    pub(super) titles: Vec<String>,
    pub(super) dates: Vec<Option<String>>,
}

impl Loaded {
    /// The position of document `d` (which must be loaded).
    pub(super) fn at(&self, d: DocIdx) -> usize {
        self.docs
            .binary_search(&d)
            .expect("a batch's pairs only name its documents")
    }
}

/// Documents that verification loaded and found in a match, kept for what comes after (the
/// containment candidates' verification, then clustering and the report): each one's exact
/// set, title and date, so it is not read, tokenised and sorted again, and its prepared form
/// for passages when the verification that kept it made one (that of the LSH candidates: a
/// document kept without one is read again for it, not for its set).
///
/// Bounded by design: verification sets `cap` to what the budget leaves beside its largest
/// batch, and the stages after it plan their batches in what the budget leaves beside the
/// kept documents; when batches need the whole budget (a large corpus), nothing is kept and
/// every stage reads its documents as before. Which documents are kept depends only on the
/// batches' order, and a kept set is the set that would be made again: reports do not
/// change.
#[derive(Debug, Default)]
pub(super) struct Kept {
    docs: ahash::AHashMap<DocIdx, KeptDoc>,
    bytes: u64,
    cap: u64,
}

#[derive(Debug, Clone)]
struct KeptDoc {
    set: Box<[u64]>,
    prepared: Option<Arc<Prepared>>,
    title: String,
    date: Option<String>,
}

impl KeptDoc {
    /// Bytes it takes, with its share of the table.
    fn weight(&self) -> u64 {
        104 + 8 * self.set.len() as u64
            + self.prepared.as_ref().map_or(0, |p| p.heap_bytes() as u64)
            + self.title.len() as u64
            + self.date.as_ref().map_or(0, |d| d.len() as u64)
    }
}

/// How [`Scan::load_each`] uses the [`Kept`] documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reuse {
    /// Copies them: a later stage needs them again.
    Copy,
    /// Takes them out: the last stage that needs them (a document is in one batch only).
    Take,
}

impl Kept {
    /// Bytes held.
    pub(super) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Documents held.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.docs.len()
    }

    /// Sets the most bytes it may hold from now on (never below what it holds).
    pub(super) fn set_cap(&mut self, cap: u64) {
        self.cap = cap.max(self.bytes);
    }

    fn has(&self, d: DocIdx) -> bool {
        self.docs.contains_key(&d)
    }

    /// Whether document `d` is kept with its prepared form.
    fn has_prepared(&self, d: DocIdx) -> bool {
        self.docs.get(&d).is_some_and(|k| k.prepared.is_some())
    }

    /// Keeps document `d`, at position `at` of `loaded` (its set, title and date are taken
    /// out of `loaded`, its prepared form shared), when it is not kept already and fits the
    /// cap: with its prepared form when that fits too, else without.
    pub(super) fn keep(&mut self, d: DocIdx, loaded: &mut Loaded, at: usize) {
        if self.has(d) || loaded.sets.len() <= at || loaded.titles.len() <= at {
            return;
        }
        let mut doc = KeptDoc {
            set: std::mem::take(&mut loaded.sets[at]),
            prepared: loaded.prepared.get(at).cloned(),
            title: std::mem::take(&mut loaded.titles[at]),
            date: loaded.dates[at].take(),
        };
        if self.bytes + doc.weight() > self.cap {
            doc.prepared = None;
        }
        let w = doc.weight();
        if self.bytes + w > self.cap {
            // Put back: the batch's callers may still read it.
            loaded.sets[at] = doc.set;
            loaded.titles[at] = doc.title;
            loaded.dates[at] = doc.date;
            return;
        }
        self.bytes += w;
        self.docs.insert(d, doc);
    }

    fn get(&mut self, d: DocIdx, reuse: Reuse) -> Option<KeptDoc> {
        match reuse {
            Reuse::Copy => self.docs.get(&d).cloned(),
            Reuse::Take => {
                let doc = self.docs.remove(&d)?;
                self.bytes -= doc.weight();
                Some(doc)
            }
        }
    }
}

/// `docs` cut in order into runs of at most `max_docs` documents and `max_bytes` of records
/// (`len` gives a document's record size; a longer record is a run of its own).
fn chunks(
    docs: &[DocIdx],
    len: impl Fn(DocIdx) -> u64,
    max_docs: usize,
    max_bytes: u64,
) -> Vec<&[DocIdx]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    for (i, &d) in docs.iter().enumerate() {
        let l = len(d);
        if i > start && (i - start == max_docs || bytes + l > max_bytes) {
            out.push(&docs[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += l;
    }
    if start < docs.len() {
        out.push(&docs[start..]);
    }
    out
}

/// The weight of the heaviest batch of `plan` (the sum of `weight` over its documents).
pub(super) fn heaviest(plan: &[Batch], weight: impl Fn(DocIdx) -> u64) -> u64 {
    plan.iter()
        .map(|b| b.docs.iter().map(|&d| weight(d)).sum::<u64>())
        .max()
        .unwrap_or(0)
}

/// Bytes a loaded document takes, by its shingle count and text size (for the budget).
pub(super) fn load_weight(make: Make, shingles: u32, text_bytes: u64) -> u64 {
    let mut w = 64;
    if make.sets {
        w += 8 * shingles as u64;
    }
    if make.passages {
        // Token spans and shingle hashes: 16 bytes a word. A word of news text is about 6
        // bytes with its separator (3 bytes a text byte); text of short words has more words
        // than that, and about as many shingles (16 bytes a shingle counted). The larger of
        // the two: repeated text has far fewer distinct shingles than words, and signing
        // deferred has no count at all.
        w += (3 * text_bytes).max(16 * shingles as u64);
    }
    if make.meta {
        w += 160;
    }
    w
}

impl Scan<'_> {
    /// Whether exact sets must come from texts read again (not made from kept tokens).
    pub(super) fn sets_from_texts(&self) -> bool {
        self.det.config.verify == VerifyMode::Exact && !self.sets_from_tokens()
    }

    /// Whether exact sets are made from kept token hashes (see `Scan::keep_tokens`).
    fn sets_from_tokens(&self) -> bool {
        self.det.needs.word_tokens && self.keep_tokens
    }

    /// `docs` cut into the chunks read again at a time (see [`chunks`]).
    pub(super) fn fetch_chunks<'a>(&self, docs: &'a [DocIdx]) -> Vec<&'a [DocIdx]> {
        let origins = &self.store.origins;
        chunks(
            docs,
            |d| origins[d as usize].len(),
            FETCH_CHUNK,
            FETCH_BYTES,
        )
    }

    /// The budget weight of document `d` when loaded with `make`.
    pub(super) fn weight(&self, d: DocIdx, make: Make) -> u64 {
        let s = &self.store;
        load_weight(make, s.sizes[d as usize], s.bytes[d as usize])
    }

    /// Loads `docs` (sorted, distinct) with what `make` asks for (one batch of
    /// [`Scan::load_each`]).
    #[cfg(test)]
    pub(super) fn load(&self, docs: Vec<DocIdx>, make: Make, texts: &Texts) -> Result<Loaded> {
        let batch = [Batch {
            docs,
            pairs: Vec::new(),
        }];
        let mut out = None;
        self.load_each(&batch, make, texts, None, |_, loaded| {
            out = Some(loaded);
            Ok(())
        })?;
        Ok(out.unwrap_or_default())
    }

    /// Loads the batches of `plan` in order with what `make` asks for, and hands each to
    /// `f`. Texts are read again only when something needs them; sets made from kept token
    /// hashes or not needed (under `--verify estimate`, similarities come from the
    /// signatures) are not read. Documents in `kept` (when given, and sets come from texts)
    /// give their set, title and date from there, copied or taken out as `Reuse` says, and
    /// are read again only for passages.
    ///
    /// Records are read a chunk at a time ([`FETCH_CHUNK`] documents, [`FETCH_BYTES`]) on a
    /// thread of their own, up to two chunks ahead of the work and across batches, and each
    /// chunk is made into what is kept right away: a batch never holds all its texts, and
    /// reading (from disk, when the input does not fit the page cache) overlaps with making
    /// and with `f`.
    pub(super) fn load_each(
        &self,
        plan: &[Batch],
        make: Make,
        texts: &Texts,
        kept: Option<(&RefCell<Kept>, Reuse)>,
        mut f: impl FnMut(&Batch, Loaded) -> Result<()>,
    ) -> Result<()> {
        let from_texts = make.sets && self.sets_from_texts();
        let start = |docs: &[DocIdx]| {
            let mut out = Loaded {
                docs: docs.to_vec(),
                ..Loaded::default()
            };
            if make.sets && self.sets_from_tokens() && self.det.config.verify == VerifyMode::Exact {
                let boiler = &self.boiler;
                out.sets = out
                    .docs
                    .par_iter()
                    .map(|&d| {
                        let mut v = Vec::new();
                        self.doc_shingles(d as usize, boiler, &mut v);
                        v.sort_unstable();
                        v.dedup();
                        v.into_boxed_slice()
                    })
                    .collect();
            }
            out
        };
        if !(from_texts || make.passages || make.meta) {
            for batch in plan {
                f(batch, start(&batch.docs))?;
            }
            return Ok(());
        }
        let kept = kept.filter(|_| from_texts);
        // Per batch, for each of its documents: whether it is kept, and whether it is read
        // (not kept, or kept without the prepared form passages need). Decided before any is
        // read: the reading thread walks the lists made from this.
        let reused: Vec<Vec<(bool, bool)>> = plan
            .iter()
            .map(|b| match kept {
                Some((k, _)) => {
                    let k = k.borrow();
                    let read = |d| !k.has(d) || (make.passages && !k.has_prepared(d));
                    b.docs.iter().map(|&d| (k.has(d), read(d))).collect()
                }
                None => vec![(false, true); b.docs.len()],
            })
            .collect();
        // The documents to read, and whether each needs its set made.
        let fetch: Vec<Vec<(DocIdx, bool)>> = plan
            .iter()
            .zip(&reused)
            .map(|(b, r)| {
                b.docs
                    .iter()
                    .zip(r)
                    .filter(|&(_, &(_, read))| read)
                    .map(|(&d, &(r, _))| (d, !r))
                    .collect()
            })
            .collect();
        let c = &self.det.config;
        let k = match c.shingle {
            ShingleKind::Word => c.ngram,
            // Character shingles say nothing about word runs: align on word trigrams.
            ShingleKind::Char => 3,
        };
        let sketcher = &self.det.sketcher;
        // With passages and word shingles, each text is tokenised once (tokens with their
        // spans): its set comes from the token hashes and its prepared form from the tokens.
        let shared = from_texts && make.passages && c.shingle == ShingleKind::Word;
        let make_one = |w: &mut crate::sketch::Worker,
                        tok: &mut Tokenizer,
                        f: Fetched,
                        d: DocIdx,
                        need_set: bool| {
            let shared = shared && need_set;
            // The text signed before, so it has shingles; an empty set would only make
            // its pairs fail verification.
            let set = if !need_set {
                Box::default()
            } else if from_texts && (shared || self.det.needs.word_tokens) {
                // Word shingles from the token hashes, without boilerplate windows (when
                // they are left out), as signed.
                w.hashes.clear();
                if shared {
                    w.tokens.clear();
                    tok.tokens_into(&f.text, &mut w.tokens);
                    w.hashes.extend(w.tokens.iter().map(|t| t.hash));
                } else {
                    tok.hashes_into(&f.text, &mut w.hashes);
                }
                self.doc_shingles_of(d as usize, &w.hashes, &self.boiler, &mut w.shingles);
                w.shingles.sort_unstable();
                w.shingles.dedup();
                w.shingles.clone().into_boxed_slice()
            } else if from_texts {
                let raw = RawRecord {
                    path: "",
                    line: None,
                    bytes: f.text.as_bytes(),
                };
                let want = Want {
                    order: Order::Set,
                    spans: false,
                    sign: false,
                };
                let id = &self.store.ids[d as usize];
                let _ = sketcher.sign(w, &raw, id, &f.text, want);
                w.shingles.clone().into_boxed_slice()
            } else {
                Box::default()
            };
            let prepared = make.passages.then(|| {
                Arc::new(if shared {
                    Prepared::from_token_hashes(&w.tokens, &w.hashes, k)
                } else {
                    Prepared::from_text(tok, &f.text, k)
                })
            });
            let title = match &f.title {
                Some(t) if !t.trim().is_empty() => t.trim().chars().take(120).collect(),
                _ => snippet(&f.text),
            };
            (set, prepared, title, f.date)
        };
        // Batch `i` from its documents read again (`made`, in order) and its kept ones.
        let finish = |i: usize, made: Vec<Made>| -> Result<Loaded> {
            let batch = &plan[i];
            let mut out = start(&batch.docs);
            let mut made = made.into_iter();
            let mut kept = kept.map(|(k, reuse)| (k.borrow_mut(), reuse));
            let missing = || crate::Error::internal("a batch's document was not loaded");
            for (&d, &(r, read)) in batch.docs.iter().zip(&reused[i]) {
                let fresh = if read {
                    Some(made.next().ok_or_else(missing)?)
                } else {
                    None
                };
                let (set, prepared, title, date) = match (r, &mut kept) {
                    (true, Some((k, reuse))) => {
                        let doc = k.get(d, *reuse).ok_or_else(missing)?;
                        let prepared = match fresh {
                            Some(m) => m.1,
                            None => doc.prepared.filter(|_| make.passages),
                        };
                        (doc.set, prepared, doc.title, doc.date)
                    }
                    _ => fresh.ok_or_else(missing)?,
                };
                if from_texts {
                    out.sets.push(set);
                }
                // One prepared form a document, in order, or passages would align the wrong
                // texts.
                match prepared {
                    Some(p) if make.passages => out.prepared.push(p),
                    None if !make.passages => {}
                    _ => return Err(missing()),
                }
                if make.meta {
                    out.titles.push(title);
                    out.dates.push(date);
                }
            }
            Ok(out)
        };
        // Every batch's chunks, in order: what the reading thread walks.
        let docs: Vec<Vec<DocIdx>> = fetch
            .iter()
            .map(|b| b.iter().map(|x| x.0).collect())
            .collect();
        let chunks: Vec<Vec<&[DocIdx]>> = docs.iter().map(|b| self.fetch_chunks(b)).collect();
        // The next batch to hand over, its chunks still to come, and its documents made so
        // far. Batches with nothing to read (all kept) go as soon as their turn comes.
        let mut next = 0;
        let mut made: Vec<Made> = Vec::new();
        let mut hand_over = |next: &mut usize, done: Option<Vec<Made>>| -> Result<()> {
            if let Some(made) = done {
                f(&plan[*next], finish(*next, made)?)?;
                *next += 1;
            }
            while *next < plan.len() && chunks[*next].is_empty() {
                f(&plan[*next], finish(*next, Vec::new())?)?;
                *next += 1;
            }
            Ok(())
        };
        hand_over(&mut next, None)?;
        let mut left = chunks.get(next).map_or(0, Vec::len);
        self.fetch_each(
            chunks.iter().flatten().copied().collect(),
            texts,
            |chunk, fetched| {
                let at = made.len();
                let need: &[(DocIdx, bool)] = &fetch[next][at..at + chunk.len()];
                let new: Vec<Made> = fetched
                    .into_par_iter()
                    .zip(need.par_iter())
                    .map_init(
                        || (sketcher.worker(), Tokenizer::new()),
                        |(w, tok), (f, &(d, need_set))| make_one(w, tok, f, d, need_set),
                    )
                    .collect();
                made.extend(new);
                left -= 1;
                if left == 0 {
                    hand_over(&mut next, Some(std::mem::take(&mut made)))?;
                    left = chunks.get(next).map_or(0, Vec::len);
                }
                Ok(())
            },
        )
    }

    /// Reads the records of `chunks` again (documents in input order within each), on a
    /// thread of their own up to two chunks ahead of the work, and hands each chunk with its
    /// records to `f`, in order. Reading (from disk, when the input does not fit the page
    /// cache) overlaps with the work; memory holds at most three chunks of records.
    pub(super) fn fetch_each<'c>(
        &self,
        chunks: Vec<&'c [DocIdx]>,
        texts: &Texts,
        mut f: impl FnMut(&'c [DocIdx], Vec<Fetched>) -> Result<()>,
    ) -> Result<()> {
        std::thread::scope(|scope| -> Result<()> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<Fetched>>>(1);
            let all = &chunks;
            scope.spawn(move || {
                for &chunk in all {
                    let wanted: Vec<usize> = chunk.iter().map(|&d| d as usize).collect();
                    let fetched = self.fetch_records(&wanted, texts);
                    let failed = fetched.is_err();
                    // A closed channel: the work stopped (an error); so does reading.
                    if tx.send(fetched).is_err() || failed {
                        break;
                    }
                }
            });
            for &chunk in &chunks {
                let fetched = rx
                    .recv()
                    .map_err(|_| crate::Error::internal("the reading thread stopped"))??;
                f(chunk, fetched)?;
            }
            Ok(())
        })
    }

    /// The similarity of `a` and `b`: exact from the loaded sets, or estimated from the
    /// signatures under `--verify estimate`.
    pub(super) fn similarity_in(&self, loaded: &Loaded, a: DocIdx, b: DocIdx) -> Similarity {
        if self.det.config.verify == VerifyMode::Exact {
            return Similarity::exact(&loaded.sets[loaded.at(a)], &loaded.sets[loaded.at(b)]);
        }
        self.similarity(a, b)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{doc, with_scan, words};
    use super::*;
    use crate::Config;

    /// What a test compares of a loaded batch: documents, sets, titles and dates.
    type Contents = (
        Vec<DocIdx>,
        Vec<Box<[u64]>>,
        Vec<String>,
        Vec<Option<String>>,
    );

    fn contents(l: &Loaded) -> Contents {
        (
            l.docs.clone(),
            l.sets.clone(),
            l.titles.clone(),
            l.dates.clone(),
        )
    }

    #[test]
    fn kept_documents_load_as_if_read_again_and_batches_keep_their_order() {
        let docs: Vec<_> = (0..5)
            .map(|i| {
                let mut d = doc(&format!("d{i}"), &words(i * 7, 40));
                d.date = Some(format!("2024-01-0{}", i + 1));
                d
            })
            .collect();
        with_scan(Config::default(), &docs, |st| {
            assert!(st.sets_from_texts(), "the test needs sets made from texts");
            let texts = Texts::Memory(&docs);
            let make = Make {
                sets: true,
                meta: true,
                passages: false,
            };
            let fresh = st.load(vec![0, 1, 2, 3, 4], make, &texts).unwrap();
            let kept = RefCell::new(Kept::default());
            let mut l = st.load(vec![1, 2, 3], make, &texts).unwrap();
            // A cap below one document keeps nothing and leaves the batch as it was.
            kept.borrow_mut().set_cap(10);
            kept.borrow_mut().keep(1, &mut l, 0);
            assert_eq!(kept.borrow().len(), 0);
            assert_eq!(l.sets[0], fresh.sets[1]);
            kept.borrow_mut().set_cap(u64::MAX);
            for (at, d) in [(0, 1), (1, 2), (2, 3), (0, 1)] {
                kept.borrow_mut().keep(d, &mut l, at);
            }
            assert_eq!(kept.borrow().len(), 3);
            let held = kept.borrow().bytes();
            // Batch 1 is all kept (nothing to read): it still comes second.
            let plan = [
                Batch {
                    docs: vec![0, 1],
                    pairs: vec![],
                },
                Batch {
                    docs: vec![2, 3],
                    pairs: vec![],
                },
                Batch {
                    docs: vec![3, 4],
                    pairs: vec![],
                },
            ];
            let mut got = Vec::new();
            st.load_each(&plan, make, &texts, Some((&kept, Reuse::Copy)), |b, l| {
                got.push((b.docs.clone(), contents(&l)));
                Ok(())
            })
            .unwrap();
            assert_eq!(got.len(), 3);
            for (docs, (loaded, sets, titles, dates)) in &got {
                assert_eq!(docs, loaded);
                for (k, &d) in docs.iter().enumerate() {
                    let d = d as usize;
                    assert_eq!(sets[k], fresh.sets[d], "set of {d}");
                    assert_eq!(titles[k], fresh.titles[d], "title of {d}");
                    assert_eq!(dates[k], fresh.dates[d], "date of {d}");
                }
            }
            assert_eq!(
                kept.borrow().bytes(),
                held,
                "copies leave the kept documents"
            );
            // Taken out (each document in one batch), with passages: read again for the
            // prepared form only.
            let make = Make {
                passages: true,
                ..make
            };
            let plan = [Batch {
                docs: vec![0, 1, 2, 3, 4],
                pairs: vec![],
            }];
            let mut taken = None;
            st.load_each(&plan, make, &texts, Some((&kept, Reuse::Take)), |_, l| {
                taken = Some(l);
                Ok(())
            })
            .unwrap();
            let taken = taken.unwrap();
            let again = st.load(vec![0, 1, 2, 3, 4], make, &texts).unwrap();
            assert_eq!(contents(&taken), contents(&again));
            assert_eq!(taken.prepared.len(), 5);
            assert_eq!((kept.borrow().len(), kept.borrow().bytes()), (0, 0));
        });
    }

    #[test]
    fn documents_kept_with_prepared_forms_are_not_read_again_for_passages() {
        let docs: Vec<_> = (0..4)
            .map(|i| doc(&format!("d{i}"), &words(i * 9, 40)))
            .collect();
        // The texts as a later stage finds them, document 0 changed: reading it again is an
        // error ("changed during the scan"), so a stage that succeeds did not read it.
        let mut later = docs.clone();
        later[0].text = words(500, 40);
        with_scan(Config::default(), &docs, |st| {
            let all = Make {
                sets: true,
                meta: true,
                passages: true,
            };
            let texts = Texts::Memory(&docs);
            let fresh = st.load(vec![0, 1, 2, 3], all, &texts).unwrap();
            let plan = [Batch {
                docs: vec![0, 1, 2, 3],
                pairs: vec![],
            }];
            let take = |kept: &RefCell<Kept>| {
                let mut taken = None;
                st.load_each(
                    &plan,
                    all,
                    &Texts::Memory(&later),
                    Some((kept, Reuse::Take)),
                    |_, l| {
                        taken = Some(l);
                        Ok(())
                    },
                )
                .map(|()| taken.unwrap())
            };
            // Document 0 kept with its prepared form, 1 without (loaded without passages), 2
            // and 3 not at all.
            let kept = RefCell::new(Kept::default());
            let mut with = st.load(vec![0, 2], all, &texts).unwrap();
            let mut without = st
                .load(
                    vec![0, 1],
                    Make {
                        passages: false,
                        ..all
                    },
                    &texts,
                )
                .unwrap();
            kept.borrow_mut().set_cap(u64::MAX);
            kept.borrow_mut().keep(0, &mut with, 0);
            kept.borrow_mut().keep(1, &mut without, 1);
            // A cap that fits a document's set but not its prepared form keeps the set only.
            let bytes = kept.borrow().bytes();
            kept.borrow_mut()
                .set_cap(bytes + 104 + 8 * with.sets[1].len() as u64 + 500);
            kept.borrow_mut().keep(2, &mut with, 1);
            assert!(kept.borrow().has(2) && !kept.borrow().has_prepared(2));
            assert!(kept.borrow().has_prepared(0) && !kept.borrow().has_prepared(1));
            kept.borrow_mut().docs.remove(&2);
            kept.borrow_mut().bytes = bytes;
            let taken = take(&kept).unwrap();
            assert_eq!(taken.sets, fresh.sets);
            assert_eq!(taken.prepared, fresh.prepared);
            assert_eq!(taken.titles, fresh.titles);
            assert_eq!((kept.borrow().len(), kept.borrow().bytes()), (0, 0));
            // Kept without its prepared form, document 0 is read again: the change is found.
            let kept = RefCell::new(Kept::default());
            kept.borrow_mut().set_cap(u64::MAX);
            kept.borrow_mut().keep(0, &mut without, 0);
            let err = take(&kept).unwrap_err();
            assert!(err.to_string().contains("changed during the scan"), "{err}");
        });
    }

    #[test]
    fn a_loaded_prepared_form_weighs_no_more_than_the_budget_counts() {
        // Two-letter words (3 bytes a word with the space): more words a byte than news.
        let short: String = (b'a'..=b'z')
            .flat_map(|x| (b'a'..=b'z').map(move |y| format!("{}{} ", x as char, y as char)))
            .collect();
        let news = words(0, 400);
        let docs = vec![doc("short", &short), doc("news", &news)];
        with_scan(Config::default(), &docs, |st| {
            let make = Make {
                sets: false,
                meta: false,
                passages: true,
            };
            for (d, text) in [(0, &short), (1, &news)] {
                let held = Prepared::new(text, st.det.config.ngram).heap_bytes() as u64;
                assert!(
                    st.weight(d, make) >= held,
                    "{d}: {} < {held}",
                    st.weight(d, make)
                );
            }
        });
    }

    fn docs_of(batches: &[Batch]) -> Vec<Vec<DocIdx>> {
        batches.iter().map(|b| b.docs.clone()).collect()
    }

    #[test]
    fn records_are_read_again_in_chunks_bounded_by_count_and_bytes() {
        let docs: Vec<DocIdx> = (0..10).collect();
        // Document 4 alone is over the byte bound: a chunk of its own.
        let len = |d: DocIdx| if d == 4 { 100 } else { 10 };
        let got = chunks(&docs, len, 3, 25);
        let want: Vec<&[DocIdx]> = vec![&[0, 1], &[2, 3], &[4], &[5, 6], &[7, 8], &[9]];
        assert_eq!(got, want);
        let got = chunks(&docs, |_| 1, 4, 1000);
        let want: Vec<&[DocIdx]> = vec![&[0, 1, 2, 3], &[4, 5, 6, 7], &[8, 9]];
        assert_eq!(got, want);
        assert!(chunks(&[], |_| 1, 4, 10).is_empty());
    }

    #[test]
    fn whole_components_are_packed_while_they_fit() {
        // Components {0,1,2}, {3,4}, {5,6}; each document weighs 1.
        let pairs = [(0, 1), (1, 2), (3, 4), (5, 6)];
        let b = plan(8, &pairs, |_| 1, 5, false);
        assert_eq!(docs_of(&b), vec![vec![0, 1, 2, 3, 4], vec![5, 6]]);
        assert_eq!(b[0].pairs, vec![0, 1, 2]);
        assert_eq!(b[1].pairs, vec![3]);
        // Every pair is served once, by a batch holding both its documents.
        let big = plan(8, &pairs, |_| 1, 100, false);
        assert_eq!(big.len(), 1);
        assert_eq!(big[0].pairs, vec![0, 1, 2, 3]);
    }

    #[test]
    fn a_component_over_the_budget_is_cut_into_runs_of_pairs_unless_whole() {
        // A star of 6 documents around 0.
        let pairs: Vec<(u32, u32)> = (1..6).map(|x| (0, x)).collect();
        let cut = plan(6, &pairs, |_| 1, 3, false);
        assert_eq!(
            docs_of(&cut),
            vec![vec![0, 1, 2], vec![0, 3, 4], vec![0, 5]]
        );
        for b in &cut {
            for &i in &b.pairs {
                let (x, y) = pairs[i as usize];
                assert!(b.docs.contains(&x) && b.docs.contains(&y));
            }
        }
        let mut served: Vec<u32> = cut.iter().flat_map(|b| b.pairs.clone()).collect();
        served.sort_unstable();
        assert_eq!(served, vec![0, 1, 2, 3, 4]);
        let whole = plan(6, &pairs, |_| 1, 3, true);
        assert_eq!(docs_of(&whole), vec![vec![0, 1, 2, 3, 4, 5]]);
    }
}
