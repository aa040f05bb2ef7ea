//! The `syndup` command line: flags -> [`syndup::Config`] -> library -> writer -> exit code.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use syndup::{
    ClusterMode, Config, ContainmentConfig, Detector, Fields, Format, GroupPairs, KeepPolicy,
    Scheme, SentenceConfig, SentenceMode, ShingleKind, Source, VerifyMode,
};

mod checks;
mod dist;
mod extra;
mod filter;
mod harness;
mod progress;
mod scan;

/// `--version`: the package version and the commit it was built from (when built in a git
/// checkout; see build.rs).
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), env!("SYNDUP_COMMIT"));

/// Find near-duplicate articles, syndicated copies and repeated text in corpora.
#[derive(Parser, Debug)]
#[command(name = "syndup", version = VERSION, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Scan documents and report clusters of near-duplicates.
    ///
    /// Inputs: .txt/.md files (one document each, id = path; not UTF-8: their encoding is
    /// detected), .jsonl/.ndjson, also .gz/.zst (one document per line), directories
    /// (recursively), and - or no path for JSON Lines on stdin.
    /// Exit status: 0 success, 1 duplicates found (only with --exit-code), 2 errors or bad
    /// records (they are reported with path:line and the run goes on unless --strict).
    Scan(Box<ScanArgs>),
    /// Generate a planted-truth corpus (documents + ground truth) from seed text.
    ///
    /// Builds a word-level Markov model from the seed text, writes novel base articles,
    /// plants near-duplicate families (exact, light, medium, heavy, partial copies),
    /// within-page sentence near-repeats and shared boilerplate, and records every planted
    /// pair and repeat. Deterministic: the same seed text and options give the same bytes.
    Generate(GenerateArgs),
    /// Score a result against planted truth: pairwise precision/recall/F1 (overall and per
    /// edit level) and the adjusted Rand index of the clusters.
    ///
    /// RESULT is a syndup JSON report, or a TSV of `a<TAB>b` pairs, or of `cluster<TAB>doc`
    /// lines after a `#clusters` line (what any other tool can write).
    Eval(EvalArgs),
    /// Pre-filter a stream of JSON Lines: drop (or annotate) near-duplicates of anything kept
    /// before, in this run or in earlier runs (--index), and pass the rest on byte-identical.
    ///
    /// Each record is checked against every record kept before it, in input order. Kept
    /// records go to stdout unchanged; duplicates are dropped, or written with --duplicates
    /// or --annotate; unreadable records are reported with path:line (--rejects). Exit status:
    /// 0 success, 2 errors or rejected records.
    Filter(filter::FilterArgs),
    /// Inspect a persistent index of `syndup filter`.
    #[command(subcommand)]
    Index(IndexCommand),
    /// Distributed flow, step 1: fix every parameter and the ordered shard list in a
    /// fingerprinted manifest (every later step refuses files made with another one).
    Plan(Box<dist::PlanArgs>),
    /// Distributed flow, step 2 (per shard): one JSON Lines shard -> Parquet band rows,
    /// document rows (id, length, date, MinHash, sorted shingle hashes) and rejected records.
    ///
    /// Writes DIR/bands/shard-N.parquet, DIR/docs/shard-N.parquet, DIR/rejects/shard-N.jsonl
    /// and (containment on) DIR/samples/shard-N.parquet (temporary names, then renamed); a
    /// shard already signed with
    /// this manifest is skipped. Prints one JSON line of counts per shard. Exit status: 0, or 2
    /// when records were rejected (listed with path:line and reason in rejects/).
    Sign(dist::SignArgs),
    /// Distributed flow, step 3 on one machine (the engine's oracle): what `scan` finds, from
    /// the signed files: pairs with relation and passages, guarded clusters, sources and
    /// roles, ids used in two shards -> DIR/pairs/, DIR/clusters/, DIR/problems/.
    ClusterLocal(dist::ClusterLocalArgs),
    /// Distributed flow, the engine's map step over whole components: pairs with relation
    /// and passages, guarded clusters, sources and roles, with scan's own code.
    Assemble(dist::AssembleArgs),
    /// Distributed flow, step 4 (per shard): write the shard's kept records byte-identical,
    /// and its duplicates annotated with `dup_of`, `similarity` and `relation`.
    Apply(dist::ApplyArgs),
    /// Write the Python driver that runs the distributed flow's step 3 on Apache Spark or on a
    /// Spark Connect server such as Sail (Spark SQL built-ins only).
    SparkDriver(dist::DriverArgs),
    /// Explain one pair without a corpus: scores, the chance LSH makes it a candidate, the
    /// relation a scan would report, and the shared passages.
    ///
    /// A and B are text files, each one document (its encoding detected as for `scan`). Same
    /// similarity flags as `scan`. Exit status: 0 when a scan would report the pair, 1 when
    /// not, 2 on errors.
    Compare(extra::CompareArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    ///
    /// For example: `syndup completions bash > ~/.local/share/bash-completion/completions/syndup`
    /// or `syndup completions zsh > "${fpath[1]}/_syndup"`.
    Completions(extra::CompletionsArgs),
    /// Print the man page (roff), for example `syndup man > ~/.local/share/man/man1/syndup.1`.
    Man,
}

#[derive(Subcommand, Debug)]
enum IndexCommand {
    /// Check every row of an index: SQLite's integrity check, each row's checksum, and that
    /// the tables agree (band keys are those of the signatures, verdicts point at records
    /// that exist). Exit status: 0 when intact, 2 when anything is wrong (listed on stdout).
    Verify {
        /// The index file.
        #[arg(value_name = "INDEX")]
        path: PathBuf,
    },
}

#[derive(Args, Debug)]
struct EvalArgs {
    /// The result to score.
    #[arg(value_name = "RESULT")]
    result: PathBuf,
    /// The truth file written by `syndup generate`.
    #[arg(long)]
    truth: PathBuf,
    /// The corpus the truth describes (for the document list and true Jaccard).
    #[arg(long)]
    corpus: PathBuf,
    /// Recall is measured on planted pairs whose true Jaccard is at least this.
    #[arg(short, long, default_value_t = 0.8)]
    threshold: f64,
    /// Word shingle length for the true Jaccard.
    #[arg(short = 'k', long, default_value_t = 5)]
    ngram: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Also write the S-curve (theory for the scan's bands x rows at --threshold and
    /// --num-perm, and the detection rate measured on the planted pairs) as SVG to FILE.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// MinHash signature length used for the measured S-curve.
    #[arg(long, default_value_t = 128)]
    num_perm: usize,
    /// MinHash seed used for the measured S-curve.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Args, Debug)]
struct GenerateArgs {
    /// Seed text: .txt/.md files, .jsonl files (text field), directories (at least 2,000 words).
    #[arg(long = "from", value_name = "PATH", default_value = "samples")]
    from: Vec<String>,
    /// Documents to write.
    #[arg(short = 'n', long, default_value_t = 10_000)]
    docs: usize,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Share of documents that are copies of another.
    #[arg(long, default_value_t = 0.3)]
    copy_share: f64,
    /// Edit levels to plant (comma-separated: exact, light, medium, heavy, partial).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "exact,light,medium,heavy,partial"
    )]
    levels: Vec<String>,
    /// Mean words per base document.
    #[arg(long, default_value_t = 550)]
    mean_words: usize,
    /// Directory to write `corpus.jsonl` and `truth.jsonl` into.
    #[arg(short, long, value_name = "DIR")]
    out_dir: PathBuf,
}

/// How JSON Lines records are read, the same flags for `scan` and `filter`.
#[derive(Args, Debug)]
pub(crate) struct RecordArgs {
    /// JSON field with the document id (string or integer); '' uses path:line.
    #[arg(
        long,
        default_value = "id",
        value_name = "NAME",
        help_heading = "Input"
    )]
    id_field: String,
    /// JSON field with the text.
    #[arg(
        long,
        default_value = "text",
        value_name = "NAME",
        help_heading = "Input"
    )]
    text_field: String,
}

/// Shingle, MinHash and LSH settings, the same flags for `scan` and `filter` (an index is only
/// comparable with runs that use the same values).
#[derive(Args, Debug)]
pub(crate) struct SketchArgs {
    /// Shingle unit. Text in scripts without spaces (Chinese, Japanese, Thai) is cut into
    /// characters automatically, even with `word`.
    #[arg(long, value_enum, default_value_t = ShingleArg::Word, help_heading = "Similarity")]
    shingle: ShingleArg,
    /// Shingle length k (words or characters).
    #[arg(short = 'k', long, default_value_t = 5, help_heading = "Similarity")]
    ngram: usize,
    /// Jaccard similarity at or above which two texts are near-duplicates.
    #[arg(short, long, default_value_t = 0.8, help_heading = "Similarity")]
    threshold: f64,
    /// MinHash signature length.
    #[arg(long, default_value_t = 128, help_heading = "MinHash and LSH")]
    num_perm: usize,
    /// MinHash seed.
    #[arg(long, default_value_t = 1, help_heading = "MinHash and LSH")]
    seed: u64,
    /// MinHash scheme: `densified` one-permutation hashing (fast) or `classic` k-permutation.
    #[arg(long, value_enum, default_value_t = SchemeArg::Densified, help_heading = "MinHash and LSH")]
    scheme: SchemeArg,
    /// LSH bands (with --rows); derived from --threshold when absent.
    #[arg(long, requires = "rows", help_heading = "MinHash and LSH")]
    bands: Option<usize>,
    /// LSH rows per band (with --bands).
    #[arg(long, requires = "bands", help_heading = "MinHash and LSH")]
    rows: Option<usize>,
}

impl SketchArgs {
    /// Sets these values on `c`.
    pub(crate) fn apply(&self, c: &mut Config) {
        c.shingle = match self.shingle {
            ShingleArg::Word => ShingleKind::Word,
            ShingleArg::Char => ShingleKind::Char,
        };
        c.ngram = self.ngram;
        c.num_perm = self.num_perm;
        c.seed = self.seed;
        c.scheme = match self.scheme {
            SchemeArg::Densified => Scheme::Densified,
            SchemeArg::Classic => Scheme::Classic,
        };
        c.threshold = self.threshold;
        c.bands = self.bands;
        c.rows = self.rows;
    }
}

#[derive(Args, Debug)]
struct ScanArgs {
    /// Files, directories, or - for JSON Lines on standard input (the default when no path is
    /// given and standard input is not a terminal).
    #[arg(value_name = "PATH")]
    paths: Vec<std::ffi::OsString>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = FormatArg::Text, help_heading = "Output")]
    format: FormatArg,
    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE", help_heading = "Output")]
    output: Option<PathBuf>,
    /// Exit with status 1 when duplicates were found (like `git diff --exit-code`).
    #[arg(long, help_heading = "Output")]
    exit_code: bool,
    /// No progress bar (it is only drawn when stderr is a terminal anyway).
    #[arg(long, help_heading = "Output")]
    no_progress: bool,
    /// No summary line on stderr.
    #[arg(short, long, help_heading = "Output")]
    quiet: bool,
    /// Also print each stage's time, throughput and the peak memory reached by its end.
    #[arg(short, long, help_heading = "Output", conflicts_with = "quiet")]
    verbose: bool,
    /// Text report: only the summary lines (counts and settings).
    #[arg(long, help_heading = "Output", conflicts_with = "top")]
    summary: bool,
    /// Text report: only the N largest clusters with their pairs, and the first N repeats and
    /// problems.
    #[arg(long, value_name = "N", help_heading = "Output")]
    top: Option<usize>,
    /// Text report: list every cluster, pair, repeat and problem even when there are many
    /// (over 1,000 clusters the text report lists the 100 largest unless this is given).
    #[arg(long, help_heading = "Output", conflicts_with_all = ["top", "summary"])]
    all: bool,
    /// Write the records a dedupe keeps (representatives and documents in no cluster) to FILE:
    /// JSON Lines records byte for byte, one per line; documents read from .txt/.md files as
    /// their path.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    kept: Option<PathBuf>,
    /// Write the records a dedupe drops (cluster members other than the representative) to
    /// FILE, like --kept.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    dropped: Option<PathBuf>,

    #[command(flatten)]
    record: RecordArgs,
    /// JSON field with a date (ISO 8601, DD-MON-YYYY hh:mm:ss, or Unix seconds); '' for none.
    #[arg(
        long,
        default_value = "date",
        value_name = "NAME",
        help_heading = "Input"
    )]
    date_field: String,
    /// JSON field with a title to show in reports.
    #[arg(
        long,
        default_value = "title",
        value_name = "NAME",
        help_heading = "Input"
    )]
    title_field: String,
    /// JSON field with a group such as the publisher (string or number); see --group-pairs.
    #[arg(long, value_name = "NAME", help_heading = "Input")]
    group_field: Option<String>,
    /// Stop at the first bad record instead of reporting it and going on.
    #[arg(long, help_heading = "Input")]
    strict: bool,
    /// Read JSON Lines records that are not valid UTF-8 as Windows-1252 (Latin-1 plus curly
    /// quotes; older Western European exports) where they break, instead of reporting them as
    /// problems. Text files (.txt, .md) need no flag: one that is not UTF-8 is read in the
    /// encoding detected for it (with the flag, as Windows-1252 where it breaks). Such records
    /// are counted (`recoded`); byte offsets index the decoded UTF-8 text.
    #[arg(long, help_heading = "Input")]
    windows_1252: bool,
    /// Skip (and report) documents larger than this many bytes.
    #[arg(long, default_value_t = 64 << 20, value_name = "BYTES", help_heading = "Input")]
    max_doc_bytes: usize,
    /// Memory the scan aims to stay within (e.g. 800M, 4G). What it keeps per document (about
    /// 0.8 KB at the defaults) is not bounded by it; the documents of candidate pairs, read
    /// again to verify, cluster and align them, are held a batch at a time within what is
    /// left (at least 64 MB a batch). It changes how many batches that takes, never the
    /// report. Default: 1/48 of the machine's memory (512 MB on 24 GB), at least 256 MB.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, help_heading = "Input")]
    memory: Option<u64>,
    /// Directory for the spool, a temporary file where records of standard input, FIFOs and
    /// .gz/.zst files are copied as they are read, so they can be read again by offset (as
    /// large as those inputs decompressed; removed at the end). Default: the system's
    /// temporary directory (TMPDIR).
    #[arg(long, value_name = "DIR", help_heading = "Input")]
    tmp_dir: Option<std::path::PathBuf>,

    #[command(flatten)]
    sketch: SketchArgs,
    /// How candidates are verified. `exact` compares the exact shingle sets (keeps 8 bytes per
    /// distinct shingle in memory, about 8 bytes per word). `estimate` uses the MinHash
    /// signatures only: much less memory, but Jaccard is an estimate (standard error about
    /// sqrt(J(1-J)/num-perm), 0.035 at J=0.8 with 128) and pairs near the threshold may be
    /// missed or wrongly kept.
    #[arg(long, value_enum, default_value_t = VerifyArg::Exact, help_heading = "Similarity")]
    verify: VerifyArg,
    /// Which member of a cluster is its representative (kept by a dedupe). `source`, the
    /// default, keeps the likely original: on a generated corpus of 20,000 documents it kept
    /// the planted original in 89% of clusters, `first` in 31% (see the README).
    #[arg(long, value_enum, default_value_t = KeepArg::Source, help_heading = "Similarity")]
    keep: KeepArg,
    /// How matches become clusters. `guarded`: a document joins a cluster only if it meets the
    /// threshold against the representative itself (no chaining; a leftover document may stay
    /// outside any cluster though its pair is reported). `components`: plain union-find
    /// components, as other tools do (chains of matches can join far-apart documents).
    #[arg(long, value_enum, default_value_t = ClusterArg::Guarded, help_heading = "Similarity")]
    cluster: ClusterArg,

    /// Partial copies: also report pairs where at least this share of one document's shingles
    /// lies in the other (a story trimmed, under a new intro, or inside a longer page), however
    /// low their Jaccard. `off` for Jaccard only. For partial reuse of a few sentences (e.g.
    /// plagiarism) use `--containment 0.2 --ngram 3`.
    #[arg(long, default_value = "0.7", value_name = "C|off", value_parser = parse_containment, help_heading = "Containment")]
    containment: ContainmentArg,
    /// A contained document needs at least this many distinct shingles (a one-line text would
    /// otherwise be "contained" in every page that quotes it).
    #[arg(
        long,
        default_value_t = 20,
        value_name = "N",
        help_heading = "Containment"
    )]
    containment_min_shingles: u32,
    /// Index one shingle in R (by hash) in the containment search; 1 indexes all (slower, best
    /// on short texts of under 50 words). Default: 8 at --containment 0.5 and above, else 1.
    #[arg(long, value_name = "R", help_heading = "Containment")]
    containment_sample: Option<u64>,
    /// Shingles found in more documents than this are not indexed by the containment search
    /// (boilerplate; they would make it quadratic).
    #[arg(
        long,
        default_value_t = 200,
        value_name = "N",
        help_heading = "Containment"
    )]
    containment_max_df: usize,
    /// Do not compute the aligned shared passages of each pair (they need the texts read
    /// again: a little time).
    #[arg(long, help_heading = "Containment")]
    no_passages: bool,
    /// Compare only documents at most this many days apart by the date field (documents
    /// without a readable date are compared with all).
    #[arg(long, value_name = "DAYS", help_heading = "Containment")]
    window: Option<u32>,
    /// With --group-field: `across` (the default with a group field) compares only documents
    /// of different groups, ignoring a site's reuse of its own text; `within` only documents
    /// of one group; `all` every pair. Documents without a group are compared with all.
    #[arg(long, value_enum, value_name = "WHICH", help_heading = "Containment")]
    group_pairs: Option<GroupPairsArg>,

    /// LSH buckets larger than this give star edges to their first document only (at most
    /// 1000: all pairs of a bucket cost memory with its square).
    #[arg(long, default_value_t = 200, help_heading = "MinHash and LSH")]
    max_bucket: usize,

    /// Sentence repeats. By default (`within`) each document is checked for sentences it
    /// says twice with small edits, found while it is read (on news-length text about a
    /// quarter more time than `--no-sentences`). `--sentences` (=`standard`) also finds
    /// boilerplate (sentences and lines in many documents, left out of document shingles;
    /// about 80% more time than `--no-sentences`); `--sentences=full`
    /// also reports sentences repeated across documents that are not near-duplicates,
    /// identical or near (MinHash LSH over all sentences: slower, more memory, a larger
    /// report). `--sentences=off` is `--no-sentences`. The mode follows an `=` (a word after a
    /// space is a path).
    #[arg(
        long,
        value_enum,
        num_args = 0..=1,
        require_equals = true,
        default_value_t = SentencesArg::Within,
        default_missing_value = "standard",
        value_name = "MODE",
        help_heading = "Sentences"
    )]
    sentences: SentencesArg,
    /// No sentence stage at all: not even the within-document near-repeats of the default.
    #[arg(long, conflicts_with = "sentences", help_heading = "Sentences")]
    no_sentences: bool,
    /// Jaccard similarity of two sentences' word sets at or above which they are a
    /// near-repeat.
    #[arg(
        long,
        default_value_t = 0.5,
        value_name = "J",
        help_heading = "Sentences"
    )]
    sentence_threshold: f64,
    /// Sentences with fewer words are trivial: never a near-repeat (boilerplate has no minimum).
    /// Numbers are not words here: "Net 2,005,000 vs 1,685,000" has three.
    #[arg(
        long,
        default_value_t = 6,
        value_name = "N",
        help_heading = "Sentences"
    )]
    sentence_min_words: usize,
    /// Sentences whose word counts differ more than this ratio (shorter / longer) are not
    /// compared.
    #[arg(
        long,
        default_value_t = 0.7,
        value_name = "R",
        help_heading = "Sentences"
    )]
    sentence_length_ratio: f64,
    /// Sentences that each hold a number the other lacks ("rose 3.1%" / "rose 4.2%") state
    /// different facts: do not count them as near-repeats.
    #[arg(long, help_heading = "Sentences")]
    numbers_must_match: bool,
    /// A sentence or line in at least this many documents can be boilerplate (when it is a
    /// small part of most of them; the sentences of a widely syndicated story are not).
    #[arg(
        long,
        default_value_t = 5,
        value_name = "N",
        help_heading = "Sentences"
    )]
    boilerplate_min_docs: usize,
    /// ... and in at least this share of all documents (0 to 1).
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "SHARE",
        help_heading = "Sentences"
    )]
    boilerplate_min_share: f64,
    /// Keep boilerplate in document shingles (by default shingles touching it are left out,
    /// so a shared footer neither makes pages alike nor hides a copy).
    #[arg(long, help_heading = "Sentences")]
    keep_boilerplate: bool,
    /// Occurrences listed per repeat in the report (all are counted).
    #[arg(
        long,
        default_value_t = 10,
        value_name = "N",
        help_heading = "Sentences"
    )]
    max_occurrences: usize,
    /// Sentence MinHash signature length (`--sentences=full`).
    #[arg(
        long,
        default_value_t = 96,
        value_name = "N",
        help_heading = "Sentences"
    )]
    sentence_num_perm: usize,

    /// Worker threads (default: all cores). Output is identical at any count.
    #[arg(short = 'j', long, help_heading = "Performance")]
    threads: Option<usize>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum FormatArg {
    Text,
    Json,
    Jsonl,
    /// A self-contained HTML page (use with -o report.html).
    Html,
}
#[derive(ValueEnum, Clone, Copy, Debug)]
enum ShingleArg {
    Word,
    Char,
}
#[derive(ValueEnum, Clone, Copy, Debug)]
enum VerifyArg {
    Exact,
    Estimate,
}
#[derive(ValueEnum, Clone, Copy, Debug)]
enum KeepArg {
    /// The first in input order.
    First,
    /// The longest text (ties: the first).
    Longest,
    /// The earliest by --date-field (undated last; ties: the first).
    Earliest,
    /// The likely original: the earliest date when every member has one, else the member
    /// nearest to all the others (scan only).
    Source,
}
#[derive(ValueEnum, Clone, Copy, Debug)]
enum ClusterArg {
    Guarded,
    Components,
}
#[derive(ValueEnum, Clone, Copy, Debug)]
enum GroupPairsArg {
    All,
    Across,
    Within,
}

/// `--containment`: a threshold, or `None` for `off`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ContainmentArg(pub(crate) Option<f64>);

/// A size in bytes: a number with an optional K, M, G or T suffix (powers of 1024; a trailing
/// B or iB is allowed).
pub(crate) fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let upper = t.to_ascii_uppercase();
    let body = upper
        .strip_suffix("IB")
        .or_else(|| upper.strip_suffix('B'))
        .unwrap_or(&upper);
    let (num, shift) = match body.chars().last() {
        Some('K') => (&body[..body.len() - 1], 10),
        Some('M') => (&body[..body.len() - 1], 20),
        Some('G') => (&body[..body.len() - 1], 30),
        Some('T') => (&body[..body.len() - 1], 40),
        _ => (body, 0),
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("expected a size such as 800M or 4G, got `{s}`"))?;
    if !(v.is_finite() && v >= 0.0) {
        return Err(format!("expected a size such as 800M or 4G, got `{s}`"));
    }
    Ok((v * (1u64 << shift) as f64) as u64)
}

/// The default `--memory`: 1/48 of the machine's memory (from /proc/meminfo), at least
/// 256 MB; [`syndup::config::DEFAULT_MEMORY`] where the total is unknown.
fn default_memory() -> u64 {
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        m.lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
    });
    match total {
        Some(t) => (t / 48).max(256 << 20),
        None => syndup::config::DEFAULT_MEMORY,
    }
}

/// `off` or a containment threshold.
pub(crate) fn parse_containment(s: &str) -> Result<ContainmentArg, String> {
    if s.eq_ignore_ascii_case("off") {
        return Ok(ContainmentArg(None));
    }
    s.parse::<f64>()
        .map(|c| ContainmentArg(Some(c)))
        .map_err(|_| format!("expected a number in (0, 1] or `off`, got `{s}`"))
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum SentencesArg {
    Off,
    Within,
    Standard,
    Full,
}
#[derive(ValueEnum, Clone, Copy, Debug)]
enum SchemeArg {
    Densified,
    Classic,
}

impl ScanArgs {
    fn config(&self) -> Config {
        let mut c = Config {
            verify: match self.verify {
                VerifyArg::Exact => VerifyMode::Exact,
                VerifyArg::Estimate => VerifyMode::Estimate,
            },
            keep: match self.keep {
                KeepArg::First => KeepPolicy::First,
                KeepArg::Longest => KeepPolicy::Longest,
                KeepArg::Earliest => KeepPolicy::Earliest,
                KeepArg::Source => KeepPolicy::Source,
            },
            cluster: match self.cluster {
                ClusterArg::Guarded => ClusterMode::Guarded,
                ClusterArg::Components => ClusterMode::Components,
            },
            max_bucket: self.max_bucket,
            strict: self.strict,
            max_doc_bytes: self.max_doc_bytes,
            windows_1252: self.windows_1252,
            memory: self.memory.unwrap_or_else(default_memory),
            tmp_dir: Some(self.tmp_dir.clone().unwrap_or_else(std::env::temp_dir)),
            fields: Fields {
                id: self.record.id_field.clone(),
                text: self.record.text_field.clone(),
                date: (!self.date_field.is_empty()).then(|| self.date_field.clone()),
                title: (!self.title_field.is_empty()).then(|| self.title_field.clone()),
                group: self.group_field.clone().filter(|g| !g.is_empty()),
            },
            containment: ContainmentConfig {
                threshold: self.containment.0,
                min_shingles: self.containment_min_shingles,
                sample: self.containment_sample,
                max_df: self.containment_max_df,
            },
            window_days: self.window,
            group_pairs: match (self.group_pairs, &self.group_field) {
                (Some(GroupPairsArg::All), _) | (None, None) => GroupPairs::All,
                (Some(GroupPairsArg::Across), _) | (None, Some(_)) => GroupPairs::Across,
                (Some(GroupPairsArg::Within), _) => GroupPairs::Within,
            },
            passages: !self.no_passages,
            sentences: SentenceConfig {
                mode: match self.sentences {
                    _ if self.no_sentences => SentenceMode::Off,
                    SentencesArg::Off => SentenceMode::Off,
                    SentencesArg::Within => SentenceMode::Within,
                    SentencesArg::Standard => SentenceMode::Standard,
                    SentencesArg::Full => SentenceMode::Full,
                },
                threshold: self.sentence_threshold,
                min_words: self.sentence_min_words,
                length_ratio: self.sentence_length_ratio,
                numbers_must_match: self.numbers_must_match,
                boilerplate_min_docs: self.boilerplate_min_docs,
                boilerplate_min_share: self.boilerplate_min_share,
                keep_boilerplate: self.keep_boilerplate,
                max_occurrences: self.max_occurrences,
                num_perm: self.sentence_num_perm,
            },
            ..Config::default()
        };
        self.sketch.apply(&mut c);
        c
    }

    fn format(&self) -> Format {
        match self.format {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Html => Format::Html,
        }
    }
}

/// Runs the command line and returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => finish(scan::scan(&args)),
        Command::Generate(args) => finish(harness::generate(&args)),
        Command::Eval(args) => finish(harness::eval(&args)),
        Command::Filter(args) => finish(filter::run(&args)),
        Command::Index(IndexCommand::Verify { path }) => finish(index_verify(&path)),
        Command::Plan(args) => finish(dist::plan(&args)),
        Command::Sign(args) => finish(dist::sign(&args)),
        Command::ClusterLocal(args) => finish(dist::cluster_local(&args)),
        Command::Assemble(args) => finish(dist::assemble(&args)),
        Command::Apply(args) => finish(dist::apply(&args)),
        Command::SparkDriver(args) => finish(dist::driver(&args)),
        Command::Compare(args) => finish(extra::compare(&args)),
        Command::Completions(args) => finish(extra::completions(&args)),
        Command::Man => finish(extra::man()),
    }
}

fn finish(r: syndup::Result<ExitCode>) -> ExitCode {
    match r {
        Ok(code) => code,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("syndup: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn index_verify(path: &std::path::Path) -> syndup::Result<ExitCode> {
    let v = syndup::index::verify(path)?;
    let mut out = std::io::stdout().lock();
    let write = |out: &mut dyn Write| -> std::io::Result<()> {
        writeln!(
            out,
            "{}: {} records, {} verdicts, {} shingle sets, {} input paths; {} rows checked: {}",
            path.display(),
            v.records,
            v.verdicts,
            v.shingle_sets,
            v.sources,
            v.rows,
            if v.is_ok() {
                "intact".to_string()
            } else {
                format!("{} problems", v.damaged)
            }
        )?;
        for p in &v.problems {
            writeln!(out, "  {}", syndup::report::text::clean(p))?;
        }
        if v.damaged > v.problems.len() as u64 {
            writeln!(
                out,
                "  ... and {} more",
                v.damaged - v.problems.len() as u64
            )?;
        }
        Ok(())
    };
    write(&mut out).map_err(|e| syndup::Error::io("<stdout>", e))?;
    Ok(if v.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// More threads than this many per core only add switching: `--threads 2048` turned a 0.8 s
/// job into 100 s.
const THREADS_PER_CORE: usize = 8;

/// The sources named on the command line; none means standard input, unless it is a
/// terminal (a forgotten path would otherwise wait for typing).
fn input_sources(paths: &[std::ffi::OsString], command: &str) -> syndup::Result<Vec<Source>> {
    if paths.is_empty() {
        if std::io::stdin().is_terminal() {
            return Err(syndup::Error::config(format!(
                "no input: name files or directories (syndup {command} samples/), or pipe JSON Lines in (syndup {command} < corpus.jsonl, or - for standard input)"
            )));
        }
        return Ok(vec![Source::Stdin]);
    }
    Ok(paths.iter().map(Source::parse).collect())
}

/// Output files created before the work starts (so a bad path fails at once); removed again
/// unless [`Outputs::done`] is called, so a failed run leaves no empty report behind.
#[derive(Default)]
struct Outputs {
    created: Vec<PathBuf>,
}

impl Outputs {
    fn create(&mut self, path: &PathBuf) -> syndup::Result<std::fs::File> {
        let f = std::fs::File::create(path).map_err(|e| syndup::Error::io(path, e))?;
        self.created.push(path.clone());
        Ok(f)
    }

    fn done(mut self) {
        self.created.clear();
    }
}

impl Drop for Outputs {
    fn drop(&mut self) {
        for p in &self.created {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Builds the global thread pool for `--threads` (the only global pool, built by the binary,
/// never by the library), capped at [`THREADS_PER_CORE`] per core with a warning.
fn set_threads(n: Option<usize>) -> syndup::Result<()> {
    if let Some(n) = n {
        if n == 0 {
            return Err(syndup::Error::config("--threads must be at least 1"));
        }
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        let cap = THREADS_PER_CORE * cores;
        let n = if n > cap {
            eprintln!(
                "syndup: warning: --threads {n} is more than {THREADS_PER_CORE} per core ({cores} cores): using {cap}"
            );
            cap
        } else {
            n
        };
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| syndup::Error::config(format!("cannot start {n} threads: {e}")))?;
    }
    Ok(())
}

/// The identity of the file standard output writes to, when it is one (not a pipe or a
/// terminal).
fn stdout_file() -> Option<syndup::input::FileId> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        let fd = std::io::stdout().as_fd().try_clone_to_owned().ok()?;
        let m = std::fs::File::from(fd).metadata().ok()?;
        m.is_file().then(|| syndup::input::FileId::of(&m)).flatten()
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Refuses to write an output onto an input, before any output is opened (opening truncates):
/// `filter --duplicates a.jsonl a.jsonl` emptied its input, `scan -o X X` overwrote it.
/// `outputs` are `(flag, path)`; `inputs` is called only when some output already exists
/// (a new file cannot be an input), and `also` are more files never to write (the index).
/// Two outputs on one file are refused too. Files are compared by device and inode, so a
/// link or another spelling of the path is caught.
fn check_outputs(
    outputs: &[(&str, &std::path::Path)],
    inputs: &dyn Fn() -> Vec<syndup::input::InputFile>,
    also: &[&std::path::Path],
) -> syndup::Result<()> {
    use syndup::input::FileId;
    let clash = |what: &str, input: &str| {
        Err(syndup::Error::config(format!(
            "{what} is the input {input}: writing it would destroy the input; write to another file"
        )))
    };
    let mut targets: Vec<(String, FileId)> = outputs
        .iter()
        .filter_map(|(flag, path)| {
            FileId::of_path(path).map(|id| (format!("{flag} {}", path.display()), id))
        })
        .collect();
    for (i, (flag, a)) in outputs.iter().enumerate() {
        for (flag2, b) in &outputs[..i] {
            let same = match (FileId::of_path(a), FileId::of_path(b)) {
                (Some(x), Some(y)) => x == y,
                _ => std::path::absolute(a).ok() == std::path::absolute(b).ok(),
            };
            if same {
                return Err(syndup::Error::config(format!(
                    "{flag2} and {flag} name the same file {}: give each its own",
                    a.display()
                )));
            }
        }
    }
    if let Some(id) = stdout_file() {
        targets.push(("standard output".into(), id));
    }
    if targets.is_empty() {
        return Ok(());
    }
    for path in also {
        if let Some(id) = FileId::of_path(path) {
            if let Some((what, _)) = targets.iter().find(|(_, t)| *t == id) {
                return clash(what, &path.display().to_string());
            }
        }
    }
    for f in inputs() {
        if let Some(id) = FileId::of_path(&f.path).filter(|_| !f.is_stdin()) {
            if let Some((what, _)) = targets.iter().find(|(_, t)| *t == id) {
                return clash(what, &f.display());
            }
        }
    }
    Ok(())
}
