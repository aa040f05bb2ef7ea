//! Bit masks over a text for the sentence splitter ([`super`]): where its line ends, sentence
//! terminators and non-ASCII bytes are, one bit per byte, so finding the next one is a bit
//! scan instead of a search call.

/// Where a text's line ends, sentence terminators and non-ASCII bytes are: bit `i % 64` of
/// word `i / 64` of each mask is byte `i`. Made in one pass (16 bytes at a time on x86-64),
/// so finding the next line end or full stop is a bit scan, not a search call per line: news
/// lines are short, and a `memchr` per line and per terminator cost more than the scan.
#[derive(Debug, Default, Clone)]
pub(super) struct Marks {
    /// `\n`.
    pub(super) lf: Vec<u64>,
    /// `\n` and `\r`.
    pub(super) eol: Vec<u64>,
    /// `.`, `!` and `?`.
    pub(super) term: Vec<u64>,
    /// Bytes >= 0x80.
    pub(super) high: Vec<u64>,
    /// Some byte is >= 0x80 (when none is, no line needs to look for one).
    pub(super) any_high: bool,
}

impl Marks {
    /// The marks of `bytes`, replacing the previous ones.
    pub(super) fn build(&mut self, bytes: &[u8]) {
        let words = bytes.len().div_ceil(64);
        for m in [&mut self.lf, &mut self.eol, &mut self.term, &mut self.high] {
            m.clear();
            m.resize(words, 0);
        }
        let (lf, eol) = (&mut self.lf[..words], &mut self.eol[..words]);
        let (term, high) = (&mut self.term[..words], &mut self.high[..words]);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2, checked just above.
            fill_with(bytes, lf, eol, term, high, |b| unsafe {
                block_marks_avx2(b)
            });
            self.any_high = high.iter().any(|&h| h != 0);
            return;
        }
        fill_with(bytes, lf, eol, term, high, block_marks);
        self.any_high = high.iter().any(|&h| h != 0);
    }

    /// Whether `start..end` holds only ASCII bytes.
    #[inline]
    pub(super) fn ascii(&self, start: usize, end: usize) -> bool {
        !self.any_high || next_in(&self.high, start, end).is_none()
    }

    /// Byte `p`, a line terminator, became a space: it no longer ends a line for
    /// `uax29_with` (`lf` keeps the original text's line feeds).
    pub(super) fn clear_line_end(&mut self, p: usize) {
        self.eol[p / 64] &= !(1u64 << (p % 64));
    }
}

/// The first position in `from..to` whose bit is set in `mask`.
#[inline]
pub(super) fn next_in(mask: &[u64], from: usize, to: usize) -> Option<usize> {
    if from >= to {
        return None;
    }
    let mut w = from / 64;
    let mut bits = mask[w] & (!0u64 << (from % 64));
    loop {
        if bits != 0 {
            let p = w * 64 + bits.trailing_zeros() as usize;
            return (p < to).then_some(p);
        }
        w += 1;
        if w * 64 >= to {
            return None;
        }
        bits = mask[w];
    }
}

/// The last position in `from..to` whose bit is set in `mask`.
#[inline]
pub(super) fn prev_in(mask: &[u64], from: usize, to: usize) -> Option<usize> {
    if from >= to {
        return None;
    }
    let mut w = (to - 1) / 64;
    let mut bits = mask[w] & (!0u64 >> (63 - (to - 1) % 64));
    loop {
        if bits != 0 {
            let p = w * 64 + 63 - bits.leading_zeros() as usize;
            return (p >= from).then_some(p);
        }
        if w * 64 <= from {
            return None;
        }
        w -= 1;
        bits = mask[w];
    }
}

/// The masks of one 64-byte block: line feeds, line ends, terminators, non-ASCII bytes.
#[cfg(target_arch = "x86_64")]
#[inline]
fn block_marks(block: &[u8; 64]) -> [u64; 4] {
    use std::arch::x86_64::*;
    let mut out = [0u64; 4];
    for (k, chunk) in block.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is part of the x86-64 baseline, and `chunk` is 16 readable bytes
        // (`loadu` has no alignment requirement).
        let m = unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().cast());
            let eq = |b: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8));
            let lf = eq(b'\n');
            let eol = _mm_or_si128(lf, eq(b'\r'));
            let term = _mm_or_si128(_mm_or_si128(eq(b'.'), eq(b'!')), eq(b'?'));
            [
                _mm_movemask_epi8(lf),
                _mm_movemask_epi8(eol),
                _mm_movemask_epi8(term),
                _mm_movemask_epi8(v),
            ]
        };
        for (o, x) in out.iter_mut().zip(m) {
            *o |= (x as u16 as u64) << (16 * k);
        }
    }
    out
}

/// The four masks of `bytes`, a block of 64 at a time by `marks` (the last block padded with
/// zero bytes, which are none of the marked bytes).
#[inline(always)]
fn fill_with(
    bytes: &[u8],
    lf: &mut [u64],
    eol: &mut [u64],
    term: &mut [u64],
    high: &mut [u64],
    marks: impl Fn(&[u8; 64]) -> [u64; 4],
) {
    let mut chunks = bytes.chunks_exact(64);
    let mut w = 0;
    for c in &mut chunks {
        [lf[w], eol[w], term[w], high[w]] = marks(c.try_into().expect("64 bytes"));
        w += 1;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut block = [0u8; 64];
        block[..rest.len()].copy_from_slice(rest);
        [lf[w], eol[w], term[w], high[w]] = marks(&block);
    }
}

/// [`block_marks`] with 32-byte AVX2 compares: a block takes two loads and two mask moves
/// per mask instead of four (the build targets the x86-64 baseline, SSE2).
///
/// # Safety
/// The processor must have AVX2.
#[cfg(target_arch = "x86_64")]
#[inline]
unsafe fn block_marks_avx2(block: &[u8; 64]) -> [u64; 4] {
    let (lo, hi) = block.split_at(32);
    // SAFETY: the caller checked for AVX2.
    let (lo, hi) = unsafe { (half_marks_avx2(lo), half_marks_avx2(hi)) };
    let join = |k: usize| lo[k] as u64 | (hi[k] as u64) << 32;
    [join(0), join(1), join(2), join(3)]
}

/// The four masks of 32 bytes. Not inlined: inlined, LLVM merges the two halves' mask moves
/// into one of a 64-byte vector, which AVX2 lacks, and spells it out byte by byte.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline(never)]
fn half_marks_avx2(half: &[u8]) -> [u32; 4] {
    use std::arch::x86_64::*;
    assert!(half.len() >= 32);
    // SAFETY: `half` holds 32 readable bytes (checked); `loadu` needs no alignment.
    let v = unsafe { _mm256_loadu_si256(half.as_ptr().cast()) };
    let lf = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'\n' as i8));
    let eol = _mm256_or_si256(lf, _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'\r' as i8)));
    let term = _mm256_or_si256(
        _mm256_or_si256(
            _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'.' as i8)),
            _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'!' as i8)),
        ),
        _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'?' as i8)),
    );
    [
        _mm256_movemask_epi8(lf) as u32,
        _mm256_movemask_epi8(eol) as u32,
        _mm256_movemask_epi8(term) as u32,
        _mm256_movemask_epi8(v) as u32,
    ]
}

/// [`block_marks`], portable.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn block_marks_portable(block: &[u8; 64]) -> [u64; 4] {
    let mut out = [0u64; 4];
    for (i, &b) in block.iter().enumerate() {
        out[0] |= ((b == b'\n') as u64) << i;
        out[1] |= (matches!(b, b'\n' | b'\r') as u64) << i;
        out[2] |= (matches!(b, b'.' | b'!' | b'?') as u64) << i;
        out[3] |= ((b >= 0x80) as u64) << i;
    }
    out
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn block_marks(block: &[u8; 64]) -> [u64; 4] {
    block_marks_portable(block)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Which bytes a mask marks.
    type ByteTest = dyn Fn(u8) -> bool;

    #[test]
    fn block_marks_agree_with_the_portable_ones() {
        let mut block = [0u8; 64];
        for (i, b) in block.iter_mut().enumerate() {
            *b = [b'\n', b'\r', b'.', b'!', b'?', b'a', 0x80, 0xff, b' ', 0x7f][i % 10]
                .wrapping_add((i / 10 % 2) as u8);
        }
        assert_eq!(block_marks(&block), block_marks_portable(&block));
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2.
            assert_eq!(
                unsafe { block_marks_avx2(&block) },
                block_marks_portable(&block)
            );
        } else {
            eprintln!("no AVX2 here: its block marks are not tested");
        }
        let text = "Line one.\r\nTwo! é?\n";
        let mut m = Marks::default();
        m.build(text.as_bytes());
        assert_eq!(next_in(&m.lf, 0, text.len()), Some(10));
        assert_eq!(next_in(&m.eol, 0, text.len()), Some(9));
        assert_eq!(next_in(&m.term, 9, text.len()), Some(14));
        assert_eq!(next_in(&m.high, 0, text.len()), Some(16));
        assert_eq!(next_in(&m.high, 0, 16), None);
        assert!(m.ascii(0, 16) && !m.ascii(0, 17) && !m.ascii(16, 18) && m.ascii(18, 20));
        let mut plain = Marks::default();
        plain.build(b"All ASCII. Every line.\nHere too.");
        assert!(!plain.any_high && plain.ascii(0, 33));
        m.clear_line_end(10);
        // The line feed stays in `lf` (the original text's), and leaves `eol`.
        assert_eq!(next_in(&m.lf, 0, text.len()), Some(10));
        assert_eq!(next_in(&m.eol, 0, text.len()), Some(9));
        assert_eq!(next_in(&m.eol, 10, text.len()), Some(19));
    }

    proptest! {
        #[test]
        fn marks_find_what_a_search_finds(s in proptest::collection::vec(proptest::sample::select(vec![b'a', b'.', b'!', b'?', b'\n', b'\r', 0x80u8, b' ']), 0..300), from in 0usize..300, len in 0usize..300) {
            let mut m = Marks::default();
            m.build(&s);
            let to = (from + len).min(s.len());
            let wants: [(&Vec<u64>, &ByteTest); 4] = [
                (&m.lf, &|b: u8| b == b'\n'),
                (&m.eol, &|b: u8| b == b'\n' || b == b'\r'),
                (&m.term, &|b: u8| matches!(b, b'.' | b'!' | b'?')),
                (&m.high, &|b: u8| b >= 0x80),
            ];
            for (mask, want) in wants {
                let naive = (from..to).find(|&i| want(s[i]));
                prop_assert_eq!(next_in(mask, from, to), naive);
                let naive = (from..to).rev().find(|&i| want(s[i]));
                prop_assert_eq!(prev_in(mask, from, to), naive);
            }
        }

    }
}
