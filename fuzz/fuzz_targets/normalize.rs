//! The normaliser (`normalize::Tokenizer`) and the Windows-1252 fallback decoder: tokens of
//! any text are non-empty, in text order, on char boundaries of the original text; hashes agree
//! between the entry points; decoding never fails and leaves valid UTF-8 as it is.

#![no_main]

use libfuzzer_sys::fuzz_target;
use syndup::input::decode_windows_1252_fallback;
use syndup::normalize::Tokenizer;

fuzz_target!(|data: &[u8]| {
    let decoded = decode_windows_1252_fallback(data);
    if let Ok(s) = std::str::from_utf8(data) {
        assert_eq!(decoded, s);
    }
    let text = String::from_utf8_lossy(data);
    let mut tok = Tokenizer::new();
    let mut tokens = Vec::new();
    tok.tokens_into(&text, &mut tokens);
    // In text order. A character whose normalisation holds several words (U+FDFA is four)
    // gives each of them its own span, so spans may share characters, never go back.
    let (mut prev_start, mut prev_end) = (0, 0);
    for t in &tokens {
        assert!(t.start < t.end && t.end <= text.len(), "{t:?}");
        assert!(
            t.start >= prev_start && t.end >= prev_end,
            "tokens in order"
        );
        assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
        (prev_start, prev_end) = (t.start, t.end);
    }
    let mut hashes = Vec::new();
    tok.hashes_into(&text, &mut hashes);
    assert_eq!(hashes, tokens.iter().map(|t| t.hash).collect::<Vec<_>>());
    let normalized = tok.normalize(&text);
    assert_eq!(normalized.is_empty(), tokens.is_empty());
});
