use super::*;
use crate::normalize::Tokenizer;

fn profile(text: &str) -> Profile {
    let mut toks = Vec::new();
    Tokenizer::new().tokens_into(text, &mut toks);
    let hashes: Vec<u64> = toks.iter().map(|t| t.hash).collect();
    let mut numbers = Vec::new();
    numbers_into(text, &toks, &mut numbers);
    let mut p = Profile::default();
    p.fill(&hashes, &numbers);
    p
}

fn verdict(a: &str, b: &str) -> Comparison {
    let cfg = SentenceConfig {
        numbers_must_match: true,
        ..SentenceConfig::default()
    };
    compare(&profile(a), &profile(b), &cfg)
}

#[test]
fn a_sentence_said_twice_with_small_edits_is_a_near_repeat() {
    // Three words changed, one dropped: word 5-grams would share almost nothing.
    let v = verdict(
        "The Harrow-based regional council is funding new flood barriers along the Tollan's \
         lower banks, local radio reported.",
        "A Harrow-based county council is funding new flood barriers along the Tollan's lower \
         banks, radio reported.",
    );
    // 16 shared words of 20 ("Tollan's" is two tokens).
    assert_eq!(
        v,
        Comparison::Repeat(Similarity {
            shared: 16,
            size_a: 18,
            size_b: 18
        })
    );
}

#[test]
fn a_paraphrase_with_new_meaning_words_is_not_a_repeat() {
    assert_eq!(
        verdict(
            "The harbour council approved the new ferry timetable on Monday evening.",
            "On Monday evening councillors threw out plans to change when the ferries sail.",
        ),
        Comparison::No
    );
}

#[test]
fn changed_numbers_are_a_different_fact() {
    let a = "Output at the mill rose 3.1 percent in the third quarter, the firm said.";
    let b = "Output at the mill rose 4.2 percent in the third quarter, the firm said.";
    assert!(matches!(verdict(a, b), Comparison::ChangedNumbers(_)));
    // A number only dropped is not a changed fact.
    let c = "Output at the mill rose in the third quarter, the firm said.";
    assert!(matches!(verdict(a, c), Comparison::Repeat(_)));
    // Numbers are whole ("6,000,000") and counted: a repeated figure replaced is a change.
    let d = "Average shares were 6,000,000 vs 6,000,000 a year earlier at the firm.";
    let e = "Average shares were 6,000,000 vs 5,363,000 a year earlier at the firm.";
    assert!(matches!(verdict(d, e), Comparison::ChangedNumbers(_)));
    assert!(matches!(verdict(d, d), Comparison::Repeat(_)));
    assert!(matches!(
        compare(&profile(a), &profile(b), &SentenceConfig::default()),
        Comparison::Repeat(_)
    ));
}

#[test]
fn short_and_unequal_sentences_are_not_compared() {
    assert_eq!(
        verdict("He said so today.", "He said so today."),
        Comparison::No
    );
    assert_eq!(
        verdict(
            "The mill will close in March.",
            "The mill will close in March after the owners failed to find a buyer for it."
        ),
        Comparison::No
    );
}

proptest::proptest! {
    #[test]
    fn the_mask_bound_never_rejects_a_repeat(
        a in proptest::collection::vec(0u64..60, 1..30),
        b in proptest::collection::vec(0u64..60, 1..30),
        t in 0.05f64..1.0,
    ) {
        // Small values spread over the top bits, so masks collide often.
        let spread = |v: &Vec<u64>| -> Vec<u64> {
            v.iter().map(|x| crate::minhash::mix64(*x)).collect()
        };
        let (mut pa, mut pb) = (Profile::default(), Profile::default());
        pa.fill(&spread(&a), &[]);
        pb.fill(&spread(&b), &[]);
        if Similarity::exact(&pa.set, &pb.set).meets(t) {
            proptest::prop_assert!(may_meet(&pa, &pb, t));
        }
    }
}

proptest::proptest! {
    #[test]
    fn word_masks_set_bit_h_shr_57(v in proptest::collection::vec(proptest::prelude::any::<u64>(), 0..40)) {
        let want = v.iter().fold(0u128, |m, &h| m | 1u128 << (h >> 57));
        proptest::prop_assert_eq!(word_mask(&v), want);
    }

    /// Both masks, at every length (the AVX2 path takes eight hashes or more and leaves the
    /// last few to the scalar loop), are the one-at-a-time masks.
    #[test]
    fn masks_are_the_scalar_masks(v in proptest::collection::vec(proptest::prelude::any::<u64>(), 0..70)) {
        let want = |shift: u32| v.iter().fold(0u128, |m, &h| m | 1u128 << ((h >> shift) & 127));
        proptest::prop_assert_eq!(word_mask(&v), want(57));
        proptest::prop_assert_eq!(second_mask(&v), want(50));
        proptest::prop_assert_eq!(mask_at_scalar(&v, 57), want(57));
        proptest::prop_assert_eq!(mask_at_scalar(&v, 50), want(50));
    }
}

#[test]
fn sentence_hash_is_pinned_and_order_sensitive() {
    let h = |s: &str| {
        let mut v = Vec::new();
        Tokenizer::new().hashes_into(s, &mut v);
        sentence_hash(&v)
    };
    assert_eq!(
        h("The quick brown fox jumps."),
        h("the QUICK brown, fox jumps")
    );
    assert_ne!(h("the quick brown fox"), h("quick the brown fox"));
    assert_ne!(h("a"), h("a a"));
    assert_eq!(h("The quick brown fox jumps"), PINNED);
}

/// Cross-checked in Python: xxhash token hashes, the combination and SplitMix64 written
/// out, then `mix64(h ^ token_count)`.
const PINNED: u64 = 15_602_937_362_834_941_234;

#[test]
fn groups_do_not_chain() {
    let s = |shared, size| Similarity {
        shared,
        size_a: size,
        size_b: size,
    };
    // 2~5 and 5~3 verified; 2 and 3 are not a repeat: 3 forms no group of its own.
    // 7~9 is a group of two.
    let edges = [
        Edge {
            a: 7,
            b: 9,
            sim: s(9, 10),
        },
        Edge {
            a: 2,
            b: 5,
            sim: s(3, 4),
        },
        Edge {
            a: 5,
            b: 3,
            sim: s(1, 1),
        },
    ];
    let none = |_, _| s(0, 1);
    let g = groups(&edges, 0.5, none);
    assert_eq!(g.len(), 2);
    assert_eq!(g[0].members, vec![2, 5]);
    assert_eq!(g[0].sim, s(3, 4));
    assert_eq!(g[1].members, vec![7, 9]);
    let mut rev = edges;
    rev.reverse();
    assert_eq!(groups(&rev, 0.5, none), g);
    // When 2 and 3 do repeat each other, all three are one group.
    let all = groups(&edges, 0.5, |_, _| s(2, 3));
    assert_eq!(all[0].members, vec![2, 3, 5]);
    assert_eq!(all[0].sim, s(2, 3));
}

#[test]
fn boilerplate_needs_frequency_and_small_share() {
    // 8 documents, each with its own body (10 words) and a 2-word footer (hash 1);
    // documents 0-5 also share a story sentence (hash 2), which is most of the text of
    // documents 3-5 (syndicated copies) and a small part of documents 0-2.
    let mut hashes = Vec::new();
    let mut words = Vec::new();
    let mut first = vec![0u32];
    for d in 0..8u64 {
        hashes.extend([100 + d, 1]);
        words.extend([10, 2]);
        if d < 6 {
            hashes.push(2);
            words.push(if d >= 3 { 40 } else { 3 });
        }
        first.push(hashes.len() as u32);
    }
    let b = boilerplate(&hashes, &words, &first, 5);
    // The footer is small in 5 of its 8 documents; the story sentence is most of 3 of 6.
    assert_eq!(
        b,
        vec![Boilerplate {
            hash: 1,
            documents: 8
        }]
    );
    assert_eq!(boilerplate(&hashes, &words, &first, 7), b);
    assert!(boilerplate(&hashes, &words, &first, 9).is_empty());
}

fn within(text: &str, cfg: &SentenceConfig) -> DocWithin {
    let mut toks = Vec::new();
    Tokenizer::new().tokens_into(text, &mut toks);
    let hashes: Vec<u64> = toks.iter().map(|t| t.hash).collect();
    SentenceWorker::default().within(text, &toks, &hashes, cfg)
}

#[test]
fn within_quotes_each_group_of_a_page_with_its_spans() {
    let a = "The river barge carried forty tonnes of gravel to the new quay on Friday.";
    let b = "The river barge carried sixty tonnes of gravel to the new quay on Friday.";
    let c = "Nobody on the crew had seen the lock gates open so slowly before.";
    let d = "Nobody in the crew had seen the lock gates open so slowly before today.";
    let text = format!("{a} {c}\n\n{b} Other words fill this middle part. {d}");
    let found = within(&text, &SentenceConfig::default());
    assert_eq!(found.sentences, 5);
    let quoted: Vec<Vec<&str>> = found
        .repeats
        .iter()
        .map(|r| r.occurrences.iter().map(|(_, t)| &**t).collect())
        .collect();
    assert_eq!(quoted, [vec![a, b], vec![c, d]]);
    for r in &found.repeats {
        assert_eq!(r.count, 2);
        for (sp, t) in &r.occurrences {
            assert_eq!(&text[sp.start..sp.end], &**t);
        }
    }
    // 12 shared words of 14; "in"/"on" and "today" make the second pair 11 of 14.
    assert_eq!(found.repeats[0].sim.shared, 12);
    assert_eq!(found.repeats[1].sim.shared, 11);
    // At most `max_occurrences` quoted, all counted.
    let three = format!("{a} {a} {a}");
    let cfg = SentenceConfig {
        max_occurrences: 2,
        ..SentenceConfig::default()
    };
    let found = within(&three, &cfg);
    assert_eq!(found.repeats.len(), 1);
    assert_eq!(found.repeats[0].count, 3);
    assert_eq!(found.repeats[0].occurrences.len(), 2);
}

#[test]
fn within_skips_table_rows_and_list_items() {
    let rows = "| 2025-10-19 | Ferrow Gazette | the orchard story ran | 437 words |\n\
                | 2025-10-23 | Ferrow Gazette | the chess story ran | 431 words |\n";
    let items = "- the gates were checked on Monday by the crew\n\
                 - the gates were checked on Sunday by the crew\n";
    for t in [rows, items] {
        assert!(
            within(t, &SentenceConfig::default()).repeats.is_empty(),
            "{t}"
        );
        let prose = t.replace(['|', '-'], " ");
        assert_eq!(within(&prose, &SentenceConfig::default()).repeats.len(), 1);
    }
}

#[test]
fn lines_of_figures_are_not_sentences_but_prose_with_figures_is() {
    // Rows of an earnings table: every word shared, only the figures differ; eight and nine
    // tokens, two and three words.
    let rows = "Quarterly results of the mill\n    Net 2,005,000 vs 1,685,000\n    \
                Net 1,311,000 vs 1,190,000\n    Avg shrs 3,603,000 vs 3,614,000\n    \
                Avg shrs 3,604,000 vs 3,713,000\n";
    assert!(within(rows, &SentenceConfig::default()).repeats.is_empty());
    // The same figures in sentences of six words or more besides them: a repeat.
    let prose = "The mill earned 2,005,000 crowns in the last quarter. \
                 The mill earned 1,311,000 crowns in the last quarter.";
    let found = within(prose, &SentenceConfig::default());
    assert_eq!(found.repeats.len(), 1);
    // The rows are alike enough to be a repeat when short sentences count: the two "Avg
    // shrs" rows share 5 of their 9 distinct tokens (the "Net" rows 4 of 9). Set apart by
    // blank lines, so that they are not a table of bare lines, which is structure.
    let apart = rows.replace('\n', "\n\n");
    let cfg = SentenceConfig {
        min_words: 2,
        ..SentenceConfig::default()
    };
    assert!(within(&apart, &SentenceConfig::default())
        .repeats
        .is_empty());
    assert_eq!(within(&apart, &cfg).repeats.len(), 1);
    assert!(within(rows, &cfg).repeats.is_empty());
}

#[test]
fn rows_of_a_table_of_bare_lines_are_not_sentences() {
    // Figures spelled out: every row has six words or more besides numbers, and the first
    // and last share 4 of their 8 distinct words (Jaccard 0.5, the default threshold).
    let (a, b) = (
        "Shr loss eight cts vs loss three cts",
        "Shr loss nine cts vs loss four cts",
    );
    let table = format!(
        "The mill reported its results on Monday.\n\n{a}\n    Net loss 214,000 vs 309,000\n    \
         Year\n    {b}\n Reuter\n"
    );
    assert!(within(&table, &SentenceConfig::default())
        .repeats
        .is_empty());
    // Ended as sentences, the two rows are prose and a near-repeat; the lines left bare
    // between them are too few for a table.
    let ended = table.replace(" cts\n", " cts.\n");
    let found = within(&ended, &SentenceConfig::default());
    assert_eq!(found.repeats.len(), 1);
    let quoted: Vec<&str> = found.repeats[0]
        .occurrences
        .iter()
        .map(|(_, t)| &**t)
        .collect();
    assert_eq!(quoted, [format!("{a}."), format!("{b}.")]);
    // Two bare lines are not yet a table.
    let two = format!("Results on Monday.\n\n    {a}\n    {b}\n\nMore text follows here.");
    assert_eq!(within(&two, &SentenceConfig::default()).repeats.len(), 1);
}

#[test]
fn has_words_counts_tokens_that_do_not_start_with_a_digit() {
    let words = |t: &str, min: usize| {
        let mut toks = Vec::new();
        Tokenizer::new().tokens_into(t, &mut toks);
        has_words(t, &toks, min)
    };
    assert!(words("Shr loss two cts vs profit three cts", 6));
    // Five words (repeats count, as in a sentence's word count) and two numbers.
    assert!(!words("Oper shr 42 cts vs 41 cts", 6));
    assert!(words("Oper shr 42 cts vs 41 cts", 5));
    // "4th" and "١٢" (Arabic-Indic digits) are numbers; "Q4" is a word.
    assert!(!words("the 4th and ١٢ Q4", 4));
    assert!(words("the 4th and ١٢ Q4", 3));
    assert!(!words("", 1));
    assert!(words("", 0));
}

#[test]
fn every_token_belongs_to_one_sentence() {
    let text = "First one here. ㎏ Second one! 3";
    let mut toks = Vec::new();
    Tokenizer::new().tokens_into(text, &mut toks);
    let mut out = Vec::new();
    doc_sentences_into(
        text,
        &toks,
        &mut Segmenter::new(),
        &mut Vec::new(),
        &mut out,
    );
    assert_eq!(out.iter().map(|s| s.words).sum::<usize>(), toks.len());
    assert_eq!(&text[out[0].span.start..out[0].span.end], "First one here.");
}

proptest::proptest! {
    /// The plain-text table rule only ever adds structure, and only to bare lines in runs of
    /// at least `TABLE_LINES` on consecutive lines; a sentence that ends with a full stop keeps
    /// the line tracker's verdict.
    #[test]
    fn the_table_rule_marks_only_runs_of_bare_lines(
        lines in proptest::collection::vec(0usize..6, 0..14),
    ) {
        const PIECES: [&str; 6] = [
            "Shr loss eight cts vs loss three cts",
            "    Net loss 214,000 vs 309,000",
            "The mill earned more than it did last year.",
            "",
            "- a list item of several words here",
            "Year",
        ];
        let text: String = lines.iter().map(|&i| PIECES[i]).collect::<Vec<_>>().join("\n");
        let mut toks = Vec::new();
        Tokenizer::new().tokens_into(&text, &mut toks);
        let mut out = Vec::new();
        doc_sentences_into(&text, &toks, &mut Segmenter::new(), &mut Vec::new(), &mut out);
        let mut tracker = crate::sentence::LineTracker::new();
        let lines_say: Vec<bool> = out.iter().map(|s| tracker.structure(&text, s.span.start)).collect();
        let bare: Vec<bool> = out
            .iter()
            .map(|s| crate::sentence::bare_line(&text, s.span.start, s.span.end))
            .collect();
        for (i, s) in out.iter().enumerate() {
            proptest::prop_assert!(s.structure || !lines_say[i], "{:?}", text);
            let sentence = &text[s.span.start..s.span.end];
            if sentence.ends_with('.') {
                proptest::prop_assert_eq!(s.structure, lines_say[i], "{:?}", text);
            }
            if s.structure && !lines_say[i] {
                proptest::prop_assert!(bare[i], "{:?}", text);
                // In a run of at least TABLE_LINES bare lines on consecutive lines.
                let linked = |k: usize| {
                    bare[k] && bare[k + 1] && crate::sentence::next_line(&text, out[k].span.end, out[k + 1].span.start)
                };
                let (mut lo, mut hi) = (i, i);
                while lo > 0 && linked(lo - 1) {
                    lo -= 1;
                }
                while hi + 1 < out.len() && linked(hi) {
                    hi += 1;
                }
                proptest::prop_assert!(hi - lo + 1 >= crate::sentence::TABLE_LINES, "{:?}", text);
            }
        }
    }
}
