//! Aligned passages: where two documents share text, as byte spans in both.
//!
//! Input: two texts and the word shingle length k. Output: [`Alignment`], the shared passages
//! in the order they appear in the first text, each with its byte span in both originals, and
//! the share of each document's words the passages cover.
//!
//! Method: greedy alignment of runs of matching k-word shingles (the same normalisation and
//! hashes as the rest of the pipeline, so "shared" means exactly what the Jaccard and
//! containment scores count). Walking the first text, a shingle found in the second starts a
//! run at its first occurrence there, and the run extends while the next shingles match on both
//! sides; a run of m shingles covers m + k - 1 words. A changed word ends a run, so the gaps
//! between passages are the differences a reader wants to see. Linear in the two lengths after
//! sorting the second text's shingles.

use crate::normalize::{Token, Tokenizer};
use crate::shingle::combine;
use serde::{Deserialize, Serialize};

/// A passage present in both documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Passage {
    /// Byte offset of the passage's start in the first document's original text.
    pub a_start: usize,
    /// Byte offset just past its end in the first document.
    pub a_end: usize,
    /// Byte offset of the passage's start in the second document.
    pub b_start: usize,
    /// Byte offset just past its end in the second document.
    pub b_end: usize,
    /// Words in the passage.
    pub words: usize,
}

/// The shared passages of two documents and how much of each they cover.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alignment {
    /// Passages in first-document order.
    pub passages: Vec<Passage>,
    /// Share of the first document's words inside a passage (4 decimals).
    pub coverage_a: f64,
    /// Share of the second document's words inside a passage (4 decimals).
    pub coverage_b: f64,
}

impl Alignment {
    /// The same alignment seen from the second document (`a` and `b` exchanged).
    pub fn swapped(&self) -> Alignment {
        Alignment {
            passages: self
                .passages
                .iter()
                .map(|p| Passage {
                    a_start: p.b_start,
                    a_end: p.b_end,
                    b_start: p.a_start,
                    b_end: p.a_end,
                    words: p.words,
                })
                .collect(),
            coverage_a: self.coverage_b,
            coverage_b: self.coverage_a,
        }
    }
}

fn shingle_hashes(tokens: &[Token], k: usize) -> Vec<u64> {
    let hashes: Vec<u64> = tokens.iter().map(|t| t.hash).collect();
    if hashes.is_empty() {
        return Vec::new();
    }
    if hashes.len() <= k {
        return vec![combine(&hashes)];
    }
    hashes.windows(k).map(combine).collect()
}

/// Aligns `a` and `b` on word `k`-shingles.
pub fn align(a: &str, b: &str, k: usize) -> Alignment {
    let mut tok = Tokenizer::new();
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    tok.tokens_into(a, &mut ta);
    tok.tokens_into(b, &mut tb);
    align_tokens(&ta, &tb, k)
}

/// [`align`] on texts already tokenised (spans index the original texts).
pub fn align_tokens(ta: &[Token], tb: &[Token], k: usize) -> Alignment {
    align_prepared(
        &Prepared::new(ta.to_vec(), k),
        &Prepared::new(tb.to_vec(), k),
        k,
    )
}

/// A text ready to be aligned many times: its tokens, its `k`-shingle hashes in text order,
/// and those hashes sorted with their first position.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    tokens: Vec<Token>,
    shingles: Vec<u64>,
    index: Vec<(u64, u32)>,
}

impl Prepared {
    /// Prepares a tokenised text for alignments on `k`-shingles.
    pub fn new(tokens: Vec<Token>, k: usize) -> Prepared {
        let shingles = shingle_hashes(&tokens, k.max(1));
        let mut index: Vec<(u64, u32)> = shingles.iter().copied().zip(0..).collect();
        index.sort_unstable();
        index.dedup_by_key(|e| e.0);
        Prepared {
            tokens,
            shingles,
            index,
        }
    }
}

/// [`align`] on prepared texts (both prepared with the same `k`).
pub fn align_prepared(pa: &Prepared, pb: &Prepared, k: usize) -> Alignment {
    let k = k.max(1);
    let (ta, tb) = (&pa.tokens, &pb.tokens);
    let (ha, hb) = (&pa.shingles, &pb.shingles);
    let index = &pb.index;
    let find = |h: u64| {
        index
            .binary_search_by_key(&h, |e| e.0)
            .ok()
            .map(|i| index[i].1 as usize)
    };
    // Words covered by a shingle at position `i` of a token list of length `n`.
    let span = |i: usize, n: usize| (i, (i + k).min(n));
    let mut passages = Vec::new();
    let (mut cov_a, mut cov_b) = (vec![false; ta.len()], vec![false; tb.len()]);
    let mut i = 0;
    while i < ha.len() {
        let Some(j0) = find(ha[i]) else {
            i += 1;
            continue;
        };
        let (i0, mut j) = (i, j0);
        while i + 1 < ha.len() && j + 1 < hb.len() && ha[i + 1] == hb[j + 1] {
            i += 1;
            j += 1;
        }
        let (wa0, wa1) = (span(i0, ta.len()).0, span(i, ta.len()).1);
        let (wb0, wb1) = (span(j0, tb.len()).0, span(j, tb.len()).1);
        cov_a[wa0..wa1].iter_mut().for_each(|c| *c = true);
        cov_b[wb0..wb1].iter_mut().for_each(|c| *c = true);
        passages.push(Passage {
            a_start: ta[wa0].start,
            a_end: ta[wa1 - 1].end,
            b_start: tb[wb0].start,
            b_end: tb[wb1 - 1].end,
            words: wa1 - wa0,
        });
        i += 1;
    }
    let share = |c: &[bool]| {
        if c.is_empty() {
            0.0
        } else {
            crate::verify::round4(c.iter().filter(|&&x| x).count() as f64 / c.len() as f64)
        }
    };
    Alignment {
        coverage_a: share(&cov_a),
        coverage_b: share(&cov_b),
        passages,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORY: &str =
        "The harbour gate failed to close during the storm on Tuesday night, and water \
        flooded the quay within an hour. Engineers said a jammed hinge was to blame.";

    #[test]
    fn a_story_under_an_intro_is_one_passage_with_exact_spans() {
        let page = format!("Local view: our town watched nervously. {STORY} Comments are closed.");
        let al = align(STORY, &page, 5);
        assert_eq!(al.passages.len(), 1);
        let p = al.passages[0];
        assert_eq!(&STORY[p.a_start..p.a_end], STORY.trim_end_matches('.'));
        assert_eq!(&page[p.b_start..p.b_end], STORY.trim_end_matches('.'));
        assert_eq!(al.coverage_a, 1.0);
        assert!(al.coverage_b < 0.9 && al.coverage_b > 0.6);
        // Seen from the page, the same passage.
        let back = align(&page, STORY, 5);
        assert_eq!(back.passages, al.swapped().passages);
        assert_eq!(al.swapped().swapped(), al);
    }

    #[test]
    fn a_changed_word_splits_the_passage() {
        let edited = STORY.replace("Tuesday", "Wednesday");
        let al = align(STORY, &edited, 5);
        assert_eq!(al.passages.len(), 2);
        let (p, q) = (al.passages[0], al.passages[1]);
        assert!(p.a_end < STORY.find("Tuesday").unwrap() + 1);
        assert!(q.a_start > STORY.find("Tuesday").unwrap());
        assert_eq!(edited[p.b_start..p.b_end], STORY[p.a_start..p.a_end]);
        assert!(al.coverage_a < 1.0);
    }

    #[test]
    fn unrelated_texts_share_nothing() {
        let al = align(
            STORY,
            "A bakery opened on the square with bread and cakes for everyone.",
            5,
        );
        assert!(al.passages.is_empty());
        assert_eq!((al.coverage_a, al.coverage_b), (0.0, 0.0));
    }
}
