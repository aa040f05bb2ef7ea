//! The sentence splitter (`sentence::Segmenter`) and the UAX #29 breaks under it: spans of any
//! text are non-empty, in order, without overlap, on char boundaries of the original text; the
//! plain-text table test (`bare_line`, `next_line`) on those spans never panics, and a bare
//! line never ends with a full stop.

#![no_main]

use libfuzzer_sys::fuzz_target;
use syndup::sentence::{bare_line, next_line, uax29_breaks_into, Segmenter};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut seg = Segmenter::new();
    let mut spans = Vec::new();
    seg.sentences_into(&text, &mut spans);
    let mut prev_end = 0;
    for s in &spans {
        assert!(s.start < s.end && s.end <= text.len(), "{s:?}");
        assert!(s.start >= prev_end, "spans in order, no overlap");
        assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
        if bare_line(&text, s.start, s.end) {
            assert!(!text[s.start..s.end].ends_with(['.', '!', '?']), "{s:?}");
        }
        if prev_end > 0 && next_line(&text, prev_end, s.start) {
            assert_eq!(text[prev_end..s.start].matches('\n').count(), 1, "{s:?}");
        }
        prev_end = s.end;
    }
    // The same text twice through one segmenter gives the same spans (buffers are reused).
    let mut again = Vec::new();
    seg.sentences_into(&text, &mut again);
    assert_eq!(spans, again);
    let mut breaks = Vec::new();
    uax29_breaks_into(&text, &mut breaks);
    assert!(breaks.windows(2).all(|w| w[0] < w[1]));
    assert!(breaks
        .iter()
        .all(|&b| b <= text.len() && text.is_char_boundary(b)));
});
