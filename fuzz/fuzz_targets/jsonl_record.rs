//! The JSON Lines record reader (`input::Reader`, the reading half of the sketch contract):
//! any bytes as one record give its fields or a problem with a clear message, never a panic.
//! The first byte picks the settings.

#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use syndup::config::Fields;
use syndup::input::{parse_record, RawRecord, Reader};

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, bytes)) = data.split_first() else {
        return;
    };
    let fields = Fields {
        id: if knobs & 1 == 0 {
            "id".into()
        } else {
            String::new()
        },
        text: "text".into(),
        date: Some("date".into()),
        title: Some("title".into()),
        group: (knobs & 2 != 0).then(|| "group".into()),
    };
    let max = if knobs & 4 == 0 {
        1 << 20
    } else {
        1 + (knobs as usize >> 3) * 4
    };
    let reader = Reader::with(&fields, max, knobs & 0x80 != 0);
    let raw = RawRecord {
        path: "fuzz.jsonl",
        line: Some(7),
        bytes,
    };
    match reader.read(&raw) {
        Ok(rec) => {
            assert!(!rec.id.is_empty());
            assert!(rec.text.len() <= max);
            assert!(bytes.len() <= max);
        }
        Err(p) => {
            assert_eq!((p.path.as_str(), p.line), ("fuzz.jsonl", Some(7)));
            common::check_message(&p.message);
        }
    }
    if let Ok(line) = std::str::from_utf8(bytes) {
        if let Err(m) = parse_record(line, &fields) {
            common::check_message(&m);
        }
    }
});
