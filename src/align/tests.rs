use super::*;
use proptest::prelude::*;

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

#[test]
fn a_repeated_passage_starts_at_its_first_occurrence_in_the_second_text() {
    // The second text holds the story twice; both halves of the first start at the first copy.
    let twice = format!("{STORY} {STORY}");
    let al = align(STORY, &twice, 5);
    assert_eq!(al.passages.len(), 1);
    assert_eq!(al.passages[0].b_start, 0);
    assert_eq!(al.coverage_a, 1.0);
    assert_eq!(al.coverage_b, 0.5);
    // From the doubled side, the second copy is aligned again at the first occurrence too.
    let back = align(&twice, STORY, 5);
    assert_eq!(back.passages.len(), 2);
    assert!(back.passages.iter().all(|p| p.b_start == 0));
    assert_eq!((back.coverage_a, back.coverage_b), (1.0, 1.0));
}

#[test]
fn texts_shorter_than_k_are_one_shingle() {
    let al = align("Storm warning", "storm WARNING!", 5);
    assert_eq!(al.passages.len(), 1);
    assert_eq!(al.passages[0].words, 2);
    assert_eq!((al.coverage_a, al.coverage_b), (1.0, 1.0));
    assert!(align("", "storm warning", 5).passages.is_empty());
    assert_eq!(align("", "", 5).coverage_a, 0.0);
}

#[test]
fn a_prepared_text_is_reused_across_pairs_and_reports_its_size() {
    let p = Prepared::new(STORY, 5);
    assert_eq!(p.k(), 5);
    assert_eq!(p.words(), 28);
    // Spans (8 bytes a word) and 24 shingles (8 bytes), each allocated at its size: the
    // table is made per alignment, not held.
    assert_eq!(p.heap_bytes(), 28 * 8 + 24 * 8);
    let page = Prepared::new(&format!("Intro words here. {STORY}"), 5);
    let other = Prepared::new(&STORY.replace("storm", "gale"), 5);
    assert_eq!(
        align_prepared(&p, &page),
        align(STORY, &format!("Intro words here. {STORY}"), 5)
    );
    assert_eq!(
        align_prepared(&p, &other),
        align(STORY, &STORY.replace("storm", "gale"), 5)
    );
}

/// The implementation before prepared texts had a hash table: a sorted index searched by
/// binary search and coverage counted word by word. Kept as the reference the fast path must
/// equal exactly.
fn reference(a: &str, b: &str, k: usize) -> Alignment {
    let mut tok = Tokenizer::new();
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    tok.tokens_into(a, &mut ta);
    tok.tokens_into(b, &mut tb);
    let k = k.max(1);
    let shingles = |t: &[Token]| {
        let h: Vec<u64> = t.iter().map(|t| t.hash).collect();
        if h.is_empty() {
            Vec::new()
        } else if h.len() <= k {
            vec![crate::shingle::combine(&h)]
        } else {
            h.windows(k).map(crate::shingle::combine).collect()
        }
    };
    let (ha, hb) = (shingles(&ta), shingles(&tb));
    let mut index: Vec<(u64, u32)> = hb.iter().copied().zip(0..).collect();
    index.sort_unstable();
    index.dedup_by_key(|e| e.0);
    let find = |h: u64| {
        index
            .binary_search_by_key(&h, |e| e.0)
            .ok()
            .map(|i| index[i].1 as usize)
    };
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

/// Words of a small vocabulary (repeats are frequent, so runs, repeated shingles and
/// restarts inside runs all occur), with punctuation, capitals and non-ASCII letters.
const WORDS: &[&str] = &[
    "the",
    "gate",
    "storm",
    "Harbour",
    "quay",
    "water,",
    "night.",
    "hinge",
    "café",
    "ÉCOLE",
    "river-bank",
    "U.S.",
    "a",
    "東京",
    "over",
    "and",
    "3",
    "fjord",
    "Straße",
    "\"gate\"",
];

fn text_of(words: &[usize], seps: &[usize]) -> String {
    const SEPS: &[&str] = &[" ", "  ", "\n", " - ", ", ", "\t"];
    let mut s = String::new();
    for (n, &w) in words.iter().enumerate() {
        if n > 0 {
            s.push_str(SEPS[seps.get(n).copied().unwrap_or(0) % SEPS.len()]);
        }
        s.push_str(WORDS[w % WORDS.len()]);
    }
    s
}

/// A text and an edited copy: spliced pieces of the first, with words changed and inserted.
fn pair() -> impl Strategy<Value = (String, String)> {
    (
        prop::collection::vec(0usize..WORDS.len(), 0..120),
        prop::collection::vec(0usize..6, 0..120),
        prop::collection::vec(
            (0usize..200, 0usize..40, 0usize..WORDS.len(), any::<bool>()),
            0..8,
        ),
    )
        .prop_map(|(a, seps, edits)| {
            let mut b: Vec<usize> = Vec::new();
            for &(at, len, word, change) in &edits {
                if a.is_empty() {
                    b.push(word);
                    continue;
                }
                let from = at % a.len();
                b.extend_from_slice(&a[from..(from + len).min(a.len())]);
                if change {
                    b.push(word);
                }
            }
            (text_of(&a, &seps), text_of(&b, &seps[seps.len() / 2..]))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    /// Prepared texts and the hash table give exactly what the sorted-index implementation
    /// gave, in both directions and for every shingle length.
    #[test]
    fn prepared_alignment_equals_the_reference((a, b) in pair(), k in 0usize..7) {
        let (pa, pb) = (Prepared::new(&a, k), Prepared::new(&b, k));
        prop_assert_eq!(align_prepared(&pa, &pb), reference(&a, &b, k));
        prop_assert_eq!(align_prepared(&pb, &pa), reference(&b, &a, k));
        prop_assert_eq!(align_prepared(&pa, &pa), reference(&a, &a, k));
        let mut tok = Tokenizer::new();
        let (mut ta, mut tb) = (Vec::new(), Vec::new());
        tok.tokens_into(&a, &mut ta);
        tok.tokens_into(&b, &mut tb);
        prop_assert_eq!(align_tokens(&ta, &tb, k), reference(&a, &b, k));
    }

    /// Spans are byte ranges on char boundaries of both texts, and a passage's words agree.
    #[test]
    fn passages_are_spans_of_both_texts((a, b) in pair(), k in 1usize..7) {
        let al = align(&a, &b, k);
        for p in &al.passages {
            prop_assert!(a.is_char_boundary(p.a_start) && a.is_char_boundary(p.a_end));
            prop_assert!(b.is_char_boundary(p.b_start) && b.is_char_boundary(p.b_end));
            prop_assert!(p.a_start < p.a_end && p.b_start < p.b_end && p.words >= 1);
            let mut tok = Tokenizer::new();
            prop_assert_eq!(
                tok.normalize(&a[p.a_start..p.a_end]),
                tok.normalize(&b[p.b_start..p.b_end])
            );
        }
    }
}

#[test]
fn wide_spans_give_the_same_offsets() {
    let mut tok = Tokenizer::new();
    let mut tokens = Vec::new();
    tok.tokens_into(STORY, &mut tokens);
    let narrow = Prepared::from_tokens(&tokens, 5);
    let mut wide = narrow.clone();
    wide.spans = Spans::Wide(tokens.iter().map(|t| [t.start, t.end]).collect());
    let page = Prepared::new(&format!("Intro. {STORY}"), 5);
    assert_eq!(align_prepared(&wide, &page), align_prepared(&narrow, &page));
    assert_eq!(align_prepared(&page, &wide), align_prepared(&page, &narrow));
    assert!(matches!(Spans::new(1 << 33), Spans::Wide(_)) || usize::BITS < 64);
}
