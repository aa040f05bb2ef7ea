//! The human-readable report: a summary, then clusters with ids, titles or first words, dates
//! and scores, then pairs the chaining guard left outside any cluster, then repeated sentences
//! with their documents and byte offsets, then boilerplate by document frequency, then
//! problems.
//!
//! Document text and ids are untrusted: control characters are escaped before they reach a
//! terminal, so a document cannot move the cursor or change colours.

use super::Report;
use std::io::Write;

/// Escapes control characters (including ESC and newlines) in untrusted text.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// Bytes in human units (1 KB = 1,000 bytes).
pub fn human_bytes(n: u64) -> String {
    match n {
        0..=999 => format!("{n} B"),
        1_000..=999_999 => format!("{:.1} KB", n as f64 / 1e3),
        1_000_000..=999_999_999 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.2} GB", n as f64 / 1e9),
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Writes the text report.
pub fn write(r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let s = &r.stats;
    let p = &r.parameters;
    writeln!(
        out,
        "syndup {}: {} scanned ({}) from {}",
        r.tool.version,
        plural(s.documents, "document", "documents"),
        human_bytes(s.text_bytes),
        plural(s.files, "file", "files"),
    )?;
    writeln!(
        out,
        "settings: {} {}-grams, {} permutations ({}, seed {}), Jaccard threshold {} -> {} bands x {} rows, {} verification",
        match p.shingle {
            crate::ShingleKind::Word => "word",
            crate::ShingleKind::Char => "character",
        },
        p.ngram,
        p.num_perm,
        match p.scheme {
            crate::Scheme::Densified => "densified one-permutation",
            crate::Scheme::Classic => "classic",
        },
        p.seed,
        p.threshold,
        p.bands,
        p.rows,
        match p.verify {
            crate::VerifyMode::Exact => "exact",
            crate::VerifyMode::Estimate => "estimated",
        }
    )?;
    let curve: Vec<String> = p
        .s_curve
        .iter()
        .map(|c| format!("{:.2} at J={}", c.probability, c.similarity))
        .collect();
    writeln!(
        out,
        "S-curve (chance to become a candidate): {}",
        curve.join(", ")
    )?;
    writeln!(
        out,
        "found: {} holding {} ({} duplicate {}), {} from {}; {}",
        plural(s.clusters, "cluster", "clusters"),
        plural(s.clustered_documents, "document", "documents"),
        s.duplicates,
        if s.duplicates == 1 { "copy" } else { "copies" },
        plural(s.matches, "verified pair", "verified pairs"),
        plural(s.candidates, "candidate", "candidates"),
        plural(s.problems, "problem", "problems"),
    )?;
    if p.sentences.mode != crate::SentenceMode::Off {
        let count = |k: &str| r.repeats.iter().filter(|x| x.kind == k).count() as u64;
        writeln!(
            out,
            "sentences: {}; {} within a document, {} across documents, {} (in {}+ documents)",
            plural(s.sentences, "sentence", "sentences"),
            plural(count("within_document"), "near-repeat", "near-repeats"),
            plural(count("cross_document"), "repeat", "repeats"),
            plural(
                count("boilerplate"),
                "boilerplate line",
                "boilerplate lines"
            ),
            p.sentences.boilerplate_cutoff,
        )?;
    }
    let idw = r
        .clusters
        .iter()
        .flat_map(|c| c.members.iter().map(|m| m.chars().count()))
        .max()
        .unwrap_or(0)
        .min(60);
    for c in &r.clusters {
        writeln!(out)?;
        writeln!(
            out,
            "cluster {} ({} documents), representative {}",
            c.id,
            c.members.len(),
            clean(&c.representative)
        )?;
        for m in &c.details {
            let score = if m.representative {
                "representative".to_string()
            } else {
                format!("J {:.2}  C {:.2}", m.jaccard, m.containment)
            };
            let date = m
                .date
                .as_deref()
                .map(|d| format!("{}  ", clean(d)))
                .unwrap_or_default();
            writeln!(
                out,
                "  {:<idw$}  {score:<14}  {date}{}",
                clean(&m.doc),
                clean(&m.title),
            )?;
        }
    }
    let loose: Vec<_> = r.pairs.iter().filter(|p| p.cluster.is_none()).collect();
    if !loose.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "verified pairs outside any cluster (split by the chaining guard):"
        )?;
        for p in loose {
            writeln!(
                out,
                "  {} ~ {}  J {:.2}  C {:.2}",
                clean(&p.a),
                clean(&p.b),
                p.jaccard,
                p.containment
            )?;
        }
    }
    write_repeats(r, out)?;
    if !r.problems.is_empty() {
        writeln!(out)?;
        writeln!(out, "problems ({}):", r.problems.len())?;
        for pr in &r.problems {
            writeln!(out, "  {}", clean(&pr.to_string()))?;
        }
    }
    Ok(())
}

/// Untrusted sentence text on one line: control characters escaped, whitespace runs folded,
/// at most `max` characters.
fn quote(s: &str, max: usize) -> String {
    let folded: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut q: String = folded.chars().take(max).collect();
    if folded.chars().count() > max {
        q.push('…');
    }
    format!("\"{}\"", clean(&q))
}

/// Sentence repeats: near-repeats and repeats across documents in input order, then
/// boilerplate by document frequency.
fn write_repeats(r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let max = r.parameters.sentences.max_occurrences;
    let idw = r
        .repeats
        .iter()
        .flat_map(|x| x.occurrences.iter().map(|o| o.doc.chars().count()))
        .max()
        .unwrap_or(0)
        .min(40);
    let occurrences = |x: &super::RepeatReport, out: &mut dyn Write| -> std::io::Result<()> {
        for o in &x.occurrences {
            let at = format!("{}..{}", o.start, o.end);
            writeln!(
                out,
                "    {:<idw$}  {at:>13}  {}",
                clean(&o.doc),
                quote(&o.text, 100)
            )?;
        }
        if x.count > x.occurrences.len() as u64 {
            writeln!(
                out,
                "    ... and {} more (the first {max} are listed)",
                x.count - x.occurrences.len() as u64
            )?;
        }
        Ok(())
    };
    let repeats: Vec<_> = r
        .repeats
        .iter()
        .filter(|x| x.kind != "boilerplate")
        .collect();
    if !repeats.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "repeated sentences ({}; offsets are bytes into the text):",
            repeats.len()
        )?;
        for x in repeats {
            let what = if x.kind == "within_document" {
                format!("within {}", clean(&x.occurrences[0].doc))
            } else {
                format!("across {} documents", x.documents)
            };
            writeln!(
                out,
                "  {what}: {} occurrences, similarity {:.2}",
                x.count, x.similarity
            )?;
            occurrences(x, out)?;
        }
    }
    let mut boiler: Vec<_> = r
        .repeats
        .iter()
        .filter(|x| x.kind == "boilerplate")
        .collect();
    if !boiler.is_empty() {
        boiler.sort_by_key(|x| std::cmp::Reverse(x.documents));
        writeln!(out)?;
        writeln!(
            out,
            "boilerplate ({}; left out of document shingles: {}):",
            boiler.len(),
            if r.parameters.sentences.keep_boilerplate {
                "no"
            } else {
                "yes"
            }
        )?;
        for x in boiler {
            let first = &x.occurrences[0];
            writeln!(
                out,
                "  {:>7} documents  {}  (first: {} {}..{})",
                x.documents,
                quote(&first.text, 80),
                clean(&first.doc),
                first.start,
                first.end
            )?;
        }
    }
    Ok(())
}
