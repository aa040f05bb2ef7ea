//! `syndup plan`: parameters and the ordered shard list -> a fingerprinted manifest.
//!
//! The manifest fixes everything the later steps must agree on: how a text becomes shingles
//! (normalisation and hash names, shingle kind and length), how shingles become band keys
//! (scheme, `num_perm`, seed, bands x rows), what a match is (threshold, `max_bucket`), which
//! member a cluster keeps, which JSON fields are read, and which shard is number 0, 1, ... (the
//! high half of every document number). Its fingerprint is XXH3-64 of its JSON form without
//! the fingerprint, so two manifests with the same content have the same fingerprint wherever
//! they were made. The tool version is recorded but not fingerprinted: a build that changes
//! what a hash or the normalisation means changes their names or [`super::FORMAT_VERSION`].

use crate::config::{ClusterMode, Config, Fields, KeepPolicy, VerifyMode};
use crate::error::{Error, ErrorKind, Result};
use crate::input::{self, InputKind, Source};
use crate::sketch::SketchParams;
use crate::verify::Criteria;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Everything the distributed steps must agree on (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestParameters {
    /// The sketch parameters (`shingle`, `ngram`, `normalization`, `hash`, `scheme`,
    /// `num_perm`, `seed`, `threshold`, `bands`, `rows`), in place: see [`SketchParams`].
    #[serde(flatten)]
    pub sketch: SketchParams,
    /// Buckets with more documents give star edges to their smallest document only.
    pub max_bucket: usize,
    /// The member a cluster keeps.
    pub keep: KeepPolicy,
    /// Records larger than this many bytes are rejected.
    pub max_doc_bytes: usize,
    /// JSON fields read (the title is never read).
    pub fields: Fields,
    /// Guarded clusters (scan's default) or plain components.
    pub cluster: ClusterMode,
    /// Partial copies by containment; `None`: Jaccard only.
    pub containment: Option<ContainmentParameters>,
    /// Aligned shared passages for every pair.
    pub passages: bool,
}

/// The containment settings of a manifest (see [`crate::config::ContainmentConfig`]), with the
/// sampling rate resolved.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainmentParameters {
    /// Directed containment at or above which a pair is reported.
    pub threshold: f64,
    /// Fewest distinct shingles of a contained document.
    pub min_shingles: u32,
    /// One shingle in `sample` (by hash) is searched on; the sample table holds one in
    /// [`crate::containment::fine_rate`] of it (the finer sample that confirms candidates).
    pub sample: u64,
    /// Sampled hashes in more documents than this are not joined on (posting lists capped as
    /// in `scan`).
    pub max_df: usize,
}

/// A plan: the parameters, the ordered shards and the fingerprint of both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`super::FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// `syndup <version>` that wrote it (not fingerprinted).
    pub tool: String,
    /// 16 lower-case hex digits: XXH3-64 of the manifest's JSON without this field and `tool`.
    pub fingerprint: String,
    /// The parameters.
    pub parameters: ManifestParameters,
    /// Absolute paths of the JSON Lines shards; shard `i` is `shards[i]`.
    pub shards: Vec<String>,
}

/// The fingerprinted part of a manifest, serialised in this field order.
#[derive(Serialize)]
struct Fingerprinted<'a> {
    format_version: u32,
    parameters: &'a ManifestParameters,
    shards: &'a [String],
}

impl Manifest {
    /// A manifest for `config` over the JSON Lines files found in `sources` (directories are
    /// walked in sorted order). Sentence settings, `--window`, `--group-pairs` and `verify` are
    /// not part of the distributed flow: it always verifies exactly and compares every pair.
    pub fn new(config: &Config, sources: &[Source]) -> Result<Manifest> {
        config.validate()?;
        let expanded = input::expand(sources);
        if let Some(p) = expanded.problems.first() {
            return Err(Error::input(format!("cannot plan over the inputs: {p}")));
        }
        let mut shards = Vec::new();
        for f in &expanded.files {
            // Every step reads a shard again: a FIFO or device could be read only once.
            if f.reads_once() || !matches!(f.kind, InputKind::Jsonl(_)) {
                return Err(Error::new(ErrorKind::UnsupportedInput(format!(
                    "{}: shards must be regular JSON Lines files (.jsonl, .jsonl.gz, .jsonl.zst)",
                    f.display()
                ))));
            }
            let abs = std::path::absolute(&f.path).map_err(|e| Error::io(&f.path, e))?;
            shards.push(abs.display().to_string());
        }
        if shards.is_empty() {
            return Err(Error::input(
                "no JSON Lines shards found in the given paths",
            ));
        }
        if shards.len() > i32::MAX as usize {
            return Err(Error::input("more than 2^31 shards"));
        }
        let mut m = Manifest {
            format_version: super::FORMAT_VERSION,
            tool: format!("syndup {}", env!("CARGO_PKG_VERSION")),
            fingerprint: String::new(),
            parameters: ManifestParameters {
                sketch: SketchParams::new(config)?,
                max_bucket: config.max_bucket,
                keep: config.keep,
                max_doc_bytes: config.max_doc_bytes,
                fields: Fields {
                    title: None,
                    group: None,
                    ..config.fields.clone()
                },
                cluster: config.cluster,
                containment: config
                    .containment
                    .threshold
                    .map(|threshold| ContainmentParameters {
                        threshold,
                        min_shingles: config.containment.min_shingles,
                        sample: config.containment.sample_rate(),
                        max_df: config.containment.max_df,
                    }),
                passages: config.passages,
            },
            shards,
        };
        m.fingerprint = format!("{:016x}", m.compute_fingerprint());
        Ok(m)
    }

    fn compute_fingerprint(&self) -> u64 {
        let json = serde_json::to_vec(&Fingerprinted {
            format_version: self.format_version,
            parameters: &self.parameters,
            shards: &self.shards,
        })
        .unwrap_or_default();
        xxhash_rust::xxh3::xxh3_64(&json)
    }

    /// The fingerprint as the signed 64-bit integer stored in engine outputs (`manifest`).
    pub fn fingerprint_i64(&self) -> i64 {
        u64::from_str_radix(&self.fingerprint, 16).unwrap_or(0) as i64
    }

    /// Reads and checks a manifest: the format version and the fingerprint must match.
    pub fn read(path: &Path) -> Result<Manifest> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(ErrorKind::Manifest(format!("not a syndup manifest: {e}"))).with_path(path)
        })?;
        if m.format_version != super::FORMAT_VERSION {
            return Err(Error::new(ErrorKind::Manifest(format!(
                "manifest format version {} is not {} (this build's): run `syndup plan` again",
                m.format_version,
                super::FORMAT_VERSION
            )))
            .with_path(path));
        }
        let want = format!("{:016x}", m.compute_fingerprint());
        if m.fingerprint != want {
            return Err(Error::new(ErrorKind::Manifest(format!(
                "manifest fingerprint {} does not match its content ({want}): it was edited; run `syndup plan` again",
                m.fingerprint
            )))
            .with_path(path));
        }
        Ok(m)
    }

    /// Writes the manifest as pretty JSON (to a temporary name, then renamed).
    pub fn write(&self, path: &Path) -> Result<()> {
        let mut json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other);
        if let Ok(j) = &mut json {
            j.push(b'\n');
        }
        let json = json.map_err(|e| Error::io(path, e))?;
        write_atomic(path, &json)
    }

    /// The configuration the steps run with: the manifest's parameters, exact verification,
    /// every pair compared, no sentence stage.
    pub fn config(&self) -> Config {
        let p = &self.parameters;
        let k = &p.sketch;
        Config {
            shingle: k.shingle,
            ngram: k.ngram,
            num_perm: k.num_perm,
            seed: k.seed,
            scheme: k.scheme,
            threshold: k.threshold,
            bands: Some(k.bands),
            rows: Some(k.rows),
            verify: VerifyMode::Exact,
            keep: p.keep,
            cluster: p.cluster,
            max_bucket: p.max_bucket,
            strict: false,
            max_doc_bytes: p.max_doc_bytes,
            fields: p.fields.clone(),
            sentences: Default::default(),
            containment: match p.containment {
                Some(c) => crate::config::ContainmentConfig {
                    threshold: Some(c.threshold),
                    min_shingles: c.min_shingles,
                    sample: Some(c.sample),
                    max_df: c.max_df,
                },
                None => crate::config::ContainmentConfig {
                    threshold: None,
                    ..Default::default()
                },
            },
            window_days: None,
            group_pairs: crate::config::GroupPairs::All,
            passages: p.passages,
            windows_1252: false,
            memory: crate::config::DEFAULT_MEMORY,
            tmp_dir: None,
        }
    }

    /// What makes two documents a pair: Jaccard, or containment when that is on (as
    /// [`crate::Detector::criteria`]).
    pub fn criteria(&self) -> Criteria {
        let p = &self.parameters;
        Criteria {
            jaccard: p.sketch.threshold,
            containment: p.containment.map(|c| c.threshold),
            min_shingles: p.containment.map(|c| c.min_shingles).unwrap_or(0),
        }
    }

    /// The path of shard `shard`, or an error naming the flag.
    pub fn shard(&self, shard: u32) -> Result<&str> {
        self.shards
            .get(shard as usize)
            .map(String::as_str)
            .ok_or_else(|| {
                Error::config(format!(
                    "--shard {shard} is not in the manifest (it has {} shards: 0 to {})",
                    self.shards.len(),
                    self.shards.len().saturating_sub(1)
                ))
            })
    }

    /// An error unless `found` (a fingerprint read from `path`) is this manifest's.
    pub fn check(&self, found: Option<&str>, path: &Path) -> Result<()> {
        match found {
            Some(f) if f == self.fingerprint => Ok(()),
            Some(f) => Err(Error::new(ErrorKind::Manifest(format!(
                "made with manifest {f}, not {} (this run's): run that step again with this manifest",
                self.fingerprint
            )))
            .with_path(path)),
            None => Err(Error::new(ErrorKind::Manifest(
                "no syndup manifest fingerprint in this file: not written by syndup's distributed steps".into(),
            ))
            .with_path(path)),
        }
    }
}

/// Writes `bytes` to a temporary name beside `path` (hidden, so engines reading the directory
/// skip it), then renames it: a reader never sees a half-written file, and a retried task
/// simply writes it again.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_name(path);
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// A hidden temporary name beside `path`, unique to this call: two attempts of the same
/// engine task (a retry, a speculative copy, possibly on another machine sharing the file
/// system) never write into each other's file, and the last rename wins with equal content.
pub fn temp_name(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let nonce = xxhash_rust::xxh3::xxh3_64(
        &[
            std::process::id() as u64,
            nanos,
            CALLS.fetch_add(1, Ordering::Relaxed),
        ]
        .map(u64::to_le_bytes)
        .concat(),
    );
    path.with_file_name(format!(".{name}.tmp-{nonce:016x}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A configuration that keeps the first member.
    fn first() -> Config {
        Config {
            keep: KeepPolicy::First,
            ..Config::default()
        }
    }

    #[test]
    fn fingerprint_changes_with_parameters_and_shards() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.jsonl");
        std::fs::write(&a, "{}\n").unwrap();
        let src = [Source::Path(a.clone())];
        let m1 = Manifest::new(&first(), &src).unwrap();
        let m2 = Manifest::new(&first(), &src).unwrap();
        assert_eq!(m1.fingerprint, m2.fingerprint);
        let c = Config {
            threshold: 0.7,
            ..first()
        };
        assert_ne!(Manifest::new(&c, &src).unwrap().fingerprint, m1.fingerprint);
        let path = dir.path().join("m.json");
        m1.write(&path).unwrap();
        assert_eq!(Manifest::read(&path).unwrap(), m1);
        let edited = std::fs::read_to_string(&path)
            .unwrap()
            .replace("\"seed\": 1", "\"seed\": 2");
        std::fs::write(&path, edited).unwrap();
        let e = Manifest::read(&path).unwrap_err().to_string();
        assert!(e.contains("was edited"), "{e}");
    }

    #[test]
    fn inputs_without_shards_are_input_errors_and_a_missing_shard_a_flag_error() {
        let dir = tempfile::tempdir().unwrap();
        let e = Manifest::new(&first(), &[Source::Path(dir.path().into())]).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Input(_)), "{e:?}");
        assert_eq!(
            e.to_string(),
            "no JSON Lines shards found in the given paths"
        );
        let gone = Source::Path(dir.path().join("gone.jsonl"));
        let e = Manifest::new(&first(), &[gone]).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Input(_)), "{e:?}");
        assert!(
            e.to_string().starts_with("cannot plan over the inputs: "),
            "{e}"
        );
        let a = dir.path().join("a.jsonl");
        std::fs::write(&a, "{}\n").unwrap();
        let m = Manifest::new(&first(), &[Source::Path(a)]).unwrap();
        let e = m.shard(1).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Config(_)), "{e:?}");
        assert_eq!(
            e.to_string(),
            "--shard 1 is not in the manifest (it has 1 shards: 0 to 0)"
        );
    }
}
