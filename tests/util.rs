//! Helpers: run the binary, compare with golden files, make corpora.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_syndup"))
}

/// Runs `syndup ARGS` from the package root.
pub fn run(args: &[&str]) -> Output {
    bin()
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .output()
        .expect("run syndup")
}

/// Runs `syndup ARGS` with `input` on standard input.
pub fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = bin()
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn syndup");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Compares `actual` with `tests/golden/NAME`; `UPDATE_GOLDEN=1` rewrites the file instead.
pub fn golden(name: &str, actual: &str) {
    let path = root().join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {}; run with UPDATE_GOLDEN=1",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "report differs from {} (UPDATE_GOLDEN=1 to accept):\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

/// The shared development data, or `None` with a loud message when it is absent.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = root().join("..").join("shared").join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "SKIPPED: {} is absent (tests using ../shared skip without it)",
            p.display()
        );
        None
    }
}

/// A small deterministic PRNG for test corpora.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        syndup::minhash::mix64(self.0)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A corpus of `bases` random documents plus copies with a few word substitutions each
/// (ids `b{n}` and `b{n}-c{m}`), as (id, text).
pub fn corpus(seed: u64, bases: usize, words: usize) -> Vec<(String, String)> {
    let mut rng = Rng(seed);
    let vocab: Vec<String> = (0..5000).map(|i| format!("w{}x{}", i, i % 7)).collect();
    let mut out = Vec::new();
    for b in 0..bases {
        let text: Vec<String> = (0..words)
            .map(|_| vocab[rng.below(vocab.len() as u64) as usize].clone())
            .collect();
        out.push((format!("b{b}"), text.join(" ")));
        let copies = rng.below(3);
        for c in 0..copies {
            let mut t = text.clone();
            let edits = rng.below(4);
            for _ in 0..edits {
                let i = rng.below(t.len() as u64) as usize;
                t[i] = vocab[rng.below(vocab.len() as u64) as usize].clone();
            }
            out.push((format!("b{b}-c{c}"), t.join(" ")));
        }
    }
    out
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}
