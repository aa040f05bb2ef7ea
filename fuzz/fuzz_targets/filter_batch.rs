//! The streaming filter's batch decision (`StreamFilter::check_batch`) on an in-memory index:
//! any lines give one verdict each, in order; every record is counted once (`records = kept
//! + duplicates + rejected`); a duplicate names a record kept before it. The first byte picks
//! exact or estimated similarity, the threshold and where batches are cut.

#![no_main]

use libfuzzer_sys::fuzz_target;
use syndup::stream::Record;
use syndup::{Config, Index, StreamFilter, Verdict, VerifyMode};

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, bytes)) = data.split_first() else {
        return;
    };
    // Bands and rows for each threshold, found once (the search is costly).
    static SHAPES: std::sync::OnceLock<Vec<(f64, usize, usize)>> = std::sync::OnceLock::new();
    let shapes = SHAPES.get_or_init(|| {
        [0.5, 0.8, 0.9, 1.0]
            .iter()
            .map(|&t| {
                let (b, r) = syndup::lsh::optimal_params(t, 128);
                (t, b, r)
            })
            .collect()
    });
    let (threshold, bands, rows) = shapes[(knobs as usize >> 1) & 3];
    let config = Config {
        verify: if knobs & 1 == 0 {
            VerifyMode::Estimate
        } else {
            VerifyMode::Exact
        },
        threshold,
        bands: Some(bands),
        rows: Some(rows),
        ngram: 1 + (knobs as usize >> 3) % 5,
        max_doc_bytes: 4096,
        ..Config::default()
    };
    let index = Index::in_memory(&config).expect("in-memory index");
    let mut filter = StreamFilter::new(config, index).expect("filter");
    let records: Vec<Record> = bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, line)| Record {
            path: "fuzz.jsonl",
            line: Some(i as u64 + 1),
            bytes: line,
        })
        .collect();
    let cut = records.len() * (knobs as usize >> 6) / 4;
    let mut kept = std::collections::HashSet::new();
    for part in [&records[..cut], &records[cut..]] {
        let verdicts = filter.check_batch(part).expect("check_batch");
        assert_eq!(verdicts.len(), part.len());
        for v in verdicts {
            match v {
                Verdict::Kept { id, replay } => {
                    assert!(!replay);
                    assert!(kept.insert(id));
                }
                Verdict::Duplicate {
                    dup_of, similarity, ..
                } => {
                    assert!(kept.contains(&dup_of), "{dup_of} was kept before");
                    assert!((0.0..=1.0).contains(&similarity));
                }
                Verdict::Rejected(p) => assert!(!p.message.is_empty()),
            }
        }
    }
    let s = filter.stats();
    assert_eq!(s.records, records.len() as u64);
    assert_eq!(s.records, s.kept + s.duplicates + s.rejected);
    assert_eq!(s.kept, kept.len() as u64);
});
