//! The per-document pass of the sentence stage: one document's sentences, profiles and
//! within-document near-repeats, with reusable buffers ([`SentenceWorker`]).

use super::*;

/// Reusable buffers for one document's sentences, one per thread.
#[derive(Debug, Default)]
pub struct SentenceWorker {
    /// The segmenter.
    pub segmenter: Segmenter,
    spans: Vec<Span>,
    /// The document's sentences after [`SentenceWorker::sentences`].
    pub sentences: Vec<DocSentence>,
    /// Sentences with `min_words` words or more, in text order: (words, sentence index, mask).
    eligible: Vec<(u32, u32, u128)>,
    /// `words << 32 | position in eligible`, sorted: the eligible sentences by word count.
    order: Vec<u64>,
    /// The eligible sentences in that order, as the pair gate reads them.
    gates: Vec<Gate>,
    /// Pairs of positions in `gates` that pass the gate.
    pairs: Vec<(u32, u32)>,
    /// Their [`second_mask`]s and its bit counts, made when a pair needs them.
    second: Vec<Option<(u128, u32)>>,
    /// Their sorted word sets and numbers, made when a pair needs them.
    sets: Vec<Option<(Vec<u64>, Vec<u64>)>>,
    spare: Vec<(Vec<u64>, Vec<u64>)>,
}

/// A within-document near-repeat found by [`SentenceWorker::within`], quoted already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithinRepeat {
    /// The lowest similarity of a member to the first sentence (see [`Group`]).
    pub sim: Similarity,
    /// Sentences in the group.
    pub count: u64,
    /// The first `max_occurrences` of them, in text order: byte span and text.
    pub occurrences: Vec<(Span, Box<str>)>,
}

/// What [`SentenceWorker::within`] finds in one document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocWithin {
    /// Sentences in the document.
    pub sentences: u64,
    /// Pairs rejected only because their numbers differ.
    pub changed_numbers: u64,
    /// Its near-repeats, ordered by first occurrence.
    pub repeats: Vec<WithinRepeat>,
}

/// One document's sentence data, as the scan keeps it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DocRepeats {
    /// Per sentence: [`sentence_hash`] and word count.
    pub sentences: Vec<(u64, u32)>,
    /// Within-document near-repeats (sentence indices within the document).
    pub within: Vec<Edge>,
    /// Pairs rejected only because their numbers differ.
    pub changed_numbers: u64,
    /// `(sentence, number hash)` of the numbers in sentences with `min_words` words or more,
    /// when asked for.
    pub numbers: Vec<(u32, u64)>,
    /// Sentences on lines of structure (table rows, list items, tab-separated lines), and
    /// sentences of `min_words` tokens or more with fewer words besides numbers (see
    /// [`has_words`]), in order: never repeats, within or across documents (they can be
    /// boilerplate).
    pub structure: Vec<u32>,
}

impl SentenceWorker {
    /// Cuts `text` (whose tokens are `tokens`) into sentences, kept in `self.sentences`.
    pub fn sentences(&mut self, text: &str, tokens: &[Token]) {
        doc_sentences_into(
            text,
            tokens,
            &mut self.segmenter,
            &mut self.spans,
            &mut self.sentences,
        );
    }

    /// Segments one document and finds its within-document near-repeats (every pair of
    /// eligible sentences, the mask bound [`may_repeat`] first); with `keep_numbers`, also keeps the numbers of its
    /// sentences with `min_words` words or more.
    pub fn document(
        &mut self,
        text: &str,
        tokens: &[Token],
        hashes: &[u64],
        cfg: &SentenceConfig,
        keep_numbers: bool,
    ) -> DocRepeats {
        self.sentences(text, tokens);
        let mut out = DocRepeats {
            sentences: Vec::with_capacity(self.sentences.len()),
            ..DocRepeats::default()
        };
        self.eligible.clear();
        let mut numbers = Vec::new();
        for (i, s) in self.sentences.iter().enumerate() {
            let r = s.first_token..s.first_token + s.words;
            out.sentences
                .push((sentence_hash(&hashes[r.clone()]), s.words as u32));
            if s.structure {
                out.structure.push(i as u32);
                continue;
            }
            if s.words >= cfg.min_words {
                if !has_words(text, &tokens[r.clone()], cfg.min_words) {
                    // Figures more than words: never a repeat, like a table row.
                    out.structure.push(i as u32);
                    continue;
                }
                let mask = word_mask(&hashes[r.clone()]);
                self.eligible.push((s.words as u32, i as u32, mask));
                if keep_numbers {
                    numbers.clear();
                    numbers_into(text, &tokens[r], &mut numbers);
                    out.numbers.extend(numbers.iter().map(|&h| (i as u32, h)));
                }
            }
        }
        let (within, changed) = self.verify_pairs(text, tokens, hashes, cfg);
        out.within = within;
        out.changed_numbers = changed;
        out
    }

    /// The default sentence mode ([`crate::SentenceMode::Within`]): segments one document,
    /// finds its within-document near-repeats exactly as [`SentenceWorker::document`] does,
    /// groups them with the chaining guard ([`groups`]) and quotes the occurrences from
    /// `text` right away, so nothing about the document's sentences outlives this call and
    /// no text is read again.
    pub fn within(
        &mut self,
        text: &str,
        tokens: &[Token],
        hashes: &[u64],
        cfg: &SentenceConfig,
    ) -> DocWithin {
        self.sentences(text, tokens);
        self.eligible.clear();
        for (i, s) in self.sentences.iter().enumerate() {
            let r = s.first_token..s.first_token + s.words;
            // `has_words` is false under `min_words` tokens too.
            if !s.structure && has_words(text, &tokens[r.clone()], cfg.min_words) {
                self.eligible
                    .push((s.words as u32, i as u32, word_mask(&hashes[r])));
            }
        }
        let (edges, changed_numbers) = self.verify_pairs(text, tokens, hashes, cfg);
        let mut out = DocWithin {
            sentences: self.sentences.len() as u64,
            changed_numbers,
            repeats: Vec::new(),
        };
        if edges.is_empty() {
            return out;
        }
        // Two sentences of one document no edge links were compared and found apart (both
        // are eligible: edges link only eligible sentences).
        let similarity = |x: u32, y: u32| {
            edges
                .binary_search_by_key(&(x.min(y), x.max(y)), |e| (e.a, e.b))
                .map_or(
                    Similarity {
                        shared: 0,
                        size_a: 1,
                        size_b: 1,
                    },
                    |k| edges[k].sim,
                )
        };
        for g in groups(&edges, cfg.threshold, similarity) {
            let occurrences = g
                .members
                .iter()
                .take(cfg.max_occurrences)
                .map(|&i| {
                    let sp = self.sentences[i as usize].span;
                    (sp, Box::from(&text[sp.start..sp.end]))
                })
                .collect();
            out.repeats.push(WithinRepeat {
                sim: g.sim,
                count: g.members.len() as u64,
                occurrences,
            });
        }
        out
    }

    /// Verifies the pairs of `self.eligible` (word count, sentence index, mask): returns the
    /// near-repeats, ordered by `(a, b)`, and the number of pairs rejected only because their
    /// numbers differ.
    ///
    /// Every pair of eligible sentences is considered, in order of word count so the length
    /// gate ends the inner loop early; the mask bound ([`may_repeat`]) rejects most of the
    /// rest before any set is sorted, and sorted sets (and numbers, under
    /// `numbers_must_match`) are made only for the sentences of pairs that pass it.
    fn verify_pairs(
        &mut self,
        text: &str,
        tokens: &[Token],
        hashes: &[u64],
        cfg: &SentenceConfig,
    ) -> (Vec<Edge>, u64) {
        let mut within = Vec::new();
        let mut changed = 0;
        if self.eligible.len() < 2 {
            return (within, changed);
        }
        // Sorting `u64` keys is cheaper than sorting the tuples; ties cannot occur (the
        // position is part of the key), so the order is the tuples' (words, index) order.
        self.order.clear();
        self.order.extend(
            self.eligible
                .iter()
                .enumerate()
                .map(|(k, e)| (e.0 as u64) << 32 | k as u64),
        );
        self.order.sort_unstable();
        self.gates.clear();
        self.gates.extend(self.order.iter().map(|&key| {
            let (words, _, mask) = self.eligible[key as u32 as usize];
            Gate {
                words,
                pop: mask.count_ones(),
                mask,
            }
        }));
        let m = self.gates.len();
        gate_pairs(&self.gates, cfg, &mut self.pairs);
        for slot in self.sets.drain(..).flatten() {
            self.spare.push(slot);
        }
        self.sets.resize_with(m, || None);
        self.second.clear();
        self.second.resize(m, None);
        for &(x, y) in &self.pairs {
            let (x, y) = (x as usize, y as usize);
            let ix = self.eligible[self.order[x] as u32 as usize].1;
            let iy = self.eligible[self.order[y] as u32 as usize].1;
            // The mask bound again with the second mask: most pairs that pass the first gate
            // are apart, and this rejects them before any set is sorted.
            for (k, i) in [(x, ix), (y, iy)] {
                if self.second[k].is_none() {
                    let s = self.sentences[i as usize];
                    let mask = second_mask(&hashes[s.first_token..s.first_token + s.words]);
                    self.second[k] = Some((mask, mask.count_ones()));
                }
            }
            let (Some((mx, px)), Some((my, py))) = (self.second[x], self.second[y]) else {
                continue;
            };
            let (gx, gy) = (&self.gates[x], &self.gates[y]);
            if !masks_may_meet(gx.words, mx, px, gy.words, my, py, cfg.threshold) {
                continue;
            }
            for (k, i) in [(x, ix), (y, iy)] {
                if self.sets[k].is_none() {
                    let s = self.sentences[i as usize];
                    let r = s.first_token..s.first_token + s.words;
                    let (mut set, mut nums) = self.spare.pop().unwrap_or_default();
                    set.clear();
                    set.extend_from_slice(&hashes[r.clone()]);
                    set.sort_unstable();
                    set.dedup();
                    nums.clear();
                    if cfg.numbers_must_match {
                        numbers_into(text, &tokens[r], &mut nums);
                        nums.sort_unstable();
                    }
                    self.sets[k] = Some((set, nums));
                }
            }
            let (Some(a), Some(b)) = (&self.sets[x], &self.sets[y]) else {
                continue;
            };
            let (a, b) = if ix < iy { (a, b) } else { (b, a) };
            let sim = Similarity::exact(&a.0, &b.0);
            if !sim.meets(cfg.threshold) {
                continue;
            }
            if cfg.numbers_must_match && numbers_changed(&a.1, &b.1) {
                changed += 1;
                continue;
            }
            within.push(Edge {
                a: ix.min(iy),
                b: ix.max(iy),
                sim,
            });
        }
        within.sort_unstable_by_key(|e| (e.a, e.b));
        (within, changed)
    }
}

/// One eligible sentence as the pair gate reads it: word count, mask and the mask's bit count.
#[derive(Debug, Clone, Copy)]
struct Gate {
    words: u32,
    pop: u32,
    mask: u128,
}

/// The pairs `(x, y)`, `x < y`, of `gates` (sorted by word count) that pass [`may_repeat`],
/// into `out` in `(x, y)` order.
fn gate_pairs(gates: &[Gate], cfg: &SentenceConfig, out: &mut Vec<(u32, u32)>) {
    out.clear();
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: the processor has `popcnt`, checked just above.
        unsafe { gate_pairs_popcnt(gates, cfg.length_ratio, cfg.threshold, out) };
        return;
    }
    gate_pairs_with(gates, cfg.length_ratio, cfg.threshold, out);
}

/// [`gate_pairs_with`] compiled with the `popcnt` instruction: the build targets the x86-64
/// baseline, where a population count is a dozen instructions, and every pair takes one of a
/// 128-bit mask.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
unsafe fn gate_pairs_popcnt(gates: &[Gate], ratio: f64, threshold: f64, out: &mut Vec<(u32, u32)>) {
    gate_pairs_with(gates, ratio, threshold, out);
}

#[inline(always)]
fn gate_pairs_with(gates: &[Gate], ratio: f64, threshold: f64, out: &mut Vec<(u32, u32)>) {
    // Word counts only grow along `gates`, so the sentences of compatible lengths after `x`
    // end where the first incompatible one is, and that end only moves forward with `x`:
    // found by a pointer that walks each sentence once, not by a test per pair.
    let mut end = 0;
    for (x, a) in gates.iter().enumerate() {
        end = end.max(x + 1);
        while end < gates.len() && lengths_compatible(a.words, gates[end].words, ratio) {
            end += 1;
        }
        for (y, b) in gates.iter().enumerate().take(end).skip(x + 1) {
            // `may_repeat` with the length test done.
            if masks_may_meet(a.words, a.mask, a.pop, b.words, b.mask, b.pop, threshold) {
                out.push((x as u32, y as u32));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::Tokenizer;

    /// Text of `words` (from a small vocabulary, so sentences share many) cut into sentences
    /// where `cuts` says.
    fn text_of(words: &[&str], cuts: &[bool]) -> String {
        let mut t = String::new();
        let mut capital = true;
        for (w, &cut) in words.iter().zip(cuts) {
            if !t.is_empty() {
                t.push(' ');
            }
            let mut c = w.chars();
            if capital {
                t.extend(c.next().map(|f| f.to_ascii_uppercase()));
            }
            t.push_str(c.as_str());
            capital = cut;
            if cut {
                t.push('.');
            }
        }
        t
    }

    proptest::proptest! {
        /// The gates (the length test, both masks) change nothing: the within-document pairs
        /// are exactly those that every-pair exact comparison finds.
        #[test]
        fn within_pairs_are_every_pair_that_meets_the_threshold(
            words in proptest::collection::vec(proptest::sample::select(vec![
                "the", "cat", "sat", "on", "mat", "dog", "ran", "far", "7", "a", "hill", "9",
                "over", "river", "town", "said",
            ]), 0..160),
            cuts in proptest::collection::vec(proptest::bool::weighted(0.12), 160),
            threshold in proptest::sample::select(vec![0.3, 0.5, 0.8]),
            numbers_must_match in proptest::bool::ANY,
        ) {
            let text = text_of(&words, &cuts);
            let cfg = SentenceConfig { threshold, numbers_must_match, ..SentenceConfig::default() };
            let mut tokens = Vec::new();
            Tokenizer::new().tokens_into(&text, &mut tokens);
            let hashes: Vec<u64> = tokens.iter().map(|t| t.hash).collect();
            let mut w = SentenceWorker::default();
            let got = w.document(&text, &tokens, &hashes, &cfg, false);
            let mut want = Vec::new();
            let mut changed = 0;
            let profile = |s: &DocSentence| {
                let r = s.first_token..s.first_token + s.words;
                let mut nums = Vec::new();
                numbers_into(&text, &tokens[r.clone()], &mut nums);
                let mut p = Profile::default();
                p.fill(&hashes[r], &nums);
                p
            };
            let eligible = |s: &DocSentence| {
                !s.structure
                    && has_words(&text, &tokens[s.first_token..s.first_token + s.words], cfg.min_words)
            };
            for (i, a) in w.sentences.iter().enumerate() {
                for (j, b) in w.sentences.iter().enumerate().skip(i + 1) {
                    if !eligible(a) || !eligible(b)
                        || !lengths_compatible(a.words as u32, b.words as u32, cfg.length_ratio)
                    {
                        continue;
                    }
                    let (pa, pb) = (profile(a), profile(b));
                    let sim = Similarity::exact(&pa.set, &pb.set);
                    if !sim.meets(threshold) {
                        continue;
                    }
                    if numbers_must_match && numbers_changed(&pa.numbers, &pb.numbers) {
                        changed += 1;
                        continue;
                    }
                    want.push(Edge { a: i as u32, b: j as u32, sim });
                }
            }
            proptest::prop_assert_eq!(&got.within, &want, "{:?}", text);
            proptest::prop_assert_eq!(got.changed_numbers, changed);
        }
    }

    proptest::proptest! {
        /// The pair gate yields exactly the pairs, in order, that the length test and the
        /// mask bound pass when every pair is tried.
        #[test]
        fn the_gate_yields_every_pair_that_passes_and_no_other(
            mut raw in proptest::collection::vec((6u32..40, proptest::prelude::any::<u64>(), 0u32..3), 0..40),
            ratio in proptest::sample::select(vec![0.0, 0.5, 0.7, 0.9, 1.0]),
            threshold in proptest::sample::select(vec![0.3, 0.5, 0.8]),
        ) {
            raw.sort_by_key(|r| r.0);
            // Masks from a few shared words so that some pairs pass.
            let gates: Vec<Gate> = raw
                .iter()
                .map(|&(words, bits, shift)| {
                    let mask = ((bits as u128) << (shift * 8)) | 0xff;
                    Gate { words, pop: mask.count_ones(), mask }
                })
                .collect();
            let mut got = Vec::new();
            gate_pairs_with(&gates, ratio, threshold, &mut got);
            let mut want = Vec::new();
            for (x, a) in gates.iter().enumerate() {
                for (y, b) in gates.iter().enumerate().skip(x + 1) {
                    if lengths_compatible(a.words, b.words, ratio)
                        && masks_may_meet(a.words, a.mask, a.pop, b.words, b.mask, b.pop, threshold)
                    {
                        want.push((x as u32, y as u32));
                    }
                }
            }
            proptest::prop_assert_eq!(got, want);
        }
    }
}
