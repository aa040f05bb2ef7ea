//! Puts the git commit the binary is built from into `syndup --version` (as `SYNDUP_COMMIT`:
//! ` (commit 0123456789ab)`; uncommitted changes are not marked, since watching the git index
//! would rebuild the crate at every `git add`). Without git or outside a repository (a crate
//! tarball), the suffix is empty: the build never fails here.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]);
    let suffix = commit.map(|c| format!(" (commit {c})")).unwrap_or_default();
    println!("cargo:rustc-env=SYNDUP_COMMIT={suffix}");
    // Rebuild when HEAD moves (a commit, a checkout); in a worktree these files live in the
    // repository's git directory. Only files that exist are named: cargo treats a missing
    // one as changed, which would rebuild the crate at every build.
    let watch = |path: String| {
        if std::path::Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    };
    if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
        watch(format!("{dir}/HEAD"));
        if let Some(head) = git(&["symbolic-ref", "-q", "HEAD"]) {
            let common = git(&["rev-parse", "--git-common-dir"]).unwrap_or(dir);
            watch(format!("{common}/{head}"));
            watch(format!("{common}/packed-refs"));
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
