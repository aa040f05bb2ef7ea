//! Per-row checksums: every row of every table carries `sum`, an XXH3-64 of its other
//! columns (seeded, with the table's name and each variable-length column's length mixed in).
//!
//! Input: a row's values as they are written or read. Output: the 64-bit sum stored beside
//! them (as SQLite's signed integer). SQLite's own integrity check looks at pages and indexes,
//! not at values: a hand edit or a flipped bit inside a signature, a band key or a stored
//! verdict passed it and changed later verdicts silently. Each row is now checked when it is
//! read for a decision (band keys and verdict ids when the index opens, signatures, stored
//! verdicts, shingle sets and source paths when they are looked up), and `syndup index
//! verify` checks them all ([`super::verify`]). The sums catch accidents and edits made
//! without syndup; they are not a signature against someone who recomputes them.

use crate::error::{Error, ErrorKind};
use xxhash_rust::xxh3::Xxh3;

/// Seed of the row sums (`syndup-r`).
const ROW_SEED: u64 = 0x7379_6e64_7570_2d72;

struct Sum(Xxh3);

impl Sum {
    fn new(table: &str) -> Sum {
        let mut h = Xxh3::with_seed(ROW_SEED);
        h.update(table.as_bytes());
        Sum(h)
    }
    fn int(mut self, v: u64) -> Sum {
        self.0.update(&v.to_le_bytes());
        self
    }
    fn bytes(mut self, b: &[u8]) -> Sum {
        self.0.update(&(b.len() as u64).to_le_bytes());
        self.0.update(b);
        self
    }
    fn done(self) -> i64 {
        self.0.digest() as i64
    }
}

/// A row of `meta`.
pub(crate) fn meta(key: &str, value: &str) -> i64 {
    Sum::new("meta")
        .bytes(key.as_bytes())
        .bytes(value.as_bytes())
        .done()
}

/// A row of `records`.
pub(crate) fn record(rec: u32, id: &str, content_hash: u64, signature: &[u8]) -> i64 {
    Sum::new("records")
        .int(rec as u64)
        .bytes(id.as_bytes())
        .int(content_hash)
        .bytes(signature)
        .done()
}

/// A row of `band_keys`.
pub(crate) fn band_keys(rec: u32, keys: &[u8]) -> i64 {
    Sum::new("band_keys").int(rec as u64).bytes(keys).done()
}

/// A row of `shingles`.
pub(crate) fn shingles(rec: u32, set: &[u8]) -> i64 {
    Sum::new("shingles").int(rec as u64).bytes(set).done()
}

/// A row of `sources`.
pub(crate) fn source(source: i64, path: &str) -> i64 {
    Sum::new("sources")
        .int(source as u64)
        .bytes(path.as_bytes())
        .done()
}

/// A row of `verdicts`.
#[allow(clippy::too_many_arguments)] // the columns of one row
pub(crate) fn verdict(
    id: &str,
    content_hash: u64,
    verdict: &str,
    rec: u32,
    similarity: f64,
    source: i64,
    line: Option<i64>,
) -> i64 {
    Sum::new("verdicts")
        .bytes(id.as_bytes())
        .int(content_hash)
        .bytes(verdict.as_bytes())
        .int(rec as u64)
        .int(similarity.to_bits())
        .int(source as u64)
        .int(line.map_or(u64::MAX, |l| l as u64))
        .done()
}

/// One row of `verdicts`, as stored.
pub(crate) struct VerdictRow {
    pub(crate) id: String,
    pub(crate) content_hash: i64,
    pub(crate) verdict: String,
    pub(crate) rec: u32,
    pub(crate) similarity: f64,
    pub(crate) source: i64,
    pub(crate) line: Option<i64>,
    pub(crate) sum: i64,
}

impl VerdictRow {
    /// The columns `id, content_hash, verdict, rec, similarity, source, line, sum`, in order.
    pub(crate) fn read(row: &rusqlite::Row) -> rusqlite::Result<VerdictRow> {
        Ok(VerdictRow {
            id: row.get(0)?,
            content_hash: row.get(1)?,
            verdict: row.get(2)?,
            rec: row.get(3)?,
            similarity: row.get(4)?,
            source: row.get(5)?,
            line: row.get(6)?,
            sum: row.get(7)?,
        })
    }

    /// True when the row's checksum matches its values.
    pub(crate) fn intact(&self) -> bool {
        verdict(
            &self.id,
            self.content_hash as u64,
            &self.verdict,
            self.rec,
            self.similarity,
            self.source,
            self.line,
        ) == self.sum
    }
}

/// The error for a row whose checksum does not match its values.
pub(crate) fn damaged(location: &str, what: &str) -> Error {
    Error::new(ErrorKind::Index(format!(
        "{location}: {what} fails its checksum: the index was changed outside syndup or is damaged; run `syndup index verify {location}` and rebuild the index"
    )))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_column_and_the_table_count() {
        let a = super::record(1, "a", 2, b"sig");
        assert_ne!(a, super::record(1, "a", 2, b"siG"));
        assert_ne!(a, super::record(1, "b", 2, b"sig"));
        assert_ne!(a, super::record(0, "a", 2, b"sig"));
        assert_ne!(a, super::record(1, "a", 3, b"sig"));
        assert_ne!(super::band_keys(1, b"k"), super::shingles(1, b"k"));
        // Lengths are mixed in: moving a byte between two columns changes the sum.
        assert_ne!(super::meta("ab", "c"), super::meta("a", "bc"));
        let v = super::verdict("a", 1, "kept", 0, 1.0, 1, Some(3));
        assert_ne!(v, super::verdict("a", 1, "kept", 0, 1.0, 1, None));
        assert_ne!(v, super::verdict("a", 1, "kept", 0, 0.99, 1, Some(3)));
    }
}
