//! The corpus generator's entry point: its settings, its output, and [`generate`].
//!
//! Input: a text [`Model`] and [`GenerateOptions`]. Output: a [`Corpus`] of
//! [`GeneratedDoc`]s in output order with its ground truth ([`PlantedPair`]s and
//! [`PlantedRepeat`]s), which [`write_corpus`](super::write_corpus) writes as JSON Lines.
//! `generate` lays out the corpus (`families.rs`), builds the families in parallel with rayon
//! (each from its own random streams) and merges them in output order, so the result is the
//! same at any thread count.

use super::families::{gen_family, FamilyOut, Plan};
use super::model::Model;
use super::truth::{EditLevel, PlantedPair, PlantedRepeat};
use rayon::prelude::*;
use std::fmt;
use std::io::{self, Write};

/// Errors from building a [`Model`] or parsing generator settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GenerateError {
    /// The seed text holds too few words in complete sentences to build a useful model.
    SeedTooSmall {
        /// Usable words found (words inside complete sentences of 3-60 words).
        words: usize,
        /// Complete sentences found.
        sentences: usize,
        /// Words required ([`MIN_SEED_WORDS`](super::MIN_SEED_WORDS)).
        minimum: usize,
    },
    /// A level name that is not one of `exact`, `light`, `medium`, `heavy`, `partial`.
    UnknownLevel(String),
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GenerateError::SeedTooSmall {
                words,
                sentences,
                minimum,
            } => write!(
                f,
                "seed text too small for the corpus generator: found {words} usable words in \
                 {sentences} complete sentences, need at least {minimum}; point it at more \
                 English prose (for example a few dozen news stories)"
            ),
            GenerateError::UnknownLevel(s) => write!(
                f,
                "unknown edit level {s:?}; expected one of exact, light, medium, heavy, partial"
            ),
        }
    }
}

impl std::error::Error for GenerateError {}

/// Settings for [`generate`]. Every field has a sensible [`Default`].
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    /// Master seed; the same model and options always give byte-identical output.
    pub seed: u64,
    /// Total number of documents to write (bases plus copies).
    pub documents: usize,
    /// Share of documents that are planted copies of a base (default 0.3; clamped to
    /// `0..=1` and to what `families_max` allows; NaN means 0).
    pub copy_share: f64,
    /// Mean body length of a base document in words (default 550, about 3.4 KB with
    /// byline and footer); each base draws uniformly from 60-140% of it.
    pub mean_words: usize,
    /// Most copies planted per base document (default 5); each family gets 1..=this.
    pub families_max: usize,
    /// Edit levels to plant, assigned to copies round-robin in family order (default:
    /// all five); duplicates are ignored and an empty list plants no copies.
    pub levels: Vec<EditLevel>,
    /// Share of base documents with a within-page sentence near-repeat (default 0.05).
    pub repeat_share: f64,
    /// Share of documents carrying their publisher's fixed footer (default 0.2).
    pub boilerplate_share: f64,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            seed: 1,
            documents: 1_000,
            copy_share: 0.3,
            mean_words: 550,
            families_max: 5,
            levels: EditLevel::ALL.to_vec(),
            repeat_share: 0.05,
            boilerplate_share: 0.2,
        }
    }
}

/// One generated article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedDoc {
    /// Document id, `g` plus a zero-padded output position (`g000123`).
    pub id: String,
    /// Publication date, `YYYY-MM-DD`; bases spread over 2024, copies on or after their base.
    pub date: String,
    /// Publisher name; members of a family all have different publishers (while the
    /// 12 built-in publishers last; never the base's).
    pub publisher: String,
    /// Headline.
    pub title: String,
    /// Body text: optional byline, paragraphs separated by blank lines, optional footer.
    pub text: String,
    /// Family id (`f00042`) for bases with copies and for the copies; `None` otherwise.
    /// Not written to the documents file (it is ground truth).
    pub family: Option<String>,
}

/// A generated corpus with its ground truth.
#[derive(Debug, Clone, PartialEq)]
pub struct Corpus {
    /// Seed the corpus was generated from (written to the truth header).
    pub seed: u64,
    /// Documents in output order (`docs[i].id` encodes `i`).
    pub docs: Vec<GeneratedDoc>,
    /// Planted pairs, ordered by family then by ids.
    pub pairs: Vec<PlantedPair>,
    /// Planted within-page repeats, ordered by document.
    pub repeats: Vec<PlantedRepeat>,
}

/// Generates a corpus with planted near-duplicates, repeats and boilerplate.
///
/// Deterministic: the same model and options give the same corpus (and the same bytes
/// from [`write_corpus`](super::write_corpus)) whatever the rayon thread count. Work is split per base
/// document and its family, so 100,000 documents take a few seconds on two cores.
pub fn generate(model: &Model, opts: &GenerateOptions) -> Corpus {
    let plan = Plan::new(opts);
    let parts: Vec<FamilyOut> = (0..plan.bases)
        .into_par_iter()
        .map(|b| gen_family(model, opts, &plan, b))
        .collect();
    let mut docs = Vec::with_capacity(opts.documents);
    let mut pairs = Vec::new();
    let mut repeats = Vec::new();
    for part in parts {
        docs.extend(part.docs);
        pairs.extend(part.pairs);
        repeats.extend(part.repeats);
    }
    docs.par_sort_unstable_by_key(|d| d.0);
    repeats.sort_by_key(|r| r.0);
    Corpus {
        seed: opts.seed,
        docs: docs.into_iter().map(|d| d.1).collect(),
        pairs,
        repeats: repeats.into_iter().map(|r| r.1).collect(),
    }
}

/// What [`generate_to`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Documents written.
    pub documents: usize,
    /// Planted pairs written.
    pub pairs: usize,
    /// Planted repeats written.
    pub repeats: usize,
}

/// Output positions generated at a time by [`generate_to`].
const WINDOW: usize = 1 << 16;

/// Generates the corpus of [`generate`] straight into the two streams of
/// [`write_corpus`](super::write_corpus), byte for byte the same, without holding the
/// documents: memory is bounded by a window of output positions, not by the corpus.
///
/// The output is walked in windows of positions; each window's families are generated in
/// parallel (a family with members in several windows is generated again for each, which
/// costs about twice the generation work of [`generate`] and no memory), and its
/// documents written in position order. The truth (a few hundred bytes per planted pair)
/// is kept and written at the end, in [`generate`]'s order.
pub fn generate_to(
    model: &Model,
    opts: &GenerateOptions,
    docs_out: &mut impl Write,
    truth_out: &mut impl Write,
) -> io::Result<Written> {
    generate_windows(model, opts, docs_out, truth_out, WINDOW)
}

fn generate_windows(
    model: &Model,
    opts: &GenerateOptions,
    docs_out: &mut impl Write,
    truth_out: &mut impl Write,
    window: usize,
) -> io::Result<Written> {
    let plan = Plan::new(opts);
    let base_at = plan.base_at();
    let n = base_at.len();
    let mut pairs: Vec<Option<Vec<PlantedPair>>> = vec![None; plan.bases];
    let mut repeats = Vec::new();
    let mut w = io::BufWriter::with_capacity(1 << 20, &mut *docs_out);
    let mut start = 0;
    while start < n {
        let end = (start + window.max(1)).min(n);
        let mut bases: Vec<u32> = base_at[start..end].to_vec();
        bases.sort_unstable();
        bases.dedup();
        let parts: Vec<(u32, FamilyOut)> = bases
            .into_par_iter()
            .map(|b| (b, gen_family(model, opts, &plan, b as usize)))
            .collect();
        let mut docs = Vec::with_capacity(end - start);
        for (b, part) in parts {
            docs.extend(
                part.docs
                    .into_iter()
                    .filter(|d| (start..end).contains(&d.0)),
            );
            repeats.extend(
                part.repeats
                    .into_iter()
                    .filter(|r| (start..end).contains(&r.0)),
            );
            let slot = &mut pairs[b as usize];
            if slot.is_none() {
                *slot = Some(part.pairs);
            }
        }
        docs.sort_unstable_by_key(|d| d.0);
        for (_, d) in &docs {
            super::truth::write_doc(&mut w, d)?;
        }
        start = end;
    }
    w.flush()?;
    drop(w);
    docs_out.flush()?;
    repeats.sort_by_key(|r| r.0);
    let all_pairs: Vec<&PlantedPair> = pairs.iter().flatten().flatten().collect();
    super::truth::write_truth(
        truth_out,
        opts.seed,
        n,
        all_pairs.iter().copied(),
        repeats.iter().map(|r| &r.1),
    )?;
    Ok(Written {
        documents: n,
        pairs: all_pairs.len(),
        repeats: repeats.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{bytes, model, opts};
    use super::super::overlap::shingle_overlap;
    use super::super::publishers::date_string;
    use super::super::random::{mix, Rng};
    use super::super::truth::GENERATOR_VERSION;
    use super::*;
    use std::collections::{BTreeMap, HashMap};

    #[test]
    fn golden_output_hash() {
        // If this fails the generator's bytes changed: bump GENERATOR_VERSION and
        // update the constant.
        let (d, t) = bytes(&generate(&model(), &opts(60, 123)));
        let h = d.iter().chain(&t).fold(0u64, |h, &b| mix(h ^ u64::from(b)));
        assert_eq!(GENERATOR_VERSION, 1);
        assert_eq!(h, GOLDEN_HASH, "got {h:#018x}");
    }

    const GOLDEN_HASH: u64 = 0xa808_18e4_b3f4_b420;

    #[test]
    fn streaming_writes_the_same_bytes_in_any_window() {
        let m = model();
        for (n, seed) in [(300, 5), (61, 2), (1, 3)] {
            let o = opts(n, seed);
            let want = bytes(&generate(&m, &o));
            for window in [1, 7, 64, 1 << 16] {
                let (mut d, mut t) = (Vec::new(), Vec::new());
                let w = match generate_windows(&m, &o, &mut d, &mut t, window) {
                    Ok(w) => w,
                    Err(e) => panic!("writing to memory: {e}"),
                };
                assert_eq!(w.documents, n);
                assert!(d == want.0, "documents differ, n {n} window {window}");
                assert!(t == want.1, "truth differs, n {n} window {window}");
            }
        }
    }

    #[test]
    fn same_seed_same_bytes_different_seed_different_bytes() {
        let m = model();
        let a = bytes(&generate(&m, &opts(300, 5)));
        let b = bytes(&generate(&m, &opts(300, 5)));
        assert!(a == b, "same seed gave different output");
        let c = bytes(&generate(&m, &opts(300, 6)));
        assert!(
            a.0 != c.0 && a.1 != c.1,
            "different seed gave the same output"
        );
    }

    #[test]
    fn output_is_independent_of_thread_count() {
        let m = model();
        let o = opts(250, 9);
        let run = |threads: usize| {
            let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
                Ok(p) => p,
                Err(e) => panic!("thread pool: {e}"),
            };
            pool.install(|| bytes(&generate(&m, &o)))
        };
        let one = run(1);
        assert!(one == run(3), "1 thread and 3 threads differ");
    }

    #[test]
    fn ids_dates_and_sizes() {
        let m = model();
        let c = generate(&m, &opts(500, 2));
        assert_eq!(c.docs.len(), 500);
        for (i, d) in c.docs.iter().enumerate() {
            assert_eq!(d.id, format!("g{i:06}"));
            let b = d.date.as_bytes();
            assert!(
                d.date.len() == 10 && b[4] == b'-' && b[7] == b'-',
                "{}",
                d.date
            );
            assert!(d.date.starts_with("2024") || d.date.starts_with("2025"));
            assert!(!d.title.is_empty() && !d.text.is_empty() && !d.publisher.is_empty());
        }
        let copies = c.pairs.iter().filter(|p| p.is_base_copy()).count();
        assert_eq!(copies, 150, "copy_share 0.3 of 500 documents");
        assert_eq!(date_string(0), "2024-01-01");
        assert_eq!(date_string(59), "2024-02-29");
        assert_eq!(date_string(366), "2025-01-01");
    }

    #[test]
    fn edge_case_options() {
        let m = model();
        let empty = generate(&m, &opts(0, 1));
        assert!(empty.docs.is_empty() && empty.pairs.is_empty());
        let one = generate(&m, &opts(1, 1));
        assert_eq!(one.docs.len(), 1);
        assert!(one.pairs.is_empty());
        let no_levels = GenerateOptions {
            levels: Vec::new(),
            ..opts(50, 1)
        };
        let c = generate(&m, &no_levels);
        assert!(c.pairs.is_empty() && c.docs.iter().all(|d| d.family.is_none()));
        let greedy = GenerateOptions {
            copy_share: 1.0,
            families_max: 1,
            ..opts(40, 1)
        };
        let c = generate(&m, &greedy);
        assert_eq!(c.docs.len(), 40);
        assert_eq!(c.pairs.len(), 20);
        let nan = GenerateOptions {
            copy_share: f64::NAN,
            repeat_share: f64::NAN,
            boilerplate_share: -1.0,
            ..opts(30, 1)
        };
        let c = generate(&m, &nan);
        assert!(c.pairs.is_empty() && c.repeats.is_empty());
    }

    // ---- statistics on real text ---------------------------------------------------

    struct LevelStats {
        n: usize,
        j: (f64, f64, f64),
        c: (f64, f64, f64),
    }

    fn summarize(xs: &[(f64, f64)]) -> LevelStats {
        let n = xs.len().max(1) as f64;
        let agg = |f: fn(&(f64, f64)) -> f64| {
            let v: Vec<f64> = xs.iter().map(f).collect();
            (
                v.iter().sum::<f64>() / n,
                v.iter().copied().fold(f64::INFINITY, f64::min),
                v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            )
        };
        LevelStats {
            n: xs.len(),
            j: agg(|x| x.0),
            c: agg(|x| x.1),
        }
    }

    /// Prints per-level Jaccard/containment of planted base-copy pairs and checks the
    /// ranges, plus the novelty of unrelated bases. Returns mean Jaccard per level.
    fn check_corpus(label: &str, m: &Model, documents: usize) -> BTreeMap<EditLevel, f64> {
        let t = std::time::Instant::now();
        let c = generate(
            m,
            &GenerateOptions {
                seed: 77,
                documents,
                ..GenerateOptions::default()
            },
        );
        let by_id: HashMap<&str, &GeneratedDoc> =
            c.docs.iter().map(|d| (d.id.as_str(), d)).collect();
        let mut groups: BTreeMap<(EditLevel, bool), Vec<(f64, f64)>> = BTreeMap::new();
        for p in &c.pairs {
            let o = shingle_overlap(&by_id[p.a.as_str()].text, &by_id[p.b.as_str()].text);
            groups
                .entry((p.level, p.is_base_copy()))
                .or_default()
                .push((o.jaccard, o.containment));
        }
        eprintln!(
            "[{label}] model: {m:?}; {} docs, {} pairs, {} repeats in {:.1?}",
            c.docs.len(),
            c.pairs.len(),
            c.repeats.len(),
            t.elapsed()
        );
        let mut means = BTreeMap::new();
        for ((level, base_copy), xs) in &groups {
            let s = summarize(xs);
            eprintln!(
                "[{label}] {:<8} {:<9} n={:<5} jaccard mean {:.3} min {:.3} max {:.3} | containment mean {:.3} min {:.3} max {:.3}",
                level.as_str(),
                if *base_copy { "base-copy" } else { "copy-copy" },
                s.n, s.j.0, s.j.1, s.j.2, s.c.0, s.c.1, s.c.2
            );
            if *base_copy {
                means.insert(*level, s.j.0);
                match level {
                    EditLevel::Exact => assert!(s.j.1 == 1.0),
                    EditLevel::Light => assert!(s.j.0 >= 0.85, "{label} light"),
                    EditLevel::Medium => {
                        assert!((0.6..=0.9).contains(&s.j.0), "{label} medium {}", s.j.0)
                    }
                    EditLevel::Heavy => {
                        assert!((0.3..=0.7).contains(&s.j.0), "{label} heavy {}", s.j.0)
                    }
                    EditLevel::Partial => {
                        assert!(s.j.0 <= 0.7 && s.c.0 >= 0.9, "{label} partial")
                    }
                }
            }
        }
        let singles: Vec<&str> = c
            .docs
            .iter()
            .filter(|d| d.family.is_none())
            .map(|d| d.text.as_str())
            .collect();
        let mut rng = Rng::new(4242);
        let mut sum = 0.0;
        let mut max: f64 = 0.0;
        for _ in 0..2_000 {
            let a = rng.index(singles.len());
            let b = (a + 1 + rng.index(singles.len() - 1)) % singles.len();
            let j = shingle_overlap(singles[a], singles[b]).jaccard;
            sum += j;
            max = max.max(j);
        }
        eprintln!(
            "[{label}] unrelated bases: 2000 random pairs, mean jaccard {:.5}, max {:.4}",
            sum / 2_000.0,
            max
        );
        assert!(max < 0.1, "{label}: unrelated bases too similar ({max})");
        means
    }

    fn reuters_texts() -> Option<Vec<String>> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/reuters-21578.jsonl"
        );
        let Ok(raw) = std::fs::read_to_string(path) else {
            eprintln!(
                "\n!!!! SKIPPED: {path} is missing; the Reuters corpus statistics were NOT checked !!!!\n"
            );
            return None;
        };
        Some(
            raw.lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter_map(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_string))
                .collect(),
        )
    }

    #[test]
    fn reuters_seeded_corpora_are_sane() {
        let Some(texts) = reuters_texts() else { return };
        // Small seed: the first stories up to ~3,000 words.
        let mut words = 0;
        let small: Vec<&str> = texts
            .iter()
            .take_while(|t| {
                let keep = words < 3_000;
                words += t.split_whitespace().count();
                keep
            })
            .map(String::as_str)
            .collect();
        let m = match Model::from_texts(small.iter().copied()) {
            Ok(m) => m,
            Err(e) => panic!("small Reuters seed: {e}"),
        };
        check_corpus("reuters-small", &m, 2_000);
        let t = std::time::Instant::now();
        let m = match Model::from_texts(texts.iter().map(String::as_str)) {
            Ok(m) => m,
            Err(e) => panic!("full Reuters seed: {e}"),
        };
        eprintln!("[reuters-full] model built in {:.1?}", t.elapsed());
        assert_eq!(
            m.perturbation(),
            (0.0, 0.0),
            "a large seed needs no perturbation"
        );
        let means = check_corpus("reuters-full", &m, 2_000);
        assert!(means[&EditLevel::Light] > means[&EditLevel::Medium]);
        assert!(means[&EditLevel::Medium] > means[&EditLevel::Heavy]);
    }

    #[test]
    fn synthetic_seed_corpus_is_sane() {
        check_corpus("synthetic", &model(), 1_500);
    }
}
