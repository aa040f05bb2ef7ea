//! Byte-identical output across thread counts and runs.

use crate::util::*;

#[test]
fn reports_are_identical_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let lines: String = corpus(7, 1500, 120)
        .into_iter()
        .map(|(id, text)| serde_json::json!({"id": id, "text": text}).to_string() + "\n")
        .collect();
    let p = write(dir.path(), "c.jsonl", lines.as_bytes());
    let p = p.to_str().unwrap();
    let mut outs = Vec::new();
    for threads in ["1", "2", "4", "3"] {
        for format in ["json", "jsonl", "text"] {
            let o = run(&[
                "scan",
                p,
                "samples",
                "-q",
                "--format",
                format,
                "--threads",
                threads,
            ]);
            assert_eq!(o.status.code(), Some(0));
            outs.push((format, o.stdout));
        }
    }
    for (f, o) in &outs[3..] {
        let first = &outs.iter().find(|(g, _)| g == f).unwrap().1;
        assert!(o == first, "{f} output differs between thread counts");
    }
    let r: syndup::Report = serde_json::from_slice(&outs[0].1).unwrap();
    assert!(r.clusters.len() > 100, "the corpus has planted copies");
}

#[test]
fn a_tiny_memory_budget_reads_in_many_batches_and_changes_nothing() {
    // Planted copies, partial copies among them, so every batched stage has work:
    // verification, containment, clustering with roles, passages.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    let g = run(&[
        "generate",
        "--from",
        "samples",
        "-n",
        "1500",
        "--seed",
        "5",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(g.status.code(), Some(0), "{}", stderr(&g));
    let corpus = out.join("corpus.jsonl");
    let bytes = std::fs::read(&corpus).unwrap();
    // The same records compressed: read again from the spool in --tmp-dir.
    let gz = dir.path().join("c.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &bytes).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let spool = dir.path().join("spool");
    std::fs::create_dir(&spool).unwrap();
    let scan = |input: &str, extra: &[&str]| {
        let mut args = vec!["scan", input, "-q", "--format", "json"];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        o.stdout
    };
    let c = corpus.to_str().unwrap();
    let base = scan(c, &["--threads", "2"]);
    let r: syndup::Report = serde_json::from_slice(&base).unwrap();
    assert!(r.clusters.len() > 50, "the corpus has planted copies");
    assert!(r.stats.contained_pairs > 0, "and partial copies");
    let spool_dir = spool.to_str().unwrap();
    for extra in [
        &["--threads", "1", "--memory", "1M"][..],
        &["--threads", "2", "--memory", "2M"],
        &["--threads", "2", "--memory", "1M", "--tmp-dir", spool_dir],
    ] {
        assert!(scan(c, extra) == base, "{extra:?} changed the report");
    }
    let from_gz = scan(
        gz.to_str().unwrap(),
        &["--memory", "1M", "--tmp-dir", spool_dir],
    );
    let rz: syndup::Report = serde_json::from_slice(&from_gz).unwrap();
    assert_eq!(
        serde_json::to_string(&rz.clusters).unwrap(),
        serde_json::to_string(&r.clusters).unwrap()
    );
    assert_eq!(
        serde_json::to_string(&rz.pairs).unwrap(),
        serde_json::to_string(&r.pairs).unwrap()
    );
    let o = run_stdin(
        &[
            "scan",
            "-",
            "-q",
            "--format",
            "json",
            "--memory",
            "1M",
            "--tmp-dir",
            spool_dir,
        ],
        &bytes,
    );
    let rs: syndup::Report = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        serde_json::to_string(&rs.pairs).unwrap(),
        serde_json::to_string(&r.pairs).unwrap()
    );
    // JSON Lines streams its clusters and pairs, spilled to --tmp-dir while they wait for
    // their order; with --kept the report is made in memory first. Both are the same bytes,
    // at any budget, and they say what the JSON report says.
    let jsonl = |extra: &[&str]| {
        let mut args = vec!["scan", c, "-q", "--format", "jsonl", "--tmp-dir", spool_dir];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        o.stdout
    };
    let kept = dir.path().join("kept.jsonl");
    let in_memory = jsonl(&["--kept", kept.to_str().unwrap()]);
    for extra in [&["--memory", "1M"][..], &["--threads", "1"], &[]] {
        assert!(
            jsonl(extra) == in_memory,
            "{extra:?}: the streamed report differs"
        );
    }
    let lines: Vec<serde_json::Value> = in_memory
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let of = |kind: &str| -> Vec<&serde_json::Value> {
        lines
            .iter()
            .filter(|l| l["type"] == kind)
            .map(|l| &l["data"])
            .collect()
    };
    assert_eq!(
        serde_json::to_value(&r.clusters).unwrap(),
        serde_json::Value::Array(of("cluster").into_iter().cloned().collect())
    );
    assert_eq!(
        serde_json::to_value(&r.pairs).unwrap(),
        serde_json::Value::Array(of("pair").into_iter().cloned().collect())
    );
    assert_eq!(
        std::fs::read_dir(&spool).unwrap().count(),
        0,
        "the spool files are removed"
    );
    let bad = run(&["scan", c, "--memory", "lots"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--memory"), "{}", stderr(&bad));
}

#[test]
fn input_read_in_several_batches_keeps_every_record_in_line_order() {
    // About 10 MB: three batches of the reader (4 MB each), each signed while the one before
    // is appended. A malformed line and a duplicate id in later batches, an empty text at
    // the start of another: every record is accounted for, problems come in line order, and
    // the report is the same at one and two threads.
    let dir = tempfile::tempdir().unwrap();
    let docs = corpus(11, 9000, 160);
    let n = docs.len();
    let mut lines = String::new();
    for (i, (id, text)) in docs.iter().enumerate() {
        let line = match i {
            _ if i == n / 2 => "{\"id\": \"broken\", \"text\": \n".to_string(),
            _ if i == 2 * n / 3 => {
                serde_json::json!({"id": docs[3].0, "text": "again"}).to_string() + "\n"
            }
            _ if i == n / 3 => serde_json::json!({"id": id, "text": "  "}).to_string() + "\n",
            _ => serde_json::json!({"id": id, "text": text}).to_string() + "\n",
        };
        lines.push_str(&line);
    }
    assert!(
        lines.len() > 9 << 20,
        "{} bytes: not three batches",
        lines.len()
    );
    let p = write(dir.path(), "c.jsonl", lines.as_bytes());
    let p = p.to_str().unwrap();
    let mut outs = Vec::new();
    for threads in ["2", "1"] {
        let o = run(&["scan", p, "-q", "--format", "json", "--threads", threads]);
        // Exit status 2: records were rejected (and reported).
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        outs.push(o.stdout);
    }
    assert!(
        outs[0] == outs[1],
        "the report differs between thread counts"
    );
    let r: syndup::Report = serde_json::from_slice(&outs[0]).unwrap();
    let found: Vec<(Option<u64>, String)> = r
        .problems
        .iter()
        .map(|p| (p.line, format!("{:?}", p.kind)))
        .collect();
    let line = |i: usize| Some(i as u64 + 1);
    assert_eq!(
        found.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        [line(n / 3), line(n / 2), line(2 * n / 3)],
        "{found:?}"
    );
    assert_eq!(r.stats.documents + r.stats.problems, n as u64);
    assert_eq!(r.stats.documents, n as u64 - 3);
}
