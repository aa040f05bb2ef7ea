//! Per-stage throughput, as ratios against a baseline measured in the same run.
//!
//! `cargo bench --bench throughput [-- CORPUS.jsonl [MAX_DOCS]]`
//!
//! Without a corpus, a deterministic synthetic news-like corpus (20,000 documents of ~550
//! words) is generated in memory. The baseline is the "plain loop" of the core-engine issue:
//! lowercase, split on whitespace, hash each word 5-gram once (XXH3), one-permutation MinHash.
//! Each stage is timed on 2 threads (rayon over documents) and reported in docs/s and MB/s and
//! as a ratio to the baseline, which cancels most of the noise of a shared machine.

use rayon::prelude::*;
use std::time::Instant;
use syndup::config::{Fields, Scheme, ShingleKind};
use syndup::minhash::{mix64, Signer};
use syndup::normalize::Tokenizer;
use syndup::repeat::SentenceWorker;
use syndup::shingle::Shingler;

fn synthetic(n: usize) -> Vec<String> {
    // A vocabulary of pseudo-words with a Zipf-like draw, 550 words a document in sentences.
    let vocab: Vec<String> = (0..30_000u64)
        .map(|i| {
            let h = mix64(i + 1);
            let len = 2 + (h % 9) as usize;
            (0..len)
                .map(|j| (b'a' + ((h >> (j * 5)) % 26) as u8) as char)
                .collect()
        })
        .collect();
    (0..n as u64)
        .into_par_iter()
        .map(|d| {
            let mut s = String::with_capacity(4000);
            let mut state = mix64(d ^ 0xabcdef);
            for w in 0..550 {
                state = mix64(state);
                let r = (state % 1_000_000) as f64 / 1_000_000.0;
                let idx = ((r * r * r) * vocab.len() as f64) as usize;
                let word = &vocab[idx.min(vocab.len() - 1)];
                if w % 18 == 0 {
                    let mut c = word.chars();
                    if let Some(f) = c.next() {
                        s.extend(f.to_uppercase());
                        s.push_str(c.as_str());
                    }
                } else {
                    s.push_str(word);
                }
                s.push_str(if w % 18 == 17 { ".\n" } else { " " });
            }
            s
        })
        .collect()
}

fn load(path: &str, max: usize) -> Vec<String> {
    let data = std::fs::read_to_string(path).expect("read corpus");
    data.lines()
        .take(max)
        .filter_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            v.get("text")?.as_str().map(str::to_string)
        })
        .collect()
}

struct Row {
    name: &'static str,
    secs: f64,
}

fn time<F: FnMut() -> u64>(name: &'static str, mut f: F) -> Row {
    // Best of 3 runs: the least disturbed by other load.
    let mut best = f64::INFINITY;
    let mut check = 0;
    for _ in 0..3 {
        let t = Instant::now();
        check ^= f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    std::hint::black_box(check);
    Row { name, secs: best }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("pool");
    let docs = match args.first() {
        Some(p) => load(
            p,
            args.get(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(usize::MAX),
        ),
        None => synthetic(20_000),
    };
    let bytes: usize = docs.iter().map(|d| d.len()).sum();
    let jsonl: Vec<String> = docs
        .iter()
        .enumerate()
        .map(|(i, t)| serde_json::json!({"id": i.to_string(), "text": t}).to_string())
        .collect();
    let signer = Signer::new(Scheme::Densified, 128, 1);
    let classic = Signer::new(Scheme::Classic, 128, 1);
    let fields = Fields::default();
    let rows = pool.install(|| {
        let mut rows = Vec::new();
        rows.push(time(
            "baseline: plain loop (lowercase, split, 5-gram hash, OPH)",
            || {
                docs.par_iter()
                    .map(|d| {
                        let words: Vec<u64> = d
                            .to_lowercase()
                            .split_whitespace()
                            .map(|w| xxhash_rust::xxh3::xxh3_64(w.as_bytes()))
                            .collect();
                        let mut sig = [u32::MAX; 128];
                        for w in words.windows(5) {
                            let h = mix64(
                                w[0] ^ w[1].rotate_left(13)
                                    ^ w[2].rotate_left(26)
                                    ^ w[3].rotate_left(39)
                                    ^ w[4].rotate_left(52),
                            );
                            let bin = ((h >> 32) * 128) >> 32;
                            sig[bin as usize] = sig[bin as usize].min(h as u32);
                        }
                        sig[0] as u64
                    })
                    .sum()
            },
        ));
        rows.push(time("parse JSON line (id, text)", || {
            jsonl
                .par_iter()
                .map(|l| match syndup::input::parse_record(l, &fields) {
                    Ok(p) => p
                        .text
                        .and_then(|t| t.as_text().map(|s| s.len() as u64))
                        .unwrap_or(0),
                    Err(_) => 0,
                })
                .sum()
        }));
        rows.push(time("normalise + tokenise", || {
            docs.par_iter()
                .map_init(
                    || (Tokenizer::new(), Vec::new()),
                    |(t, v), d| {
                        v.clear();
                        t.hashes_into(d, v);
                        v.len() as u64
                    },
                )
                .sum()
        }));
        rows.push(time(
            "... + word 5-gram shingles (as scan: unsorted)",
            || {
                docs.par_iter()
                    .map_init(
                        || (Shingler::new(ShingleKind::Word, 5), Vec::new()),
                        |(s, v), d| {
                            s.shingles_unsorted_into(d, v);
                            v.len() as u64
                        },
                    )
                    .sum()
            },
        ));
        rows.push(time(
            "... + word 5-gram shingles (sorted, deduplicated: scan sorts candidates only)",
            || {
                docs.par_iter()
                    .map_init(
                        || (Shingler::new(ShingleKind::Word, 5), Vec::new()),
                        |(s, v), d| {
                            s.shingles_into(d, v);
                            v.len() as u64
                        },
                    )
                    .sum()
            },
        ));
        rows.push(time("... + densified MinHash (128)", || {
            docs.par_iter()
                .map_init(
                    || (Shingler::new(ShingleKind::Word, 5), Vec::new(), Vec::new()),
                    |(s, v, sig), d| {
                        s.shingles_unsorted_into(d, v);
                        sig.clear();
                        signer.sign_into(v, sig);
                        sig[0] as u64
                    },
                )
                .sum()
        }));
        // The default job's within-document repeats, step by step: tokens with their spans
        // (what the sentence stage needs), then sentences, then the repeats.
        rows.push(time("tokens with spans (the defaults' tokeniser)", || {
            docs.par_iter()
                .map_init(
                    || (Tokenizer::new(), Vec::new()),
                    |(t, v), d| {
                        v.clear();
                        t.tokens_into(d, v);
                        v.len() as u64
                    },
                )
                .sum()
        }));
        rows.push(time("... + sentences", || {
            docs.par_iter()
                .map_init(
                    || (Tokenizer::new(), Vec::new(), SentenceWorker::default()),
                    |(t, v, w), d| {
                        v.clear();
                        t.tokens_into(d, v);
                        w.sentences(d, v);
                        w.sentences.len() as u64
                    },
                )
                .sum()
        }));
        let sentences = syndup::config::SentenceConfig::default();
        rows.push(time("... + within-document repeats", || {
            docs.par_iter()
                .map_init(
                    || {
                        (
                            Tokenizer::new(),
                            Vec::new(),
                            Vec::new(),
                            SentenceWorker::default(),
                        )
                    },
                    |(t, v, h, w), d| {
                        v.clear();
                        t.tokens_into(d, v);
                        h.clear();
                        h.extend(v.iter().map(|t| t.hash));
                        w.within(d, v, h, &sentences).repeats.len() as u64
                    },
                )
                .sum()
        }));
        let small = &docs[..docs.len().min(2000)];
        let r = time("... + classic MinHash (128), on 2,000 docs", || {
            small
                .par_iter()
                .map_init(
                    || (Shingler::new(ShingleKind::Word, 5), Vec::new(), Vec::new()),
                    |(s, v, sig), d| {
                        s.shingles_into(d, v);
                        sig.clear();
                        classic.sign_into(v, sig);
                        sig[0] as u64
                    },
                )
                .sum()
        });
        rows.push(Row {
            name: r.name,
            secs: r.secs * docs.len() as f64 / small.len() as f64,
        });
        rows
    });
    // End to end through the library (in-memory documents).
    let det = syndup::Detector::new(syndup::Config::default()).expect("config");
    let input: Vec<syndup::Document> = docs
        .iter()
        .enumerate()
        .map(|(i, t)| syndup::Document {
            id: i.to_string(),
            text: t.clone(),
            ..Default::default()
        })
        .collect();
    let e2e = pool.install(|| {
        time("end to end: Detector::scan_documents (all stages)", || {
            det.scan_documents(input.clone())
                .map(|o| o.report.stats.matches)
                .unwrap_or(0)
        })
    });
    let base = rows[0].secs;
    println!(
        "{} documents, {:.1} MB, 2 threads (best of 3)",
        docs.len(),
        bytes as f64 / 1e6
    );
    println!(
        "{:<62} {:>9} {:>11} {:>8} {:>12}",
        "stage", "seconds", "docs/s", "MB/s", "vs baseline"
    );
    for r in rows.iter().chain(std::iter::once(&e2e)) {
        println!(
            "{:<62} {:>9.3} {:>11.0} {:>8.1} {:>11.2}x",
            r.name,
            r.secs,
            docs.len() as f64 / r.secs,
            bytes as f64 / 1e6 / r.secs,
            base / r.secs
        );
    }
}
