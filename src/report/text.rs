//! The human-readable report: a summary, then clusters with ids, roles, titles or first words,
//! dates and scores, then every pair with its relation and shared passages, then repeated sentences
//! with their documents and byte offsets, then boilerplate by document frequency, then
//! problems.
//!
//! Document text and ids are untrusted: control characters are escaped before they reach a
//! terminal, so a document cannot move the cursor or change colours.

use super::{RepeatKind, Report, Role, SourceBy};
use std::io::Write;

/// Escapes control characters (including ESC and newlines) in untrusted text.
pub fn clean(s: &str) -> String {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        // Printable ASCII: nothing to escape.
        return s.to_string();
    }
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

/// `n` and the word in the singular or the plural ("1 problem", "2 problems").
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// How much of a report the text format lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Extent {
    /// Everything: every cluster, pair, repeat and problem.
    #[default]
    All,
    /// The summary lines only (counts and settings).
    Summary,
    /// The N largest clusters (ties in report order) with their pairs, the first N repeats,
    /// the N most frequent boilerplate lines and the first N problems.
    Top(usize),
}

/// Writes the text report.
pub fn write(r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    write_extent(r, Extent::All, out)
}

/// Writes the text report, listing as much as `extent` says.
pub fn write_extent(r: &Report, extent: Extent, out: &mut dyn Write) -> std::io::Result<()> {
    let s = &r.stats;
    let p = &r.parameters;
    writeln!(
        out,
        "syndup {}: {} scanned ({} of text) from {}{}{}",
        r.tool.version,
        plural(s.documents, "document", "documents"),
        human_bytes(s.text_bytes),
        plural(s.files, "file", "files"),
        if s.skipped_files > 0 {
            format!(
                " ({} of other types skipped)",
                plural(s.skipped_files, "file", "files")
            )
        } else {
            String::new()
        },
        if s.recoded > 0 {
            format!(
                "; {} not in UTF-8, recoded",
                plural(s.recoded, "document", "documents")
            )
        } else {
            String::new()
        },
    )?;
    writeln!(
        out,
        "settings: {} {}-grams, {} permutations ({}, seed {}), Jaccard threshold {} -> {} bands x {} rows, {} verification",
        match p.sketch.shingle {
            crate::ShingleKind::Word => "word",
            crate::ShingleKind::Char => "character",
        },
        p.sketch.ngram,
        p.sketch.num_perm,
        match p.sketch.scheme {
            crate::Scheme::Densified => "densified one-permutation",
            crate::Scheme::Classic => "classic",
        },
        p.sketch.seed,
        p.sketch.threshold,
        p.sketch.bands,
        p.sketch.rows,
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
    if p.sentences.mode == crate::SentenceMode::Within {
        let count = r.repeats.len() as u64;
        writeln!(
            out,
            "sentences: {}; {} within a document (--sentences for boilerplate, --sentences=full across documents)",
            plural(s.sentences, "sentence", "sentences"),
            plural(count, "near-repeat", "near-repeats"),
        )?;
    } else if p.sentences.mode != crate::SentenceMode::Off {
        let count = |k: RepeatKind| r.repeats.iter().filter(|x| x.kind == k).count() as u64;
        writeln!(
            out,
            "sentences: {}; {} within a document, {} across documents, {} (in {}+ documents)",
            plural(s.sentences, "sentence", "sentences"),
            plural(
                count(RepeatKind::WithinDocument),
                "near-repeat",
                "near-repeats"
            ),
            plural(count(RepeatKind::CrossDocument), "repeat", "repeats"),
            plural(
                count(RepeatKind::Boilerplate),
                "boilerplate line",
                "boilerplate lines"
            ),
            p.sentences.boilerplate_cutoff,
        )?;
    }
    if extent == Extent::Summary {
        for (kind, n) in &s.problems_by_kind {
            writeln!(out, "problems of kind {kind}: {n}")?;
        }
        return Ok(());
    }
    let clusters: Vec<&super::ClusterReport> = match extent {
        Extent::Top(n) => {
            let mut by_size: Vec<&super::ClusterReport> = r.clusters.iter().collect();
            by_size.sort_by_key(|c| std::cmp::Reverse(c.members.len()));
            by_size.truncate(n);
            by_size
        }
        _ => r.clusters.iter().collect(),
    };
    let idw = clusters
        .iter()
        .flat_map(|c| c.members.iter().map(|m| m.chars().count()))
        .max()
        .unwrap_or(0)
        .min(60);
    for c in &clusters {
        writeln!(out)?;
        let source = clean(&c.source);
        let by = match c.source_by {
            SourceBy::Date => "earliest date",
            SourceBy::Containment => "holds the others",
            SourceBy::FirstSeen => "first seen",
            SourceBy::Similarity => "nearest the others",
        };
        writeln!(
            out,
            "cluster {} ({} documents), representative {}, likely source {source} ({by})",
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
            let role = match m.role {
                Role::Source => "source",
                Role::Copy => "copy",
                Role::PartialCopy => "partial copy",
            };
            let date = m
                .date
                .as_deref()
                .map(|d| format!("{}  ", clean(d)))
                .unwrap_or_default();
            writeln!(
                out,
                "  {:<idw$}  {role:<12}  {score:<14}  {date}{}",
                clean(&m.doc),
                clean(&m.title),
            )?;
        }
    }
    let limit = match extent {
        Extent::Top(n) => n,
        _ => usize::MAX,
    };
    let listed: std::collections::BTreeSet<u64> = clusters.iter().map(|c| c.id).collect();
    write_pairs(r, out, |p| {
        limit == usize::MAX || p.cluster.is_some_and(|c| listed.contains(&c))
    })?;
    write_repeats(r, out, limit)?;
    if !r.problems.is_empty() {
        writeln!(out)?;
        writeln!(out, "problems ({}):", r.problems.len())?;
        for pr in r.problems.iter().take(limit) {
            writeln!(out, "  {}", clean(&pr.to_string()))?;
        }
    }
    if let Extent::Top(n) = extent {
        let more = |all: usize| all > n;
        let repeats = r.repeats.len();
        if more(r.clusters.len()) || more(repeats) || more(r.problems.len()) {
            writeln!(out)?;
            writeln!(
                out,
                "(listed: the {} largest of {} clusters and their pairs, the first {n} repeats and problems; all of them with --all, or with --format json or jsonl)",
                n.min(r.clusters.len()),
                r.clusters.len()
            )?;
        }
    }
    Ok(())
}

/// Passages listed per pair in the text report (the JSON has them all).
const MAX_PASSAGES: usize = 5;

/// Every verified pair: relation, scores, and where the shared passages are.
fn write_pairs(
    r: &Report,
    out: &mut dyn Write,
    shown: impl Fn(&super::PairReport) -> bool,
) -> std::io::Result<()> {
    let pairs: Vec<&super::PairReport> = r.pairs.iter().filter(|p| shown(p)).collect();
    if pairs.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let of = if pairs.len() < r.pairs.len() {
        format!("{} of {}", pairs.len(), r.pairs.len())
    } else {
        pairs.len().to_string()
    };
    writeln!(
        out,
        "pairs ({of}; C(a in b) is the share of a's shingles found in b; passages are byte spans a = b):",
    )?;
    for p in pairs {
        let relation = match &p.contained {
            Some(inner) => {
                let outer = if *inner == p.a { &p.b } else { &p.a };
                format!("{} inside {}", clean(inner), clean(outer))
            }
            None => "near-duplicates".into(),
        };
        let cluster = match p.cluster {
            Some(c) => format!("cluster {c}"),
            None => "in no cluster (chaining guard)".into(),
        };
        writeln!(
            out,
            "  {} ~ {}: {relation}; J {:.2}, C(a in b) {:.2}, C(b in a) {:.2}; {cluster}",
            clean(&p.a),
            clean(&p.b),
            p.jaccard,
            p.containment_a_in_b,
            p.containment_b_in_a,
        )?;
        let Some(al) = &p.alignment else { continue };
        writeln!(
            out,
            "    {} covering {:.0}% of a and {:.0}% of b",
            plural(
                al.passages.len() as u64,
                "shared passage",
                "shared passages"
            ),
            al.coverage_a * 100.0,
            al.coverage_b * 100.0
        )?;
        for x in al.passages.iter().take(MAX_PASSAGES) {
            writeln!(
                out,
                "      a {}..{} = b {}..{}  ({})",
                x.a_start,
                x.a_end,
                x.b_start,
                x.b_end,
                plural(x.words as u64, "word", "words")
            )?;
        }
        if al.passages.len() > MAX_PASSAGES {
            writeln!(
                out,
                "      ... and {} more",
                al.passages.len() - MAX_PASSAGES
            )?;
        }
    }
    Ok(())
}

/// Untrusted sentence text on one line: control characters escaped, whitespace runs folded,
/// at most `max` characters.
///
/// One pass that stops after `max` characters: a sentence can be long, and the report quotes
/// every listed occurrence (this ran split, join and two character counts over the whole
/// sentence, ~10,000 instructions a quote, on the one thread that writes the report).
fn quote(s: &str, max: usize) -> String {
    let mut q = String::with_capacity(max.min(s.len()) + 4);
    let (mut n, mut gap, mut more) = (0, false, false);
    for c in s.chars() {
        if c.is_whitespace() {
            // A run of whitespace between words is one space; none before the first word
            // or after the last.
            gap = n > 0;
            continue;
        }
        if n + gap as usize >= max {
            more = true;
            break;
        }
        if gap {
            q.push(' ');
            n += 1;
            gap = false;
        }
        q.push(c);
        n += 1;
    }
    if more {
        // The folded text is longer than `max`: its first `max` characters, then the mark.
        if n < max {
            q.push(' ');
        }
        q.push('…');
    }
    format!("\"{}\"", clean(&q))
}

/// Sentence repeats: near-repeats and repeats across documents in input order, then
/// boilerplate by document frequency.
fn write_repeats(r: &Report, out: &mut dyn Write, limit: usize) -> std::io::Result<()> {
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
        .filter(|x| x.kind != RepeatKind::Boilerplate)
        .collect();
    if !repeats.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "repeated sentences ({}; offsets are bytes into the text):",
            repeats.len()
        )?;
        for x in repeats.into_iter().take(limit) {
            let what = if x.kind == RepeatKind::WithinDocument {
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
        .filter(|x| x.kind == RepeatKind::Boilerplate)
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
        for x in boiler.into_iter().take(limit) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What [`quote`] does, written plainly: whitespace folded, the first `max` characters,
    /// `…` when there were more.
    fn quote_reference(s: &str, max: usize) -> String {
        let folded: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut q: String = folded.chars().take(max).collect();
        if folded.chars().count() > max {
            q.push('…');
        }
        format!("\"{}\"", clean(&q))
    }

    #[test]
    fn quote_folds_whitespace_and_cuts_at_max_characters() {
        assert_eq!(quote("  Two\n words \t", 80), "\"Two words\"");
        assert_eq!(quote("abc def", 4), "\"abc …\"");
        assert_eq!(quote("abc def", 3), "\"abc…\"");
        assert_eq!(quote("abc def", 7), "\"abc def\"");
        assert_eq!(quote("é\u{200b}x", 5), "\"é\\u{200b}x\"");
    }

    proptest! {
        #[test]
        fn clean_escapes_exactly_the_control_and_direction_characters(s in "[a ~\u{7}\u{7f}\u{1b}\n\u{200b}\u{202e}é]{0,12}") {
            let want: String = s
                .chars()
                .flat_map(|c| {
                    let escape = c.is_control()
                        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
                    let e: Vec<char> = if escape { c.escape_unicode().collect() } else { vec![c] };
                    e
                })
                .collect();
            prop_assert_eq!(clean(&s), want);
        }

        #[test]
        fn quote_is_the_plain_fold_and_cut(s in "[ab \t\n\u{a0}é\u{3000}\u{7}]{0,30}", max in 0usize..12) {
            prop_assert_eq!(quote(&s, max), quote_reference(&s, max));
        }
    }
}
