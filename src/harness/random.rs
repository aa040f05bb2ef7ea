//! The seeded random source of the corpus generator: splitmix64 to seed, xoshiro256** for
//! streams (Blackman and Vigna 2018).
//!
//! Input: a `u64` seed, or `(seed, domain, a, b)` for an independent stream. Output: uniform
//! integers, floats, choices and shuffles. Every other harness module draws from an [`Rng`]
//! built here: the plan from one stream, each base document and each copy from its own stream
//! keyed by its family and position, which is why the corpus bytes never depend on the thread
//! count. The generator is written out (not taken from a crate) so that a dependency update
//! can never change the bytes; the reference vectors in the tests pin it.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

pub(super) const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(GOLDEN);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One splitmix64 step from `x`: a well-mixed 64-bit hash of `x`.
pub(super) fn mix(x: u64) -> u64 {
    let mut s = x;
    splitmix64(&mut s)
}

/// The top 53 bits of `h` as a float in `[0, 1)`.
pub(super) fn unit_of(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A xoshiro256** stream.
#[derive(Clone, Debug)]
pub(super) struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub(super) fn new(seed: u64) -> Rng {
        let mut sm = seed;
        let mut s = [0u64; 4];
        for x in &mut s {
            *x = splitmix64(&mut sm);
        }
        if s == [0; 4] {
            s[0] = GOLDEN;
        }
        Rng { s }
    }

    /// An independent stream for `(seed, domain, a, b)`.
    pub(super) fn stream(seed: u64, domain: u64, a: u64, b: u64) -> Rng {
        Rng::new(mix(
            mix(mix(seed ^ mix(domain)) ^ a) ^ b.wrapping_mul(GOLDEN)
        ))
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..n` (0 when `n == 0`).
    pub(super) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    pub(super) fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub(super) fn range(&mut self, lo: usize, hi: usize) -> usize {
        if hi <= lo {
            lo
        } else {
            lo + self.index(hi - lo + 1)
        }
    }

    pub(super) fn unit(&mut self) -> f64 {
        unit_of(self.next_u64())
    }

    pub(super) fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub(super) fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.index(i + 1);
            v.swap(i, j);
        }
    }

    pub(super) fn pick<'a, T>(&mut self, v: &'a [T]) -> Option<&'a T> {
        v.get(self.index(v.len()))
    }
}

/// Hasher for values that are already well mixed 64-bit hashes.
#[derive(Default)]
pub(super) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = mix(self.0 ^ u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A set of already-mixed 64-bit hashes (no rehashing).
pub(super) type IdSet = HashSet<u64, BuildHasherDefault<IdHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prng_matches_reference_vectors() {
        let mut sm = 0u64;
        assert_eq!(splitmix64(&mut sm), 0xE220_A839_7B1D_CDAF);
        let mut r = Rng { s: [1, 2, 3, 4] };
        let got: Vec<u64> = (0..4).map(|_| r.next_u64()).collect();
        assert_eq!(got, [11520, 0, 1509978240, 1215971899390074240]);
        let mut r = Rng::new(7);
        assert!((0..1000).all(|_| r.below(10) < 10 && r.range(3, 5) >= 3));
    }
}
