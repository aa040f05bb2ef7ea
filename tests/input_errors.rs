//! Bad input: every bad record is reported with path:line, counted, and the run goes on.

use crate::util::*;

fn bad_corpus(dir: &std::path::Path) -> std::path::PathBuf {
    let good = |id: &str| {
        format!(
            "{{\"id\": \"{id}\", \"text\": \"The council met on Tuesday to discuss the harbour, the ferry timetable and the budget for next year.\"}}\n"
        )
    };
    let mut b: Vec<u8> = Vec::new();
    b.extend(good("ok-1").as_bytes()); // line 1
    b.extend(b"{\"id\": \"broken\", \"text\": \"no end\n"); // 2 malformed
    b.extend(b"{\"id\": \"no-text\"}\n"); // 3 missing text
    b.extend(b"{\"id\": \"num-text\", \"text\": 42}\n"); // 4 not a string
    b.extend(b"{\"id\": \"bad-utf8\", \"text\": \"caf\xe9 au lait\"}\n"); // 5 invalid UTF-8
    b.extend(b"{\"id\": \"empty\", \"text\": \"  ... \"}\n"); // 6 empty document
    b.extend(good("ok-1").as_bytes()); // 7 duplicate id
    b.extend(b"\n"); // 8 blank line
    b.extend(b"{\"text\": \"a text without an id field at all\"}\n"); // 9 missing id
    b.extend(
        format!(
            "{{\"id\": \"huge\", \"text\": \"{}\"}}\n",
            "word ".repeat(200)
        )
        .as_bytes(),
    ); // 10 too large
    b.extend(good("ok-2").as_bytes()); // 11
    b.extend(b"[1, 2, 3]"); // 12 not an object, no final newline
    write(dir, "bad.jsonl", &b)
}

#[test]
fn every_bad_record_is_reported_counted_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = bad_corpus(dir.path());
    let p = path.to_str().unwrap();
    let o = run(&[
        "scan",
        p,
        "-q",
        "--format",
        "json",
        "--max-doc-bytes",
        "600",
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "bad records make the exit status 2"
    );
    let r: syndup::Report = serde_json::from_slice(&o.stdout).unwrap();
    let got: Vec<(Option<u64>, &str)> =
        r.problems.iter().map(|p| (p.line, p.kind.name())).collect();
    assert_eq!(
        got,
        vec![
            (Some(2), "malformed_json"),
            (Some(3), "missing_field"),
            (Some(4), "not_a_string"),
            (Some(5), "invalid_utf8"),
            (Some(6), "empty_document"),
            (Some(7), "duplicate_id"),
            (Some(9), "missing_field"),
            (Some(10), "too_large"),
            (Some(12), "malformed_json"),
        ]
    );
    assert!(r.problems.iter().all(|x| x.path == p));
    assert!(
        r.problems[5].message.contains(&format!("{p}:1")),
        "{}",
        r.problems[5].message
    );
    let s = &r.stats;
    assert_eq!(s.documents, 2);
    assert_eq!(s.problems, 9);
    assert_eq!(s.records, s.documents + s.problems, "nothing lost");
    assert_eq!(s.blank_lines, 1);
    assert_eq!(s.problems_by_kind["missing_field"], 2);
    // Machine formats: the problems also reach stderr once, with path:line.
    assert!(
        stderr(&o).contains(&format!("{p}:4: text field `text` is a number")),
        "{}",
        stderr(&o)
    );
}

#[test]
fn text_report_lists_problems_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = bad_corpus(dir.path());
    let o = run(&["scan", path.to_str().unwrap(), "-q"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains(":5: invalid UTF-8 at byte"));
    assert!(
        !stderr(&o).contains(":5:"),
        "problems must reach the user once"
    );
}

#[test]
fn strict_stops_at_the_first_bad_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = bad_corpus(dir.path());
    let o = run(&["scan", path.to_str().unwrap(), "--strict", "-q"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).is_empty(), "no report after a strict stop");
    assert!(stderr(&o).contains(":2: "), "{}", stderr(&o));
    assert!(stderr(&o).contains("--strict"));
}

#[test]
fn oversized_line_is_skipped_without_losing_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    // A 9 MB line (larger than the reader's 4 MiB chunk) between two good lines.
    let mut b = Vec::new();
    b.extend(b"{\"id\":\"a\",\"text\":\"first good line here\"}\n");
    b.extend(b"{\"id\":\"big\",\"text\":\"");
    b.extend(std::iter::repeat_n(b'x', 9_000_000));
    b.extend(b"\"}\n{\"id\":\"c\",\"text\":\"last good line here\"}\n");
    let p = write(dir.path(), "big.jsonl", &b);
    let o = run(&[
        "scan",
        p.to_str().unwrap(),
        "-q",
        "--format",
        "json",
        "--max-doc-bytes",
        "1000000",
    ]);
    let r: syndup::Report = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r.stats.documents, 2);
    assert_eq!(r.problems.len(), 1);
    assert_eq!(
        (r.problems[0].line, r.problems[0].kind.name()),
        (Some(2), "too_large")
    );
}

/// The library reports paths it cannot use as problems and goes on; the command line stops
/// before any work instead (issue 18: a typo printed a whole empty report).
#[test]
fn missing_paths_and_unsupported_files_are_problems() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "x.csv", b"a,b\n");
    let sources: Vec<syndup::Source> = [
        root().join("samples/news.jsonl"),
        root().join("no/such/file.jsonl"),
        csv.clone(),
    ]
    .iter()
    .map(|p| syndup::Source::Path(p.clone()))
    .collect();
    let det = syndup::Detector::new(syndup::Config::default()).unwrap();
    let r = det.scan(&sources, &syndup::NoProgress).unwrap().report;
    assert_eq!(r.stats.documents, 18);
    let kinds: Vec<&str> = r.problems.iter().map(|p| p.kind.name()).collect();
    assert_eq!(kinds, vec!["unreadable", "unreadable"]);
    assert!(r.problems[1].message.contains("unsupported file type"));
    assert_eq!(r.stats.records, r.stats.documents + r.stats.problems);
    for bad in ["no/such/file.jsonl", csv.to_str().unwrap()] {
        let o = run(&["scan", "samples/news.jsonl", bad, "-q", "--format", "json"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(o.stdout.is_empty(), "no report: {}", stdout(&o));
        assert!(stderr(&o).contains(bad), "{}", stderr(&o));
    }
}
