//! The input reader (`input::read_batches`): any file, read as a text document, as JSON Lines,
//! gzip or Zstandard, ends (no hang), never panics, and accounts for every line of plain JSON
//! Lines exactly once (a record, a line over the limit, or a blank line; a leading UTF-8 BOM
//! is not part of the first line). The first byte picks the kind and `--max-doc-bytes`.

#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use syndup::input::{read_batches, Compression, InputFile, InputKind};

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, bytes)) = data.split_first() else {
        return;
    };
    let max = 1 + (knobs as usize >> 2) * 3;
    let (name, kind) = match knobs & 3 {
        0 => ("t.txt", InputKind::Text),
        1 => ("l.jsonl", InputKind::Jsonl(Compression::None)),
        2 => ("g.jsonl.gz", InputKind::Jsonl(Compression::Gzip)),
        _ => ("z.jsonl.zst", InputKind::Jsonl(Compression::Zstd)),
    };
    let path = common::scratch(name, bytes);
    let files = [InputFile { path, kind }];
    let (mut records, mut too_large, mut other, mut blank, mut read) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut last_line = 0u64;
    read_batches(&files, max, &mut |b| {
        read += b.bytes;
        blank += b.blank_lines;
        for r in &b.records {
            let rec = b.record(r);
            assert!(rec.len() <= max);
            if let Some(l) = r.line {
                assert!(l > last_line, "lines in order");
                last_line = l;
            }
            if kind == InputKind::Text {
                assert_eq!(rec, bytes);
            }
            records += 1;
        }
        for p in &b.problems {
            common::check_message(&p.message);
            match p.kind {
                syndup::ProblemKind::TooLarge => too_large += 1,
                _ => other += 1,
            }
        }
        Ok(true)
    })
    .expect("the reader never fails on its own");
    if kind == InputKind::Jsonl(Compression::None) {
        assert_eq!(read, bytes.len() as u64);
        assert_eq!(other, 0);
        let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        let mut lines = body.split(|&b| b == b'\n').count() as u64;
        if body.is_empty() || body.ends_with(b"\n") {
            lines -= 1;
        }
        assert_eq!(records + too_large + blank, lines);
    }
});
