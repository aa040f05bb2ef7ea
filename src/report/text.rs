//! The human-readable report: a summary, then clusters with ids, titles or first words, dates
//! and scores, then pairs the chaining guard left outside any cluster, then problems.
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
    if !r.problems.is_empty() {
        writeln!(out)?;
        writeln!(out, "problems ({}):", r.problems.len())?;
        for pr in &r.problems {
            writeln!(out, "  {}", clean(&pr.to_string()))?;
        }
    }
    Ok(())
}
