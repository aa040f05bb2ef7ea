//! Reading: raw records -> the [`Store`] of a scan.
//!
//! Batches of raw records arrive from the reader thread; each record is signed through the
//! sketch contract ([`crate::sketch`]) in parallel (rayon, results in input order), with the
//! sentence stage's per-document work when it is on. [`Scan::accept`] then appends the
//! documents sequentially, checking ids for duplicates (the first occurrence wins), so the
//! store is the same at any thread count; the next batch is signed meanwhile
//! ([`Scan::read_batches`]), so the pool does not wait for the append. The text itself is not
//! kept.

use super::texts::Kept;
use super::{Detector, Scan};
use crate::containment;
use crate::document::{parse_date, DocIdx, Document, Problem, ProblemKind};
use crate::error::{Error, Result};
use crate::input::Batch;
use crate::repeat::{self, DocRepeats, Edge};
use crate::sketch::{Order, RawRecord, RecordText, Want};
use crate::VerifyMode;
use rayon::prelude::*;

/// Where a document came from: its file, line (0: none), and the record's place in the file.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Origin0 {
    pub(super) file: u32,
    len: u32,
    line: u64,
    pub(super) offset: u64,
}

impl Origin0 {
    pub(super) fn new(file: u32, line: Option<u64>, offset: u64, len: u64) -> Origin0 {
        Origin0 {
            file,
            // Records are at most `--max-doc-bytes` (well below 4 GB) long.
            len: u32::try_from(len).unwrap_or(u32::MAX),
            line: line.unwrap_or(0),
            offset,
        }
    }

    /// The 1-based line, if the record has one.
    pub(super) fn line(&self) -> Option<u64> {
        (self.line != 0).then_some(self.line)
    }

    /// The record's length in bytes.
    pub(super) fn len(&self) -> u64 {
        self.len as u64
    }
}

/// The ids of a scan in one arena, with a table from id hash to document for duplicate
/// checks: about 30 bytes a document beyond the id itself, not two boxed copies.
#[derive(Debug, Default)]
pub(super) struct Ids {
    text: String,
    ends: Vec<u64>,
    /// By the id's hash; ids whose hash another id already has go to `collided`.
    by_hash: ahash::AHashMap<u64, DocIdx>,
    collided: ahash::AHashMap<Box<str>, DocIdx>,
}

impl Ids {
    fn hash(id: &str) -> u64 {
        xxhash_rust::xxh3::xxh3_64(id.as_bytes())
    }

    /// The number of ids.
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The document with id `id`, if any.
    pub(super) fn find(&self, id: &str) -> Option<DocIdx> {
        match self.by_hash.get(&Ids::hash(id)) {
            Some(&d) if &self[d as usize] == id => Some(d),
            Some(_) => self.collided.get(id).copied(),
            None => None,
        }
    }

    /// Appends `id` (not already present) as the next document.
    pub(super) fn push(&mut self, id: &str) {
        let d = self.ends.len() as DocIdx;
        match self.by_hash.entry(Ids::hash(id)) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(d);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.collided.insert(id.into(), d);
            }
        }
        self.text.push_str(id);
        self.ends.push(self.text.len() as u64);
    }
}

impl std::ops::Index<usize> for Ids {
    type Output = str;
    fn index(&self, d: usize) -> &str {
        let start = if d == 0 { 0 } else { self.ends[d - 1] as usize };
        &self.text[start..self.ends[d] as usize]
    }
}

/// The documents of a scan as the later stages need them. Neither the text nor the shingle
/// set is kept (they are read again for the documents of candidate pairs, see
/// [`super::batches`]), nor the title and date (read again for reported documents): per
/// document its id, origin, sizes, date key, group, text hash, LSH band keys and containment
/// sample. The signature is kept only under `--verify estimate`, which needs it.
#[derive(Debug, Default)]
pub(super) struct Store {
    pub(super) ids: Ids,
    pub(super) date_keys: Vec<Option<i64>>,
    pub(super) bytes: Vec<u64>,
    pub(super) sizes: Vec<u32>,
    /// Short documents' sets under `--verify estimate` (see [`Scan::similarity`]).
    pub(super) shingles: Vec<Box<[u64]>>,
    pub(super) tokens: Vec<Box<[u64]>>,
    /// Signatures, `num_perm` per document (`--verify estimate` only).
    pub(super) sigs: Vec<u32>,
    /// LSH band keys, `bands` per document.
    pub(super) keys: Vec<u64>,
    /// Containment samples (see [`crate::containment::sample`]).
    pub(super) samples: containment::Samples,
    /// Fingerprints of the finer sample that confirms containment candidates (see
    /// [`crate::containment::fingerprints`]).
    pub(super) fine: super::fine::FineStore,
    /// Group number per document (`u32::MAX`: none), numbered in order of first sight.
    pub(super) groups: Vec<u32>,
    pub(super) group_index: ahash::AHashMap<Box<str>, u32>,
    pub(super) origins: Vec<Origin0>,
    pub(super) text_hashes: Vec<u64>,
    /// Records of inputs that cannot be read twice (standard input, FIFOs), by document.
    pub(super) kept: ahash::AHashMap<DocIdx, Kept>,
    /// `sent_first[d]..sent_first[d + 1]`: document `d`'s sentences in the arrays below.
    pub(super) sent_first: Vec<u32>,
    pub(super) sent_hash: Vec<u64>,
    pub(super) sent_words: Vec<u32>,
    /// Global indices of sentences on lines of structure (table rows, list items,
    /// tab-separated lines), sorted: never near-repeats.
    pub(super) sent_structure: Vec<u32>,
    /// Within-document near-repeats, with global sentence indices.
    pub(super) within: Vec<Edge>,
    /// Within-document near-repeats found and quoted while reading (`within` mode), with
    /// their document.
    pub(super) within_found: Vec<(DocIdx, repeat::WithinRepeat)>,
    /// `(global sentence, number hash)`, sorted, for sentences with `min_words` words or more
    /// (`full` mode).
    pub(super) numbers: Vec<(u32, u64)>,
}

impl Store {
    /// About how many bytes the store holds (vector capacities and hash tables).
    pub(super) fn heap_bytes(&self) -> u64 {
        fn v<T>(x: &Vec<T>) -> u64 {
            (x.capacity() * std::mem::size_of::<T>()) as u64
        }
        let boxed = |x: &Vec<Box<[u64]>>| v(x) + x.iter().map(|b| 8 * b.len() as u64).sum::<u64>();
        let ids = &self.ids;
        let maps = 24 * (ids.by_hash.capacity() + ids.collided.capacity()) as u64;
        ids.text.capacity() as u64
            + v(&ids.ends)
            + maps
            + v(&self.date_keys)
            + v(&self.bytes)
            + v(&self.sizes)
            + boxed(&self.shingles)
            + boxed(&self.tokens)
            + v(&self.sigs)
            + v(&self.keys)
            + self.samples.heap_bytes()
            + self.fine.heap_bytes()
            + v(&self.groups)
            + v(&self.origins)
            + v(&self.text_hashes)
            + self
                .kept
                .values()
                .map(|k| k.text.len() as u64 + 64)
                .sum::<u64>()
            + v(&self.sent_first)
            + v(&self.sent_hash)
            + v(&self.sent_words)
            + v(&self.sent_structure)
            + v(&self.within)
            + v(&self.numbers)
    }
}

/// One record after parallel processing.
pub(super) struct Processed {
    pub(super) id: String,
    pub(super) date: Option<String>,
    pub(super) group: Option<String>,
    pub(super) bytes: u64,
    /// Shingles to keep (when shingles are kept, not token hashes).
    pub(super) shingles: Vec<u64>,
    /// Shingle count for `sizes` and the stats (0 when signing is deferred).
    pub(super) size: u32,
    pub(super) sig: Vec<u32>,
    pub(super) keys: Vec<u64>,
    /// Containment sample keys (see [`containment::sample_keys`]).
    pub(super) sample: Vec<u32>,
    /// Containment fingerprints (see [`containment::fingerprints`]).
    pub(super) fine: Vec<u16>,
    pub(super) tokens: Vec<u64>,
    pub(super) repeats: DocRepeats,
    /// `within` mode: the document's near-repeats, quoted.
    pub(super) within: repeat::DocWithin,
    /// Read as Windows-1252 (not valid UTF-8).
    pub(super) recoded: bool,
    pub(super) text_hash: u64,
    pub(super) kept: Option<Kept>,
    pub(super) offset: u64,
    pub(super) len: u64,
}

/// Per-thread buffers.
pub(super) struct Work {
    pub(super) sketch: crate::sketch::Worker,
    pub(super) repeat: repeat::SentenceWorker,
}

impl Work {
    pub(super) fn new(det: &Detector) -> Work {
        Work {
            sketch: det.sketcher.worker(),
            repeat: repeat::SentenceWorker::default(),
        }
    }
}

/// A raw record, and where to find it again.
pub(super) struct Origin<'a> {
    pub(super) raw: RawRecord<'a>,
    pub(super) offset: u64,
    pub(super) len: u64,
    pub(super) keep_text: bool,
}

/// The first words of a text, for display: the first non-empty line, up to 80 characters.
pub fn snippet(text: &str) -> String {
    let line = text
        .lines()
        .map(|l| l.trim().trim_start_matches('#').trim())
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut s: String = line.chars().take(80).collect();
    if line.chars().count() > 80 {
        s.push('…');
    }
    s
}

/// Documents held in memory are signed this many at a time.
const MEMORY_CHUNK: usize = 4096;

/// The hash kept to check that a document read again is the one scanned.
pub(super) fn text_hash(text: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(text.as_bytes(), crate::normalize::TOKEN_SEED)
}

impl<'d> Scan<'d> {
    /// Reads documents held in memory: the path is `<memory>`, the line the 1-based position.
    /// Like [`Scan::read_batches`], a chunk is signed while the one before it is appended.
    pub(super) fn read_documents(&mut self, docs: &[Document]) -> Result<()> {
        self.stats.files = 1;
        self.names = vec!["<memory>".to_string()];
        let signer = self.signer();
        let mut chunks = docs.chunks(MEMORY_CHUNK).enumerate();
        let mut pending = chunks
            .next()
            .map(|(ci, chunk)| (ci, chunk, signer.sign_documents(chunk, ci * MEMORY_CHUNK)));
        while let Some((ci, chunk, results)) = pending.take() {
            let next = chunks.next();
            let (signed, added) = rayon::join(
                || next.map(|(cj, c)| (cj, c, signer.sign_documents(c, cj * MEMORY_CHUNK))),
                || -> Result<()> {
                    for (i, r) in results.into_iter().enumerate() {
                        self.stats.input_bytes += chunk[i].text.len() as u64;
                        self.accept(0, Some((ci * MEMORY_CHUNK + i + 1) as u64), r)?;
                    }
                    Ok(())
                },
            );
            added?;
            pending = signed;
        }
        Ok(())
    }

    /// What signing a record needs of the scan ([`Signer`]): none of its store, so a batch
    /// is signed while the one before it is appended (see [`Scan::read_batches`]).
    pub(super) fn signer(&self) -> Signer<'d> {
        Signer {
            det: self.det,
            keep_tokens: self.keep_tokens,
        }
    }

    /// Appends a signed batch (see [`Signer::sign_batch`]) to the store: reader problems and
    /// records in line order (strict mode stops at the first bad record in input order).
    pub(super) fn add_batch(
        &mut self,
        batch: &Batch,
        names: &[String],
        results: Vec<Signed>,
    ) -> Result<()> {
        self.stats.input_bytes += batch.bytes;
        self.stats.blank_lines += batch.blank_lines;
        let mut reader_problems: Vec<Problem> = batch.problems.clone();
        reader_problems.sort_by_key(|p| p.line);
        let mut rp = reader_problems.into_iter().peekable();
        let file_of = |p: &Problem| {
            names
                .iter()
                .position(|n| *n == p.path)
                .map(|i| i as u32)
                .unwrap_or(u32::MAX)
        };
        for (r, res) in batch.records.iter().zip(results) {
            while let Some(p) = rp.next_if(|p| p.line.unwrap_or(0) < r.line.unwrap_or(0)) {
                let f = file_of(&p);
                self.problem(f, p)?;
            }
            let res = match (res, &mut self.spool) {
                (Ok(mut p), Some(spool)) if self.spooled[r.file as usize] => {
                    p.offset = spool.append(batch.record(r))?;
                    Ok(p)
                }
                (res, _) => res,
            };
            self.accept(r.file, r.line, res)?;
        }
        for p in rp {
            let f = file_of(&p);
            self.problem(f, p)?;
        }
        Ok(())
    }

    /// Signs and appends the batches `rx` delivers, in order. Batch `k + 1` is signed on the
    /// thread pool while batch `k` is appended (sequential: ids are checked and keys
    /// copied in input order), so the pool is not idle while the store grows; the store and
    /// every problem are as if each batch were signed, then appended. `after` runs after
    /// each batch is appended. On an error no later batch is appended.
    pub(super) fn read_batches(
        &mut self,
        rx: impl Iterator<Item = Batch>,
        names: &[String],
        keep: &[bool],
        mut after: impl FnMut(&Scan),
    ) -> Result<()> {
        let signer = self.signer();
        let mut pending: Option<(Batch, Vec<Signed>)> = None;
        for batch in rx {
            let signed = match pending.take() {
                None => signer.sign_batch(&batch, names, keep),
                Some((prev, results)) => {
                    let (signed, added) = rayon::join(
                        || signer.sign_batch(&batch, names, keep),
                        || self.add_batch(&prev, names, results),
                    );
                    added?;
                    after(self);
                    signed
                }
            };
            pending = Some((batch, signed));
        }
        if let Some((prev, results)) = pending {
            self.add_batch(&prev, names, results)?;
            after(self);
        }
        Ok(())
    }

    pub(super) fn accept(
        &mut self,
        file: u32,
        line: Option<u64>,
        res: std::result::Result<Processed, Problem>,
    ) -> Result<()> {
        let p = match res {
            Ok(p) => p,
            Err(problem) => return self.problem(file, problem),
        };
        if let Some(first) = self.store.ids.find(p.id.as_str()) {
            let o = self.store.origins[first as usize];
            let at = match o.line() {
                Some(l) => format!("{}:{l}", self.path(o.file)),
                None => self.path(o.file),
            };
            let problem = Problem {
                path: self.path(file),
                line,
                id: Some(p.id.clone()),
                kind: ProblemKind::DuplicateId,
                message: format!("duplicate id `{}` (first seen at {at}); skipped", p.id),
            };
            return self.problem(file, problem);
        }
        let needs = self.det.needs;
        let s = &mut self.store;
        let idx = s.ids.len() as DocIdx;
        s.ids.push(&p.id);
        let key = p.date.as_deref().and_then(parse_date);
        if key.is_some() {
            self.stats.dated_documents += 1;
        } else if p.date.is_some() {
            self.stats.unreadable_dates += 1;
        }
        let s = &mut self.store;
        s.date_keys.push(key);
        let group = match p.group {
            None => u32::MAX,
            Some(g) => match s.group_index.get(g.as_str()) {
                Some(&n) => n,
                None => {
                    let n = s.group_index.len() as u32;
                    s.group_index.insert(g.into(), n);
                    n
                }
            },
        };
        s.groups.push(group);
        s.bytes.push(p.bytes);
        s.sizes.push(p.size);
        s.origins.push(Origin0::new(file, line, p.offset, p.len));
        self.stats.shingles += p.size as u64;
        self.stats.text_bytes += p.bytes;
        match self.det.config.verify {
            // Exact sets are made again for the documents of candidate pairs only.
            VerifyMode::Exact => {}
            // Under estimates only short documents keep their set: two of them are compared
            // exactly (see `minhash::MIN_ESTIMATE_SHINGLES`). Deferred signing keeps them then.
            VerifyMode::Estimate if !needs.defer_sign => {
                s.shingles.push(
                    if (p.size as usize) < crate::minhash::MIN_ESTIMATE_SHINGLES {
                        p.shingles.into_boxed_slice()
                    } else {
                        Box::default()
                    },
                );
            }
            VerifyMode::Estimate => {}
        }
        if self.keep_tokens {
            s.tokens.push(p.tokens.into_boxed_slice());
        }
        s.sigs.extend_from_slice(&p.sig);
        s.keys.extend_from_slice(&p.keys);
        if needs.samples && !needs.defer_sign {
            s.samples.push_keys(&p.sample);
            s.fine.push(&p.fine)?;
        }
        s.text_hashes.push(p.text_hash);
        if let Some(k) = p.kept {
            s.kept.insert(idx, k);
        }
        if needs.sentences {
            let base = s.sent_hash.len() as u32;
            for (h, w) in &p.repeats.sentences {
                s.sent_hash.push(*h);
                s.sent_words.push(*w);
            }
            let Ok(end) = u32::try_from(s.sent_hash.len()) else {
                return Err(Error::input(
                    "more than 4 billion sentences: run with --sentences off",
                ));
            };
            s.sent_first.push(end);
            s.numbers
                .extend(p.repeats.numbers.iter().map(|&(i, h)| (base + i, h)));
            s.sent_structure
                .extend(p.repeats.structure.iter().map(|&i| base + i));
            s.within.extend(p.repeats.within.iter().map(|e| Edge {
                a: base + e.a,
                b: base + e.b,
                sim: e.sim,
            }));
            self.stats.sentences += p.repeats.sentences.len() as u64;
            self.stats.changed_numbers += p.repeats.changed_numbers;
        }
        if needs.within {
            self.stats.sentences += p.within.sentences;
            self.stats.changed_numbers += p.within.changed_numbers;
            let s = &mut self.store;
            s.within_found
                .extend(p.within.repeats.into_iter().map(|r| (idx, r)));
        }
        self.stats.recoded += p.recoded as u64;
        self.stats.documents += 1;
        self.stats.records += 1;
        Ok(())
    }
}

/// What signing a record needs of a scan: the detector, and whether token hashes are kept.
#[derive(Clone, Copy)]
pub(super) struct Signer<'d> {
    pub(super) det: &'d Detector,
    pub(super) keep_tokens: bool,
}

/// A signed record, or why it is not a document.
pub(super) type Signed = std::result::Result<Processed, Problem>;

impl Signer<'_> {
    /// Signs the records of `batch` in parallel, results in input order.
    pub(super) fn sign_batch(&self, batch: &Batch, names: &[String], keep: &[bool]) -> Vec<Signed> {
        let det = self.det;
        batch
            .records
            .par_iter()
            .map_init(
                || Work::new(det),
                |w, r| {
                    let origin = Origin {
                        raw: RawRecord {
                            path: &names[r.file as usize],
                            line: r.line,
                            bytes: batch.record(r),
                        },
                        offset: r.offset,
                        len: (r.end - r.start) as u64,
                        keep_text: keep[r.file as usize],
                    };
                    self.process_record(w, &origin)
                },
            )
            .collect()
    }

    /// Signs documents held in memory in parallel, results in order; `first` is the index of
    /// `docs[0]` among all of them (its line is `first + 1`).
    fn sign_documents(&self, docs: &[Document], first: usize) -> Vec<Signed> {
        let det = self.det;
        docs.par_iter()
            .enumerate()
            .map_init(
                || Work::new(det),
                |w, (i, d)| {
                    let origin = Origin {
                        raw: RawRecord {
                            path: "<memory>",
                            line: Some((first + i + 1) as u64),
                            bytes: d.text.as_bytes(),
                        },
                        offset: (first + i) as u64,
                        len: d.text.len() as u64,
                        keep_text: false,
                    };
                    det.sketcher.check(&origin.raw, &d.id, &d.text)?;
                    let rec = RecordText {
                        id: d.id.clone(),
                        text: d.text.as_str().into(),
                        date: d.date.clone(),
                        title: d.title.clone(),
                        group: d.group.clone(),
                        recoded: false,
                    };
                    self.process_fields(w, &origin, rec)
                },
            )
            .collect()
    }

    /// A raw record -> its fields through the sketch contract, then [`Signer::process_fields`].
    pub(super) fn process_record(
        &self,
        w: &mut Work,
        origin: &Origin,
    ) -> std::result::Result<Processed, Problem> {
        let rec = self.det.sketcher.read(&origin.raw)?;
        self.process_fields(w, origin, rec)
    }

    /// Signs a record's fields through the sketch contract and keeps what the later stages
    /// need ([`Needs`]): the sentence stage's repeats and tokens, the shingles, the signature,
    /// the containment sample and the text hash.
    pub(super) fn process_fields(
        &self,
        w: &mut Work,
        origin: &Origin,
        rec: RecordText,
    ) -> std::result::Result<Processed, Problem> {
        let c = &self.det.config;
        let needs = self.det.needs;
        let text: &str = &rec.text;
        let want = Want {
            order: match c.verify {
                // Sorted later, only for candidates (see `Scan::finish`).
                VerifyMode::Exact => Order::Text,
                // The set is dropped after signing, but its size is needed.
                VerifyMode::Estimate => Order::Set,
            },
            spans: needs.sentences || needs.within,
            sign: !needs.defer_sign,
        };
        self.det
            .sketcher
            .sign(&mut w.sketch, &origin.raw, &rec.id, text, want)?;
        let mut out = Processed {
            id: rec.id.clone(),
            date: rec.date.clone(),
            group: rec.group.clone(),
            bytes: text.len() as u64,
            shingles: Vec::new(),
            size: 0,
            sig: Vec::new(),
            keys: Vec::new(),
            sample: Vec::new(),
            fine: Vec::new(),
            recoded: rec.recoded,
            tokens: Vec::new(),
            repeats: DocRepeats::default(),
            within: repeat::DocWithin::default(),
            text_hash: 0,
            kept: None,
            offset: origin.offset,
            len: origin.len,
        };
        let sk = &mut w.sketch;
        if needs.sentences {
            out.repeats =
                w.repeat
                    .document(text, &sk.tokens, &sk.hashes, &c.sentences, needs.numbers);
        }
        if needs.within {
            out.within = w.repeat.within(text, &sk.tokens, &sk.hashes, &c.sentences);
        }
        out.text_hash = text_hash(text);
        if origin.keep_text {
            out.kept = Some(Kept {
                text: text.into(),
                title: rec.title.as_deref().map(Into::into),
                date: rec.date.as_deref().map(Into::into),
            });
        }
        if !needs.defer_sign {
            out.size = sk.shingles.len() as u32;
            let params = self.det.sketcher.params();
            out.keys = params.band_keys(&sk.signature);
            if c.verify == VerifyMode::Estimate {
                out.sig = sk.signature.clone();
            }
            if needs.samples {
                (out.sample, out.fine) =
                    containment::sample_keys(&sk.shingles, c.containment.sample_rate());
            }
            if c.verify == VerifyMode::Estimate {
                out.shingles = std::mem::take(&mut sk.shingles);
            }
        }
        if self.keep_tokens {
            out.tokens = std::mem::take(&mut sk.hashes);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{doc, with_scan, words};
    use super::{Document, Scan, MEMORY_CHUNK};
    use crate::document::ProblemKind;
    use crate::Config;

    #[test]
    fn documents_are_stored_in_input_order_and_the_first_id_wins() {
        let docs = vec![
            doc("a", &words(0, 10)),
            doc("b", "  ...  "),
            doc("a", &words(50, 10)),
            doc("c", &words(100, 10)),
        ];
        with_scan(Config::default(), &docs, |st| {
            let ids: Vec<&str> = (0..st.store.ids.len()).map(|d| &st.store.ids[d]).collect();
            assert_eq!(ids, ["a", "c"]);
            assert_eq!(st.stats.records, 4);
            assert_eq!(st.stats.documents, 2);
            let kinds: Vec<ProblemKind> = st.problems.iter().map(|(_, p)| p.kind).collect();
            assert_eq!(
                kinds,
                [ProblemKind::EmptyDocument, ProblemKind::DuplicateId]
            );
            let dup = &st.problems[1].1;
            assert!(
                dup.message.contains("first seen at <memory>:1"),
                "{}",
                dup.message
            );
            // Band keys, not signatures or shingle sets, under exact verification.
            let bands = st.det.sketcher.params().bands;
            assert_eq!(st.store.keys.len(), 2 * bands);
            assert!(st.store.sigs.is_empty());
            assert!(st.store.shingles.is_empty());
            assert_eq!(st.store.ids.find("c"), Some(1));
            assert_eq!(st.store.ids.find("b"), None);
        });
    }

    #[test]
    fn chunks_signed_while_the_last_is_appended_keep_input_order() {
        // Three chunks and a bit: a duplicate of a document of the first chunk in the third,
        // an empty document at each chunk boundary. Every document, key and problem lands in
        // input order, as if the chunks were signed and appended one after the other.
        let n = 3 * MEMORY_CHUNK + 10;
        let docs: Vec<Document> = (0..n)
            .map(|i| match i {
                _ if i % MEMORY_CHUNK == 0 && i > 0 => doc(&format!("d{i}"), " "),
                _ if i == 2 * MEMORY_CHUNK + 7 => doc("d5", &words(0, 12)),
                _ => doc(&format!("d{i}"), &words(i * 3, 12)),
            })
            .collect();
        with_scan(Config::default(), &docs, |st| {
            let mut alone = Scan::new(st.det);
            for (i, d) in docs.iter().enumerate() {
                let r = alone.signer().sign_documents(std::slice::from_ref(d), i);
                alone.stats.input_bytes += d.text.len() as u64;
                let line = Some(i as u64 + 1);
                alone
                    .accept(0, line, r.into_iter().next().unwrap())
                    .unwrap();
            }
            assert_eq!(st.stats.records, n as u64);
            assert_eq!(st.stats.documents, n as u64 - 4);
            assert_eq!(st.store.ids.len(), n - 4);
            let lines: Vec<(ProblemKind, Option<u64>)> =
                st.problems.iter().map(|(_, p)| (p.kind, p.line)).collect();
            let c = MEMORY_CHUNK as u64;
            assert_eq!(
                lines,
                [
                    (ProblemKind::EmptyDocument, Some(c + 1)),
                    (ProblemKind::EmptyDocument, Some(2 * c + 1)),
                    (ProblemKind::DuplicateId, Some(2 * c + 8)),
                    (ProblemKind::EmptyDocument, Some(3 * c + 1)),
                ]
            );
            let ids = |s: &Scan| -> Vec<String> {
                (0..s.store.ids.len())
                    .map(|d| s.store.ids[d].to_string())
                    .collect()
            };
            assert_eq!(ids(st), ids(&alone));
            assert_eq!(st.store.keys, alone.store.keys);
            assert_eq!(st.store.text_hashes, alone.store.text_hashes);
            assert_eq!(st.stats.input_bytes, alone.stats.input_bytes);
        });
    }

    #[test]
    fn snippets_are_the_first_line_cut_at_80_characters() {
        assert_eq!(super::snippet("\n# Title here\nbody"), "Title here");
        let long = "x".repeat(100);
        assert_eq!(super::snippet(&long).chars().count(), 81);
    }
}
