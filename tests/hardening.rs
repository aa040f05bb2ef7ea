//! Issue 17, "nothing lost, nothing hangs": one regression test per fault found by trying
//! syndup as an attacker would, each named after it. Every run has a deadline
//! ([`run_within`]), so a regression fails instead of hanging CI.

use crate::util::*;
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

/// What a run under a deadline gave: its output and the peak resident memory seen (KiB).
pub struct Run {
    pub output: Output,
    pub peak_kib: u64,
}

impl Run {
    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
}

/// The peak resident set (`VmHWM`) of a running process, in KiB (Linux; 0 elsewhere).
fn vm_hwm_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Runs `syndup ARGS` in `dir` with `stdin` (or none), killing it and failing the test when
/// it has not finished within `secs` seconds. Samples the child's peak memory as it runs.
pub fn run_within<S: AsRef<OsStr>>(secs: u64, dir: &Path, args: &[S], stdin: Option<&[u8]>) -> Run {
    let mut child = bin()
        .args(args)
        .current_dir(dir)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn syndup");
    let feeder = stdin.map(|bytes| {
        let mut pipe = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        })
    });
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut peak = 0;
    let status = loop {
        peak = peak.max(vm_hwm_kib(child.id()));
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let args: Vec<String> = args
                .iter()
                .map(|a| a.as_ref().to_string_lossy().into_owned())
                .collect();
            panic!("syndup {} did not finish within {secs} s", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    if let Some(f) = feeder {
        let _ = f.join();
    }
    Run {
        output: Output {
            status,
            stdout: out.join().unwrap(),
            stderr: err.join().unwrap(),
        },
        peak_kib: peak,
    }
}

fn json(r: &Run) -> serde_json::Value {
    serde_json::from_slice(&r.output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout(), r.stderr()))
}

#[cfg(unix)]
fn mkfifo(path: &Path) -> bool {
    std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

/// Writes `bytes` into the FIFO at `path` from a thread (opening it blocks until a reader
/// comes). Returns the thread.
#[cfg(unix)]
fn feed_fifo(path: &Path, bytes: Vec<u8>) -> std::thread::JoinHandle<()> {
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&path) {
            let _ = f.write_all(&bytes);
        }
    })
}

/// Fault 5: numeric ids above 2^64 went through f64 and collided; file names that differ
/// only in bytes that are not UTF-8 got one id.
#[test]
fn fault_05_numeric_ids_and_non_utf8_names_stay_distinct() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "big.jsonl",
        b"{\"id\":18446744073709551616,\"text\":\"one two three four five six\"}\n\
          {\"id\":18446744073709551617,\"text\":\"seven eight nine ten eleven twelve\"}\n",
    );
    let r = run_within(
        30,
        dir.path(),
        &["scan", "big.jsonl", "--format", "json"],
        None,
    );
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    assert_eq!(json(&r)["stats"]["documents"], 2);
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let names = dir.path().join("names");
        std::fs::create_dir(&names).unwrap();
        for b in [0xe9u8, 0xe8] {
            let name = [b"n-".as_slice(), &[b], b".txt"].concat();
            std::fs::write(
                names.join(OsStr::from_bytes(&name)),
                "the same words in both of these files",
            )
            .unwrap();
        }
        let r = run_within(30, dir.path(), &["scan", "names", "--format", "json"], None);
        assert_eq!(r.code(), Some(0), "{}", r.stderr());
        let report = json(&r);
        assert_eq!(report["stats"]["documents"], 2);
        assert_eq!(
            report["clusters"][0]["members"],
            serde_json::json!(["names/n-\\xE8.txt", "names/n-\\xE9.txt"])
        );
        // Such a name is also accepted on the command line.
        let one = names.join(OsStr::from_bytes(b"n-\xe9.txt"));
        let r = run_within(30, dir.path(), &[OsStr::new("scan"), one.as_os_str()], None);
        assert_eq!(r.code(), Some(0), "{}", r.stderr());
    }
}

/// Fault 7: `ln -s . d/a` made the walk run for ever with growing memory, and `ln -s .. sub/up`
/// read a file 41 times.
#[cfg(unix)]
#[test]
fn fault_07_symlink_loops_terminate_and_each_file_is_read_once() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("d");
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::fs::write(d.join("x.txt"), "a doc with several words in it").unwrap();
    std::fs::write(d.join("sub/y.txt"), "another doc with several other words").unwrap();
    symlink(".", d.join("a")).unwrap();
    symlink(".", d.join("b")).unwrap();
    symlink("..", d.join("sub/up")).unwrap();
    let r = run_within(60, dir.path(), &["scan", "d", "--format", "json"], None);
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    let s = &json(&r)["stats"];
    assert_eq!(
        (s["files"].as_u64(), s["documents"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(s["skipped_files"], 3, "the three loops");
    assert_eq!(s["duplicates"], 0);
}

/// Fault 8: a `.txt` of unknown size (`ln -s /dev/zero z.txt`) was read whole: 12 GB in 15 s.
#[cfg(unix)]
#[test]
fn fault_08_a_text_of_unknown_size_is_read_up_to_max_doc_bytes() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("z.txt")).unwrap();
    let r = run_within(
        30,
        dir.path(),
        &[
            "scan",
            "z.txt",
            "--format",
            "json",
            "--max-doc-bytes",
            "1000000",
        ],
        None,
    );
    assert_eq!(r.code(), Some(2), "{}", r.stderr());
    let report = json(&r);
    assert_eq!(report["problems"][0]["kind"], "too_large");
    assert!(r.peak_kib < 500_000, "peak {} KiB", r.peak_kib);
}

/// Fault 9: a FIFO inside a scanned directory blocked for ever; a FIFO named on the command
/// line hung at the passages stage, which read it again.
#[cfg(unix)]
#[test]
fn fault_09_fifos_are_skipped_in_directories_and_read_once_when_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("d");
    std::fs::create_dir(&d).unwrap();
    std::fs::write(d.join("x.txt"), "a doc with several words in it").unwrap();
    if !mkfifo(&d.join("f.txt")) {
        eprintln!("SKIPPED: mkfifo is not available");
        return;
    }
    let r = run_within(60, dir.path(), &["scan", "d", "--format", "json"], None);
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    let s = &json(&r)["stats"];
    assert_eq!(
        (s["documents"].as_u64(), s["skipped_files"].as_u64()),
        (Some(1), Some(1))
    );

    let fifo = dir.path().join("f.jsonl");
    assert!(mkfifo(&fifo));
    let lines = b"{\"id\":\"a\",\"text\":\"one two three four five six seven\"}\n\
                  {\"id\":\"b\",\"text\":\"ONE two three four five six seven\"}\n";
    for extra in [
        &[][..],
        &["--sentences"][..],
        &["--format", "html", "-o", "r.html"][..],
    ] {
        let feeder = feed_fifo(&fifo, lines.to_vec());
        let mut args = vec!["scan", "f.jsonl"];
        args.extend(extra);
        let r = run_within(60, dir.path(), &args, None);
        feeder.join().unwrap();
        assert_eq!(r.code(), Some(0), "{extra:?}: {}", r.stderr());
        if extra.is_empty() {
            assert!(r.stdout().contains("a 0..33 = b 0..33"), "{}", r.stdout());
        }
    }
}

/// Fault 12: a BOM at the start of a `.jsonl` cost its first record, and messages started
/// with "eOF".
#[test]
fn fault_12_a_bom_is_skipped_and_messages_keep_their_capitals() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "bom.jsonl",
        b"\xef\xbb\xbf{\"id\":\"a\",\"text\":\"hello world\"}\n{\"id\":\"b\",\"text\":\"x",
    );
    let r = run_within(
        30,
        dir.path(),
        &["scan", "bom.jsonl", "--format", "json"],
        None,
    );
    assert_eq!(r.code(), Some(2));
    let report = json(&r);
    assert_eq!(report["stats"]["documents"], 1);
    assert_eq!(report["problems"].as_array().unwrap().len(), 1);
    let p = &report["problems"][0];
    assert_eq!(p["line"], 2);
    let message = p["message"].as_str().unwrap();
    assert!(
        message.starts_with("unexpected end of the record while parsing a string"),
        "{message}"
    );
}

/// Fault 10: `--threads 2048` turned a 0.8 s job into 100 s, and `--max-bucket 100000` on
/// 100,000 identical documents ran out of memory (23.8 GB).
#[test]
fn fault_10_threads_and_max_bucket_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_within(
        60,
        &root(),
        &["scan", "samples", "-q", "--threads", "2048"],
        None,
    );
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    assert!(
        r.stderr()
            .contains("warning: --threads 2048 is more than 8 per core"),
        "{}",
        r.stderr()
    );

    let mut corpus = String::new();
    for i in 0..20_000 {
        corpus.push_str(&format!(
            "{{\"id\":\"{i}\",\"text\":\"the very same story told again and again, word for word\"}}\n"
        ));
    }
    write(dir.path(), "same.jsonl", corpus.as_bytes());
    let r = run_within(
        60,
        dir.path(),
        &["scan", "same.jsonl", "--max-bucket", "100000"],
        None,
    );
    assert_eq!(r.code(), Some(2));
    assert!(
        r.stderr()
            .contains("--max-bucket must be between 2 and 1000"),
        "{}",
        r.stderr()
    );
    let r = run_within(
        120,
        dir.path(),
        &[
            "scan",
            "same.jsonl",
            "--max-bucket",
            "1000",
            "--format",
            "json",
            "--no-passages",
        ],
        None,
    );
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    let s = &json(&r)["stats"];
    assert_eq!(
        (s["clusters"].as_u64(), s["duplicates"].as_u64()),
        (Some(1), Some(19_999))
    );
    assert!(r.peak_kib < 1_000_000, "peak {} KiB", r.peak_kib);
}

/// Fault 4: `filter --duplicates a.jsonl a.jsonl` emptied its input (exit 0), `--rejects`
/// likewise, and `scan -o X X` overwrote the input with the report.
#[test]
fn fault_04_an_output_onto_an_input_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let line = b"{\"id\":\"a\",\"text\":\"one two three four five six seven\"}\n";
    let a = write(dir.path(), "a.jsonl", line);
    std::fs::create_dir(dir.path().join("d")).unwrap();
    write(&dir.path().join("d"), "in.jsonl", line);
    let cases: [&[&str]; 6] = [
        &["filter", "--duplicates", "a.jsonl", "a.jsonl"],
        &["filter", "--rejects", "./a.jsonl", "a.jsonl"],
        &["scan", "-o", "a.jsonl", "a.jsonl"],
        &["scan", "--format", "jsonl", "-o", "d/in.jsonl", "d"],
        &[
            "filter",
            "--index",
            "a.jsonl",
            "--duplicates",
            "a.jsonl",
            "d",
        ],
        &[
            "filter",
            "--duplicates",
            "x.jsonl",
            "--rejects",
            "x.jsonl",
            "a.jsonl",
        ],
    ];
    for args in cases {
        let r = run_within(30, dir.path(), args, None);
        assert_eq!(r.code(), Some(2), "{args:?}");
        let err = r.stderr();
        assert!(
            err.contains("would destroy the input") || err.contains("name the same file"),
            "{args:?}: {err}"
        );
        assert_eq!(std::fs::read(&a).unwrap(), line, "{args:?}");
        assert_eq!(std::fs::read(dir.path().join("d/in.jsonl")).unwrap(), line);
    }
    // Standard output appended to the input would make `filter` read its own output for ever.
    let out = std::fs::OpenOptions::new().append(true).open(&a).unwrap();
    let o = bin()
        .args(["filter", "a.jsonl"])
        .current_dir(dir.path())
        .stdout(out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("standard output is the input"));
    assert_eq!(std::fs::read(&a).unwrap(), line);
}

/// A story of 30 words of its own.
fn story(i: usize) -> String {
    let words: Vec<String> = (0..30).map(|j| format!("w{i}x{j}")).collect();
    words.join(" ")
}

/// Five distinct stories and an exact copy of the first.
fn stories() -> Vec<u8> {
    let mut out = String::new();
    for i in 0..5 {
        out.push_str(&serde_json::json!({"id": format!("r{i}"), "text": story(i)}).to_string());
        out.push('\n');
    }
    out.push_str(&serde_json::json!({"id": "c", "text": story(0).to_uppercase()}).to_string());
    out.push('\n');
    out.into_bytes()
}

/// Fault 2: after `filter --index s.db x.jsonl`, running `./x.jsonl` (or an absolute path, or
/// the same bytes on stdin) marked every record an `exact_duplicate` of its own id: 0 kept.
#[test]
fn fault_02_a_rerun_does_not_depend_on_how_the_path_is_spelled() {
    let dir = tempfile::tempdir().unwrap();
    let input = stories();
    let x = write(dir.path(), "x.jsonl", &input);
    let first = run_within(
        60,
        dir.path(),
        &["filter", "--index", "s.db", "x.jsonl"],
        None,
    );
    assert_eq!(first.code(), Some(0), "{}", first.stderr());
    assert_eq!(first.output.stdout.split(|&b| b == b'\n').count() - 1, 5);
    let abs = x.to_str().unwrap().to_string();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    for (cwd, path, stdin) in [
        (dir.path(), "./x.jsonl", None),
        (dir.path(), abs.as_str(), None),
        (sub.as_path(), "../x.jsonl", None),
        (dir.path(), "-", Some(input.as_slice())),
    ] {
        let index = dir.path().join("s.db");
        let args = ["filter", "--index", index.to_str().unwrap(), path];
        let r = run_within(60, cwd, &args, stdin);
        assert_eq!(r.code(), Some(0), "{path}: {}", r.stderr());
        assert_eq!(
            r.output.stdout, first.output.stdout,
            "{path}: the same records kept"
        );
        assert!(
            r.stderr().contains("6 verdicts replayed"),
            "{path}: {}",
            r.stderr()
        );
    }
}

/// Fault 3: an empty index file was silently treated as new (exit 0): every committed record
/// gone without a word.
#[test]
fn fault_03_an_empty_or_foreign_index_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x.jsonl", &stories());
    write(dir.path(), "empty.db", b"");
    write(dir.path(), "text.db", b"hello, not a database");
    for (index, expect) in [
        ("empty.db", "is empty (0 bytes), not a syndup index"),
        ("text.db", "is not a syndup index (not an SQLite database)"),
    ] {
        for extra in [&[][..], &["--reference"][..]] {
            let mut args = vec!["filter", "--index", index, "x.jsonl"];
            args.extend(extra);
            let r = run_within(30, dir.path(), &args, None);
            assert_eq!(r.code(), Some(2), "{index} {extra:?}");
            assert!(r.stderr().contains(expect), "{index}: {}", r.stderr());
            assert!(r.output.stdout.is_empty());
        }
        let r = run_within(30, dir.path(), &["index", "verify", index], None);
        assert_eq!(r.code(), Some(2));
        assert!(r.stderr().contains(expect), "{index}: {}", r.stderr());
    }
    assert_eq!(std::fs::read(dir.path().join("empty.db")).unwrap(), b"");
}

/// Fault 6: a hand-edited or bit-flipped row could pass SQLite's integrity check and change
/// verdicts silently. Every row carries a checksum: a run checks the rows it reads, and
/// `syndup index verify` all of them.
#[test]
fn fault_06_edited_index_rows_are_caught() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x.jsonl", &stories());
    let near =
        serde_json::json!({"id": "n", "text": story(3).replace("w3x29", "changed")}).to_string();
    write(dir.path(), "near.jsonl", format!("{near}\n").as_bytes());
    let r = run_within(
        60,
        dir.path(),
        &["filter", "--index", "s.db", "x.jsonl"],
        None,
    );
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    let r = run_within(30, dir.path(), &["index", "verify", "s.db"], None);
    assert_eq!(r.code(), Some(0), "{}", r.stdout());
    assert!(r.stdout().contains("intact"), "{}", r.stdout());
    let edits: [(&str, &str, bool); 5] = [
        (
            "UPDATE verdicts SET similarity = 0.5 WHERE id = 'c'",
            "stored verdict of id `c`",
            true,
        ),
        (
            "UPDATE band_keys SET keys = CAST(substr(keys, 1, 20) || x'00' || substr(keys, 22) AS BLOB) WHERE rec = 1",
            "band keys of record 1",
            true,
        ),
        (
            "UPDATE sources SET path = path || 'x'",
            "input path",
            true,
        ),
        (
            "UPDATE meta SET value = replace(value, '\"seed\":1', '\"seed\":2')",
            "header",
            true,
        ),
        (
            "UPDATE records SET signature = CAST(substr(signature, 1, 7) || x'ff' || substr(signature, 9) AS BLOB) WHERE rec = 3",
            "record 3",
            false,
        ),
    ];
    for (sql, what, on_rerun) in edits {
        std::fs::copy(dir.path().join("s.db"), dir.path().join("t.db")).unwrap();
        let conn = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
        assert_eq!(conn.execute(sql, []).unwrap(), 1, "{sql}");
        let ok: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok", "SQLite sees nothing wrong");
        drop(conn);
        let r = run_within(30, dir.path(), &["index", "verify", "t.db"], None);
        assert_eq!(r.code(), Some(2), "{sql}: {}", r.stdout());
        assert!(r.stdout().contains(what), "{sql}: {}", r.stdout());
        // A run stops at the first damaged row it reads: the rerun reads stored verdicts,
        // band keys, paths and the header; a near-duplicate reads the candidate's signature.
        let input = if on_rerun { "x.jsonl" } else { "near.jsonl" };
        let r = run_within(30, dir.path(), &["filter", "--index", "t.db", input], None);
        assert_eq!(r.code(), Some(2), "{sql}: {}", r.stderr());
        assert!(
            r.stderr().contains("fails its checksum"),
            "{sql}: {}",
            r.stderr()
        );
        assert!(r.output.stdout.is_empty(), "{sql}");
    }
}

/// Fault 11: of two writers racing to create a new index, the loser got `table meta already
/// exists` instead of the documented "in use" message.
#[test]
fn fault_11_racing_index_creators_get_the_in_use_message() {
    let dir = tempfile::tempdir().unwrap();
    let line = b"{\"id\":\"a\",\"text\":\"one two three four five six seven\"}\n";
    for round in 0..6 {
        let index = format!("race-{round}.db");
        let spawn = || {
            let mut c = bin()
                .args(["filter", "-q", "--index", &index])
                .current_dir(dir.path())
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            c.stdin.as_mut().unwrap().write_all(line).unwrap();
            c
        };
        let mut both = [spawn(), spawn()];
        // Both hold their standard input open, so the winner keeps the index: the loser
        // must end by itself, with the documented message.
        let deadline = Instant::now() + Duration::from_secs(40);
        let loser = loop {
            if let Some(i) = (0..2).find(|&i| both[i].try_wait().unwrap().is_some()) {
                break i;
            }
            if Instant::now() > deadline {
                for c in &mut both {
                    let _ = c.kill();
                }
                panic!("round {round}: neither writer gave up");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let winner = 1 - loser;
        let mut err = String::new();
        both[loser]
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = both[loser].wait().unwrap();
        assert_eq!(status.code(), Some(2), "round {round}: {err}");
        assert!(
            err.contains("is in use by another process"),
            "round {round}: {err}"
        );
        drop(both[winner].stdin.take());
        let status = both[winner].wait().unwrap();
        assert_eq!(status.code(), Some(0), "round {round}");
        let r = run_within(30, dir.path(), &["index", "verify", &index], None);
        assert_eq!(r.code(), Some(0), "{}", r.stdout());
        assert!(r.stdout().contains("1 records"), "{}", r.stdout());
    }
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".new"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

/// Fault 1: a text under k words is one shingle, so its signature is one value repeated; under
/// signature estimates (the filter's default) one 32-bit collision read as similarity 1.0 and
/// 121 of 1M distinct short records were dropped. `t52395` and `t120842` collide.
#[test]
fn fault_01_short_distinct_texts_are_not_near_duplicates_by_chance() {
    let dir = tempfile::tempdir().unwrap();
    let lines = b"{\"id\":\"a\",\"text\":\"t52395\"}\n{\"id\":\"b\",\"text\":\"t120842\"}\n\
                  {\"id\":\"c\",\"text\":\"T52395\"}\n{\"id\":\"d\",\"text\":\"t52395!\"}\n";
    write(dir.path(), "short.jsonl", lines);
    let r = run_within(
        30,
        dir.path(),
        &["filter", "--annotate", "short.jsonl"],
        None,
    );
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    let relations: Vec<(String, String)> = r
        .stdout()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["id"].to_string(), v["relation"].to_string())
        })
        .collect();
    let rel = |id: &str, r: &str| (format!("\"{id}\""), format!("\"{r}\""));
    assert_eq!(
        relations,
        [
            rel("a", "unique"),
            rel("b", "unique"),
            rel("c", "exact_duplicate"),
            rel("d", "exact_duplicate")
        ]
    );
    let r = run_within(
        30,
        dir.path(),
        &[
            "scan",
            "--verify",
            "estimate",
            "--format",
            "json",
            "short.jsonl",
        ],
        None,
    );
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    let report = json(&r);
    assert_eq!(report["clusters"].as_array().unwrap().len(), 1);
    assert_eq!(
        report["clusters"][0]["members"],
        serde_json::json!(["a", "c", "d"])
    );
    // Across runs: the short kept record's set is in the index.
    write(dir.path(), "a.jsonl", &lines[..27]);
    let r = run_within(
        30,
        dir.path(),
        &["filter", "--index", "s.db", "a.jsonl"],
        None,
    );
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    let b = b"{\"id\":\"b\",\"text\":\"t120842\"}\n";
    let r = run_within(30, dir.path(), &["filter", "--index", "s.db", "-"], Some(b));
    assert_eq!(r.output.stdout, b, "{}", r.stderr());
    let r = run_within(30, dir.path(), &["index", "verify", "s.db"], None);
    assert!(
        r.stdout().contains("2 shingle sets") && r.code() == Some(0),
        "{}",
        r.stdout()
    );
}

/// One entry of a hostile input directory.
#[derive(Debug, Clone)]
enum Entry {
    /// A JSON Lines file of these lines.
    Jsonl(Vec<Line>),
    /// A text file: words, or none (an empty document).
    Text(u8),
    /// A FIFO (never opened by a directory walk).
    Fifo,
    /// A link to the directory itself (`ln -s . loopN`) or, inside a subdirectory, to its
    /// parent: a loop.
    Loop(bool),
    /// A second name for the first file (read once).
    Alias,
    /// A link to nothing, with a name syndup reads: a problem.
    Broken,
    /// A file of a kind syndup does not read.
    Other,
}

/// One line of a JSON Lines file.
#[derive(Debug, Clone, Copy)]
enum Line {
    /// A good record: a story (`0..4` repeat earlier stories: duplicates) of some words.
    Good(u8, u8),
    Blank,
    Malformed,
    InvalidUtf8,
    MissingText,
    NotAString,
    Empty,
    TooLarge,
    /// A good record with an id used before.
    DuplicateId,
}

fn line_strategy() -> impl proptest::strategy::Strategy<Value = Line> {
    use proptest::prelude::*;
    prop_oneof![
        6 => (0u8..12, 1u8..40).prop_map(|(s, w)| Line::Good(s, w)),
        1 => Just(Line::Blank),
        1 => Just(Line::Malformed),
        1 => Just(Line::InvalidUtf8),
        1 => Just(Line::MissingText),
        1 => Just(Line::NotAString),
        1 => Just(Line::Empty),
        1 => Just(Line::TooLarge),
        1 => Just(Line::DuplicateId),
    ]
}

fn entry_strategy() -> impl proptest::strategy::Strategy<Value = Entry> {
    use proptest::prelude::*;
    prop_oneof![
        4 => proptest::collection::vec(line_strategy(), 0..30).prop_map(Entry::Jsonl),
        2 => (0u8..30).prop_map(Entry::Text),
        1 => Just(Entry::Fifo),
        1 => proptest::bool::ANY.prop_map(Entry::Loop),
        1 => Just(Entry::Alias),
        1 => Just(Entry::Broken),
        1 => Just(Entry::Other),
    ]
}

/// What a scan of the directory must report, computed from the entries.
#[derive(Debug, Default, PartialEq)]
struct Expected {
    documents: u64,
    problems: u64,
    skipped_files: u64,
    /// Non-blank JSON lines (what the filter reads).
    json_records: u64,
}

/// Writes the entries into `dir` (files `e{i}...`, some links inside `dir/sub`) and says what
/// a scan must find. `fifo` says whether FIFOs can be made here.
#[cfg(unix)]
fn build(dir: &Path, entries: &[Entry], fifo: bool) -> Expected {
    use std::os::unix::fs::symlink;
    let mut ex = Expected::default();
    let story = |s: u8, w: u8| -> String {
        (0..w as usize)
            .map(|i| format!("s{}w{}", s % 4, (i * 7 + s as usize) % 50))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let sub = dir.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    let mut first_file: Option<std::path::PathBuf> = None;
    let mut next_id = 0;
    for (i, e) in entries.iter().enumerate() {
        match e {
            Entry::Jsonl(lines) => {
                let mut bytes = Vec::new();
                for l in lines {
                    let id = format!("r{i}-{next_id}");
                    next_id += 1;
                    let rec: Vec<u8> = match l {
                        Line::Good(s, w) => {
                            serde_json::json!({"id": id, "text": story(*s, *w)}).to_string().into_bytes()
                        }
                        Line::DuplicateId => {
                            serde_json::json!({"id": "shared-id", "text": format!("text {next_id}")}).to_string().into_bytes()
                        }
                        Line::Blank => b"   ".to_vec(),
                        Line::Malformed => format!("{{\"id\":\"{id}\",\"text\":\"no end").into_bytes(),
                        Line::InvalidUtf8 => {
                            [format!("{{\"id\":\"{id}\",\"text\":\"caf").as_bytes(), b"\xe9\"}"].concat()
                        }
                        Line::MissingText => format!("{{\"id\":\"{id}\"}}").into_bytes(),
                        Line::NotAString => format!("{{\"id\":\"{id}\",\"text\":7}}").into_bytes(),
                        Line::Empty => format!("{{\"id\":\"{id}\",\"text\":\" ... \"}}").into_bytes(),
                        Line::TooLarge => serde_json::json!({"id": id, "text": "word ".repeat(500)})
                            .to_string()
                            .into_bytes(),
                    };
                    bytes.extend(rec);
                    bytes.push(b'\n');
                    match l {
                        Line::Blank => {}
                        Line::Good(..) => {
                            ex.documents += 1;
                            ex.json_records += 1;
                        }
                        Line::DuplicateId => {
                            // The first use of the shared id is a document, later ones problems.
                            ex.json_records += 1;
                        }
                        _ => {
                            ex.problems += 1;
                            ex.json_records += 1;
                        }
                    }
                }
                let p = dir.join(format!("e{i}.jsonl"));
                std::fs::write(&p, bytes).unwrap();
                first_file.get_or_insert(p);
            }
            Entry::Text(w) => {
                let text = if *w == 0 {
                    " ... ".to_string()
                } else {
                    story(*w, *w)
                };
                let p = dir.join(format!("e{i}.txt"));
                std::fs::write(&p, text).unwrap();
                if *w == 0 {
                    ex.problems += 1;
                } else {
                    ex.documents += 1;
                }
                first_file.get_or_insert(p);
            }
            Entry::Fifo => {
                if fifo && mkfifo(&dir.join(format!("e{i}.jsonl"))) {
                    ex.skipped_files += 1;
                }
            }
            Entry::Loop(up) => {
                if *up {
                    symlink("..", sub.join(format!("up{i}"))).unwrap();
                } else {
                    symlink(".", dir.join(format!("loop{i}"))).unwrap();
                }
                ex.skipped_files += 1;
            }
            Entry::Alias => {
                if let Some(f) = &first_file {
                    let ext = if f.extension().unwrap() == "txt" {
                        "txt"
                    } else {
                        "jsonl"
                    };
                    symlink(f, dir.join(format!("zz-alias{i}.{ext}"))).unwrap();
                    ex.skipped_files += 1;
                }
            }
            Entry::Broken => {
                symlink("nowhere", dir.join(format!("e{i}.txt"))).unwrap();
                ex.problems += 1;
            }
            Entry::Other => {
                std::fs::write(dir.join(format!("e{i}.csv")), "a,b\n").unwrap();
                ex.skipped_files += 1;
            }
        }
    }
    ex
}

#[cfg(unix)]
proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 12, ..proptest::prelude::ProptestConfig::default() })]

    /// Random mixes of good and bad records, FIFOs, links and loops: `scan` and `filter` end
    /// within their deadline, stay within a memory bound, and account for every record
    /// (`records = documents + problems`, each as the entries say; the filter routes every
    /// record it reads to exactly one output).
    #[test]
    fn hostile_inputs_end_and_account_for_every_record(
        entries in proptest::collection::vec(entry_strategy(), 1..12)
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("in");
        std::fs::create_dir(&dir).unwrap();
        let fifo_ok = mkfifo(&tmp.path().join("probe"));
        let mut ex = build(&dir, &entries, fifo_ok);
        // Only the first record with the shared id is a document.
        let shared = entries.iter().map(|e| match e {
            Entry::Jsonl(lines) => lines.iter().filter(|l| matches!(l, Line::DuplicateId)).count() as u64,
            _ => 0,
        }).sum::<u64>();
        if shared > 0 {
            ex.documents += 1;
            ex.problems += shared - 1;
        }
        let r = run_within(60, tmp.path(), &["scan", "in", "--format", "json", "--max-doc-bytes", "2000"], None);
        proptest::prop_assert!(r.code() == Some(0) || r.code() == Some(2), "{}", r.stderr());
        if ex.documents == 0 && ex.problems == 0 && r.output.stdout.is_empty() {
            // Nothing readable at all: the scan stops early and says so (issue 18).
            proptest::prop_assert!(r.stderr().contains("nothing to scan"), "{}", r.stderr());
            proptest::prop_assert_eq!(r.code(), Some(2));
            return Ok(());
        }
        let report = json(&r);
        let s = &report["stats"];
        let n = |k: &str| s[k].as_u64().unwrap();
        proptest::prop_assert_eq!(n("records"), n("documents") + n("problems"));
        proptest::prop_assert_eq!(
            (n("documents"), n("problems"), n("skipped_files")),
            (ex.documents, ex.problems, ex.skipped_files)
        );
        proptest::prop_assert_eq!(report["problems"].as_array().unwrap().len() as u64, ex.problems);
        proptest::prop_assert!(r.peak_kib < 1_000_000, "peak {} KiB", r.peak_kib);

        // The filter over the JSON Lines files alone (it refuses text files): every record
        // read is kept, a duplicate or rejected, exactly once.
        let jsonl: Vec<String> = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| matches!(e, Entry::Jsonl(_)))
            .map(|(i, _)| format!("in/e{i}.jsonl"))
            .collect();
        if !jsonl.is_empty() {
            let mut args = vec!["filter", "-q", "--max-doc-bytes", "2000", "--duplicates", "d.out", "--rejects", "r.out"];
            args.extend(jsonl.iter().map(String::as_str));
            let r = run_within(60, tmp.path(), &args, None);
            proptest::prop_assert!(r.code() == Some(0) || r.code() == Some(2), "{}", r.stderr());
            let count = |b: &[u8]| b.split(|&c| c == b'\n').filter(|l| !l.is_empty()).count() as u64;
            let dups = std::fs::read(tmp.path().join("d.out")).unwrap();
            let rejects = std::fs::read(tmp.path().join("r.out")).unwrap();
            proptest::prop_assert_eq!(
                count(&r.output.stdout) + count(&dups) + count(&rejects),
                ex.json_records
            );
            proptest::prop_assert!(r.peak_kib < 1_000_000, "peak {} KiB", r.peak_kib);
        }
    }
}
