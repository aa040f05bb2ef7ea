//! The HTML report: self-contained, document text escaped, and (when Chromium is installed)
//! rendered in a real headless browser without console errors.

use crate::util::*;

/// Chromium's flags for this machine: headless, no network, a fresh profile.
fn chromium() -> Option<std::process::Command> {
    let bin = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(bin) = bin else {
        eprintln!("SKIPPED: chromium is not installed (.ci/run installs Debian's chromium)");
        return None;
    };
    let profile = tempfile::tempdir().unwrap().keep();
    let mut c = std::process::Command::new(bin);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=3000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    Some(c)
}

fn hostile_corpus(dir: &std::path::Path) -> std::path::PathBuf {
    // If any of this ran, <body> would get a data-pwned attribute, visible in the DOM dump.
    let body = "The ferry timetable changes next week <script>document.body.setAttribute('data-pwned','1')</script> \
        and <img src=x onerror=\"document.body.setAttribute('data-pwned','2')\"> the harbour office stays open late on Thursdays for questions.";
    let lines: String = ["evil-1", "evil-2"]
        .iter()
        .map(|id| serde_json::json!({"id": id, "title": "<img src=x onerror=\"document.body.setAttribute('data-pwned','3')\">title", "text": body}).to_string() + "\n")
        .collect();
    write(dir, "evil.jsonl", lines.as_bytes())
}

#[test]
fn html_report_is_self_contained_and_escapes_document_text() {
    let dir = tempfile::tempdir().unwrap();
    let evil = hostile_corpus(dir.path());
    let out = dir.path().join("r.html");
    let o = run(&[
        "scan",
        "samples",
        evil.to_str().unwrap(),
        "-q",
        "--format",
        "html",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(page.starts_with("<!doctype html>"));
    // No network: nothing is loaded from elsewhere.
    for needle in ["http://", "https://", "src=\"//"] {
        let hits = page.matches(needle).count();
        let svg_ns = page.matches("http://www.w3.org/2000/svg").count();
        assert!(
            needle != "http://" || hits == svg_ns,
            "external reference {needle}"
        );
        assert!(
            needle == "http://" || hits == 0,
            "external reference {needle}"
        );
    }
    // Document text only appears inside the JSON data, with < and > escaped.
    assert!(!page.contains("<script>document.body"));
    assert!(!page.contains("<img src=x"));
    assert!(page.contains("\\u003cscript\\u003edocument.body"));
}

// Needs Chromium: ignored by default so a machine without it shows the test as "ignored" in
// the summary instead of a pass; `-- --include-ignored` (as .ci/run does) runs it.
#[test]
#[ignore = "needs Chromium (apt-get install chromium); run with -- --include-ignored"]
fn html_report_renders_in_headless_chromium() {
    let Some(mut chrome) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let evil = hostile_corpus(dir.path());
    let out = dir.path().join("r.html");
    let o = run(&[
        "scan",
        "samples",
        evil.to_str().unwrap(),
        "-q",
        "--sentences=full",
        "--boilerplate-min-docs",
        "2",
        "--format",
        "html",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = chrome
        .arg("--dump-dom")
        .arg(format!("file://{}", out.display()))
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&r.stdout);
    let log = String::from_utf8_lossy(&r.stderr);
    // The scripts ran: clusters, members, compare buttons and highlighted passages exist.
    assert_eq!(
        dom.matches("class=\"cluster\" data-cluster=").count(),
        5,
        "{dom}"
    );
    assert!(dom.contains("wire-harbor-5") && dom.contains("zh-harbor-1") && dom.contains("evil-2"));
    assert!(
        dom.matches("<mark class=\"shared\">").count() >= 2,
        "highlights"
    );
    // Roles: the wire story's source, its copies and its two partial copies.
    assert!(
        dom.contains("likely source wire-harbor-0 (earliest date)"),
        "{dom}"
    );
    assert_eq!(
        dom.matches("data-role=\"partial_copy\"").count(),
        2,
        "{dom}"
    );
    assert_eq!(dom.matches("data-role=\"source\"").count(), 5);
    // The side-by-side view opens on a partial copy: the story under a local intro, whose
    // intro is tinted as text found only there.
    assert!(
        dom.contains("wire-harbor-3 (partial copy, 100% shared)")
            || dom.contains("wire-harbor-4 (partial copy, 71% shared)"),
        "{dom}"
    );
    assert!(dom.contains("wire-harbor-0 (likely source,"));
    assert!(
        dom.contains("<span class=\"diff\">"),
        "differences are tinted"
    );
    // Sentence repeats in context, the repeated sentence highlighted; boilerplate with its
    // document frequency.
    assert!(dom.contains("data-kind=\"within_document\""));
    // Repeats are paged like clusters.
    assert!(dom.contains(" repeats, showing 1–"), "{dom}");
    assert!(dom.matches("<mark class=\"repeat\">").count() >= 2);
    assert!(dom.contains("The regional transport authority is sending twenty extra buses"));
    assert!(dom.contains("data-kind=\"boilerplate\"") && dom.contains("in 2 documents"));
    // Hostile text is shown as text, never run.
    assert!(
        dom.contains("&lt;img src=x onerror="),
        "the title is shown as text"
    );
    assert!(!dom.contains("data-pwned=\""), "document text ran as code");
    assert!(dom.contains("<body>"), "body has no attributes");
    // No console errors.
    let console: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE")).collect();
    assert!(
        console
            .iter()
            .all(|l| !l.contains("Error") && !l.contains("Uncaught")),
        "{console:?}"
    );
}
