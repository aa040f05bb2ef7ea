//! Unit tests of the containment search and its confirmation.
#[test]
fn classes_are_searched_through_one_member_and_expanded() {
    let story: Vec<u64> = (1..=20).collect();
    let page: Vec<u64> = (1..=20).chain(100..130).collect();
    let other: Vec<u64> = (500..540).collect();
    let samples: Vec<Box<[u64]>> = vec![
        story.clone().into(),
        story.into(),
        page.into(),
        other.into(),
    ];
    // 0 and 1 are near-duplicates (one class); 2 holds the story.
    let found = class_candidates(samples, [(0, 1)], &Params::default());
    assert_eq!(found, vec![(0, 2), (1, 2)]);
}
use super::*;
use crate::minhash::mix64;

fn doc(range: std::ops::Range<u64>) -> Vec<u64> {
    range.map(mix64).collect()
}

fn flat(samples: &[Vec<u64>]) -> Samples {
    let mut flat = Samples::default();
    for s in samples {
        flat.push(s);
    }
    flat
}

/// Each document's sample keys and fingerprints at `rate`, as the scan keeps them.
/// A deterministic stream of well-mixed numbers from `seed`.
fn counter_hash(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || {
        state = mix64(state.wrapping_add(1));
        state
    }
}

/// The candidate pairs by counting every pair's shared samples: the smaller side (the first
/// at equal sizes) with its samples in more than `max_df` documents left out of the estimate.
fn brute_force(samples: &Samples, p: &Params) -> Vec<(u32, u32)> {
    let mut df: std::collections::HashMap<u32, usize> = Default::default();
    for d in 0..samples.documents() {
        for &h in samples.of(d) {
            *df.entry(h).or_default() += 1;
        }
    }
    let mut brute = Vec::new();
    for a in 0..samples.documents() {
        for b in a + 1..samples.documents() {
            let (x, y) = (samples.of(a), samples.of(b));
            let small = if x.len() <= y.len() { x } else { y };
            let visible = small.iter().filter(|h| df[h] <= p.max_df).count();
            let shared = x
                .iter()
                .filter(|h| df[h] <= p.max_df && y.binary_search(h).is_ok())
                .count();
            if shared >= p.needed(visible, small.len()) {
                brute.push((a as u32, b as u32));
            }
        }
    }
    brute
}

fn both_of(docs: &[Vec<u64>], rate: u64) -> (Samples, Fingerprints) {
    let (mut keys, mut fine) = (Samples::default(), Fingerprints::default());
    for d in docs {
        let (k, f) = sample_keys(d, rate);
        keys.push_keys(&k);
        fine.push_keys(&f);
    }
    (keys, fine)
}

#[test]
fn the_fingerprints_are_the_finer_sample_without_the_search_sample() {
    let shingles = doc(0..4000);
    let coarse = sample(&shingles, 8);
    let finer = sample(&shingles, 4);
    let fine = fingerprints(&shingles, 8);
    let mut want: Vec<u16> = finer
        .iter()
        .filter(|h| coarse.binary_search(h).is_err())
        .map(|&h| fingerprint(h))
        .collect();
    want.sort_unstable();
    want.dedup();
    assert_eq!(fine, want);
    // About 500 of 4,000: one in 4 sampled, half of them at rate 8 already.
    assert!((400..600).contains(&fine.len()), "{}", fine.len());
    assert_eq!(fine_rate(8), 4);
    assert_eq!(fine_rate(1), 1);
    assert!(fingerprints(&shingles, 1).is_empty());
}

#[test]
fn confirmation_keeps_contained_pairs_and_drops_those_far_under_the_threshold() {
    let p = Params::default();
    // 0: a story; 1: a page holding all of it; 2: a page holding a third of it; 3: a
    // page holding 80% of it; 4: an empty document.
    let docs = vec![
        doc(0..300),
        doc(0..300).into_iter().chain(doc(1000..1500)).collect(),
        doc(0..100).into_iter().chain(doc(2000..2400)).collect(),
        doc(60..300).into_iter().chain(doc(3000..3100)).collect(),
        Vec::new(),
    ];
    let (keys, fine) = both_of(&docs, 8);
    let pairs = vec![(0, 1), (0, 2), (0, 3), (0, 4), (1, 2)];
    assert_eq!(
        confirm(pairs.clone(), &keys, &fine, &p),
        vec![(0, 1), (0, 3), (0, 4)]
    );
    // At rate 1 the keys are the whole sets: the same answer, from exact counts.
    let (keys, fine) = both_of(&docs, 1);
    assert_eq!(
        confirm(pairs, &keys, &fine, &p),
        vec![(0, 1), (0, 3), (0, 4)]
    );
}

#[test]
fn a_document_inside_another_is_always_confirmed() {
    // Whatever the sizes: a subset shares all its fingerprints, and `confirmed` of n is
    // never more than n.
    let p = Params::default();
    for n in [0u64, 1, 5, 20, 57, 300, 2000] {
        let inner = doc(0..n);
        let outer: Vec<u64> = doc(0..n)
            .into_iter()
            .chain(doc(10_000..10_000 + 3 * n))
            .collect();
        let (keys, fine) = both_of(&[inner, outer], 8);
        assert_eq!(
            confirm(vec![(0, 1)], &keys, &fine, &p),
            vec![(0, 1)],
            "n {n}"
        );
    }
    for n in 0..5000 {
        assert!(p.confirmed(n) <= n);
        assert!(p.confirmed(n) <= p.confirmed(n + 1), "monotone at {n}");
    }
    assert_eq!(p.confirmed(0), 0);
    assert_eq!(p.confirmed(6), 0);
    // 100 samples: ceil(100 x (0.7 - 4 x sqrt(0.21 / 100))) = ceil(51.67).
    assert_eq!(p.confirmed(100), 52);
}

#[test]
fn keys_made_in_the_worker_are_the_keys_push_makes() {
    let shingles: Vec<u64> = (0..500u64).map(mix64).chain((0..50).map(mix64)).collect();
    for rate in [1, 4, 8] {
        let (mut a, mut b) = (Samples::default(), Samples::default());
        a.push(&sample(&shingles, rate));
        let (keys, fine) = sample_keys(&shingles, rate);
        b.push_keys(&keys);
        assert_eq!(fine, fingerprints(&shingles, rate), "rate {rate}");
        assert_eq!(a, b, "rate {rate}");
        assert!(a.total() > 500 / rate as usize / 2);
    }
}

#[test]
fn keys_are_sorted_distinct_and_documents_stay_apart() {
    let mut s = Samples::default();
    s.push(&[5 << 32 | 9, 3, 9, 1 << 40 | 3]);
    s.push(&[]);
    s.push(&[7]);
    assert_eq!(s.documents(), 3);
    assert_eq!(s.of(0), &[3, 9]);
    assert!(s.of(1).is_empty());
    assert_eq!(s.of(2), &[7]);
    assert_eq!(s.total(), 3);
    s.retain(|d| d != 0);
    assert!(s.of(0).is_empty());
    assert_eq!(s.of(2), &[7]);
}

#[test]
fn a_story_inside_a_long_page_is_a_candidate_though_jaccard_is_low() {
    let story = doc(0..300);
    let mut page = doc(10_000..12_000);
    page.extend(&story); // J = 300 / 2300 = 0.13, containment of story = 1.0
    let unrelated = doc(50_000..50_300);
    let samples: Vec<Vec<u64>> = [story, page, unrelated]
        .iter()
        .map(|d| sample(d, 4))
        .collect();
    let c = candidates(&flat(&samples), &Params::default());
    assert_eq!(c, vec![(0, 1)]);
}

#[test]
fn partial_overlap_below_the_threshold_is_not_a_candidate() {
    let a = doc(0..1000);
    let b: Vec<u64> = doc(0..100).into_iter().chain(doc(5000..5900)).collect(); // 10% shared
    let samples: Vec<Vec<u64>> = [a, b].iter().map(|d| sample(d, 2)).collect();
    assert!(candidates(&flat(&samples), &Params::default()).is_empty());
}

#[test]
fn prefix_filtering_finds_exactly_the_pairs_a_brute_force_count_finds() {
    // Documents made of random blocks of a small vocabulary of shared passages, so pairs
    // overlap by every amount.
    let mut next = counter_hash(7);
    let docs: Vec<Vec<u64>> = (0..120)
        .map(|_| {
            let blocks = 1 + next() % 6;
            (0..blocks)
                .flat_map(|_| {
                    let b = next() % 15;
                    doc(b * 100..b * 100 + 10 + (b % 4) * 20)
                })
                .collect()
        })
        .collect();
    let samples = flat(&docs.iter().map(|d| sample(d, 1)).collect::<Vec<_>>());
    for (threshold, max_df) in [
        (0.2, usize::MAX),
        (0.5, usize::MAX),
        (0.5, 28),
        (0.7, 30),
        (0.9, 34),
    ] {
        let p = Params {
            threshold,
            max_df,
            ..Params::default()
        };
        let brute = brute_force(&samples, &p);
        assert!(brute.len() > 5, "{} pairs", brute.len());
        assert_eq!(candidates(&samples, &p), brute, "threshold {threshold}");
        // The index built in many parts of the key range, and the rest of each document's
        // samples counted by walking lists or by lookups, give the same pairs.
        for part_bytes in [7, 64, 4096] {
            for walk_factor in [0, 2, usize::MAX] {
                assert_eq!(
                    candidates_in_parts(&samples, &p, part_bytes, walk_factor),
                    brute,
                    "threshold {threshold}, parts of {part_bytes} bytes, {walk_factor}"
                );
            }
        }
    }
}

#[test]
fn lists_too_long_to_record_places_in_are_walked_from_the_right_place() {
    // Over `LISTED` documents share one passage, so its samples' lists are walked without
    // recorded places (max_df unbounded); the pairs are still exactly the brute force's.
    let mut next = counter_hash(11);
    let docs: Vec<Vec<u64>> = (0..LISTED as u64 + 40)
        .map(|i| {
            let mut d = doc(0..40);
            let b = 1 + next() % 30;
            d.extend(doc(b * 100..b * 100 + 10 + i % 7));
            d
        })
        .collect();
    let samples = flat(&docs.iter().map(|d| sample(d, 1)).collect::<Vec<_>>());
    let p = Params {
        threshold: 0.9,
        max_df: usize::MAX,
        ..Params::default()
    };
    let brute = brute_force(&samples, &p);
    assert!(brute.len() > 1000, "{} pairs", brute.len());
    for walk_factor in [0, usize::MAX] {
        assert_eq!(candidates_in_parts(&samples, &p, 4096, walk_factor), brute);
    }
}

#[test]
fn common_hashes_are_ignored() {
    // 300 documents share 20 boilerplate shingles, each has 200 of its own.
    let boiler = doc(0..20);
    let docs: Vec<Vec<u64>> = (0..300u64)
        .map(|i| {
            boiler
                .iter()
                .copied()
                .chain(doc(1000 * (i + 1)..1000 * (i + 1) + 200))
                .collect()
        })
        .collect();
    let samples = flat(&docs.iter().map(|d| sample(d, 1)).collect::<Vec<_>>());
    assert!(candidates(
        &samples,
        &Params {
            max_df: 100,
            ..Params::default()
        }
    )
    .is_empty());
}

#[test]
fn boilerplate_is_left_out_of_the_estimate_down_to_the_old_floor() {
    // 300 pages share `common` boilerplate shingles (over max_df); page 0 is that
    // boilerplate around a `story`-shingle story, and page 300 quotes the story in a
    // longer text.
    let pages = |common: u64, story: u64| -> Vec<(u32, u32)> {
        let boiler = doc(0..common);
        let story = doc(500..500 + story);
        let mut docs: Vec<Vec<u64>> = (0..300u64)
            .map(|i| {
                let own = if i == 0 {
                    story.clone()
                } else {
                    doc(1000 * (i + 1)..1000 * (i + 1) + 200)
                };
                boiler.iter().copied().chain(own).collect()
            })
            .collect();
        docs.push(story.iter().copied().chain(doc(900_000..900_200)).collect());
        let samples = flat(&docs.iter().map(|d| sample(d, 1)).collect::<Vec<_>>());
        let p = Params {
            max_df: 100,
            ..Params::default()
        };
        candidates(&samples, &p)
    };
    // 60 of page 0's 80 samples are shared: 0.75 of all, enough.
    assert_eq!(pages(20, 60), vec![(0, 300)]);
    // 20 of 40: the boilerplate is left out of the estimate (20 of 20 visible samples),
    // and the floor over all of them (0.42 x 40 = 17) is met.
    assert_eq!(pages(20, 20), vec![(0, 300)]);
    // 30 of 90 is under the floor (38): a page that is mostly boilerplate is not a
    // candidate of every text quoting its story.
    assert!(pages(60, 30).is_empty());
}

#[test]
fn large_samples_need_an_estimate_near_the_threshold_and_small_ones_a_margin() {
    let p = Params::default();
    // 400 samples: the standard error at 0.7 is 0.0229, so 0.7 - 4 x 0.0229 = 0.608.
    assert_eq!(p.needed(400, 400), 244);
    // 20 samples: the error is 0.102, and the floor 0.6 x 0.7 = 0.42 applies.
    assert_eq!(p.needed(20, 20), 9);
    assert_eq!(p.needed(1, 1), 1);
    assert_eq!(p.needed(0, 0), 1);
    // 100 samples, 60 of them visible: 0.7 - 4 x 0.059 = 0.463 of 60 is 28, under the
    // floor over all 100 (42).
    assert_eq!(p.needed(60, 100), 42);
    assert_eq!(p.needed(0, 100), 42);
    let half = |size: u64| -> Vec<Vec<u64>> {
        let a = doc(0..size);
        let b = doc(0..size / 2)
            .into_iter()
            .chain(doc(10_000..10_000 + size))
            .collect();
        [a, b].iter().map(|d| sample(d, 1)).collect()
    };
    // Half of a long text inside another is not a candidate; half of a short one is
    // (its estimate is too rough to tell 0.5 from 0.7).
    assert!(candidates(&flat(&half(400)), &p).is_empty());
    assert_eq!(candidates(&flat(&half(20)), &p), vec![(0, 1)]);
}
