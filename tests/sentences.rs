//! Sentence repeats and boilerplate: spans, kinds, what is not a repeat, inputs read again,
//! planted truth, and the acceptance checks on ../shared (each skips loudly without it).

use crate::util::*;
use syndup::report::RepeatReport;
use syndup::{Config, Detector, Document, Report, SentenceMode};

#[path = "../benches/msrp_eval.rs"]
mod msrp_eval;

fn doc(id: &str, text: &str) -> Document {
    Document {
        id: id.into(),
        text: text.into(),
        ..Document::default()
    }
}

fn scan_with(docs: Vec<Document>, config: Config) -> Report {
    Detector::new(config)
        .unwrap()
        .scan_documents(docs)
        .unwrap()
        .report
}

/// The default configuration with the sentence stage on (`--sentences`).
fn standard() -> Config {
    let mut c = Config::default();
    c.sentences.mode = SentenceMode::Standard;
    c
}

/// ... and with repeats across documents (`--sentences=full`).
fn full() -> Config {
    let mut c = Config::default();
    c.sentences.mode = SentenceMode::Full;
    c
}

fn scan(docs: Vec<Document>) -> Report {
    scan_with(docs, standard())
}

fn of_kind<'a>(r: &'a Report, kind: &str) -> Vec<&'a RepeatReport> {
    r.repeats.iter().filter(|x| x.kind == kind).collect()
}

/// Every occurrence's text is exactly the document's text at its byte offsets.
fn assert_spans_exact(r: &Report, docs: &[Document]) {
    for x in &r.repeats {
        for o in &x.occurrences {
            let d = docs.iter().find(|d| d.id == o.doc).expect("known doc");
            assert_eq!(
                &d.text[o.start as usize..o.end as usize],
                o.text,
                "{} {}..{}",
                o.doc,
                o.start,
                o.end
            );
        }
    }
}

const HARBOUR: &str = "The harbour board met on Tuesday to discuss the winter dredging plan. \
    Members agreed that the north channel must be cleared before the first storms arrive in \
    November. The board will publish the full tender documents next week, a spokesman said.";
const MARKET: &str = "Stallholders at the covered market say trade has picked up since the roof \
    was repaired. Several of them plan to stay open later on Fridays through the summer. \
    The board will publish the full tender documents next week, a spokesman said.";

#[test]
fn the_same_sentence_in_two_documents_is_cross_document() {
    let docs = vec![doc("harbour", HARBOUR), doc("market", MARKET)];
    // Repeats across documents are looked for with `--sentences=full` only.
    assert!(scan(docs.clone()).repeats.is_empty());
    let r = scan_with(docs.clone(), full());
    assert!(r.clusters.is_empty());
    assert_eq!(r.repeats.len(), 1, "{:#?}", r.repeats);
    let x = &r.repeats[0];
    assert_eq!(x.kind, "cross_document");
    assert_eq!((x.documents, x.count, x.similarity), (2, 2, 1.0));
    let shared = "The board will publish the full tender documents next week, a spokesman said.";
    assert_eq!(x.occurrences[0].doc, "harbour");
    assert_eq!(x.occurrences[0].text, shared);
    assert_eq!(
        x.occurrences[0].start as usize,
        HARBOUR.find(shared).unwrap()
    );
    assert_eq!(x.occurrences[1].doc, "market");
    assert_eq!(
        x.occurrences[1].start as usize,
        MARKET.find(shared).unwrap()
    );
    assert_spans_exact(&r, &docs);
}

#[test]
fn a_near_repeat_within_a_document_has_exact_spans() {
    // Multi-byte characters before the sentences, so byte and char offsets differ.
    let text = "Café owners on Quay Street — all twelve of them — met the mayor.\n\n\
        The ferry company will add two extra sailings to the island every weekend until the end of August.\n\n\
        Tickets go on sale on Monday.\n\n\
        The ferry company is adding three extra sailings to the island every weekend until the end of August.";
    let docs = vec![doc("ferry", text)];
    let r = scan(docs.clone());
    assert_eq!(r.repeats.len(), 1, "{:#?}", r.repeats);
    let x = &r.repeats[0];
    assert_eq!(x.kind, "within_document");
    let first = "The ferry company will add two extra sailings to the island every weekend until the end of August.";
    let second = "The ferry company is adding three extra sailings to the island every weekend until the end of August.";
    assert_eq!(x.occurrences[0].start as usize, text.find(first).unwrap());
    assert_eq!(
        x.occurrences[0].end as usize,
        text.find(first).unwrap() + first.len()
    );
    assert_eq!(x.occurrences[1].start as usize, text.find(second).unwrap());
    assert_eq!(x.occurrences[1].text, second);
    assert!(x.similarity >= 0.5 && x.similarity < 1.0);
    assert_spans_exact(&r, &docs);
}

#[test]
fn a_paraphrase_that_changes_meaning_words_is_not_a_repeat() {
    let text =
        "The city council approved the new cycle lanes on Mill Street after a long debate.\n\n\
        Shops on the street will stay open during the works.\n\n\
        After hours of argument, councillors rejected plans to paint bike lanes along Mill Street.";
    let r = scan(vec![doc("council", text)]);
    assert!(r.repeats.is_empty(), "{:#?}", r.repeats);
    // Nor across documents.
    let c = full();
    let docs = vec![
        doc(
            "a",
            "The city council approved the new cycle lanes on Mill Street after a long debate. \
             Traders had asked for more parking.",
        ),
        doc(
            "b",
            "After hours of argument, councillors rejected plans to paint bike lanes along Mill \
             Street. The vote was close.",
        ),
    ];
    assert!(scan_with(docs, c).repeats.is_empty());
}

#[test]
fn changed_numbers_are_a_repeat_unless_numbers_must_match() {
    let text =
        "Output at the Harrow mill rose 3.1 percent in the third quarter, the firm said.\n\n\
        Exports were flat.\n\n\
        Output at the Harrow mill rose 4.2 percent in the third quarter, the firm said.";
    let r = scan(vec![doc("mill", text)]);
    assert_eq!(of_kind(&r, "within_document").len(), 1);
    let mut c = standard();
    c.sentences.numbers_must_match = true;
    let r = scan_with(vec![doc("mill", text)], c);
    assert!(r.repeats.is_empty());
    assert_eq!(r.stats.changed_numbers, 1);
}

#[test]
fn near_repeats_across_documents_need_full_mode() {
    let a = "Flood wardens will patrol the river path every night this week, the council said. \
             The path stays open to walkers.";
    let b =
        "Rain is forecast until Sunday. Flood wardens are to patrol the river path every night \
             this week, the council said.";
    let docs = vec![doc("a", a), doc("b", b)];
    assert!(scan(docs.clone()).repeats.is_empty());
    let r = scan_with(docs.clone(), full());
    assert_eq!(r.repeats.len(), 1, "{:#?}", r.repeats);
    assert_eq!(r.repeats[0].kind, "cross_document");
    assert!(r.repeats[0].similarity < 1.0);
    assert_spans_exact(&r, &docs);
}

/// Pages of 12 unrelated stories (ids p0..p11), each with its own text, some ending with the
/// same three-line footer.
fn pages(with_footer: usize) -> Vec<Document> {
    let mut rng = Rng(42);
    let words: Vec<String> = (0..3000).map(|i| format!("w{i}")).collect();
    (0..12)
        .map(|p| {
            let mut body = String::new();
            for s in 0..12 {
                let n = 10 + rng.below(10) as usize;
                let sentence: Vec<&str> = (0..n)
                    .map(|_| words[rng.below(words.len() as u64) as usize].as_str())
                    .collect();
                body.push_str(&format!("Story{p} sentence{s} {}. ", sentence.join(" ")));
            }
            if p < with_footer {
                body.push_str(
                    "\n\nRelated News:\nMore stories from the valley\n\
                     This site uses cookies to remember your settings and count page visits.\n\
                     Change your choices at any time from the foot of the page.",
                );
            }
            doc(&format!("p{p}"), &body)
        })
        .collect()
}

#[test]
fn shared_footers_are_boilerplate_with_their_document_frequency() {
    let docs = pages(8);
    let r = scan(docs.clone());
    let b = of_kind(&r, "boilerplate");
    let texts: Vec<&str> = b.iter().map(|x| x.occurrences[0].text.as_str()).collect();
    assert_eq!(
        texts,
        vec![
            "Related News:",
            "More stories from the valley",
            "This site uses cookies to remember your settings and count page visits.",
            "Change your choices at any time from the foot of the page."
        ]
    );
    for x in &b {
        assert_eq!((x.documents, x.count, x.similarity), (8, 8, 1.0));
        assert_eq!(x.occurrences.len(), 8);
    }
    assert!(r.stats.boilerplate_shingles > 0);
    assert_spans_exact(&r, &docs);
    // Boilerplate is reported as such, not as a cross-document repeat.
    assert!(of_kind(&scan_with(docs.clone(), full()), "cross_document").is_empty());
    // The cut-off is a flag: in 9 documents or more, the footer is a cross-document repeat.
    let mut c = full();
    c.sentences.boilerplate_min_docs = 9;
    let r = scan_with(docs.clone(), c);
    assert!(of_kind(&r, "boilerplate").is_empty());
    assert!(!of_kind(&r, "cross_document").is_empty());
    // ... or a share of the documents.
    let mut c = standard();
    c.sentences.boilerplate_min_share = 0.75;
    assert!(of_kind(&scan_with(docs, c), "boilerplate").is_empty());
}

#[test]
fn a_shared_footer_neither_makes_pages_alike_nor_hides_a_copy() {
    // Twelve unrelated pages with a long shared footer: about a fifth of their shingles.
    let footer = "\n\nThe Valley Gazette is published every Thursday by Valley Press, 14 Mill Street, Ferrow.\n\
        Letters to the editor are welcome and may be shortened for reasons of space.\n\
        All rights reserved; no part of this page may be copied without written permission.\n\
        To advertise with us, call the front desk between nine and five on weekdays.";
    let mut docs = pages(0);
    for d in &mut docs {
        d.text.push_str(footer);
    }
    // Jaccard only: with containment on, the copy (the page plus a footer) contains the
    // original whatever the footer does, which is not what this test is about.
    let jaccard_only = syndup::ContainmentConfig {
        threshold: None,
        ..Default::default()
    };
    let keep = |threshold| {
        let mut c = Config {
            threshold,
            containment: jaccard_only,
            ..standard()
        };
        c.sentences.keep_boilerplate = true;
        c
    };
    let left_out = |threshold| Config {
        threshold,
        containment: jaccard_only,
        ..standard()
    };
    // With the footer in the shingles, unrelated pages look alike at a low threshold.
    assert!(!scan_with(docs.clone(), keep(0.1)).pairs.is_empty());
    let r = scan_with(docs.clone(), left_out(0.1));
    assert!(r.pairs.is_empty(), "{:?}", r.pairs);
    assert_eq!(of_kind(&r, "boilerplate").len(), 4);

    // A copy of a page that gained the footer: found only when the footer is left out.
    let original = pages(0)[0].text.clone();
    docs.push(doc("original", &original));
    docs.push(doc("copy", &format!("{original}{footer}")));
    let j = |r: &Report| {
        r.pairs
            .iter()
            .find(|p| p.a == "original" && p.b == "copy")
            .map(|p| p.jaccard)
    };
    assert_eq!(j(&scan_with(docs.clone(), keep(0.8))), None);
    assert_eq!(j(&scan_with(docs, left_out(0.8))), Some(1.0));
}

#[test]
fn a_story_syndicated_many_times_is_not_boilerplate() {
    // The same story on 8 sites, each with its own short intro, plus 8 unrelated pages.
    let story =
        "The river authority said the new weir at Dunmere would be finished by the spring. \
        Engineers have already moved the fish ladder to the east bank. \
        Walkers will be able to cross the weir on a footbridge from next year, the authority said.";
    let mut docs = pages(0);
    for i in 0..8 {
        docs.push(doc(
            &format!("site-{i}"),
            &format!("Local edition {i}.\n\n{story}"),
        ));
    }
    let r = scan_with(docs, full());
    assert!(of_kind(&r, "boilerplate").is_empty(), "{:#?}", r.repeats);
    assert!(r.clusters.iter().any(|c| c.members.len() == 8));
    // The copies are one cluster: their shared sentences are explained by it.
    assert!(of_kind(&r, "cross_document").is_empty());
}

#[test]
fn texts_are_read_again_from_plain_compressed_and_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let lines: String = [("harbour", HARBOUR), ("market", MARKET)]
        .iter()
        .map(|(id, t)| serde_json::json!({"id": id, "text": t}).to_string() + "\n")
        .collect();
    let plain = write(dir.path(), "c.jsonl", lines.as_bytes());
    let zst = write(
        dir.path(),
        "c.jsonl.zst",
        &zstd::encode_all(lines.as_bytes(), 3).unwrap(),
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, lines.as_bytes()).unwrap();
    let gz = write(dir.path(), "c.jsonl.gz", &gz.finish().unwrap());
    let want = scan_with(vec![doc("harbour", HARBOUR), doc("market", MARKET)], full()).repeats;
    assert_eq!(want.len(), 1);
    for p in [&plain, &zst, &gz] {
        let o = run(&[
            "scan",
            p.to_str().unwrap(),
            "-q",
            "--format",
            "json",
            "--sentences=full",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let r: Report = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(r.repeats, want, "{}", p.display());
    }
    let o = run_stdin(
        &["scan", "-", "-q", "--format", "json", "--sentences=full"],
        lines.as_bytes(),
    );
    let r: Report = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r.repeats, want);
}

#[test]
fn sentences_off_gives_the_document_results_of_before() {
    // Within-document repeats are the default; they change no document result either.
    assert_eq!(Config::default().sentences.mode, SentenceMode::Within);
    let mut off = Config::default();
    off.sentences.mode = SentenceMode::Off;
    let mut keep = standard();
    keep.sentences.keep_boilerplate = true;
    let docs: Vec<Document> = corpus(3, 200, 80)
        .into_iter()
        .map(|(id, t)| doc(&id, &t))
        .collect();
    let a = scan_with(docs.clone(), off);
    let b = scan_with(docs, keep);
    assert!(a.repeats.is_empty() && a.stats.sentences == 0);
    assert_eq!(a.pairs, b.pairs);
    assert_eq!(a.clusters, b.clusters);
}

#[test]
fn full_mode_is_identical_at_any_thread_count() {
    let mut outs = Vec::new();
    for threads in ["1", "3"] {
        let o = run(&[
            "scan",
            "samples",
            "-q",
            "--format",
            "jsonl",
            "--sentences=full",
            "--threads",
            threads,
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        outs.push(o.stdout);
    }
    assert!(outs[0] == outs[1]);
}

#[test]
fn the_samples_show_the_planted_page_repeat_and_the_partial_copies() {
    let o = run(&[
        "scan",
        "samples/news.jsonl",
        "-q",
        "--format",
        "json",
        "--sentences=full",
    ]);
    let r: Report = serde_json::from_slice(&o.stdout).unwrap();
    let within = of_kind(&r, "within_document");
    assert_eq!(within.len(), 1, "{within:#?}");
    let x = within[0];
    assert_eq!(x.occurrences[0].doc, "local-strike-buses");
    // The byte spans documented in samples/README.markdown.
    assert_eq!((x.occurrences[0].start, x.occurrences[0].end), (187, 331));
    assert_eq!((x.occurrences[1].start, x.occurrences[1].end), (1833, 1978));
    assert_eq!(x.similarity, 0.8261);
    // The trimmed and the introduced copies are partial copies in the story's cluster, so
    // their sentences are not repeats across documents...
    let harbor = &r.clusters[0];
    for id in ["wire-harbor-3", "wire-harbor-4"] {
        let m = harbor.details.iter().find(|m| m.doc == id).unwrap();
        assert_eq!(m.role, "partial_copy");
    }
    let cross = of_kind(&r, "cross_document");
    assert!(cross
        .iter()
        .all(|x| x.occurrences.iter().all(|o| !o.doc.starts_with("feature-"))));
    assert!(cross
        .iter()
        .all(|x| x.occurrences.iter().all(|o| o.doc != "wire-harbor-3")));
    // ... but with Jaccard only they are outside it, and their sentences are reported as
    // repeated across documents.
    let o = run(&[
        "scan",
        "samples/news.jsonl",
        "-q",
        "--format",
        "json",
        "--sentences=full",
        "--containment",
        "off",
    ]);
    let r: Report = serde_json::from_slice(&o.stdout).unwrap();
    assert!(of_kind(&r, "cross_document")
        .iter()
        .any(|x| x.occurrences.iter().any(|o| o.doc == "wire-harbor-3")));
}

#[test]
fn planted_page_repeats_are_found() {
    use syndup::harness::{generate, GenerateOptions, Model};
    let (texts, _) = syndup::input::read_texts(
        &[syndup::Source::parse(
            root().join("samples").to_str().unwrap(),
        )],
        &syndup::Fields::default(),
        1 << 20,
    )
    .unwrap();
    let model = Model::from_texts(texts.iter().map(String::as_str)).unwrap();
    let corpus = generate(
        &model,
        &GenerateOptions {
            documents: 600,
            repeat_share: 0.3,
            ..GenerateOptions::default()
        },
    );
    let docs: Vec<Document> = corpus.docs.iter().map(|d| doc(&d.id, &d.text)).collect();
    let mut c = standard();
    c.sentences.max_occurrences = usize::MAX;
    let r = scan_with(docs.clone(), c);
    assert_spans_exact(&r, &docs);
    let found = corpus
        .repeats
        .iter()
        .filter(|p| {
            r.repeats.iter().any(|x| {
                let at = |s: (usize, usize)| {
                    x.occurrences
                        .iter()
                        .any(|o| o.doc == p.doc && o.start as usize == s.0)
                };
                at(p.first) && at(p.second)
            })
        })
        .count();
    let recall = found as f64 / corpus.repeats.len() as f64;
    eprintln!(
        "planted page repeats: {found} of {} found ({recall:.3}); {} boilerplate lines",
        corpus.repeats.len(),
        of_kind(&r, "boilerplate").len()
    );
    assert!(corpus.repeats.len() >= 50);
    assert!(recall >= 0.9, "recall {recall}");
    // Publisher footers recur on many unrelated pages.
    assert!(!of_kind(&r, "boilerplate").is_empty());
}

#[test]
fn seeds_the_coalition_pair_is_the_one_repeat() {
    let Some(seeds) = shared("seeds") else { return };
    // With everything on: no cross-document repeat or boilerplate either.
    let o = run(&[
        "scan",
        seeds.to_str().unwrap(),
        "-q",
        "--format",
        "json",
        "--sentences=full",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: Report = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r.repeats.len(), 1, "{:#?}", r.repeats);
    let x = &r.repeats[0];
    assert_eq!(x.kind, "within_document");
    assert_eq!(x.count, 2);
    let page = std::fs::read_to_string(std::path::Path::new(&x.occurrences[0].doc))
        .or_else(|_| std::fs::read_to_string(root().join(&x.occurrences[0].doc)))
        .unwrap();
    let texts: Vec<&str> = x.occurrences.iter().map(|o| o.text.as_str()).collect();
    assert!(
        texts[0].starts_with("The US-led worldwide coalition")
            && texts[0].ends_with("state TV said.")
    );
    assert!(
        texts[1].starts_with("A US-led global coalition") && texts[1].ends_with("state TV said.")
    );
    for o in &x.occurrences {
        assert_eq!(&page[o.start as usize..o.end as usize], o.text);
    }
}

#[test]
fn reuters_boilerplate_is_found_and_left_out() {
    let Some(path) = shared("data/reuters-21578.jsonl") else {
        return;
    };
    let p = path.to_str().unwrap();
    let o = run(&["scan", p, "-q", "--format", "json", "--sentences"]);
    let r: Report = serde_json::from_slice(&o.stdout).unwrap();
    let b = of_kind(&r, "boilerplate");
    let reuter = b
        .iter()
        .find(|x| x.occurrences[0].text == "Reuter")
        .expect("the Reuter sign-off");
    eprintln!(
        "reuters: {} boilerplate lines, \"Reuter\" in {} documents, {} shingles left out",
        b.len(),
        reuter.documents,
        r.stats.boilerplate_shingles
    );
    assert!(reuter.documents >= 18_000);
    assert!(b.len() >= 50);
    // Leaving boilerplate out changes few document pairs.
    let o = run(&[
        "scan",
        p,
        "-q",
        "--format",
        "json",
        "--sentences",
        "--keep-boilerplate",
    ]);
    let k: Report = serde_json::from_slice(&o.stdout).unwrap();
    let set = |r: &Report| {
        r.pairs
            .iter()
            .map(|p| (p.a.clone(), p.b.clone()))
            .collect::<std::collections::BTreeSet<_>>()
    };
    let (a, bk) = (set(&r), set(&k));
    let changed = a.symmetric_difference(&bk).count();
    eprintln!(
        "reuters: {} pairs, {} with boilerplate kept, {changed} differ",
        a.len(),
        bk.len()
    );
    assert!(changed * 10 <= bk.len());
}

#[test]
fn msrp_near_copies_are_found_with_precision() {
    let Some(path) = shared("data/msrp-train/msr_paraphrase_train.txt") else {
        return;
    };
    let pairs = msrp_eval::load(&path);
    let layout = msrp_eval::layout(&pairs);
    let r = msrp_eval::scan(&layout, msrp_eval::config(false));
    let s = msrp_eval::score(&pairs, &layout, &r);
    eprint!("{}", msrp_eval::table(&s));
    eprintln!(
        "msrp: recall on near-copies {:.3}, precision {:.3} (plain word-Jaccard rule {:.3})",
        s.recall_near_copies(),
        s.precision(),
        msrp_eval::plain_rule_precision(&pairs)
    );
    assert!(s.recall_near_copies() >= 0.9);
    assert!(s.precision() >= 0.82);
    // Pairs in one document and across documents are found alike.
    let rate = |b: &msrp_eval::Bucket| b.found_positives as f64 / b.positives as f64;
    assert!((rate(&s.within) - rate(&s.across)).abs() < 0.05);
}

#[test]
fn sentences_work_with_estimates_and_character_shingles() {
    for extra in [
        &["--sentences=full", "--verify", "estimate"][..],
        &["--sentences", "--shingle", "char", "-k", "7"][..],
        &["--sentences=full", "--shingle", "char", "-k", "7"][..],
    ] {
        let o = run(&[
            &["scan", "samples/news.jsonl", "-q", "--format", "json"][..],
            extra,
        ]
        .concat());
        assert_eq!(o.status.code(), Some(0), "{extra:?}: {}", stderr(&o));
        let r: Report = serde_json::from_slice(&o.stdout).unwrap();
        let within = of_kind(&r, "within_document");
        assert_eq!(within.len(), 1, "{extra:?}");
        assert_eq!(within[0].occurrences[0].doc, "local-strike-buses");
        assert!(r
            .clusters
            .iter()
            .any(|c| c.members.contains(&"wire-strike-1".to_string())));
    }
}
