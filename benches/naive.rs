//! The naive baseline of the core job: the plain loop syndup's core must beat.
//!
//! `cargo bench --bench naive -- CORPUS.jsonl [THREADS]` (2 threads by default)
//!
//! Reads a JSON Lines file whole, takes each record's `text` with serde_json, lowercases it
//! (`str::to_lowercase`), splits it on whitespace, hashes each word 5-gram (its bytes in the
//! lowercased text, from the first word's start to the last word's end) with XXH3-64, and
//! builds a one-permutation MinHash of 128 values (each bin keeps its minimum; no
//! densification), in parallel with rayon. It prints documents, megabytes, seconds, docs/s
//! and MB/s, wall clock from before the file is read to the last signature.
//!
//! The job it is compared with is `syndup scan CORPUS.jsonl --containment off --no-passages
//! --threads 2 -q -o /dev/null`: the same reading, tokenising, hashing and signing, plus
//! syndup's normalisation (NFKC, punctuation), the bookkeeping, LSH and verification. Wall
//! clock on a shared machine is noisy: run the two alternately, several times, and compare
//! medians (see the README's performance section).

use rayon::prelude::*;
use serde::Deserialize;
use std::borrow::Cow;
use std::time::Instant;
use xxhash_rust::xxh3::xxh3_64;

/// The one field the loop reads.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    text: Cow<'a, str>,
}

const NUM_PERM: usize = 128;
const K: usize = 5;

/// The signature of one text; `None` for a record that is not JSON with a string `text`.
fn sign(line: &str) -> Option<[u32; NUM_PERM]> {
    let rec: Record = serde_json::from_str(line).ok()?;
    let lower = rec.text.to_lowercase();
    let base = lower.as_ptr() as usize;
    // Byte spans of the words in `lower`.
    let words: Vec<(usize, usize)> = lower
        .split_whitespace()
        .map(|w| {
            let start = w.as_ptr() as usize - base;
            (start, start + w.len())
        })
        .collect();
    let mut sig = [u32::MAX; NUM_PERM];
    let mut add = |h: u64| {
        let bin = (((h >> 32) * NUM_PERM as u64) >> 32) as usize;
        sig[bin] = sig[bin].min(h as u32);
    };
    if words.len() < K {
        if let (Some(first), Some(last)) = (words.first(), words.last()) {
            add(xxh3_64(&lower.as_bytes()[first.0..last.1]));
        }
    } else {
        for w in words.windows(K) {
            add(xxh3_64(&lower.as_bytes()[w[0].0..w[K - 1].1]));
        }
    }
    Some(sig)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some(path) = args.first() else {
        eprintln!("usage: cargo bench --bench naive -- CORPUS.jsonl [THREADS]");
        std::process::exit(2);
    };
    let threads = args.get(1).and_then(|t| t.parse().ok()).unwrap_or(2);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    let t = Instant::now();
    let data = std::fs::read_to_string(path).expect("read the corpus (UTF-8 JSON Lines)");
    let (docs, bad, check) = pool.install(|| {
        data.par_lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| match sign(l) {
                Some(sig) => (1u64, 0u64, sig[0] as u64 ^ sig[NUM_PERM - 1] as u64),
                None => (0, 1, 0),
            })
            .reduce(|| (0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 ^ b.2))
    });
    let secs = t.elapsed().as_secs_f64();
    let mb = data.len() as f64 / 1e6;
    println!(
        "naive loop: {docs} documents ({bad} unreadable), {mb:.1} MB, {threads} threads: \
         {secs:.3} s, {:.0} docs/s, {:.1} MB/s (check {check:x})",
        docs as f64 / secs,
        mb / secs
    );
}
