//! The batch driver: inputs -> documents -> shingles and signatures -> candidates -> matches
//! -> clusters -> [`Report`].
//!
//! Reading runs on its own thread and hands batches of raw records to the main thread, which
//! parses, normalises, shingles and signs each batch in parallel (rayon, results kept in input
//! order), then appends the documents sequentially (ids checked for duplicates here, so the
//! first occurrence always wins). LSH, verification and clustering are parallel and
//! order-independent, so the report is byte-identical at any thread count.
//!
//! By default ([`crate::SentenceMode::Within`]) each document is also cut into sentences
//! while it is read, from the tokens its signing made, and its near-repeated sentences are
//! found and quoted right there; nothing else about its sentences is kept. With the full
//! sentence stage (`--sentences`), their hashes and word counts are kept, and near-repeats
//! inside the document are found right there. Boilerplate needs the whole corpus,
//! so with word shingles the documents are shingled and signed once reading is over, without
//! the windows that touch boilerplate, from their texts read again in input order and
//! tokenised again (or from token hashes kept while reading, in `full` mode and for inputs that
//! cannot be read again by offset). After clustering, repeats are grouped, and the texts of the
//! occurrences to report are read again a chunk at a time: plain files by seeking to the
//! record, compressed ones from the spool or by decompressing up to it (standard input's texts
//! are kept).
//!
//! Memory: per document its id (in one arena), origin, sizes, date key, group, text hash, LSH
//! band keys and containment sample (see `read::Store`; the signature too under `--verify
//! estimate`); with the sentence stage, 12 bytes per sentence (and token hashes, 8 bytes per
//! word, only in `full` mode or for inputs not read again by offset). No text, shingle
//! set, title or date is kept: the documents of candidate pairs are read again in batches
//! within [`Config::memory`] (`batches`), and records that cannot be read again by offset are
//! spooled (`spool`).

//! The files follow the pipeline (private modules, so named here without links): `read` (raw
//! records -> the store, through the sketch contract), `matching` (band keys -> candidates
//! -> verified matches, containment included), `batches` (documents read again within the
//! memory budget), `assemble` (matches -> clusters, sources, roles, passages, pairs and the
//! report), `sentences` (boilerplate and repeats), `texts` and `spool` (records read again).
//! `Scan::finish` runs them in that order.

mod assemble;
mod batches;
mod compare;
mod fine;
mod held;
mod matching;
mod read;
mod sentences;
mod spool;
mod texts;

use crate::config::{Config, SentenceMode, ShingleKind, VerifyMode};
use crate::document::{Document, Problem};
use crate::error::{Error, ErrorKind, Result};
use crate::input::{self, Batch, InputFile, InputKind, Source};
use crate::lsh;
use crate::minhash::Signer;
use crate::report::{self, Parameters, Report, SentenceParameters, Stats};
use crate::sketch::Sketcher;
use crate::verify::Criteria;
use batches::Kept;
use rayon::prelude::*;
use read::Store;
use std::cell::RefCell;
use std::time::{Duration, Instant};
use texts::Texts;

pub use compare::{PairExplained, Side};

/// Stages of a scan, for progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stage {
    /// Reading, normalising, shingling and signing documents.
    Read,
    /// Finding LSH candidates.
    Candidates,
    /// Finding containment candidates (among the verified near-duplicate classes).
    Containment,
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
    /// The containment candidate search (its verification counts as `verify`).
    pub containment: Duration,
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
    needs: Needs,
}

/// What a scan keeps per document, derived once from the configuration.
#[derive(Debug, Clone, Copy, Default)]
struct Needs {
    /// The corpus-wide sentence stage runs (`standard` or `full`).
    sentences: bool,
    /// Only within-document near-repeats, found and quoted while reading (`within`).
    within: bool,
    /// Boilerplate is left out of document shingles (word shingles only).
    exclude: bool,
    /// Word shingles are made from token hashes (not kept themselves): the kept ones, or
    /// made again from texts read again (see `Scan::keep_tokens`).
    word_tokens: bool,
    /// Token hashes are kept whatever the input (`full` mode compares sentences by them).
    tokens: bool,
    /// The numbers of sentences are kept (`full` mode).
    numbers: bool,
    /// Documents are signed after reading (once boilerplate is known).
    defer_sign: bool,
    /// Containment samples are kept (containment on).
    samples: bool,
}

impl Needs {
    fn new(c: &Config) -> Needs {
        let within = c.sentences.mode == SentenceMode::Within;
        let sentences = !within && c.sentences.mode != SentenceMode::Off;
        let full = c.sentences.mode == SentenceMode::Full;
        let word = c.shingle == ShingleKind::Word;
        let exclude = sentences && word && !c.sentences.keep_boilerplate;
        let word_tokens = sentences && word && (exclude || full || c.verify == VerifyMode::Exact);
        Needs {
            sentences,
            within,
            exclude,
            word_tokens,
            tokens: sentences && full,
            numbers: sentences && full,
            defer_sign: exclude,
            samples: c.containment.threshold.is_some(),
        }
    }
}

/// The smallest batch of documents read again, whatever `--memory` leaves.
const MIN_BATCH: u64 = 64 << 20;

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
        let needs = Needs::new(&config);
        Ok(Detector {
            config,
            sketcher,
            sentence_bands,
            sentence_rows,
            sentence_signer,
            needs,
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
            keep_boilerplate: c.keep_boilerplate || !self.needs.exclude,
            max_occurrences: c.max_occurrences,
            num_perm: c.num_perm,
            bands: self.sentence_bands,
            rows: self.sentence_rows,
        }
    }

    /// Scans files, directories and standard input.
    pub fn scan(&self, sources: &[Source], progress: &dyn Progress) -> Result<Outcome> {
        self.scan_to(sources, progress, None)
    }

    /// Scans like [`Detector::scan`] and writes the report to `out` as JSON Lines
    /// ([`crate::report::Format::Jsonl`], byte for byte what writing [`Detector::scan`]'s
    /// report gives), streaming its clusters and pairs: they are written as they are put in
    /// order and never held together in memory. With [`Config::tmp_dir`] set, they wait for
    /// their order in a temporary file there (12 bytes of memory each); without one, in
    /// memory. The returned report has no clusters and no pairs (`stats` counts them);
    /// everything else is in it. `name` names `out` in errors. A failed scan may leave a
    /// partial report in `out`.
    pub fn scan_jsonl(
        &self,
        sources: &[Source],
        progress: &dyn Progress,
        out: &mut dyn std::io::Write,
        name: &str,
    ) -> Result<Outcome> {
        self.scan_to(sources, progress, Some((out, name)))
    }

    fn scan_to(
        &self,
        sources: &[Source],
        progress: &dyn Progress,
        jsonl: Option<(&mut dyn std::io::Write, &str)>,
    ) -> Result<Outcome> {
        let expanded = input::expand(sources);
        let files = expanded.files;
        let total = files
            .iter()
            .map(|f| match f.kind {
                InputKind::Jsonl(input::Compression::None) | InputKind::Text if !f.reads_once() => {
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
        // Inputs that cannot be read twice (standard input, a FIFO) or only from their start
        // (compressed files) are spooled to --tmp-dir; without one, the records of the first
        // kind are kept in memory.
        if let Some(dir) = &self.config.tmp_dir {
            st.spooled = files
                .iter()
                .map(|f| {
                    f.reads_once()
                        || matches!(f.kind, InputKind::Jsonl(c) if c != input::Compression::None)
                })
                .collect();
            if st.spooled.iter().any(|&x| x) {
                st.spool = Some(spool::Spool::create(dir)?);
            }
        } else {
            st.spooled = vec![false; files.len()];
        }
        // The containment fingerprints wait in --tmp-dir too (see `fine`).
        if let (Some(dir), true) = (&self.config.tmp_dir, self.needs.samples) {
            st.store.fine = fine::FineStore::spooled(dir)?;
        }
        let keep: Vec<bool> = files
            .iter()
            .zip(&st.spooled)
            .map(|(f, &spooled)| f.reads_once() && !spooled)
            .collect();
        // Texts read again by offset (or kept) are cheap; others keep their tokens.
        st.keep_tokens |= self.needs.word_tokens
            && files.iter().zip(&st.spooled).any(|(f, &spooled)| {
                !spooled
                    && !f.reads_once()
                    && !matches!(
                        f.kind,
                        InputKind::Jsonl(input::Compression::None) | InputKind::Text
                    )
            });
        st.names = names.clone();
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(2);
        let max = self.config.max_doc_bytes;
        let files_ref = &files;
        let result = std::thread::scope(|scope| -> Result<()> {
            let reader = scope.spawn(move || {
                input::read_batches(files_ref, max, &mut |b| Ok(tx.send(b).is_ok()))
            });
            let outcome = st.read_batches(rx.iter(), &names, &keep, |st| {
                progress.read(st.stats.documents, st.stats.input_bytes)
            });
            drop(rx);
            let read = reader
                .join()
                .unwrap_or_else(|_| Err(Error::internal("input reader thread panicked")));
            outcome.and(read)
        });
        result?;
        if let Some(spool) = &mut st.spool {
            spool.finish()?;
        }
        let read_time = start.elapsed();
        let mut outcome = st.finish(progress, Texts::Files(&files), jsonl)?;
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
        st.read_documents(&docs)?;
        let read_time = start.elapsed();
        let mut outcome = st.finish(&NoProgress, Texts::Memory(&docs), None)?;
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
    /// The corpus's boilerplate sentences (see [`sentences`]), once known.
    boiler: Vec<crate::repeat::Boilerplate>,
    /// Token hashes are kept in the store: in `full` mode, and for word shingles made from
    /// tokens (`Needs::word_tokens`) when an input cannot be read again by offset (gzip or
    /// Zstandard without a spool, Parquet). Otherwise texts are read again and tokenised
    /// again where tokens are needed, so memory does not grow by 8 bytes a word.
    keep_tokens: bool,
    /// Per input file: its records are read again from the spool.
    spooled: Vec<bool>,
    spool: Option<spool::Spool>,
    /// The most the store has held (after reading, before its samples and keys are let go):
    /// batches get what `--memory` leaves beside it, so the peak is set by reading.
    store_high: u64,
}

impl<'d> Scan<'d> {
    fn new(det: &'d Detector) -> Scan<'d> {
        let mut store = Store::default();
        if det.needs.sentences {
            store.sent_first.push(0);
        }
        Scan {
            det,
            store,
            stats: Stats::default(),
            problems: Vec::new(),
            names: Vec::new(),
            boiler: Vec::new(),
            keep_tokens: det.needs.tokens,
            spooled: Vec::new(),
            spool: None,
            store_high: 0,
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

    /// Memory for one batch of documents read again (see [`batches`]): what `--memory`
    /// leaves beside the store at its largest, and at least [`MIN_BATCH`] (or a quarter of
    /// `--memory` when that is less: a tiny budget makes tiny batches, which tests use).
    /// The store shrinks after the candidate search, but memory freed then is not counted
    /// twice: the batches after it get no more than the ones before.
    fn budget(&self) -> u64 {
        let memory = self.det.config.memory;
        let store = self.store.heap_bytes().max(self.store_high);
        memory.saturating_sub(store).max(MIN_BATCH.min(memory / 4))
    }

    /// Everything after reading, stage by stage (see the module documentation); the report
    /// streamed to `jsonl` when one is given (see [`Detector::scan_jsonl`]).
    fn finish(
        mut self,
        progress: &dyn Progress,
        texts: Texts,
        jsonl: Option<(&mut dyn std::io::Write, &str)>,
    ) -> Result<Outcome> {
        let det = self.det;
        let c = &det.config;
        let mut timings = Timings::default();

        // Boilerplate needs every document's sentences; then deferred documents are signed.
        let t = Instant::now();
        self.boiler = self.boilerplate();
        timings.repeats += t.elapsed();
        if det.needs.defer_sign {
            let t = Instant::now();
            let boiler = std::mem::take(&mut self.boiler);
            self.sign_deferred(&boiler, &texts)?;
            self.boiler = boiler;
            timings.read += t.elapsed();
        }

        self.store_high = self.store.heap_bytes();
        progress.stage(Stage::Candidates);
        let t = Instant::now();
        let pairs = self.lsh_candidates();
        self.store.keys = Vec::new();
        timings.candidates = t.elapsed();

        progress.stage(Stage::Verify);
        let t = Instant::now();
        let criteria = det.criteria();
        // Matched documents loaded by verification, kept for clustering (see `Kept`).
        let kept = RefCell::new(Kept::default());
        let mut matches = self.verify(&pairs, &criteria, &texts, &kept, true)?;
        timings.verify = t.elapsed();
        if let Some(threshold) = c.containment.threshold {
            progress.stage(Stage::Containment);
            let t = Instant::now();
            let extra = self.containment_candidates(threshold, &matches, &pairs, &criteria)?;
            timings.containment = t.elapsed();
            progress.stage(Stage::Verify);
            let t = Instant::now();
            matches.extend(self.verify(&extra, &criteria, &texts, &kept, false)?);
            matches.par_sort_unstable_by_key(|m| (m.a, m.b));
            timings.verify += t.elapsed();
        }
        self.store.samples = Default::default();
        self.store.fine = Default::default();
        drop(pairs);

        // Clusters, sources and roles, with the passages of every pair when they are on: one
        // more read of each matched document (see `assemble`).
        progress.stage(Stage::Cluster);
        let t = Instant::now();
        let mut out = match jsonl {
            None => held::Out::Report {
                clusters: Vec::new(),
                pairs: Vec::new(),
            },
            Some((w, name)) => {
                let parameters = self.report_parameters();
                let tool = report::Tool::current();
                report::json::write_jsonl_begin(w, report::FORMAT_VERSION, &tool, &parameters)
                    .map_err(|e| Error::io(name, e))?;
                held::Out::Jsonl { w, name }
            }
        };
        let assembled = self.assemble(&matches, criteria, &texts, &mut out, &kept)?;
        drop(kept);
        timings.cluster = t.elapsed().saturating_sub(assembled.passages_time);
        timings.passages = assembled.passages_time;
        self.store.shingles = Vec::new();
        drop(matches);

        let repeats = if det.needs.sentences {
            progress.stage(Stage::Repeats);
            let t = Instant::now();
            let boiler = std::mem::take(&mut self.boiler);
            let r = self.repeats(&boiler, &assembled.cluster_of, &texts)?;
            timings.repeats += t.elapsed();
            r
        } else {
            self.within_repeats()
        };
        let (clusters, pairs, stream) = match out {
            held::Out::Report { clusters, pairs } => (clusters, pairs, None),
            held::Out::Jsonl { w, name } => (Vec::new(), Vec::new(), Some((w, name))),
        };
        let report = self.report(clusters, pairs, repeats);
        if let Some((w, name)) = stream {
            report::json::write_jsonl_end(&report, w)
                .and_then(|_| w.flush())
                .map_err(|e| Error::io(name, e))?;
        }
        Ok(Outcome { report, timings })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document of the test corpora.
    pub(super) fn doc(id: &str, text: &str) -> Document {
        Document {
            id: id.into(),
            text: text.into(),
            ..Document::default()
        }
    }

    /// A story of `n` distinct words numbered from `from`.
    pub(super) fn words(from: usize, n: usize) -> String {
        (from..from + n)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Runs `f` on the state of a scan of `docs` after reading.
    pub(super) fn with_scan<T>(
        config: Config,
        docs: &[Document],
        f: impl FnOnce(&mut Scan) -> T,
    ) -> T {
        let det = Detector::new(config).unwrap();
        let mut st = Scan::new(&det);
        st.read_documents(docs).unwrap();
        f(&mut st)
    }

    #[test]
    fn texts_read_again_instead_of_kept_tokens_change_nothing() {
        // Pairs of near-copies, each page with a template line (boilerplate: in every page),
        // one with a sentence said twice: boilerplate left out of the shingles, pairs
        // verified exactly, repeats quoted.
        let template = "Sign up for the morning briefing and get the news first";
        let mut docs = Vec::new();
        for i in 0..12 {
            let body = words(i * 100, 60);
            docs.push(doc(&format!("a{i}"), &format!("{template}. {body}.")));
            docs.push(doc(&format!("b{i}"), &format!("{body} w9999. {template}.")));
        }
        let said = "The council voted on Tuesday to close the old river bridge for repairs";
        let again = "The council voted on Tuesday to shut the old river bridge for repairs";
        let mid = "Drivers will use the ferry while the work lasts, officials said";
        docs.push(doc(
            "r",
            &format!("{said} next spring. {mid}. {again} in spring."),
        ));
        let mut c = Config::default();
        c.sentences.mode = SentenceMode::Standard;
        let det = Detector::new(c).unwrap();
        let run = |keep: bool| {
            let mut st = Scan::new(&det);
            st.keep_tokens = keep;
            st.read_documents(&docs).unwrap();
            assert_eq!(st.store.tokens.len(), if keep { docs.len() } else { 0 });
            st.finish(&NoProgress, Texts::Memory(&docs), None)
                .unwrap()
                .report
        };
        let (read_again, kept) = (run(false), run(true));
        assert!(
            read_again.stats.boilerplate_shingles > 0,
            "{:?}",
            read_again.stats
        );
        assert_eq!(read_again.pairs.len(), 12);
        assert!(
            read_again
                .repeats
                .iter()
                .any(|r| r.occurrences[0].text.contains("bridge")),
            "{:?}",
            read_again.repeats
        );
        assert_eq!(
            serde_json::to_string(&read_again).unwrap(),
            serde_json::to_string(&kept).unwrap()
        );
    }

    #[test]
    fn finish_runs_the_stages_in_order_and_times_them() {
        let story = words(0, 60);
        let docs = vec![
            doc("a", &story),
            doc("b", &format!("{story} w999")),
            doc("c", &words(1000, 40)),
        ];
        let out = Detector::new(Config::default())
            .unwrap()
            .scan_documents(docs)
            .unwrap();
        let r = &out.report;
        assert_eq!(r.stats.documents, 3);
        assert_eq!(r.clusters.len(), 1);
        assert_eq!(r.clusters[0].members, vec!["a", "b"]);
        assert_eq!(r.pairs.len(), 1);
        assert!(r.pairs[0].alignment.is_some(), "passages are on by default");
        assert_eq!(r.stats.unique_documents, 2);
    }

    #[test]
    /// (Here rather than in `report`, which must not import the detector.)
    fn the_writer_reads_the_texts_the_html_page_shows() {
        use crate::report::{write, Format, Writer};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.jsonl");
        let story = "The harbour council approved the flood barrier budget on Monday after a long debate about ferry routes, the old fish market, storm drains and the price of steel.";
        let lines = [
            serde_json::json!({"id": "a", "text": story}).to_string(),
            serde_json::json!({"id": "b", "text": format!("{story} Copyright Example News.")})
                .to_string(),
        ];
        std::fs::write(&path, lines.join("\n")).unwrap();
        let sources = [Source::Path(path)];
        let detector = Detector::new(Config::default()).unwrap();
        let report = detector.scan(&sources, &NoProgress).unwrap().report;
        assert_eq!(report.clusters.len(), 1);
        let page = |w: &Writer| {
            let mut out = Vec::new();
            w.write(&mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        let with_texts = page(&Writer::new(&report, Format::Html, &sources).unwrap());
        assert!(with_texts.contains("Copyright Example News"));
        // Without sources the page has no texts: what `write` gives.
        let without = page(&Writer::new(&report, Format::Html, &[]).unwrap());
        let mut plain = Vec::new();
        write(&report, Format::Html, &mut plain).unwrap();
        assert_eq!(without.as_bytes(), plain);
        assert!(!without.contains("Copyright Example News"));
        // Other formats are what `write` gives; their sources are not read.
        for format in [Format::Text, Format::Json, Format::Jsonl] {
            let missing = [Source::Path(dir.path().join("gone"))];
            let mut plain = Vec::new();
            write(&report, format, &mut plain).unwrap();
            assert_eq!(
                page(&Writer::new(&report, format, &missing).unwrap()).as_bytes(),
                plain
            );
        }
    }
}
