//! The spool: records of inputs that cannot be read again cheaply by offset (standard input
//! and FIFOs, which cannot be read twice; gzip and Zstandard files, which would be
//! decompressed from the start for every batch), copied while they are read to one
//! temporary file in `--tmp-dir`, where [`super::batches`] reads them again by offset. The
//! file is removed when the scan is over (also on error).

use crate::error::{Error, Result};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// An append-only temporary file of records.
#[derive(Debug)]
pub(super) struct Spool {
    path: PathBuf,
    out: Option<BufWriter<std::fs::File>>,
    len: u64,
}

impl Spool {
    /// A new, empty spool file in `dir`.
    pub(super) fn create(dir: &Path) -> Result<Spool> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "syndup-spool-{}-{nanos}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = dir.join(name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| {
                let msg = format!("cannot create the spool file (see --tmp-dir): {e}");
                Error::io(&path, std::io::Error::new(e.kind(), msg))
            })?;
        Ok(Spool {
            path,
            out: Some(BufWriter::with_capacity(1 << 20, file)),
            len: 0,
        })
    }

    /// Appends a record; returns its offset in the spool.
    pub(super) fn append(&mut self, bytes: &[u8]) -> Result<u64> {
        let at = self.len;
        let out = self
            .out
            .as_mut()
            .ok_or_else(|| Error::internal("spool written after it was finished"))?;
        out.write_all(bytes).map_err(|e| Error::io(&self.path, e))?;
        self.len += bytes.len() as u64;
        Ok(at)
    }

    /// Ends writing: what was appended can be read.
    pub(super) fn finish(&mut self) -> Result<()> {
        if let Some(out) = self.out.take() {
            out.into_inner()
                .map_err(|e| Error::io(&self.path, e.into_error()))?;
        }
        Ok(())
    }

    /// The `len` bytes at each `(offset, len)` of `wanted`, in order.
    pub(super) fn read(&self, wanted: &[(u64, usize)]) -> Result<Vec<Vec<u8>>> {
        let err = |e: std::io::Error| Error::io(&self.path, e);
        let f = std::fs::File::open(&self.path).map_err(err)?;
        crate::input::read_ranges(&f, wanted).map_err(err)
    }

    /// Reads what was appended from its start, in order (after [`Spool::finish`]): `f` gets
    /// the index and bytes of each of the pieces `sizes` gives, one after the other.
    pub(super) fn read_in_order(
        &self,
        sizes: impl Iterator<Item = usize>,
        mut f: impl FnMut(usize, &[u8]),
    ) -> Result<()> {
        use std::io::Read;
        let err = |e: std::io::Error| Error::io(&self.path, e);
        let file = std::fs::File::open(&self.path).map_err(err)?;
        let mut r = std::io::BufReader::with_capacity(1 << 20, file);
        let mut buf = Vec::new();
        for (i, len) in sizes.enumerate() {
            buf.resize(len, 0);
            r.read_exact(&mut buf).map_err(err)?;
            f(i, &buf);
        }
        Ok(())
    }

    /// Bytes written.
    #[cfg(test)]
    fn len(&self) -> u64 {
        self.len
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        self.out = None;
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_read_back_by_offset_and_the_file_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::create(dir.path()).unwrap();
        let a = s.append(b"first record").unwrap();
        let b = s.append(b"second").unwrap();
        assert_eq!((a, b, s.len()), (0, 12, 18));
        s.finish().unwrap();
        assert!(s.append(b"late").is_err(), "written after finish");
        let got = s.read(&[(b, 6), (a, 5)]).unwrap();
        assert_eq!(got, vec![b"second".to_vec(), b"first".to_vec()]);
        let path = s.path.clone();
        assert!(path.exists());
        drop(s);
        assert!(!path.exists(), "removed when dropped");
        let missing = dir.path().join("no-such-dir");
        let err = Spool::create(&missing).unwrap_err();
        assert!(err.to_string().contains("--tmp-dir"), "{err}");
    }
}
