//! The sketch contract: a raw record -> a signed document, or a [`Problem`].
//!
//! Every driver turns records into signatures here and nowhere else: the batch scan
//! ([`crate::Detector`]), the streaming filter ([`crate::StreamFilter`]), the distributed
//! `sign` step and the re-readers. They therefore agree by construction on what a record is
//! (decoding, the JSON fields, the size and id checks, their messages), on its shingles and on
//! its signature and band keys.
//!
//! - [`SketchParams`]: everything a signature depends on (normalisation, hash, shingle kind and
//!   k, MinHash scheme, `num_perm`, seed, threshold and the bands x rows resolved from it once).
//!   The report's parameters, the persistent index's header and the distributed manifest embed
//!   it instead of declaring the fields again; [`Seeds`] pins the hash seeds beside it.
//! - [`Sketcher::read`]: raw bytes and their `path:line` -> [`RecordText`] (id, text, date,
//!   title, group), or a [`Problem`] naming the flag to change. This reading half lives in
//!   [`crate::input::Reader`] (re-exported here), so the readers that only need texts (the
//!   HTML page, the corpus generator) use the same rules without a signature.
//! - [`Sketcher::sign`]: a record's text -> its shingles and [`Signature`] into a per-thread
//!   [`Worker`], or an empty-document [`Problem`]. [`Sketcher::sign_record`] does both.
//! - [`SketchParams::band_key`]: the one LSH bucket key of a band (see [`crate::lsh`]).
//!
//! Place in the pipeline: input readers -> **sketch** -> LSH / verification / index.

use crate::config::{Config, Scheme, ShingleKind};
use crate::document::{Problem, ProblemKind};
use crate::error::Result;
pub use crate::input::{RawRecord, Reader, RecordText};
use crate::minhash::Signer;
use crate::normalize::{Token, Tokenizer};
use crate::shingle::{self, Shingler};
use serde::{Deserialize, Serialize};

/// Everything a document's shingles, signature and band keys depend on. Two runs whose
/// `SketchParams` (and [`Seeds`]) are equal sign every text identically. Serialised with
/// these field names, in this order, inside the report's `parameters`, the index header and
/// the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SketchParams {
    /// `word` or `char`.
    pub shingle: ShingleKind,
    /// Shingle length k.
    pub ngram: usize,
    /// Normalisation name and version ([`crate::normalize::NORMALIZATION`]).
    pub normalization: String,
    /// The hash of tokens, shingles and band keys (`xxh3_64`).
    pub hash: String,
    /// `densified` (one-permutation hashing with optimal densification) or `classic`.
    pub scheme: Scheme,
    /// Signature length.
    pub num_perm: usize,
    /// MinHash seed.
    pub seed: u64,
    /// Jaccard threshold for a near-duplicate (bands and rows are tuned to it).
    pub threshold: f64,
    /// LSH bands.
    pub bands: usize,
    /// Rows per band.
    pub rows: usize,
}

/// The name of the hash used for tokens, shingles and band keys.
pub const HASH: &str = "xxh3_64";

impl SketchParams {
    /// The parameters `config` asks for, with bands and rows resolved once: the flags when
    /// both are given, else the optimum for the threshold ([`crate::lsh::optimal_params`]).
    /// Validates `config` first.
    pub fn new(config: &Config) -> Result<SketchParams> {
        config.validate()?;
        let (bands, rows) = match (config.bands, config.rows) {
            (Some(b), Some(r)) => (b, r),
            _ => crate::lsh::optimal_params(config.threshold, config.num_perm),
        };
        Ok(SketchParams {
            shingle: config.shingle,
            ngram: config.ngram,
            normalization: crate::normalize::NORMALIZATION.into(),
            hash: HASH.into(),
            scheme: config.scheme,
            num_perm: config.num_perm,
            seed: config.seed,
            threshold: config.threshold,
            bands,
            rows,
        })
    }

    /// The MinHash signer these parameters describe.
    pub fn signer(&self) -> Signer {
        Signer::new(self.scheme, self.num_perm, self.seed)
    }

    /// The bucket key of band `band` of `sig` (rows `band*rows .. (band+1)*rows`): the one
    /// bucket rule of every driver.
    #[inline]
    pub fn band_key(&self, sig: &[u32], band: usize) -> u64 {
        crate::lsh::band_key(sig, band, self.rows)
    }

    /// The bucket keys of every band of `sig`, in band order.
    pub fn band_keys(&self, sig: &[u32]) -> Vec<u64> {
        (0..self.bands).map(|b| self.band_key(sig, b)).collect()
    }
}

/// The seeds of the stable hashes, pinned by test vectors; stored beside [`SketchParams`]
/// where signatures are persisted, so a build that hashes differently is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seeds {
    /// [`crate::normalize::TOKEN_SEED`].
    pub token_seed: u64,
    /// [`crate::shingle::SHINGLE_SEED`].
    pub shingle_seed: u64,
    /// [`crate::shingle::CHAR_SHINGLE_SEED`].
    pub char_shingle_seed: u64,
    /// [`crate::shingle::CONTENT_SEED`].
    pub content_seed: u64,
    /// [`crate::lsh::BAND_SEED`].
    pub band_seed: u64,
}

impl Seeds {
    /// This build's seeds.
    pub fn current() -> Seeds {
        Seeds {
            token_seed: crate::normalize::TOKEN_SEED,
            shingle_seed: shingle::SHINGLE_SEED,
            char_shingle_seed: shingle::CHAR_SHINGLE_SEED,
            content_seed: shingle::CONTENT_SEED,
            band_seed: crate::lsh::BAND_SEED,
        }
    }
}

/// How [`Sketcher::sign`] leaves the shingles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// In text order, repeats included: enough for MinHash, and sorting is a large share of
    /// the per-document cost (the scan sorts only candidates).
    Text,
    /// Sorted and deduplicated: the shingle set.
    Set,
}

/// What [`Sketcher::sign`] makes besides the shingles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Want {
    /// The order of the shingles.
    pub order: Order,
    /// Keep the tokens with their byte spans in [`Worker::tokens`] (the sentence stage).
    pub spans: bool,
    /// Shingle and sign; when false (signing waits until boilerplate is known) only the
    /// tokens are made, which needs `spans`.
    pub sign: bool,
}

impl Want {
    /// Shingles in `order` and the signature, nothing else.
    pub fn signed(order: Order) -> Want {
        Want {
            order,
            spans: false,
            sign: true,
        }
    }
}

/// A MinHash signature: `num_perm` values.
pub type Signature = Vec<u32>;

/// Per-thread buffers of [`Sketcher::sign`]; after a successful call they hold the
/// document's tokens, token hashes, shingles and signature.
#[derive(Debug)]
pub struct Worker {
    shingler: Shingler,
    tokenizer: Tokenizer,
    /// The tokens with byte spans (only when [`Want::spans`]).
    pub tokens: Vec<Token>,
    /// The token hashes (word shingles, or when [`Want::spans`]).
    pub hashes: Vec<u64>,
    /// The shingles, in the [`Order`] asked for.
    pub shingles: Vec<u64>,
    /// The signature (empty unless [`Want::sign`]).
    pub signature: Signature,
    /// The hashes above came from the span tokenizer, not the shingler.
    from_spans: bool,
}

impl Worker {
    /// Buffers for `params`.
    pub fn new(params: &SketchParams) -> Worker {
        Worker {
            shingler: Shingler::new(params.shingle, params.ngram),
            tokenizer: Tokenizer::new(),
            tokens: Vec::new(),
            hashes: Vec::new(),
            shingles: Vec::new(),
            signature: Vec::new(),
            from_spans: false,
        }
    }

    /// The content hash of the text last signed (see [`Shingler::content_hash`]): equal for
    /// texts that normalise to the same content.
    pub fn content_hash(&self) -> u64 {
        if self.from_spans {
            shingle::content_hash_of(&self.hashes)
        } else {
            self.shingler.content_hash()
        }
    }
}

/// Turns raw records into signed documents under one [`SketchParams`] and the input rules of
/// a [`Config`] (JSON fields, `--max-doc-bytes`, `--windows-1252`).
#[derive(Debug, Clone)]
pub struct Sketcher {
    params: SketchParams,
    signer: Signer,
    reader: Reader,
}

impl Sketcher {
    /// Validates `config` and resolves its [`SketchParams`].
    pub fn new(config: &Config) -> Result<Sketcher> {
        Ok(Sketcher::with_params(config, SketchParams::new(config)?))
    }

    /// A sketcher for parameters already resolved from `config` (by [`SketchParams::new`]:
    /// tuning bands and rows integrates the S-curve, which is worth doing once).
    pub fn with_params(config: &Config, params: SketchParams) -> Sketcher {
        Sketcher {
            signer: params.signer(),
            params,
            reader: Reader::new(config),
        }
    }

    /// The parameters every signature is made with.
    pub fn params(&self) -> &SketchParams {
        &self.params
    }

    /// The MinHash signer.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// Fresh per-thread buffers.
    pub fn worker(&self) -> Worker {
        Worker::new(&self.params)
    }

    /// Decodes and parses a raw record and checks its size and id: the reading half of the
    /// contract ([`Reader::read`]).
    pub fn read<'a>(&self, raw: &RawRecord<'a>) -> std::result::Result<RecordText<'a>, Problem> {
        self.reader.read(raw)
    }

    /// [`Reader::read_json`]: a JSON Lines record whatever its line.
    pub fn read_json<'a>(
        &self,
        raw: &RawRecord<'a>,
    ) -> std::result::Result<RecordText<'a>, Problem> {
        self.reader.read_json(raw)
    }

    /// [`Reader::check`]: the checks of documents given in memory.
    pub fn check(&self, raw: &RawRecord, id: &str, text: &str) -> std::result::Result<(), Problem> {
        self.reader.check(raw, id, text)
    }

    /// The reading half of the contract.
    pub fn reader(&self) -> &Reader {
        &self.reader
    }

    /// Shingles (and signs) `text` into `w`, as `want` asks. A text with no word after
    /// normalisation is an empty-document problem of record `raw` with id `id`.
    pub fn sign(
        &self,
        w: &mut Worker,
        raw: &RawRecord,
        id: &str,
        text: &str,
        want: Want,
    ) -> std::result::Result<(), Problem> {
        let empty = || {
            raw.problem(
                Some(id),
                ProblemKind::EmptyDocument,
                "empty document: no words after normalisation; skipped".into(),
            )
        };
        w.shingles.clear();
        w.signature.clear();
        w.from_spans = want.spans;
        if want.spans {
            w.tokens.clear();
            w.tokenizer.tokens_into(text, &mut w.tokens);
            if w.tokens.is_empty() {
                return Err(empty());
            }
            w.hashes.clear();
            w.hashes.extend(w.tokens.iter().map(|t| t.hash));
            if !want.sign {
                return Ok(());
            }
            match self.params.shingle {
                ShingleKind::Word => {
                    shingle::word_shingles(&w.hashes, self.params.ngram, &mut w.shingles);
                    if want.order == Order::Set {
                        w.shingles.sort_unstable();
                        w.shingles.dedup();
                    }
                }
                ShingleKind::Char => {
                    self.shingle_text(w, text, want.order);
                }
            }
        } else {
            self.shingle_text(w, text, want.order);
            w.hashes.clear();
        }
        if w.shingles.is_empty() {
            return Err(empty());
        }
        if want.sign {
            w.signature.reserve(self.params.num_perm);
            self.signer.sign_into(&w.shingles, &mut w.signature);
        }
        Ok(())
    }

    fn shingle_text(&self, w: &mut Worker, text: &str, order: Order) {
        match order {
            Order::Text => w.shingler.shingles_unsorted_into(text, &mut w.shingles),
            Order::Set => w.shingler.shingles_into(text, &mut w.shingles),
        };
    }

    /// [`Sketcher::read`] then [`Sketcher::sign`]: a raw record -> its fields, with its
    /// shingles and signature in `w`.
    pub fn sign_record<'a>(
        &self,
        w: &mut Worker,
        raw: &RawRecord<'a>,
        want: Want,
    ) -> std::result::Result<RecordText<'a>, Problem> {
        let rec = self.read(raw)?;
        self.sign(w, raw, &rec.id, &rec.text, want)?;
        Ok(rec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(line: &str) -> RawRecord<'_> {
        RawRecord {
            path: "in.jsonl",
            line: Some(3),
            bytes: line.as_bytes(),
        }
    }

    #[test]
    fn params_resolve_bands_and_rows_once() {
        let p = SketchParams::new(&Config::default()).unwrap();
        assert_eq!((p.bands, p.rows), crate::lsh::optimal_params(0.8, 128));
        let c = Config {
            bands: Some(4),
            rows: Some(32),
            ..Config::default()
        };
        let p = SketchParams::new(&c).unwrap();
        assert_eq!((p.bands, p.rows), (4, 32));
        assert_eq!(p.band_keys(&vec![7u32; 128]).len(), 4);
    }

    #[test]
    fn records_are_read_checked_and_signed() {
        let s = Sketcher::new(&Config::default()).unwrap();
        let mut w = s.worker();
        let rec = s
            .sign_record(
                &mut w,
                &raw(
                    r#"{"id":"a","text":"one two three four five six seven","date":"2024-01-02"}"#,
                ),
                Want::signed(Order::Set),
            )
            .unwrap();
        assert_eq!(rec.id, "a");
        assert_eq!(rec.date.as_deref(), Some("2024-01-02"));
        assert_eq!(w.shingles.len(), 3);
        assert!(w.shingles.windows(2).all(|x| x[0] < x[1]));
        assert_eq!(w.signature.len(), 128);

        let err = s.read(&raw(r#"{"id":"","text":"x"}"#)).unwrap_err();
        assert_eq!(err.kind, ProblemKind::MissingField);
        let err = s
            .sign_record(
                &mut w,
                &raw(r#"{"id":"b","text":" ... "}"#),
                Want::signed(Order::Text),
            )
            .unwrap_err();
        assert_eq!((err.kind, err.line), (ProblemKind::EmptyDocument, Some(3)));
        let bad = RawRecord {
            bytes: b"{\"id\":\"c\",\"text\":\"caf\xe9\"}",
            ..raw("")
        };
        assert_eq!(s.read(&bad).unwrap_err().kind, ProblemKind::InvalidUtf8);
        let s1252 = Sketcher::new(&Config {
            windows_1252: true,
            ..Config::default()
        })
        .unwrap();
        let rec = s1252.read(&bad).unwrap();
        assert_eq!((rec.text.as_ref(), rec.recoded), ("café", true));
    }

    #[test]
    fn too_large_records_name_the_flag() {
        let s = Sketcher::new(&Config {
            max_doc_bytes: 10,
            ..Config::default()
        })
        .unwrap();
        let err = s
            .read(&raw(r#"{"id":"a","text":"a long text"}"#))
            .unwrap_err();
        assert_eq!(err.kind, ProblemKind::TooLarge);
        assert!(
            err.message.contains("--max-doc-bytes 10"),
            "{}",
            err.message
        );
        let file = RawRecord {
            path: "a.txt",
            line: None,
            bytes: b"short",
        };
        assert_eq!(s.read(&file).unwrap().id, "a.txt");
    }

    #[test]
    fn span_tokens_and_the_shingler_agree() {
        let s = Sketcher::new(&Config::default()).unwrap();
        let (mut a, mut b) = (s.worker(), s.worker());
        let r = raw("");
        let text = "The Harbour budget, approved on Monday: ferries, flood defences and more!";
        for order in [Order::Text, Order::Set] {
            s.sign(&mut a, &r, "x", text, Want::signed(order)).unwrap();
            let want = Want {
                spans: true,
                ..Want::signed(order)
            };
            s.sign(&mut b, &r, "x", text, want).unwrap();
            assert_eq!(a.shingles, b.shingles);
            assert_eq!(a.signature, b.signature);
            assert_eq!(a.content_hash(), b.content_hash());
            assert_eq!(b.tokens.len(), b.hashes.len());
        }
    }
}
