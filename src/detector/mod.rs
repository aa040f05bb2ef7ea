//! The batch driver: inputs -> documents -> shingles and signatures -> candidates -> matches
//! -> clusters -> [`Report`].
//!
//! Reading runs on its own thread and hands batches of raw records to the main thread, which
//! parses, normalises, shingles and signs each batch in parallel (rayon, results kept in input
//! order), then appends the documents sequentially (ids checked for duplicates here, so the
//! first occurrence always wins). LSH, verification and clustering are parallel and
//! order-independent, so the report is byte-identical at any thread count.
//!
//! With the sentence stage on ([`crate::SentenceMode`]; off by default), each document is
//! also cut into sentences while it is read: their hashes and word counts are kept, and
//! near-repeats inside the document are found right there. Boilerplate needs the whole corpus,
//! so with word shingles the document keeps its token hashes and is shingled and signed once
//! reading is over, without the windows that touch boilerplate. After clustering, repeats are
//! grouped, and the texts of the occurrences to report are read again: plain files by seeking
//! to the record, compressed ones by decompressing up to it (standard input's texts are kept).
//!
//! Memory: per document its signature (4 x `num_perm` bytes), its id and title, and under
//! `--verify exact` its shingle set (8 bytes per distinct shingle, about 8 x words); with the
//! sentence stage, token hashes instead of shingles (8 bytes per word, and also under
//! `--verify estimate` until signing unless `--keep-boilerplate`) plus 12 bytes per sentence.
//! The text itself is not kept.

use crate::cluster;
use crate::config::{ClusterMode, Config, GroupPairs, SentenceMode, ShingleKind, VerifyMode};
use crate::containment;
use crate::document::{parse_date, DocIdx, Document, Problem, ProblemKind};
use crate::error::{Error, ErrorKind, Result};
use crate::input::{self, Batch, InputFile, InputKind, Source};
use crate::lsh;
use crate::minhash::{self, Signer};
use crate::normalize::Tokenizer;
use crate::repeat::{self, Boilerplate, DocRepeats, Edge};
use crate::report::{
    self, ClusterReport, MemberReport, Occurrence, PairReport, Parameters, RepeatReport, Report,
    SentenceParameters, Stats,
};
use crate::shingle;
use crate::sketch::{Order, RawRecord, RecordText, Sketcher, Want};
use crate::verify::{Criteria, Match, Relation, Similarity};
use rayon::prelude::*;
use std::time::{Duration, Instant};

/// Stages of a scan, for progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stage {
    /// Reading, normalising, shingling and signing documents.
    Read,
    /// Finding LSH candidates.
    Candidates,
    /// Verifying candidates.
    Verify,
    /// Clustering matches.
    Cluster,
    /// Boilerplate and sentence repeats.
    Repeats,
    /// Aligning the shared passages of reported pairs.
    Passages,
}

/// Receives progress; the CLI draws a bar, the library itself never prints.
pub trait Progress: Sync {
    /// The total input size when known (plain files only).
    fn start(&self, _total_bytes: Option<u64>) {}
    /// A stage begins.
    fn stage(&self, _stage: Stage) {}
    /// Documents and input bytes read so far.
    fn read(&self, _documents: u64, _bytes: u64) {}
    /// The scan is over.
    fn finish(&self) {}
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;
impl Progress for NoProgress {}

/// Wall time per stage (not part of the report, which must be deterministic).
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    /// Reading, parsing, normalising, shingling and signing.
    pub read: Duration,
    /// LSH candidates.
    pub candidates: Duration,
    /// Verification.
    pub verify: Duration,
    /// Clustering and building the report.
    pub cluster: Duration,
    /// Boilerplate, sentence repeats and reading their texts again.
    pub repeats: Duration,
    /// Reading the texts of reported pairs again and aligning their shared passages.
    pub passages: Duration,
}

/// A report and how long each stage took.
#[derive(Debug)]
pub struct Outcome {
    /// The deterministic report.
    pub report: Report,
    /// Stage timings.
    pub timings: Timings,
}

/// Runs scans with one validated configuration.
#[derive(Debug, Clone)]
pub struct Detector {
    config: Config,
    sketcher: Sketcher,
    sentence_bands: usize,
    sentence_rows: usize,
    sentence_signer: Signer,
    plan: Plan,
}

/// What a scan keeps per document, derived once from the configuration.
#[derive(Debug, Clone, Copy, Default)]
struct Plan {
    /// The sentence stage runs.
    sentences: bool,
    /// Boilerplate is left out of document shingles (word shingles only).
    exclude: bool,
    /// Word shingles are made from kept token hashes (not kept themselves).
    word_tokens: bool,
    /// Token hashes are kept (for `word_tokens`, or for `full` mode).
    tokens: bool,
    /// The numbers of sentences are kept (`full` mode).
    numbers: bool,
    /// Documents are signed after reading (once boilerplate is known).
    defer_sign: bool,
    /// Containment samples are kept (containment on).
    samples: bool,
    /// Texts are read again after the scan (sentence quotes, aligned passages), so each
    /// document's text hash is kept to check it is the text scanned.
    reread: bool,
}

impl Plan {
    fn new(c: &Config) -> Plan {
        let sentences = c.sentences.mode != SentenceMode::Off;
        let full = c.sentences.mode == SentenceMode::Full;
        let word = c.shingle == ShingleKind::Word;
        let exclude = sentences && word && !c.sentences.keep_boilerplate;
        let word_tokens = sentences && word && (exclude || full || c.verify == VerifyMode::Exact);
        Plan {
            sentences,
            exclude,
            word_tokens,
            tokens: word_tokens || (sentences && full),
            numbers: sentences && full,
            defer_sign: exclude,
            samples: c.containment.threshold.is_some(),
            reread: sentences || c.passages,
        }
    }
}

/// Where a document came from: its file, line, and the record's place in the file.
#[derive(Debug, Clone, Copy, Default)]
struct Origin0 {
    file: u32,
    line: Option<u64>,
    offset: u64,
    len: u64,
}

/// The documents of a scan as the later stages need them (the text is not kept).
#[derive(Debug, Default)]
struct Store {
    ids: Vec<Box<str>>,
    titles: Vec<Box<str>>,
    dates: Vec<Option<Box<str>>>,
    date_keys: Vec<Option<i64>>,
    bytes: Vec<u64>,
    sizes: Vec<u32>,
    shingles: Vec<Box<[u64]>>,
    tokens: Vec<Box<[u64]>>,
    sigs: Vec<u32>,
    /// Containment samples (see [`crate::containment::sample`]).
    samples: Vec<Box<[u64]>>,
    /// Group number per document (`u32::MAX`: none), numbered in order of first sight.
    groups: Vec<u32>,
    group_index: ahash::AHashMap<Box<str>, u32>,
    index: ahash::AHashMap<Box<str>, DocIdx>,
    origins: Vec<Origin0>,
    text_hashes: Vec<u64>,
    kept_texts: Vec<Option<Box<str>>>,
    /// `sent_first[d]..sent_first[d + 1]`: document `d`'s sentences in the arrays below.
    sent_first: Vec<u32>,
    sent_hash: Vec<u64>,
    sent_words: Vec<u32>,
    /// Within-document near-repeats, with global sentence indices.
    within: Vec<Edge>,
    /// `(global sentence, number hash)`, sorted, for sentences with `min_words` words or more
    /// (`full` mode).
    numbers: Vec<(u32, u64)>,
}

/// One record after parallel processing.
struct Processed {
    id: String,
    title: String,
    date: Option<String>,
    group: Option<String>,
    bytes: u64,
    /// Shingles to keep (when shingles are kept, not token hashes).
    shingles: Vec<u64>,
    /// Shingle count for `sizes` and the stats (0 when signing is deferred).
    size: u32,
    sig: Vec<u32>,
    sample: Vec<u64>,
    tokens: Vec<u64>,
    repeats: DocRepeats,
    /// Read as Windows-1252 (not valid UTF-8).
    recoded: bool,
    text_hash: u64,
    text: Option<Box<str>>,
    offset: u64,
    len: u64,
}

/// Per-thread buffers.
struct Work {
    sketch: crate::sketch::Worker,
    repeat: repeat::Worker,
}

impl Work {
    fn new(det: &Detector) -> Work {
        Work {
            sketch: det.sketcher.worker(),
            repeat: repeat::Worker::default(),
        }
    }
}

/// Where the texts of reported sentences are found after the scan.
enum Texts<'a> {
    /// Documents given in memory, by position.
    Memory(&'a [Document]),
    /// The input files, read again.
    Files(&'a [InputFile]),
}

/// A raw record, and where to find it again.
struct Origin<'a> {
    raw: RawRecord<'a>,
    offset: u64,
    len: u64,
    keep_text: bool,
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

/// Seed offset of the sentence MinHash ("sentence" in ASCII), so sentence signatures never
/// share permutations with document signatures.
const SENTENCE_SIGNER_SEED: u64 = 0x73_656e_7465_6e63;

impl Detector {
    /// Validates `config` and derives bands and rows.
    pub fn new(config: Config) -> Result<Detector> {
        let sketcher = Sketcher::new(&config)?;
        let sc = &config.sentences;
        let (sentence_bands, sentence_rows) = lsh::optimal_params(sc.threshold, sc.num_perm);
        let sentence_signer = Signer::new(
            crate::config::Scheme::Densified,
            sc.num_perm,
            config.seed ^ SENTENCE_SIGNER_SEED,
        );
        let plan = Plan::new(&config);
        Ok(Detector {
            config,
            sketcher,
            sentence_bands,
            sentence_rows,
            sentence_signer,
            plan,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Bands and rows in use.
    pub fn bands_rows(&self) -> (usize, usize) {
        let p = self.sketcher.params();
        (p.bands, p.rows)
    }

    /// The sketch contract every document of a scan is signed through.
    pub fn sketcher(&self) -> &Sketcher {
        &self.sketcher
    }

    /// What makes a pair reported: Jaccard, or containment when that is on.
    pub fn criteria(&self) -> Criteria {
        let c = &self.config;
        Criteria {
            jaccard: c.threshold,
            containment: c.containment.threshold,
            min_shingles: c.containment.min_shingles,
        }
    }

    /// The report's parameters section.
    pub fn parameters(&self) -> Parameters {
        let c = &self.config;
        let sketch = self.sketcher.params().clone();
        Parameters {
            s_curve: lsh::s_curve(sketch.bands, sketch.rows),
            sketch,
            bands_rows_from: if c.bands.is_some() {
                "flags"
            } else {
                "threshold"
            }
            .into(),
            verify: c.verify,
            keep: c.keep,
            cluster: c.cluster,
            max_bucket: c.max_bucket,
            max_doc_bytes: c.max_doc_bytes,
            windows_1252: c.windows_1252,
            fields: c.fields.clone(),
            sentences: self.sentence_parameters(0),
            containment: report::ContainmentParameters {
                threshold: c.containment.threshold,
                min_shingles: c.containment.min_shingles,
                sample: c.containment.sample_rate(),
                max_df: c.containment.max_df,
            },
            window_days: c.window_days,
            group_pairs: c.group_pairs,
            passages: c.passages,
        }
    }

    /// The sentence stage's parameters for a scan of `documents` documents.
    fn sentence_parameters(&self, documents: u64) -> SentenceParameters {
        let c = &self.config.sentences;
        SentenceParameters {
            mode: c.mode,
            similarity: "word_jaccard".into(),
            threshold: c.threshold,
            min_words: c.min_words,
            length_ratio: c.length_ratio,
            numbers_must_match: c.numbers_must_match,
            boilerplate_min_docs: c.boilerplate_min_docs,
            boilerplate_min_share: c.boilerplate_min_share,
            boilerplate_cutoff: c.boilerplate_cutoff(documents),
            keep_boilerplate: c.keep_boilerplate || !self.plan.exclude,
            max_occurrences: c.max_occurrences,
            num_perm: c.num_perm,
            bands: self.sentence_bands,
            rows: self.sentence_rows,
        }
    }

    /// Scans files, directories and standard input.
    pub fn scan(&self, sources: &[Source], progress: &dyn Progress) -> Result<Outcome> {
        let expanded = input::expand(sources);
        let files = expanded.files;
        let total = files
            .iter()
            .map(|f| match f.kind {
                InputKind::Jsonl(input::Compression::None) | InputKind::Text if !f.is_stdin() => {
                    std::fs::metadata(&f.path).ok().map(|m| m.len())
                }
                _ => None,
            })
            .sum::<Option<u64>>();
        progress.start(total);
        progress.stage(Stage::Read);
        let start = Instant::now();
        let mut st = Scan::new(self);
        st.stats.files = files.len() as u64;
        st.stats.skipped_files = expanded.skipped_files;
        for p in expanded.problems {
            st.problem(u32::MAX, p)?;
        }
        let names: Vec<String> = files.iter().map(InputFile::display).collect();
        let stdin: Vec<bool> = files.iter().map(InputFile::is_stdin).collect();
        st.names = names.clone();
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(2);
        let max = self.config.max_doc_bytes;
        let files_ref = &files;
        let result = std::thread::scope(|scope| -> Result<()> {
            let reader = scope.spawn(move || {
                input::read_batches(files_ref, max, &mut |b| Ok(tx.send(b).is_ok()))
            });
            let mut outcome = Ok(());
            for batch in rx.iter() {
                if let Err(e) = st.add_batch(&batch, &names, &stdin) {
                    outcome = Err(e);
                    break;
                }
                progress.read(st.stats.documents, st.stats.input_bytes);
            }
            drop(rx);
            let read = reader
                .join()
                .unwrap_or_else(|_| Err(Error::config("input reader thread panicked")));
            outcome.and(read)
        });
        result?;
        let read_time = start.elapsed();
        let mut outcome = st.finish(progress, Texts::Files(&files))?;
        outcome.timings.read += read_time;
        progress.finish();
        Ok(outcome)
    }

    /// Scans documents held in memory (the library entry point for pipelines and tests).
    /// Problems name the path `<memory>` and the document's 1-based position as the line.
    pub fn scan_documents<I>(&self, docs: I) -> Result<Outcome>
    where
        I: IntoIterator<Item = Document>,
    {
        let start = Instant::now();
        let mut st = Scan::new(self);
        let docs: Vec<Document> = docs.into_iter().collect();
        st.stats.files = 1;
        st.names = vec!["<memory>".to_string()];
        for chunk in docs.chunks(4096).enumerate() {
            let (ci, chunk) = chunk;
            let results: Vec<std::result::Result<Processed, Problem>> = chunk
                .par_iter()
                .enumerate()
                .map_init(
                    || Work::new(self),
                    |w, (i, d)| {
                        let origin = Origin {
                            raw: RawRecord {
                                path: "<memory>",
                                line: Some((ci * 4096 + i + 1) as u64),
                                bytes: d.text.as_bytes(),
                            },
                            offset: (ci * 4096 + i) as u64,
                            len: d.text.len() as u64,
                            keep_text: false,
                        };
                        self.sketcher.check(&origin.raw, &d.id, &d.text)?;
                        let rec = RecordText {
                            id: d.id.clone(),
                            text: d.text.as_str().into(),
                            date: d.date.clone(),
                            title: d.title.clone(),
                            group: d.group.clone(),
                            recoded: false,
                        };
                        st.process_fields(w, &origin, rec)
                    },
                )
                .collect();
            for (i, r) in results.into_iter().enumerate() {
                st.stats.input_bytes += chunk[i].text.len() as u64;
                st.accept(0, Some((ci * 4096 + i + 1) as u64), r)?;
            }
        }
        let read_time = start.elapsed();
        let mut outcome = st.finish(&NoProgress, Texts::Memory(&docs))?;
        outcome.timings.read += read_time;
        Ok(outcome)
    }
}

/// The state of one scan.
struct Scan<'d> {
    det: &'d Detector,
    store: Store,
    stats: Stats,
    problems: Vec<((u32, u64), Problem)>,
    names: Vec<String>,
}

impl<'d> Scan<'d> {
    fn new(det: &'d Detector) -> Scan<'d> {
        let mut store = Store::default();
        if det.plan.sentences {
            store.sent_first.push(0);
        }
        Scan {
            det,
            store,
            stats: Stats::default(),
            problems: Vec::new(),
            names: Vec::new(),
        }
    }

    fn path(&self, file: u32) -> String {
        self.names.get(file as usize).cloned().unwrap_or_default()
    }

    fn problem(&mut self, file: u32, p: Problem) -> Result<()> {
        self.stats.problems += 1;
        // Every problem is one record (an unreadable file counts as one), so
        // `records = documents + problems` always holds.
        self.stats.records += 1;
        *self
            .stats
            .problems_by_kind
            .entry(p.kind.name().to_string())
            .or_default() += 1;
        if self.det.config.strict {
            return Err(Error::new(ErrorKind::Record(p)));
        }
        self.problems.push(((file, p.line.unwrap_or(0)), p));
        Ok(())
    }

    fn add_batch(&mut self, batch: &Batch, names: &[String], stdin: &[bool]) -> Result<()> {
        self.stats.input_bytes += batch.bytes;
        self.stats.blank_lines += batch.blank_lines;
        let det = self.det;
        let this = &*self;
        let results: Vec<std::result::Result<Processed, Problem>> = batch
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
                        keep_text: det.plan.reread && stdin[r.file as usize],
                    };
                    this.process_record(w, &origin)
                },
            )
            .collect();
        // Merge reader problems and record results in line order (strict mode stops at the
        // first bad record in input order).
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
            self.accept(r.file, r.line, res)?;
        }
        for p in rp {
            let f = file_of(&p);
            self.problem(f, p)?;
        }
        Ok(())
    }

    fn accept(
        &mut self,
        file: u32,
        line: Option<u64>,
        res: std::result::Result<Processed, Problem>,
    ) -> Result<()> {
        let p = match res {
            Ok(p) => p,
            Err(problem) => return self.problem(file, problem),
        };
        if let Some(&first) = self.store.index.get(p.id.as_str()) {
            let o = self.store.origins[first as usize];
            let at = match o.line {
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
        let plan = self.det.plan;
        let s = &mut self.store;
        let idx = s.ids.len() as DocIdx;
        let id: Box<str> = p.id.into();
        s.index.insert(id.clone(), idx);
        s.ids.push(id);
        s.titles.push(p.title.into());
        s.date_keys.push(p.date.as_deref().and_then(parse_date));
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
        s.dates.push(p.date.map(Into::into));
        s.bytes.push(p.bytes);
        s.sizes.push(p.size);
        s.origins.push(Origin0 {
            file,
            line,
            offset: p.offset,
            len: p.len,
        });
        self.stats.shingles += p.size as u64;
        self.stats.text_bytes += p.bytes;
        if !plan.word_tokens && self.det.config.verify == VerifyMode::Exact {
            s.shingles.push(p.shingles.into_boxed_slice());
        }
        if plan.tokens {
            s.tokens.push(p.tokens.into_boxed_slice());
        }
        s.sigs.extend_from_slice(&p.sig);
        if plan.samples && !plan.defer_sign {
            s.samples.push(p.sample.into_boxed_slice());
        }
        if plan.reread {
            s.text_hashes.push(p.text_hash);
            s.kept_texts.push(p.text);
        }
        if plan.sentences {
            let base = s.sent_hash.len() as u32;
            for (h, w) in &p.repeats.sentences {
                s.sent_hash.push(*h);
                s.sent_words.push(*w);
            }
            let Ok(end) = u32::try_from(s.sent_hash.len()) else {
                return Err(Error::config(
                    "more than 4 billion sentences: run with --sentences off",
                ));
            };
            s.sent_first.push(end);
            s.numbers
                .extend(p.repeats.numbers.iter().map(|&(i, h)| (base + i, h)));
            s.within.extend(p.repeats.within.iter().map(|e| Edge {
                a: base + e.a,
                b: base + e.b,
                sim: e.sim,
            }));
            self.stats.sentences += p.repeats.sentences.len() as u64;
            self.stats.changed_numbers += p.repeats.changed_numbers;
        }
        self.stats.recoded += p.recoded as u64;
        self.stats.documents += 1;
        self.stats.records += 1;
        Ok(())
    }

    /// A raw record -> its fields through the sketch contract, then [`Scan::process_fields`].
    fn process_record(
        &self,
        w: &mut Work,
        origin: &Origin,
    ) -> std::result::Result<Processed, Problem> {
        let rec = self.det.sketcher.read(&origin.raw)?;
        self.process_fields(w, origin, rec)
    }

    /// Signs a record's fields through the sketch contract and keeps what the later stages
    /// need ([`Plan`]): the sentence stage's repeats and tokens, the shingles, the signature,
    /// the containment sample and the text hash.
    fn process_fields(
        &self,
        w: &mut Work,
        origin: &Origin,
        rec: RecordText,
    ) -> std::result::Result<Processed, Problem> {
        let c = &self.det.config;
        let plan = self.det.plan;
        let text: &str = &rec.text;
        let want = Want {
            order: match c.verify {
                // Sorted later, only for candidates (see `Scan::finish`).
                VerifyMode::Exact => Order::Text,
                // The set is dropped after signing, but its size is needed.
                VerifyMode::Estimate => Order::Set,
            },
            spans: plan.sentences,
            sign: !plan.defer_sign,
        };
        self.det
            .sketcher
            .sign(&mut w.sketch, &origin.raw, &rec.id, text, want)?;
        let mut out = Processed {
            id: rec.id.clone(),
            title: match &rec.title {
                Some(t) if !t.trim().is_empty() => t.trim().chars().take(120).collect(),
                _ => snippet(text),
            },
            date: rec.date.clone(),
            group: rec.group.clone(),
            bytes: text.len() as u64,
            shingles: Vec::new(),
            size: 0,
            sig: Vec::new(),
            sample: Vec::new(),
            recoded: rec.recoded,
            tokens: Vec::new(),
            repeats: DocRepeats::default(),
            text_hash: 0,
            text: None,
            offset: origin.offset,
            len: origin.len,
        };
        let sk = &mut w.sketch;
        if plan.sentences {
            out.repeats =
                w.repeat
                    .document(text, &sk.tokens, &sk.hashes, &c.sentences, plan.numbers);
        }
        if plan.reread {
            out.text_hash = text_hash(text);
            if origin.keep_text {
                out.text = Some(text.into());
            }
        }
        if !plan.defer_sign {
            out.size = sk.shingles.len() as u32;
            out.sig = sk.signature.clone();
            if plan.samples {
                out.sample = containment::sample(&sk.shingles, c.containment.sample_rate());
            }
            out.shingles = std::mem::take(&mut sk.shingles);
        }
        if plan.tokens {
            out.tokens = std::mem::take(&mut sk.hashes);
        }
        Ok(out)
    }

    fn similarity(&self, a: DocIdx, b: DocIdx) -> Similarity {
        let s = &self.store;
        match self.det.config.verify {
            VerifyMode::Exact => {
                Similarity::exact(&s.shingles[a as usize], &s.shingles[b as usize])
            }
            VerifyMode::Estimate => {
                let k = self.det.config.num_perm;
                let (a, b) = (a as usize, b as usize);
                let j = minhash::estimate(&s.sigs[a * k..(a + 1) * k], &s.sigs[b * k..(b + 1) * k]);
                Similarity::estimated(j, s.sizes[a], s.sizes[b])
            }
        }
    }

    /// The word shingles of document `d` from its kept token hashes, in text order, without
    /// the windows that touch a boilerplate sentence (all of them when that would leave fewer
    /// than half). Returns the number of windows left out.
    fn doc_shingles(&self, d: usize, boiler: &[Boilerplate], out: &mut Vec<u64>) -> u64 {
        let s = &self.store;
        let tokens = &s.tokens[d];
        let k = self.det.config.ngram;
        out.clear();
        if !self.det.plan.exclude || boiler.is_empty() || tokens.len() <= k {
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

    fn finish(mut self, progress: &dyn Progress, texts: Texts) -> Result<Outcome> {
        let det = self.det;
        let c = &det.config;
        let plan = det.plan;
        let mut timings = Timings::default();
        let n = self.store.ids.len();

        // Boilerplate needs every document's sentences; then documents are signed.
        let t = Instant::now();
        let cutoff = c.sentences.boilerplate_cutoff(n as u64);
        let boiler: Vec<Boilerplate> = if plan.sentences {
            let s = &self.store;
            repeat::boilerplate(&s.sent_hash, &s.sent_words, &s.sent_first, cutoff)
        } else {
            Vec::new()
        };
        self.stats.boilerplate = boiler.len() as u64;
        timings.repeats += t.elapsed();
        if plan.defer_sign {
            let t = Instant::now();
            let k = c.num_perm;
            let mut sigs = vec![0u32; n * k];
            let this = &self;
            let rate = c.containment.sample_rate();
            let per_doc: Vec<(u32, u64, Box<[u64]>)> = sigs
                .par_chunks_mut(k)
                .enumerate()
                .map_init(
                    || (Vec::new(), Vec::new()),
                    |(buf, sig): &mut (Vec<u64>, Vec<u32>), (d, out)| {
                        let left_out = this.doc_shingles(d, &boiler, buf);
                        if c.verify == VerifyMode::Estimate {
                            buf.sort_unstable();
                            buf.dedup();
                        }
                        sig.clear();
                        det.sketcher.signer().sign_into(buf, sig);
                        out.copy_from_slice(sig);
                        let sample = if plan.samples {
                            containment::sample(buf, rate).into_boxed_slice()
                        } else {
                            Box::default()
                        };
                        (buf.len() as u32, left_out, sample)
                    },
                )
                .collect();
            for (d, (size, left_out, sample)) in per_doc.into_iter().enumerate() {
                self.store.sizes[d] = size;
                self.stats.shingles += size as u64;
                self.stats.boilerplate_shingles += left_out;
                if plan.samples {
                    self.store.samples.push(sample);
                }
            }
            self.store.sigs = sigs;
            // Estimates need no shingle sets, and only `full` mode reads tokens again.
            if c.verify == VerifyMode::Estimate && c.sentences.mode != SentenceMode::Full {
                self.store.tokens = Vec::new();
            }
            timings.read += t.elapsed();
        }

        progress.stage(Stage::Candidates);
        let t = Instant::now();
        let cands = lsh::candidates(
            &self.store.sigs,
            c.num_perm,
            det.sketcher.params().bands,
            det.sketcher.params().rows,
            c.max_bucket,
        );
        self.stats.candidates = cands.pairs.len() as u64;
        self.stats.giant_buckets = cands.giant_buckets;
        let pairs = self.comparable_only(cands.pairs);
        timings.candidates = t.elapsed();
        let mut prepared = vec![false; n];
        self.prepare_sets(&pairs, &boiler, &mut prepared);

        progress.stage(Stage::Verify);
        let t = Instant::now();
        let criteria = det.criteria();
        let mut matches = self.verify(&pairs, &criteria);
        timings.verify = t.elapsed();

        if let Some(threshold) = c.containment.threshold {
            // Containment candidates among near-duplicate classes: each class of documents
            // joined by Jaccard matches is searched through one member (its first), then
            // every pair across two classes found is verified. Large families of copies
            // would otherwise make the shared-sample search quadratic, and their pairs are
            // known already.
            let t = Instant::now();
            let mut uf = cluster::UnionFind::new(n);
            for m in &matches {
                if criteria.relation(&m.sim) == Some(Relation::NearDuplicate) {
                    uf.union(m.a, m.b);
                }
            }
            let root: Vec<u32> = (0..n as u32).map(|d| uf.find(d)).collect();
            let mut samples = std::mem::take(&mut self.store.samples);
            for (d, sample) in samples.iter_mut().enumerate() {
                if root[d] != d as u32 {
                    *sample = Box::default();
                }
            }
            let params = containment::Params {
                threshold,
                max_df: c.containment.max_df,
                ..containment::Params::default()
            };
            let found = containment::candidates(&samples, &params);
            drop(samples);
            // Class members, by root.
            let mut by_root: Vec<(u32, u32)> =
                (0..n as u32).map(|d| (root[d as usize], d)).collect();
            by_root.sort_unstable();
            let class = |r: u32| {
                let i = by_root.partition_point(|x| x.0 < r);
                let j = by_root.partition_point(|x| x.0 <= r);
                &by_root[i..j]
            };
            let mut extra: Vec<(u32, u32)> = found
                .iter()
                .flat_map(|&(a, b)| {
                    class(a).iter().flat_map(move |&(_, x)| {
                        class(b).iter().map(move |&(_, y)| (x.min(y), x.max(y)))
                    })
                })
                .collect();
            extra.par_sort_unstable();
            extra.dedup();
            extra.retain(|p| pairs.binary_search(p).is_err());
            let extra = self.comparable_only(extra);
            self.stats.containment_candidates = extra.len() as u64;
            timings.candidates += t.elapsed();
            let t = Instant::now();
            self.prepare_sets(&extra, &boiler, &mut prepared);
            matches.extend(self.verify(&extra, &criteria));
            matches.par_sort_unstable_by_key(|m| (m.a, m.b));
            timings.verify += t.elapsed();
        }
        self.store.samples = Vec::new();
        drop(pairs);

        progress.stage(Stage::Cluster);
        let t = Instant::now();
        let this = &self;
        let s = &self.store;
        let before = |x: DocIdx, y: DocIdx| -> bool {
            c.keep
                .prefers(x as usize, y as usize, |i| s.bytes[i], |i| s.date_keys[i])
        };
        let guarded = c.cluster == ClusterMode::Guarded;
        let clusters = cluster::cluster(n, &matches, criteria, guarded, before, |a, b| {
            this.similarity(a, b)
        });

        let mut cluster_of = vec![0u64; n];
        let mut reports = Vec::with_capacity(clusters.len());
        let sources: Vec<(DocIdx, &str)> = clusters
            .par_iter()
            .map(|cl| {
                let docs: Vec<DocIdx> = std::iter::once(cl.representative)
                    .chain(cl.members.iter().map(|m| m.0))
                    .collect();
                this.source_of(&docs, &criteria)
            })
            .collect();
        let member = |d: DocIdx, sim: Option<&Similarity>, source: DocIdx| -> MemberReport {
            let i = d as usize;
            let role = if d == source {
                "source"
            } else {
                // The relation to the source (members joined through the representative
                // only share part of the text with it).
                match criteria.relation(&this.similarity(d, source)) {
                    Some(Relation::NearDuplicate) => "copy",
                    _ => "partial_copy",
                }
            };
            MemberReport {
                doc: s.ids[i].to_string(),
                title: s.titles[i].to_string(),
                date: s.dates[i].as_deref().map(str::to_string),
                bytes: s.bytes[i],
                shingles: s.sizes[i],
                representative: sim.is_none(),
                role: role.into(),
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
                source_by: source_by.into(),
            });
        }
        let mut pairs: Vec<PairReport> = matches
            .iter()
            .map(|m| {
                let (ca, cb) = (cluster_of[m.a as usize], cluster_of[m.b as usize]);
                let (relation, contained) = match criteria.relation(&m.sim) {
                    Some(Relation::AInB) => ("contained", Some(m.a)),
                    Some(Relation::BInA) => ("contained", Some(m.b)),
                    _ => ("near_duplicate", None),
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
                    relation: relation.into(),
                    contained: contained.map(|d| s.ids[d as usize].to_string()),
                    alignment: None,
                }
            })
            .collect();
        self.stats.clustered_documents += clustered;
        self.stats.contained_pairs = pairs.iter().filter(|p| p.contained.is_some()).count() as u64;
        timings.cluster = t.elapsed();
        self.store.shingles = Vec::new();
        if c.passages {
            progress.stage(Stage::Passages);
            let t = Instant::now();
            let found = self.alignments(&matches, &texts)?;
            for (p, al) in pairs.iter_mut().zip(found) {
                p.alignment = Some(al);
            }
            timings.passages = t.elapsed();
        }
        drop(matches);

        let repeats = if plan.sentences {
            progress.stage(Stage::Repeats);
            let t = Instant::now();
            let r = self.repeats(&boiler, &cluster_of, &texts)?;
            timings.repeats += t.elapsed();
            r
        } else {
            Vec::new()
        };
        self.stats.repeats = repeats.len() as u64;

        self.stats.matches = pairs.len() as u64;
        self.stats.clusters = reports.len() as u64;
        self.stats.duplicates = self.stats.clustered_documents - self.stats.clusters;
        self.stats.unique_documents = self.stats.documents - self.stats.duplicates;
        let mut problems = std::mem::take(&mut self.problems);
        problems.sort_by_key(|(k, _)| *k);
        let mut parameters = det.parameters();
        parameters.sentences = det.sentence_parameters(n as u64);
        let report = Report {
            format_version: report::FORMAT_VERSION,
            tool: report::Tool::current(),
            parameters,
            stats: self.stats,
            clusters: reports,
            pairs,
            repeats,
            problems: problems.into_iter().map(|(_, p)| p).collect(),
        };
        Ok(Outcome { report, timings })
    }

    /// The pairs `--window` and `--group-pairs` allow (counting the others as skipped).
    fn comparable_only(&mut self, pairs: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
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

    /// Verifies candidate pairs: the ones meeting `criteria`, in pair order.
    fn verify(&self, pairs: &[(u32, u32)], criteria: &Criteria) -> Vec<Match> {
        pairs
            .par_iter()
            .filter_map(|&(a, b)| {
                let sim = self.similarity(a, b);
                criteria.meets(&sim).then_some(Match { a, b, sim })
            })
            .collect()
    }

    /// Makes the exact shingle sets of the documents in `pairs` ready for verification
    /// (sorted and deduplicated; built from token hashes when those are kept), skipping
    /// documents already `prepared`. Nothing to do under `--verify estimate`.
    fn prepare_sets(
        &mut self,
        pairs: &[(u32, u32)],
        boiler: &[Boilerplate],
        prepared: &mut [bool],
    ) {
        if self.det.config.verify != VerifyMode::Exact {
            return;
        }
        let n = prepared.len();
        let mut todo = vec![false; n];
        for &(a, b) in pairs {
            for d in [a as usize, b as usize] {
                todo[d] = !prepared[d];
            }
        }
        if self.det.plan.word_tokens {
            // Shingle sets are made from the token hashes, for candidates only.
            let this = &*self;
            let sets: Vec<(usize, Box<[u64]>)> = (0..n)
                .into_par_iter()
                .filter(|&d| todo[d])
                .map(|d| {
                    let mut v = Vec::new();
                    this.doc_shingles(d, boiler, &mut v);
                    v.sort_unstable();
                    v.dedup();
                    (d, v.into_boxed_slice())
                })
                .collect();
            if self.store.shingles.len() != n {
                self.store.shingles = vec![Box::default(); n];
            }
            for (d, set) in sets {
                self.store.sizes[d] = set.len() as u32;
                self.store.shingles[d] = set;
            }
        } else {
            let store = &mut self.store;
            store
                .shingles
                .par_iter_mut()
                .zip(store.sizes.par_iter_mut())
                .zip(todo.par_iter())
                .filter(|(_, &t)| t)
                .for_each(|((set, size), _)| {
                    let mut v = std::mem::take(set).into_vec();
                    v.sort_unstable();
                    v.dedup();
                    *size = v.len() as u32;
                    *set = v.into_boxed_slice();
                });
        }
        for d in 0..n {
            prepared[d] |= todo[d];
        }
    }

    /// Whether `--window` and `--group-pairs` allow comparing documents `a` and `b`.
    /// Documents without a readable date, or without a group, are compared with every other.
    fn comparable(&self, a: DocIdx, b: DocIdx) -> bool {
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

    /// The likely original of a cluster (`docs`, the representative first) and how it was
    /// chosen: the earliest date; among members with that date (or all, without dates) the
    /// first in input order that every other member is a near-duplicate of or contained in,
    /// when at least one is contained (clusters of up to [`SOURCE_MAX_MEMBERS`]); else the
    /// first in input order.
    fn source_of(&self, docs: &[DocIdx], criteria: &Criteria) -> (DocIdx, &'static str) {
        let s = &self.store;
        let mut pool: Vec<DocIdx> = docs.to_vec();
        pool.sort_unstable();
        let mut by = "first_seen";
        if let Some(min) = docs.iter().filter_map(|&d| s.date_keys[d as usize]).min() {
            pool.retain(|&d| s.date_keys[d as usize] == Some(min));
            by = "date";
            if pool.len() == 1 {
                return (pool[0], by);
            }
        }
        if docs.len() <= SOURCE_MAX_MEMBERS {
            for &m in &pool {
                let mut contains_one = false;
                let holds_all = docs.iter().all(|&o| {
                    if o == m {
                        return true;
                    }
                    match criteria.relation(&self.similarity(o, m)) {
                        Some(Relation::NearDuplicate) => true,
                        Some(Relation::AInB) => {
                            contains_one = true;
                            true
                        }
                        _ => false,
                    }
                });
                if holds_all && contains_one {
                    return (m, if by == "date" { by } else { "containment" });
                }
            }
        }
        (pool[0], by)
    }

    /// The aligned shared passages of every match, in match order. Texts are read again in
    /// chunks of pairs, so memory stays bounded however many pairs there are.
    fn alignments(&self, matches: &[Match], texts: &Texts) -> Result<Vec<crate::align::Alignment>> {
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

    /// The document of global sentence `i`.
    fn doc_of(&self, i: u32) -> usize {
        self.store.sent_first.partition_point(|&f| f <= i) - 1
    }

    /// Groups sentence repeats and boilerplate into reports (see [`crate::repeat`]).
    fn repeats(
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
                .filter(|&i| s.sent_words[i] >= min && !boilerplate_at(i))
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
                repeat::Verdict::Repeat(sim) => sim,
                _ => none,
            }
        };
        // A page that repeats itself and a sentence found in other pages are told apart:
        // within-document and cross-document repeats are grouped separately (a sentence may
        // be in one of each).
        let mut groups: Vec<(&str, repeat::Group)> =
            repeat::groups(&within, sc.threshold, similarity)
                .into_iter()
                .map(|g| ("within_document", g))
                .collect();
        groups.extend(
            repeat::groups(&edges, sc.threshold, similarity)
                .into_iter()
                .map(|g| ("cross_document", g)),
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
            if kind == "cross_document" && docs.len() < 2 {
                continue; // what is left of a group split by the guard, inside one document
            }
            pending.push((
                g.members[0],
                RepeatReport {
                    kind: kind.into(),
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
                        kind: "boilerplate".into(),
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
        let rank = |k: &str| match k {
            "within_document" => 0,
            "cross_document" => 1,
            _ => 2,
        };
        pending.sort_by_key(|p| (p.0, rank(&p.1.kind)));

        // The texts of the listed occurrences.
        let mut wanted: Vec<usize> = pending
            .iter()
            .flat_map(|p| p.2.iter().map(|&i| self.doc_of(i)))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let found = self.fetch(&wanted, texts)?;
        let mut out = Vec::with_capacity(pending.len());
        for (_, mut r, members) in pending {
            for i in members {
                let d = self.doc_of(i);
                let local = (i - s.sent_first[d]) as usize;
                let (text, spans) = &found[wanted.binary_search(&d).unwrap_or(0)];
                let sp = spans.get(local).copied().unwrap_or_default();
                r.occurrences.push(Occurrence {
                    doc: s.ids[d].to_string(),
                    start: sp.start as u64,
                    end: sp.end as u64,
                    text: text[sp.start..sp.end].to_string(),
                });
            }
            out.push(r);
        }
        Ok(out)
    }

    /// Fuzzy cross-document near-repeats (`full` mode): MinHash LSH over sentences, verified
    /// exactly. Returns the edges with the pairs rejected for changed numbers, and the number
    /// of candidates.
    fn cross_document(
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
                s.sent_words[i] as usize >= sc.min_words && !is_boilerplate(boiler, s.sent_hash[i])
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
                        repeat::Verdict::Repeat(sim) => (
                            Some(Edge {
                                a: eligible[a],
                                b: eligible[b],
                                sim,
                            }),
                            false,
                        ),
                        repeat::Verdict::ChangedNumbers(_) => (None, true),
                        repeat::Verdict::No => (None, false),
                    }
                },
            )
            .collect();
        let changed = verified.iter().filter(|v| v.1).count() as u64;
        let edges = verified.into_iter().filter_map(|v| v.0).collect();
        ((edges, changed), candidates)
    }

    /// Each sentence's first token within its document (`full` mode, where tokens are kept).
    fn first_tokens(&self) -> Vec<u32> {
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
    fn sentence_profile(
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

    /// The texts of documents `wanted` (sorted) with their sentence spans, read again from
    /// the input (or memory).
    fn fetch(
        &self,
        wanted: &[usize],
        texts: &Texts,
    ) -> Result<Vec<(String, Vec<crate::sentence::Span>)>> {
        let found = self.fetch_texts(wanted, texts)?;
        let mut out = Vec::with_capacity(wanted.len());
        let mut tok = Tokenizer::new();
        let mut tokens = Vec::new();
        let mut worker = repeat::Worker::default();
        for text in found {
            tokens.clear();
            tok.tokens_into(&text, &mut tokens);
            worker.sentences(&text, &tokens);
            let spans = worker.sentences.iter().map(|x| x.span).collect();
            out.push((text, spans));
        }
        Ok(out)
    }

    /// The texts of documents `wanted` (sorted), read again and checked against the hash
    /// taken during the scan.
    fn fetch_texts(&self, wanted: &[usize], texts: &Texts) -> Result<Vec<String>> {
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
                    if f.is_stdin() {
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
                        Error::config(format!(
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
                    return Err(Error::config(format!(
                        "the text of `{}` changed during the scan: cannot quote it",
                        s.ids[d]
                    )));
                }
                Ok(text)
            })
            .collect()
    }
}

/// Clusters with more members than this get their source by date or input order only (the
/// containment rule compares every pair of members).
const SOURCE_MAX_MEMBERS: usize = 64;

/// Pairs aligned per batch of texts read again.
const ALIGN_CHUNK: usize = 16_384;

/// The hash kept to check that a document read again is the one scanned.
fn text_hash(text: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(text.as_bytes(), crate::normalize::TOKEN_SEED)
}

/// True when `hash` is one of the (sorted) boilerplate sentences.
#[inline]
fn is_boilerplate(boiler: &[Boilerplate], hash: u64) -> bool {
    !boiler.is_empty() && boiler.binary_search_by_key(&hash, |b| b.hash).is_ok()
}
