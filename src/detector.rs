//! The batch driver: inputs -> documents -> shingles and signatures -> candidates -> matches
//! -> clusters -> [`Report`].
//!
//! Reading runs on its own thread and hands batches of raw records to the main thread, which
//! parses, normalises, shingles and signs each batch in parallel (rayon, results kept in input
//! order), then appends the documents sequentially (ids checked for duplicates here, so the
//! first occurrence always wins). LSH, verification and clustering are parallel and
//! order-independent, so the report is byte-identical at any thread count.
//!
//! Memory: per document its signature (4 x `num_perm` bytes), its id and title, and under
//! `--verify exact` its shingle set (8 bytes per distinct shingle, about 8 x words). The text
//! itself is not kept.

use crate::cluster;
use crate::config::{ClusterMode, Config, KeepPolicy, VerifyMode};
use crate::document::{parse_date, DocIdx, Document, Problem, ProblemKind};
use crate::error::{Error, ErrorKind, Result};
use crate::input::{self, Batch, FieldValue, InputFile, InputKind, Source};
use crate::lsh;
use crate::minhash::{self, Signer};
use crate::report::{self, ClusterReport, MemberReport, PairReport, Parameters, Report, Stats};
use crate::shingle::Shingler;
use crate::verify::{Match, Similarity};
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
    bands: usize,
    rows: usize,
    signer: Signer,
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
    sigs: Vec<u32>,
    index: ahash::AHashMap<Box<str>, DocIdx>,
    origins: Vec<(u32, Option<u64>)>,
}

/// One record after parallel processing.
struct Processed {
    id: String,
    title: String,
    date: Option<String>,
    bytes: u64,
    shingles: Vec<u64>,
    sig: Vec<u32>,
}

/// Where a record came from, for messages.
struct Origin<'a> {
    path: &'a str,
    line: Option<u64>,
}

impl Origin<'_> {
    fn problem(&self, id: Option<&str>, kind: ProblemKind, message: String) -> Problem {
        Problem {
            path: self.path.to_string(),
            line: self.line,
            id: id.map(str::to_string),
            kind,
            message,
        }
    }
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

impl Detector {
    /// Validates `config` and derives bands and rows.
    pub fn new(config: Config) -> Result<Detector> {
        config.validate()?;
        let (bands, rows) = match (config.bands, config.rows) {
            (Some(b), Some(r)) => (b, r),
            _ => lsh::optimal_params(config.threshold, config.num_perm),
        };
        let signer = Signer::new(config.scheme, config.num_perm, config.seed);
        Ok(Detector {
            config,
            bands,
            rows,
            signer,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Bands and rows in use.
    pub fn bands_rows(&self) -> (usize, usize) {
        (self.bands, self.rows)
    }

    /// The report's parameters section.
    pub fn parameters(&self) -> Parameters {
        let c = &self.config;
        Parameters {
            shingle: c.shingle,
            ngram: c.ngram,
            normalization: crate::normalize::NORMALIZATION.into(),
            hash: "xxh3_64".into(),
            scheme: c.scheme,
            num_perm: c.num_perm,
            seed: c.seed,
            threshold: c.threshold,
            bands: self.bands,
            rows: self.rows,
            bands_rows_from: if c.bands.is_some() {
                "flags"
            } else {
                "threshold"
            }
            .into(),
            s_curve: lsh::s_curve(self.bands, self.rows),
            verify: c.verify,
            keep: c.keep,
            cluster: c.cluster,
            max_bucket: c.max_bucket,
            max_doc_bytes: c.max_doc_bytes,
            fields: c.fields.clone(),
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
        st.names = names.clone();
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(2);
        let max = self.config.max_doc_bytes;
        let result = std::thread::scope(|scope| -> Result<()> {
            let reader = scope
                .spawn(move || input::read_batches(&files, max, &mut |b| Ok(tx.send(b).is_ok())));
            let mut outcome = Ok(());
            for batch in rx.iter() {
                if let Err(e) = st.add_batch(&batch, &names) {
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
        let mut outcome = st.finish(progress);
        outcome.timings.read = read_time;
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
                    || Shingler::new(self.config.shingle, self.config.ngram),
                    |sh, (i, d)| {
                        let origin = Origin {
                            path: "<memory>",
                            line: Some((ci * 4096 + i + 1) as u64),
                        };
                        st.process_fields(
                            sh,
                            &origin,
                            &d.id,
                            &d.text,
                            d.date.clone(),
                            d.title.clone(),
                        )
                    },
                )
                .collect();
            for (i, r) in results.into_iter().enumerate() {
                st.stats.input_bytes += chunk[i].text.len() as u64;
                st.accept(0, Some((ci * 4096 + i + 1) as u64), r)?;
            }
        }
        let mut outcome = st.finish(&NoProgress);
        outcome.timings.read = start.elapsed();
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
        Scan {
            det,
            store: Store::default(),
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

    fn add_batch(&mut self, batch: &Batch, names: &[String]) -> Result<()> {
        self.stats.input_bytes += batch.bytes;
        self.stats.blank_lines += batch.blank_lines;
        let det = self.det;
        let this = &*self;
        let results: Vec<std::result::Result<Processed, Problem>> = batch
            .records
            .par_iter()
            .map_init(
                || Shingler::new(det.config.shingle, det.config.ngram),
                |sh, r| {
                    let origin = Origin {
                        path: &names[r.file as usize],
                        line: r.line,
                    };
                    this.process_record(sh, &origin, batch.record(r))
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
            let (ffile, fline) = self.store.origins[first as usize];
            let at = match fline {
                Some(l) => format!("{}:{l}", self.path(ffile)),
                None => self.path(ffile),
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
        let s = &mut self.store;
        let idx = s.ids.len() as DocIdx;
        let id: Box<str> = p.id.into();
        s.index.insert(id.clone(), idx);
        s.ids.push(id);
        s.titles.push(p.title.into());
        s.date_keys.push(p.date.as_deref().and_then(parse_date));
        s.dates.push(p.date.map(Into::into));
        s.bytes.push(p.bytes);
        s.sizes.push(p.shingles.len() as u32);
        s.origins.push((file, line));
        self.stats.shingles += p.shingles.len() as u64;
        self.stats.text_bytes += p.bytes;
        if self.det.config.verify == VerifyMode::Exact {
            s.shingles.push(p.shingles.into_boxed_slice());
        }
        s.sigs.extend_from_slice(&p.sig);
        self.stats.documents += 1;
        self.stats.records += 1;
        Ok(())
    }

    fn process_record(
        &self,
        sh: &mut Shingler,
        origin: &Origin,
        bytes: &[u8],
    ) -> std::result::Result<Processed, Problem> {
        let text = std::str::from_utf8(bytes).map_err(|e| {
            origin.problem(
                None,
                ProblemKind::InvalidUtf8,
                format!("invalid UTF-8 at byte {} of the record", e.valid_up_to()),
            )
        })?;
        if origin.line.is_none() {
            // A whole-file document: the id is the path.
            return self.process_fields(sh, origin, origin.path, text, None, None);
        }
        let fields = &self.det.config.fields;
        let rec = input::parse_record(text, fields)
            .map_err(|m| origin.problem(None, ProblemKind::MalformedJson, m))?;
        let id = if fields.id.is_empty() {
            format!("{}:{}", origin.path, origin.line.unwrap_or(0))
        } else {
            match &rec.id {
                Some(v) => match v.as_text() {
                    Some(s) => s.to_string(),
                    None => {
                        return Err(origin.problem(
                            None,
                            ProblemKind::NotAString,
                            format!("id field `{}` is {}, not a string or number", fields.id, article(v)),
                        ))
                    }
                },
                None => {
                    return Err(origin.problem(
                        None,
                        ProblemKind::MissingField,
                        format!(
                            "missing id field `{}` (name it with --id-field, or pass --id-field '' to use path:line as the id)",
                            fields.id
                        ),
                    ))
                }
            }
        };
        let body = match &rec.text {
            Some(FieldValue::Str(s)) => s,
            Some(v) => {
                return Err(origin.problem(
                    Some(&id),
                    ProblemKind::NotAString,
                    format!(
                        "text field `{}` is {}, not a string",
                        fields.text,
                        article(v)
                    ),
                ))
            }
            None => {
                return Err(origin.problem(
                    Some(&id),
                    ProblemKind::MissingField,
                    format!(
                        "missing text field `{}` (name it with --text-field)",
                        fields.text
                    ),
                ))
            }
        };
        let date = rec
            .date
            .as_ref()
            .and_then(|v| v.as_text())
            .map(str::to_string);
        let title = rec
            .title
            .as_ref()
            .and_then(|v| v.as_text())
            .map(str::to_string);
        self.process_fields(sh, origin, &id, body, date, title)
    }

    fn process_fields(
        &self,
        sh: &mut Shingler,
        origin: &Origin,
        id: &str,
        text: &str,
        date: Option<String>,
        title: Option<String>,
    ) -> std::result::Result<Processed, Problem> {
        if text.len() > self.det.config.max_doc_bytes {
            return Err(origin.problem(
                Some(id),
                ProblemKind::TooLarge,
                format!(
                    "document is {} bytes, more than --max-doc-bytes {}; skipped",
                    text.len(),
                    self.det.config.max_doc_bytes
                ),
            ));
        }
        if id.is_empty() {
            return Err(origin.problem(None, ProblemKind::MissingField, "the id is empty".into()));
        }
        let mut shingles = Vec::new();
        match self.det.config.verify {
            // Sorted later, only for candidates (see `Scan::finish`).
            VerifyMode::Exact => sh.shingles_unsorted_into(text, &mut shingles),
            // The set is dropped after signing, but its size is needed.
            VerifyMode::Estimate => sh.shingles_into(text, &mut shingles),
        };
        if shingles.is_empty() {
            return Err(origin.problem(
                Some(id),
                ProblemKind::EmptyDocument,
                "empty document: no words after normalisation; skipped".into(),
            ));
        }
        let mut sig = Vec::with_capacity(self.det.config.num_perm);
        self.det.signer.sign_into(&shingles, &mut sig);
        let title = match title {
            Some(t) if !t.trim().is_empty() => t.trim().chars().take(120).collect(),
            _ => snippet(text),
        };
        Ok(Processed {
            id: id.to_string(),
            title,
            date,
            bytes: text.len() as u64,
            shingles,
            sig,
        })
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

    fn finish(mut self, progress: &dyn Progress) -> Outcome {
        let det = self.det;
        let c = &det.config;
        let mut timings = Timings::default();
        let n = self.store.ids.len();

        progress.stage(Stage::Candidates);
        let t = Instant::now();
        let cands = lsh::candidates(
            &self.store.sigs,
            c.num_perm,
            det.bands,
            det.rows,
            c.max_bucket,
        );
        timings.candidates = t.elapsed();
        self.stats.candidates = cands.pairs.len() as u64;
        self.stats.giant_buckets = cands.giant_buckets;
        if c.verify == VerifyMode::Exact {
            // Sort and deduplicate the shingle sets of candidate documents only.
            let mut involved = vec![false; n];
            for &(a, b) in &cands.pairs {
                involved[a as usize] = true;
                involved[b as usize] = true;
            }
            let store = &mut self.store;
            store
                .shingles
                .par_iter_mut()
                .zip(store.sizes.par_iter_mut())
                .zip(involved.par_iter())
                .filter(|(_, &inv)| inv)
                .for_each(|((set, size), _)| {
                    let mut v = std::mem::take(set).into_vec();
                    v.sort_unstable();
                    v.dedup();
                    *size = v.len() as u32;
                    *set = v.into_boxed_slice();
                });
        }

        progress.stage(Stage::Verify);
        let t = Instant::now();
        let this = &self;
        let matches: Vec<Match> = cands
            .pairs
            .par_iter()
            .filter_map(|&(a, b)| {
                let sim = this.similarity(a, b);
                sim.meets(c.threshold).then_some(Match { a, b, sim })
            })
            .collect();
        timings.verify = t.elapsed();
        drop(cands);

        progress.stage(Stage::Cluster);
        let t = Instant::now();
        let s = &self.store;
        let before = |x: DocIdx, y: DocIdx| -> bool {
            let (xi, yi) = (x as usize, y as usize);
            match c.keep {
                KeepPolicy::First => x < y,
                KeepPolicy::Longest => {
                    (s.bytes[xi], std::cmp::Reverse(x)) > (s.bytes[yi], std::cmp::Reverse(y))
                }
                KeepPolicy::Earliest => {
                    let key = |i: usize| (s.date_keys[i].is_none(), s.date_keys[i].unwrap_or(0));
                    (key(xi), x) < (key(yi), y)
                }
            }
        };
        let guarded = c.cluster == ClusterMode::Guarded;
        let clusters = cluster::cluster(n, &matches, c.threshold, guarded, before, |a, b| {
            this.similarity(a, b)
        });

        let mut cluster_of = vec![0u64; n];
        let mut reports = Vec::with_capacity(clusters.len());
        let member = |d: DocIdx, sim: Option<&Similarity>| -> MemberReport {
            let i = d as usize;
            MemberReport {
                doc: s.ids[i].to_string(),
                title: s.titles[i].to_string(),
                date: s.dates[i].as_deref().map(str::to_string),
                bytes: s.bytes[i],
                shingles: s.sizes[i],
                representative: sim.is_none(),
                jaccard: sim.map(|x| report::round4(x.jaccard())).unwrap_or(1.0),
                containment: sim
                    .map(|x| report::round4(x.containment_a_in_b()))
                    .unwrap_or(1.0),
            }
        };
        for (k, cl) in clusters.iter().enumerate() {
            let id = k as u64 + 1;
            cluster_of[cl.representative as usize] = id;
            let mut details = vec![member(cl.representative, None)];
            for (d, sim) in &cl.members {
                cluster_of[*d as usize] = id;
                details.push(member(*d, Some(sim)));
            }
            self.stats.clustered_documents += details.len() as u64;
            reports.push(ClusterReport {
                id,
                representative: details[0].doc.clone(),
                members: details.iter().map(|m| m.doc.clone()).collect(),
                details,
            });
        }
        let pairs: Vec<PairReport> = matches
            .iter()
            .map(|m| {
                let (ca, cb) = (cluster_of[m.a as usize], cluster_of[m.b as usize]);
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
                }
            })
            .collect();
        timings.cluster = t.elapsed();

        self.stats.matches = matches.len() as u64;
        self.stats.clusters = reports.len() as u64;
        self.stats.duplicates = self.stats.clustered_documents - self.stats.clusters;
        self.stats.unique_documents = self.stats.documents - self.stats.duplicates;
        let mut problems = std::mem::take(&mut self.problems);
        problems.sort_by_key(|(k, _)| *k);
        let report = Report {
            format_version: report::FORMAT_VERSION,
            tool: report::Tool::current(),
            parameters: det.parameters(),
            stats: self.stats,
            clusters: reports,
            pairs,
            repeats: Vec::new(),
            problems: problems.into_iter().map(|(_, p)| p).collect(),
        };
        Outcome { report, timings }
    }
}

fn article(v: &FieldValue) -> String {
    match v {
        FieldValue::Other(t) if t.starts_with(['a', 'o']) => format!("an {t}"),
        FieldValue::Other(t) => format!("a {t}"),
        FieldValue::Number(_) => "a number".into(),
        FieldValue::Str(_) => "a string".into(),
    }
}
