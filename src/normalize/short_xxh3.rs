//! XXH3-64 of 1 to 16 bytes with [`TOKEN_SEED`], written out from the XXH3 specification with
//! the seed folded into constants (the `xxhash-rust` call spends as much again on dispatch).
//! Equal to `xxh3_64_with_seed(b, TOKEN_SEED)` for every input: pinned against the library
//! by `token_hash_matches_the_library`.

use super::TOKEN_SEED;

/// The first 56 bytes of XXH3's default secret (the specification's `kSecret`).
const SECRET: [u8; 56] = [
    0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
    0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
    0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
    0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e,
];

const fn le64(at: usize) -> u64 {
    let mut v = 0u64;
    let mut i = 0;
    while i < 8 {
        v |= (SECRET[at + i] as u64) << (8 * i);
        i += 1;
    }
    v
}

const fn le32(at: usize) -> u64 {
    le64(at) & 0xffff_ffff
}

const FLIP_1TO3: u64 = (le32(0) ^ le32(4)).wrapping_add(TOKEN_SEED);
const SEED_4TO8: u64 = TOKEN_SEED ^ (((TOKEN_SEED as u32).swap_bytes() as u64) << 32);
const FLIP_4TO8: u64 = (le64(8) ^ le64(16)).wrapping_sub(SEED_4TO8);
const FLIP1_9TO16: u64 = (le64(24) ^ le64(32)).wrapping_add(TOKEN_SEED);
const FLIP2_9TO16: u64 = (le64(40) ^ le64(48)).wrapping_sub(TOKEN_SEED);

#[inline(always)]
fn read32(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(x) as u64
}

#[inline(always)]
fn read64(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

/// XXH3's 1-3 byte case from the token's first, middle and last bytes (lowercased) and
/// its length: the bytes and length combined, then XXH64's avalanche.
#[inline(always)]
fn mix_1to3(c1: u8, c2: u8, c3: u8, n: usize) -> u64 {
    let combo = (c1 as u32) << 16 | (c2 as u32) << 24 | c3 as u32 | (n as u32) << 8;
    let mut h = combo as u64 ^ FLIP_1TO3;
    h ^= h >> 33;
    h = h.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    h ^= h >> 29;
    h = h.wrapping_mul(0x1656_67B1_9E37_79F9);
    h ^ (h >> 32)
}

/// XXH3's 4-8 byte case from the token's first and last four bytes (lowercased, little
/// endian) and its length: rrmxmx.
#[inline(always)]
fn mix_4to8(first: u64, last: u64, n: usize) -> u64 {
    let mut h = last.wrapping_add(first << 32) ^ FLIP_4TO8;
    h ^= h.rotate_left(49) ^ h.rotate_left(24);
    h = h.wrapping_mul(0x9FB2_1C65_1E98_DF25);
    h ^= (h >> 35).wrapping_add(n as u64);
    h = h.wrapping_mul(0x9FB2_1C65_1E98_DF25);
    h ^ (h >> 28)
}

/// 0x20 in byte `i` for each bit `i` of the index: ORed into eight ASCII letters, it
/// lowercases those whose bit is set.
static SPREAD: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut v = 0;
    while v < 256 {
        let mut i = 0;
        while i < 8 {
            if v >> i & 1 == 1 {
                t[v] |= 0x20 << (8 * i);
            }
            i += 1;
        }
        v += 1;
    }
    t
};

/// [`hash_folded`] of `text[start..end]` when it has 1 to 8 bytes and `text` at least 4,
/// else `None`. Both of XXH3's short cases (1-3 and 4-8 bytes) are computed and one is
/// kept, with no branch on the length: word lengths in prose are a coin toss between the
/// two, so the branch was mispredicted about every other word. The 4-8 case's reads are
/// moved inside `text` for a shorter token, and their result dropped.
#[inline(always)]
pub(super) fn hash_1to8_in(text: &[u8], start: usize, end: usize, upper: u64) -> Option<u64> {
    let n = end.wrapping_sub(start);
    if n.wrapping_sub(1) >= 8 || text.len() < 4 {
        return None;
    }
    // 1 to 3 bytes: the first, middle (`n / 2`) and last bytes.
    let lower = |i: usize, c: u8| c | ((upper >> i & 1) as u8) << 5;
    let (mid, last) = (n / 2, n - 1);
    let c1 = lower(0, text[start]);
    let c2 = lower(mid, text[start + mid]);
    let c3 = lower(last, text[end - 1]);
    let small = mix_1to3(c1, c2, c3, n);
    // 4 to 8 bytes: the first and last four (read from inside `text` when shorter).
    let fold4 = |at: usize| SPREAD[(upper >> at) as usize & 0xff] & 0xffff_ffff;
    let (at_first, at_last) = (start.min(text.len() - 4), end.max(4) - 4);
    let first = read32(text, at_first) | fold4(0);
    let last = read32(text, at_last) | fold4(n.saturating_sub(4));
    let h = mix_4to8(first, last, n);
    let long = ((n >= 4) as u64).wrapping_neg();
    Some((h & long) | (small & !long))
}

/// `Some(hash)` of `b` lowercased where `upper` says (bit `i` set: byte `i` is an ASCII
/// capital), for 1 to 16 bytes; `None` otherwise. The capitals are folded into the words
/// the hash reads, so the lowercased token is never written out.
#[inline(always)]
pub(super) fn hash_folded(b: &[u8], upper: u64) -> Option<u64> {
    let n = b.len();
    let fold8 = |at: usize| SPREAD[(upper >> at) as usize & 0xff];
    Some(if n > 16 || n == 0 {
        return None;
    } else if n > 8 {
        let lo = (read64(b, 0) | fold8(0)) ^ FLIP1_9TO16;
        let hi = (read64(b, n - 8) | fold8(n - 8)) ^ FLIP2_9TO16;
        let p = lo as u128 * hi as u128;
        let acc = (n as u64)
            .wrapping_add(lo.swap_bytes())
            .wrapping_add(hi)
            .wrapping_add(p as u64 ^ (p >> 64) as u64);
        // XXH3 avalanche.
        let acc = (acc ^ (acc >> 37)).wrapping_mul(0x1656_6791_9E37_79F9);
        acc ^ (acc >> 32)
    } else if n >= 4 {
        let first = read32(b, 0) | (fold8(0) & 0xffff_ffff);
        let last = read32(b, n - 4) | (fold8(n - 4) & 0xffff_ffff);
        mix_4to8(first, last, n)
    } else {
        let lower = |i: usize, c: u8| c | ((upper >> i & 1) as u8) << 5;
        // The first, middle (`n / 2`) and last bytes.
        let (c1, c2, c3) = match *b {
            [x] => (lower(0, x), lower(0, x), lower(0, x)),
            [x, y] => (lower(0, x), lower(1, y), lower(1, y)),
            [x, y, z] => (lower(0, x), lower(1, y), lower(2, z)),
            _ => return None,
        };
        mix_1to3(c1, c2, c3, n)
    })
}
