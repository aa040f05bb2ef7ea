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
//! between passages are the differences a reader wants to see.
//!
//! Cost: a document is tokenised and shingled once ([`Prepared`]: token spans and shingle
//! hashes in text order, 16 bytes a word), however many pairs it is in. Aligning a pair
//! ([`align_prepared`]) fills an open-addressing table from each distinct shingle of the
//! second text to its first position (in a buffer of the thread's), then walks the first
//! text's shingles: a table probe where no run is open, one comparison per shingle inside a
//! run; coverage is counted from the passages' word intervals. So a pair costs O(shingles of
//! both texts) with no allocation but the passages, and a corpus pays the tokeniser once per
//! document (see `benches/passages.rs` for the figures).

use crate::normalize::{Token, Tokenizer};
use crate::shingle::word_shingles;
use serde::{Deserialize, Serialize};

#[cfg(test)]
mod tests;

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

/// Aligns `a` and `b` on word `k`-shingles (both texts prepared for this pair only; to align
/// a text with many others, prepare it once with [`Prepared::new`]).
pub fn align(a: &str, b: &str, k: usize) -> Alignment {
    let mut tok = Tokenizer::new();
    align_prepared(
        &Prepared::from_text(&mut tok, a, k),
        &Prepared::from_text(&mut tok, b, k),
    )
}

/// [`align`] on texts already tokenised (spans index the original texts).
pub fn align_tokens(ta: &[Token], tb: &[Token], k: usize) -> Alignment {
    align_prepared(&Prepared::from_tokens(ta, k), &Prepared::from_tokens(tb, k))
}

/// Byte spans of a text's tokens: 8 bytes a token when the text is shorter than 4 GiB, which
/// is every text the default `--max-doc-bytes` lets through.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Spans {
    Narrow(Vec<[u32; 2]>),
    Wide(Vec<[usize; 2]>),
}

impl Default for Spans {
    fn default() -> Spans {
        Spans::Narrow(Vec::new())
    }
}

impl Spans {
    fn new(text_len: usize) -> Spans {
        if u32::try_from(text_len).is_ok() {
            Spans::Narrow(Vec::new())
        } else {
            Spans::Wide(Vec::new())
        }
    }

    fn len(&self) -> usize {
        match self {
            Spans::Narrow(v) => v.len(),
            Spans::Wide(v) => v.len(),
        }
    }

    fn start(&self, i: usize) -> usize {
        match self {
            Spans::Narrow(v) => v[i][0] as usize,
            Spans::Wide(v) => v[i][0],
        }
    }

    fn end(&self, i: usize) -> usize {
        match self {
            Spans::Narrow(v) => v[i][1] as usize,
            Spans::Wide(v) => v[i][1],
        }
    }

    fn bytes(&self) -> usize {
        match self {
            Spans::Narrow(v) => v.capacity() * 8,
            Spans::Wide(v) => v.capacity() * 16,
        }
    }
}

/// An empty slot of an alignment's table (see [`align_prepared`]).
const EMPTY: u32 = u32::MAX;

/// A text ready to be aligned with any number of others: its token spans and its `k`-shingle
/// hashes in text order, 16 bytes a word (spans of texts under 4 GiB are 8 bytes). The table
/// from each distinct shingle to its first position is made when the text is the second of a
/// pair, in a buffer of the aligning thread's ([`align_prepared`]): holding one per prepared
/// text (8 to 16 bytes a word more, most of them never probed twice) cost more in page faults
/// than building it costs.
///
/// Made once per document; [`align_prepared`] takes two of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prepared {
    k: usize,
    spans: Spans,
    shingles: Vec<u64>,
}

thread_local! {
    /// The tokens of the text being prepared by [`Prepared::from_text`], and the token hashes
    /// of the one being prepared by [`Prepared::from_tokens`]: buffers that only grow.
    static SCRATCH: std::cell::RefCell<(Vec<Token>, Vec<u64>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
    /// The table of the second text of the pair being aligned (see [`Table`]).
    static TABLE: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Prepared {
    /// Tokenises and prepares `text` for alignments on word `k`-shingles.
    pub fn new(text: &str, k: usize) -> Prepared {
        Prepared::from_text(&mut Tokenizer::new(), text, k)
    }

    /// [`Prepared::new`] with a reused tokeniser (one per thread).
    pub fn from_text(tok: &mut Tokenizer, text: &str, k: usize) -> Prepared {
        SCRATCH.with_borrow_mut(|(tokens, hashes)| {
            tokens.clear();
            tok.tokens_into(text, tokens);
            hashes.clear();
            hashes.extend(tokens.iter().map(|t| t.hash));
            Prepared::from_token_hashes(tokens, hashes, k)
        })
    }

    /// Prepares a text already tokenised (spans index the original text).
    pub fn from_tokens(tokens: &[Token], k: usize) -> Prepared {
        SCRATCH.with_borrow_mut(|(_, hashes)| {
            hashes.clear();
            hashes.extend(tokens.iter().map(|t| t.hash));
            Prepared::from_token_hashes(tokens, hashes, k)
        })
    }

    /// [`Prepared::from_tokens`] with the tokens' hashes already taken out (`hashes[i]` is
    /// `tokens[i].hash`), as the caller that made a set from them has.
    pub fn from_token_hashes(tokens: &[Token], hashes: &[u64], k: usize) -> Prepared {
        debug_assert!(tokens.len() == hashes.len());
        let k = k.max(1);
        let max_end = tokens.last().map_or(0, |t| t.end);
        let spans = match Spans::new(max_end) {
            // `new` chose `Narrow` only for texts whose offsets all fit in u32.
            Spans::Narrow(_) => Spans::Narrow(
                tokens
                    .iter()
                    .map(|t| [t.start as u32, t.end as u32])
                    .collect(),
            ),
            Spans::Wide(_) => Spans::Wide(tokens.iter().map(|t| [t.start, t.end]).collect()),
        };
        let mut shingles = Vec::with_capacity(hashes.len().saturating_sub(k - 1).max(1));
        word_shingles(hashes, k, &mut shingles);
        Prepared { k, spans, shingles }
    }

    /// The shingle length this text was prepared for.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Words (tokens) in the text.
    pub fn words(&self) -> usize {
        self.spans.len()
    }

    /// Heap bytes held, to bound how many prepared texts are kept at once.
    pub fn heap_bytes(&self) -> usize {
        self.spans.bytes() + self.shingles.capacity() * 8
    }
}

/// An open-addressing table (linear probing, at most half full) from each distinct shingle
/// hash of a prepared text to its first position, in a buffer lent by the caller; the slot of
/// hash `h` is its top `bits` bits (shingle hashes are finalised by `mix64`, so every bit is
/// well mixed).
struct Table<'a> {
    shingles: &'a [u64],
    slots: &'a [u32],
    bits: u32,
}

impl<'a> Table<'a> {
    /// The table of `shingles` in `buf` (grown when too small; never shrunk).
    fn build(shingles: &'a [u64], buf: &'a mut Vec<u32>) -> Table<'a> {
        // At least twice as many slots as shingles, so probes stay short.
        let size = (2 * shingles.len()).next_power_of_two().max(2);
        let bits = size.trailing_zeros();
        if buf.len() < size {
            buf.resize(size, EMPTY);
        }
        let slots = &mut buf[..size];
        slots.fill(EMPTY);
        let mask = size - 1;
        // Positions are u32: only a text of 8 GiB or more (far past the default
        // `--max-doc-bytes`) has more shingles, and runs start only in its first 4 billion.
        for (pos, &h) in (0..EMPTY).zip(shingles) {
            let mut slot = (h >> (64 - bits)) as usize;
            loop {
                let p = slots[slot];
                if p == EMPTY {
                    slots[slot] = pos;
                    break;
                }
                if shingles[p as usize] == h {
                    break; // the first position is kept
                }
                slot = (slot + 1) & mask;
            }
        }
        Table {
            shingles,
            slots,
            bits,
        }
    }

    /// The first position of shingle hash `h`.
    #[inline]
    fn find(&self, h: u64) -> Option<usize> {
        let mask = self.slots.len() - 1;
        let mut slot = (h >> (64 - self.bits)) as usize;
        loop {
            let p = self.slots[slot];
            if p == EMPTY {
                return None;
            }
            if self.shingles[p as usize] == h {
                return Some(p as usize);
            }
            slot = (slot + 1) & mask;
        }
    }
}

/// Words covered by the union of word intervals `[start, end)` sorted by start.
fn covered(intervals: &[(usize, usize)]) -> usize {
    let (mut total, mut reach) = (0, 0);
    for &(s, e) in intervals {
        total += e.saturating_sub(s.max(reach));
        reach = reach.max(e);
    }
    total
}

/// [`align`] on prepared texts (both prepared with the same `k`; `pa`'s is used).
pub fn align_prepared(pa: &Prepared, pb: &Prepared) -> Alignment {
    TABLE.with_borrow_mut(|buf| align_with(pa, pb, &Table::build(&pb.shingles, buf)))
}

/// [`align_prepared`] with the table of `pb`'s shingles.
fn align_with(pa: &Prepared, pb: &Prepared, table: &Table) -> Alignment {
    let k = pa.k;
    debug_assert_eq!(pa.k, pb.k, "texts prepared for different shingle lengths");
    let (na, nb) = (pa.spans.len(), pb.spans.len());
    let (ha, hb) = (&pa.shingles[..], &pb.shingles[..]);
    let mut passages = Vec::new();
    // Words of the first text covered so far (its passages start in order), and the word
    // intervals of the passages in the second text.
    let (mut cov_a, mut reach_a) = (0, 0);
    let mut in_b: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < ha.len() {
        let Some(j0) = table.find(ha[i]) else {
            i += 1;
            continue;
        };
        let (i0, mut j) = (i, j0);
        // Extend while the next shingles match on both sides.
        let run = ha[i + 1..]
            .iter()
            .zip(&hb[j + 1..])
            .take_while(|(x, y)| x == y)
            .count();
        i += run;
        j += run;
        // A shingle at position p covers words p..p + k (fewer at the end of a short text).
        let (wa0, wa1) = (i0, (i + k).min(na));
        let (wb0, wb1) = (j0, (j + k).min(nb));
        cov_a += wa1.saturating_sub(wa0.max(reach_a));
        reach_a = reach_a.max(wa1);
        in_b.push((wb0, wb1));
        passages.push(Passage {
            a_start: pa.spans.start(wa0),
            a_end: pa.spans.end(wa1 - 1),
            b_start: pb.spans.start(wb0),
            b_end: pb.spans.end(wb1 - 1),
            words: wa1 - wa0,
        });
        i += 1;
    }
    in_b.sort_unstable();
    let cov_b = covered(&in_b);
    let share = |covered: usize, n: usize| {
        if n == 0 {
            0.0
        } else {
            crate::verify::round4(covered as f64 / n as f64)
        }
    };
    Alignment {
        coverage_a: share(cov_a, na),
        coverage_b: share(cov_b, nb),
        passages,
    }
}
