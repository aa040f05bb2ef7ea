//! Parquet input and output (feature `parquet-input`): a Parquet file -> batches of raw
//! records, one per row, and kept rows -> a Parquet file with the input's columns.
//!
//! Input: a `.parquet` file. Output: the same [`Batch`]es a JSON Lines file gives, so every
//! driver (scan, filter, the probe of field names, re-reading for passages) reads Parquet
//! through the sketch contract unchanged. Each row becomes one JSON object holding **every**
//! column, written by the Arrow project's own encoder (`arrow-json`: strings, numbers, dates,
//! lists, structs; null values left out), so `--id-field`, `--text-field`, `--date-field`,
//! `--title-field` and `--group-field` choose columns exactly as they choose JSON fields, a
//! bad row (a null or missing id or text, a text column that is not a string) is a
//! [`crate::Problem`] with the same message as a bad JSON Lines record, and `syndup filter`
//! passes the rows it keeps on with all their columns. A record's `line` is its 1-based row
//! number in the file and its `offset` the 0-based row index, so it can be read again
//! (`reread`) by row selection, decoding only the pages that hold it.
//!
//! Memory stays bounded: row groups are decoded [`ROWS`] rows at a time and handed over in
//! batches of about 4 MiB of records; nothing holds a whole file.
//!
//! [`RowWriter`] is the way back: JSON objects in (the records as read, or annotated with
//! `dup_of`, `similarity` and `relation`), Parquet out with the schema of the input, decoded
//! by `arrow-json` against that schema so column types survive the round trip.

use super::{Batch, InputFile, RecordRef};
use crate::document::{Problem, ProblemKind};
use crate::error::{Error, Result};
use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReaderBuilder, RowSelection};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// Rows decoded at a time (a bound on memory together with the row group's pages).
pub const ROWS: usize = 1024;
/// Target size of a batch's data, as for JSON Lines.
const CHUNK: usize = 4 << 20;

/// Encodes the rows of `rb` as JSON objects, one per line, appended to `out`; returns the end
/// of each row's bytes in `out`.
fn encode_rows(rb: &RecordBatch, out: &mut Vec<u8>) -> Result<Vec<usize>> {
    let start = out.len();
    {
        let mut w = arrow_json::LineDelimitedWriter::new(&mut *out);
        w.write(rb)
            .and_then(|_| w.finish())
            .map_err(|e| Error::input(format!("cannot encode a Parquet row as JSON: {e}")))?;
    }
    // JSON escapes newlines inside strings: every `\n` ends a row.
    let ends: Vec<usize> = memchr::memchr_iter(b'\n', &out[start..])
        .map(|i| start + i)
        .collect();
    if ends.len() != rb.num_rows() {
        return Err(Error::internal(format!(
            "{} rows encoded as {} JSON objects",
            rb.num_rows(),
            ends.len()
        )));
    }
    Ok(ends)
}

fn open(
    path: &Path,
) -> std::result::Result<ParquetRecordBatchReaderBuilder<std::fs::File>, String> {
    let file = std::fs::File::open(path).map_err(|e| super::jsonl::lower_first(&e.to_string()))?;
    ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| {
        format!(
            "not a readable Parquet file: {}",
            super::jsonl::lower_first(&e.to_string())
        )
    })
}

/// Reads the Parquet file `f` (index `fi` in the file list) into batches of records handed to
/// `sink`; returns `Ok(false)` when the sink asked to stop. A file that cannot be opened is one
/// `unreadable` problem; a decoding error stops the file with a problem naming the row after
/// the last one read (the rows before it are kept).
pub(super) fn read_parquet(
    f: &InputFile,
    fi: u32,
    sink: &mut dyn FnMut(Batch) -> Result<bool>,
) -> Result<bool> {
    let reader = match open(&f.path).and_then(|b| {
        b.with_batch_size(ROWS)
            .build()
            .map_err(|e| super::jsonl::lower_first(&e.to_string()))
    }) {
        Ok(r) => r,
        Err(msg) => {
            let mut b = Batch::default();
            b.problems.push(super::unreadable(&f.path, &msg));
            return sink(b);
        }
    };
    let mut batch = Batch::default();
    let mut row: u64 = 0;
    for rb in reader {
        let rb = match rb {
            Ok(rb) => rb,
            Err(e) => {
                batch.problems.push(Problem {
                    path: f.display(),
                    line: Some(row + 1),
                    id: None,
                    kind: ProblemKind::Unreadable,
                    message: format!(
                        "read error after row {row}: {}",
                        super::jsonl::lower_first(&e.to_string())
                    ),
                });
                break;
            }
        };
        let mut start = batch.data.len();
        for end in encode_rows(&rb, &mut batch.data)? {
            batch.records.push(RecordRef {
                file: fi,
                line: Some(row + 1),
                start,
                end,
                offset: row,
            });
            batch.bytes += (end + 1 - start) as u64;
            start = end + 1;
            row += 1;
        }
        if batch.data.len() >= CHUNK && !sink(std::mem::take(&mut batch))? {
            return Ok(false);
        }
    }
    if batch.records.is_empty() && batch.problems.is_empty() {
        return Ok(true);
    }
    sink(batch)
}

/// Reads rows of the Parquet file `file` again: for each `(offset, _)` of `wanted` (sorted;
/// `offset` the 0-based row index a [`RecordRef`] gave), the row as the JSON object it was
/// read as. Only the pages holding those rows are decoded.
pub(super) fn reread(file: &InputFile, wanted: &[(u64, usize)]) -> Result<Vec<Vec<u8>>> {
    let changed = |what: String| {
        Error::input(format!(
            "{} changed during the scan: cannot quote it ({what})",
            file.display()
        ))
    };
    let builder = open(&file.path).map_err(changed)?;
    let total = builder.metadata().file_metadata().num_rows() as usize;
    let mut rows: Vec<usize> = wanted.iter().map(|&(o, _)| o as usize).collect();
    if rows.windows(2).any(|w| w[0] > w[1]) {
        return Err(Error::internal("rows to read again must be sorted"));
    }
    if rows.last().is_some_and(|&r| r >= total) {
        return Err(changed(format!("it has {total} rows")));
    }
    // One selection per distinct row; a row wanted twice is copied.
    let mut distinct = rows.clone();
    distinct.dedup();
    let selection =
        RowSelection::from_consecutive_ranges(distinct.iter().map(|&r| r..r + 1), total);
    let reader = builder
        .with_batch_size(ROWS)
        .with_row_selection(selection)
        .build()
        .map_err(|e| changed(e.to_string()))?;
    let mut found: Vec<Vec<u8>> = Vec::with_capacity(distinct.len());
    let mut data = Vec::new();
    for rb in reader {
        let rb = rb.map_err(|e| changed(e.to_string()))?;
        data.clear();
        let mut start = 0;
        for end in encode_rows(&rb, &mut data)? {
            found.push(data[start..end].to_vec());
            start = end + 1;
        }
    }
    if found.len() != distinct.len() {
        return Err(changed(format!(
            "{} of {} rows found",
            found.len(),
            distinct.len()
        )));
    }
    let mut out = Vec::with_capacity(rows.len());
    let mut k = 0;
    for (i, r) in rows.iter_mut().enumerate() {
        if i > 0 && wanted[i - 1].0 as usize != *r {
            k += 1;
        }
        out.push(found[k].clone());
    }
    Ok(out)
}

/// The Arrow schema of a Parquet file (to write kept rows with the same columns).
pub fn schema_of(path: &Path) -> Result<SchemaRef> {
    let b = open(path).map_err(|m| Error::input(format!("{}: {m}", super::display_path(path))))?;
    Ok(b.schema().clone())
}

/// `schema` with the annotation columns `syndup filter` adds to a duplicate (`dup_of`,
/// `similarity`, `relation`, all nullable), unless it has them already.
pub fn annotated_schema(schema: &Schema) -> SchemaRef {
    let mut fields: Vec<Arc<Field>> = schema.fields().iter().cloned().collect();
    for (name, ty) in [
        ("dup_of", DataType::Utf8),
        ("similarity", DataType::Float64),
        ("relation", DataType::Utf8),
    ] {
        if schema.field_with_name(name).is_err() {
            fields.push(Arc::new(Field::new(name, ty, true)));
        }
    }
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// JSON objects in, one per line (the records `syndup filter` routes), a Parquet file out
/// with a given schema: each object is decoded against the schema (so a column read from
/// Parquet is written back with its type), keys the schema does not hold are left out.
/// Call [`RowWriter::finish`] to write the file's footer.
pub struct RowWriter<W: Write + Send> {
    decoder: arrow_json::reader::Decoder,
    writer: parquet::arrow::ArrowWriter<W>,
    pending: Vec<u8>,
}

impl<W: Write + Send> std::fmt::Debug for RowWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowWriter").finish_non_exhaustive()
    }
}

impl<W: Write + Send> RowWriter<W> {
    /// A writer of rows with `schema` to `out`, Snappy-compressed.
    pub fn new(out: W, schema: SchemaRef) -> Result<RowWriter<W>> {
        let decoder = arrow_json::ReaderBuilder::new(schema.clone())
            .with_batch_size(ROWS)
            .build_decoder()
            .map_err(|e| Error::config(format!("cannot write this schema as Parquet: {e}")))?;
        let props = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .build();
        let writer = parquet::arrow::ArrowWriter::try_new(out, schema, Some(props))
            .map_err(|e| Error::config(format!("cannot write this schema as Parquet: {e}")))?;
        Ok(RowWriter {
            decoder,
            writer,
            pending: Vec::new(),
        })
    }

    /// Decodes the complete lines in `pending` and writes the full batches.
    fn drain(&mut self, all: bool) -> std::io::Result<()> {
        let mut at = 0;
        while at < self.pending.len() {
            let n = self.decoder.decode(&self.pending[at..]).map_err(io_err)?;
            at += n;
            if n == 0 || self.decoder.len() >= ROWS {
                self.write_batch()?;
            }
            if n == 0 && self.decoder.is_empty() {
                break;
            }
        }
        self.pending.drain(..at);
        if all {
            self.write_batch()?;
        }
        Ok(())
    }

    fn write_batch(&mut self) -> std::io::Result<()> {
        if let Some(rb) = self.decoder.flush().map_err(io_err)? {
            self.writer.write(&rb).map_err(io_err)?;
        }
        Ok(())
    }

    /// Writes the remaining rows and the footer.
    pub fn finish(mut self) -> Result<W> {
        self.drain(true)
            .map_err(|e| Error::input(format!("cannot write Parquet: {e}")))?;
        self.writer
            .into_inner()
            .map_err(|e| Error::input(format!("cannot write Parquet: {e}")))
    }
}

fn io_err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

impl<W: Write + Send> Write for RowWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if self.pending.len() >= CHUNK {
            self.drain(false)?;
        }
        Ok(buf.len())
    }

    /// Decodes and writes the rows given so far (a Parquet file is complete only after
    /// [`RowWriter::finish`]).
    fn flush(&mut self) -> std::io::Result<()> {
        self.drain(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{InputKind, RawRecord, Reader};
    use arrow_array::{ArrayRef, Int64Array, StringArray};

    fn write(path: &Path, ids: &[Option<&str>], texts: &[Option<&str>], rg: usize) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, true),
            Field::new("text", DataType::Utf8, true),
            Field::new("n", DataType::Int64, false),
        ]));
        let rb = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(ids.to_vec())) as ArrayRef,
                Arc::new(StringArray::from(texts.to_vec())),
                Arc::new(Int64Array::from_iter_values(0..ids.len() as i64)),
            ],
        )
        .unwrap();
        let props = parquet::file::properties::WriterProperties::builder()
            .set_max_row_group_row_count(Some(rg))
            .build();
        let f = std::fs::File::create(path).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(f, schema, Some(props)).unwrap();
        w.write(&rb).unwrap();
        w.close().unwrap();
    }

    #[test]
    fn rows_become_records_numbered_by_row_and_bad_rows_are_problems() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.parquet");
        write(
            &p,
            &[Some("a"), None, Some("c"), Some("d")],
            &[Some("first \"text\"\nline"), Some("x"), None, Some("last")],
            2,
        );
        let f = InputFile {
            path: p.clone(),
            kind: InputKind::Parquet,
        };
        let mut got = Vec::new();
        let reader = Reader::with(&crate::Fields::default(), 1 << 20, false);
        let name = f.display();
        let mut offsets = Vec::new();
        read_parquet(&f, 0, &mut |b| {
            for r in &b.records {
                let raw = RawRecord {
                    path: &name,
                    line: r.line,
                    bytes: b.record(r),
                };
                offsets.push((r.offset, r.end - r.start));
                got.push(reader.read(&raw).map(|t| (t.id, t.text.into_owned())));
            }
            Ok(true)
        })
        .unwrap();
        assert_eq!(got.len(), 4);
        assert_eq!(got[0], Ok(("a".into(), "first \"text\"\nline".into())));
        let e = got[1].clone().unwrap_err();
        assert_eq!((e.line, e.kind), (Some(2), ProblemKind::MissingField));
        assert!(e.message.contains("--id-field"), "{e:?}");
        let e = got[2].clone().unwrap_err();
        assert_eq!((e.line, e.id.as_deref()), (Some(3), Some("c")));
        assert!(e.message.contains("--text-field"), "{e:?}");
        // Read again by row index, across row groups, with a row wanted twice.
        let wanted = [offsets[0], offsets[3], offsets[3]];
        let again = reread(&f, &wanted).unwrap();
        assert_eq!(again.len(), 3);
        let raw = RawRecord {
            path: &name,
            line: Some(4),
            bytes: &again[1],
        };
        assert_eq!(reader.read(&raw).unwrap().text, "last");
        assert_eq!(again[1], again[2]);
        assert_eq!(again[0].len(), offsets[0].1);
        assert!(reread(&f, &[(9, 1)])
            .unwrap_err()
            .to_string()
            .contains("changed"));
    }

    #[test]
    fn a_file_that_is_not_parquet_is_one_unreadable_problem() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.parquet");
        std::fs::write(&p, b"not parquet at all").unwrap();
        let f = InputFile {
            path: p,
            kind: InputKind::Parquet,
        };
        let mut problems = Vec::new();
        read_parquet(&f, 0, &mut |b| {
            assert!(b.records.is_empty());
            problems.extend(b.problems);
            Ok(true)
        })
        .unwrap();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].kind, ProblemKind::Unreadable);
        assert!(problems[0].message.contains("Parquet"), "{problems:?}");
    }

    #[test]
    fn kept_rows_round_trip_with_their_column_types_and_annotations() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("in.parquet");
        write(&p, &[Some("a"), Some("b")], &[Some("one"), Some("two")], 10);
        let schema = annotated_schema(&schema_of(&p).unwrap());
        let out = dir.path().join("out.parquet");
        let mut w = RowWriter::new(std::fs::File::create(&out).unwrap(), schema).unwrap();
        w.write_all(b"{\"id\":\"b\",\"text\":\"two\",\"n\":1,\"dup_of\":\"a\",\"similarity\":0.9,\"relation\":\"near_duplicate\"}\n")
            .unwrap();
        w.flush().unwrap();
        w.finish().unwrap();
        let f = std::fs::File::open(&out).unwrap();
        let r = ParquetRecordBatchReaderBuilder::try_new(f)
            .unwrap()
            .build()
            .unwrap();
        let rbs: Vec<RecordBatch> = r.map(|b| b.unwrap()).collect();
        assert_eq!(rbs.iter().map(|b| b.num_rows()).sum::<usize>(), 1);
        let rb = &rbs[0];
        assert_eq!(rb.schema().field(2).data_type(), &DataType::Int64);
        let sim = rb
            .column_by_name("similarity")
            .unwrap()
            .as_any()
            .downcast_ref::<arrow_array::Float64Array>()
            .unwrap()
            .value(0);
        assert_eq!(sim, 0.9);
    }
}
