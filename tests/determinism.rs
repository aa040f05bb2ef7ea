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
