//! How families of copies are planted: which documents are bases, how many copies each base
//! gets, where every document lands in the output, and the truth pairs of each family.
//!
//! Input: the [`GenerateOptions`] and the text [`Model`]. Output: per base document, its
//! family (the base and its copies, each a `GeneratedDoc` at its output position) with every
//! unordered pair of the family as a [`PlantedPair`] and every surviving sentence repeat as a
//! [`PlantedRepeat`]. The `Plan` draws family sizes (1 to `families_max` copies) from one
//! stream, shuffles output positions and moves relatives apart so no two sit next to each
//! other; levels go to copies round-robin in family order. Each family is then built from its
//! own random streams (`gen_family`: the base from `(seed, base)`, copy `j` from
//! `(seed, base, j)`), so families can be built in parallel in any order. The copy edits
//! themselves are in `edits.rs`.

use super::edits::{make_copy, plant_repeat, BaseInfo};
use super::generate::{GenerateOptions, GeneratedDoc};
use super::model::{Model, MIN_SENTENCE_WORDS};
use super::publishers::{date_string, pick_publisher, publisher_name};
use super::random::Rng;
use super::text::{base_paragraphs, byline, DocGen, Span, Story, PLAIN};
use super::truth::{EditLevel, PlantedPair, PlantedRepeat};

// Random-stream domains: the plan, base documents, copies.
const DOMAIN_PLAN: u64 = 1;
const DOMAIN_BASE: u64 = 2;
const DOMAIN_COPY: u64 = 3;
/// An output position that no family owns (in `Plan::separate_families`).
const NONE: u32 = u32::MAX;

/// The layout of a corpus: bases, family sizes and output positions.
pub(super) struct Plan {
    /// Number of base documents; bases `0..sizes.len()` head families.
    pub(super) bases: usize,
    /// Copies per family.
    sizes: Vec<usize>,
    /// Global index of each family's first copy (for round-robin levels).
    copy_offset: Vec<usize>,
    /// Canonical index of each base (its copies follow it).
    canon_start: Vec<usize>,
    /// Output position of each canonical index.
    pos: Vec<usize>,
    levels: Vec<EditLevel>,
    id_width: usize,
    fam_width: usize,
}

fn digits(n: usize) -> usize {
    n.max(1).ilog10() as usize + 1
}

impl Plan {
    pub(super) fn new(opts: &GenerateOptions) -> Plan {
        let n = opts.documents;
        let mut rng = Rng::stream(opts.seed, DOMAIN_PLAN, 0, 0);
        let mut levels: Vec<EditLevel> = Vec::new();
        for &l in &opts.levels {
            if !levels.contains(&l) {
                levels.push(l);
            }
        }
        let fmax = opts.families_max;
        let share = if opts.copy_share.is_finite() {
            opts.copy_share.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let mut copies = if levels.is_empty() || fmax == 0 || n < 2 {
            0
        } else {
            (n as f64 * share).round() as usize
        };
        // Every family needs a base: copies <= bases * fmax.
        let most = (n as u128 * fmax as u128 / (fmax as u128 + 1)) as usize;
        copies = copies.min(most);
        let bases = n - copies;
        let mut sizes = Vec::new();
        let mut left = copies;
        while left > 0 {
            let k = rng.range(1, fmax).min(left);
            sizes.push(k);
            left -= k;
        }
        if sizes.len() > bases {
            let f = bases.max(1);
            sizes = (0..f)
                .map(|i| copies / f + usize::from(i < copies % f))
                .filter(|&k| k > 0)
                .collect();
        }
        let mut copy_offset = Vec::with_capacity(sizes.len());
        let mut canon_start = Vec::with_capacity(bases);
        let mut c = 0;
        let mut off = 0;
        for b in 0..bases {
            canon_start.push(c);
            c += 1;
            if let Some(&k) = sizes.get(b) {
                copy_offset.push(off);
                off += k;
                c += k;
            }
        }
        let mut perm: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut perm);
        let mut plan = Plan {
            bases,
            sizes,
            copy_offset,
            canon_start,
            pos: perm,
            levels,
            id_width: digits(n.saturating_sub(1)).max(6),
            fam_width: 5,
        };
        plan.fam_width = digits(plan.sizes.len().saturating_sub(1)).max(5);
        plan.separate_families(&mut rng);
        plan
    }

    /// Moves family members that landed next to each other away, swapping them with
    /// unrelated single documents (best effort, bounded work).
    fn separate_families(&mut self, rng: &mut Rng) {
        let n = self.pos.len();
        let mut owner = vec![NONE; n];
        let mut canon_at = vec![0usize; n];
        for (c, &p) in self.pos.iter().enumerate() {
            canon_at[p] = c;
        }
        for (f, &k) in self.sizes.iter().enumerate() {
            let start = self.canon_start[f];
            for c in start..=start + k {
                owner[self.pos[c]] = f as u32;
            }
        }
        for (f, &k) in self.sizes.iter().enumerate() {
            let start = self.canon_start[f];
            for _ in 0..32 {
                let adjacent = (start..=start + k).find(|&c| {
                    let p = self.pos[c];
                    (p > 0 && owner[p - 1] == f as u32) || (p + 1 < n && owner[p + 1] == f as u32)
                });
                let Some(c) = adjacent else { break };
                let free = |r: usize| {
                    owner[r] == NONE
                        && (r == 0 || owner[r - 1] != f as u32)
                        && (r + 1 >= n || owner[r + 1] != f as u32)
                };
                let mut target = None;
                for _ in 0..64 {
                    let r = rng.index(n);
                    if free(r) && r.abs_diff(self.pos[c]) > 1 {
                        target = Some(r);
                        break;
                    }
                }
                let Some(r) = target else { break };
                let p = self.pos[c];
                let other = canon_at[r];
                self.pos[c] = r;
                self.pos[other] = p;
                canon_at[r] = c;
                canon_at[p] = other;
                owner[r] = f as u32;
                owner[p] = NONE;
            }
        }
    }

    /// The base document (family head) behind each output position.
    pub(super) fn base_at(&self) -> Vec<u32> {
        let mut at = vec![0u32; self.pos.len()];
        for (b, &start) in self.canon_start.iter().enumerate() {
            let end = self
                .canon_start
                .get(b + 1)
                .copied()
                .unwrap_or(self.pos.len());
            for c in start..end {
                at[self.pos[c]] = b as u32;
            }
        }
        at
    }

    fn id(&self, canon: usize) -> String {
        format!(
            "g{:0w$}",
            self.pos.get(canon).copied().unwrap_or(canon),
            w = self.id_width
        )
    }

    fn family_id(&self, f: usize) -> String {
        format!("f{:0w$}", f, w = self.fam_width)
    }
}

fn target_words(mean: usize, rng: &mut Rng) -> usize {
    ((mean as f64 * rng.uniform(0.6, 1.4)).round() as usize).max(MIN_SENTENCE_WORDS)
}

struct Member {
    pos: usize,
    id: String,
    level: Option<EditLevel>,
    edits: Vec<String>,
}

/// A base document and its copies, with their truth; positions are output positions.
pub(super) struct FamilyOut {
    pub(super) docs: Vec<(usize, GeneratedDoc)>,
    pub(super) pairs: Vec<PlantedPair>,
    pub(super) repeats: Vec<(usize, PlantedRepeat)>,
}

fn repeat_of(id: &str, spans: &[Span]) -> Option<PlantedRepeat> {
    let a = spans.iter().find(|s| s.tag == 1)?;
    let b = spans.iter().find(|s| s.tag == 2)?;
    let (x, y) = if a.start <= b.start { (a, b) } else { (b, a) };
    Some(PlantedRepeat {
        doc: id.to_string(),
        first: (x.start, x.end),
        second: (y.start, y.end),
    })
}

/// Builds base `b` and its family (if it heads one) from their own random streams.
pub(super) fn gen_family(m: &Model, opts: &GenerateOptions, plan: &Plan, b: usize) -> FamilyOut {
    let mut rng = Rng::stream(opts.seed, DOMAIN_BASE, b as u64, 0);
    let mut g = DocGen::new(m, rng.next_u64());
    let words = target_words(opts.mean_words, &mut rng);
    let mut story = Story {
        byline: None,
        paras: Vec::new(),
        extra: Vec::new(),
    };
    story.paras = g.paragraphs(&mut rng, &mut story.extra, words, base_paragraphs(words));
    if rng.chance(0.5) {
        story.byline = Some(byline(&mut rng));
    }
    let title = g.headline(&mut rng);
    if rng.chance(opts.repeat_share) {
        plant_repeat(m, &mut story, &mut rng);
    }
    let (publisher, footer) = pick_publisher(&mut rng, opts.boilerplate_share, &[]);
    let day = rng.below(366);
    let (text, spans) = m.render(&story, PLAIN, footer);

    let canon = plan.canon_start.get(b).copied().unwrap_or(0);
    let family = plan.sizes.get(b).map(|_| plan.family_id(b));
    let base_id = plan.id(canon);
    let mut out = FamilyOut {
        docs: Vec::new(),
        pairs: Vec::new(),
        repeats: Vec::new(),
    };
    let base_pos = plan.pos.get(canon).copied().unwrap_or(canon);
    if let Some(r) = repeat_of(&base_id, &spans) {
        out.repeats.push((base_pos, r));
    }
    let mut members = vec![Member {
        pos: base_pos,
        id: base_id.clone(),
        level: None,
        edits: Vec::new(),
    }];
    if let (Some(&k), Some(fam)) = (plan.sizes.get(b), family.as_ref()) {
        let info = BaseInfo {
            story: &story,
            text: &text,
            spans: &spans,
            title: &title,
            footer,
            seen: &g.seen,
        };
        let offset = plan.copy_offset.get(b).copied().unwrap_or(0);
        let mut used = vec![publisher];
        for j in 0..k {
            let level = plan.levels[(offset + j) % plan.levels.len()];
            let mut crng = Rng::stream(opts.seed, DOMAIN_COPY, b as u64, j as u64);
            let c = make_copy(m, opts, &info, level, &mut crng, &used);
            used.push(c.publisher);
            let cc = canon + 1 + j;
            let id = plan.id(cc);
            let pos = plan.pos.get(cc).copied().unwrap_or(cc);
            if let Some(r) = repeat_of(&id, &c.spans) {
                out.repeats.push((pos, r));
            }
            let lag = if level == EditLevel::Exact {
                crng.below(3)
            } else {
                crng.below(8)
            };
            out.docs.push((
                pos,
                GeneratedDoc {
                    id: id.clone(),
                    date: date_string(day + lag),
                    publisher: publisher_name(c.publisher),
                    title: c.title,
                    text: c.text,
                    family: Some(fam.clone()),
                },
            ));
            members.push(Member {
                pos,
                id,
                level: Some(level),
                edits: c.edits,
            });
        }
        for i in 0..members.len() {
            for j in i + 1..members.len() {
                let (x, y) = (&members[i], &members[j]);
                let (level, edits, base) = match (x.level, y.level) {
                    (None, Some(l)) => (l, y.edits.clone(), Some(x.id.clone())),
                    (Some(l), None) => (l, x.edits.clone(), Some(y.id.clone())),
                    (Some(l1), Some(l2)) => {
                        let mut e = x.edits.clone();
                        for s in &y.edits {
                            if !e.contains(s) {
                                e.push(s.clone());
                            }
                        }
                        (l1.max(l2), e, None)
                    }
                    (None, None) => continue,
                };
                let (a, bb) = if x.pos <= y.pos { (x, y) } else { (y, x) };
                out.pairs.push(PlantedPair {
                    a: a.id.clone(),
                    b: bb.id.clone(),
                    family: fam.clone(),
                    level,
                    edits,
                    base,
                });
            }
        }
        out.pairs.sort_by(|p, q| (&p.a, &p.b).cmp(&(&q.a, &q.b)));
    }
    out.docs.push((
        base_pos,
        GeneratedDoc {
            id: base_id,
            date: date_string(day),
            publisher: publisher_name(publisher),
            title,
            text,
            family,
        },
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{model, opts};
    use super::super::overlap::shingle_overlap;
    use super::super::{generate, GenerateOptions};
    use super::*;
    use std::collections::{BTreeMap, HashMap};

    fn alnum_tokens(s: &str) -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase)
            .collect()
    }

    fn edit_distance(a: &[String], b: &[String]) -> usize {
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, x) in a.iter().enumerate() {
            let mut cur = vec![i + 1; b.len() + 1];
            for (j, y) in b.iter().enumerate() {
                cur[j + 1] = (prev[j] + usize::from(x != y))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1);
            }
            prev = cur;
        }
        prev[b.len()]
    }

    #[test]
    fn pairs_reference_documents_and_families_have_planted_levels() {
        let m = model();
        let c = generate(&m, &opts(800, 3));
        let by_id: HashMap<&str, &GeneratedDoc> =
            c.docs.iter().map(|d| (d.id.as_str(), d)).collect();
        let mut members: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for d in &c.docs {
            if let Some(f) = &d.family {
                members.entry(f).or_default().push(&d.id);
            }
        }
        let mut level_count: BTreeMap<EditLevel, usize> = BTreeMap::new();
        for p in &c.pairs {
            let (a, b) = match (by_id.get(p.a.as_str()), by_id.get(p.b.as_str())) {
                (Some(a), Some(b)) => (a, b),
                _ => panic!("pair {p:?} names a missing document"),
            };
            assert!(p.a < p.b);
            assert_eq!(a.family.as_deref(), Some(p.family.as_str()));
            assert_eq!(b.family.as_deref(), Some(p.family.as_str()));
            assert_ne!(a.publisher, b.publisher, "copies change publisher: {p:?}");
            if let Some(base) = &p.base {
                assert!(*base == p.a || *base == p.b);
                let copy = if *base == p.a { b } else { a };
                assert!(copy.date >= by_id[base.as_str()].date, "{p:?}");
                *level_count.entry(p.level).or_default() += 1;
            }
            if p.level == EditLevel::Exact {
                assert_eq!(a.text, b.text);
                assert!(p.edits.is_empty());
            } else {
                assert_ne!(a.text, b.text);
                assert!(p.edits.iter().any(|e| e == "headline"), "{p:?}");
            }
            let o = shingle_overlap(&a.text, &b.text);
            if p.is_base_copy() {
                match p.level {
                    EditLevel::Exact => assert!(o.jaccard == 1.0),
                    EditLevel::Light => assert!(o.jaccard >= 0.7, "{p:?} {o:?}"),
                    EditLevel::Medium => assert!(o.jaccard >= 0.45, "{p:?} {o:?}"),
                    EditLevel::Heavy => assert!(o.jaccard >= 0.15, "{p:?} {o:?}"),
                    EditLevel::Partial => assert!(o.containment >= 0.7, "{p:?} {o:?}"),
                }
            }
        }
        // Every unordered pair of every family is listed.
        for (f, ids) in &members {
            let n = ids.len();
            let listed = c.pairs.iter().filter(|p| p.family == *f).count();
            assert_eq!(listed, n * (n - 1) / 2, "family {f}");
        }
        // Levels are planted round-robin.
        assert_eq!(level_count.len(), 5, "{level_count:?}");
        let (lo, hi) = (
            level_count.values().min().copied().unwrap_or(0),
            level_count.values().max().copied().unwrap_or(0),
        );
        assert!(hi - lo <= 1, "{level_count:?}");
        // Relatives never sit next to each other.
        for w in c.docs.windows(2) {
            if let (Some(x), Some(y)) = (&w[0].family, &w[1].family) {
                assert_ne!(x, y, "{} and {} are adjacent relatives", w[0].id, w[1].id);
            }
        }
    }

    #[test]
    fn only_requested_levels_are_planted() {
        let m = model();
        let o = GenerateOptions {
            levels: vec![EditLevel::Light, EditLevel::Partial, EditLevel::Light],
            ..opts(300, 4)
        };
        let c = generate(&m, &o);
        assert!(!c.pairs.is_empty());
        assert!(c
            .pairs
            .iter()
            .all(|p| matches!(p.level, EditLevel::Light | EditLevel::Partial)));
    }

    #[test]
    fn repeat_spans_are_real_sentences_differing_in_few_words() {
        let m = model();
        let o = GenerateOptions {
            repeat_share: 1.0,
            ..opts(200, 8)
        };
        let c = generate(&m, &o);
        let by_id: HashMap<&str, &GeneratedDoc> =
            c.docs.iter().map(|d| (d.id.as_str(), d)).collect();
        let singles = c.docs.iter().filter(|d| d.family.is_none()).count();
        let single_repeats = c
            .repeats
            .iter()
            .filter(|r| by_id[r.doc.as_str()].family.is_none())
            .count();
        assert!(
            single_repeats * 10 >= singles * 9,
            "{single_repeats} of {singles}"
        );
        for r in &c.repeats {
            let text = &by_id[r.doc.as_str()].text;
            let span = |(s, e): (usize, usize)| -> &str {
                assert!(s < e && e <= text.len(), "{r:?}");
                match text.get(s..e) {
                    Some(t) => t,
                    None => panic!("span {s}..{e} not on char boundaries"),
                }
            };
            let (a, b) = (span(r.first), span(r.second));
            assert!(r.first.1 <= r.second.0, "{r:?}");
            for (t, (s, _)) in [(a, r.first), (b, r.second)] {
                assert!(t.ends_with(['.', '?', '!']), "{t:?}");
                assert!(t.chars().next().is_some_and(char::is_alphanumeric), "{t:?}");
                let before = text[..s].trim_end_matches([' ', '\n']);
                assert!(
                    before.is_empty()
                        || before.ends_with(['.', '?', '!'])
                        || text[before.len()..s].contains('\n'),
                    "span does not start a sentence: {t:?}"
                );
            }
            let (ta, tb) = (alnum_tokens(a), alnum_tokens(b));
            assert!(ta.len() >= 8);
            if by_id[r.doc.as_str()].family.is_none() {
                assert_eq!(ta.len(), tb.len(), "{a:?} / {b:?}");
                let diff = ta.iter().zip(&tb).filter(|(x, y)| x != y).count();
                assert!(
                    (1..=3).contains(&diff),
                    "{diff} words differ: {a:?} / {b:?}"
                );
            } else {
                let d = edit_distance(&ta, &tb);
                assert!((1..=10).contains(&d), "{d}: {a:?} / {b:?}");
            }
        }
    }
}
