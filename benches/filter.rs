//! The streaming filter at scale: builds a persistent index of N records (default 1,000,000),
//! reopens it, and filters a further 100,000 records against it on 2 threads.
//!
//! Reports: build rate, reopen time, filtering throughput (records/s and MB/s of JSON Lines),
//! index size on disk per record, hot in-memory bytes per indexed record, and the peak resident
//! memory (`VmHWM`) of the reopen-and-filter phase, which runs in a fresh process (this binary
//! again, with `--measure INDEX N`) so the build's memory does not count.
//!
//! `cargo bench --bench filter` (add `-- 200000` for a smaller index). Records are synthetic:
//! 80 words drawn from a 20,000-word vocabulary (about 640 bytes of JSON each); the further
//! batch is half new records, a quarter near-duplicates of indexed records (one word changed, Jaccard about 0.88)
//! and a quarter exact copies under new ids.

use std::time::Instant;
use syndup::stream::Record;
use syndup::{Config, Index, StreamFilter, Verdict, VerifyMode};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        syndup::minhash::mix64(self.0)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn words(seed: u64) -> Vec<u64> {
    let mut rng = Rng(seed);
    (0..80).map(|_| rng.below(20_000)).collect()
}

fn line(id: &str, words: &[u64]) -> String {
    let text: Vec<String> = words.iter().map(|w| format!("w{w}")).collect();
    format!("{{\"id\":\"{id}\",\"text\":\"{}\"}}", text.join(" "))
}

fn status(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let l = s.lines().find(|l| l.starts_with(field))?;
    l.split_whitespace()
        .nth(1)?
        .parse::<u64>()
        .ok()
        .map(|kb| kb * 1024)
}

/// Decides `lines` in batches of about 4 MiB (what the CLI's reader hands over), preparing the
/// next batch on another thread while the current one is decided, as the CLI does.
fn filter(
    f: &mut StreamFilter,
    pool: &rayon::ThreadPool,
    path: &str,
    first_line: u64,
    lines: &[String],
) -> [u64; 3] {
    let mut counts = [0u64; 3];
    let per_batch = ((4 << 20) / lines.first().map_or(1, |l| l.len() + 1)).max(1);
    let preparer = f.preparer().clone();
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for (b, chunk) in lines.chunks(per_batch).enumerate() {
                let recs: Vec<Record> = chunk
                    .iter()
                    .enumerate()
                    .map(|(i, l)| Record {
                        path,
                        line: Some(first_line + (b * per_batch + i) as u64),
                        bytes: l.as_bytes(),
                    })
                    .collect();
                if tx.send(pool.install(|| preparer.prepare(&recs))).is_err() {
                    break;
                }
            }
        });
        for batch in rx.iter() {
            for v in f.decide(batch).expect("filter") {
                counts[match v {
                    Verdict::Kept { .. } => 0,
                    Verdict::Duplicate { .. } => 1,
                    Verdict::Rejected(_) => 2,
                }] += 1;
            }
        }
    });
    counts
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("thread pool");
    let config = Config {
        verify: VerifyMode::Estimate,
        ..Config::default()
    };
    if let Some(i) = args.iter().position(|a| a == "--measure") {
        let path = std::path::PathBuf::from(&args[i + 1]);
        let n = args[i + 2].parse().expect("record count");
        measure(&path, n, &config, &pool);
        return;
    }
    let n: usize = args
        .iter()
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.db");

    // Build.
    let t = Instant::now();
    let mut built_bytes = 0u64;
    {
        let index = Index::open(&path, &config).expect("index");
        let mut f = StreamFilter::new(config.clone(), index).expect("filter");
        let step = 50_000;
        for start in (0..n).step_by(step) {
            let lines: Vec<String> = (start..(start + step).min(n))
                .map(|i| line(&format!("r{i}"), &words(i as u64)))
                .collect();
            built_bytes += lines.iter().map(|l| l.len() as u64 + 1).sum::<u64>();
            filter(&mut f, &pool, "build.jsonl", start as u64 + 1, &lines);
        }
        assert_eq!(
            f.index().len(),
            n as u64,
            "synthetic records are all distinct"
        );
        f.close().expect("close");
    }
    let build = t.elapsed().as_secs_f64();
    let disk = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "build: {n} records ({:.0} MB JSON) into an empty index in {build:.1} s: {:.0} records/s, {:.1} MB/s",
        built_bytes as f64 / 1e6,
        n as f64 / build,
        built_bytes as f64 / 1e6 / build
    );
    println!(
        "index on disk: {:.1} MB, {:.0} bytes per indexed record",
        disk as f64 / 1e6,
        disk as f64 / n as f64
    );

    // Reopen and filter in a fresh process, so its peak memory is this phase's alone.
    let out = std::process::Command::new(std::env::current_exe().expect("own path"))
        .args([
            "--measure",
            path.to_str().expect("utf-8 path"),
            &n.to_string(),
        ])
        .output()
        .expect("run the measuring process");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "measuring process failed");
}

/// Reopens the index at `path` (holding `n` records) and filters 100,000 more records.
fn measure(path: &std::path::Path, n: usize, config: &Config, pool: &rayon::ThreadPool) {
    let rss_before = status("VmRSS:").unwrap_or(0);
    let t = Instant::now();
    let index = Index::open(path, config).expect("reopen");
    let reopen = t.elapsed().as_secs_f64();
    let hot = index.memory_bytes();
    println!(
        "reopen: {reopen:.2} s; hot structures {:.1} MB = {:.0} bytes per indexed record",
        hot as f64 / 1e6,
        hot as f64 / n as f64
    );
    let mut f = StreamFilter::new(config.clone(), index).expect("filter");
    let m = 100_000usize;
    let mut rng = Rng(99);
    let lines: Vec<String> = (0..m)
        .map(|i| {
            let id = format!("new{i}");
            match i % 4 {
                0 | 1 => line(&id, &words((n + i) as u64)),
                2 => {
                    let mut w = words(rng.below(n as u64));
                    let p = rng.below(80) as usize;
                    w[p] = 20_000 + rng.below(1000);
                    line(&id, &w)
                }
                _ => line(&id, &words(rng.below(n as u64))),
            }
        })
        .collect();
    let bytes: u64 = lines.iter().map(|l| l.len() as u64 + 1).sum();
    let t = Instant::now();
    let counts = filter(&mut f, pool, "more.jsonl", 1, &lines);
    let secs = t.elapsed().as_secs_f64();
    let s = *f.stats();
    println!(
        "filter on 2 threads against {n} indexed records: {m} records ({:.0} MB) in {secs:.2} s: {:.0} records/s, {:.1} MB/s; {} kept, {} duplicates ({} exact), {} rejected, {} candidates compared",
        bytes as f64 / 1e6,
        m as f64 / secs,
        bytes as f64 / 1e6 / secs,
        counts[0],
        counts[1],
        s.exact_duplicates,
        counts[2],
        s.candidates,
    );
    f.close().expect("close");
    let peak = status("VmHWM:").unwrap_or(0);
    println!(
        "peak resident memory of a process that reopens the index and filters: {:.0} MB (resident before reopening: {:.0} MB; includes the database page cache, at most 64 MB, and the {:.0} MB of generated input)",
        peak as f64 / 1e6,
        rss_before as f64 / 1e6,
        bytes as f64 / 1e6,
    );
}
