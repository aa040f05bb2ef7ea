//! Sentence repeats: the acceptance figures of the repeated-sentences issue.
//!
//! `cargo bench --bench sentences` (needs `../shared`; each part is skipped loudly without it)
//!
//! 1. **MSR paraphrase corpus** (training file): the 4,076 labelled pairs are put into
//!    documents, half within one document and half across documents (see `msrp_eval.rs`),
//!    scanned with `--sentences=full`, and scored: recall and precision of the pairs found by
//!    word-Jaccard bucket, recall on paraphrases with word Jaccard >= 0.5 (near-copies), and
//!    precision over all labelled pairs found, with and without the changed-numbers check,
//!    next to the plain "word Jaccard >= 0.5" rule.
//! 2. **Reuters-21578**: the boilerplate found (document frequency and text), and the time and
//!    peak memory (VmHWM, reset before each run through `/proc/self/clear_refs`) of a scan
//!    with the sentence stage off, `standard` and `full`.

use std::path::PathBuf;
use std::time::Instant;
use syndup::{Config, Detector, Document, SentenceMode};

#[path = "msrp_eval.rs"]
mod msrp_eval;

fn shared(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("shared")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIPPED: {} is absent", p.display());
        None
    }
}

/// Peak resident memory since the last reset, in MB.
fn vm_hwm_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Resets VmHWM to the current resident size (Linux 4.0+); false when not possible.
fn reset_hwm() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn msrp() {
    let Some(path) = shared("data/msrp-train/msr_paraphrase_train.txt") else {
        return;
    };
    let pairs = msrp_eval::load(&path);
    let layout = msrp_eval::layout(&pairs);
    println!(
        "== MSRP train: {} pairs ({} paraphrases) in {} documents",
        pairs.len(),
        pairs.iter().filter(|p| p.paraphrase).count(),
        layout.docs.len()
    );
    println!(
        "plain rule \"word Jaccard >= 0.5\": precision {:.3} on labelled pairs, recall 1.000 on near-copies (by definition)",
        msrp_eval::plain_rule_precision(&pairs)
    );
    for (name, numbers) in [
        ("syndup --sentences=full", false),
        ("syndup --sentences=full --numbers-must-match", true),
    ] {
        let t = Instant::now();
        let r = msrp_eval::scan(&layout, msrp_eval::config(numbers));
        let s = msrp_eval::score(&pairs, &layout, &r);
        println!(
            "\n-- {name}: {:.2} s, {} repeats, {} LSH candidates, {} pairs kept apart for changed numbers",
            t.elapsed().as_secs_f64(),
            r.stats.repeats,
            r.stats.sentence_candidates,
            r.stats.changed_numbers
        );
        print!("{}", msrp_eval::table(&s));
        println!(
            "near-copies (paraphrases with word Jaccard >= 0.5): recall {:.3}; precision on labelled pairs found: {:.3} ({} found)",
            s.recall_near_copies(),
            s.precision(),
            s.found()
        );
    }
}

fn reuters() {
    let Some(path) = shared("data/reuters-21578.jsonl") else {
        return;
    };
    let docs: Vec<Document> = std::fs::read_to_string(path)
        .expect("read reuters")
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            Document {
                id: v["id"].as_str().unwrap_or_default().to_string(),
                text: v["text"].as_str().unwrap_or_default().to_string(),
                ..Document::default()
            }
        })
        .collect();
    let mb: f64 = docs.iter().map(|d| d.text.len()).sum::<usize>() as f64 / 1e6;
    println!(
        "\n== Reuters-21578: {} stories, {mb:.1} MB of text, {} threads",
        docs.len(),
        rayon::current_num_threads()
    );
    let can_reset = reset_hwm();
    let base = vm_hwm_mb().unwrap_or(0.0);
    println!(
        "resident before scanning (corpus loaded): {base:.0} MB{}",
        if can_reset {
            ""
        } else {
            " (VmHWM cannot be reset here: peaks below are for the whole process)"
        }
    );
    let mut last = None;
    for mode in [
        SentenceMode::Off,
        SentenceMode::Standard,
        SentenceMode::Full,
    ] {
        let mut c = Config::default();
        c.sentences.mode = mode;
        reset_hwm();
        let t = Instant::now();
        let o = Detector::new(c)
            .unwrap()
            .scan_documents(docs.clone())
            .unwrap();
        let secs = t.elapsed().as_secs_f64();
        let peak = vm_hwm_mb().unwrap_or(0.0);
        let s = &o.report.stats;
        println!(
            "--sentences {:<8} {secs:6.2} s total ({:.2} s in the repeats stage), peak {peak:5.0} MB ({:+.0} MB over the loaded corpus): {} sentences, {} repeats, {} boilerplate, {} pairs",
            format!("{mode:?}").to_lowercase(),
            o.timings.repeats.as_secs_f64(),
            peak - base,
            s.sentences,
            s.repeats,
            s.boilerplate,
            s.matches,
        );
        if mode == SentenceMode::Standard {
            last = Some(o.report);
        }
    }
    if let Some(r) = last {
        let mut b: Vec<_> = r
            .repeats
            .iter()
            .filter(|x| x.kind == "boilerplate")
            .collect();
        b.sort_by_key(|x| std::cmp::Reverse(x.documents));
        println!(
            "boilerplate: {} lines in at least {} documents; the 20 most frequent:",
            b.len(),
            r.parameters.sentences.boilerplate_cutoff
        );
        for x in b.iter().take(20) {
            let text: String = x.occurrences[0]
                .text
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            println!("  {:>6} documents  {:?}", x.documents, text);
        }
        println!(
            "document shingles left out because they touch boilerplate: {}",
            r.stats.boilerplate_shingles
        );
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` (and `cargo test --benches`) runs nothing
    }
    msrp();
    reuters();
}
