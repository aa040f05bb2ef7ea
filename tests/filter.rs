//! `syndup filter`: every record ends up in exactly one place, runs are incremental, the index
//! survives SIGKILL, settings are checked, bytes are preserved.

use crate::util::*;
use proptest::prelude::*;
use std::io::{BufRead, Read, Write};
use std::process::Stdio;
use syndup::{Config, Index, VerifyMode};

/// The configuration `syndup filter` uses with default flags.
fn filter_config() -> Config {
    Config {
        verify: VerifyMode::Estimate,
        ..Config::default()
    }
}

fn jsonl(c: &[(String, String)]) -> String {
    c.iter()
        .map(|(id, text)| serde_json::json!({"id": id, "text": text}).to_string() + "\n")
        .collect()
}

/// Like `run_stdin`, but feeds standard input from a thread, so a large input cannot deadlock
/// against a full stdout pipe.
fn run_fed(args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = bin()
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = input.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    out
}

fn lines(b: &[u8]) -> Vec<&[u8]> {
    b.split(|&c| c == b'\n').filter(|l| !l.is_empty()).collect()
}

fn id_of(line: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(line).unwrap();
    v["id"].as_str().unwrap().to_string()
}

#[test]
fn two_runs_with_an_index_keep_what_one_run_keeps_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let c = corpus(11, 600, 60);
    let half = c.len() / 2;
    let a = write(dir.path(), "a.jsonl", jsonl(&c[..half]).as_bytes());
    let b = write(dir.path(), "b.jsonl", jsonl(&c[half..]).as_bytes());
    let all = write(dir.path(), "all.jsonl", jsonl(&c).as_bytes());
    let idx = dir.path().join("i.db");
    let (a, b, all, idx) = (
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        all.to_str().unwrap(),
        idx.to_str().unwrap(),
    );
    let r1 = run(&["filter", "-q", "--index", idx, a]);
    let r2 = run(&["filter", "-q", "--index", idx, b]);
    assert_eq!((r1.status.code(), r2.status.code()), (Some(0), Some(0)));
    let mut two = r1.stdout.clone();
    two.extend(&r2.stdout);
    let one = run(&["filter", "-q", all]);
    assert_eq!(one.status.code(), Some(0), "{}", stderr(&one));
    assert!(two == one.stdout, "two runs differ from one run");
    let kept = lines(&one.stdout).len();
    assert!(kept < c.len() && kept >= 600, "{kept} of {}", c.len());
    for threads in ["1", "3"] {
        let o = run(&["filter", "-q", "--threads", threads, all]);
        assert!(
            o.stdout == one.stdout,
            "output differs at {threads} threads"
        );
    }
    // The index knows run 1's records: rerunning file 1 replays the same verdicts.
    let again = run(&["filter", "--index", idx, a]);
    assert_eq!(again.stdout, r1.stdout);
    assert!(stderr(&again).contains("replayed"), "{}", stderr(&again));
}

#[test]
fn reuters_split_in_two_keeps_what_one_run_keeps() {
    let Some(path) = shared("data/reuters-21578.jsonl") else {
        return;
    };
    let data = std::fs::read(&path).unwrap();
    let all: Vec<&[u8]> = data.split_inclusive(|&b| b == b'\n').collect();
    let half = all.len() / 2;
    let dir = tempfile::tempdir().unwrap();
    let f1 = write(dir.path(), "part1.jsonl", &all[..half].concat());
    let f2 = write(dir.path(), "part2.jsonl", &all[half..].concat());
    for exact in [false, true] {
        let flags: &[&str] = if exact { &["--exact"] } else { &[] };
        let idx = dir.path().join(format!("reuters-{exact}.db"));
        let idx = idx.to_str().unwrap();
        let go = |extra: &[&str]| run(&[&["filter"], flags, extra].concat());
        let r1 = go(&["--index", idx, f1.to_str().unwrap()]);
        let r2 = go(&["--index", idx, f2.to_str().unwrap()]);
        let one = go(&[path.to_str().unwrap()]);
        eprintln!("reuters part 1 {flags:?}: {}", stderr(&r1).trim());
        eprintln!("reuters part 2 {flags:?}: {}", stderr(&r2).trim());
        eprintln!("reuters one run {flags:?}: {}", stderr(&one).trim());
        let mut two = r1.stdout.clone();
        two.extend(&r2.stdout);
        assert!(
            two == one.stdout,
            "split runs differ from one run {flags:?}"
        );
        let kept = lines(&one.stdout).len();
        assert!(kept > 18_000 && kept < all.len(), "kept {kept}");
    }
}

#[test]
fn other_settings_are_a_clear_error_and_reference_leaves_the_index_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let c = corpus(3, 200, 60);
    let train = write(dir.path(), "train.jsonl", jsonl(&c[..150]).as_bytes());
    let test = write(dir.path(), "test.jsonl", jsonl(&c[100..]).as_bytes());
    let idx = dir.path().join("train.db");
    let (train, test, idx_s) = (
        train.to_str().unwrap(),
        test.to_str().unwrap(),
        idx.to_str().unwrap(),
    );
    assert_eq!(
        run(&["filter", "-q", "--index", idx_s, train])
            .status
            .code(),
        Some(0)
    );
    let o = run(&["filter", "--index", idx_s, "--num-perm", "64", test]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("num_perm is 128 in the index, 64 in this run (--num-perm)"),
        "{err}"
    );
    let o = run(&["filter", "--index", idx_s, "--exact", test]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--exact"), "{}", stderr(&o));
    let not_index = write(
        dir.path(),
        "notes.db",
        b"plain text, not a database at all....",
    );
    let o = run(&["filter", "--index", not_index.to_str().unwrap(), test]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a syndup index"), "{}", stderr(&o));

    let before = std::fs::read(&idx).unwrap();
    let o = run(&[
        "filter",
        "--reference",
        "--index",
        idx_s,
        "--annotate",
        test,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(&idx).unwrap(),
        before,
        "--reference changed the index"
    );
    let index = Index::open_reference(&idx, &filter_config()).unwrap();
    let out = lines(&o.stdout);
    assert_eq!(out.len(), c.len() - 100, "annotate passes every record on");
    // Records 100..150 were decided by the training run: each is a duplicate of a record kept
    // there (itself, or what it duplicated). The others are unique unless they copy one.
    for (line, (id, _)) in out.iter().zip(&c[100..]) {
        let v: serde_json::Value = serde_json::from_slice(line).unwrap();
        if c[..150].iter().any(|(i, _)| i == id) {
            assert_ne!(v["relation"], "unique", "{v}");
        }
        if v["relation"] == "unique" {
            assert!(index.lookup(id).unwrap().is_none());
        } else {
            let kept = index
                .lookup(v["dup_of"].as_str().unwrap())
                .unwrap()
                .unwrap();
            assert_eq!(kept.verdict, syndup::index::StoredKind::Kept);
        }
    }
}

#[test]
fn annotate_preserves_every_byte_and_the_key_order() {
    let story = "The ferry company said on Friday that the night crossing to the islands would run again from the first of May after repairs to the pier";
    let input = format!(
        "{{\"z\": 1, \"text\": \"{story}\",   \"id\": \"first\", \"a\": [1, {{\"b\": null}}]}}\n\
         {{ \"id\":\"copy\",\"text\":\"{}\" , \"\u{e9}t\u{e9}\": \"\\u00e9\" }}\n\
         {{\"id\": \"other\", \"text\": \"a different note about the weather in the hills\"}}\n",
        story.to_uppercase()
    );
    let o = run_fed(&["filter", "-q", "--annotate"], input.as_bytes());
    assert_eq!(o.status.code(), Some(0));
    let ins: Vec<&str> = input.lines().collect();
    let out_text = stdout(&o);
    let outs: Vec<&str> = out_text.lines().collect();
    assert_eq!(outs.len(), 3);
    let unique = r#","dup_of":null,"similarity":null,"relation":"unique"}"#;
    assert_eq!(
        outs[0],
        format!("{}{unique}", ins[0].strip_suffix('}').unwrap())
    );
    assert_eq!(
        outs[1],
        format!(
            "{},\"dup_of\":\"first\",\"similarity\":1.0,\"relation\":\"exact_duplicate\"}}",
            ins[1].strip_suffix(" }").unwrap().to_string() + " "
        )
    );
    assert_eq!(
        outs[2],
        format!("{}{unique}", ins[2].strip_suffix('}').unwrap())
    );
    // Without --annotate, kept lines are the input lines byte for byte.
    let o = run_fed(&["filter", "-q"], input.as_bytes());
    assert_eq!(stdout(&o), format!("{}\n{}\n", ins[0], ins[2]));
}

/// A random stream: good records (some repeated or edited), malformed JSON, invalid UTF-8,
/// missing fields, empty texts, repeated ids with other content, blank lines and oversized
/// lines.
fn random_stream(seed: u64, n: usize) -> Vec<u8> {
    let mut rng = Rng(seed);
    let base = corpus(seed, n, 30);
    let mut out = Vec::new();
    for (i, (id, text)) in base.iter().enumerate() {
        match rng.below(12) {
            0 => out.extend_from_slice(b"{\"id\": \"broken\", \"text\": \"no end"),
            1 => {
                out.extend_from_slice(format!("{{\"id\":\"u{i}\",\"text\":\"caf").as_bytes());
                out.extend_from_slice(b"\xe9\"}");
            }
            2 => out.extend_from_slice(format!("{{\"id\":\"m{i}\"}}").as_bytes()),
            3 => {
                out.extend_from_slice(format!("{{\"id\":\"e{i}\",\"text\":\" ... \"}}").as_bytes())
            }
            4 => out.extend_from_slice(
                format!("{{\"id\":\"{id}\",\"text\":\"other words {i}\"}}").as_bytes(),
            ),
            5 => out.extend_from_slice(
                format!("{{\"id\":\"big{i}\",\"text\":\"{}\"}}", "x ".repeat(400)).as_bytes(),
            ),
            6 => out.extend_from_slice(b"   "),
            _ => {}
        }
        out.push(b'\n');
        out.extend_from_slice(
            serde_json::json!({"id": id, "text": text})
                .to_string()
                .as_bytes(),
        );
        out.push(b'\n');
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// kept + duplicates + rejected = input records, and each record is in exactly one output.
    #[test]
    fn every_record_ends_up_in_exactly_one_place(seed in 0u64..1_000_000, n in 1usize..60) {
        let dir = tempfile::tempdir().unwrap();
        let input = random_stream(seed, n);
        let dups = dir.path().join("dups.jsonl");
        let rejects = dir.path().join("rejects.jsonl");
        let o = run_fed(
            &["filter", "--max-doc-bytes", "700", "--duplicates", dups.to_str().unwrap(), "--rejects", rejects.to_str().unwrap()],
            &input,
        );
        prop_assert!(o.status.code() == Some(0) || o.status.code() == Some(2));
        let records: Vec<(u64, &[u8])> = input
            .split(|&b| b == b'\n')
            .enumerate()
            .map(|(i, l)| (i as u64 + 1, l))
            .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
            .collect();
        let kept = lines(&o.stdout);
        let d = std::fs::read(&dups).unwrap();
        let dropped = lines(&d);
        let r = std::fs::read(&rejects).unwrap();
        let rejected: Vec<serde_json::Value> = lines(&r).iter().map(|l| serde_json::from_slice(l).unwrap()).collect();
        prop_assert_eq!(kept.len() + dropped.len() + rejected.len(), records.len());
        // Rejected lines are named by line; kept lines are the input bytes; duplicates are the
        // input bytes plus the annotation.
        let rejected_lines: std::collections::BTreeSet<u64> = rejected.iter().map(|v| v["line"].as_u64().unwrap()).collect();
        prop_assert_eq!(rejected_lines.len(), rejected.len());
        let (mut k, mut dd) = (kept.iter().peekable(), dropped.iter().peekable());
        for (line, bytes) in &records {
            if rejected_lines.contains(line) {
                continue;
            }
            if k.peek().is_some_and(|l| l == &bytes) {
                k.next();
            } else {
                let next = dd.next().expect("a record is missing from every output");
                prop_assert!(next.starts_with(&bytes[..bytes.len() - 1]), "line {} not found", line);
            }
        }
        prop_assert!(k.next().is_none() && dd.next().is_none());
        let summary = stderr(&o);
        // "1 record", "2 records": the count is followed by the noun, singular or plural.
        prop_assert!(summary.contains(&format!("syndup filter: {} record", records.len())), "{}", summary);
    }
}

#[test]
fn a_100_mb_record_is_rejected_or_kept_whole_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.jsonl");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
        writeln!(
            f,
            "{}",
            serde_json::json!({"id": "before", "text": "the first small record of the file, kept"})
        )
        .unwrap();
        f.write_all(b"{\"id\": \"big\", \"text\": \"").unwrap();
        let words = b"lorem ipsum dolor sit amet consectetur adipiscing elit sed do ";
        for _ in 0..(100 << 20) / words.len() {
            f.write_all(words).unwrap();
        }
        f.write_all(b"\"}\n").unwrap();
        f.write_all(b"{\"id\": \"bad\", \"text\": \"\xff\xfe\"}\n")
            .unwrap();
        writeln!(
            f,
            "{}",
            serde_json::json!({"id": "after", "text": "the last small record, after the giant one"})
        )
        .unwrap();
    }
    let rejects = dir.path().join("rejects.jsonl");
    let o = run(&[
        "filter",
        p.to_str().unwrap(),
        "--rejects",
        rejects.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let kept: Vec<String> = lines(&o.stdout).iter().map(|l| id_of(l)).collect();
    assert_eq!(kept, ["before", "after"]);
    let r: Vec<serde_json::Value> = std::fs::read_to_string(&rejects)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(r.len(), 2);
    assert_eq!(
        (r[0]["line"].as_u64(), r[0]["kind"].as_str()),
        (Some(2), Some("too_large"))
    );
    assert_eq!(
        (r[1]["line"].as_u64(), r[1]["kind"].as_str()),
        (Some(3), Some("invalid_utf8"))
    );
    // With a larger limit the giant record is read, kept and written back byte for byte.
    let o = run(&[
        "filter",
        "-q",
        p.to_str().unwrap(),
        "--max-doc-bytes",
        "200000000",
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "the invalid UTF-8 line is still rejected"
    );
    let input = std::fs::read(&p).unwrap();
    let expected: Vec<&[u8]> = input
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let got = lines(&o.stdout);
    assert_eq!(got.len(), 3);
    assert!(
        got[1] == expected[1],
        "the 100 MB line is not byte-identical"
    );
}

/// Kills `syndup filter --index` with SIGKILL mid-stream, then checks that every id it
/// printed is in the index and that a rerun gives the verdicts of an uninterrupted run.
#[test]
fn sigkill_mid_stream_loses_nothing_and_a_rerun_gives_the_same_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let c = corpus(5, 30_000, 100);
    let input = jsonl(&c);
    assert!(input.len() > 30 << 20, "the input spans many batches");
    let idx = dir.path().join("crash.db");
    let idx_s = idx.to_str().unwrap();

    let mut child = bin()
        .args(["filter", "-q", "--index", idx_s, "--threads", "2"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = input.clone().into_bytes();
    let feeder = std::thread::spawn(move || {
        // Errors are expected once the child is killed.
        for chunk in data.chunks(1 << 16) {
            if stdin.write_all(chunk).is_err() {
                break;
            }
        }
    });
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut printed: Vec<u8> = Vec::new();
    while printed.iter().filter(|&&b| b == b'\n').count() < 2000 {
        let n = out.read_until(b'\n', &mut printed).unwrap();
        assert!(n > 0, "the filter ended before it was killed");
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // What was already in the pipe was written out too; a line cut by the kill is ignored.
    out.read_to_end(&mut printed).unwrap();
    feeder.join().unwrap();
    let cut = printed
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let printed = lines(&printed[..cut]);

    let full = run(&[
        "filter",
        "-q",
        "--index",
        dir.path().join("clean.db").to_str().unwrap(),
        &write(dir.path(), "all.jsonl", input.as_bytes())
            .display()
            .to_string(),
    ]);
    let full_lines = lines(&full.stdout).len();
    assert!(
        printed.len() >= 2000 && printed.len() < full_lines,
        "killed mid-stream: {} of {full_lines}",
        printed.len()
    );

    let index = Index::open(&idx, &filter_config()).unwrap();
    for l in &printed {
        let id = id_of(l);
        let v = index.lookup(&id).unwrap();
        assert!(v.is_some(), "printed record {id} is not in the index");
    }
    drop(index);
    let rerun = run_fed(&["filter", "-q", "--index", idx_s], input.as_bytes());
    assert_eq!(rerun.status.code(), Some(0));
    assert!(
        rerun.stdout == full.stdout,
        "the rerun's verdicts differ from an uninterrupted run"
    );
}

/// A slow producer: a record passes within about a second, not when 4 MiB have accumulated.
#[test]
fn a_slow_producer_sees_each_record_pass_promptly() {
    let mut child = bin()
        .args(["filter", "-q"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut got = Vec::new();
        for _ in 0..2 {
            let mut line = String::new();
            out.read_line(&mut line).unwrap();
            tx.send(std::time::Instant::now()).unwrap();
            got.push(line);
        }
        got
    });
    let records = [
        r#"{"id": "1", "text": "the first record of a slow stream about the harbour and its ferries"}"#,
        r#"{"id": "2", "text": "a second record, written a while later, about the weather in the hills"}"#,
    ];
    for r in records {
        let sent = std::time::Instant::now();
        writeln!(stdin, "{r}").unwrap();
        stdin.flush().unwrap();
        let arrived = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("the record did not pass while the input stayed open");
        assert!(arrived.duration_since(sent) < std::time::Duration::from_secs(10));
    }
    drop(stdin);
    let got = reader.join().unwrap();
    assert_eq!(got, records.map(|r| format!("{r}\n")));
    assert_eq!(child.wait().unwrap().code(), Some(0));
}
