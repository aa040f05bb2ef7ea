//! Containment relations (issue 4): partial copies with their direction, aligned passages,
//! the source guess and member roles, the date window and publisher groups.

use crate::util::*;
use syndup::{Config, Detector, Document, GroupPairs, Report};

const STORY: &str = "The harbour board voted on Tuesday to close the old ferry pier for six months \
    while divers inspect the timber piles that hold it up. Engineers found soft wood in eleven of \
    the forty piles during a routine survey in the spring, the board said. Ferries will use the \
    temporary pontoon at the north quay, and the timetable will not change. The pier was built in \
    1931 and last repaired after the storm of 1987, when a barge broke loose and struck it. Traders \
    on the pier will be offered stalls in the market hall at the old rent until the work is done. \
    The board expects the inspection to cost about two hundred thousand pounds and said any repair \
    work would be put out to tender before the end of the year.";

const INTRO: &str = "Our reporter spent the morning with stall holders who fear for their trade. \
    Many of them have worked on the pier for decades and say the news came as a shock to everyone \
    in town. Here is what the board announced.";

const OTHER: &str = "The county library will open on Sundays from next month, the council said, \
    after a survey found that most readers could not visit during the week. Volunteers will run \
    the reading room and a new café will serve coffee and cakes near the children's corner.";

fn doc(id: &str, text: &str, date: Option<&str>, group: Option<&str>) -> Document {
    Document {
        id: id.into(),
        text: text.into(),
        date: date.map(Into::into),
        group: group.map(Into::into),
        ..Document::default()
    }
}

fn scan(docs: Vec<Document>, config: Config) -> Report {
    Detector::new(config)
        .unwrap()
        .scan_documents(docs)
        .unwrap()
        .report
}

/// The first `share` of the story's words.
fn truncated(share: f64) -> String {
    let words: Vec<&str> = STORY.split(' ').collect();
    words[..(words.len() as f64 * share) as usize].join(" ")
}

#[test]
fn partial_copies_are_contained_with_direction_and_exact_passages() {
    let trimmed = truncated(0.6);
    let page = format!("{INTRO} {STORY} Share this story with your friends.");
    let docs = vec![
        doc("story", STORY, Some("2025-01-10"), None),
        doc("trimmed", &trimmed, Some("2025-01-11"), None),
        doc("page", &page, Some("2025-01-12"), None),
        doc("other", OTHER, Some("2025-01-10"), None),
    ];
    let r = scan(docs, Config::default());
    let pair = |a: &str, b: &str| r.pairs.iter().find(|p| p.a == a && p.b == b).unwrap();
    let st = pair("story", "trimmed");
    assert_eq!(
        (st.relation.as_str(), st.contained.as_deref()),
        ("contained", Some("trimmed"))
    );
    assert!(st.jaccard < 0.8 && st.containment_b_in_a == 1.0);
    let sp = pair("story", "page");
    assert_eq!(sp.contained.as_deref(), Some("story"));
    // The passage is the story, at its byte offsets in both texts.
    let al = sp.alignment.as_ref().unwrap();
    assert_eq!(al.passages.len(), 1);
    let x = al.passages[0];
    let at = page.find(STORY).unwrap();
    assert_eq!((x.a_start, x.a_end), (0, STORY.len() - 1)); // up to the last word
    assert_eq!((x.b_start, x.b_end), (at, at + STORY.len() - 1));
    assert_eq!(al.coverage_a, 1.0);
    assert!(al.coverage_b > 0.6 && al.coverage_b < 0.9);
    assert!(r.pairs.iter().all(|p| p.a != "other" && p.b != "other"));
    // One cluster; by date the story is the source, the others partial copies.
    assert_eq!(r.clusters.len(), 1);
    let c = &r.clusters[0];
    assert_eq!((c.source.as_str(), c.source_by.as_str()), ("story", "date"));
    let roles: Vec<(&str, &str)> = c
        .details
        .iter()
        .map(|m| (m.doc.as_str(), m.role.as_str()))
        .collect();
    assert_eq!(
        roles,
        [
            ("story", "source"),
            ("trimmed", "partial_copy"),
            ("page", "partial_copy")
        ]
    );
}

#[test]
fn without_dates_the_source_is_the_text_that_holds_the_others() {
    let trimmed = truncated(0.6);
    let docs = vec![
        doc("trimmed", &trimmed, None, None),
        doc("copy", &format!("{STORY} All rights reserved."), None, None),
        doc("story", STORY, None, None),
    ];
    // The default, --keep source: the member nearest the others keeps the cluster and is its
    // source (the story without the added line is nearer the trimmed text than `copy`).
    let r = scan(docs.clone(), Config::default());
    let c = &r.clusters[0];
    assert_eq!(
        (
            c.representative.as_str(),
            c.source.as_str(),
            c.source_by.as_str()
        ),
        ("story", "story", "similarity")
    );
    // Under the other keep policies the rule is: `trimmed` is inside both; `copy` holds the
    // story (a near-duplicate) and the trimmed text, and comes before `story` in input order.
    let first = Config {
        keep: syndup::KeepPolicy::First,
        ..Config::default()
    };
    let c = &scan(docs, first.clone()).clusters[0];
    assert_eq!(
        (c.source.as_str(), c.source_by.as_str()),
        ("copy", "containment")
    );
    // Only near-duplicates: the first seen.
    let docs = vec![
        doc("b", STORY, None, None),
        doc("a", &format!("{STORY} All rights reserved."), None, None),
    ];
    let c = &scan(docs, first).clusters[0];
    assert_eq!(
        (c.source.as_str(), c.source_by.as_str()),
        ("b", "first_seen")
    );
}

#[test]
fn containment_off_reports_jaccard_pairs_only() {
    let docs = vec![
        doc("story", STORY, None, None),
        doc("trimmed", &truncated(0.6), None, None),
    ];
    let mut c = Config::default();
    c.containment.threshold = None;
    let r = scan(docs, c);
    assert!(r.pairs.is_empty() && r.clusters.is_empty());
}

#[test]
fn the_window_keeps_far_apart_dates_apart() {
    let docs = || {
        vec![
            doc("jan", STORY, Some("2025-01-01"), None),
            doc("mar", STORY, Some("2025-03-01"), None),
            doc("undated", STORY, None, None),
        ]
    };
    let with = |days| Config {
        window_days: Some(days),
        ..Config::default()
    };
    let r = scan(docs(), with(30));
    let pairs: Vec<(&str, &str)> = r
        .pairs
        .iter()
        .map(|p| (p.a.as_str(), p.b.as_str()))
        .collect();
    // Documents without a date are compared with all.
    assert_eq!(pairs, [("jan", "undated"), ("mar", "undated")]);
    assert_eq!(r.stats.skipped_pairs, 1);
    assert_eq!(scan(docs(), with(60)).pairs.len(), 3);
}

#[test]
fn groups_decide_which_pairs_are_compared() {
    let template = format!("{OTHER} {OTHER}");
    let docs = || {
        vec![
            doc("a1", STORY, None, Some("Site A")),
            doc("a2", &format!("{STORY} Site A."), None, Some("Site A")),
            doc("b1", STORY, None, Some("Site B")),
            doc("a3", &template, None, Some("Site A")),
            doc("a4", &template, None, Some("Site A")),
        ]
    };
    let with = |g| {
        let mut c = Config {
            group_pairs: g,
            ..Config::default()
        };
        c.fields.group = Some("publisher".into());
        c
    };
    let pairs = |r: &Report| -> Vec<(String, String)> {
        r.pairs.iter().map(|p| (p.a.clone(), p.b.clone())).collect()
    };
    let ids = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    let across = scan(docs(), with(GroupPairs::Across));
    assert_eq!(pairs(&across), ids(&[("a1", "b1"), ("a2", "b1")]));
    let within = scan(docs(), with(GroupPairs::Within));
    assert_eq!(pairs(&within), ids(&[("a1", "a2"), ("a3", "a4")]));
    assert_eq!(scan(docs(), with(GroupPairs::All)).pairs.len(), 4);
    // Without the group field, --group-pairs is refused.
    assert!(Detector::new(Config {
        group_pairs: GroupPairs::Across,
        ..Config::default()
    })
    .is_err());
}

#[test]
fn group_and_date_fields_are_read_from_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.jsonl");
    let line = |id: &str, publisher: &str, date: &str, text: &str| {
        serde_json::json!({"id": id, "publisher": publisher, "date": date, "text": text})
            .to_string()
    };
    let body = [
        line("a1", "A", "2025-01-01", STORY),
        line("a2", "A", "2025-01-02", STORY),
        line("b1", "B", "2025-01-02", STORY),
        line("b2", "B", "2025-06-01", STORY),
    ]
    .join("\n");
    std::fs::write(&path, body).unwrap();
    let o = run(&[
        "scan",
        path.to_str().unwrap(),
        "-q",
        "--format",
        "json",
        "--group-field",
        "publisher",
        "--window",
        "7",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: Report = serde_json::from_slice(&o.stdout).unwrap();
    let pairs: Vec<(&str, &str)> = r
        .pairs
        .iter()
        .map(|p| (p.a.as_str(), p.b.as_str()))
        .collect();
    // Across publishers (the default with a group field) and within a week.
    assert_eq!(pairs, [("a1", "b1"), ("a2", "b1")]);
    assert_eq!(r.parameters.group_pairs, GroupPairs::Across);
}

/// Text files declare no encoding: a Windows-1252 one is detected and read (counted as
/// recoded, said in the summary); JSON Lines stays UTF-8 by its spec, and the problem names
/// --windows-1252 (issue 18).
#[test]
fn legacy_encodings_are_detected_in_text_files_and_named_for_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.txt");
    let mut bytes = b"Caf\xe9 owners in the old town said the \x93new\x94 rules ".to_vec();
    bytes.extend_from_slice(STORY.as_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let p = path.to_str().unwrap();
    for flag in [&[][..], &["--windows-1252"][..]] {
        let o = run(&[&["scan", p, "-q", "--format", "json"][..], flag].concat());
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let r: Report = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(
            (r.stats.documents, r.stats.recoded, r.stats.problems),
            (1, 1, 0),
            "{flag:?}"
        );
    }
    let o = run(&["scan", p]);
    assert!(
        stdout(&o).contains("1 document not in UTF-8, recoded"),
        "{}",
        stdout(&o)
    );
    // The detected encoding is Windows-1252: the curly quotes and the é come out right.
    let decoded = syndup::input::decode_detected(&bytes);
    assert!(decoded.starts_with("Café owners in the old town said the \u{201c}new\u{201d} rules"));

    let jsonl = dir.path().join("old.jsonl");
    let mut line = b"{\"id\":\"x\",\"text\":\"Caf\xe9 ".to_vec();
    line.extend_from_slice(STORY.as_bytes());
    line.extend_from_slice(b"\"}\n");
    std::fs::write(&jsonl, &line).unwrap();
    let j = jsonl.to_str().unwrap();
    let o = run(&["scan", j, "-q", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let r: Report = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r.problems[0].kind, syndup::ProblemKind::InvalidUtf8);
    assert!(
        r.problems[0].message.contains("--windows-1252"),
        "{:?}",
        r.problems[0]
    );
    let o = run(&["scan", j, "-q", "--format", "json", "--windows-1252"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// A planted corpus with truncated copies, stories embedded in longer pages and copies under
/// new intros: recall with the right direction >= 0.95, precision of contained pairs >= 0.98.
#[test]
fn planted_partial_copies_are_found_with_their_direction() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("g");
    let o = run(&[
        "generate",
        "--from",
        "samples",
        "-n",
        "3000",
        "--seed",
        "11",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report = out.join("report.json");
    let corpus = out.join("corpus.jsonl");
    let o = run(&[
        "scan",
        corpus.to_str().unwrap(),
        "-q",
        "--format",
        "json",
        "-o",
        report.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let e = run(&[
        "eval",
        "--json",
        "--truth",
        out.join("truth.jsonl").to_str().unwrap(),
        "--corpus",
        corpus.to_str().unwrap(),
        report.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&e.stdout).unwrap();
    let q = &v["partial"];
    eprintln!("partial copies: {q}");
    assert!(q["planted"].as_u64().unwrap() >= 100, "{q}");
    assert!(q["recall_with_direction"].as_f64().unwrap() >= 0.95, "{q}");
    assert!(q["contained_precision"].as_f64().unwrap() >= 0.98, "{q}");
    assert!(
        v["at_threshold"]["precision"].as_f64().unwrap() >= 0.99,
        "{v}"
    );
}
