//! Within-document sentence near-repeats at the default settings (`SentenceMode::Within`):
//! a page that says a sentence twice is reported with both byte spans, and nothing else is;
//! `--no-sentences` turns it off; tables and lists are never repeats; the results are the
//! within-document repeats of `--sentences` and the same at any thread count.

use crate::util::*;
use syndup::report::RepeatReport;
use syndup::{Report, SentenceMode};

/// A page that repeats one long sentence later with two words changed ("resume" ->
/// "restart", "eastern" -> "outer"), among sentences that repeat nothing.
const FERRY: &str = "Ferry crossings return after the storm\n\n\
The Millbrook ferry service will resume crossings to the eastern islands next Tuesday after a week of storm repairs, the harbour office said. \
Engineers replaced two damaged loading ramps and checked the hull of the older vessel for cracks. \
Passengers who bought season tickets will get eight free days added to their passes.\n\n\
Island shopkeepers welcomed the news, saying deliveries of bread and fuel had run short since the gale. \
A spokeswoman for the operator thanked residents for their patience during the closure.\n\n\
The Millbrook ferry service will restart crossings to the outer islands next Tuesday after a week of storm repairs, the harbour office said. \
Timetables are posted at both piers and on the council noticeboard.\n";

/// A second page that shares nothing with the first.
const LIBRARY: &str = "Library extends its opening hours\n\n\
The town library on Quarry Lane will stay open until nine in the evening from the first of March. \
Volunteers from the reading club offered to staff the desk on Thursday nights. \
The children's corner gets new shelves and a carpet paid for by a bake sale.\n";

const FIRST: &str = "The Millbrook ferry service will resume crossings to the eastern islands next Tuesday after a week of storm repairs, the harbour office said.";
const SECOND: &str = "The Millbrook ferry service will restart crossings to the outer islands next Tuesday after a week of storm repairs, the harbour office said.";

fn pages() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ferry.txt"), FERRY).unwrap();
    std::fs::write(dir.path().join("library.txt"), LIBRARY).unwrap();
    dir
}

fn scan_json(args: &[&str]) -> Report {
    let o = run(&[&["scan"], args, &["-q", "--format", "json"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn the_default_scan_reports_the_repeated_sentence_with_both_spans_and_nothing_else() {
    let dir = pages();
    let r = scan_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(r.parameters.sentences.mode, SentenceMode::Within);
    assert!(r.clusters.is_empty() && r.pairs.is_empty());
    assert_eq!(r.repeats.len(), 1, "{:#?}", r.repeats);
    let x = &r.repeats[0];
    assert_eq!(x.kind, syndup::report::RepeatKind::WithinDocument);
    assert_eq!((x.documents, x.count), (1, 2));
    // 19 shared words of 23 ("the" twice in each).
    assert_eq!(x.similarity, 0.8261);
    let first = FERRY.find(FIRST).unwrap();
    let second = FERRY.find(SECOND).unwrap();
    let spans: Vec<(u64, u64, &str)> = x
        .occurrences
        .iter()
        .map(|o| (o.start, o.end, o.text.as_str()))
        .collect();
    assert_eq!(
        spans,
        [
            (first as u64, (first + FIRST.len()) as u64, FIRST),
            (second as u64, (second + SECOND.len()) as u64, SECOND),
        ]
    );
    assert!(x.occurrences.iter().all(|o| o.doc.ends_with("ferry.txt")));
    assert_eq!(r.stats.repeats, 1);
    assert_eq!(r.stats.boilerplate, 0);

    // The text report quotes both, with their offsets.
    let o = run(&["scan", dir.path().to_str().unwrap()]);
    let text = stdout(&o);
    assert!(text.contains("1 near-repeat within a document"), "{text}");
    assert!(
        text.contains(&format!("{first}..{}", first + FIRST.len())),
        "{text}"
    );
    assert!(
        text.contains(&format!("{second}..{}", second + SECOND.len())),
        "{text}"
    );
}

#[test]
fn no_sentences_turns_them_off() {
    let dir = pages();
    let path = dir.path().to_str().unwrap();
    for flag in ["--no-sentences", "--sentences=off"] {
        let r = scan_json(&[path, flag]);
        assert_eq!(r.parameters.sentences.mode, SentenceMode::Off, "{flag}");
        assert!(r.repeats.is_empty() && r.stats.sentences == 0, "{flag}");
    }
    let o = run(&["scan", path, "--no-sentences", "--sentences=full"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

/// What `--sentences` finds within documents is what the default finds, on the samples.
#[test]
fn the_default_finds_the_within_document_repeats_of_the_sentence_stage() {
    let within = |r: &Report| -> Vec<RepeatReport> {
        r.repeats
            .iter()
            .filter(|x| x.kind == syndup::report::RepeatKind::WithinDocument)
            .cloned()
            .collect()
    };
    let dir = pages();
    for path in ["samples", dir.path().to_str().unwrap()] {
        let default = scan_json(&[path]);
        let standard = scan_json(&[path, "--sentences", "--keep-boilerplate"]);
        assert!(!default.repeats.is_empty(), "{path}");
        assert_eq!(default.repeats, within(&standard), "{path}");
        assert_eq!(default.stats.sentences, standard.stats.sentences, "{path}");
        // Nothing else of the default pipeline changes.
        let off = scan_json(&[path, "--no-sentences"]);
        assert_eq!(default.clusters, off.clusters, "{path}");
        assert_eq!(default.pairs, off.pairs, "{path}");
    }
}

/// `samples/README.markdown` is tables and lists that repeat their own pattern row after row:
/// none of them is a sentence said twice. Written as prose (the `|` gone), the same rows are.
#[test]
fn readme_tables_are_not_repeats() {
    let readme = std::fs::read_to_string(root().join("samples/README.markdown")).unwrap();
    let rows = readme.lines().filter(|l| l.starts_with('|')).count();
    assert!(rows >= 20, "{rows} table rows");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("readme.md"), &readme).unwrap();
    let r = scan_json(&[dir.path().to_str().unwrap()]);
    assert!(r.stats.sentences > 100);
    assert!(r.repeats.is_empty(), "{:#?}", r.repeats);
    // The control: without the cells' bars the rows are prose lines, and near-repeats.
    std::fs::write(dir.path().join("readme.md"), readme.replace('|', " ")).unwrap();
    let r = scan_json(&[dir.path().to_str().unwrap()]);
    assert!(!r.repeats.is_empty());
}

#[test]
fn the_output_is_the_same_at_one_and_two_threads() {
    let dir = pages();
    for path in [dir.path().to_str().unwrap(), "samples"] {
        for format in ["json", "text", "jsonl"] {
            let out = |threads: &str| {
                let o = run(&["scan", path, "-q", "--format", format, "--threads", threads]);
                assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
                o.stdout
            };
            let one = out("1");
            assert!(!one.is_empty());
            assert_eq!(one, out("2"), "{path} {format}");
        }
    }
}
