//! The copy edits: how a planted copy is rewritten from its base, level by level.
//!
//! Input: the base document's `Story` (before rendering), its rendered text and title, the
//! [`EditLevel`] to plant and the copy's own random stream. Output: the copy's title, text,
//! tagged-sentence spans, publisher and the list of edits applied (the `edits` field of a
//! [`PlantedPair`](super::PlantedPair)). `exact` keeps the bytes; `light` changes headline,
//! byline or footer plus whitespace, case and comma noise; `medium` adds dropped or inserted
//! sentences and 1-2% substituted words; `heavy` reorders paragraphs, substitutes 4-6% of the
//! words, drops sentences and adds OCR-like character errors; `partial` truncates the story,
//! embeds it in a longer page or puts it under a new intro. Each edit works on the story's
//! tokens, so byte offsets of the planted repeats stay exact after rendering. The planted
//! within-page repeat of a base (`plant_repeat`) is an edit too and lives here.

use super::generate::GenerateOptions;
use super::model::Model;
use super::publishers::pick_publisher;
use super::random::{IdSet, Rng};
use super::text::{
    base_paragraphs, byline, capitalize, push_extra, DocGen, Sent, Span, Story, Style, PLAIN,
};
use super::truth::EditLevel;

/// Positions `(paragraph, sentence, token)` of plain alphabetic words.
fn word_positions(m: &Model, story: &Story) -> Vec<(usize, usize, usize)> {
    let mut v = Vec::new();
    for (p, para) in story.paras.iter().enumerate() {
        for (s, sent) in para.iter().enumerate() {
            for (i, &t) in sent.toks.iter().enumerate() {
                let w = m.tok_str(t, &story.extra);
                if !m.is_punct(t) && w.chars().count() >= 2 && w.chars().all(char::is_alphabetic) {
                    v.push((p, s, i));
                }
            }
        }
    }
    v
}

fn substitute_words(m: &Model, story: &mut Story, rng: &mut Rng, share: f64) -> usize {
    let mut pos = word_positions(m, story);
    let n = ((m.story_words(story) as f64 * share).round() as usize).min(pos.len());
    rng.shuffle(&mut pos);
    for &(p, s, i) in pos.iter().take(n) {
        let t = story.paras[p][s].toks[i];
        let r = m.replacement(t, &mut story.extra, rng);
        story.paras[p][s].toks[i] = r;
    }
    n
}

fn sentence_count(story: &Story) -> usize {
    story.paras.iter().map(Vec::len).sum()
}

/// Drops up to `n` random sentences, keeping at least three; returns how many.
fn drop_sentences(story: &mut Story, rng: &mut Rng, n: usize) -> usize {
    let mut done = 0;
    for _ in 0..n {
        let total = sentence_count(story);
        if total <= 3 {
            break;
        }
        let mut k = rng.index(total);
        let mut removed = false;
        for p in 0..story.paras.len() {
            if k < story.paras[p].len() {
                story.paras[p].remove(k);
                if story.paras[p].is_empty() {
                    story.paras.remove(p);
                }
                removed = true;
                break;
            }
            k -= story.paras[p].len();
        }
        if removed {
            done += 1;
        }
    }
    done
}

fn insert_sentences(g: &mut DocGen<'_>, story: &mut Story, rng: &mut Rng, n: usize) -> usize {
    for _ in 0..n {
        let s = g.sentence(rng, &mut story.extra);
        if story.paras.is_empty() {
            story.paras.push(Vec::new());
        }
        let p = rng.index(story.paras.len());
        let at = rng.range(0, story.paras[p].len());
        story.paras[p].insert(at, s);
    }
    n
}

fn reorder_paragraphs(story: &mut Story, rng: &mut Rng) -> bool {
    let n = story.paras.len();
    if n < 2 {
        return false;
    }
    let mut order: Vec<usize> = (0..n).collect();
    for _ in 0..10 {
        rng.shuffle(&mut order);
        if order.iter().enumerate().any(|(i, &o)| i != o) {
            break;
        }
    }
    if order.iter().enumerate().all(|(i, &o)| i == o) {
        order.swap(0, 1);
    }
    let old = std::mem::take(&mut story.paras);
    let mut slots: Vec<Option<Vec<Sent>>> = old.into_iter().map(Some).collect();
    story.paras = order
        .iter()
        .filter_map(|&o| slots.get_mut(o).and_then(Option::take))
        .collect();
    true
}

const OCR_SWAPS: &[(&str, &str)] = &[
    ("rn", "m"),
    ("m", "rn"),
    ("l", "1"),
    ("I", "l"),
    ("O", "0"),
    ("o", "0"),
    ("e", "c"),
    ("c", "e"),
    ("h", "b"),
    ("cl", "d"),
    ("d", "cl"),
    ("i", "l"),
    ("S", "5"),
    ("B", "8"),
    ("u", "v"),
    ("n", "h"),
    ("a", "o"),
    ("t", "f"),
];

/// One OCR-like error in `w`: a look-alike swap, a dropped letter or a split word.
fn ocr_corrupt(w: &str, rng: &mut Rng) -> Option<String> {
    let mut cands: Vec<String> = Vec::new();
    for &(from, to) in OCR_SWAPS {
        for (i, _) in w.match_indices(from) {
            cands.push(format!("{}{}{}", &w[..i], to, &w[i + from.len()..]));
        }
    }
    let inner: Vec<usize> = w.char_indices().map(|(i, _)| i).skip(1).collect();
    if let Some(&i) = rng.pick(&inner) {
        let end = w[i..].chars().next().map_or(i, |c| i + c.len_utf8());
        cands.push(format!("{}{}", &w[..i], &w[end..]));
        cands.push(format!("{} {}", &w[..i], &w[i..]));
    }
    let lw = w.to_lowercase();
    for _ in 0..6 {
        if let Some(c) = rng.pick(&cands) {
            if c.to_lowercase() != lw {
                return Some(c.clone());
            }
        }
    }
    None
}

/// Corrupts about `share` of the words with OCR-like errors; returns how many.
fn ocr_noise(m: &Model, story: &mut Story, rng: &mut Rng, share: f64) -> usize {
    let mut pos: Vec<_> = word_positions(m, story)
        .into_iter()
        .filter(|&(p, s, i)| {
            m.tok_str(story.paras[p][s].toks[i], &story.extra)
                .chars()
                .count()
                >= 3
        })
        .collect();
    let n = ((m.story_words(story) as f64 * share).round() as usize)
        .max(1)
        .min(pos.len());
    rng.shuffle(&mut pos);
    let mut done = 0;
    for &(p, s, i) in pos.iter().take(n) {
        let t = story.paras[p][s].toks[i];
        if let Some(c) = ocr_corrupt(m.tok_str(t, &story.extra), rng) {
            story.paras[p][s].toks[i] = push_extra(&mut story.extra, c);
            done += 1;
        }
    }
    done
}

/// Upper-cases, lower-cases or capitalises about `share` of the words.
fn case_noise(m: &Model, story: &mut Story, rng: &mut Rng, share: f64) -> usize {
    let mut pos = word_positions(m, story);
    let n = ((pos.len() as f64 * share).round() as usize)
        .max(1)
        .min(pos.len());
    rng.shuffle(&mut pos);
    let mut done = 0;
    for &(p, s, i) in pos.iter().take(n) {
        let t = story.paras[p][s].toks[i];
        let w = m.tok_str(t, &story.extra);
        let c = match rng.index(3) {
            0 => w.to_uppercase(),
            1 => w.to_lowercase(),
            _ => capitalize(&w.to_lowercase()),
        };
        if c != w {
            story.paras[p][s].toks[i] = push_extra(&mut story.extra, c);
            done += 1;
        }
    }
    done
}

/// Drops about half the commas and adds a few new ones.
fn punctuation_noise(m: &Model, story: &mut Story, rng: &mut Rng) -> bool {
    let comma = m.vocab.iter().position(|v| &**v == ",").map(|i| i as u32);
    let mut changed = false;
    for sent in story.paras.iter_mut().flatten() {
        let before = sent.toks.len();
        sent.toks.retain(|&t| Some(t) != comma || rng.chance(0.5));
        changed |= sent.toks.len() != before;
    }
    if let Some(c) = comma {
        for _ in 0..rng.range(2, 5) {
            let pos = word_positions(m, story);
            if let Some(&(p, s, i)) = rng.pick(&pos) {
                let toks = &mut story.paras[p][s].toks;
                if i + 2 < toks.len() && !m.is_punct(toks[i + 1]) {
                    toks.insert(i + 1, c);
                    changed = true;
                }
            }
        }
    }
    changed
}

fn whitespace_style(rng: &mut Rng) -> Style {
    match rng.index(4) {
        0 => Style {
            sent_sep: "  ",
            ..PLAIN
        },
        1 => Style {
            para_sep: "\n",
            indent: "    ",
            wrap: rng.range(62, 76),
            ..PLAIN
        },
        2 => Style {
            para_sep: "\n",
            ..PLAIN
        },
        _ => Style {
            para_sep: "\n \n",
            wrap: rng.range(70, 90),
            ..PLAIN
        },
    }
}

/// Plants a near-repeat: a sentence of 8+ words copied at least two sentences later
/// with 1-3 words substituted.
pub(super) fn plant_repeat(m: &Model, story: &mut Story, rng: &mut Rng) -> bool {
    let flat: Vec<(usize, usize)> = story
        .paras
        .iter()
        .enumerate()
        .flat_map(|(p, para)| (0..para.len()).map(move |s| (p, s)))
        .collect();
    let total = flat.len();
    let cands: Vec<usize> = (0..total.saturating_sub(2))
        .filter(|&k| {
            let (p, s) = flat[k];
            m.word_count(&story.paras[p][s]) >= 8
        })
        .collect();
    let Some(&k) = rng.pick(&cands) else {
        return false;
    };
    let (p, s) = flat[k];
    let mut copy = story.paras[p][s].clone();
    let words: Vec<usize> = copy
        .toks
        .iter()
        .enumerate()
        .filter(|&(_, &t)| {
            let w = m.tok_str(t, &story.extra);
            !m.is_punct(t) && w.chars().count() >= 2 && w.chars().all(char::is_alphabetic)
        })
        .map(|(i, _)| i)
        .collect();
    let mut words = words;
    rng.shuffle(&mut words);
    let n = rng.range(1, 3).min(words.len());
    if n == 0 {
        return false;
    }
    for &i in words.iter().take(n) {
        copy.toks[i] = m.replacement(copy.toks[i], &mut story.extra, rng);
    }
    story.paras[p][s].tag = 1;
    copy.tag = 2;
    // Insert before flat sentence q (q == total: at the end of the last paragraph).
    let q = rng.range(k + 2, total);
    if q >= total {
        if let Some(last) = story.paras.last_mut() {
            last.push(copy);
        }
    } else {
        let (qp, qs) = flat[q];
        story.paras[qp].insert(qs, copy);
    }
    true
}

/// Keeps whole sentences from the start until `share` of the words; returns the
/// share actually kept.
fn truncate(m: &Model, story: &mut Story, share: f64) -> f64 {
    let total = m.story_words(story).max(1);
    let want = (total as f64 * share).round() as usize;
    let mut kept = 0;
    let mut paras = Vec::new();
    'outer: for para in std::mem::take(&mut story.paras) {
        let mut np = Vec::new();
        for s in para {
            if kept >= want {
                if !np.is_empty() {
                    paras.push(np);
                }
                break 'outer;
            }
            kept += m.word_count(&s);
            np.push(s);
        }
        paras.push(np);
    }
    story.paras = paras;
    kept as f64 / total as f64
}

/// A rendered copy and the edits that made it.
pub(super) struct CopyOut {
    pub(super) title: String,
    pub(super) text: String,
    pub(super) spans: Vec<Span>,
    pub(super) publisher: usize,
    pub(super) edits: Vec<String>,
}

/// What a copy is made from: the base story, its rendering and its page state.
pub(super) struct BaseInfo<'a> {
    pub(super) story: &'a Story,
    pub(super) text: &'a str,
    pub(super) spans: &'a [Span],
    pub(super) title: &'a str,
    pub(super) footer: Option<&'static str>,
    /// Word 4-gram hashes of the base page (new sentences in the copy avoid them).
    pub(super) seen: &'a IdSet,
}

/// Rewrites the base at `level`. The random draws happen in a fixed order (publisher first),
/// which is part of the byte-exact output.
pub(super) fn make_copy(
    m: &Model,
    opts: &GenerateOptions,
    base: &BaseInfo<'_>,
    level: EditLevel,
    rng: &mut Rng,
    used: &[usize],
) -> CopyOut {
    let (publisher, footer) = pick_publisher(rng, opts.boilerplate_share, used);
    if level == EditLevel::Exact {
        return CopyOut {
            title: base.title.to_string(),
            text: base.text.to_string(),
            spans: base.spans.to_vec(),
            publisher,
            edits: Vec::new(),
        };
    }
    let mut g = DocGen::new(m, rng.next_u64());
    g.seen = base.seen.clone();
    let mut story = base.story.clone();
    let mut edits: Vec<String> = vec!["headline".to_string()];
    let title = g.headline(rng);
    let mut style = PLAIN;
    let base_words = m.story_words(&story);

    if level != EditLevel::Partial {
        let mut byline_changed = rng.chance(0.5);
        if footer == base.footer && !byline_changed {
            byline_changed = true;
        }
        if byline_changed {
            story.byline = match story.byline {
                Some(_) if rng.chance(0.5) => None,
                _ => Some(byline(rng)),
            };
            edits.push("byline".to_string());
        }
    }
    match level {
        EditLevel::Exact => {}
        EditLevel::Light | EditLevel::Medium => {
            let mut noise = [rng.chance(0.5), rng.chance(0.5), rng.chance(0.5)];
            if !noise.iter().any(|&b| b) {
                noise[rng.index(3)] = true;
            }
            if level == EditLevel::Medium {
                let ops = rng.range(1, 2);
                let drops = (0..ops).filter(|_| rng.chance(0.5)).count();
                let d = drop_sentences(&mut story, rng, drops);
                if d > 0 {
                    edits.push(format!("drop_sentence:{d}"));
                }
                let i = insert_sentences(&mut g, &mut story, rng, ops - drops);
                if i > 0 {
                    edits.push(format!("insert_sentence:{i}"));
                }
                let share = rng.uniform(0.01, 0.02);
                let n = substitute_words(m, &mut story, rng, share);
                if n > 0 {
                    edits.push(format!("substitute_words:{n}"));
                }
            }
            if noise[0] {
                style = whitespace_style(rng);
                edits.push("whitespace".to_string());
            }
            let share = rng.uniform(0.02, 0.05);
            if noise[1] && case_noise(m, &mut story, rng, share) > 0 {
                edits.push("case_noise".to_string());
            }
            if noise[2] && punctuation_noise(m, &mut story, rng) {
                edits.push("punctuation".to_string());
            }
        }
        EditLevel::Heavy => {
            let drops = rng.range(2, 3);
            let d = drop_sentences(&mut story, rng, drops);
            if d > 0 {
                edits.push(format!("drop_sentence:{d}"));
            }
            let share = rng.uniform(0.04, 0.06);
            let n = substitute_words(m, &mut story, rng, share);
            if n > 0 {
                edits.push(format!("substitute_words:{n}"));
            }
            if reorder_paragraphs(&mut story, rng) {
                edits.push("reorder_paragraphs".to_string());
            }
            let share = rng.uniform(0.005, 0.015);
            let o = ocr_noise(m, &mut story, rng, share);
            if o > 0 {
                edits.push(format!("ocr_noise:{o}"));
            }
            if rng.chance(0.3) {
                style = whitespace_style(rng);
                edits.push("whitespace".to_string());
            }
        }
        EditLevel::Partial => match rng.index(3) {
            0 => {
                let kept = truncate(m, &mut story, rng.uniform(0.4, 0.7));
                edits.push(format!("truncate:{kept:.2}"));
            }
            1 => {
                let factor = rng.uniform(1.5, 3.0);
                let more = ((factor - 1.0) * base_words as f64).round() as usize;
                let before = (more as f64 * rng.uniform(0.2, 0.8)).round() as usize;
                let after = more - before;
                let mut paras = Vec::new();
                if before > 0 {
                    let n = base_paragraphs(before).min(before / 40 + 1);
                    paras.extend(g.paragraphs(rng, &mut story.extra, before, n));
                }
                paras.append(&mut story.paras);
                if after > 0 {
                    let n = base_paragraphs(after).min(after / 40 + 1);
                    paras.extend(g.paragraphs(rng, &mut story.extra, after, n));
                }
                story.paras = paras;
                let ratio = m.story_words(&story) as f64 / base_words.max(1) as f64;
                edits.push(format!("embed:{ratio:.2}"));
            }
            _ => {
                let words = (base_words as f64 * rng.uniform(0.5, 0.9)).round() as usize;
                let mut paras = g.paragraphs(rng, &mut story.extra, words.max(8), 2);
                let intro = paras
                    .iter()
                    .flatten()
                    .map(|s| m.word_count(s))
                    .sum::<usize>();
                paras.append(&mut story.paras);
                story.paras = paras;
                let ratio = intro as f64 / base_words.max(1) as f64;
                edits.push(format!("new_intro:{ratio:.2}"));
            }
        },
    }
    if footer != base.footer {
        edits.push("footer".to_string());
    }
    let (text, spans) = m.render(&story, style, footer);
    CopyOut {
        title,
        text,
        spans,
        publisher,
        edits,
    }
}
