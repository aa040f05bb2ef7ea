//! The in-memory lookup structure of the index: a multimap from 64-bit keys (band keys,
//! content hashes, id hashes) to 32-bit record numbers, at 12 bytes per entry.
//!
//! Input: `(key, record)` pairs, loaded in bulk when the index opens and inserted one by one as
//! records are kept. Output: the records stored under a key. It sits between the database
//! (which is the truth) and the filter's sequential decision loop, which looks up every band of
//! every record: the lookups must not touch the disk.
//!
//! Why not a hash map: `HashMap<u64, u32>` costs 16 bytes per slot plus control bytes at a load
//! factor of 0.44-0.875, about 20-36 bytes an entry, and the filter holds `bands + 2` entries
//! per indexed record. Here the bulk of the entries sit in two sorted arrays (`keys`, `values`:
//! 12 bytes an entry) with a directory on the keys' top bits (about half a byte an entry), so a
//! lookup is one directory read and a binary search over about 8 keys. Keys are uniform hashes,
//! which is what makes the directory balanced. Entries inserted since the last merge live in a
//! small hash map with chained values (`delta`), merged into the arrays when it grows past a
//! quarter of them, so inserts cost amortised O(1) and memory stays near 12 bytes an entry.

use ahash::AHashMap;

const NONE: u32 = u32::MAX;
/// The delta is merged into the sorted arrays past this many entries, or a quarter of them.
const MIN_MERGE: usize = 1 << 16;

/// A multimap `u64 -> u32` kept mostly in sorted arrays (see the module documentation).
#[derive(Debug, Default, Clone)]
pub struct KeyTable {
    keys: Vec<u64>,
    values: Vec<u32>,
    /// `dir[p]` is the first position whose key's top `bits` bits are `>= p`; `2^bits + 1`
    /// entries (empty when `bits == 0`).
    dir: Vec<u32>,
    bits: u32,
    /// Key -> newest entry of its chain in `chain`.
    delta: AHashMap<u64, u32>,
    /// `(key, value, previous entry with the same key or NONE)`.
    chain: Vec<(u64, u32, u32)>,
}

impl KeyTable {
    /// A table holding `pairs` (any order).
    pub fn from_pairs(mut pairs: Vec<(u64, u32)>) -> KeyTable {
        pairs.sort_unstable();
        let mut t = KeyTable {
            keys: pairs.iter().map(|p| p.0).collect(),
            values: pairs.iter().map(|p| p.1).collect(),
            ..KeyTable::default()
        };
        t.build_dir();
        t
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.keys.len() + self.chain.len()
    }

    /// True when the table holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes in use (capacity, not just length).
    pub fn heap_bytes(&self) -> usize {
        self.keys.capacity() * 8
            + self.values.capacity() * 4
            + self.dir.capacity() * 4
            + self.chain.capacity() * 16
            // hashbrown: key + value + one control byte per bucket
            + self.delta.capacity() * 13
    }

    /// Adds `value` under `key`.
    pub fn insert(&mut self, key: u64, value: u32) {
        let idx = self.chain.len() as u32;
        let head = self.delta.entry(key).or_insert(NONE);
        self.chain.push((key, value, *head));
        *head = idx;
        if self.chain.len() >= MIN_MERGE.max(self.keys.len() / 4) {
            self.merge();
        }
    }

    /// The position range of `key` in the sorted arrays.
    fn range(&self, key: u64) -> std::ops::Range<usize> {
        let (lo, hi) = if self.bits == 0 {
            (0, self.keys.len())
        } else {
            let p = (key >> (64 - self.bits)) as usize;
            (self.dir[p] as usize, self.dir[p + 1] as usize)
        };
        let slice = &self.keys[lo..hi];
        let start = lo + slice.partition_point(|&k| k < key);
        let end = start
            + self.keys[start..hi]
                .iter()
                .take_while(|&&k| k == key)
                .count();
        start..end
    }

    /// True when `key` has at least one value.
    pub fn contains(&self, key: u64) -> bool {
        self.delta.contains_key(&key) || !self.range(key).is_empty()
    }

    /// Appends the values under `key` to `out`, smallest first, at most `cap` of them.
    pub fn get_into(&self, key: u64, cap: usize, out: &mut Vec<u32>) {
        let start = out.len();
        let r = self.range(key);
        out.extend_from_slice(&self.values[r]);
        if let Some(&head) = self.delta.get(&key) {
            let mut i = head;
            while i != NONE {
                let (_, v, prev) = self.chain[i as usize];
                out.push(v);
                i = prev;
            }
            out[start..].sort_unstable();
        }
        out.truncate(start + (out.len() - start).min(cap));
    }

    /// The smallest value under `key`.
    pub fn first(&self, key: u64) -> Option<u32> {
        let mut v = Vec::new();
        self.get_into(key, 1, &mut v);
        v.first().copied()
    }

    /// Moves the delta into the sorted arrays.
    fn merge(&mut self) {
        let mut add: Vec<(u64, u32)> = self.chain.drain(..).map(|(k, v, _)| (k, v)).collect();
        self.delta = AHashMap::new();
        self.chain = Vec::new();
        add.sort_unstable();
        let n = self.keys.len() + add.len();
        let mut keys = Vec::with_capacity(n);
        let mut values = Vec::with_capacity(n);
        let (mut i, mut j) = (0, 0);
        while i < self.keys.len() || j < add.len() {
            let take_old =
                j == add.len() || (i < self.keys.len() && (self.keys[i], self.values[i]) <= add[j]);
            if take_old {
                keys.push(self.keys[i]);
                values.push(self.values[i]);
                i += 1;
            } else {
                keys.push(add[j].0);
                values.push(add[j].1);
                j += 1;
            }
        }
        self.keys = keys;
        self.values = values;
        self.build_dir();
    }

    fn build_dir(&mut self) {
        let n = self.keys.len();
        // About 8 keys per directory slot.
        self.bits = if n < 64 {
            0
        } else {
            (usize::BITS - 1 - n.leading_zeros())
                .saturating_sub(3)
                .min(24)
        };
        self.dir.clear();
        if self.bits == 0 {
            self.dir.shrink_to_fit();
            return;
        }
        let slots = 1usize << self.bits;
        self.dir = Vec::with_capacity(slots + 1);
        let mut pos = 0usize;
        for p in 0..=slots {
            while pos < n && ((self.keys[pos] >> (64 - self.bits)) as usize) < p {
                pos += 1;
            }
            self.dir.push(pos as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn agrees_with_a_btree_multimap_through_merges() {
        let mut reference: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
        let mut s = 1u64;
        let mut next = || {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            crate::minhash::mix64(s)
        };
        let mut initial = Vec::new();
        for v in 0..5000u32 {
            let k = (next() % 3000) | (next() << 40); // repeated low parts, spread high bits
            initial.push((k, v));
            reference.entry(k).or_default().push(v);
        }
        let mut t = KeyTable::from_pairs(initial.clone());
        for v in 5000..(5000 + 2 * MIN_MERGE as u32 + 17) {
            let k = if v % 3 == 0 {
                initial[(v as usize * 7) % initial.len()].0 // a key already present
            } else {
                next()
            };
            t.insert(k, v);
            reference.entry(k).or_default().push(v);
        }
        assert_eq!(t.len(), 5000 + 2 * MIN_MERGE + 17);
        assert!(t.chain.len() < MIN_MERGE, "merged at least once");
        let mut out = Vec::new();
        for (k, vs) in reference.iter().take(4000) {
            out.clear();
            t.get_into(*k, usize::MAX, &mut out);
            assert_eq!(&out, vs);
            assert_eq!(t.first(*k), vs.first().copied());
            assert!(t.contains(*k));
        }
        assert!(!t.contains(12345));
        out.clear();
        let (k, vs) = reference.iter().find(|(_, v)| v.len() > 2).unwrap();
        t.get_into(*k, 2, &mut out);
        assert_eq!(out, vs[..2]);
        // About 12 bytes an entry plus the directory once merged.
        let t = KeyTable::from_pairs((0..1_000_000u32).map(|v| (next(), v)).collect());
        assert!(t.heap_bytes() < 13 * 1_000_000, "{}", t.heap_bytes());
    }
}
