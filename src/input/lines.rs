//! Splits input files into batches of records without holding an oversized line in memory.
//!
//! A batch is handed over when it holds about 4 MiB ([`read_batches`]), or, for streaming
//! consumers, also when its first bytes arrived a given time ago and it holds a complete line
//! ([`read_batches_within`]): a slow producer then sees its records decided within that time
//! instead of when 4 MiB have accumulated. That mode reads on a helper thread so waiting for
//! input can time out.

use super::{Compression, InputFile, InputKind};
use crate::document::{Problem, ProblemKind};
use crate::error::Result;
use std::io::Read;

/// Target size of a batch's data.
const CHUNK: usize = 4 << 20;
/// Text files per batch at most.
const FILES_PER_BATCH: usize = 512;

/// A record inside a [`Batch`]'s data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef {
    /// Index of the file in the list given to [`read_batches`].
    pub file: u32,
    /// 1-based line for JSON Lines; `None` for a whole-file document.
    pub line: Option<u64>,
    /// Start of the record's bytes in the batch data.
    pub start: usize,
    /// End of the record's bytes (exclusive, line terminator removed).
    pub end: usize,
    /// Byte offset of the record in its file (after decompression), so it can be read again
    /// ([`reread`]).
    pub offset: u64,
}

/// Records read from the input, in order, with the problems met while reading them.
#[derive(Debug, Default)]
pub struct Batch {
    /// The bytes the records point into.
    pub data: Vec<u8>,
    /// The records, in input order.
    pub records: Vec<RecordRef>,
    /// Records that could not even be cut out (too large, unreadable file), in input order
    /// relative to each other.
    pub problems: Vec<Problem>,
    /// Input bytes consumed (after decompression).
    pub bytes: u64,
    /// Blank lines skipped in JSON Lines input.
    pub blank_lines: u64,
}

impl Batch {
    /// The bytes of a record.
    pub fn record(&self, r: &RecordRef) -> &[u8] {
        &self.data[r.start..r.end]
    }

    fn is_empty(&self) -> bool {
        self.records.is_empty() && self.problems.is_empty() && self.bytes == 0
    }
}

/// Reads `files` in order and hands each batch to `sink`; `sink` returns `false` to stop early.
/// I/O errors on a file become problems of kind `unreadable` (the records read before the
/// error are kept); only an error returned by `sink` stops the reading.
pub fn read_batches(
    files: &[InputFile],
    max_doc_bytes: usize,
    sink: &mut dyn FnMut(Batch) -> Result<bool>,
) -> Result<()> {
    read_all(files, max_doc_bytes, None, sink)
}

/// Like [`read_batches`], but a JSON Lines batch is also handed over once `latency` has passed
/// since its first bytes arrived, as soon as it holds a complete line (for streaming consumers
/// such as `syndup filter` reading a slow producer on standard input).
pub fn read_batches_within(
    files: &[InputFile],
    max_doc_bytes: usize,
    latency: std::time::Duration,
    sink: &mut dyn FnMut(Batch) -> Result<bool>,
) -> Result<()> {
    read_all(files, max_doc_bytes, Some(latency), sink)
}

fn read_all(
    files: &[InputFile],
    max_doc_bytes: usize,
    latency: Option<std::time::Duration>,
    sink: &mut dyn FnMut(Batch) -> Result<bool>,
) -> Result<()> {
    let mut text_batch = Batch::default();
    for (fi, f) in files.iter().enumerate() {
        let fi = fi as u32;
        match f.kind {
            InputKind::Text => {
                read_text_file(f, fi, max_doc_bytes, &mut text_batch);
                let full =
                    text_batch.data.len() >= CHUNK || text_batch.records.len() >= FILES_PER_BATCH;
                if full && !sink(std::mem::take(&mut text_batch))? {
                    return Ok(());
                }
            }
            InputKind::Jsonl(c) => {
                if !text_batch.is_empty() && !sink(std::mem::take(&mut text_batch))? {
                    return Ok(());
                }
                if !read_jsonl(f, fi, c, max_doc_bytes, latency, sink)? {
                    return Ok(());
                }
            }
            InputKind::Parquet => {
                if !text_batch.is_empty() && !sink(std::mem::take(&mut text_batch))? {
                    return Ok(());
                }
                #[cfg(feature = "parquet-input")]
                let go = super::parquet::read_parquet(f, fi, sink)?;
                #[cfg(not(feature = "parquet-input"))]
                let go = sink(Batch {
                    problems: vec![super::unreadable(
                        &f.path,
                        "this build of syndup reads no Parquet (build it with the feature parquet-input)",
                    )],
                    ..Batch::default()
                })?;
                if !go {
                    return Ok(());
                }
            }
        }
    }
    if !text_batch.is_empty() {
        sink(text_batch)?;
    }
    Ok(())
}

fn read_text_file(f: &InputFile, fi: u32, max: usize, batch: &mut Batch) {
    let problem = |kind, message: String| Problem {
        path: f.display(),
        line: None,
        id: Some(f.display()),
        kind,
        message,
    };
    let too_large = |size: String| {
        problem(
            ProblemKind::TooLarge,
            format!("document is {size} bytes, more than --max-doc-bytes {max}; skipped"),
        )
    };
    // A regular file says its size; anything else (a FIFO, a device such as /dev/zero behind
    // a link) is read up to `max + 1` bytes, never whole.
    let file = std::fs::File::open(&f.path).and_then(|file| Ok((file.metadata()?, file)));
    let mut file = match file {
        Ok((m, _)) if m.is_file() && m.len() > max as u64 => {
            batch.problems.push(too_large(m.len().to_string()));
            return;
        }
        Ok((_, file)) => file,
        Err(e) => {
            batch.problems.push(problem(
                ProblemKind::Unreadable,
                super::jsonl::lower_first(&e.to_string()),
            ));
            return;
        }
    };
    let start = batch.data.len();
    match (&mut file)
        .take(max as u64 + 1)
        .read_to_end(&mut batch.data)
    {
        Ok(n) if n > max => {
            batch.data.truncate(start);
            batch.bytes += n as u64;
            batch.problems.push(too_large(format!("{n} or more")));
        }
        Ok(n) => {
            batch.bytes += n as u64;
            batch.records.push(RecordRef {
                file: fi,
                line: None,
                start,
                end: start + n,
                offset: 0,
            });
        }
        Err(e) => {
            batch.data.truncate(start);
            batch.problems.push(problem(
                ProblemKind::Unreadable,
                super::jsonl::lower_first(&e.to_string()),
            ));
        }
    }
}

fn open(f: &InputFile, c: Compression) -> std::io::Result<Box<dyn Read + Send>> {
    let raw: Box<dyn Read + Send> = if f.is_stdin() {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(&f.path)?)
    };
    Ok(match c {
        Compression::None => raw,
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(
            std::io::BufReader::with_capacity(1 << 16, raw),
        )),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(raw)?),
    })
}

/// Where a JSON Lines reader gets its bytes: straight from the file, or from a helper thread
/// (so that waiting can time out).
enum Filler {
    Direct(Box<dyn Read + Send>),
    Pumped {
        rx: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
        latency: std::time::Duration,
    },
}

impl Filler {
    fn new(reader: Box<dyn Read + Send>, latency: Option<std::time::Duration>) -> Filler {
        let Some(latency) = latency else {
            return Filler::Direct(reader);
        };
        let (tx, rx) = std::sync::mpsc::sync_channel(64);
        // Detached: it ends at end of input, on a read error, or when the receiver is gone
        // (it may then stay blocked on a read from an idle producer until the process exits).
        let mut reader = reader;
        std::thread::spawn(move || loop {
            let mut buf = vec![0u8; 1 << 16];
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    buf.truncate(n);
                    if tx.send(Ok(buf)).is_err() {
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.send(Err(e));
                    break;
                }
            }
        });
        Filler::Pumped { rx, latency }
    }

    /// Appends about `want` bytes (at most `want` when reading directly) to `data`; returns
    /// the number appended and whether the input ended.
    fn fill(&mut self, data: &mut Vec<u8>, want: u64) -> std::io::Result<(usize, bool)> {
        match self {
            Filler::Direct(r) => {
                let n = r.take(want).read_to_end(data)?;
                Ok((n, (n as u64) < want))
            }
            Filler::Pumped { rx, latency } => {
                use std::sync::mpsc::RecvTimeoutError;
                let start = data.len();
                let mut deadline: Option<std::time::Instant> = None;
                while ((data.len() - start) as u64) < want {
                    let msg = match deadline {
                        None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
                        Some(d) => {
                            rx.recv_timeout(d.saturating_duration_since(std::time::Instant::now()))
                        }
                    };
                    match msg {
                        Ok(Ok(chunk)) => {
                            data.extend_from_slice(&chunk);
                            deadline.get_or_insert_with(|| std::time::Instant::now() + *latency);
                        }
                        Ok(Err(e)) => return Err(e),
                        Err(RecvTimeoutError::Timeout) => {
                            if memchr::memchr(b'\n', data).is_some() {
                                break;
                            }
                            deadline = None; // no complete line yet: wait for more
                        }
                        Err(RecvTimeoutError::Disconnected) => {
                            return Ok((data.len() - start, true))
                        }
                    }
                }
                Ok((data.len() - start, false))
            }
        }
    }
}

/// Returns `Ok(false)` when the sink asked to stop.
fn read_jsonl(
    f: &InputFile,
    fi: u32,
    c: Compression,
    max: usize,
    latency: Option<std::time::Duration>,
    sink: &mut dyn FnMut(Batch) -> Result<bool>,
) -> Result<bool> {
    let path = f.display();
    let mut reader = match open(f, c) {
        Ok(r) => Filler::new(r, latency),
        Err(e) => {
            let mut b = Batch::default();
            b.problems.push(super::unreadable(
                &f.path,
                &super::jsonl::lower_first(&e.to_string()),
            ));
            return sink(b);
        }
    };
    let too_large = |line: u64, len: u64| Problem {
        path: path.clone(),
        line: Some(line),
        id: None,
        kind: ProblemKind::TooLarge,
        message: format!("line is {len} bytes or more, more than --max-doc-bytes {max}; skipped"),
    };
    // Reported after the lines cut before it, so `line_no` counts every line read.
    let read_problem = |line_no: u64, e: std::io::Error| Problem {
        path: path.clone(),
        line: Some(line_no + 1),
        id: None,
        kind: ProblemKind::Unreadable,
        message: format!(
            "read error after line {line_no}: {}",
            super::jsonl::lower_first(&e.to_string())
        ),
    };
    let mut carry: Vec<u8> = Vec::new();
    let mut line_no: u64 = 0;
    let mut consumed: u64 = 0; // bytes read from the (decompressed) file so far
                               // A UTF-8 byte order mark (EF BB BF) before the first line is not part of the record.
    let mut bom_checked = false;
    let mut skipping: Option<u64> = None; // bytes of an oversized line discarded so far
    let mut eof = false;
    while !eof {
        let mut batch = Batch::default();
        let mut data = std::mem::take(&mut carry);
        let want = (CHUNK as u64).max(1);
        let before = data.len();
        // A read error is reported after the lines read before it, with their count.
        let mut read_error = None;
        match reader.fill(&mut data, want) {
            Ok((n, end)) => {
                batch.bytes += n as u64;
                eof = end;
            }
            Err(e) => {
                // Keep what was read before the error as if the file ended there.
                eof = true;
                read_error = Some(e);
            }
        }
        // Count what arrived, even before a read error (offsets stay exact).
        consumed += (data.len() - before) as u64;
        // The file offset of `data[0]`.
        let data_offset = consumed - data.len() as u64;
        let mut pos = 0;
        if !bom_checked {
            const BOM: &[u8] = b"\xef\xbb\xbf";
            if data.len() < BOM.len() && !eof && BOM.starts_with(&data) {
                // Too few bytes yet to tell (a slow producer): wait for more.
                carry = data;
                if !sink(batch)? {
                    return Ok(false);
                }
                continue;
            }
            bom_checked = true;
            if data.starts_with(BOM) {
                pos = BOM.len();
            }
        }
        if let Some(skipped) = skipping {
            match memchr::memchr(b'\n', &data) {
                Some(i) => {
                    line_no += 1;
                    batch.problems.push(too_large(line_no, skipped + i as u64));
                    pos = i + 1;
                    skipping = None;
                }
                None => {
                    let skipped = skipped + data.len() as u64;
                    if eof {
                        line_no += 1;
                        batch.problems.push(too_large(line_no, skipped));
                    } else {
                        skipping = Some(skipped);
                    }
                    if let Some(e) = read_error {
                        batch.problems.push(read_problem(line_no, e));
                    }
                    if !sink(batch)? {
                        return Ok(false);
                    }
                    continue;
                }
            }
        }
        let cut = |s: usize, e: usize, batch: &mut Batch, line_no: &mut u64| {
            *line_no += 1;
            let mut e2 = e;
            if e2 > s && data[e2 - 1] == b'\r' {
                e2 -= 1;
            }
            if data[s..e2].iter().all(|b| b.is_ascii_whitespace()) {
                batch.blank_lines += 1;
            } else if e2 - s > max {
                batch.problems.push(too_large(*line_no, (e2 - s) as u64));
            } else {
                batch.records.push(RecordRef {
                    file: fi,
                    line: Some(*line_no),
                    start: s,
                    end: e2,
                    offset: data_offset + s as u64,
                });
            }
        };
        let base = pos;
        for nl in memchr::memchr_iter(b'\n', &data[base..]) {
            let e = base + nl;
            let s = pos;
            cut(s, e, &mut batch, &mut line_no);
            pos = e + 1;
        }
        // `pos` is now past the last newline; the rest is an unfinished line.
        let rest = data.len() - pos;
        if rest > 0 {
            if eof {
                cut(pos, data.len(), &mut batch, &mut line_no);
            } else if rest > max {
                skipping = Some(rest as u64);
                data.truncate(pos);
            } else {
                carry = data[pos..].to_vec();
                data.truncate(pos);
            }
        }
        if let Some(e) = read_error {
            batch.problems.push(read_problem(line_no, e));
        }
        batch.data = data;
        if !batch.is_empty() && !sink(batch)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Threads reading records again at once at most (see [`read_ranges`]): random 3.6 KB reads
/// of a 36 GB file not in the page cache went from 39k to 48k a second with 8 to 32 threads.
const READ_THREADS: usize = 32;

/// Reads the byte ranges `wanted` (`(offset, length)`, in any order) of `f`, in order.
///
/// A corpus larger than memory is not in the page cache, and the records of candidate pairs
/// are spread over it: read one after another, each waits for the disk. So on Unix a long
/// list is cut into up to [`READ_THREADS`] runs read side by side with positioned reads,
/// which keeps several requests in flight (the result is the same, in the same order).
pub(crate) fn read_ranges(
    f: &std::fs::File,
    wanted: &[(u64, usize)],
) -> std::io::Result<Vec<Vec<u8>>> {
    let threads = (wanted.len() / 64).clamp(1, READ_THREADS);
    #[cfg(unix)]
    if threads > 1 {
        use std::os::unix::fs::FileExt;
        let run = wanted.len().div_ceil(threads);
        let parts: Vec<std::io::Result<Vec<Vec<u8>>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = wanted
                .chunks(run)
                .map(|chunk| {
                    scope.spawn(move || {
                        chunk
                            .iter()
                            .map(|&(offset, len)| {
                                let mut buf = vec![0u8; len];
                                f.read_exact_at(&mut buf, offset)?;
                                Ok(buf)
                            })
                            .collect()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(std::io::Error::other("a reading thread panicked")))
                })
                .collect()
        });
        let mut out = Vec::with_capacity(wanted.len());
        for part in parts {
            out.extend(part?);
        }
        return Ok(out);
    }
    use std::io::{Read, Seek, SeekFrom};
    let mut f = f;
    let mut out = Vec::with_capacity(wanted.len());
    for &(offset, len) in wanted {
        f.seek(SeekFrom::Start(offset))?;
        let mut buf = vec![0u8; len];
        f.read_exact(&mut buf)?;
        out.push(buf);
    }
    Ok(out)
}

/// Reads records of `file` again: for each `(offset, len)` of `wanted` (sorted by offset), the
/// `len` bytes at `offset` of the decompressed file, in order. Plain files are read by
/// position, from several threads when there are many records; compressed files are
/// decompressed up to the last record wanted. Standard input cannot be read again.
pub fn reread(file: &InputFile, wanted: &[(u64, usize)]) -> Result<Vec<Vec<u8>>> {
    let err = |e: std::io::Error| crate::Error::io(&file.path, e);
    if file.is_stdin() {
        return Err(crate::Error::config(
            "standard input cannot be read twice (internal error: its texts are kept)",
        ));
    }
    let mut out = Vec::with_capacity(wanted.len());
    match file.kind {
        #[cfg(feature = "parquet-input")]
        InputKind::Parquet => return super::parquet::reread(file, wanted),
        #[cfg(not(feature = "parquet-input"))]
        InputKind::Parquet => {
            return Err(crate::Error::config(
                "this build of syndup reads no Parquet (feature parquet-input)",
            ))
        }
        InputKind::Text | InputKind::Jsonl(Compression::None) => {
            let f = std::fs::File::open(&file.path).map_err(err)?;
            return read_ranges(&f, wanted).map_err(err);
        }
        InputKind::Jsonl(c) => {
            let mut r = open(file, c).map_err(err)?;
            let mut pos = 0u64;
            for &(offset, len) in wanted {
                if offset < pos {
                    return Err(crate::Error::config("records to read again must be sorted"));
                }
                std::io::copy(&mut (&mut r).take(offset - pos), &mut std::io::sink())
                    .map_err(err)?;
                let mut buf = vec![0u8; len];
                r.read_exact(&mut buf).map_err(err)?;
                pos = offset + len as u64;
                out.push(buf);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{Compression, InputFile, InputKind};

    /// Records as (line, bytes), oversized lines, blank lines.
    type ReadResult = (Vec<(u64, Vec<u8>)>, Vec<u64>, u64);

    fn read_all(bytes: &[u8], max: usize) -> ReadResult {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.jsonl");
        std::fs::write(&path, bytes).unwrap();
        let files = [InputFile {
            path,
            kind: InputKind::Jsonl(Compression::None),
        }];
        let (mut recs, mut big, mut blank) = (Vec::new(), Vec::new(), 0);
        read_batches(&files, max, &mut |b| {
            for r in &b.records {
                recs.push((r.line.unwrap(), b.record(r).to_vec()));
            }
            big.extend(b.problems.iter().map(|p| p.line.unwrap()));
            blank += b.blank_lines;
            Ok(true)
        })
        .unwrap();
        (recs, big, blank)
    }

    proptest::proptest! {
        /// Every line of any byte stream is a record, an oversized-line problem or a blank
        /// line, exactly once, with the right line number and bytes.
        #[test]
        fn every_line_is_accounted_for(
            lines in proptest::collection::vec(proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40), 0..30),
            max in 1usize..30,
            final_newline in proptest::prelude::any::<bool>(),
        ) {
            let lines: Vec<Vec<u8>> = lines.into_iter().map(|l| l.into_iter().filter(|&b| b != b'\n').collect()).collect();
            let mut bytes = lines.join(&b'\n');
            if final_newline && !lines.is_empty() {
                bytes.push(b'\n');
            }
            let (recs, big, blank) = read_all(&bytes, max);
            let mut expect_recs = Vec::new();
            let mut expect_big = Vec::new();
            let mut expect_blank = 0;
            // Lines are the segments between newlines; an empty segment after the last
            // newline (or an empty stream) is not a line.
            let mut segments: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
            if segments.last().is_some_and(|s| s.is_empty()) {
                segments.pop();
            }
            for (i, l) in segments.iter().enumerate() {
                let mut l: &[u8] = l;
                if l.last() == Some(&b'\r') {
                    l = &l[..l.len() - 1];
                }
                let no = i as u64 + 1;
                if l.iter().all(|b| b.is_ascii_whitespace()) {
                    expect_blank += 1;
                } else if l.len() > max {
                    expect_big.push(no);
                } else {
                    expect_recs.push((no, l.to_vec()));
                }
            }
            proptest::prop_assert_eq!(recs, expect_recs);
            proptest::prop_assert_eq!(big, expect_big);
            proptest::prop_assert_eq!(blank, expect_blank);
        }
    }

    /// Regression (issue 17, fault 12): a BOM before the first line cost the first record.
    #[test]
    fn a_bom_at_the_start_of_json_lines_is_skipped() {
        let (recs, big, _) = read_all(b"\xef\xbb\xbf{\"a\":1}\n{\"b\":2}\n", 100);
        assert_eq!(
            recs,
            vec![(1, b"{\"a\":1}".to_vec()), (2, b"{\"b\":2}".to_vec())]
        );
        assert!(big.is_empty());
        // Only at the very start, and a lone BOM is no line.
        let (recs, _, _) = read_all(b"{\"a\":1}\n\xef\xbb\xbfx\n", 100);
        assert_eq!(recs[1], (2, b"\xef\xbb\xbfx".to_vec()));
        let (recs, big, blank) = read_all(b"\xef\xbb\xbf", 100);
        assert!(recs.is_empty() && big.is_empty() && blank == 0);
    }

    /// Regression (issue 17, fault 12): a read error inside a compressed stream was reported
    /// with the line count of the previous chunk ("line 39274 ... after line 39273" when
    /// 60,032 lines had been read).
    #[test]
    fn line_numbers_of_a_read_error_in_a_compressed_stream_count_every_line() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.jsonl.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut rng = 7u64;
        for i in 0..200_000u64 {
            // Incompressible enough that the stream is several chunks long.
            rng = crate::minhash::mix64(rng.wrapping_add(i));
            writeln!(
                gz,
                "{{\"id\":{i},\"r\":\"{rng:x}{:x}\"}}",
                rng.rotate_left(7)
            )
            .unwrap();
        }
        let mut bytes = gz.finish().unwrap();
        bytes.truncate(bytes.len() * 2 / 3);
        std::fs::write(&path, &bytes).unwrap();
        let files = [InputFile {
            path,
            kind: InputKind::Jsonl(Compression::Gzip),
        }];
        let (mut last, mut problems) = (0u64, Vec::new());
        read_batches(&files, 1 << 20, &mut |b| {
            for r in &b.records {
                assert!(r.line.unwrap() > last, "records in order");
                last = r.line.unwrap();
            }
            problems.extend(b.problems.iter().map(|p| (p.line, p.message.clone())));
            Ok(true)
        })
        .unwrap();
        assert!(last > 50_000, "{last}");
        assert_eq!(problems.len(), 1, "{problems:?}");
        let (line, message) = &problems[0];
        assert_eq!(*line, Some(last + 1));
        assert!(
            message.starts_with(&format!("read error after line {last}: ")),
            "{message}"
        );
    }

    /// A line longer than the reader's chunk between two good ones: skipped whole, the next
    /// line keeps its number.
    #[test]
    fn line_longer_than_a_chunk() {
        let mut bytes = b"{\"a\":1}\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', CHUNK * 2 + 5));
        bytes.extend(b"\n{\"b\":2}");
        let (recs, big, _) = read_all(&bytes, 1000);
        assert_eq!(recs.iter().map(|r| r.0).collect::<Vec<_>>(), vec![1, 3]);
        assert_eq!(big, vec![2]);
        let (recs, big, _) = read_all(&bytes, CHUNK * 3);
        assert_eq!(recs.len(), 3);
        assert!(big.is_empty());
    }
}
