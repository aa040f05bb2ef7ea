//! The visual report: one self-contained HTML page (inline CSS, JS and SVG; no network).
//!
//! Input: a [`Report`] and, optionally, the texts of cluster members (the report itself carries
//! no text; [`texts`] reads them again from the inputs). Output: a page with an overview (counts, parameters, the S-curve with the threshold
//! marked, histograms of pair Jaccard, pair containment and cluster size), the clusters
//! (paginated and rendered lazily from embedded JSON, so 10,000 clusters open fast) with each
//! member's role (source, copy, partial copy), a side-by-side view of a member and its
//! cluster's likely source with the shared passages ([`crate::align`]) highlighted in both texts
//! and the differences tinted, sentence repeats in context with the repeated sentence
//! highlighted, boilerplate by document frequency, and problems.
//!
//! Safety: document text never becomes markup. The server-side parts go through [`escape`];
//! the data is embedded as JSON inside `<script type="application/json">` with `<`, `>` and `&`
//! written as `\u003c`, `\u003e`, `\u0026` (so `</script>` cannot close the element), and the
//! script renders every string with `textContent`.

use super::{svg, Report, Role};
use crate::align::align;
use crate::input::Source;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// JSON safe to embed in a `<script>` element.
fn script_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v)
        .unwrap_or_else(|_| "null".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// A text cut into segments, `true` where the segment is a shared passage.
type Segments = Vec<(String, bool)>;

fn segments(text: &str, spans: &[(usize, usize)]) -> Segments {
    let mut spans: Vec<(usize, usize)> = spans.to_vec();
    spans.sort_unstable();
    let mut out = Vec::new();
    let mut at = 0;
    for (s, e) in spans {
        let s = s.max(at);
        if s >= e || e > text.len() || !text.is_char_boundary(s) || !text.is_char_boundary(e) {
            continue;
        }
        if s > at {
            out.push((text[at..s].to_string(), false));
        }
        out.push((text[s..e].to_string(), true));
        at = e;
    }
    if at < text.len() {
        out.push((text[at..].to_string(), false));
    }
    out
}

#[derive(Serialize)]
struct Compare {
    member: String,
    source: String,
    role: Role,
    coverage_member: f64,
    coverage_source: f64,
    member_text: Segments,
    source_text: Segments,
}

/// An occurrence of a repeated sentence with up to [`CONTEXT`] bytes of text around it.
#[derive(Serialize)]
struct InContext {
    doc: String,
    start: u64,
    end: u64,
    before: String,
    text: String,
    after: String,
}

/// Bytes of context shown on each side of a repeated sentence (cut at a character boundary).
const CONTEXT: usize = 160;

fn context(text: &str, start: usize, end: usize) -> Option<(String, String, String)> {
    if end > text.len() || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
        return None;
    }
    let mut from = start.saturating_sub(CONTEXT);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let mut to = (end + CONTEXT).min(text.len());
    while !text.is_char_boundary(to) {
        to -= 1;
    }
    let ell = |cut: bool| if cut { "…" } else { "" };
    Some((
        format!("{}{}", ell(from > 0), &text[from..start]),
        text[start..end].to_string(),
        format!("{}{}", &text[end..to], ell(to < text.len())),
    ))
}

fn histogram(title: &str, values: &[f64], bins: &[(f64, f64, String)]) -> String {
    let counts: Vec<usize> = bins
        .iter()
        .map(|(lo, hi, _)| values.iter().filter(|&&v| v >= *lo && v < *hi).count())
        .collect();
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let (w, h, bar) = (40.0 * bins.len() as f64 + 40.0, 180.0, 32.0);
    let mut o = format!(
        r#"<figure><figcaption>{}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" aria-label="{}">"#,
        escape(title),
        escape(title)
    );
    for (i, ((_, _, label), n)) in bins.iter().zip(&counts).enumerate() {
        let x = 20.0 + i as f64 * 40.0;
        let bh = 120.0 * *n as f64 / max;
        o.push_str(&format!(
            r##"<rect x="{x}" y="{:.1}" width="{bar}" height="{bh:.1}" fill="#1f5fbf"><title>{}: {n}</title></rect><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle">{n}</text><text x="{:.1}" y="170" font-size="10" text-anchor="middle">{}</text>"##,
            140.0 - bh,
            escape(label),
            x + bar / 2.0,
            136.0 - bh,
            x + bar / 2.0,
            escape(label)
        ));
    }
    o.push_str("</svg></figure>");
    o
}

/// Member/source pairs that carry their texts in a page written by [`super::Writer`].
pub const MAX_COMPARE: usize = 2000;

/// Repeats whose occurrences carry their surrounding text (the rest show the sentence alone):
/// a `--sentences=full` scan of 20,000 documents lists 100,000 repeats, and their context
/// would make the page tens of megabytes.
pub const MAX_CONTEXT: usize = 2000;

/// Clusters, repeats and problems the page lists at most (the largest clusters, the first
/// repeats and problems; a count says how many more the JSON report holds): a page embedding
/// the 100,000 clusters of a million-document scan would not open.
pub const MAX_LISTED: usize = 10_000;

/// The clusters the page lists: all of them up to [`MAX_LISTED`], else the largest (ties in
/// report order), in report order.
fn listed(r: &Report) -> Vec<&super::ClusterReport> {
    let mut v: Vec<&super::ClusterReport> = r.clusters.iter().collect();
    if v.len() > MAX_LISTED {
        v.sort_by_key(|c| std::cmp::Reverse(c.members.len()));
        v.truncate(MAX_LISTED);
        v.sort_by_key(|c| c.id);
    }
    v
}

/// Bytes in human units, as the text report writes them (1 KB = 1,000 bytes).
fn human(n: u64) -> String {
    super::text::human_bytes(n)
}

/// The texts the page shows, by document id: those of cluster members and of documents with
/// repeated sentences, read again from `sources` (the report holds no whole texts) with the
/// report's `parameters.fields` and `parameters.max_doc_bytes`. Records that cannot be read
/// are skipped (the scan reported them); standard input cannot be read twice and is skipped.
pub fn texts(r: &Report, sources: &[Source]) -> crate::Result<BTreeMap<String, String>> {
    // The members the page compares (the first MAX_COMPARE of the listed clusters, with their
    // sources) and the documents of the repeats shown in context.
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    let mut compares = 0;
    'clusters: for c in listed(r) {
        for m in &c.details {
            if m.doc == c.source {
                continue;
            }
            if compares >= MAX_COMPARE {
                break 'clusters;
            }
            compares += 1;
            wanted.insert(m.doc.clone());
            wanted.insert(c.source.clone());
        }
    }
    wanted.extend(
        r.repeats
            .iter()
            .take(MAX_CONTEXT)
            .flat_map(|x| x.occurrences.iter().map(|o| o.doc.clone())),
    );
    let p = &r.parameters;
    let reader = crate::input::Reader::with(&p.fields, p.max_doc_bytes, p.windows_1252);
    crate::input::read_texts_of(sources, &reader, &wanted)
}

/// Writes the page. `texts` maps document ids to their original text; members without a text
/// get no side-by-side view. At most `max_compare` member/representative pairs carry texts.
pub fn write(
    r: &Report,
    texts: &BTreeMap<String, String>,
    max_compare: usize,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let p = &r.parameters;
    let s = &r.stats;
    // The aligned passages of reported pairs, by (a, b).
    let aligned: BTreeMap<(&str, &str), &crate::align::Alignment> = r
        .pairs
        .iter()
        .filter_map(|x| Some(((x.a.as_str(), x.b.as_str()), x.alignment.as_ref()?)))
        .collect();
    let mut compares = Vec::new();
    // Why a member has no side-by-side view, by "member\0source": 0 over the cap, 1 no text.
    let mut no_compare: BTreeMap<String, u8> = BTreeMap::new();
    let clusters = listed(r);
    for c in &clusters {
        for m in &c.details {
            if m.doc == c.source {
                continue;
            }
            let key = format!("{}\u{0}{}", m.doc, c.source);
            if compares.len() >= max_compare {
                no_compare.insert(key, 0);
                continue;
            }
            let (Some(mt), Some(st)) = (texts.get(&m.doc), texts.get(&c.source)) else {
                no_compare.insert(key, 1);
                continue;
            };
            // Passages with the member as `a`, from the report when the pair is in it
            // (either way round), else aligned here.
            let al = match (
                aligned.get(&(m.doc.as_str(), c.source.as_str())),
                aligned.get(&(c.source.as_str(), m.doc.as_str())),
            ) {
                (Some(al), _) => (*al).clone(),
                (None, Some(al)) => al.swapped(),
                _ => align(mt, st, p.sketch.ngram),
            };
            let ms: Vec<(usize, usize)> =
                al.passages.iter().map(|x| (x.a_start, x.a_end)).collect();
            let ss: Vec<(usize, usize)> =
                al.passages.iter().map(|x| (x.b_start, x.b_end)).collect();
            let (cov_m, cov_s) = (al.coverage_a, al.coverage_b);
            compares.push(Compare {
                member: m.doc.clone(),
                source: c.source.clone(),
                role: m.role,
                coverage_member: super::round4(cov_m),
                coverage_source: super::round4(cov_s),
                member_text: segments(mt, &ms),
                source_text: segments(st, &ss),
            });
        }
    }
    // Repeats with their occurrences in context (when the text is at hand).
    let repeats: Vec<serde_json::Value> = r
        .repeats
        .iter()
        .take(MAX_LISTED)
        .enumerate()
        .map(|(i, x)| {
            let occ: Vec<InContext> = x
                .occurrences
                .iter()
                .map(|o| {
                    let (before, text, after) = texts
                        .get(&o.doc)
                        .filter(|_| i < MAX_CONTEXT)
                        .and_then(|t| context(t, o.start as usize, o.end as usize))
                        .unwrap_or_else(|| (String::new(), o.text.clone(), String::new()));
                    InContext {
                        doc: o.doc.clone(),
                        start: o.start,
                        end: o.end,
                        before,
                        text,
                        after,
                    }
                })
                .collect();
            serde_json::json!({"kind": x.kind, "similarity": x.similarity, "documents": x.documents, "count": x.count, "occurrences": occ})
        })
        .collect();
    let jaccards: Vec<f64> = r.pairs.iter().map(|x| x.jaccard).collect();
    let containments: Vec<f64> = r.pairs.iter().map(|x| x.containment).collect();
    let sizes: Vec<f64> = r.clusters.iter().map(|c| c.members.len() as f64).collect();
    let jbins: Vec<(f64, f64, String)> = (0..10)
        .map(|i| {
            let lo = i as f64 * 0.1;
            (lo, if i == 9 { 1.01 } else { lo + 0.1 }, format!("{lo:.1}"))
        })
        .collect();
    let sbins: Vec<(f64, f64, String)> = [
        (2.0, 3.0, "2"),
        (3.0, 4.0, "3"),
        (4.0, 6.0, "4-5"),
        (6.0, 11.0, "6-10"),
        (11.0, 51.0, "11-50"),
        (51.0, f64::MAX, "51+"),
    ]
    .iter()
    .map(|(a, b, l)| (*a, *b, l.to_string()))
    .collect();
    let mut data = serde_json::json!({
        "clusters": clusters,
        "repeats": repeats,
        "problems": r.problems.iter().take(MAX_LISTED).collect::<Vec<_>>(),
        "compare": compares,
        "no_compare": no_compare,
        "max_compare": max_compare,
        "max_context": MAX_CONTEXT,
    });
    // Only a page that lists less than the report says so (and how much more there is).
    for (key, all) in [
        ("clusters_total", r.clusters.len()),
        ("repeats_total", r.repeats.len()),
        ("problems_total", r.problems.len()),
    ] {
        if all > MAX_LISTED {
            data[key] = all.into();
        }
    }
    write!(
        out,
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>syndup report</title>
<style>
body{{font:14px/1.45 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}}
header{{background:#1f3b63;color:#fff;padding:12px 20px}} header h1{{margin:0;font-size:20px}}
section{{background:#fff;margin:14px 20px;padding:12px 16px;border:1px solid #ddd;border-radius:6px}}
h2{{margin:4px 0 10px;font-size:17px}} table{{border-collapse:collapse}} td,th{{padding:2px 10px 2px 0;text-align:left;vertical-align:top}}
.figs{{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}} figure{{margin:0}} figcaption{{font-weight:600}}
.cluster{{border-top:1px solid #eee;padding:6px 0}} .cluster h3{{margin:2px 0;font-size:15px}}
.member{{display:grid;grid-template-columns:minmax(12em,22em) 7em 9em 7em 1fr;gap:8px;padding:1px 0}} .member>span,.occ{{overflow-wrap:anywhere}}
.role{{font-size:12px;border-radius:3px;padding:0 4px;justify-self:start;align-self:start}} .role.source{{background:#d7ecd9}} .role.copy{{background:#e4e9f5}} .role.partial_copy{{background:#f6e3c8}}
span.diff{{background:#fde2e2}} mark.repeat{{background:#ffd59a}}
.rep{{font-weight:600}} button.cmp{{font-size:12px}} .muted{{color:#777}}
#compare .cols{{display:grid;grid-template-columns:1fr 1fr;gap:16px}} #compare pre{{white-space:pre-wrap;font:13px/1.5 Georgia,serif;background:#fcfcfc;border:1px solid #eee;padding:8px;max-height:70vh;overflow:auto}}
mark.shared{{background:#fff0a8}} .pager button{{margin-right:4px}}
.occ{{margin:2px 0 2px 14px}} .kind{{display:inline-block;min-width:10em;font-weight:600}}
.legend{{margin:4px 0 8px}} .legend dt{{font-weight:600;float:left;clear:left;width:2.2em}} .legend dd{{margin:0 0 2px 2.4em}} .why{{font-size:12px}}
@media (max-width:900px){{
 section{{margin:10px 6px;padding:10px}} header{{padding:10px 8px}}
 .member{{grid-template-columns:1fr auto;gap:2px 8px;padding:4px 0;border-top:1px dotted #eee}}
 .member>span:nth-child(4){{text-align:right}} .member>span:nth-child(5){{grid-column:1/-1}}
 #compare .cols{{grid-template-columns:1fr}} .figs svg{{max-width:100%;height:auto}} table{{font-size:13px}}
}}
</style></head><body>
<header><h1>syndup report</h1><div>{docs} · {clusters} · {dups} · {pairs} · {problems}</div></header>
<section id="overview"><h2>Overview</h2>
<table><tr><th>shingles</th><td>{shingle} {ngram}-grams ({norm})</td></tr>
<tr><th>MinHash</th><td>{num_perm} permutations, {scheme}, seed {seed}</td></tr>
<tr><th>LSH</th><td>threshold {threshold} → {bands} bands × {rows} rows ({from})</td></tr>
<tr><th>verification / clusters</th><td>{verify} / {cluster}, keep {keep}</td></tr>
<tr><th>containment</th><td>{containment}; {contained} of the pairs are partial copies (one inside the other)</td></tr>
<tr><th>input</th><td>{files}, {bytes} read ({text} of text), {records} records, {candidates} candidates</td></tr></table>
<div class="figs"><figure><figcaption>S-curve: chance to become a candidate</figcaption>{curve}</figure>{hj}{hc}{hs}</div></section>
<section id="clusters"><h2>Clusters</h2>
<dl class="legend muted"><dt>J</dt><dd>Jaccard similarity of a member with the cluster's representative: shared {ngram}-grams divided by the {ngram}-grams of both together (1 = the same text after normalisation).</dd>
<dt>C</dt><dd>containment: the share of the member's {ngram}-grams found in the representative (1 = all of the member is inside it, as for a trimmed copy).</dd>
<dt>role</dt><dd>source: the likely original; copy: a near-duplicate of it; partial copy: part of one text lies inside the other. The representative (bold, “kept”) is what a dedupe keeps (keep {keep}).</dd></dl>
<input id="filter" placeholder="filter by id or title" size="40"> <span id="count" class="muted"></span><div id="list"></div><div class="pager" id="pager"></div></section>
<section id="compare"><h2>Side by side</h2><p id="cmp-help" class="muted">Choose “compare” next to a cluster member to see it beside the cluster's likely source: <mark class="shared">shared passages</mark> are highlighted in both texts, <span class="diff">text found in only one</span> is tinted.</p><div class="cols"><div><h3 id="cmp-a-title"></h3><pre id="cmp-a"></pre></div><div><h3 id="cmp-b-title"></h3><pre id="cmp-b"></pre></div></div></section>
<section id="repeats"><h2>Sentence repeats and boilerplate</h2><input id="rfilter" placeholder="filter by id or sentence" size="40"> <span id="rcount" class="muted"></span><div id="repeat-list"></div><div class="pager" id="rpager"></div></section>
<section id="problems"><h2>Problems</h2><div id="problem-list"></div></section>
<script type="application/json" id="data">{data}</script>
<script>
"use strict";
const D = JSON.parse(document.getElementById("data").textContent);
const PAGE = 50;
let page = 0, shown = D.clusters;
function el(tag, cls, text) {{ const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = String(text); return e; }}
function pagerTo(id, pages, at, go) {{
  const pager = document.getElementById(id); pager.replaceChildren();
  if (pages <= 1) return;
  const prev = el("button", "", "previous"); prev.disabled = at === 0; prev.onclick = () => go(at - 1);
  const next = el("button", "", "next"); next.disabled = at >= pages - 1; next.onclick = () => go(at + 1);
  pager.append(prev, next, el("span", "muted", " page " + (at + 1) + " of " + pages));
}}
const BY = {{date: "earliest date", containment: "holds the others", first_seen: "first seen", similarity: "nearest the others"}};
const WHY = ["only the first " + D.max_compare + " members carry their text in this page", "its text could not be read again (standard input is read once; or the file changed since the scan)"];
const cmpIndex = new Map(D.compare.map((c, i) => [c.member + "\u0000" + c.source, i]));
function render() {{
  const list = document.getElementById("list"); list.replaceChildren();
  const from = page * PAGE, to = Math.min(shown.length, from + PAGE);
  document.getElementById("count").textContent = shown.length + " clusters" + (shown.length ? ", showing " + (from + 1) + "–" + to : "") + (D.clusters_total ? " (the " + D.clusters.length + " largest of " + D.clusters_total + "; every cluster is in the JSON report)" : "");
  for (const c of shown.slice(from, to)) {{
    const box = el("div", "cluster"); box.dataset.cluster = c.id;
    box.appendChild(el("h3", "", "cluster " + c.id + " · " + c.members.length + " documents · likely source " + c.source + " (" + (BY[c.source_by] || c.source_by) + ")"));
    for (const m of c.details) {{
      const row = el("div", "member" + (m.representative ? " rep" : ""));
      row.dataset.role = m.role;
      row.appendChild(el("span", "", m.doc));
      row.appendChild(el("span", "role " + m.role, m.role.replace("_", " ")));
      const sc = el("span", "", m.representative ? "kept" : "J " + m.jaccard.toFixed(2) + "  C " + m.containment.toFixed(2));
      sc.title = m.representative ? "the representative: what a dedupe keeps" : "J: Jaccard similarity with the representative; C: share of this member found in the representative";
      row.appendChild(sc);
      row.appendChild(el("span", "muted", m.date || ""));
      const t = el("span", "", m.title);
      const k = cmpIndex.get(m.doc + "\u0000" + c.source);
      if (k !== undefined) {{ const b = el("button", "cmp", "compare"); b.onclick = () => compare(k, true); t.prepend(b, " "); }}
      else if (m.doc !== c.source) {{ const w = D.no_compare[m.doc + "\u0000" + c.source]; const n = el("span", "why muted", "(no side-by-side view: " + WHY[w === undefined ? 1 : w] + ") "); t.append(" ", n); }}
      row.appendChild(t); box.appendChild(row);
    }}
    list.appendChild(box);
  }}
  pagerTo("pager", Math.ceil(shown.length / PAGE), page, (p) => {{ page = p; render(); }});
}}
function fill(id, segs) {{ const pre = document.getElementById(id); pre.replaceChildren(); for (const [t, m] of segs) pre.appendChild(m ? el("mark", "shared", t) : (/\S/.test(t) ? el("span", "diff", t) : document.createTextNode(t))); }}
function compare(k, scroll) {{
  const c = D.compare[k];
  document.getElementById("cmp-a-title").textContent = c.member + " (" + c.role.replace("_", " ") + ", " + Math.round(c.coverage_member * 100) + "% shared)";
  document.getElementById("cmp-b-title").textContent = c.source + " (likely source, " + Math.round(c.coverage_source * 100) + "% shared)";
  fill("cmp-a", c.member_text); fill("cmp-b", c.source_text);
  if (scroll) document.getElementById("compare").scrollIntoView();
}}
document.getElementById("filter").oninput = (e) => {{
  const q = e.target.value.toLowerCase(); page = 0;
  shown = q ? D.clusters.filter(c => c.details.some(m => m.doc.toLowerCase().includes(q) || m.title.toLowerCase().includes(q))) : D.clusters;
  render();
}};
const boiler = D.repeats.filter(r => r.kind === "boilerplate").sort((a, b) => b.documents - a.documents);
const allRepeats = D.repeats.filter(r => r.kind !== "boilerplate").concat(boiler);
let rpage = 0, rshown = allRepeats;
function renderRepeats() {{
  const rl = document.getElementById("repeat-list"); rl.replaceChildren();
  if (!D.repeats.length) rl.appendChild(el("p", "muted", "No sentence repeats in this report."));
  const from = rpage * PAGE, to = Math.min(rshown.length, from + PAGE);
  document.getElementById("rcount").textContent = rshown.length + " repeats" + (rshown.length ? ", showing " + (from + 1) + "–" + to : "") + (D.repeats.length > D.max_context ? " (the first " + D.max_context + " with their surrounding text)" : "") + (D.repeats_total ? " (the first " + D.repeats.length + " of " + D.repeats_total + "; every repeat is in the JSON report)" : "");
  for (const r of rshown.slice(from, to)) {{
    const box = el("div", "cluster repeat"); box.dataset.kind = r.kind;
    box.appendChild(el("span", "kind", r.kind.replace("_", " ")));
    box.appendChild(el("span", "", r.kind === "boilerplate" ? "in " + r.documents + " documents" : "similarity " + r.similarity + " · " + r.count + " occurrences"));
    for (const o of r.occurrences) {{
      const d = el("div", "occ"); d.appendChild(el("span", "muted", o.doc + " [" + o.start + ".." + o.end + "]: "));
      d.append(o.before); d.appendChild(el("mark", "repeat", o.text)); d.append(o.after);
      box.appendChild(d);
    }}
    rl.appendChild(box);
  }}
  pagerTo("rpager", Math.ceil(rshown.length / PAGE), rpage, (p) => {{ rpage = p; renderRepeats(); }});
}}
document.getElementById("rfilter").oninput = (e) => {{
  const q = e.target.value.toLowerCase(); rpage = 0;
  rshown = q ? allRepeats.filter(r => r.occurrences.some(o => o.doc.toLowerCase().includes(q) || o.text.toLowerCase().includes(q))) : allRepeats;
  renderRepeats();
}};
renderRepeats();
const pl = document.getElementById("problem-list");
if (!D.problems.length) pl.appendChild(el("p", "muted", "No problems."));
for (const p of D.problems) pl.appendChild(el("div", "", p.path + (p.line ? ":" + p.line : "") + ": " + p.message));
if (D.problems_total) pl.appendChild(el("p", "muted", "(the first " + D.problems.length + " of " + D.problems_total + "; every problem is in the JSON report)"));
render();
if (D.compare.length) {{ const k = D.compare.findIndex(c => c.role === "partial_copy"); compare(k < 0 ? 0 : k, false); }}
</script></body></html>
"#,
        docs = super::text::plural(s.documents, "document", "documents"),
        clusters = super::text::plural(s.clusters, "cluster", "clusters"),
        dups = super::text::plural(s.duplicates, "duplicate", "duplicates"),
        pairs = super::text::plural(s.matches, "verified pair", "verified pairs"),
        problems = super::text::plural(s.problems, "problem", "problems"),
        shingle = escape(&format!("{:?}", p.sketch.shingle).to_lowercase()),
        ngram = p.sketch.ngram,
        norm = escape(&p.sketch.normalization),
        num_perm = p.sketch.num_perm,
        scheme = escape(&format!("{:?}", p.sketch.scheme).to_lowercase()),
        seed = p.sketch.seed,
        threshold = p.sketch.threshold,
        bands = p.sketch.bands,
        rows = p.sketch.rows,
        from = escape(&p.bands_rows_from),
        verify = escape(&format!("{:?}", p.verify).to_lowercase()),
        cluster = escape(&format!("{:?}", p.cluster).to_lowercase()),
        keep = escape(&format!("{:?}", p.keep).to_lowercase()),
        files = super::text::plural(s.files, "file", "files"),
        bytes = human(s.input_bytes),
        text = human(s.text_bytes),
        records = s.records,
        candidates = s.candidates,
        curve = svg::s_curve(p.sketch.bands, p.sketch.rows, p.sketch.threshold, &[]),
        hj = histogram("pair Jaccard", &jaccards, &jbins),
        hc = histogram("pair containment (larger side)", &containments, &jbins),
        containment = escape(&match p.containment.threshold {
            Some(c) => format!(
                "a pair is also reported when {c} of one document's shingles lie in the other"
            ),
            None => "off (Jaccard only)".into(),
        }),
        contained = s.contained_pairs,
        hs = histogram("cluster size", &sizes, &sbins),
        data = script_json(&data),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_script_safe_json() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        let j = script_json(&serde_json::json!({"t": "</script><img src=x onerror=alert(1)>"}));
        assert!(!j.contains('<') && !j.contains('>'));
        let back: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(back["t"], "</script><img src=x onerror=alert(1)>");
    }

    #[test]
    fn a_page_lists_the_largest_clusters_and_says_how_many_more() {
        let text = "The harbour council approved the flood barrier plan on Monday after a long debate about ferry routes, the old fish market and the price of steel for the new walls.";
        let docs = (0..3).map(|i| crate::Document {
            id: format!("d{i}"),
            text: text.to_string(),
            ..crate::Document::default()
        });
        let mut r = crate::Detector::new(crate::Config::default())
            .and_then(|d| d.scan_documents(docs))
            .map(|o| o.report)
            .unwrap_or_else(|e| panic!("scan: {e}"));
        assert_eq!(r.clusters.len(), 1);
        let one = r.clusters[0].clone();
        // MAX_LISTED + 5 clusters; five of them (ids 7, 8, ..., 11) one member larger.
        r.clusters = (1..=MAX_LISTED as u64 + 5)
            .map(|id| {
                let mut c = one.clone();
                c.id = id;
                if (7..12).contains(&id) {
                    c.members.push(format!("extra{id}"));
                }
                c
            })
            .collect();
        let shown = listed(&r);
        assert_eq!(shown.len(), MAX_LISTED);
        assert!(shown.windows(2).all(|w| w[0].id < w[1].id), "report order");
        assert!(
            (7..12).all(|id| shown.iter().any(|c| c.id == id)),
            "the largest kept"
        );
        let mut page = Vec::new();
        write(&r, &BTreeMap::new(), 0, &mut page).unwrap();
        let page = String::from_utf8(page).unwrap();
        assert!(page.contains(&format!("\"clusters_total\":{}", MAX_LISTED + 5)));
        assert!(
            !page.contains("\"repeats_total\""),
            "nothing cut, nothing said"
        );
        // A small report says nothing.
        r.clusters.truncate(3);
        let mut small = Vec::new();
        write(&r, &BTreeMap::new(), 0, &mut small).unwrap();
        assert!(!String::from_utf8(small)
            .unwrap()
            .contains("\"clusters_total\""));
    }

    #[test]
    fn segments_mark_shared_spans() {
        let s = segments("abcdef", &[(1, 3), (4, 5)]);
        assert_eq!(
            s,
            vec![
                ("a".into(), false),
                ("bc".into(), true),
                ("d".into(), false),
                ("e".into(), true),
                ("f".into(), false)
            ]
        );
    }
}
