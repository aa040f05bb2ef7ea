//! Parquet input and output: the same records as Parquet or as JSON Lines give the same
//! report, bad rows are problems with their row number, and `filter` writes kept rows back as
//! Parquet with every input column.

use crate::util::{root, run, stderr, stdout};
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::Path;
use std::sync::Arc;

/// The string columns of `samples/news.jsonl`, in order of first appearance.
fn news() -> (Vec<String>, Vec<serde_json::Map<String, serde_json::Value>>) {
    let text = std::fs::read_to_string(root().join("samples/news.jsonl")).unwrap();
    let rows: Vec<serde_json::Map<String, serde_json::Value>> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut cols: Vec<String> = Vec::new();
    for r in &rows {
        for k in r.keys() {
            if !cols.contains(k) {
                cols.push(k.clone());
            }
        }
    }
    (cols, rows)
}

/// Writes `rows` as Parquet (every column a nullable string), `per_group` rows per row group.
fn write_parquet(
    path: &Path,
    cols: &[String],
    rows: &[serde_json::Map<String, serde_json::Value>],
    per_group: usize,
) {
    let schema = Arc::new(Schema::new(
        cols.iter()
            .map(|c| Field::new(c, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let arrays: Vec<ArrayRef> = cols
        .iter()
        .map(|c| {
            Arc::new(StringArray::from(
                rows.iter()
                    .map(|r| r.get(c).and_then(|v| v.as_str()).map(str::to_string))
                    .collect::<Vec<_>>(),
            )) as ArrayRef
        })
        .collect();
    let rb = RecordBatch::try_new(schema.clone(), arrays).unwrap();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(per_group))
        .build();
    let f = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(f, schema, Some(props)).unwrap();
    w.write(&rb).unwrap();
    w.close().unwrap();
}

fn report(args: &[&str]) -> serde_json::Value {
    let o = run(args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

#[test]
fn a_parquet_file_gives_the_report_of_the_same_records_as_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let (cols, rows) = news();
    let pq = dir.path().join("news.parquet");
    // Small row groups: records cross row-group boundaries.
    write_parquet(&pq, &cols, &rows, 5);
    let pq = pq.to_str().unwrap();
    let args = [
        "scan",
        "--format",
        "json",
        "--sentences",
        "--group-field",
        "publisher",
    ];
    let from_jsonl = report(&[&args[..], &["samples/news.jsonl"]].concat());
    let from_parquet = report(&[&args[..], &[pq]].concat());
    assert!(!from_jsonl["clusters"].as_array().unwrap().is_empty());
    assert!(!from_jsonl["pairs"].as_array().unwrap().is_empty());
    for key in ["clusters", "pairs", "repeats"] {
        assert_eq!(from_jsonl[key], from_parquet[key], "{key} differ");
    }
    assert_eq!(from_parquet["stats"]["documents"], rows.len());
    assert_eq!(from_parquet["stats"]["problems"], 0);
}

#[test]
fn bad_parquet_rows_are_problems_with_their_row_number_and_a_wrong_column_stops_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let (cols, mut rows) = news();
    rows[3].remove("text");
    rows[7].remove("id");
    let pq = dir.path().join("bad.parquet");
    write_parquet(&pq, &cols, &rows, 4);
    let pq = pq.to_str().unwrap();
    let o = run(&["scan", "--format", "json", pq]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "problems make exit code 2: {}",
        stderr(&o)
    );
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let problems = r["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!(problems[0]["line"], 4);
    assert!(problems[0]["message"]
        .as_str()
        .unwrap()
        .contains("--text-field"));
    assert_eq!(problems[1]["line"], 8);
    assert!(problems[1]["message"]
        .as_str()
        .unwrap()
        .contains("--id-field"));
    assert_eq!(r["stats"]["documents"], rows.len() - 2);
    // A column that no row has: the probe stops the scan, naming the columns there are.
    let o = run(&["scan", "--text-field", "body", pq]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("body"), "{}", stderr(&o));
}

/// A Parquet file's column names, and each string column's values over all its batches.
struct Table {
    names: Vec<String>,
    batches: Vec<RecordBatch>,
}

fn read_back(path: &Path) -> Table {
    let f = std::fs::File::open(path).unwrap();
    let r = ParquetRecordBatchReaderBuilder::try_new(f).unwrap();
    let names = r
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let batches = r.build().unwrap().map(|b| b.unwrap()).collect();
    Table { names, batches }
}

impl Table {
    fn rows(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }

    fn strings(&self, col: &str) -> Vec<Option<String>> {
        let mut out = Vec::new();
        for rb in &self.batches {
            let a = rb
                .column_by_name(col)
                .unwrap()
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap();
            out.extend((0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i).to_string())));
        }
        out
    }
}

#[test]
fn filter_writes_kept_rows_and_annotated_duplicates_as_parquet_with_every_column() {
    let dir = tempfile::tempdir().unwrap();
    let (cols, rows) = news();
    let pq = dir.path().join("news.parquet");
    write_parquet(&pq, &cols, &rows, 6);
    let kept = dir.path().join("kept.parquet");
    let dups = dir.path().join("dups.parquet");
    let o = run(&[
        "filter",
        "--quiet",
        "--output",
        kept.to_str().unwrap(),
        "--duplicates",
        dups.to_str().unwrap(),
        pq.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The same records as JSON Lines, filtered to standard output.
    let o = run(&["filter", "--quiet", "samples/news.jsonl"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let want: Vec<String> = stdout(&o)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let k = read_back(&kept);
    assert_eq!(k.names, cols);
    let got: Vec<String> = k.strings("id").into_iter().map(Option::unwrap).collect();
    assert_eq!(got, want);
    assert!(got.len() < rows.len(), "the samples hold duplicates");
    // Every column of a kept row is as it was.
    let first = rows.iter().find(|r| r["id"] == got[0]).unwrap();
    for c in &cols {
        assert_eq!(
            k.strings(c)[0].as_deref(),
            first.get(c).and_then(|v| v.as_str())
        );
    }
    let d = read_back(&dups);
    assert_eq!(d.rows() + k.rows(), rows.len());
    let dup_of = d.strings("dup_of");
    assert!(dup_of
        .iter()
        .all(|x| x.as_ref().is_some_and(|x| got.contains(x))));
    assert!(d
        .strings("relation")
        .iter()
        .all(|r| r.as_deref().is_some_and(|r| r.ends_with("duplicate"))));
}

#[test]
fn writing_parquet_from_json_lines_is_an_error_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("kept.parquet");
    let o = run(&[
        "filter",
        "--output",
        kept.to_str().unwrap(),
        "samples/news.jsonl",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--output"), "{}", stderr(&o));
    assert!(stderr(&o).contains("Parquet input"), "{}", stderr(&o));
}
