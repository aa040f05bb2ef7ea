//! The Parquet files of the distributed flow: their columns, and the readers and writers the
//! Rust steps use.
//!
//! Only signed integer columns: Spark reads an unsigned 64-bit column as a decimal, so every
//! 64-bit hash is stored as the `i64` with the same bits (`u64 as i64`), and MinHash values as
//! the `i32` with the same bits. Files are Snappy-compressed (Spark's default codec).
//!
//! | directory     | written by        | columns                                                      |
//! |---------------|-------------------|--------------------------------------------------------------|
//! | `bands/`      | `sign`            | `band int32, band_hash int64, doc int64`, sorted by band, hash, doc |
//! | `docs/`       | `sign`            | `doc int64, id string, length int64, date string?, date_key int64?, minhash list<int32>, shingles list<int64>`, sorted by doc |
//! | `rejects/`    | `sign`            | JSON Lines: `path, line, id, kind, message`                   |
//! | `matches/`    | engine, `cluster-local` | `a int64, b int64, shared int64, size_a int64, size_b int64, manifest int64` (`a < b`) |
//! | `components/` | engine, `cluster-local` | `doc int64, component int64, representative int64, id string, representative_id string, shared int64, size int64, representative_size int64, manifest int64` |
//!
//! `length` is the text's size in bytes, `date_key` the date in Unix seconds when it parses,
//! `shingles` the sorted, deduplicated shingle hashes (exact verification intersects them),
//! `component` the smallest document of the component, `shared` the shingles a member shares
//! with its representative. Files written by Rust carry `syndup.manifest` (the fingerprint)
//! and `syndup.format_version` in their key-value metadata; `sign`'s files also `syndup.shard`,
//! `syndup.records`, `syndup.documents` and `syndup.rejected`.

use crate::error::{Error, ErrorKind, Result};
use arrow_array::builder::{Int32Builder, Int64Builder, ListBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Metadata key of the manifest fingerprint.
pub const META_MANIFEST: &str = "syndup.manifest";

fn parquet_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Manifest(format!("parquet: {e}"))).with_path(path)
}

/// Schema of `bands/` files.
pub fn bands_schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("band", DataType::Int32, false),
        Field::new("band_hash", DataType::Int64, false),
        Field::new("doc", DataType::Int64, false),
    ]))
}

fn list_of(t: DataType) -> DataType {
    DataType::List(Arc::new(Field::new("element", t, true)))
}

/// Schema of `docs/` files.
pub fn docs_schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("doc", DataType::Int64, false),
        Field::new("id", DataType::Utf8, false),
        Field::new("length", DataType::Int64, false),
        Field::new("date", DataType::Utf8, true),
        Field::new("date_key", DataType::Int64, true),
        Field::new("minhash", list_of(DataType::Int32), false),
        Field::new("shingles", list_of(DataType::Int64), false),
    ]))
}

/// Schema of `matches/` files.
pub fn matches_schema() -> Arc<Schema> {
    let f = |n: &str| Field::new(n, DataType::Int64, false);
    Arc::new(Schema::new(vec![
        f("a"),
        f("b"),
        f("shared"),
        f("size_a"),
        f("size_b"),
        f("manifest"),
    ]))
}

/// Schema of `components/` files.
pub fn components_schema() -> Arc<Schema> {
    let f = |n: &str| Field::new(n, DataType::Int64, false);
    Arc::new(Schema::new(vec![
        f("doc"),
        f("component"),
        f("representative"),
        Field::new("id", DataType::Utf8, false),
        Field::new("representative_id", DataType::Utf8, false),
        f("shared"),
        f("size"),
        f("representative_size"),
        f("manifest"),
    ]))
}

/// A Parquet file being written under a hidden temporary name; [`FileWriter::finish`] renames
/// it to its real name, and dropping it unfinished removes it.
pub struct FileWriter {
    path: PathBuf,
    tmp: PathBuf,
    writer: Option<ArrowWriter<std::io::BufWriter<std::fs::File>>>,
}

impl FileWriter {
    /// Starts `path` with `schema`, `meta` as key-value metadata and at most `rows_per_group`
    /// rows per row group (the writer holds one row group in memory).
    pub fn create(
        path: &Path,
        schema: Arc<Schema>,
        meta: Vec<(String, String)>,
        rows_per_group: usize,
    ) -> Result<FileWriter> {
        let tmp = super::plan::temp_name(path);
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(rows_per_group.max(1)))
            .set_key_value_metadata(Some(
                meta.into_iter().map(|(k, v)| KeyValue::new(k, v)).collect(),
            ))
            .build();
        let file = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        let mut w = FileWriter {
            path: path.to_path_buf(),
            tmp,
            writer: None,
        };
        w.writer = Some(
            ArrowWriter::try_new(std::io::BufWriter::new(file), schema, Some(props))
                .map_err(|e| parquet_err(path, e))?,
        );
        Ok(w)
    }

    /// Appends a batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        match &mut self.writer {
            Some(w) => w.write(batch).map_err(|e| parquet_err(&self.path, e)),
            None => Err(parquet_err(&self.path, "written after finish")),
        }
    }

    /// Adds key-value metadata (known only at the end, such as counts).
    pub fn append_meta(&mut self, key: &str, value: String) {
        if let Some(w) = &mut self.writer {
            w.append_key_value_metadata(KeyValue::new(key.to_string(), value));
        }
    }

    /// Closes the file and renames it to its real name.
    pub fn finish(mut self) -> Result<()> {
        if let Some(w) = self.writer.take() {
            if let Err(e) = w.close() {
                let _ = std::fs::remove_file(&self.tmp);
                return Err(parquet_err(&self.path, e));
            }
        }
        std::fs::rename(&self.tmp, &self.path).map_err(|e| Error::io(&self.path, e))
    }
}

impl Drop for FileWriter {
    fn drop(&mut self) {
        if self.writer.is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `batches` to `path` atomically (hidden temporary name, then rename) with `meta` as
/// key-value metadata and at most `rows_per_group` rows per row group.
pub fn write_file(
    path: &Path,
    schema: Arc<Schema>,
    batches: &[RecordBatch],
    meta: Vec<(String, String)>,
    rows_per_group: usize,
) -> Result<()> {
    let mut w = FileWriter::create(path, schema, meta, rows_per_group)?;
    for b in batches {
        w.write(b)?;
    }
    w.finish()
}

/// A record batch from columns (the schema's order).
pub fn batch(path: &Path, schema: Arc<Schema>, columns: Vec<ArrayRef>) -> Result<RecordBatch> {
    RecordBatch::try_new(schema, columns).map_err(|e| parquet_err(path, e))
}

/// `i64` values as a column.
pub fn i64_array(v: Vec<i64>) -> ArrayRef {
    Arc::new(Int64Array::from(v))
}

/// `i32` values as a column.
pub fn i32_array(v: Vec<i32>) -> ArrayRef {
    Arc::new(Int32Array::from(v))
}

/// Lists of `i64` (one per row) as a column.
pub fn i64_lists<'a>(rows: impl Iterator<Item = &'a [u64]>) -> ArrayRef {
    let mut b = ListBuilder::new(Int64Builder::new()).with_field(Arc::new(Field::new(
        "element",
        DataType::Int64,
        true,
    )));
    for r in rows {
        for &v in r {
            b.values().append_value(v as i64);
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

/// Lists of `i32` (one per row) as a column.
pub fn i32_lists<'a>(rows: impl Iterator<Item = &'a [u32]>) -> ArrayRef {
    let mut b = ListBuilder::new(Int32Builder::new()).with_field(Arc::new(Field::new(
        "element",
        DataType::Int32,
        true,
    )));
    for r in rows {
        for &v in r {
            b.values().append_value(v as i32);
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

/// The Parquet files of a directory (or the file itself), sorted by name; hidden files and
/// names starting with `_` (Spark's `_SUCCESS`) are skipped.
pub fn parquet_files(dir: &Path) -> Result<Vec<PathBuf>> {
    if dir.is_file() {
        return Ok(vec![dir.to_path_buf()]);
    }
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for e in entries {
        let e = e.map_err(|e| Error::io(dir, e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        let p = e.path();
        if p.is_dir() {
            out.extend(parquet_files(&p)?);
        } else if name.ends_with(".parquet") {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// A Parquet file opened for reading selected columns.
pub struct Reader {
    path: PathBuf,
    builder: ParquetRecordBatchReaderBuilder<std::fs::File>,
}

impl Reader {
    /// Opens `path`. Types come from the Parquet schema (an embedded Arrow schema, such as a
    /// string-view type written by another engine, is ignored).
    pub fn open(path: &Path) -> Result<Reader> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let opts = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
        let builder = ParquetRecordBatchReaderBuilder::try_new_with_options(file, opts)
            .map_err(|e| parquet_err(path, e))?;
        Ok(Reader {
            path: path.to_path_buf(),
            builder,
        })
    }

    /// A key-value metadata entry.
    pub fn meta(&self, key: &str) -> Option<String> {
        self.builder
            .metadata()
            .file_metadata()
            .key_value_metadata()?
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.clone())
    }

    /// Rows in the file.
    pub fn rows(&self) -> u64 {
        self.builder.metadata().file_metadata().num_rows().max(0) as u64
    }

    /// Reads the named columns (in this order) of every row.
    pub fn read(self, columns: &[&str]) -> Result<Vec<RecordBatch>> {
        let schema = self.builder.schema().clone();
        let mut idx = Vec::new();
        for c in columns {
            match schema.index_of(c) {
                Ok(i) => idx.push(i),
                Err(_) => {
                    return Err(Error::new(ErrorKind::Manifest(format!(
                        "no column `{c}`: not the file this step expects"
                    )))
                    .with_path(&self.path))
                }
            }
        }
        let mask = ProjectionMask::roots(self.builder.parquet_schema(), idx.iter().copied());
        let reader = self
            .builder
            .with_projection(mask)
            .with_batch_size(16 * 1024)
            .build()
            .map_err(|e| parquet_err(&self.path, e))?;
        let mut out = Vec::new();
        for b in reader {
            let b = b.map_err(|e| parquet_err(&self.path, e))?;
            // Projection keeps file order; put the columns in the order asked for.
            let cols = columns
                .iter()
                .map(|c| {
                    b.column_by_name(c)
                        .cloned()
                        .ok_or_else(|| parquet_err(&self.path, format!("no column {c}")))
                })
                .collect::<Result<Vec<_>>>()?;
            out.push(cols);
        }
        Ok(out
            .into_iter()
            .filter_map(|cols| {
                let fields: Vec<Field> = columns
                    .iter()
                    .zip(&cols)
                    .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
                    .collect();
                RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).ok()
            })
            .collect())
    }
}

/// Column `i` of `b` as `i64` values (an `int32` column is widened).
pub fn i64s(path: &Path, b: &RecordBatch, i: usize) -> Result<Vec<i64>> {
    let a = b.column(i);
    match a.data_type() {
        DataType::Int64 => Ok(a.as_primitive::<Int64Type>().values().to_vec()),
        DataType::Int32 => Ok(a
            .as_primitive::<Int32Type>()
            .values()
            .iter()
            .map(|&v| v as i64)
            .collect()),
        t => Err(parquet_err(
            path,
            format!("column {i} is {t}, not an integer"),
        )),
    }
}

/// Column `i` of `b` as strings (nulls become empty).
pub fn strings(path: &Path, b: &RecordBatch, i: usize) -> Result<Vec<String>> {
    let a = b.column(i);
    match a.data_type() {
        DataType::Utf8 => {
            let s: &StringArray = a.as_string::<i32>();
            Ok((0..s.len())
                .map(|j| {
                    if s.is_null(j) {
                        String::new()
                    } else {
                        s.value(j).to_string()
                    }
                })
                .collect())
        }
        DataType::LargeUtf8 => {
            let s = a.as_string::<i64>();
            Ok((0..s.len()).map(|j| s.value(j).to_string()).collect())
        }
        t => Err(parquet_err(
            path,
            format!("column {i} is {t}, not a string"),
        )),
    }
}

/// Column `i` of `b` (a list of `int64`) as sorted shingle sets.
pub fn u64_lists(path: &Path, b: &RecordBatch, i: usize) -> Result<Vec<Box<[u64]>>> {
    let a = b.column(i);
    let Some(l) = a.as_list_opt::<i32>() else {
        return Err(parquet_err(path, format!("column {i} is not a list")));
    };
    let values = l.values();
    let DataType::Int64 = values.data_type() else {
        return Err(parquet_err(
            path,
            format!("column {i} is not a list of int64"),
        ));
    };
    let v = values.as_primitive::<Int64Type>().values();
    let offsets = l.value_offsets();
    Ok(offsets
        .windows(2)
        .map(|w| {
            v[w[0] as usize..w[1] as usize]
                .iter()
                .map(|&x| x as u64)
                .collect()
        })
        .collect())
}

/// Column `i` of `b` as optional `i64` values.
pub fn opt_i64s(path: &Path, b: &RecordBatch, i: usize) -> Result<Vec<Option<i64>>> {
    let a = b.column(i);
    match a.data_type() {
        DataType::Int64 => {
            let p = a.as_primitive::<Int64Type>();
            Ok((0..p.len())
                .map(|j| (!p.is_null(j)).then(|| p.value(j)))
                .collect())
        }
        t => Err(parquet_err(path, format!("column {i} is {t}, not int64"))),
    }
}

/// A verified match as stored in `matches/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MatchRow {
    /// The smaller document number.
    pub a: i64,
    /// The larger document number.
    pub b: i64,
    /// Shingles in common.
    pub shared: i64,
    /// Shingles of `a`.
    pub size_a: i64,
    /// Shingles of `b`.
    pub size_b: i64,
}

/// A member of a component as stored in `components/` (the representative included).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ComponentRow {
    /// The document number.
    pub doc: i64,
    /// The smallest document number of its component.
    pub component: i64,
    /// The member the keep policy keeps.
    pub representative: i64,
    /// The document's id.
    pub id: String,
    /// The representative's id.
    pub representative_id: String,
    /// Shingles shared with the representative.
    pub shared: i64,
    /// The document's shingles.
    pub size: i64,
    /// The representative's shingles.
    pub representative_size: i64,
}

/// Checks the `manifest` column of an engine output (every value must be `fingerprint`).
fn check_manifest_column(manifest: &super::Manifest, path: &Path, values: &[i64]) -> Result<()> {
    let want = manifest.fingerprint_i64();
    if let Some(&bad) = values.iter().find(|&&v| v != want) {
        return manifest.check(Some(&format!("{:016x}", bad as u64)), path);
    }
    Ok(())
}

/// Reads every `matches/` file under `dir`, sorted.
pub fn read_matches(manifest: &super::Manifest, dir: &Path) -> Result<Vec<MatchRow>> {
    let mut out = Vec::new();
    for path in parquet_files(dir)? {
        let cols = ["a", "b", "shared", "size_a", "size_b", "manifest"];
        for b in Reader::open(&path)?.read(&cols)? {
            let c: Vec<Vec<i64>> = (0..cols.len())
                .map(|i| i64s(&path, &b, i))
                .collect::<Result<_>>()?;
            check_manifest_column(manifest, &path, &c[5])?;
            out.extend((0..b.num_rows()).map(|j| MatchRow {
                a: c[0][j],
                b: c[1][j],
                shared: c[2][j],
                size_a: c[3][j],
                size_b: c[4][j],
            }));
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Reads every `components/` file under `dir`, sorted by document; with `shard`, only that
/// shard's documents.
pub fn read_components(
    manifest: &super::Manifest,
    dir: &Path,
    shard: Option<u32>,
) -> Result<Vec<ComponentRow>> {
    let mut out = Vec::new();
    for path in parquet_files(dir)? {
        let cols = [
            "doc",
            "component",
            "representative",
            "id",
            "representative_id",
            "shared",
            "size",
            "representative_size",
            "manifest",
        ];
        for b in Reader::open(&path)?.read(&cols)? {
            let doc = i64s(&path, &b, 0)?;
            check_manifest_column(manifest, &path, &i64s(&path, &b, 8)?)?;
            let keep: Vec<usize> = (0..b.num_rows())
                .filter(|&j| shard.is_none_or(|s| super::shard_of(doc[j]) == s))
                .collect();
            if keep.is_empty() {
                continue;
            }
            let comp = i64s(&path, &b, 1)?;
            let rep = i64s(&path, &b, 2)?;
            let id = strings(&path, &b, 3)?;
            let rep_id = strings(&path, &b, 4)?;
            let shared = i64s(&path, &b, 5)?;
            let size = i64s(&path, &b, 6)?;
            let rep_size = i64s(&path, &b, 7)?;
            for j in keep {
                out.push(ComponentRow {
                    doc: doc[j],
                    component: comp[j],
                    representative: rep[j],
                    id: id[j].clone(),
                    representative_id: rep_id[j].clone(),
                    shared: shared[j],
                    size: size[j],
                    representative_size: rep_size[j],
                });
            }
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Writes `matches` to `path` (one file).
pub fn write_matches(manifest: &super::Manifest, path: &Path, matches: &[MatchRow]) -> Result<()> {
    let fp = manifest.fingerprint_i64();
    let col = |f: fn(&MatchRow) -> i64| i64_array(matches.iter().map(f).collect());
    let b = batch(
        path,
        matches_schema(),
        vec![
            col(|m| m.a),
            col(|m| m.b),
            col(|m| m.shared),
            col(|m| m.size_a),
            col(|m| m.size_b),
            i64_array(vec![fp; matches.len()]),
        ],
    )?;
    write_file(path, matches_schema(), &[b], meta(manifest), 1 << 20)
}

/// Writes `rows` to `path` (one file).
pub fn write_components(
    manifest: &super::Manifest,
    path: &Path,
    rows: &[ComponentRow],
) -> Result<()> {
    let fp = manifest.fingerprint_i64();
    let col = |f: fn(&ComponentRow) -> i64| i64_array(rows.iter().map(f).collect());
    let s = |f: fn(&ComponentRow) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
    };
    let b = batch(
        path,
        components_schema(),
        vec![
            col(|r| r.doc),
            col(|r| r.component),
            col(|r| r.representative),
            s(|r| &r.id),
            s(|r| &r.representative_id),
            col(|r| r.shared),
            col(|r| r.size),
            col(|r| r.representative_size),
            i64_array(vec![fp; rows.len()]),
        ],
    )?;
    write_file(path, components_schema(), &[b], meta(manifest), 1 << 20)
}

/// The key-value metadata every Rust-written file carries.
pub fn meta(manifest: &super::Manifest) -> Vec<(String, String)> {
    vec![
        (META_MANIFEST.into(), manifest.fingerprint.clone()),
        (
            "syndup.format_version".into(),
            super::FORMAT_VERSION.to_string(),
        ),
    ]
}
