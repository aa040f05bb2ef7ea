//! The output rows of the distributed flow (`pairs/`, `clusters/`, `problems/`): their
//! types, and reading and writing them (see the parent module for the layout).

use super::*;

/// A reported pair as stored in `pairs/` (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PairRow {
    /// The smaller document number.
    pub a: i64,
    /// The larger document number.
    pub b: i64,
    /// `a`'s id.
    pub a_id: String,
    /// `b`'s id.
    pub b_id: String,
    /// `near_duplicate` or `contained`.
    pub relation: String,
    /// The document that lies inside the other (`contained` pairs).
    pub contained: Option<i64>,
    /// Shingles in common.
    pub shared: i64,
    /// Shingles of `a`.
    pub size_a: i64,
    /// Shingles of `b`.
    pub size_b: i64,
    /// The cluster of both documents, when they are in the same one.
    pub cluster: Option<i64>,
    /// The aligned shared passages (JSON of [`crate::align::Alignment`]).
    pub passages: Option<String>,
}

/// A member of a cluster as stored in `clusters/` (the representative included).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClusterRow {
    /// The document number.
    pub doc: i64,
    /// The smallest document number of its cluster.
    pub cluster: i64,
    /// The member the keep policy keeps.
    pub representative: i64,
    /// `source`, `copy` or `partial_copy`.
    pub role: String,
    /// The cluster's likely original.
    pub source: i64,
    /// How the source was chosen (`date`, `containment`, `first_seen`, `similarity`).
    pub source_by: String,
    /// The document's id.
    pub id: String,
    /// The representative's id.
    pub representative_id: String,
    /// The source's id.
    pub source_id: String,
    /// Shingles shared with the representative.
    pub shared: i64,
    /// The document's shingles.
    pub size: i64,
    /// The representative's shingles.
    pub representative_size: i64,
}

/// An id used in two shards, as stored in `problems/`: document `doc` is skipped, as `scan`
/// skips the second record of an id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProblemRow {
    /// The skipped document.
    pub doc: i64,
    /// Its id.
    pub id: String,
    /// The document that has the id first.
    pub first: i64,
}

/// Checks the `manifest` column of an engine output (every value must be `fingerprint`).
fn check_manifest_column(
    manifest: &crate::dist::Manifest,
    path: &Path,
    values: &[i64],
) -> Result<()> {
    let want = manifest.fingerprint_i64();
    if let Some(&bad) = values.iter().find(|&&v| v != want) {
        return manifest.check(Some(&format!("{:016x}", bad as u64)), path);
    }
    Ok(())
}

/// Column `i` of `b` as optional strings.
pub fn opt_strings(path: &Path, b: &RecordBatch, i: usize) -> Result<Vec<Option<String>>> {
    let a = b.column(i);
    let s = match a.data_type() {
        DataType::Utf8 => a.as_string::<i32>(),
        t => {
            return Err(parquet_err(
                path,
                format!("column {i} is {t}, not a string"),
            ))
        }
    };
    Ok((0..s.len())
        .map(|j| (!s.is_null(j)).then(|| s.value(j).to_string()))
        .collect())
}

/// Reads every `pairs/` file under `dir`, sorted.
pub fn read_pairs(manifest: &crate::dist::Manifest, dir: &Path) -> Result<Vec<PairRow>> {
    let mut out = Vec::new();
    let cols = [
        "a",
        "b",
        "a_id",
        "b_id",
        "relation",
        "contained",
        "shared",
        "size_a",
        "size_b",
        "cluster",
        "passages",
        "manifest",
    ];
    for path in parquet_files(dir)? {
        for b in Reader::open(&path)?.read(&cols)? {
            check_manifest_column(manifest, &path, &i64s(&path, &b, 11)?)?;
            let (a, bb) = (i64s(&path, &b, 0)?, i64s(&path, &b, 1)?);
            let (a_id, b_id) = (strings(&path, &b, 2)?, strings(&path, &b, 3)?);
            let relation = strings(&path, &b, 4)?;
            let contained = opt_i64s(&path, &b, 5)?;
            let shared = i64s(&path, &b, 6)?;
            let size_a = i64s(&path, &b, 7)?;
            let size_b = i64s(&path, &b, 8)?;
            let cluster = opt_i64s(&path, &b, 9)?;
            let passages = opt_strings(&path, &b, 10)?;
            for j in 0..b.num_rows() {
                out.push(PairRow {
                    a: a[j],
                    b: bb[j],
                    a_id: a_id[j].clone(),
                    b_id: b_id[j].clone(),
                    relation: relation[j].clone(),
                    contained: contained[j],
                    shared: shared[j],
                    size_a: size_a[j],
                    size_b: size_b[j],
                    cluster: cluster[j],
                    passages: passages[j].clone(),
                });
            }
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Reads every `clusters/` file under `dir`, sorted by document; with `shard`, only that
/// shard's documents.
pub fn read_clusters(
    manifest: &crate::dist::Manifest,
    dir: &Path,
    shard: Option<u32>,
) -> Result<Vec<ClusterRow>> {
    let mut out = Vec::new();
    let cols = [
        "doc",
        "cluster",
        "representative",
        "role",
        "source",
        "source_by",
        "id",
        "representative_id",
        "source_id",
        "shared",
        "size",
        "representative_size",
        "manifest",
    ];
    for path in parquet_files(dir)? {
        for b in Reader::open(&path)?.read(&cols)? {
            let doc = i64s(&path, &b, 0)?;
            check_manifest_column(manifest, &path, &i64s(&path, &b, 12)?)?;
            let keep: Vec<usize> = (0..b.num_rows())
                .filter(|&j| shard.is_none_or(|s| crate::dist::shard_of(doc[j]) == s))
                .collect();
            if keep.is_empty() {
                continue;
            }
            let int = |i| i64s(&path, &b, i);
            let text = |i| strings(&path, &b, i);
            let (cluster, rep, role, source) = (int(1)?, int(2)?, text(3)?, int(4)?);
            let (source_by, id, rep_id, source_id) = (text(5)?, text(6)?, text(7)?, text(8)?);
            let (shared, size, rep_size) = (int(9)?, int(10)?, int(11)?);
            for j in keep {
                out.push(ClusterRow {
                    doc: doc[j],
                    cluster: cluster[j],
                    representative: rep[j],
                    role: role[j].clone(),
                    source: source[j],
                    source_by: source_by[j].clone(),
                    id: id[j].clone(),
                    representative_id: rep_id[j].clone(),
                    source_id: source_id[j].clone(),
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

/// Reads every `problems/` file under `dir` (none when it does not exist), sorted.
pub fn read_problems(manifest: &crate::dist::Manifest, dir: &Path) -> Result<Vec<ProblemRow>> {
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
    for path in parquet_files(dir)? {
        for b in Reader::open(&path)?.read(&["doc", "id", "first", "manifest"])? {
            check_manifest_column(manifest, &path, &i64s(&path, &b, 3)?)?;
            let (doc, id, first) = (
                i64s(&path, &b, 0)?,
                strings(&path, &b, 1)?,
                i64s(&path, &b, 2)?,
            );
            out.extend((0..b.num_rows()).map(|j| ProblemRow {
                doc: doc[j],
                id: id[j].clone(),
                first: first[j],
            }));
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Writes `rows` to `path` (one file).
pub fn write_pairs(manifest: &crate::dist::Manifest, path: &Path, rows: &[PairRow]) -> Result<()> {
    let fp = manifest.fingerprint_i64();
    let col = |f: fn(&PairRow) -> i64| i64_array(rows.iter().map(f).collect());
    let opt = |f: fn(&PairRow) -> Option<i64>| -> ArrayRef {
        Arc::new(Int64Array::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let s = |f: fn(&PairRow) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
    };
    let b = batch(
        path,
        pairs_schema(),
        vec![
            col(|r| r.a),
            col(|r| r.b),
            s(|r| &r.a_id),
            s(|r| &r.b_id),
            s(|r| &r.relation),
            opt(|r| r.contained),
            col(|r| r.shared),
            col(|r| r.size_a),
            col(|r| r.size_b),
            opt(|r| r.cluster),
            Arc::new(StringArray::from(
                rows.iter()
                    .map(|r| r.passages.as_deref())
                    .collect::<Vec<_>>(),
            )),
            i64_array(vec![fp; rows.len()]),
        ],
    )?;
    write_file(path, pairs_schema(), &[b], meta(manifest), 1 << 16)
}

/// Writes `rows` to `path` (one file).
pub fn write_clusters(
    manifest: &crate::dist::Manifest,
    path: &Path,
    rows: &[ClusterRow],
) -> Result<()> {
    let fp = manifest.fingerprint_i64();
    let col = |f: fn(&ClusterRow) -> i64| i64_array(rows.iter().map(f).collect());
    let s = |f: fn(&ClusterRow) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
    };
    let b = batch(
        path,
        clusters_schema(),
        vec![
            col(|r| r.doc),
            col(|r| r.cluster),
            col(|r| r.representative),
            s(|r| &r.role),
            col(|r| r.source),
            s(|r| &r.source_by),
            s(|r| &r.id),
            s(|r| &r.representative_id),
            s(|r| &r.source_id),
            col(|r| r.shared),
            col(|r| r.size),
            col(|r| r.representative_size),
            i64_array(vec![fp; rows.len()]),
        ],
    )?;
    write_file(path, clusters_schema(), &[b], meta(manifest), 1 << 20)
}

/// Writes `rows` to `path` (one file).
pub fn write_problems(
    manifest: &crate::dist::Manifest,
    path: &Path,
    rows: &[ProblemRow],
) -> Result<()> {
    let fp = manifest.fingerprint_i64();
    let b = batch(
        path,
        problems_schema(),
        vec![
            i64_array(rows.iter().map(|r| r.doc).collect()),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| &r.id))),
            i64_array(rows.iter().map(|r| r.first).collect()),
            i64_array(vec![fp; rows.len()]),
        ],
    )?;
    write_file(path, problems_schema(), &[b], meta(manifest), 1 << 20)
}
