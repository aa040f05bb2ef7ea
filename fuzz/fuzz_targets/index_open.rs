//! Opening an index (`Index::open`, `Index::open_reference`, `index::verify`): any file at the
//! index path gives an index or a clear error, never a panic, and never a silently new index
//! over an existing file. Seeds are small real indexes, so mutations reach the header, the
//! row checksums and the tables.

#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use syndup::{Config, Index, VerifyMode};

fuzz_target!(|data: &[u8]| {
    let path = common::scratch("index.db", data);
    for verify in [VerifyMode::Estimate, VerifyMode::Exact] {
        // The default shape, given (searching for it costs more than opening the index).
        let config = Config {
            verify,
            bands: Some(16),
            rows: Some(8),
            ..Config::default()
        };
        for reference in [false, true] {
            let opened = if reference {
                Index::open_reference(&path, &config)
            } else {
                Index::open(&path, &config)
            };
            match opened {
                Ok(index) => {
                    let _ = index.len();
                    let _ = index.close();
                }
                Err(e) => common::check_message(&e.to_string()),
            }
        }
    }
    match syndup::index::verify(&path) {
        Ok(v) => assert_eq!(v.is_ok(), v.problems.is_empty()),
        Err(e) => common::check_message(&e.to_string()),
    }
    // An existing file is never replaced by a new index.
    if data.is_empty() {
        assert_eq!(std::fs::metadata(&path).map(|m| m.len()).ok(), Some(0));
    }
    common::remove_db(&path);
});
