//! The command line on the bundled samples: golden reports, formats, exit codes, inputs.

use crate::util::*;
use std::io::Write;

#[test]
fn golden_text_report() {
    let o = run(&["scan", "samples", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    golden("samples.txt", &stdout(&o));
}

#[test]
fn golden_json_report_parses_into_the_documented_schema() {
    let o = run(&["scan", "samples", "-q", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    golden("samples.json", &text);
    // deny_unknown_fields on every struct: an undocumented field fails here.
    let r: syndup::Report = serde_json::from_str(&text).expect("schema");
    assert_eq!(r.format_version, syndup::report::FORMAT_VERSION);
    let ids: Vec<Vec<String>> = r.clusters.iter().map(|c| c.members.clone()).collect();
    assert!(ids.contains(&vec![
        "wire-harbor-0".to_string(),
        "wire-harbor-1".into(),
        "wire-harbor-2".into(),
        "wire-harbor-3".into(),
        "wire-harbor-4".into(),
        "wire-harbor-5".into()
    ]));
    assert!(ids.contains(&vec!["zh-harbor-0".to_string(), "zh-harbor-1".into()]));
    // The wire story's cluster: the original by date, partial copies (trimmed, under an
    // intro) by containment, the rest copies.
    let harbor = r
        .clusters
        .iter()
        .find(|c| c.members[0] == "wire-harbor-0")
        .unwrap();
    assert_eq!(
        (harbor.source.as_str(), harbor.source_by.as_str()),
        ("wire-harbor-0", "date")
    );
    let roles: Vec<&str> = harbor.details.iter().map(|m| m.role.as_str()).collect();
    assert_eq!(
        roles,
        [
            "source",
            "copy",
            "copy",
            "partial_copy",
            "partial_copy",
            "copy"
        ]
    );
    // Pages sharing only a footer are not duplicates.
    assert!(!ids.concat().contains(&"ferrow-chess".to_string()));
    let texts = sample_texts();
    for p in &r.pairs {
        match p.relation.as_str() {
            "near_duplicate" => assert!(p.jaccard >= 0.8 && p.containment >= p.jaccard),
            "contained" => {
                let inner = p.contained.as_deref().unwrap();
                let c = if inner == p.a {
                    p.containment_a_in_b
                } else {
                    p.containment_b_in_a
                };
                assert!(p.jaccard < 0.8 && c >= 0.7, "{p:?}");
            }
            other => panic!("relation {other}"),
        }
        // Passages are spans of the original texts with the same words on both sides.
        let al = p.alignment.as_ref().unwrap();
        assert!(!al.passages.is_empty());
        let (ta, tb) = (&texts[&p.a], &texts[&p.b]);
        for x in &al.passages {
            let norm = |s: &str| {
                s.split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(str::to_lowercase)
                    .collect::<Vec<_>>()
            };
            let (wa, wb) = (norm(&ta[x.a_start..x.a_end]), norm(&tb[x.b_start..x.b_end]));
            if !p.a.starts_with("zh-") {
                // (Chinese counts one token per character.)
                assert_eq!(wa.len(), x.words, "{} {}", p.a, p.b);
            }
            if p.a.starts_with("wire-strike") {
                assert_eq!(wa, wb);
            }
        }
    }
    let harbor4 = r
        .pairs
        .iter()
        .find(|p| p.a == "wire-harbor-0" && p.b == "wire-harbor-4")
        .unwrap();
    assert_eq!(harbor4.contained.as_deref(), Some("wire-harbor-0"));
    assert_eq!(harbor4.alignment.as_ref().unwrap().coverage_a, 1.0);
}

/// The texts of the bundled samples by id (JSON Lines ids, and paths for the pages).
fn sample_texts() -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for line in std::fs::read_to_string("samples/news.jsonl")
        .unwrap()
        .lines()
    {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        out.insert(
            v["id"].as_str().unwrap().to_string(),
            v["text"].as_str().unwrap().to_string(),
        );
    }
    for e in std::fs::read_dir("samples/pages").unwrap() {
        let path = e.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        out.insert(path.display().to_string(), text);
    }
    out
}

#[test]
fn golden_jsonl_report_has_typed_messages() {
    let o = run(&["scan", "samples", "-q", "--format", "jsonl"]);
    let text = stdout(&o);
    golden("samples.jsonl", &text);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["type"], "begin");
    assert_eq!(lines[0]["data"]["format_version"], 1);
    assert_eq!(lines[0]["data"]["parameters"]["bands"], 16);
    assert_eq!(lines.last().unwrap()["type"], "summary");
    let clusters = lines.iter().filter(|l| l["type"] == "cluster").count() as u64;
    assert_eq!(lines.last().unwrap()["data"]["clusters"], clusters);
}

#[test]
fn exit_code_flag_reports_duplicates() {
    assert_eq!(
        run(&["scan", "samples", "-q", "--exit-code"]).status.code(),
        Some(1)
    );
    assert_eq!(
        run(&[
            "scan",
            "samples/pages/2025-03-08-editors-note.md",
            "-q",
            "--exit-code"
        ])
        .status
        .code(),
        Some(0)
    );
}

#[test]
fn stdin_and_compressed_inputs_give_the_same_clusters() {
    let news = std::fs::read(root().join("samples/news.jsonl")).unwrap();
    let file = run(&["scan", "samples/news.jsonl", "-q", "--format", "json"]);
    let want: syndup::Report = serde_json::from_slice(&file.stdout).unwrap();
    let stdin = run_stdin(&["scan", "-", "-q", "--format", "json"], &news);
    let got: syndup::Report = serde_json::from_slice(&stdin.stdout).unwrap();
    assert_eq!(got.clusters, want.clusters);

    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&news).unwrap();
    let gz = write(dir.path(), "news.jsonl.gz", &gz.finish().unwrap());
    let zst = write(
        dir.path(),
        "news.jsonl.zst",
        &zstd::encode_all(&news[..], 3).unwrap(),
    );
    for p in [gz, zst] {
        let o = run(&["scan", p.to_str().unwrap(), "-q", "--format", "json"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let got: syndup::Report = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(got.clusters, want.clusters, "{}", p.display());
    }
}

#[test]
fn broken_pipe_is_success() {
    let mut child = bin()
        .args(["scan", "samples", "-q", "--format", "jsonl"])
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away at once, like `| head -0`
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("error"));
}

#[test]
fn bad_flags_are_usage_errors_naming_the_flag() {
    let o = run(&["scan", "samples", "--threshold", "1.5"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--threshold"), "{}", stderr(&o));
    let o = run(&["scan", "samples", "--bands", "20", "--rows", "10"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--num-perm"), "{}", stderr(&o));
    let o = run(&["scan", "samples", "--keep", "earliest", "--date-field", ""]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--date-field"), "{}", stderr(&o));
}

#[test]
fn keep_policies_choose_representatives() {
    let longest = run(&[
        "scan",
        "samples/news.jsonl",
        "-q",
        "--format",
        "json",
        "--keep",
        "longest",
    ]);
    let r: syndup::Report = serde_json::from_slice(&longest.stdout).unwrap();
    for c in &r.clusters {
        let max = c.details.iter().map(|d| d.bytes).max().unwrap();
        assert_eq!(c.details[0].bytes, max, "cluster {}", c.id);
    }
    let earliest = run(&[
        "scan",
        "samples/news.jsonl",
        "-q",
        "--format",
        "json",
        "--keep",
        "earliest",
    ]);
    let r: syndup::Report = serde_json::from_slice(&earliest.stdout).unwrap();
    for c in &r.clusters {
        let min = c.details.iter().filter_map(|d| d.date.clone()).min();
        assert_eq!(c.details[0].date, min, "cluster {}", c.id);
    }
}

#[test]
fn character_shingles_and_estimate_mode_run() {
    let o = run(&[
        "scan",
        "samples/news.jsonl",
        "-q",
        "--format",
        "json",
        "--shingle",
        "char",
        "-k",
        "7",
    ]);
    let r: syndup::Report = serde_json::from_slice(&o.stdout).unwrap();
    assert!(r
        .clusters
        .iter()
        .any(|c| c.members.contains(&"wire-strike-1".to_string())));
    let o = run(&[
        "scan",
        "samples/news.jsonl",
        "-q",
        "--format",
        "json",
        "--verify",
        "estimate",
    ]);
    let r: syndup::Report = serde_json::from_slice(&o.stdout).unwrap();
    assert!(r
        .clusters
        .iter()
        .any(|c| c.members.contains(&"wire-strike-1".to_string())));
}

#[test]
fn golden_sentences_reports() {
    let args = [
        "scan",
        "samples",
        "-q",
        "--sentences=full",
        "--boilerplate-min-docs",
        "2",
        // Jaccard only, so the partial copies stay outside the story's cluster and their
        // sentences show as repeats across documents.
        "--containment",
        "off",
    ];
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    golden("samples-sentences.txt", &stdout(&o));
    let o = run(&[&args[..], &["--format", "jsonl"]].concat());
    let text = stdout(&o);
    golden("samples-sentences.jsonl", &text);
    let repeats: Vec<syndup::report::RepeatReport> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["type"] == "repeat")
        .map(|v| serde_json::from_value(v["data"].clone()).expect("schema"))
        .collect();
    for kind in ["within_document", "cross_document", "boilerplate"] {
        assert!(repeats.iter().any(|r| r.kind == kind), "{kind}");
    }
    // The footer of the two Ferrow pages is boilerplate at this cut-off.
    assert!(repeats
        .iter()
        .any(|r| r.kind == "boilerplate" && r.occurrences[0].text == "Related News:"));
}

#[test]
fn sentences_flag_takes_an_optional_mode() {
    for (args, mode) in [
        (vec![], "within"),
        (vec!["--no-sentences"], "off"),
        (vec!["--sentences=within"], "within"),
        (vec!["--sentences"], "standard"),
        (vec!["--sentences=full"], "full"),
        (vec!["--sentences=off"], "off"),
    ] {
        let o = run(&[
            &["scan", "samples/news.jsonl", "-q", "--format", "json"][..],
            &args,
        ]
        .concat());
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let r: syndup::Report = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(
            serde_json::to_value(r.parameters.sentences.mode).unwrap(),
            mode
        );
    }
    let o = run(&[
        "scan",
        "samples",
        "--sentences",
        "--sentence-threshold",
        "0",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--sentence-threshold"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_text_report_of_many_clusters_lists_the_largest_unless_all_is_asked() {
    // 1,001 pairs of identical documents and one trio: 1,002 clusters.
    let dir = tempfile::tempdir().unwrap();
    let mut lines = String::new();
    for c in 0..1002 {
        let text: String = (0..30).map(|w| format!("c{c}w{w} ")).collect();
        let copies = if c == 500 { 3 } else { 2 };
        for k in 0..copies {
            lines.push_str(&format!("{{\"id\":\"c{c}-{k}\",\"text\":\"{text}\"}}\n"));
        }
    }
    let path = write(dir.path(), "many.jsonl", lines.as_bytes());
    let path = path.to_str().unwrap();
    let o = run(&["scan", path, "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let listed = text.lines().filter(|l| l.starts_with("cluster ")).count();
    assert_eq!(listed, 100, "{text}");
    assert!(
        text.contains("(3 documents)"),
        "the largest cluster comes first"
    );
    assert!(text.contains("the 100 largest of 1002 clusters"), "{text}");
    assert!(text.contains("--all"));
    let all = stdout(&run(&["scan", path, "-q", "--all"]));
    assert_eq!(
        all.lines().filter(|l| l.starts_with("cluster ")).count(),
        1002
    );
    assert!(!all.contains("largest of"));
    let o = run(&["scan", path, "-q", "--all", "--top", "5"]);
    assert_eq!(o.status.code(), Some(2), "--all and --top conflict");
}
