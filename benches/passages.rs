//! Aligned passages: cost per document prepared and per pair aligned, against the previous
//! implementation measured in the same run.
//!
//! `cargo bench --bench passages [-- CORPUS.jsonl [MAX_DOCS]]`
//!
//! The pairs are the ones a default scan reports (`Detector::scan_documents`, passages off).
//! Without a corpus, a deterministic synthetic one is made in memory: 6,000 news-length
//! stories (~550 words) of which every tenth is republished three times (under an intro and
//! above a trailer; with a word changed every 60 words; its first half only). With a corpus,
//! the `text` field of its first MAX_DOCS records (default 10,000).
//!
//! Measured on one thread, best of 3 rounds:
//! - **prepare**: `align::Prepared::from_text` for every document of the pairs, once each;
//! - **align**: `align::align_prepared` for every pair, in us per pair;
//! - **before**: the implementation this one replaced (a sorted shingle index searched for
//!   every shingle of the first text, coverage counted word by word, each text tokenised and
//!   indexed once per block of 16,384 pairs), per pair, with its own preparation.
//!
//! Every pair's alignment is checked equal to the previous implementation's.
//! The scan's own passages stage (`Timings::passages`: reading again from memory, checking,
//! preparing and aligning) is shown too.

use std::time::Instant;
use syndup::align::{align_prepared, Alignment, Passage, Prepared};
use syndup::minhash::mix64;
use syndup::normalize::{Token, Tokenizer};
use syndup::shingle::combine;
use syndup::{Config, Detector, Document};

fn word(vocab: &[String], state: &mut u64) -> String {
    *state = mix64(*state);
    let r = (*state % 1_000_000) as f64 / 1_000_000.0;
    vocab[((r * r * r) * vocab.len() as f64) as usize % vocab.len()].clone()
}

fn story(vocab: &[String], seed: u64, words: usize) -> Vec<String> {
    let mut state = mix64(seed ^ 0x7061_7373);
    (0..words).map(|_| word(vocab, &mut state)).collect()
}

fn text(words: &[String]) -> String {
    let mut s = String::with_capacity(words.len() * 7);
    for (i, w) in words.iter().enumerate() {
        s.push_str(w);
        s.push_str(if i % 18 == 17 { ".\n" } else { " " });
    }
    s
}

fn synthetic() -> Vec<String> {
    let vocab: Vec<String> = (0..30_000u64)
        .map(|i| {
            let h = mix64(i + 1);
            (0..2 + (h % 9) as usize)
                .map(|j| (b'a' + ((h >> (j * 5)) % 26) as u8) as char)
                .collect()
        })
        .collect();
    let mut docs = Vec::new();
    for d in 0..6_000u64 {
        let s = story(&vocab, d, 550);
        docs.push(text(&s));
        if d % 10 == 0 {
            let mut framed = story(&vocab, d + 1_000_000, 40);
            framed.extend(s.iter().cloned());
            framed.extend(story(&vocab, d + 2_000_000, 30));
            docs.push(text(&framed));
            let mut state = d;
            let edited: Vec<String> = s
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    if i % 60 == 59 {
                        word(&vocab, &mut state)
                    } else {
                        w.clone()
                    }
                })
                .collect();
            docs.push(text(&edited));
            docs.push(text(&s[..275]));
        }
    }
    docs
}

fn load(path: &str, max: usize) -> Vec<String> {
    let data = std::fs::read_to_string(path).expect("read corpus");
    data.lines()
        .take(max)
        .filter_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            Some(v.get("text")?.as_str()?.to_string())
        })
        .collect()
}

/// The previous implementation, kept here as the baseline (and the oracle of `tests` in
/// `src/align`): tokens, shingles in order, a sorted index of (shingle, first position).
struct Before {
    tokens: Vec<Token>,
    shingles: Vec<u64>,
    index: Vec<(u64, u32)>,
}

fn before_prepare(tok: &mut Tokenizer, text: &str, k: usize) -> Before {
    let mut tokens = Vec::new();
    tok.tokens_into(text, &mut tokens);
    let h: Vec<u64> = tokens.iter().map(|t| t.hash).collect();
    let shingles = if h.is_empty() {
        Vec::new()
    } else if h.len() <= k {
        vec![combine(&h)]
    } else {
        h.windows(k).map(combine).collect()
    };
    let mut index: Vec<(u64, u32)> = shingles.iter().copied().zip(0..).collect();
    index.sort_unstable();
    index.dedup_by_key(|e| e.0);
    Before {
        tokens,
        shingles,
        index,
    }
}

fn before_align(pa: &Before, pb: &Before, k: usize) -> Alignment {
    let (ta, tb, ha, hb) = (&pa.tokens, &pb.tokens, &pa.shingles, &pb.shingles);
    let find = |h: u64| {
        pb.index
            .binary_search_by_key(&h, |e| e.0)
            .ok()
            .map(|i| pb.index[i].1 as usize)
    };
    let mut passages = Vec::new();
    let (mut cov_a, mut cov_b) = (vec![false; ta.len()], vec![false; tb.len()]);
    let mut i = 0;
    while i < ha.len() {
        let Some(j0) = find(ha[i]) else {
            i += 1;
            continue;
        };
        let (i0, mut j) = (i, j0);
        while i + 1 < ha.len() && j + 1 < hb.len() && ha[i + 1] == hb[j + 1] {
            i += 1;
            j += 1;
        }
        let (wa0, wa1) = (i0, (i + k).min(ta.len()));
        let (wb0, wb1) = (j0, (j + k).min(tb.len()));
        cov_a[wa0..wa1].iter_mut().for_each(|c| *c = true);
        cov_b[wb0..wb1].iter_mut().for_each(|c| *c = true);
        passages.push(Passage {
            a_start: ta[wa0].start,
            a_end: ta[wa1 - 1].end,
            b_start: tb[wb0].start,
            b_end: tb[wb1 - 1].end,
            words: wa1 - wa0,
        });
        i += 1;
    }
    let share = |c: &[bool]| {
        if c.is_empty() {
            0.0
        } else {
            syndup::verify::round4(c.iter().filter(|&&x| x).count() as f64 / c.len() as f64)
        }
    };
    Alignment {
        coverage_a: share(&cov_a),
        coverage_b: share(&cov_b),
        passages,
    }
}

/// Best of 3 rounds, in seconds.
fn best<T>(mut f: impl FnMut() -> T) -> (f64, T) {
    let mut out = None;
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    (best, out.expect("three rounds"))
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let texts = match args.first() {
        Some(path) => load(
            path,
            args.get(1).and_then(|n| n.parse().ok()).unwrap_or(10_000),
        ),
        None => synthetic(),
    };
    let k = Config::default().ngram;
    let docs: Vec<Document> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| Document {
            id: format!("d{i}"),
            text: t.clone(),
            ..Document::default()
        })
        .collect();
    let scan = |passages: bool| {
        let config = Config {
            passages,
            ..Config::default()
        };
        let t = Instant::now();
        let out = Detector::new(config)
            .expect("default config")
            .scan_documents(docs.clone())
            .expect("scan");
        (t.elapsed().as_secs_f64(), out)
    };
    let (_, plain) = scan(false);
    let pairs: Vec<(usize, usize)> = plain
        .report
        .pairs
        .iter()
        .map(|p| {
            let at = |id: &str| id[1..].parse::<usize>().expect("bench id");
            (at(&p.a), at(&p.b))
        })
        .collect();
    let mut involved: Vec<usize> = pairs.iter().flat_map(|&(a, b)| [a, b]).collect();
    involved.sort_unstable();
    involved.dedup();
    let bytes: usize = involved.iter().map(|&d| texts[d].len()).sum();
    println!(
        "{} documents, {} pairs reported by a default scan, {} documents in pairs ({:.1} MB of text), k = {k}",
        texts.len(),
        pairs.len(),
        involved.len(),
        bytes as f64 / 1e6
    );
    if pairs.is_empty() {
        return;
    }
    let slot = |d: usize| involved.binary_search(&d).expect("involved");

    let mut tok = Tokenizer::new();
    let (t_prep, prepared) = best(|| {
        involved
            .iter()
            .map(|&d| Prepared::from_text(&mut tok, &texts[d], k))
            .collect::<Vec<_>>()
    });
    let (t_align, after) = best(|| {
        pairs
            .iter()
            .map(|&(a, b)| align_prepared(&prepared[slot(a)], &prepared[slot(b)]))
            .collect::<Vec<_>>()
    });
    let (t_bprep, old) = best(|| {
        involved
            .iter()
            .map(|&d| before_prepare(&mut tok, &texts[d], k))
            .collect::<Vec<_>>()
    });
    let (t_balign, before) = best(|| {
        pairs
            .iter()
            .map(|&(a, b)| before_align(&old[slot(a)], &old[slot(b)], k))
            .collect::<Vec<_>>()
    });
    assert_eq!(
        after, before,
        "the prepared path must equal the previous one"
    );
    let heap: usize = prepared.iter().map(Prepared::heap_bytes).sum();
    let (n, p) = (involved.len() as f64, pairs.len() as f64);
    println!("one thread, best of 3         per document   per pair   total s");
    println!(
        "prepare (tokens, shingles, table) {:8.1} us {:8.2} us {:9.3}   ({:.0} MB/s; {:.1} bytes held per text byte)",
        t_prep / n * 1e6,
        t_prep / p * 1e6,
        t_prep,
        bytes as f64 / t_prep / 1e6,
        heap as f64 / bytes as f64
    );
    println!(
        "align (table probes, intervals)            {:8.2} us {:9.3}",
        t_align / p * 1e6,
        t_align
    );
    println!(
        "before: prepare (sorted index)    {:8.1} us {:8.2} us {:9.3}",
        t_bprep / n * 1e6,
        t_bprep / p * 1e6,
        t_bprep
    );
    println!(
        "before: align (binary searches)            {:8.2} us {:9.3}   ({:.1}x the new align)",
        t_balign / p * 1e6,
        t_balign,
        t_balign / t_align
    );
    let (wall, with) = scan(true);
    println!(
        "scan with passages: {:.2} s, of which the passages stage {:.3} s ({:.1} us per pair, on the global rayon pool)",
        wall,
        with.timings.passages.as_secs_f64(),
        with.timings.passages.as_secs_f64() / p * 1e6
    );
}
