//! The Parquet files of the distributed flow: their columns, and the readers and writers the
//! Rust steps use.
//!
//! Only signed integer columns: Spark reads an unsigned 64-bit column as a decimal, so every
//! 64-bit hash is stored as the `i64` with the same bits (`u64 as i64`), and MinHash values as
//! the `i32` with the same bits. Files are Snappy-compressed (Spark's default codec), except
//! the columns of hash values ([`HASH_COLUMNS`]: band keys, MinHash signatures, shingle and
//! sample hashes), which are written plain and uncompressed: random bits do not compress
//! (Snappy saved 0.02% on the shingles, 0.8% on the signatures) and compressing them was a
//! fifth of `sign`'s instructions. Every reader (Spark, Sail, pyarrow, this module) reads
//! each column's codec and encoding from the file, so the values read are the same.
//!
//! | directory     | written by        | columns                                                      |
//! |---------------|-------------------|--------------------------------------------------------------|
//! | `bands/`      | `sign`            | `band int32, band_hash int64, doc int64`, sorted by band, hash, doc |
//! | `docs/`       | `sign`            | `doc int64, id string, length int64, date string?, date_key int64?, minhash list<int32>, shingles list<int64>, text string`, sorted by doc |
//! | `rejects/`    | `sign`            | JSON Lines: `path, line, id, kind, message`                   |
//! | `samples/`    | `sign` (containment on) | `hash int64, doc int64`, sorted by hash, doc |
//! | `pairs/`      | `assemble` (engine), `cluster-local` | `a int64, b int64, a_id string, b_id string, relation string, contained int64?, shared int64, size_a int64, size_b int64, cluster int64?, passages string?, manifest int64` (`a < b`) |
//! | `clusters/`   | `assemble` (engine), `cluster-local` | `doc int64, cluster int64, representative int64, role string, source int64, source_by string, id string, representative_id string, source_id string, shared int64, size int64, representative_size int64, manifest int64` |
//! | `problems/`   | engine, `cluster-local` | `doc int64, id string, first int64, manifest int64`: an id already used by document `first` of an earlier shard |
//!
//! `length` is the text's size in bytes, `date_key` the date in Unix seconds when it parses,
//! `shingles` the sorted, deduplicated shingle hashes (exact verification intersects them),
//! `text` the text as read (passages are aligned on it). In `pairs/`, `relation` is
//! `near_duplicate` or `contained`, `contained` the document that lies inside the other,
//! `cluster` the pair's cluster when both documents are in the same one, `passages` the
//! aligned shared passages as the JSON of [`crate::align::Alignment`] (null with passages
//! off). In `clusters/`, `cluster` is the smallest document of the cluster (clusters sorted by
//! it are in `scan`'s order), `role` is `source`, `copy` or `partial_copy` towards the
//! cluster's `source` ([`crate::roles`]), `shared` the shingles a member shares with its
//! representative. Files written by Rust carry `syndup.manifest` (the fingerprint)
//! and `syndup.format_version` in their key-value metadata; `sign`'s files also `syndup.shard`,
//! `syndup.records`, `syndup.documents` and `syndup.rejected`.

use crate::error::{Error, ErrorKind, Result};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::{Compression, Encoding};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod rows;
pub use rows::{
    read_clusters, read_pairs, read_problems, write_clusters, write_pairs, write_problems,
    ClusterRow, PairRow, ProblemRow,
};

/// Metadata key of the manifest fingerprint.
pub const META_MANIFEST: &str = "syndup.manifest";

/// The columns (of any file here) that hold hash values: written with the plain encoding, no
/// dictionary and no compression (see the module documentation). The lists (`minhash`,
/// `shingles`) also get no statistics: the minimum and maximum of random values tell a
/// reader nothing.
pub const HASH_COLUMNS: &[&str] = &["band_hash", "minhash", "shingles", "hash"];

/// The writer settings of a file of `schema`: Snappy, at most `rows_per_group` rows per row
/// group, `meta` as key-value metadata, and the [`HASH_COLUMNS`] it has plain and
/// uncompressed.
fn writer_properties(
    schema: &Schema,
    meta: Vec<(String, String)>,
    rows_per_group: usize,
) -> WriterProperties {
    let mut props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(rows_per_group.max(1)))
        .set_key_value_metadata(Some(
            meta.into_iter().map(|(k, v)| KeyValue::new(k, v)).collect(),
        ));
    for f in schema.fields() {
        if !HASH_COLUMNS.contains(&f.name().as_str()) {
            continue;
        }
        // The leaf of a list column is `name.list.element` (the three-level list layout).
        let (path, list) = match f.data_type() {
            DataType::List(item) => (
                ColumnPath::new(vec![f.name().clone(), "list".into(), item.name().clone()]),
                true,
            ),
            _ => (ColumnPath::new(vec![f.name().clone()]), false),
        };
        props = props
            .set_column_compression(path.clone(), Compression::UNCOMPRESSED)
            .set_column_dictionary_enabled(path.clone(), false)
            .set_column_encoding(path.clone(), Encoding::PLAIN);
        if list {
            props = props.set_column_statistics_enabled(path, EnabledStatistics::None);
        }
    }
    props.build()
}

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
        Field::new("text", DataType::Utf8, false),
    ]))
}

/// Schema of `samples/` files.
pub fn samples_schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("hash", DataType::Int64, false),
        Field::new("doc", DataType::Int64, false),
    ]))
}

/// Schema of `pairs/` files.
pub fn pairs_schema() -> Arc<Schema> {
    let f = |n: &str| Field::new(n, DataType::Int64, false);
    Arc::new(Schema::new(vec![
        f("a"),
        f("b"),
        Field::new("a_id", DataType::Utf8, false),
        Field::new("b_id", DataType::Utf8, false),
        Field::new("relation", DataType::Utf8, false),
        Field::new("contained", DataType::Int64, true),
        f("shared"),
        f("size_a"),
        f("size_b"),
        Field::new("cluster", DataType::Int64, true),
        Field::new("passages", DataType::Utf8, true),
        f("manifest"),
    ]))
}

/// Schema of `clusters/` files.
pub fn clusters_schema() -> Arc<Schema> {
    let f = |n: &str| Field::new(n, DataType::Int64, false);
    let s = |n: &str| Field::new(n, DataType::Utf8, false);
    Arc::new(Schema::new(vec![
        f("doc"),
        f("cluster"),
        f("representative"),
        s("role"),
        f("source"),
        s("source_by"),
        s("id"),
        s("representative_id"),
        s("source_id"),
        f("shared"),
        f("size"),
        f("representative_size"),
        f("manifest"),
    ]))
}

/// Schema of `problems/` files.
pub fn problems_schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("doc", DataType::Int64, false),
        Field::new("id", DataType::Utf8, false),
        Field::new("first", DataType::Int64, false),
        Field::new("manifest", DataType::Int64, false),
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
        let props = writer_properties(&schema, meta, rows_per_group);
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

/// Lists of `i64` (one per row) as a column: each value's bits as an `i64`.
pub fn i64_lists<'a>(path: &Path, rows: impl Iterator<Item = &'a [u64]>) -> Result<ArrayRef> {
    lists::<u64, Int64Type>(path, rows, |v| v as i64, DataType::Int64)
}

/// Lists of `i32` (one per row) as a column: each value's bits as an `i32`.
pub fn i32_lists<'a>(path: &Path, rows: impl Iterator<Item = &'a [u32]>) -> Result<ArrayRef> {
    lists::<u32, Int32Type>(path, rows, |v| v as i32, DataType::Int32)
}

/// A list column (no null list; the element field nullable, as Spark writes lists) from rows
/// of values converted by `cast`, gathered in one pass with no per-value builder call. More
/// than 2^31 values in one batch is an error (a `list` column has 32-bit offsets).
fn lists<'a, U: Copy + 'a, T: arrow_array::ArrowPrimitiveType>(
    path: &Path,
    rows: impl Iterator<Item = &'a [U]>,
    cast: impl Fn(U) -> T::Native,
    t: DataType,
) -> Result<ArrayRef> {
    let mut offsets = arrow_array::builder::OffsetBufferBuilder::<i32>::new(rows.size_hint().0);
    let mut values: Vec<T::Native> = Vec::new();
    for r in rows {
        values.extend(r.iter().map(|&v| cast(v)));
        offsets.push_length(r.len());
    }
    let offsets = offsets
        .try_finish()
        .map_err(|e| parquet_err(path, format!("list column: {e}")))?;
    let field = Arc::new(Field::new("element", t, true));
    let values = Arc::new(arrow_array::PrimitiveArray::<T>::new(values.into(), None));
    let list = arrow_array::ListArray::try_new(field, offsets, values, None)
        .map_err(|e| parquet_err(path, e))?;
    Ok(Arc::new(list))
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
    file: std::fs::File,
    meta: ArrowReaderMetadata,
}

impl Reader {
    /// Opens `path`. Types come from the Parquet schema (an embedded Arrow schema, such as a
    /// string-view type written by another engine, is ignored).
    pub fn open(path: &Path) -> Result<Reader> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let opts = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
        let meta = ArrowReaderMetadata::load(&file, opts).map_err(|e| parquet_err(path, e))?;
        Ok(Reader {
            path: path.to_path_buf(),
            file,
            meta,
        })
    }

    /// A key-value metadata entry.
    pub fn meta(&self, key: &str) -> Option<String> {
        self.meta
            .metadata()
            .file_metadata()
            .key_value_metadata()?
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.clone())
    }

    /// Rows in the file.
    pub fn rows(&self) -> u64 {
        self.meta.metadata().file_metadata().num_rows().max(0) as u64
    }

    /// The indices of `columns` in the file's schema.
    fn projection(&self, columns: &[&str]) -> Result<ProjectionMask> {
        let schema = self.meta.schema();
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
        Ok(ProjectionMask::roots(
            self.meta.parquet_schema(),
            idx.iter().copied(),
        ))
    }

    /// Calls `f` on the batches of the named columns (in this order) of the row groups
    /// `groups` (all when `None`), in file order.
    fn batches(
        &self,
        file: std::fs::File,
        columns: &[&str],
        groups: Option<Vec<usize>>,
        f: &mut dyn FnMut(RecordBatch) -> Result<()>,
    ) -> Result<()> {
        let mut builder =
            ParquetRecordBatchReaderBuilder::new_with_metadata(file, self.meta.clone())
                .with_projection(self.projection(columns)?)
                .with_batch_size(16 * 1024);
        if let Some(g) = groups {
            builder = builder.with_row_groups(g);
        }
        let reader = builder.build().map_err(|e| parquet_err(&self.path, e))?;
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
            let fields: Vec<Field> = columns
                .iter()
                .zip(&cols)
                .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
                .collect();
            let b = RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)
                .map_err(|e| parquet_err(&self.path, e))?;
            f(b)?;
        }
        Ok(())
    }

    /// Calls `f` on each batch of the named columns (in this order) of every row, in file
    /// order; one batch is in memory at a time.
    pub fn for_each(
        self,
        columns: &[&str],
        mut f: impl FnMut(&RecordBatch) -> Result<()>,
    ) -> Result<()> {
        let file = self
            .file
            .try_clone()
            .map_err(|e| Error::io(&self.path, e))?;
        self.batches(file, columns, None, &mut |b| f(&b))
    }

    /// Reads the named columns (in this order) of every row.
    pub fn read(self, columns: &[&str]) -> Result<Vec<RecordBatch>> {
        let mut out = Vec::new();
        self.for_each(columns, |b| {
            out.push(b.clone());
            Ok(())
        })?;
        Ok(out)
    }

    /// Maps `f` over the row groups whose rows `want(first, rows)` asks for, in parallel
    /// (one group's batches in memory per worker), and returns the results in file order.
    /// `f` gets the file's row number of the batch's first row.
    pub fn map_groups<T: Send>(
        &self,
        columns: &[&str],
        want: impl Fn(u64, u64) -> bool + Sync,
        f: impl Fn(u64, &RecordBatch) -> Result<T> + Sync,
    ) -> Result<Vec<T>> {
        use rayon::prelude::*;
        let mut groups = Vec::new();
        let mut first = 0u64;
        for (g, rg) in self.meta.metadata().row_groups().iter().enumerate() {
            let rows = rg.num_rows().max(0) as u64;
            if want(first, rows) {
                groups.push((g, first));
            }
            first += rows;
        }
        let per_group: Vec<Vec<T>> = groups
            .into_par_iter()
            .map(|(g, first)| {
                let file = std::fs::File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
                let mut out = Vec::new();
                let mut row = first;
                self.batches(file, columns, Some(vec![g]), &mut |b| {
                    out.push(f(row, &b)?);
                    row += b.num_rows() as u64;
                    Ok(())
                })?;
                Ok(out)
            })
            .collect::<Result<_>>()?;
        Ok(per_group.into_iter().flatten().collect())
    }
}

/// Column `i` of `b` (a list of `int64`) as its values and offsets: row `j` holds
/// `values[offsets[j]..offsets[j + 1]]`.
pub fn i64_list_parts<'a>(
    path: &Path,
    b: &'a RecordBatch,
    i: usize,
) -> Result<(&'a [i64], &'a [i32])> {
    let a = b.column(i);
    let Some(l) = a.as_list_opt::<i32>() else {
        return Err(parquet_err(path, format!("column {i} is not a list")));
    };
    let Some(v) = l.values().as_primitive_opt::<Int64Type>() else {
        return Err(parquet_err(
            path,
            format!("column {i} is not a list of int64"),
        ));
    };
    Ok((v.values(), l.value_offsets()))
}

/// Column `i` of `b` as a string column, read row by row with [`StrColumn::get`].
pub fn str_column<'a>(path: &Path, b: &'a RecordBatch, i: usize) -> Result<StrColumn<'a>> {
    let a = b.column(i);
    match a.data_type() {
        DataType::Utf8 => Ok(StrColumn::Small(a.as_string::<i32>())),
        DataType::LargeUtf8 => Ok(StrColumn::Large(a.as_string::<i64>())),
        t => Err(parquet_err(
            path,
            format!("column {i} is {t}, not a string"),
        )),
    }
}

/// A string column of either offset width.
pub enum StrColumn<'a> {
    /// `string` (32-bit offsets).
    Small(&'a StringArray),
    /// `large_string`.
    Large(&'a arrow_array::LargeStringArray),
}

impl StrColumn<'_> {
    /// Row `j` (a null is empty).
    pub fn get(&self, j: usize) -> &str {
        match self {
            StrColumn::Small(s) if !s.is_null(j) => s.value(j),
            StrColumn::Large(s) if !s.is_null(j) => s.value(j),
            _ => "",
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of `n` rows (`doc = i`, `shingles = [i, i + 1 .. i + i % 3]`, `text = "t{i}"`)
    /// in row groups of `group` rows.
    fn file(dir: &Path, n: i64, group: usize) -> PathBuf {
        let schema = Arc::new(Schema::new(vec![
            Field::new("doc", DataType::Int64, false),
            Field::new("shingles", list_of(DataType::Int64), false),
            Field::new("text", DataType::Utf8, false),
        ]));
        let sets: Vec<Vec<u64>> = (0..n as u64).map(|i| (i..i + i % 3).collect()).collect();
        let texts: Vec<String> = (0..n).map(|i| format!("t{i}")).collect();
        let path = dir.join("f.parquet");
        let b = batch(
            &path,
            schema.clone(),
            vec![
                i64_array((0..n).collect()),
                i64_lists(&path, sets.iter().map(|s| s.as_slice())).unwrap(),
                Arc::new(StringArray::from_iter_values(&texts)),
            ],
        )
        .unwrap();
        write_file(&path, schema, &[b], vec![("k".into(), "v".into())], group).unwrap();
        path
    }

    #[test]
    fn hash_columns_are_plain_and_uncompressed_the_others_snappy() {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docs.parquet");
        let sets: Vec<Vec<u64>> = (0..50u64).map(|i| (i * 7..i * 7 + 40).collect()).collect();
        let sigs: Vec<Vec<u32>> = (0..50u32).map(|i| vec![i; 16]).collect();
        let texts: Vec<String> = (0..50).map(|i| format!("text {i} ").repeat(20)).collect();
        let b = batch(
            &path,
            docs_schema(),
            vec![
                i64_array((0..50).collect()),
                Arc::new(StringArray::from_iter_values(texts.iter().map(|t| &t[..6]))),
                i64_array(vec![1; 50]),
                Arc::new(StringArray::from(vec![None::<&str>; 50])),
                Arc::new(Int64Array::from(vec![None; 50])),
                i32_lists(&path, sigs.iter().map(|s| s.as_slice())).unwrap(),
                i64_lists(&path, sets.iter().map(|s| s.as_slice())).unwrap(),
                Arc::new(StringArray::from_iter_values(&texts)),
            ],
        )
        .unwrap();
        write_file(&path, docs_schema(), &[b], Vec::new(), 1000).unwrap();
        let f = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
        let rg = f.metadata().row_group(0);
        let mut seen = Vec::new();
        for c in rg.columns() {
            let name = c.column_path().string();
            let hashes = HASH_COLUMNS.contains(&c.column_path().parts()[0].as_str());
            let want = if hashes {
                Compression::UNCOMPRESSED
            } else {
                Compression::SNAPPY
            };
            assert_eq!(c.compression(), want, "{name}");
            let dict = c.encodings().any(|e| e == Encoding::RLE_DICTIONARY);
            assert_eq!(dict, !hashes, "{name}");
            assert_eq!(c.statistics().is_some(), !hashes, "{name}");
            seen.push(name);
        }
        assert!(
            seen.contains(&"shingles.list.element".to_string()),
            "{seen:?}"
        );
        assert!(
            seen.contains(&"minhash.list.element".to_string()),
            "{seen:?}"
        );
        // The values read back are the ones written.
        let r = Reader::open(&path).unwrap();
        let got = r.read(&["shingles", "minhash", "text"]).unwrap();
        assert_eq!(u64_lists(&path, &got[0], 0).unwrap()[49].to_vec(), sets[49]);
        assert_eq!(strings(&path, &got[0], 2).unwrap(), texts);
        let m = got[0].column(1).as_list::<i32>().value(3);
        assert_eq!(m.as_primitive::<Int32Type>().values().to_vec(), vec![3; 16]);
    }

    #[test]
    fn row_groups_are_read_in_parallel_in_file_order_and_skipped_when_not_wanted() {
        let dir = tempfile::tempdir().unwrap();
        let path = file(dir.path(), 10, 3);
        let r = Reader::open(&path).unwrap();
        assert_eq!(r.rows(), 10);
        assert_eq!(r.meta("k").as_deref(), Some("v"));
        // Columns come in the order asked for; rows keep their file row numbers.
        let rows = r
            .map_groups(
                &["text", "shingles"],
                |first, rows| !(3..6).contains(&first) && rows > 0,
                |first, b| {
                    let t = str_column(&path, b, 0)?;
                    let (v, o) = i64_list_parts(&path, b, 1)?;
                    Ok((0..b.num_rows())
                        .map(|j| {
                            let set = v[o[j] as usize..o[j + 1] as usize].to_vec();
                            (first + j as u64, t.get(j).to_string(), set)
                        })
                        .collect::<Vec<_>>())
                },
            )
            .unwrap();
        let rows: Vec<_> = rows.into_iter().flatten().collect();
        let want: Vec<_> = [0i64, 1, 2, 6, 7, 8, 9]
            .iter()
            .map(|&i| {
                (
                    i as u64,
                    format!("t{i}"),
                    (i..i + i % 3).collect::<Vec<i64>>(),
                )
            })
            .collect();
        assert_eq!(rows, want);
        // for_each streams every row once, in order.
        let mut docs = Vec::new();
        Reader::open(&path)
            .unwrap()
            .for_each(&["doc"], |b| {
                docs.extend(i64s(&path, b, 0)?);
                Ok(())
            })
            .unwrap();
        assert_eq!(docs, (0..10).collect::<Vec<i64>>());
        // A column the file lacks is an error naming it.
        let e = Reader::open(&path)
            .unwrap()
            .for_each(&["band"], |_| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no column `band`"), "{e}");
        // Wrong types are errors, not panics.
        let b = &Reader::open(&path).unwrap().read(&["doc", "text"]).unwrap()[0];
        assert!(str_column(&path, b, 0).is_err());
        assert!(i64_list_parts(&path, b, 1).is_err());
    }
}
