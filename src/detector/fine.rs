//! Where the containment fingerprints wait between signing and the confirmation of
//! containment candidates ([`crate::containment::confirm`]): in memory, or, with
//! `--tmp-dir`, appended to a temporary file there (2 bytes a fingerprint on disk, 4 bytes a
//! document in memory) and read back once, in order, for the documents of candidates only.
//! At 10M news-length documents they are 1.5 GB, which memory would otherwise hold through
//! the whole LSH verification, where the scan's memory peaks.

use super::spool::Spool;
use crate::containment::Fingerprints;
use crate::error::{Error, Result};
use std::path::Path;

/// Every document's fingerprints (see [`crate::containment::fingerprints`]), in document
/// order.
#[derive(Debug)]
pub(super) enum FineStore {
    /// Held back to back.
    Memory(Fingerprints),
    /// In a spool file, with each document's count (and a buffer for the bytes written).
    Spooled {
        spool: Spool,
        counts: Vec<u32>,
        bytes: Vec<u8>,
    },
}

impl Default for FineStore {
    fn default() -> FineStore {
        FineStore::Memory(Fingerprints::default())
    }
}

impl FineStore {
    /// A store that appends to a new temporary file in `dir`.
    pub(super) fn spooled(dir: &Path) -> Result<FineStore> {
        Ok(FineStore::Spooled {
            spool: Spool::create(dir)?,
            counts: Vec::new(),
            bytes: Vec::new(),
        })
    }

    /// Appends the next document's fingerprints (sorted, distinct).
    pub(super) fn push(&mut self, fine: &[u16]) -> Result<()> {
        match self {
            FineStore::Memory(m) => m.push_keys(fine),
            FineStore::Spooled {
                spool,
                counts,
                bytes,
            } => {
                bytes.clear();
                bytes.extend(fine.iter().flat_map(|f| f.to_le_bytes()));
                spool.append(bytes)?;
                counts.push(fine.len() as u32);
            }
        }
        Ok(())
    }

    /// Bytes of memory held.
    pub(super) fn heap_bytes(&self) -> u64 {
        match self {
            FineStore::Memory(m) => m.heap_bytes(),
            FineStore::Spooled { counts, bytes, .. } => {
                4 * counts.capacity() as u64 + bytes.capacity() as u64
            }
        }
    }

    /// The fingerprints of the documents `wanted` marks (one flag a document); the others
    /// have none. A spool file is read once, in order, and removed.
    pub(super) fn load(self, wanted: &[bool]) -> Result<Fingerprints> {
        match self {
            FineStore::Memory(m) => Ok(m),
            FineStore::Spooled {
                mut spool, counts, ..
            } => {
                if counts.len() != wanted.len() {
                    return Err(Error::internal(
                        "fingerprints spooled for another number of documents",
                    ));
                }
                spool.finish()?;
                let mut out = Fingerprints::default();
                let mut fine: Vec<u16> = Vec::new();
                spool.read_in_order(counts.iter().map(|&c| 2 * c as usize), |d, bytes| {
                    fine.clear();
                    if wanted[d] {
                        fine.extend(
                            bytes
                                .chunks_exact(2)
                                .map(|b| u16::from_le_bytes([b[0], b[1]])),
                        );
                    }
                    out.push_keys(&fine);
                })?;
                Ok(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spooled_fingerprints_come_back_for_the_wanted_documents() {
        let docs: Vec<Vec<u16>> = vec![vec![1, 5, 9], vec![], vec![0, 65535], vec![7]];
        let wanted = [true, true, true, false];
        let dir = tempfile::tempdir().unwrap();
        let mut spooled = FineStore::spooled(dir.path()).unwrap();
        let mut memory = FineStore::default();
        for d in &docs {
            spooled.push(d).unwrap();
            memory.push(d).unwrap();
        }
        assert!(spooled.heap_bytes() < memory.heap_bytes());
        let back = spooled.load(&wanted).unwrap();
        assert_eq!(back.documents(), 4);
        for (d, want) in docs.iter().enumerate().take(3) {
            assert_eq!(back.of(d), &want[..], "document {d}");
        }
        assert!(back.of(3).is_empty());
        // The file is gone once read.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        // In memory, everything stays.
        let all = memory.load(&wanted).unwrap();
        assert_eq!(all.of(3), &[7]);
        // A count that does not match is an error, not a panic.
        let mut short = FineStore::spooled(dir.path()).unwrap();
        short.push(&[1]).unwrap();
        assert!(short.load(&wanted).is_err());
    }
}
