//! Creating and opening the index file: the schema, the atomic creation of a new index, the
//! refusal of an empty file, and the header row read back and checked.

use super::{db_error, rows, Header, APPLICATION_ID, FORMAT_VERSION};
use crate::error::{Error, ErrorKind, Result};
use rusqlite::Connection;
use std::path::Path;

pub(crate) const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL, sum INTEGER NOT NULL);
CREATE TABLE records (rec INTEGER PRIMARY KEY, id TEXT NOT NULL, content_hash INTEGER NOT NULL, signature BLOB NOT NULL, sum INTEGER NOT NULL);
CREATE TABLE band_keys (rec INTEGER PRIMARY KEY, keys BLOB NOT NULL, sum INTEGER NOT NULL);
CREATE TABLE shingles (rec INTEGER PRIMARY KEY, shingles BLOB NOT NULL, sum INTEGER NOT NULL);
CREATE TABLE sources (source INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, sum INTEGER NOT NULL);
CREATE TABLE verdicts (id TEXT PRIMARY KEY, content_hash INTEGER NOT NULL, verdict TEXT NOT NULL,
    rec INTEGER NOT NULL, similarity REAL NOT NULL, source INTEGER NOT NULL, line INTEGER,
    sum INTEGER NOT NULL) WITHOUT ROWID;
";

/// Why the header could not be read.
pub(crate) enum HeaderError {
    Db(rusqlite::Error),
    Other(Error),
}

/// Reads and checks the header row of an index.
pub(crate) fn read_header(
    conn: &Connection,
    location: &str,
) -> std::result::Result<Header, HeaderError> {
    let (json, sum): (String, i64) = conn
        .query_row(
            "SELECT value, sum FROM meta WHERE key = 'header'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(HeaderError::Db)?;
    if rows::meta("header", &json) != sum {
        return Err(HeaderError::Other(rows::damaged(location, "the header")));
    }
    serde_json::from_str(&json).map_err(|x| {
        HeaderError::Other(Error::new(ErrorKind::Index(format!(
            "{location}: unreadable index header: {x}"
        ))))
    })
}

/// Creates the tables and writes the header of a new index (one transaction).
pub(crate) fn create_schema(conn: &Connection, header: &Header) -> rusqlite::Result<()> {
    let header_json = serde_json::to_string(header)
        .map_err(|x| rusqlite::Error::ToSqlConversionFailure(Box::new(x)))?;
    conn.execute_batch(&format!(
        "BEGIN; {SCHEMA} PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {FORMAT_VERSION};"
    ))?;
    conn.execute(
        "INSERT INTO meta (key, value, sum) VALUES ('header', ?1, ?2)",
        rusqlite::params![header_json, rows::meta("header", &header_json)],
    )?;
    conn.execute_batch("COMMIT")
}

/// Creates a new index at `path` without ever showing a half-made file there: the index is
/// built under a temporary name beside it, then linked into place, which fails if `path`
/// appeared meanwhile. A process racing to create the same index therefore finds either
/// nothing or a whole index (held by the winner: the documented "in use" error), never an
/// empty file or half a schema (`table meta already exists`). An existing file is never
/// created over.
pub(crate) fn create_file(path: &Path, location: &str, header: &Header) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Some(name) = path.file_name() else {
        return Err(Error::config(format!(
            "--index {location}: give a file name"
        )));
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = dir.join(format!(
        ".{}.{}-{nanos}.new",
        name.to_string_lossy(),
        std::process::id()
    ));
    let made = (|| -> Result<()> {
        let e = |err| db_error(location, err);
        let conn = Connection::open(&tmp).map_err(e)?;
        create_schema(&conn, header).map_err(e)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(e)?;
        conn.close().map_err(|(_, err)| e(err))?;
        match std::fs::hard_link(&tmp, path) {
            // Another process created the index first: open theirs.
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(_) => {
                // A file system without hard links: copy into a file that must be new.
                let mut out = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(path);
                match &mut out {
                    Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
                    Err(_) => out.map(drop).map_err(|err| Error::io(path, err)),
                    Ok(f) => {
                        let mut src =
                            std::fs::File::open(&tmp).map_err(|err| Error::io(&tmp, err))?;
                        std::io::copy(&mut src, f)
                            .and_then(|_| f.sync_all())
                            .map(drop)
                            .map_err(|err| Error::io(path, err))
                    }
                }
            }
            Ok(()) => Ok(()),
        }
    })();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = tmp.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
    made
}

/// An error when the file at `path` is empty: SQLite would take it for a new database, and a
/// run would silently start a fresh index where one was (a truncated index, or `: > s.db`).
pub(crate) fn refuse_empty(path: &Path, location: &str) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() && m.len() == 0 => Err(Error::new(ErrorKind::Index(format!(
            "{location} is empty (0 bytes), not a syndup index: an index is never empty, so it was truncated or made by another program; delete it to start a new index, or give --index another path"
        )))),
        _ => Ok(()),
    }
}
