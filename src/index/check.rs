//! `syndup index verify`: every row of an index checked, without opening it for a run.
//!
//! Input: the path of an index. Output: a [`Verification`] listing what is wrong, if anything.
//! Beyond SQLite's `integrity_check` (pages and indexes), each row's checksum
//! (`rows.rs`) is recomputed, and what one table says of another is checked: a record's
//! band keys are those of its signature under the header's bands and rows, its content hash
//! is the one its band keys start with, a stored shingle set is sorted and signs to the
//! stored signature, record numbers are dense, and every stored verdict points at a record
//! and an input that exist (a kept one at itself, with its own id and content). A run checks
//! the rows it reads; this reads them all.

use super::create::{read_header, refuse_empty, HeaderError};
use super::rows::{self, VerdictRow};
use super::StoredKind;
use super::{APPLICATION_ID, FORMAT_VERSION};
use crate::error::{Error, ErrorKind, Result};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde::Serialize;
use std::path::Path;

/// Problems listed in a [`Verification`] at most (all are counted).
const MAX_LISTED: usize = 100;

/// What [`verify`] found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Verification {
    /// Kept records.
    pub records: u64,
    /// Stored verdicts (decided ids).
    pub verdicts: u64,
    /// Stored shingle sets.
    pub shingle_sets: u64,
    /// Input paths.
    pub sources: u64,
    /// Rows whose checksum was recomputed.
    pub rows: u64,
    /// What is wrong, one line each (the first 100).
    pub problems: Vec<String>,
    /// Everything wrong, counted.
    pub damaged: u64,
}

impl Verification {
    /// True when nothing is wrong.
    pub fn is_ok(&self) -> bool {
        self.damaged == 0
    }

    fn damage(&mut self, what: String) {
        self.damaged += 1;
        if self.problems.len() < MAX_LISTED {
            self.problems.push(what);
        }
    }
}

/// Column `i` of `row` as bytes, whatever SQLite type it holds now (an edit can turn a blob
/// into text: its checksum then tells), empty for NULL.
fn blob(row: &rusqlite::Row, i: usize) -> rusqlite::Result<Vec<u8>> {
    use rusqlite::types::ValueRef;
    Ok(match row.get_ref(i)? {
        ValueRef::Blob(b) | ValueRef::Text(b) => b.to_vec(),
        ValueRef::Integer(x) => x.to_le_bytes().to_vec(),
        ValueRef::Real(x) => x.to_le_bytes().to_vec(),
        ValueRef::Null => Vec::new(),
    })
}

/// Checks every row of the index at `path`, read-only (see the module documentation). An
/// error is returned when the file cannot be read as a syndup index at all; damage inside
/// it is listed in the [`Verification`].
pub fn verify(path: &Path) -> Result<Verification> {
    let location = path.display().to_string();
    if !path.exists() {
        return Err(Error::new(ErrorKind::Index(format!(
            "{location} does not exist"
        ))));
    }
    refuse_empty(path, &location)?;
    let db = |err: rusqlite::Error| super::db_error(&location, err);
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(db)?;
    let not_index = |why: String| {
        Error::new(ErrorKind::Index(format!(
            "{location} is not a syndup index ({why})"
        )))
    };
    let app: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase => {
                not_index("not an SQLite database".into())
            }
            other => db(other),
        })?;
    if app != APPLICATION_ID {
        return Err(not_index(format!("application id {app:#x}")));
    }
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(db)?;
    if version != FORMAT_VERSION {
        return Err(Error::new(ErrorKind::Index(format!(
            "{location} has index format version {version}; this syndup checks version {FORMAT_VERSION}"
        ))));
    }
    let mut v = Verification::default();
    {
        let mut stmt = conn.prepare("PRAGMA integrity_check").map_err(db)?;
        let mut rows = stmt.query([]).map_err(db)?;
        while let Some(row) = rows.next().map_err(db)? {
            let line: String = row.get(0).map_err(db)?;
            if line != "ok" {
                v.damage(format!("sqlite integrity check: {line}"));
            }
        }
    }
    let header = match read_header(&conn, &location) {
        Ok(h) => h,
        Err(HeaderError::Db(e)) => return Err(db(e)),
        Err(HeaderError::Other(e)) => {
            // Without a trustworthy header nothing else can be interpreted.
            v.damage(e.to_string());
            return Ok(v);
        }
    };
    v.rows += 1;
    let sketch = &header.sketch;
    let signer = sketch.signer();
    let sig_bytes = 4 * sketch.num_perm;
    // Per record, in order: its content hash and the hash of its id.
    let mut content: Vec<u64> = Vec::new();
    let mut ids: Vec<u64> = Vec::new();
    {
        let mut stmt = conn
            .prepare(
                "SELECT r.rec, r.id, r.content_hash, r.signature, r.sum, b.keys, b.sum
                 FROM records r LEFT JOIN band_keys b ON b.rec = r.rec ORDER BY r.rec",
            )
            .map_err(db)?;
        let mut rows = stmt.query([]).map_err(db)?;
        while let Some(row) = rows.next().map_err(db)? {
            let rec: u32 = row.get(0).map_err(db)?;
            let id: String = row.get(1).map_err(db)?;
            let hash = row.get::<_, i64>(2).map_err(db)? as u64;
            let sig = blob(row, 3).map_err(db)?;
            let sum: i64 = row.get(4).map_err(db)?;
            let keys = blob(row, 5).map_err(db)?;
            let keys = (!keys.is_empty()).then_some(keys);
            let keys_sum: Option<i64> = row.get(6).map_err(db)?;
            v.records += 1;
            v.rows += 1;
            if rec as usize != content.len() {
                v.damage(format!(
                    "record {rec}: records are numbered densely, expected {}",
                    content.len()
                ));
            }
            content.push(hash);
            ids.push(super::id_hash(&id));
            if rows::record(rec, &id, hash, &sig) != sum {
                v.damage(format!("record {rec} (id `{id}`): checksum mismatch"));
            }
            if sig.len() != sig_bytes {
                v.damage(format!(
                    "record {rec}: signature of {} bytes, expected {sig_bytes}",
                    sig.len()
                ));
                continue;
            }
            let (Some(keys), Some(keys_sum)) = (keys, keys_sum) else {
                v.damage(format!("record {rec}: no band keys"));
                continue;
            };
            v.rows += 1;
            if rows::band_keys(rec, &keys) != keys_sum {
                v.damage(format!("band keys of record {rec}: checksum mismatch"));
            }
            let signature: Vec<u32> = sig
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let want: Vec<u8> = std::iter::once(hash)
                .chain(sketch.band_keys(&signature))
                .flat_map(|k| k.to_le_bytes())
                .collect();
            if keys != want {
                v.damage(format!(
                    "band keys of record {rec}: not those of its content hash and signature"
                ));
            }
        }
    }
    let band_rows = conn
        .query_row("SELECT count(*) FROM band_keys", [], |r| r.get::<_, i64>(0))
        .map_err(db)? as u64;
    if band_rows != v.records {
        v.damage(format!(
            "{band_rows} rows of band keys for {} records",
            v.records
        ));
    }
    {
        let mut stmt = conn
            .prepare("SELECT rec, shingles, sum FROM shingles ORDER BY rec")
            .map_err(db)?;
        let mut sig_of = conn
            .prepare("SELECT signature FROM records WHERE rec = ?1")
            .map_err(db)?;
        let mut rows = stmt.query([]).map_err(db)?;
        let mut signed = Vec::new();
        while let Some(row) = rows.next().map_err(db)? {
            let rec: u32 = row.get(0).map_err(db)?;
            let bytes = blob(row, 1).map_err(db)?;
            let sum: i64 = row.get(2).map_err(db)?;
            v.shingle_sets += 1;
            v.rows += 1;
            if rows::shingles(rec, &bytes) != sum {
                v.damage(format!("shingle set of record {rec}: checksum mismatch"));
            }
            let set: Vec<u64> = bytes
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
                .collect();
            if bytes.len() % 8 != 0 || set.is_empty() || !set.windows(2).all(|w| w[0] < w[1]) {
                v.damage(format!(
                    "shingle set of record {rec}: not a sorted set of 8-byte hashes"
                ));
                continue;
            }
            let stored: Option<Vec<u8>> = sig_of
                .query_row([rec], |r| blob(r, 0))
                .optional()
                .map_err(db)?;
            let Some(stored) = stored else {
                v.damage(format!("shingle set of record {rec}: no such record"));
                continue;
            };
            signed.clear();
            signer.sign_into(&set, &mut signed);
            let bytes: Vec<u8> = signed.iter().flat_map(|x| x.to_le_bytes()).collect();
            if bytes != stored {
                v.damage(format!(
                    "shingle set of record {rec}: does not sign to the record's signature"
                ));
            }
        }
    }
    let mut sources = ahash::AHashSet::new();
    {
        let mut stmt = conn
            .prepare("SELECT source, path, sum FROM sources")
            .map_err(db)?;
        let mut rows = stmt.query([]).map_err(db)?;
        while let Some(row) = rows.next().map_err(db)? {
            let source: i64 = row.get(0).map_err(db)?;
            let path: String = row.get(1).map_err(db)?;
            let sum: i64 = row.get(2).map_err(db)?;
            v.sources += 1;
            v.rows += 1;
            if rows::source(source, &path) != sum {
                v.damage(format!("input path {source} ({path}): checksum mismatch"));
            }
            sources.insert(source);
        }
    }
    {
        let mut stmt = conn
            .prepare(
                "SELECT id, content_hash, verdict, rec, similarity, source, line, sum FROM verdicts",
            )
            .map_err(db)?;
        let mut rows = stmt.query([]).map_err(db)?;
        while let Some(row) = rows.next().map_err(db)? {
            let r = VerdictRow::read(row).map_err(db)?;
            v.verdicts += 1;
            v.rows += 1;
            let id = &r.id;
            if !r.intact() {
                v.damage(format!("stored verdict of id `{id}`: checksum mismatch"));
            }
            if !sources.contains(&r.source) {
                v.damage(format!(
                    "stored verdict of id `{id}`: input path {} does not exist",
                    r.source
                ));
            }
            let rec = r.rec as usize;
            if rec >= content.len() {
                v.damage(format!(
                    "stored verdict of id `{id}`: record {rec} does not exist"
                ));
                continue;
            }
            let same_content = r.content_hash as u64 == content[rec];
            match StoredKind::parse(&r.verdict) {
                None => v.damage(format!(
                    "stored verdict of id `{id}`: unknown verdict `{}`",
                    r.verdict
                )),
                Some(StoredKind::Kept) => {
                    if ids[rec] != super::id_hash(id) || !same_content || r.similarity != 1.0 {
                        v.damage(format!(
                            "stored verdict of id `{id}`: kept as record {rec}, which is another record"
                        ));
                    }
                }
                Some(StoredKind::ExactDuplicate) if !same_content => v.damage(format!(
                    "stored verdict of id `{id}`: an exact duplicate of record {rec}, whose content differs"
                )),
                Some(_) if !(0.0..=1.0).contains(&r.similarity) => v.damage(format!(
                    "stored verdict of id `{id}`: similarity {} out of range",
                    r.similarity
                )),
                Some(_) => {}
            }
        }
    }
    Ok(v)
}
