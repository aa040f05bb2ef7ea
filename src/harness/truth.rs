//! The ground truth format: what `syndup generate` writes and `syndup eval` reads, as one
//! set of typed records.
//!
//! Input (writing): a generated [`Corpus`]. Output: two JSON Lines files, the documents
//! (`corpus.jsonl`, one [`DocRecord`] per line) and the truth (`truth.jsonl`, one
//! [`TruthRecord`] per line, tagged by `"type"`: a [`TruthHeader`], then every
//! [`PlantedPair`], then every [`PlantedRepeat`]). Reading goes through the same structs
//! ([`Truth::read`], [`DocRecord`]), so the writer and the evaluator cannot drift apart; the
//! written bytes are pinned by the generator's golden hash and [`GENERATOR_VERSION`].
//!
//! Reading is lenient only where hand-written truth files need it (a header without fields,
//! a pair without `edits` or `base`) and where a newer generator may add something: lines of
//! an unknown `type` are skipped.

use super::generate::{Corpus, GenerateError, GeneratedDoc};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};
use std::path::Path;
use std::str::FromStr;

/// Version of the generator algorithm and output format, written to the truth header.
///
/// Bump it whenever the same model and options would produce different bytes.
pub const GENERATOR_VERSION: u32 = 1;

/// How strongly a planted copy was edited relative to its base document.
///
/// Levels are ordered from lightest to heaviest (`Exact < Light < Medium < Heavy <
/// Partial`); a copy-copy pair takes the heavier level of its two copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EditLevel {
    /// Byte-identical text under a new id and publisher (title kept).
    Exact,
    /// New headline, changed byline and/or footer, whitespace/case/punctuation noise;
    /// word-5-gram Jaccard typically at least 0.85.
    Light,
    /// Light edits plus 1-2 dropped or inserted sentences and ~1-2% substituted words;
    /// Jaccard about 0.65-0.85.
    Medium,
    /// Paragraph reorder, ~4-6% substituted words, 2-3 dropped sentences and OCR-like
    /// character errors; Jaccard about 0.35-0.65.
    Heavy,
    /// Truncation to 40-70% of the story, the whole story embedded in a page 1.5-3x
    /// longer, or the story under a new two-paragraph intro: low Jaccard, high
    /// containment.
    Partial,
}

impl EditLevel {
    /// Every level, lightest first.
    pub const ALL: [EditLevel; 5] = [
        EditLevel::Exact,
        EditLevel::Light,
        EditLevel::Medium,
        EditLevel::Heavy,
        EditLevel::Partial,
    ];

    /// The snake_case name used in JSON (`"exact"`, `"light"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            EditLevel::Exact => "exact",
            EditLevel::Light => "light",
            EditLevel::Medium => "medium",
            EditLevel::Heavy => "heavy",
            EditLevel::Partial => "partial",
        }
    }
}

impl fmt::Display for EditLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EditLevel {
    type Err = GenerateError;

    /// Parses a level name as written by [`EditLevel::as_str`] (ASCII case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EditLevel::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| GenerateError::UnknownLevel(s.to_string()))
    }
}

/// A planted near-duplicate pair; every unordered pair inside a family is listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlantedPair {
    /// Id of the pair's document that comes first in output order.
    pub a: String,
    /// Id of the pair's document that comes later in output order.
    pub b: String,
    /// Family id (`f00042`).
    pub family: String,
    /// Edit level of the copy (base-copy pair) or the heavier of the two copies.
    pub level: EditLevel,
    /// Edits applied, `name` or `name:parameter`: `headline`, `byline`, `footer`,
    /// `whitespace`, `case_noise`, `punctuation`, `drop_sentence:N`,
    /// `insert_sentence:N`, `substitute_words:N`, `reorder_paragraphs`, `ocr_noise:N`,
    /// `truncate:F` (share of story words kept), `embed:F` (page length / story
    /// length), `new_intro:F` (intro words / story words). Empty for exact copies. For a
    /// copy-copy pair: the first copy's edits, then the second's not already listed.
    /// Optional when reading (missing means none).
    #[serde(default)]
    pub edits: Vec<String>,
    /// Id of the family's base when it is `a` or `b` (a base-copy pair); `None` for a
    /// copy-copy pair. Written as `"base": "g000123"` or `"base": null`; missing means
    /// `null` when reading.
    pub base: Option<String>,
}

impl PlantedPair {
    /// True for a base-copy pair (one of the two documents is the family's base).
    pub fn is_base_copy(&self) -> bool {
        self.base.is_some()
    }

    /// For a base-copy pair with a partial edit, the document that lies inside the other: a
    /// truncated copy inside its base, or the base inside a page that embeds it or puts it
    /// under a new intro. `None` for other pairs.
    pub fn expected_inside(&self) -> Option<&str> {
        let base = self.base.as_deref()?;
        let copy = if self.a == base { &self.b } else { &self.a };
        let has = |name: &str| self.edits.iter().any(|e| e.starts_with(name));
        if has("truncate:") {
            Some(copy)
        } else if has("embed:") || has("new_intro:") {
            Some(base)
        } else {
            None
        }
    }
}

/// A sentence repeated later in the same page with 1-3 words changed.
///
/// Planted in base documents; also listed for every copy in which both sentences
/// survive (there the copy's own edits may have changed a few more words).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlantedRepeat {
    /// Id of the document.
    pub doc: String,
    /// Byte span `[start, end)` of the earlier sentence in the document text.
    pub first: (usize, usize),
    /// Byte span `[start, end)` of the later sentence in the document text.
    pub second: (usize, usize),
}

/// The first line of a truth file: what the corpus was generated with.
///
/// The generator always writes every field; each is optional when reading, so a
/// hand-written truth file may start with just `{"type":"header"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthHeader {
    /// Seed of the corpus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Documents in the corpus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<u64>,
    /// [`GENERATOR_VERSION`] of the generator that wrote the corpus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator_version: Option<u32>,
}

/// One line of a truth file, tagged by `"type"`: `header`, `pair` or `repeat`.
///
/// Borrowed when written (no copies of the corpus's truth), owned when read. Field order
/// and number formatting are part of the format: `{"type":"pair","a":..,"b":..,
/// "family":..,"level":..,"edits":[..],"base":..}` and
/// `{"type":"repeat","doc":..,"first":[s,e],"second":[s,e]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TruthRecord<'a> {
    /// The first line.
    Header(Cow<'a, TruthHeader>),
    /// A planted near-duplicate pair.
    Pair(Cow<'a, PlantedPair>),
    /// A planted within-page sentence repeat.
    Repeat(Cow<'a, PlantedRepeat>),
    /// A record of a type this version does not know: skipped when reading, never written.
    #[serde(other, skip_serializing)]
    Other,
}

/// One line of the documents file (`corpus.jsonl`), in output order.
///
/// `family` is not written: it is ground truth. When reading, `date`, `publisher` and
/// `title` may be missing (empty) and other fields are ignored, so any JSON Lines corpus
/// with `id` and `text` can be evaluated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocRecord<'a> {
    /// Document id (`g000123`).
    pub id: Cow<'a, str>,
    /// Publication date, `YYYY-MM-DD`.
    #[serde(default)]
    pub date: Cow<'a, str>,
    /// Publisher name.
    #[serde(default)]
    pub publisher: Cow<'a, str>,
    /// Headline.
    #[serde(default)]
    pub title: Cow<'a, str>,
    /// Body text; repeat spans are byte offsets into it.
    pub text: Cow<'a, str>,
}

/// The ground truth of a corpus as read back from a truth file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Truth {
    /// The header, if the file has one.
    pub header: Option<TruthHeader>,
    /// Planted pairs, in file order.
    pub pairs: Vec<PlantedPair>,
    /// Planted repeats, in file order.
    pub repeats: Vec<PlantedRepeat>,
}

impl Truth {
    /// Reads a truth file written by [`write_corpus`].
    pub fn read(path: &Path) -> Result<Truth> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Truth::parse(&text, path)
    }

    /// Parses truth JSON Lines; `origin` names the source in error messages
    /// (`origin:line: message`).
    pub fn parse(text: &str, origin: &Path) -> Result<Truth> {
        let mut truth = Truth::default();
        for (i, line) in text.lines().enumerate() {
            let record: TruthRecord<'static> =
                serde_json::from_str(line).map_err(|e| line_error(origin, i, e))?;
            match record {
                TruthRecord::Header(h) => truth.header = Some(h.into_owned()),
                TruthRecord::Pair(p) => truth.pairs.push(p.into_owned()),
                TruthRecord::Repeat(r) => truth.repeats.push(r.into_owned()),
                TruthRecord::Other => {}
            }
        }
        Ok(truth)
    }
}

/// An error on line `line` (0-based) of `path`.
pub(super) fn line_error(path: &Path, line: usize, msg: impl fmt::Display) -> Error {
    Error::input(format!("{}:{}: {msg}", path.display(), line + 1))
}

fn json_line<W: Write, T: Serialize>(w: &mut W, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *w, value).map_err(io::Error::from)?;
    w.write_all(b"\n")
}

/// Writes the corpus as two JSON Lines streams.
///
/// `docs_out`: one [`DocRecord`] (`{"id","date","publisher","title","text"}`) per line, in
/// output order. `truth_out`: a [`TruthHeader`] line
/// (`{"type":"header","seed","documents","generator_version"}`), then one
/// `{"type":"pair","a","b","family","level","edits","base"}` line per planted pair, then one
/// `{"type":"repeat","doc","first":[s,e],"second":[s,e]}` line per planted repeat (byte
/// offsets into that document's `text`). Both writers are buffered internally and flushed
/// before returning.
pub fn write_corpus(
    corpus: &Corpus,
    docs_out: &mut impl Write,
    truth_out: &mut impl Write,
) -> io::Result<()> {
    {
        let mut w = io::BufWriter::with_capacity(1 << 20, &mut *docs_out);
        for d in &corpus.docs {
            write_doc(&mut w, d)?;
        }
        w.flush()?;
    }
    docs_out.flush()?;
    write_truth(
        truth_out,
        corpus.seed,
        corpus.docs.len(),
        &corpus.pairs,
        &corpus.repeats,
    )
}

/// Writes one document line of the documents stream (see [`write_corpus`]).
pub(super) fn write_doc(w: &mut impl Write, d: &GeneratedDoc) -> io::Result<()> {
    let record = DocRecord {
        id: Cow::Borrowed(&d.id),
        date: Cow::Borrowed(&d.date),
        publisher: Cow::Borrowed(&d.publisher),
        title: Cow::Borrowed(&d.title),
        text: Cow::Borrowed(&d.text),
    };
    json_line(w, &record)
}

/// Writes the truth stream (see [`write_corpus`]): header, pairs, repeats; flushed.
pub(super) fn write_truth<'a>(
    truth_out: &mut impl Write,
    seed: u64,
    documents: usize,
    pairs: impl IntoIterator<Item = &'a PlantedPair>,
    repeats: impl IntoIterator<Item = &'a PlantedRepeat>,
) -> io::Result<()> {
    {
        let mut w = io::BufWriter::with_capacity(1 << 20, &mut *truth_out);
        let header = TruthHeader {
            seed: Some(seed),
            documents: Some(documents as u64),
            generator_version: Some(GENERATOR_VERSION),
        };
        json_line(&mut w, &TruthRecord::Header(Cow::Owned(header)))?;
        for p in pairs {
            json_line(&mut w, &TruthRecord::Pair(Cow::Borrowed(p)))?;
        }
        for r in repeats {
            json_line(&mut w, &TruthRecord::Repeat(Cow::Borrowed(r)))?;
        }
        w.flush()?;
    }
    truth_out.flush()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{bytes, model, opts};
    use super::super::{generate, GenerateOptions};
    use super::*;

    #[test]
    fn truth_jsonl_layout() {
        let m = model();
        let o = GenerateOptions {
            repeat_share: 0.5,
            ..opts(120, 21)
        };
        let c = generate(&m, &o);
        let (docs, truth) = bytes(&c);
        let parse = |l: &str| match serde_json::from_str::<serde_json::Value>(l) {
            Ok(v) => v,
            Err(e) => panic!("bad JSON line {l:?}: {e}"),
        };
        let doc_lines: Vec<&str> = std::str::from_utf8(&docs).unwrap_or("").lines().collect();
        assert_eq!(doc_lines.len(), 120);
        assert!(doc_lines[0].starts_with("{\"id\":\"g000000\",\"date\":\""));
        let v = parse(doc_lines[0]);
        let keys: Vec<&String> = v
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys.len(), 5);
        let truth_lines: Vec<&str> = std::str::from_utf8(&truth).unwrap_or("").lines().collect();
        assert_eq!(
            truth_lines[0],
            format!("{{\"type\":\"header\",\"seed\":21,\"documents\":120,\"generator_version\":{GENERATOR_VERSION}}}")
        );
        let kinds: Vec<String> = truth_lines[1..]
            .iter()
            .map(|l| parse(l)["type"].as_str().unwrap_or("").to_string())
            .collect();
        assert_eq!(kinds.len(), c.pairs.len() + c.repeats.len());
        assert!(kinds[..c.pairs.len()].iter().all(|k| k == "pair"));
        assert!(kinds[c.pairs.len()..].iter().all(|k| k == "repeat"));
        if let Some(l) = truth_lines.get(1) {
            assert!(l.starts_with("{\"type\":\"pair\",\"a\":\"g"), "{l}");
        }
        if let Some(r) = c.repeats.first() {
            let l = truth_lines[1 + c.pairs.len()];
            let v = parse(l);
            assert_eq!(v["doc"], r.doc.as_str());
            assert_eq!(v["first"][0], r.first.0);
            assert_eq!(v["second"][1], r.second.1);
        }
    }

    #[test]
    fn edit_level_names() {
        for l in EditLevel::ALL {
            assert_eq!(l.as_str().parse::<EditLevel>().ok(), Some(l));
            let json = serde_json::to_string(&l).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", l.as_str()));
        }
        assert!("HEAVY".parse::<EditLevel>().is_ok());
        assert!("rewrite".parse::<EditLevel>().is_err());
        assert!(EditLevel::Exact < EditLevel::Light && EditLevel::Heavy < EditLevel::Partial);
    }

    #[test]
    fn truth_reads_back_what_was_written() {
        let o = GenerateOptions {
            repeat_share: 0.5,
            ..opts(150, 4)
        };
        let c = generate(&model(), &o);
        let (docs, truth) = bytes(&c);
        let text = std::str::from_utf8(&truth).unwrap_or("");
        let t = match Truth::parse(text, Path::new("truth.jsonl")) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        let header = TruthHeader {
            seed: Some(4),
            documents: Some(150),
            generator_version: Some(GENERATOR_VERSION),
        };
        assert_eq!(t.header, Some(header));
        assert!(!t.pairs.is_empty() && !t.repeats.is_empty());
        assert_eq!(t.pairs, c.pairs);
        assert_eq!(t.repeats, c.repeats);
        let text = std::str::from_utf8(&docs).unwrap_or("");
        for (line, d) in text.lines().zip(&c.docs) {
            let r: DocRecord<'_> = match serde_json::from_str(line) {
                Ok(r) => r,
                Err(e) => panic!("{e}: {line}"),
            };
            assert_eq!((&*r.id, &*r.title, &*r.text), (&*d.id, &*d.title, &*d.text));
        }
    }

    #[test]
    fn hand_written_truth_is_read_leniently_where_documented() {
        let text = "{\"type\":\"header\"}\n\
            {\"type\":\"pair\",\"a\":\"a\",\"b\":\"b\",\"family\":\"F1\",\"level\":\"light\"}\n\
            {\"type\":\"cluster\",\"members\":[\"a\",\"b\"]}\n";
        let t = match Truth::parse(text, Path::new("t.jsonl")) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(t.header, Some(TruthHeader::default()));
        assert_eq!(t.pairs.len(), 1);
        assert!(t.pairs[0].edits.is_empty() && t.pairs[0].base.is_none());
        for bad in [
            "{\"type\":\"pair\",\"b\":\"x\",\"family\":\"f\",\"level\":\"light\"}",
            "{\"type\":\"pair\",\"a\":\"x\",\"b\":\"y\",\"family\":\"f\",\"level\":\"rewrite\"}",
            "{\"type\":\"repeat\",\"doc\":\"a\",\"first\":[1],\"second\":[3,4]}",
            "not json",
        ] {
            let e = Truth::parse(
                &format!("{{\"type\":\"header\"}}\n{bad}\n"),
                Path::new("t.jsonl"),
            );
            match e {
                Err(e) => assert!(e.to_string().contains("t.jsonl:2: "), "{e}"),
                Ok(t) => panic!("accepted {bad}: {t:?}"),
            }
        }
    }

    #[test]
    fn expected_inside_follows_the_partial_edit() {
        let pair = |edits: &[&str], base: Option<&str>| PlantedPair {
            a: "g1".into(),
            b: "g2".into(),
            family: "f0".into(),
            level: EditLevel::Partial,
            edits: edits.iter().map(|e| e.to_string()).collect(),
            base: base.map(str::to_string),
        };
        assert_eq!(
            pair(&["headline", "truncate:0.55"], Some("g1")).expected_inside(),
            Some("g2")
        );
        assert_eq!(
            pair(&["embed:2.10"], Some("g1")).expected_inside(),
            Some("g1")
        );
        assert_eq!(
            pair(&["new_intro:0.70"], Some("g2")).expected_inside(),
            Some("g2")
        );
        assert_eq!(pair(&["truncate:0.55"], None).expected_inside(), None);
        assert_eq!(pair(&["headline"], Some("g1")).expected_inside(), None);
    }
}
