//! The benchmark harness: the generator is deterministic, and `syndup eval` agrees with a
//! hand-computed example.

use crate::util::*;

#[test]
fn generate_is_deterministic_and_seeded() {
    let dir = tempfile::tempdir().unwrap();
    let gen = |seed: &str, out: &str| {
        let out = dir.path().join(out);
        let o = run(&[
            "generate",
            "--from",
            "samples",
            "-n",
            "300",
            "--seed",
            seed,
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        (
            std::fs::read(out.join("corpus.jsonl")).unwrap(),
            std::fs::read(out.join("truth.jsonl")).unwrap(),
        )
    };
    let a = gen("5", "a");
    let b = gen("5", "b");
    let c = gen("6", "c");
    assert!(a == b, "same seed, same bytes");
    assert!(a.0 != c.0, "another seed, another corpus");
    assert_eq!(String::from_utf8_lossy(&a.0).lines().count(), 300);
    // The planted light copies are found by a scan and scored by eval.
    let out = dir.path().join("a");
    let report = out.join("report.json");
    let o = run(&[
        "scan",
        out.join("corpus.jsonl").to_str().unwrap(),
        "-q",
        "--format",
        "json",
        "-o",
        report.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let e = run(&[
        "eval",
        "--json",
        "--truth",
        out.join("truth.jsonl").to_str().unwrap(),
        "--corpus",
        out.join("corpus.jsonl").to_str().unwrap(),
        report.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&e.stdout).unwrap();
    assert!(
        v["at_threshold"]["precision"].as_f64().unwrap() >= 0.99,
        "{v}"
    );
    assert!(v["at_threshold"]["recall"].as_f64().unwrap() >= 0.9, "{v}");
    assert_eq!(
        v["levels"]["exact"]["planted"],
        v["levels"]["exact"]["found"]
    );
}

/// Six documents: families {a, b, c} and {d, e}, f alone; a = b and d = e word for word, c is
/// different text. The result finds pairs a-b and d-f.
///
/// By hand: found 2 pairs, 1 correct (a-b): precision 0.5. Planted pairs a-b, a-c, b-c, d-e: 1
/// found, recall 0.25. With true Jaccard >= 0.8 only a-b and d-e: recall 0.5.
/// ARI: true labels F1 F1 F1 F2 F2 f; found clusters {a,b} {d,f}, c and e alone.
/// Contingency pairs sum C(2,2) = 1; rows C(3,2)+C(2,2) = 4; columns C(2,2)+C(2,2) = 2;
/// expected 4*2/C(6,2) = 8/15; max (4+2)/2 = 3; ARI = (1 - 8/15) / (3 - 8/15) = 7/37.
#[test]
fn eval_agrees_with_a_hand_computed_example() {
    let dir = tempfile::tempdir().unwrap();
    let story = "the harbour gate failed to close during the storm and the quay flooded again";
    let other = "a new bakery opened on the market square with bread cakes and coffee for all";
    let note = "the river clean up drew volunteers from every school in the valley this spring";
    let corpus = [
        ("a", story),
        ("b", story),
        ("c", other),
        ("d", note),
        ("e", note),
        (
            "f",
            "an unrelated short notice about parking rules near the station",
        ),
    ]
    .iter()
    .map(|(id, t)| serde_json::json!({"id": id, "text": t}).to_string() + "\n")
    .collect::<String>();
    let truth = [("a", "b", "F1"), ("a", "c", "F1"), ("b", "c", "F1"), ("d", "e", "F2")]
        .iter()
        .map(|(a, b, f)| serde_json::json!({"type": "pair", "a": a, "b": b, "family": f, "level": "light", "edits": []}).to_string() + "\n")
        .collect::<String>();
    let c = write(dir.path(), "corpus.jsonl", corpus.as_bytes());
    let t = write(
        dir.path(),
        "truth.jsonl",
        format!("{{\"type\":\"header\"}}\n{truth}").as_bytes(),
    );
    let r = write(dir.path(), "found.tsv", b"a\tb\nd\tf\n");
    let o = run(&[
        "eval",
        "--json",
        "--truth",
        t.to_str().unwrap(),
        "--corpus",
        c.to_str().unwrap(),
        r.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["all_planted"]["precision"], 0.5);
    assert_eq!(v["all_planted"]["recall"], 0.25);
    assert_eq!(v["at_threshold"]["relevant"], 2);
    assert_eq!(v["at_threshold"]["recall"], 0.5);
    assert_eq!(v["ari"], (7.0f64 / 37.0 * 1e4).round() / 1e4);
    // The same result as clusters gives the same scores.
    let rc = write(
        dir.path(),
        "found-clusters.tsv",
        b"#clusters\n1\ta\n1\tb\n2\td\n2\tf\n",
    );
    let o2 = run(&[
        "eval",
        "--json",
        "--truth",
        t.to_str().unwrap(),
        "--corpus",
        c.to_str().unwrap(),
        rc.to_str().unwrap(),
    ]);
    assert_eq!(o.stdout, o2.stdout);
}

/// Sentence repeats by hand: two planted repeats (in a and d); the report has two
/// within-document pairs, one on a's planted spans (in the other order) and one elsewhere in d.
/// Precision 1/2, recall 1/2. Boilerplate and cross-document groups are not within-page repeats
/// and are not scored.
#[test]
fn eval_scores_sentence_repeats_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = ["a", "d"]
        .iter()
        .map(|id| serde_json::json!({"id": id, "text": "one two three four five six seven eight nine ten"}).to_string() + "\n")
        .collect::<String>();
    let truth = "{\"type\":\"header\"}\n\
        {\"type\":\"repeat\",\"doc\":\"a\",\"first\":[0,20],\"second\":[100,120]}\n\
        {\"type\":\"repeat\",\"doc\":\"d\",\"first\":[0,20],\"second\":[50,70]}\n";
    let occ = |doc: &str, s: u64, e: u64| serde_json::json!({"doc": doc, "start": s, "end": e, "text": "x"});
    let report = serde_json::json!({
        "pairs": [], "clusters": [],
        "repeats": [
            {"kind": "within_document", "occurrences": [occ("a", 102, 118), occ("a", 5, 15)]},
            {"kind": "within_document", "occurrences": [occ("d", 200, 220), occ("d", 300, 320)]},
            {"kind": "boilerplate", "occurrences": [occ("a", 0, 20), occ("d", 0, 20)]}
        ]
    });
    let c = write(dir.path(), "corpus.jsonl", corpus.as_bytes());
    let t = write(dir.path(), "truth.jsonl", truth.as_bytes());
    let r = write(dir.path(), "report.json", report.to_string().as_bytes());
    let o = run(&[
        "eval",
        "--json",
        "--truth",
        t.to_str().unwrap(),
        "--corpus",
        c.to_str().unwrap(),
        r.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["repeats"]["found"], 2);
    assert_eq!(v["repeats"]["relevant"], 2);
    assert_eq!(v["repeats"]["precision"], 0.5);
    assert_eq!(v["repeats"]["recall"], 0.5);
}
