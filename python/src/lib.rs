//! `syndup._syndup`: the native half of the Python package, a thin layer over the library's
//! public API ([`syndup::Detector`], [`syndup::StreamFilter`], the report writer).
//!
//! Python values in (option keywords, paths, dicts, Arrow streams) -> a [`Config`] and
//! [`Document`]s -> the library, with the GIL released and on a rayon pool of its own per
//! call -> the JSON report (the same bytes as `syndup scan --format json`) or verdicts. Errors
//! become `syndup.Error` subclasses; a panic never crosses into Python (it is caught and
//! raised as `syndup.InternalError`). The pure-Python half (`syndup/__init__.py`) picks the
//! entry point for the data given and builds the typed report objects.

use arrow_array::cast::AsArray;
use arrow_array::ffi_stream::{FFI_ArrowArrayStream, RecordBatchStreamReader};
use arrow_array::{Array, RecordBatch, RecordBatchReader};
use arrow_schema::DataType;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict, PyString};
use std::sync::Mutex;
use syndup::{
    ClusterMode, Config, ContainmentConfig, Detector, Document, Error, ErrorKind, Fields, Format,
    GroupPairs, Index, KeepPolicy, Scheme, SentenceMode, ShingleKind, Source, StreamFilter,
    Verdict, VerifyMode,
};

pyo3::create_exception!(
    syndup,
    SyndupError,
    PyException,
    "Base class of every error syndup raises."
);
pyo3::create_exception!(
    syndup,
    ConfigError,
    SyndupError,
    "An option is out of range, of the wrong type, unknown, or contradicts another."
);
pyo3::create_exception!(
    syndup,
    InputError,
    SyndupError,
    "Input cannot be used; under strict=True, the first bad record (with .path, .line, .id)."
);
pyo3::create_exception!(
    syndup,
    IndexFileError,
    SyndupError,
    "A persistent index cannot be used (not a syndup index, other settings, a database error)."
);
pyo3::create_exception!(
    syndup,
    InternalError,
    SyndupError,
    "A bug in syndup: please report it."
);

/// Library option names (`--foo-bar`) as Python keywords (`foo_bar=`) in messages: "--text-field
/// body" reads "text_field= body" (tested from Python: `python/tests/test_scan.py`).
fn pythonic(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(i) = rest.find("--") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let n = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(after.len());
        if n == 0 {
            out.push_str("--");
        } else {
            out.push_str(&after[..n].replace('-', "_"));
            out.push('=');
        }
        rest = &after[n..];
    }
    out.push_str(rest);
    out
}

/// A library error as the matching Python exception.
fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let msg = pythonic(&e.to_string());
    match e.kind() {
        ErrorKind::Config(_) => ConfigError::new_err(msg),
        ErrorKind::Record(p) => {
            let err = InputError::new_err(msg);
            let v = err.value(py);
            let _ = v.setattr("path", p.path.clone());
            let _ = v.setattr("line", p.line);
            let _ = v.setattr("id", p.id.clone());
            let _ = v.setattr("kind", p.kind.name());
            err
        }
        ErrorKind::Index(_) | ErrorKind::Database(_) => IndexFileError::new_err(msg),
        ErrorKind::Internal(_) => InternalError::new_err(msg),
        _ => {
            let err = InputError::new_err(msg);
            let v = err.value(py);
            let _ = v.setattr("path", e.path().map(|p| p.display().to_string()));
            let _ = v.setattr("line", py.None());
            let _ = v.setattr("id", py.None());
            let _ = v.setattr("kind", py.None());
            err
        }
    }
}

/// A rayon pool of `threads` threads (all cores when `None`): the library never builds the
/// global pool, and neither do the bindings (a host program may have its own).
fn pool(threads: Option<usize>) -> PyResult<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| InternalError::new_err(format!("cannot start worker threads: {e}")))
}

/// Runs `f` without the GIL, on a rayon pool of `threads` threads, catching panics.
fn work<T: Send>(
    py: Python<'_>,
    threads: Option<usize>,
    f: impl FnOnce() -> syndup::Result<T> + Send,
) -> PyResult<T> {
    work_in(py, &pool(threads)?, f)
}

/// [`work`] on a given pool.
fn work_in<T: Send>(
    py: Python<'_>,
    pool: &rayon::ThreadPool,
    f: impl FnOnce() -> syndup::Result<T> + Send,
) -> PyResult<T> {
    let out = py.allow_threads(|| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pool.install(f)))
    });
    match out {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(to_py(py, e)),
        Err(p) => {
            let what = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(InternalError::new_err(format!(
                "syndup panicked (a bug: please report it): {what}"
            )))
        }
    }
}

/// Option keywords read one by one; unknown ones are an error naming them.
struct Options<'py> {
    map: Vec<(String, Bound<'py, PyAny>)>,
    used: Vec<bool>,
}

impl<'py> Options<'py> {
    fn new(kw: Option<&Bound<'py, PyDict>>) -> PyResult<Options<'py>> {
        let mut map = Vec::new();
        if let Some(kw) = kw {
            for (k, v) in kw.iter() {
                map.push((k.extract::<String>()?, v));
            }
        }
        let used = vec![false; map.len()];
        Ok(Options { map, used })
    }

    fn raw(&mut self, name: &str) -> Option<Bound<'py, PyAny>> {
        let i = self.map.iter().position(|(k, _)| k == name)?;
        self.used[i] = true;
        let v = self.map[i].1.clone();
        (!v.is_none()).then_some(v)
    }

    fn get<T: for<'a> FromPyObject<'a>>(&mut self, name: &str, what: &str) -> PyResult<Option<T>> {
        match self.raw(name) {
            None => Ok(None),
            Some(v) => {
                if what == "an integer" && v.is_instance_of::<pyo3::types::PyBool>() {
                    return Err(bad(name, what, &v));
                }
                v.extract::<T>().map(Some).map_err(|_| bad(name, what, &v))
            }
        }
    }

    fn set<T: for<'a> FromPyObject<'a>>(
        &mut self,
        name: &str,
        what: &str,
        to: &mut T,
    ) -> PyResult<()> {
        if let Some(v) = self.get(name, what)? {
            *to = v;
        }
        Ok(())
    }

    fn choice(&mut self, name: &str, choices: &[&str]) -> PyResult<Option<String>> {
        let Some(v) = self.get::<String>(name, "a string")? else {
            return Ok(None);
        };
        if !choices.contains(&v.as_str()) {
            return Err(ConfigError::new_err(format!(
                "option `{name}` must be one of {}, got {v:?}",
                choices
                    .iter()
                    .map(|c| format!("{c:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        Ok(Some(v))
    }

    /// Fails on keywords not read.
    fn finish(self, known: &str) -> PyResult<()> {
        if let Some((k, _)) = self
            .map
            .iter()
            .zip(&self.used)
            .find(|(_, u)| !**u)
            .map(|(kv, _)| kv)
        {
            return Err(ConfigError::new_err(format!(
                "unknown option `{k}`; the options are: {known}"
            )));
        }
        Ok(())
    }
}

fn bad(name: &str, what: &str, v: &Bound<'_, PyAny>) -> PyErr {
    let ty = v
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into());
    ConfigError::new_err(format!("option `{name}` must be {what}, got {ty}"))
}

const SKETCH_OPTIONS: &str = "threshold, ngram, num_perm, seed, scheme, shingle, bands, rows, max_bucket, max_doc_bytes, id_field, text_field, threads";

/// The sketch options shared by scan and filter (`syndup scan/filter --threshold ...`).
fn sketch_options(o: &mut Options<'_>, c: &mut Config) -> PyResult<()> {
    o.set("threshold", "a number", &mut c.threshold)?;
    o.set("ngram", "an integer", &mut c.ngram)?;
    o.set("num_perm", "an integer", &mut c.num_perm)?;
    o.set("seed", "an integer", &mut c.seed)?;
    if let Some(s) = o.choice("scheme", &["densified", "classic"])? {
        c.scheme = if s == "classic" {
            Scheme::Classic
        } else {
            Scheme::Densified
        };
    }
    if let Some(s) = o.choice("shingle", &["word", "char"])? {
        c.shingle = if s == "char" {
            ShingleKind::Char
        } else {
            ShingleKind::Word
        };
    }
    c.bands = o.get("bands", "an integer")?;
    c.rows = o.get("rows", "an integer")?;
    if c.bands.is_some() != c.rows.is_some() {
        return Err(ConfigError::new_err(
            "options `bands` and `rows` go together: give both or neither",
        ));
    }
    o.set("max_bucket", "an integer", &mut c.max_bucket)?;
    o.set("max_doc_bytes", "an integer", &mut c.max_doc_bytes)?;
    o.set("id_field", "a string", &mut c.fields.id)?;
    o.set("text_field", "a string", &mut c.fields.text)?;
    Ok(())
}

const SCAN_OPTIONS: &str = "verify, keep, cluster, strict, windows_1252, date_field, title_field, group_field, containment, containment_min_shingles, containment_sample, containment_max_df, passages, window, group_pairs, sentences, sentence_threshold, sentence_min_words, sentence_length_ratio, numbers_must_match, boilerplate_min_docs, boilerplate_min_share, keep_boilerplate, max_occurrences, sentence_num_perm";

/// The options of `syndup.scan`, as `syndup scan` reads its flags; returns the config and
/// the thread count.
fn scan_config(kw: Option<&Bound<'_, PyDict>>) -> PyResult<(Config, Option<usize>)> {
    let mut o = Options::new(kw)?;
    let mut c = Config::default();
    sketch_options(&mut o, &mut c)?;
    if let Some(v) = o.choice("verify", &["exact", "estimate"])? {
        c.verify = if v == "estimate" {
            VerifyMode::Estimate
        } else {
            VerifyMode::Exact
        };
    }
    if let Some(v) = o.choice("keep", &["first", "longest", "earliest", "source"])? {
        c.keep = match v.as_str() {
            "first" => KeepPolicy::First,
            "longest" => KeepPolicy::Longest,
            "earliest" => KeepPolicy::Earliest,
            _ => KeepPolicy::Source,
        };
    }
    if let Some(v) = o.choice("cluster", &["guarded", "components"])? {
        c.cluster = if v == "components" {
            ClusterMode::Components
        } else {
            ClusterMode::Guarded
        };
    }
    o.set("strict", "a bool", &mut c.strict)?;
    o.set("windows_1252", "a bool", &mut c.windows_1252)?;
    // Like the flags: an empty name turns the field off.
    if let Some(v) = o.get::<String>("date_field", "a string")? {
        c.fields.date = (!v.is_empty()).then_some(v);
    }
    if let Some(v) = o.get::<String>("title_field", "a string")? {
        c.fields.title = (!v.is_empty()).then_some(v);
    }
    if let Some(v) = o.get::<String>("group_field", "a string")? {
        c.fields.group = (!v.is_empty()).then_some(v);
    }
    let mut containment = ContainmentConfig::default();
    if let Some(v) = o.raw("containment") {
        containment.threshold = match v.extract::<f64>() {
            Ok(x) if !v.is_instance_of::<pyo3::types::PyBool>() => Some(x),
            _ if v.extract::<String>().is_ok_and(|s| s == "off") => None,
            _ if v.extract::<bool>().is_ok_and(|b| !b) => None,
            _ => {
                return Err(bad(
                    "containment",
                    "a number in (0, 1], \"off\" or False",
                    &v,
                ))
            }
        };
    }
    o.set(
        "containment_min_shingles",
        "an integer",
        &mut containment.min_shingles,
    )?;
    containment.sample = o.get("containment_sample", "an integer")?;
    o.set("containment_max_df", "an integer", &mut containment.max_df)?;
    c.containment = containment;
    o.set("passages", "a bool", &mut c.passages)?;
    c.window_days = o.get("window", "an integer")?;
    c.group_pairs = match o
        .choice("group_pairs", &["all", "across", "within"])?
        .as_deref()
    {
        Some("all") => GroupPairs::All,
        Some("within") => GroupPairs::Within,
        Some(_) => GroupPairs::Across,
        None if c.fields.group.is_some() => GroupPairs::Across,
        None => GroupPairs::All,
    };
    if let Some(v) = o.raw("sentences") {
        c.sentences.mode = if let Ok(b) = v.extract::<bool>() {
            if b {
                SentenceMode::Standard
            } else {
                SentenceMode::Off
            }
        } else {
            match v.extract::<String>().ok().as_deref() {
                Some("off") => SentenceMode::Off,
                Some("standard") => SentenceMode::Standard,
                Some("full") => SentenceMode::Full,
                _ => {
                    return Err(bad(
                        "sentences",
                        "True, False, \"off\", \"standard\" or \"full\"",
                        &v,
                    ))
                }
            }
        };
    }
    let s = &mut c.sentences;
    o.set("sentence_threshold", "a number", &mut s.threshold)?;
    o.set("sentence_min_words", "an integer", &mut s.min_words)?;
    o.set("sentence_length_ratio", "a number", &mut s.length_ratio)?;
    o.set("numbers_must_match", "a bool", &mut s.numbers_must_match)?;
    o.set(
        "boilerplate_min_docs",
        "an integer",
        &mut s.boilerplate_min_docs,
    )?;
    o.set(
        "boilerplate_min_share",
        "a number",
        &mut s.boilerplate_min_share,
    )?;
    o.set("keep_boilerplate", "a bool", &mut s.keep_boilerplate)?;
    o.set("max_occurrences", "an integer", &mut s.max_occurrences)?;
    o.set("sentence_num_perm", "an integer", &mut s.num_perm)?;
    let threads = threads(&mut o)?;
    o.finish(&format!("{SKETCH_OPTIONS}, {SCAN_OPTIONS}"))?;
    Ok((c, threads))
}

fn threads(o: &mut Options<'_>) -> PyResult<Option<usize>> {
    let t: Option<usize> = o.get("threads", "an integer")?;
    if t == Some(0) {
        return Err(ConfigError::new_err(
            "option `threads` must be at least 1 (or None for all cores)",
        ));
    }
    Ok(t)
}

/// The options of `syndup.Filter`, as `syndup filter` reads its flags.
fn filter_config(kw: Option<&Bound<'_, PyDict>>) -> PyResult<(Config, Option<usize>)> {
    let mut o = Options::new(kw)?;
    let mut c = Config {
        verify: VerifyMode::Estimate,
        keep: KeepPolicy::First,
        cluster: ClusterMode::Guarded,
        strict: false,
        fields: Fields {
            date: None,
            title: None,
            group: None,
            ..Fields::default()
        },
        containment: ContainmentConfig {
            threshold: None,
            ..Default::default()
        },
        passages: false,
        ..Config::default()
    };
    sketch_options(&mut o, &mut c)?;
    if o.get::<bool>("exact", "a bool")?.unwrap_or(false) {
        c.verify = VerifyMode::Exact;
    }
    let threads = threads(&mut o)?;
    o.finish(&format!("{SKETCH_OPTIONS}, exact"))?;
    Ok((c, threads))
}

fn validated(py: Python<'_>, c: &Config) -> PyResult<()> {
    c.validate().map_err(|e| to_py(py, e))
}

/// The JSON report (the bytes `syndup scan --format json` writes) and the problems count.
fn report_json(outcome: &syndup::Outcome) -> syndup::Result<String> {
    let w = syndup::report::Writer::new(&outcome.report, Format::Json, &[])?;
    let mut out = Vec::new();
    w.write(&mut out).map_err(|e| Error::io("<report>", e))?;
    String::from_utf8(out).map_err(|e| Error::internal(e.to_string()))
}

/// Scans files and directories (everything `syndup scan` reads); returns the JSON report.
#[pyfunction]
#[pyo3(signature = (paths, **options))]
fn scan_paths(
    py: Python<'_>,
    paths: Vec<std::path::PathBuf>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<String> {
    let (config, threads) = scan_config(options)?;
    validated(py, &config)?;
    let sources: Vec<Source> = paths.into_iter().map(Source::Path).collect();
    work(py, threads, move || {
        // As the command line does before any work: a field no record has stops the scan.
        let expanded = syndup::input::expand(&sources);
        if let Some(s) = syndup::input::probe::sample(&expanded.files, config.max_doc_bytes)? {
            let needs = syndup::input::probe::Needs {
                dates: matches!(config.keep, KeepPolicy::Earliest) || config.window_days.is_some(),
            };
            s.check(&config.fields, needs)?;
        }
        let det = Detector::new(config)?;
        let outcome = det.scan(&sources, &syndup::NoProgress)?;
        report_json(&outcome)
    })
}

/// Scans documents given as a list of dicts (or any iterable of mappings).
#[pyfunction]
#[pyo3(signature = (records, **options))]
fn scan_records(
    py: Python<'_>,
    records: &Bound<'_, PyAny>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<String> {
    let (config, threads) = scan_config(options)?;
    validated(py, &config)?;
    let docs = documents_of(records, &config.fields)?;
    work(py, threads, move || {
        let det = Detector::new(config)?;
        report_json(&det.scan_documents(docs)?)
    })
}

/// A field of a record: a string, or an integer shown as digits (ids); `None` when absent.
fn field(rec: &Bound<'_, PyAny>, name: &str, what: &str, n: usize) -> PyResult<Option<String>> {
    if name.is_empty() {
        return Ok(None);
    }
    let v = match rec.get_item(name) {
        Ok(v) => v,
        Err(e) if e.is_instance_of::<pyo3::exceptions::PyKeyError>(rec.py()) => return Ok(None),
        Err(e) if e.is_instance_of::<pyo3::exceptions::PyTypeError>(rec.py()) => {
            return Err(InputError::new_err(format!(
                "record {n} is a {}, not a dict: give records as mappings with an `{name}` field",
                rec.get_type().name()?
            )))
        }
        Err(e) => return Err(e),
    };
    if v.is_none() {
        return Ok(None);
    }
    if v.is_instance_of::<PyString>() {
        return Ok(Some(v.extract::<String>()?));
    }
    if v.is_instance_of::<pyo3::types::PyInt>() && !v.is_instance_of::<pyo3::types::PyBool>() {
        return Ok(Some(v.str()?.to_string()));
    }
    Err(InputError::new_err(format!(
        "record {n}: {what} field `{name}` is a {}, not a string",
        v.get_type().name()?
    )))
}

/// Documents from an iterable of mappings. A missing id or text gives an empty one, which the
/// library reports as a problem at `<memory>:N` (or raises under strict).
fn documents_of(records: &Bound<'_, PyAny>, f: &Fields) -> PyResult<Vec<Document>> {
    let mut docs = Vec::new();
    for (i, rec) in records.try_iter()?.enumerate() {
        let rec = rec?;
        let n = i + 1;
        docs.push(Document {
            id: field(&rec, &f.id, "id", n)?.unwrap_or_default(),
            text: field(&rec, &f.text, "text", n)?.unwrap_or_default(),
            date: f
                .date
                .as_deref()
                .map(|d| field(&rec, d, "date", n))
                .transpose()?
                .flatten(),
            title: f
                .title
                .as_deref()
                .map(|d| field(&rec, d, "title", n))
                .transpose()?
                .flatten(),
            group: f
                .group
                .as_deref()
                .map(|d| field(&rec, d, "group", n))
                .transpose()?
                .flatten(),
        });
    }
    Ok(docs)
}

/// Record batches from an object with `__arrow_c_stream__` (a pyarrow Table, RecordBatch or
/// RecordBatchReader): the Arrow C stream interface, no Python object per row.
fn arrow_batches(data: &Bound<'_, PyAny>) -> PyResult<Vec<RecordBatch>> {
    let capsule = data.call_method0("__arrow_c_stream__")?;
    let capsule = capsule.downcast::<PyCapsule>()?;
    let ptr = capsule.pointer() as *mut FFI_ArrowArrayStream;
    if ptr.is_null() {
        return Err(InputError::new_err("the Arrow stream is empty"));
    }
    // SAFETY: a PyCapsule named "arrow_array_stream" holds a valid FFI_ArrowArrayStream
    // (the Arrow PyCapsule interface); `from_raw` moves it out and leaves a released stream
    // behind, which the capsule's destructor then ignores.
    let reader = unsafe { RecordBatchStreamReader::from_raw(ptr) }
        .map_err(|e| InputError::new_err(format!("cannot read the Arrow stream: {e}")))?;
    let _schema = reader.schema();
    reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| InputError::new_err(format!("cannot read the Arrow stream: {e}")))
}

/// A column's values as strings (string columns; integer ids shown as digits).
enum Col<'a> {
    Utf8(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
    Int(Vec<Option<String>>),
}

impl Col<'_> {
    fn get(&self, i: usize) -> Option<String> {
        match self {
            Col::Utf8(a) => a.is_valid(i).then(|| a.value(i).to_string()),
            Col::Large(a) => a.is_valid(i).then(|| a.value(i).to_string()),
            Col::View(a) => a.is_valid(i).then(|| a.value(i).to_string()),
            Col::Int(v) => v[i].clone(),
        }
    }
}

fn column<'a>(
    rb: &'a RecordBatch,
    name: &str,
    option: &str,
    required: bool,
) -> Result<Option<Col<'a>>, String> {
    if name.is_empty() {
        return Ok(None);
    }
    let Some(a) = rb.column_by_name(name) else {
        if !required {
            return Ok(None);
        }
        let names: Vec<String> = rb
            .schema()
            .fields()
            .iter()
            .map(|f| format!("`{}`", f.name()))
            .collect();
        return Err(format!(
            "no column `{name}` (option `{option}`); the columns are {}",
            names.join(", ")
        ));
    };
    Ok(Some(match a.data_type() {
        DataType::Utf8 => Col::Utf8(a.as_string::<i32>()),
        DataType::LargeUtf8 => Col::Large(a.as_string::<i64>()),
        DataType::Utf8View => Col::View(a.as_string_view()),
        t if t.is_integer() && option == "id_field" => {
            let s = arrow_cast_ints(a.as_ref());
            Col::Int(s)
        }
        t => {
            return Err(format!(
                "column `{name}` (option `{option}`) is {t}, not a string column"
            ))
        }
    }))
}

fn arrow_cast_ints(a: &dyn Array) -> Vec<Option<String>> {
    use arrow_array::types::*;
    macro_rules! ints {
        ($($t:ty),*) => {
            $(if let Some(p) = a.as_primitive_opt::<$t>() {
                return (0..p.len()).map(|i| p.is_valid(i).then(|| p.value(i).to_string())).collect();
            })*
        };
    }
    ints!(Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type);
    vec![None; a.len()]
}

/// Documents from Arrow record batches, columns chosen by the field options.
fn documents_of_batches(batches: &[RecordBatch], f: &Fields) -> Result<Vec<Document>, String> {
    let mut docs = Vec::with_capacity(batches.iter().map(|b| b.num_rows()).sum());
    for rb in batches {
        let id = column(rb, &f.id, "id_field", true)?;
        let text = column(rb, &f.text, "text_field", true)?;
        let opt = |n: &Option<String>, o: &str| -> Result<Option<Col>, String> {
            match n {
                Some(n) => column(rb, n, o, false),
                None => Ok(None),
            }
        };
        let (date, title, group) = (
            opt(&f.date, "date_field")?,
            opt(&f.title, "title_field")?,
            column(rb, f.group.as_deref().unwrap_or(""), "group_field", true)?,
        );
        for i in 0..rb.num_rows() {
            let get = |c: &Option<Col>| c.as_ref().and_then(|c| c.get(i));
            docs.push(Document {
                id: get(&id).unwrap_or_default(),
                text: get(&text).unwrap_or_default(),
                date: get(&date),
                title: get(&title),
                group: get(&group),
            });
        }
    }
    Ok(docs)
}

/// Scans an Arrow stream (pyarrow Table, RecordBatch, RecordBatchReader).
#[pyfunction]
#[pyo3(signature = (data, **options))]
fn scan_arrow(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<String> {
    let (config, threads) = scan_config(options)?;
    validated(py, &config)?;
    let batches = arrow_batches(data)?;
    let fields = config.fields.clone();
    let docs = py
        .allow_threads(|| documents_of_batches(&batches, &fields))
        .map_err(ConfigError::new_err)?;
    drop(batches);
    work(py, threads, move || {
        let det = Detector::new(config)?;
        report_json(&det.scan_documents(docs)?)
    })
}

/// The streaming filter: records checked one batch at a time against everything kept before
/// (in this filter, and in earlier runs through a persistent index).
#[pyclass(module = "syndup._syndup")]
struct NativeFilter {
    inner: Mutex<Option<StreamFilter>>,
    pool: rayon::ThreadPool,
    fields: Fields,
}

#[pymethods]
impl NativeFilter {
    #[new]
    #[pyo3(signature = (index=None, reference=false, **options))]
    fn new(
        py: Python<'_>,
        index: Option<std::path::PathBuf>,
        reference: bool,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<NativeFilter> {
        let (config, threads) = filter_config(options)?;
        validated(py, &config)?;
        if reference && index.is_none() {
            return Err(ConfigError::new_err(
                "option `reference` needs an `index` to check against",
            ));
        }
        let fields = config.fields.clone();
        let pool = pool(threads)?;
        let filter = work_in(py, &pool, move || {
            let idx = match (&index, reference) {
                (Some(p), true) => Index::open_reference(p, &config)?,
                (Some(p), false) => Index::open(p, &config)?,
                (None, _) => Index::in_memory(&config)?,
            };
            StreamFilter::new(config, idx)
        })?;
        Ok(NativeFilter {
            inner: Mutex::new(Some(filter)),
            pool,
            fields,
        })
    }

    /// The id and text field names.
    #[getter]
    fn fields(&self) -> (String, String) {
        (self.fields.id.clone(), self.fields.text.clone())
    }

    /// Decides a batch of (id, text) pairs in order and commits it; returns one
    /// (kept, relation, dup_of, similarity, problem message) tuple per record.
    #[allow(clippy::type_complexity)]
    fn check_batch(
        &self,
        py: Python<'_>,
        ids: Vec<String>,
        texts: Vec<String>,
    ) -> PyResult<Vec<(bool, String, Option<String>, Option<f64>, Option<String>)>> {
        if ids.len() != texts.len() {
            return Err(InternalError::new_err("ids and texts differ in length"));
        }
        let docs: Vec<Document> = ids
            .into_iter()
            .zip(texts)
            .map(|(id, text)| Document {
                id,
                text,
                ..Document::default()
            })
            .collect();
        let mut guard = self
            .inner
            .lock()
            .map_err(|_| InternalError::new_err("the filter was poisoned by an earlier panic"))?;
        let Some(filter) = guard.as_mut() else {
            return Err(ConfigError::new_err("the filter is closed"));
        };
        let verdicts = work_in(py, &self.pool, || filter.check_documents(&docs))?;
        Ok(verdicts
            .into_iter()
            .map(|v| match v {
                Verdict::Kept { .. } => (true, "unique".to_string(), None, None, None),
                Verdict::Duplicate {
                    dup_of,
                    similarity,
                    relation,
                    ..
                } => (
                    false,
                    relation.name().to_string(),
                    Some(dup_of),
                    Some(syndup::verify::round4(similarity)),
                    None,
                ),
                Verdict::Rejected(p) => (
                    false,
                    "rejected".to_string(),
                    None,
                    None,
                    Some(format!("{}: {}", p.kind.name(), p.message)),
                ),
            })
            .collect())
    }

    /// Counts: records kept, duplicates, rejected, and records in the index.
    fn stats(&self) -> PyResult<(u64, u64, u64, u64)> {
        let guard = self
            .inner
            .lock()
            .map_err(|_| InternalError::new_err("the filter was poisoned by an earlier panic"))?;
        let Some(f) = guard.as_ref() else {
            return Err(ConfigError::new_err("the filter is closed"));
        };
        let s = f.stats();
        Ok((s.kept, s.duplicates, s.rejected, f.index().len()))
    }

    /// Closes the index (committed already after every batch). Idempotent.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let mut guard = self
            .inner
            .lock()
            .map_err(|_| InternalError::new_err("the filter was poisoned by an earlier panic"))?;
        if let Some(f) = guard.take() {
            work_in(py, &self.pool, move || f.close())?;
        }
        Ok(())
    }
}

/// The native module.
#[pymodule]
fn _syndup(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("Error", py.get_type::<SyndupError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("IndexFileError", py.get_type::<IndexFileError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    m.add_function(wrap_pyfunction!(scan_paths, m)?)?;
    m.add_function(wrap_pyfunction!(scan_records, m)?)?;
    m.add_function(wrap_pyfunction!(scan_arrow, m)?)?;
    m.add_class::<NativeFilter>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
