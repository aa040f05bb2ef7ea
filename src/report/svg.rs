//! The S-curve as a self-contained SVG: detection probability against Jaccard similarity,
//! theoretical for the chosen bands x rows, and optionally measured on planted pairs, with
//! the threshold marked. Hand-written (two polylines and axes need no plotting crate), fixed
//! number formatting, so the same input gives the same bytes; reusable inline in HTML.

use std::fmt::Write;

/// One measured point: pairs in a similarity bucket and the share that became candidates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// Bucket centre (Jaccard).
    pub similarity: f64,
    /// Share of the bucket's pairs that became LSH candidates.
    pub detected: f64,
    /// Pairs in the bucket.
    pub pairs: u64,
}

/// Renders the plot (640 x 400 px).
pub fn s_curve(bands: usize, rows: usize, threshold: f64, measured: &[Measured]) -> String {
    let (w, h, left, right, top, bottom) = (640.0, 400.0, 60.0, 20.0, 30.0, 50.0);
    let pw = w - left - right;
    let ph = h - top - bottom;
    let x = |s: f64| left + s.clamp(0.0, 1.0) * pw;
    let y = |p: f64| top + (1.0 - p.clamp(0.0, 1.0)) * ph;
    let mut o = String::new();
    let _ = writeln!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12" role="img" aria-label="LSH S-curve">"#
    );
    let _ = writeln!(o, r##"<rect width="{w}" height="{h}" fill="#fff"/>"##);
    // Grid and axes.
    for i in 0..=10 {
        let v = i as f64 / 10.0;
        let _ = writeln!(
            o,
            r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#eee"/><line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#eee"/>"##,
            x(v),
            y(0.0),
            x(v),
            y(1.0),
            x(0.0),
            y(v),
            x(1.0),
            y(v)
        );
        let _ = writeln!(
            o,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{v:.1}</text><text x="{:.1}" y="{:.1}" text-anchor="end">{v:.1}</text>"#,
            x(v),
            y(0.0) + 18.0,
            x(0.0) - 6.0,
            y(v) + 4.0
        );
    }
    let _ = writeln!(
        o,
        r##"<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>"##
    );
    let _ = writeln!(
        o,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">Jaccard similarity</text>"#,
        left + pw / 2.0,
        h - 10.0
    );
    let _ = writeln!(
        o,
        r#"<text transform="translate(16 {:.1}) rotate(-90)" text-anchor="middle">P(candidate)</text>"#,
        top + ph / 2.0
    );
    // Threshold.
    let _ = writeln!(
        o,
        r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#c00" stroke-dasharray="4 3"/><text x="{:.1}" y="{:.1}" fill="#c00">threshold {threshold}</text>"##,
        x(threshold),
        y(0.0),
        x(threshold),
        y(1.0),
        x(threshold) + 4.0,
        y(0.45)
    );
    // Theory.
    let pts: Vec<String> = (0..=200)
        .map(|i| {
            let s = i as f64 / 200.0;
            format!(
                "{:.1},{:.1}",
                x(s),
                y(crate::lsh::probability(s, bands, rows))
            )
        })
        .collect();
    let _ = writeln!(
        o,
        r##"<polyline fill="none" stroke="#1f5fbf" stroke-width="2" points="{}"/>"##,
        pts.join(" ")
    );
    // Measured.
    for m in measured.iter().filter(|m| m.pairs > 0) {
        let _ = writeln!(
            o,
            r##"<circle cx="{:.1}" cy="{:.1}" r="4" fill="#e08a00"><title>J {:.3}: {:.3} of {} pairs</title></circle>"##,
            x(m.similarity),
            y(m.detected),
            m.similarity,
            m.detected,
            m.pairs
        );
    }
    let _ = writeln!(
        o,
        r##"<text x="{:.1}" y="{:.1}" fill="#1f5fbf">theory: {bands} bands x {rows} rows</text>"##,
        left + 10.0,
        top + 14.0
    );
    if !measured.is_empty() {
        let _ = writeln!(
            o,
            r##"<text x="{:.1}" y="{:.1}" fill="#e08a00">measured on planted pairs</text>"##,
            left + 10.0,
            top + 30.0
        );
    }
    o.push_str("</svg>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_is_well_formed_and_deterministic() {
        let m = [Measured {
            similarity: 0.8,
            detected: 0.9,
            pairs: 10,
        }];
        let a = s_curve(16, 8, 0.8, &m);
        assert_eq!(a, s_curve(16, 8, 0.8, &m));
        assert!(a.starts_with("<svg") && a.trim_end().ends_with("</svg>"));
        assert_eq!(a.matches("<circle").count(), 1);
        assert!(a.contains("16 bands x 8 rows"));
    }
}
