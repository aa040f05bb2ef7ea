//! The first hour of a new user (issue 18): the samples' description is not a document, runs
//! that would be silently wrong stop early or warn once, the sentence mode is unambiguous, the
//! dedupe keeps the original, and the outputs people ask for.

use crate::util::*;

fn report(o: &std::process::Output) -> syndup::Report {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(o)))
}

// ---- 2. the samples' description, and structure that is not prose

#[test]
fn the_samples_description_is_not_scanned() {
    let o = run(&["scan", "samples", "-q", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = report(&o);
    assert_eq!((r.stats.documents, r.stats.skipped_files), (23, 1));
    let o = run(&[
        "scan",
        "samples",
        "-q",
        "--sentences=full",
        "--format",
        "json",
    ]);
    let r = report(&o);
    assert!(
        r.repeats
            .iter()
            .all(|x| x.occurrences.iter().all(|o| !o.doc.contains("README"))),
        "{:?}",
        r.repeats
    );
}

#[test]
fn table_rows_list_items_and_tab_separated_lines_are_never_sentence_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let page = "# Results of the autumn count\n\n\
        | site | date | birds counted | observers |\n|---|---|---|---|\n\
        | North Marsh | 2025-10-04 | 412 birds counted by two observers |\n\
        | South Marsh | 2025-10-05 | 398 birds counted by two observers |\n\n\
        - the north marsh count was made at dawn by two observers\n\
        - the south marsh count was made at dawn by two observers\n\n\
        north marsh\tdawn\ttwo observers counted the birds of the marsh\n\
        south marsh\tdawn\ttwo observers counted the birds of the marsh\n\n\
        The volunteers counted more waders this autumn than in any year since the survey began. \
        Later in the day the volunteers counted more waders this autumn than in any year since the survey began.\n";
    let p = write(dir.path(), "count.md", page.as_bytes());
    let o = run(&[
        "scan",
        p.to_str().unwrap(),
        "-q",
        "--sentences",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = report(&o);
    let texts: Vec<Vec<&str>> = r
        .repeats
        .iter()
        .map(|x| x.occurrences.iter().map(|o| o.text.as_str()).collect())
        .collect();
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(
        texts[0][0].starts_with("The volunteers counted"),
        "{texts:?}"
    );
}

// ---- 3. silent wrong runs stop early or warn once

#[test]
fn a_directory_of_files_syndup_does_not_read_stops_naming_what_it_found() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.html", b"<p>one</p>");
    write(dir.path(), "b.html", b"<p>two</p>");
    write(dir.path(), "c.json", b"{\"text\": \"three\"}");
    let o = run(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty(), "no report: {}", stdout(&o));
    let e = stderr(&o);
    assert!(
        e.contains("nothing to scan: found 3 files (2 .html, 1 .json)") && e.contains(".jsonl"),
        "{e}"
    );
    assert_eq!(e.lines().count(), 1, "{e}");
}

#[test]
fn a_missing_path_stops_before_any_report() {
    let o = run(&["scan", "samples", "no-such-dir"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty(), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("no-such-dir: no such file or directory"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn ndjson_is_read_when_named_and_inside_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let news = std::fs::read(root().join("samples/news.jsonl")).unwrap();
    let p = write(dir.path(), "news.ndjson", &news);
    for arg in [p.to_str().unwrap(), dir.path().to_str().unwrap()] {
        let o = run(&["scan", arg, "-q", "--format", "json"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(report(&o).stats.documents, 18);
    }
}

#[test]
fn a_wrong_text_field_stops_once_naming_the_fields_and_the_flag() {
    let o = run(&["scan", "samples/news.jsonl", "--text-field", "body"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let e = stderr(&o);
    assert_eq!(e.lines().count(), 1, "one message, not one per record: {e}");
    assert!(
        e.contains("text field `body`")
            && e.contains("`date`, `id`, `publisher`, `text`, `title`")
            && e.contains("--text-field text"),
        "{e}"
    );
    let o = run(&["scan", "samples/news.jsonl", "--id-field", "url"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--id-field id"), "{}", stderr(&o));
}

#[test]
fn dates_that_would_decide_nothing_stop_or_warn_once() {
    // A date field no record has, under --keep earliest: stop, naming the field that holds dates.
    let o = run(&[
        "scan",
        "samples/news.jsonl",
        "--keep",
        "earliest",
        "--date-field",
        "published",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert!(stderr(&o).contains("--date-field date"), "{}", stderr(&o));
    // Some records without a readable date: one warning, and the run goes on.
    let dir = tempfile::tempdir().unwrap();
    let mut lines = String::new();
    for (i, line) in std::fs::read_to_string(root().join("samples/news.jsonl"))
        .unwrap()
        .lines()
        .enumerate()
    {
        let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
        if i % 3 == 1 {
            v["date"] = "last Tuesday".into();
        }
        lines.push_str(&v.to_string());
        lines.push('\n');
    }
    let p = write(dir.path(), "news.jsonl", lines.as_bytes());
    let o = run(&["scan", p.to_str().unwrap(), "--keep", "earliest", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let e = stderr(&o);
    assert_eq!(e.matches("warning").count(), 1, "{e}");
    assert!(
        e.contains("6 of 18 documents have a `date` that is not a date syndup reads"),
        "{e}"
    );
}

/// A member with the only readable date is not "the source (earliest date)" (issue 18).
#[test]
fn a_lone_date_does_not_make_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let news = std::fs::read_to_string(root().join("samples/news.jsonl")).unwrap();
    let mut lines = String::new();
    for line in news.lines() {
        let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = v["id"].as_str().unwrap().to_string();
        if id != "wire-harbor-4" {
            v.as_object_mut().unwrap().remove("date");
        }
        lines.push_str(&v.to_string());
        lines.push('\n');
    }
    let p = write(dir.path(), "news.jsonl", lines.as_bytes());
    let o = run(&["scan", p.to_str().unwrap(), "-q", "--format", "json"]);
    let r = report(&o);
    let harbor = r
        .clusters
        .iter()
        .find(|c| c.members.contains(&"wire-harbor-4".to_string()))
        .unwrap();
    assert_ne!(
        harbor.source_by,
        syndup::report::SourceBy::Date,
        "{harbor:?}"
    );
    assert_ne!(harbor.representative, "wire-harbor-4");
}

#[test]
fn a_bad_output_path_fails_before_the_scan() {
    let o = run(&["scan", "samples", "-o", "/no/such/dir/report.txt"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("/no/such/dir/report.txt"), "{e}");
    assert!(!e.contains("documents"), "failed before scanning: {e}");
}

#[test]
fn scan_reads_standard_input_without_a_dash() {
    let news = std::fs::read(root().join("samples/news.jsonl")).unwrap();
    let o = run_stdin(&["scan", "-q", "--format", "json"], &news);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(report(&o).stats.documents, 18);
}

#[test]
fn counts_are_spelled_right_and_stdout_and_stderr_agree_on_bytes() {
    let o = run(&["scan", "samples/news.jsonl"]);
    let (out, err) = (stdout(&o), stderr(&o));
    assert!(
        out.starts_with("syndup 0.1.0: 18 documents scanned (45.8 KB of text)"),
        "{out}"
    );
    assert!(
        err.contains("18 documents (45.8 KB of text, 49.2 KB read)"),
        "{err}"
    );
    assert!(err.contains(", 0 problems ["), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "x.jsonl",
        b"{\"id\":\"a\",\"text\":\"one two three four five\"}\n{\"id\":\"a\",\"text\":\"six\"}\n\n",
    );
    let o = run(&["scan", p.to_str().unwrap()]);
    let err = stderr(&o);
    assert!(
        err.contains("1 document (") && err.contains(", 1 problem ["),
        "{err}"
    );
    let o = run_stdin(&["filter"], &std::fs::read(&p).unwrap());
    assert!(
        stderr(&o).contains("1 blank line skipped"),
        "{}",
        stderr(&o)
    );
}

// ---- 5. --sentences takes its mode after `=`

#[test]
fn sentences_full_with_a_space_is_refused_with_the_fix() {
    let o = run(&["scan", "--sentences", "full", "samples/news.jsonl"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert!(stderr(&o).contains("--sentences=full"), "{}", stderr(&o));
    let help = stdout(&run(&["scan", "--help"]));
    assert!(!help.contains("--sentences full"), "{help}");
}

// ---- 6. the dedupe keeps the original

#[test]
fn keep_source_keeps_the_planted_original_more_often_than_first() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("g");
    let o = run(&[
        "generate",
        "-n",
        "3000",
        "--seed",
        "3",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let corpus = out.join("corpus.jsonl");
    let share = |keep: &str| -> f64 {
        let rep = out.join(format!("{keep}.json"));
        let o = run(&[
            "scan",
            corpus.to_str().unwrap(),
            "-q",
            "--keep",
            keep,
            "--format",
            "json",
            "-o",
            rep.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let e = run(&[
            "eval",
            "--json",
            "--truth",
            out.join("truth.jsonl").to_str().unwrap(),
            "--corpus",
            corpus.to_str().unwrap(),
            rep.to_str().unwrap(),
        ]);
        let v: serde_json::Value = serde_json::from_slice(&e.stdout).unwrap();
        eprintln!("--keep {keep}: {}", v["keep"]);
        v["keep"]["share"].as_f64().unwrap()
    };
    let (first, source) = (share("first"), share("source"));
    assert!(
        source >= 0.8 && source > first + 0.3,
        "first {first}, source {source}"
    );
    let o = run(&["scan", "--help"]);
    assert!(stdout(&o).contains("[default: source]"), "{}", stdout(&o));
}

// ---- 7. outputs people ask for

#[test]
fn kept_and_dropped_split_the_records_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (kept, dropped) = (
        dir.path().join("kept.jsonl"),
        dir.path().join("dropped.jsonl"),
    );
    let o = run(&[
        "scan",
        "samples/news.jsonl",
        "-q",
        "--format",
        "json",
        "--kept",
        kept.to_str().unwrap(),
        "--dropped",
        dropped.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = report(&o);
    let input = std::fs::read_to_string(root().join("samples/news.jsonl")).unwrap();
    let (k, d) = (
        std::fs::read_to_string(&kept).unwrap(),
        std::fs::read_to_string(&dropped).unwrap(),
    );
    assert_eq!(k.lines().count() as u64, r.stats.unique_documents);
    assert_eq!(d.lines().count() as u64, r.stats.duplicates);
    for line in k.lines().chain(d.lines()) {
        assert!(
            input.lines().any(|l| l == line),
            "not an input line: {line}"
        );
    }
    for c in &r.clusters {
        assert!(k.contains(&format!("\"id\": \"{}\"", c.representative)));
        for m in c.members.iter().filter(|m| **m != c.representative) {
            assert!(d.contains(&format!("\"id\": \"{m}\"")), "{m}");
        }
    }
    // Text files: their paths.
    let o = run(&[
        "scan",
        "samples/pages",
        "-q",
        "--dropped",
        dropped.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&dropped).unwrap(),
        "samples/pages/2025-03-11-whats-on-pool.txt\n"
    );
    let o = run_stdin(
        &["scan", "-", "--kept", kept.to_str().unwrap()],
        input.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("standard input cannot be read twice"));
}

#[test]
fn summary_and_top_keep_the_text_report_short() {
    let all = stdout(&run(&["scan", "samples"]));
    let summary = stdout(&run(&["scan", "samples", "--summary"]));
    // The header: version and counts, settings, S-curve, what was found, sentence repeats.
    assert_eq!(summary.lines().count(), 5, "{summary}");
    assert!(all.starts_with(&summary));
    let top = stdout(&run(&["scan", "samples", "--top", "1"]));
    assert!(
        top.contains("cluster 1 (6 documents)") && !top.contains("cluster 2 "),
        "{top}"
    );
    assert!(top.contains("pairs (15 of 20;"), "{top}");
    assert!(
        top.contains("(listed: the 1 largest of 4 clusters"),
        "{top}"
    );
    assert!(top.lines().count() < all.lines().count());
}

#[test]
fn compare_explains_one_pair_without_a_corpus() {
    let (a, b) = (
        "samples/pages/2025-03-04-pool-reopens.txt",
        "samples/pages/2025-03-11-whats-on-pool.txt",
    );
    let o = run(&["compare", a, b]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t = stdout(&o);
    assert!(
        t.contains("Jaccard 0.85") && t.contains("a scan reports: near-duplicates"),
        "{t}"
    );
    assert!(
        t.contains("LSH (16 bands x 8 rows): chance to become a candidate at J 0.85"),
        "{t}"
    );
    assert!(t.contains("shared passages ("), "{t}");
    let o = run(&[
        "compare",
        "--json",
        a,
        "samples/pages/2025-03-05-rye-loaf-award.txt",
    ]);
    assert_eq!(o.status.code(), Some(1), "not a match: exit 1");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["relation"], serde_json::Value::Null);
}

#[test]
fn completions_man_page_and_version_come_from_the_clap_definitions() {
    let o = run(&["completions", "bash"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("syndup") && stdout(&o).contains("--sentences"));
    let o = run(&["completions", "zsh"]);
    assert!(stdout(&o).contains("#compdef syndup"));
    let o = run(&["man"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).starts_with(".ie") || stdout(&o).contains(".TH syndup"),
        "{}",
        stdout(&o)
    );
    let v = stdout(&run(&["--version"]));
    assert!(v.starts_with("syndup 0.1.0"), "{v}");
}

// ---- 8. the HTML page at scale

#[test]
fn html_page_explains_its_scores_pages_its_repeats_and_says_why_a_view_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.html");
    let o = run(&[
        "scan",
        "samples",
        "-q",
        "--sentences=full",
        "--format",
        "html",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(
        page.contains("<dt>J</dt><dd>Jaccard similarity of a member"),
        "J explained"
    );
    assert!(
        page.contains("<dt>C</dt><dd>containment: the share"),
        "C explained"
    );
    assert!(
        page.contains("id=\"rpager\"") && page.contains("renderRepeats()"),
        "repeats paged"
    );
    assert!(
        page.contains("@media (max-width:900px)"),
        "a layout for narrow windows"
    );
    assert!(
        page.contains("6 files, 58.6 KB read (55.1 KB of text)"),
        "sizes in KB"
    );
    assert!(page.contains("23 documents · 4 clusters · 9 duplicates"));
    // From standard input the texts cannot be read again: every member says why.
    let news = std::fs::read(root().join("samples/news.jsonl")).unwrap();
    let o = run_stdin(
        &[
            "scan",
            "-q",
            "--format",
            "html",
            "-o",
            out.to_str().unwrap(),
        ],
        &news,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(
        page.contains("\"no_compare\":{\"wire-harbor-1\\u0000wire-harbor-0\":1"),
        "reason recorded"
    );
    assert!(page.contains("no side-by-side view: "));
}

#[test]
fn generate_names_a_missing_seed_text_path() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&[
        "generate",
        "--from",
        "no-such-seed-text",
        "-n",
        "10",
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--from: no-such-seed-text: no such file or directory"),
        "{}",
        stderr(&o)
    );
}
