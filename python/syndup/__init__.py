"""syndup from Python: near-duplicate documents, syndicated copies and repeated sentences.

A thin layer over the Rust library (the same code as the ``syndup`` command line):

>>> import syndup
>>> report = syndup.scan([{"id": "a", "text": "..."}, {"id": "b", "text": "..."}])
>>> report.clusters, report.pairs, report.duplicate_ids()

``scan(data, **options)`` takes an iterable of dicts, a path or a list of paths (everything
``syndup scan`` reads: text files, JSON Lines, Parquet, folders), a ``pyarrow.Table`` or
``RecordBatch`` (read through the Arrow C stream interface: no Python object per row), or a
Hugging Face ``datasets.Dataset`` (through its Arrow table). ``Filter`` decides records one
batch at a time against everything kept before, with the same SQLite index file as
``syndup filter --index``.

Options are the command line's flags with ``_`` for ``-`` (``threshold=0.8``, ``ngram=5``,
``containment="off"``, ``sentences=True``, ``keep="first"``, ``threads=4``, ``strict=True``,
...); a wrong one raises ``ConfigError`` naming it. The work runs without the GIL on a pool of
``threads`` worker threads (all cores by default), and its output is identical at any count.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Union

from . import _syndup
from ._syndup import ConfigError, Error, IndexFileError, InputError, InternalError

__version__ = _syndup.__version__

__all__ = [
    "scan",
    "Report",
    "Cluster",
    "Member",
    "Pair",
    "Repeat",
    "Occurrence",
    "Problem",
    "Filter",
    "Verdict",
    "Error",
    "ConfigError",
    "InputError",
    "IndexFileError",
    "InternalError",
]


def _take(cls, d: Mapping[str, Any]):
    """A dataclass from a JSON object, keeping only the fields the class declares."""
    names = cls.__dataclass_fields__.keys()
    return cls(**{k: d.get(k) for k in names})


@dataclass(frozen=True)
class Member:
    """One document of a cluster (``clusters[].details[]`` in the JSON report)."""

    doc: str
    title: Optional[str]
    date: Optional[str]
    bytes: int
    shingles: int
    representative: bool
    role: str
    jaccard: float
    containment: float


@dataclass(frozen=True)
class Cluster:
    """A group of near-duplicates: its representative (kept), members and their roles."""

    id: int
    representative: str
    members: List[str]
    source: Optional[str]
    source_by: Optional[str]
    details: List[Member] = field(default_factory=list)


@dataclass(frozen=True)
class Pair:
    """Two documents found alike, with exact Jaccard similarity and both containments."""

    a: str
    b: str
    jaccard: float
    containment: float
    containment_a_in_b: float
    containment_b_in_a: float
    shared: int
    shingles_a: int
    shingles_b: int
    cluster: Optional[int]
    relation: str
    contained: Optional[str]
    alignment: Optional[Dict[str, Any]]


@dataclass(frozen=True)
class Occurrence:
    """A sentence where it occurs: document and byte span into the original text."""

    doc: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Repeat:
    """A sentence repeated within a document, across documents, or as boilerplate."""

    kind: str
    similarity: float
    documents: int
    count: int
    occurrences: List[Occurrence] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    """A bad input record: where it is (path and line; a row number for Parquet and Arrow,
    the position for records given in memory), its id when read, and what is wrong."""

    path: str
    line: Optional[int]
    id: Optional[str]
    kind: str
    message: str


class Report:
    """The result of :func:`scan`: the JSON report of ``syndup scan --format json`` as objects.

    ``clusters``, ``pairs``, ``repeats`` and ``problems`` are lists of small frozen
    dataclasses with the JSON report's fields; ``stats`` and ``parameters`` are dicts.
    """

    __slots__ = ("_json", "_data", "clusters", "pairs", "repeats", "problems", "stats", "parameters")

    def __init__(self, text: str):
        self._json = text
        d = json.loads(text)
        self._data = d
        self.clusters: List[Cluster] = [
            Cluster(
                **{k: c.get(k) for k in ("id", "representative", "members", "source", "source_by")},
                details=[_take(Member, m) for m in c.get("details", [])],
            )
            for c in d.get("clusters", [])
        ]
        self.pairs: List[Pair] = [_take(Pair, p) for p in d.get("pairs", [])]
        self.repeats: List[Repeat] = [
            Repeat(
                **{k: r.get(k) for k in ("kind", "similarity", "documents", "count")},
                occurrences=[_take(Occurrence, o) for o in r.get("occurrences", [])],
            )
            for r in d.get("repeats", [])
        ]
        self.problems: List[Problem] = [_take(Problem, p) for p in d.get("problems", [])]
        self.stats: Dict[str, Any] = d.get("stats", {})
        self.parameters: Dict[str, Any] = d.get("parameters", {})

    def to_json(self) -> str:
        """The report as ``syndup scan --format json`` writes it (byte for byte)."""
        return self._json

    def to_dict(self) -> Dict[str, Any]:
        """The JSON report as plain Python values."""
        return json.loads(self._json)

    def duplicate_ids(self) -> List[str]:
        """The ids a dedupe drops: every cluster member but its representative, sorted
        (what ``syndup scan --dropped`` leaves out of ``--kept``)."""
        return sorted({m for c in self.clusters for m in c.members if m != c.representative})

    def __repr__(self) -> str:
        s = self.stats
        return (
            f"<syndup.Report: {s.get('documents', 0)} documents, {len(self.clusters)} clusters, "
            f"{len(self.pairs)} pairs, {len(self.repeats)} repeats, {len(self.problems)} problems>"
        )


def _arrow_of(data: Any) -> Any:
    """The Arrow object to read for ``data``, or None when it is not Arrow data."""
    # A Hugging Face datasets.Dataset: its Arrow table (datasets.table.Table wraps pyarrow's).
    inner = getattr(data, "data", None)
    if inner is not None and hasattr(inner, "table") and hasattr(inner.table, "__arrow_c_stream__"):
        table = inner.table
        indices = getattr(data, "_indices", None)
        if indices is not None:
            # A filtered or shuffled Dataset: materialise the selected rows (still Arrow).
            table = data.with_format("arrow")[:]
        return table
    if hasattr(data, "__arrow_c_stream__"):
        return data
    if hasattr(data, "__arrow_c_array__") and hasattr(data, "schema"):
        import pyarrow as pa  # a RecordBatch of an older pyarrow: wrap it in a table

        return pa.Table.from_batches([data])
    return None


PathLike = Union[str, "os.PathLike[str]"]


def scan(data: Any, **options: Any) -> Report:
    """Scans ``data`` for near-duplicates (and, with ``sentences=True``, repeated sentences).

    ``data`` is a path or a list of paths (text files, JSON Lines, ``.parquet``, folders of
    them), a ``pyarrow.Table``/``RecordBatch``/``RecordBatchReader``, a ``datasets.Dataset``,
    or an iterable of dicts with an ``id`` and a ``text`` (optional ``date``, ``title``,
    ``group``; other names with ``id_field=``, ``text_field=``, ``date_field=``,
    ``title_field=``, ``group_field=``).

    Options are ``syndup scan``'s flags: ``threshold``, ``ngram``, ``num_perm``, ``seed``,
    ``scheme``, ``shingle``, ``bands``, ``rows``, ``verify``, ``keep``, ``cluster``,
    ``containment`` (a number or ``"off"``), ``passages``, ``window``, ``group_pairs``,
    ``sentences`` (``True`` or ``"standard"``/``"full"``), ``strict``, ``threads`` and the
    rest (the error for an unknown one lists them all).

    Bad records are ``Report.problems`` (path and line, or row, or position); with
    ``strict=True`` the first one raises :class:`InputError` with ``.path``, ``.line`` and
    ``.id``.
    """
    if isinstance(data, (str, bytes, os.PathLike)):
        return Report(_syndup.scan_paths([os.fsdecode(data)], **options))
    if isinstance(data, (list, tuple)) and data and all(
        isinstance(p, (str, bytes, os.PathLike)) for p in data
    ):
        return Report(_syndup.scan_paths([os.fsdecode(p) for p in data], **options))
    arrow = _arrow_of(data)
    if arrow is not None:
        return Report(_syndup.scan_arrow(arrow, **options))
    if isinstance(data, Mapping):
        raise InputError("scan() takes an iterable of records (dicts), not one dict: wrap it in a list")
    try:
        iter(data)
    except TypeError:
        raise InputError(
            f"scan() reads paths, Arrow tables, datasets and iterables of dicts, not {type(data).__name__}"
        ) from None
    return Report(_syndup.scan_records(data, **options))


@dataclass(frozen=True)
class Verdict:
    """The decision about one record: ``kept``, and for a duplicate the ``relation``
    (``near_duplicate`` or ``exact_duplicate``), the kept record it duplicates (``dup_of``) and
    the ``similarity``; a record that cannot be read has ``relation == "rejected"`` and a
    ``problem`` message."""

    kept: bool
    relation: str
    dup_of: Optional[str] = None
    similarity: Optional[float] = None
    problem: Optional[str] = None

    def __bool__(self) -> bool:
        return self.kept


class Filter:
    """The streaming filter of ``syndup filter``: each record is checked against everything
    kept before it (in this filter, and in earlier runs through ``index``, the same SQLite
    file as ``syndup filter --index``; an index made by one opens in the other).

    ``reference=True`` checks against ``index`` without adding to it (decontamination).
    Options: ``threshold``, ``ngram``, ``num_perm``, ``seed``, ``scheme``, ``shingle``,
    ``bands``, ``rows``, ``exact``, ``max_bucket``, ``max_doc_bytes``, ``id_field``,
    ``text_field``, ``threads``, ``batch_size`` (records per committed batch in
    :meth:`filter`, 1024 by default). Use it as a context manager, or call :meth:`close`.
    """

    def __init__(self, index: Optional[PathLike] = None, reference: bool = False, **options: Any):
        batch = options.pop("batch_size", 1024)
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise ConfigError(f"option `batch_size` must be a positive integer, got {batch!r}")
        self._batch = batch
        path = None if index is None else os.fsdecode(index)
        self._native = _syndup.NativeFilter(path, reference, **options)
        self._id, self._text = self._native.fields

    def check(self, id: str, text: str) -> Verdict:
        """Decides one record (and, when kept, adds it to the index)."""
        return self.check_batch([(id, text)])[0]

    def check_batch(self, records: Sequence[tuple]) -> List[Verdict]:
        """Decides ``(id, text)`` pairs in order, committed together, as the CLI commits a
        batch."""
        ids = [_as_str(r[0], "id", i + 1) for i, r in enumerate(records)]
        texts = [_as_str(r[1], "text", i + 1) for i, r in enumerate(records)]
        return [Verdict(*v) for v in self._native.check_batch(ids, texts)]

    def filter(self, records: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        """Yields the records of ``records`` (dicts with the id and text fields) that are not
        duplicates of anything kept before, in order, deciding and committing them
        ``batch_size`` at a time. Rejected records (a missing id or text) are dropped, as the
        CLI drops them; see :meth:`check_batch` for their verdicts."""
        buf: List[Mapping[str, Any]] = []
        for rec in records:
            buf.append(rec)
            if len(buf) >= self._batch:
                yield from self._decide(buf)
                buf = []
        if buf:
            yield from self._decide(buf)

    def _decide(self, buf: List[Mapping[str, Any]]) -> List[Mapping[str, Any]]:
        pairs = []
        for i, rec in enumerate(buf):
            if not isinstance(rec, Mapping):
                raise InputError(f"record {i + 1} is a {type(rec).__name__}, not a dict")
            pairs.append((_field(rec, self._id), _field(rec, self._text)))
        verdicts = self.check_batch(pairs)
        return [r for r, v in zip(buf, verdicts) if v.kept]

    def stats(self) -> Dict[str, int]:
        """Records kept, duplicates and rejected so far, and the records in the index."""
        kept, dups, rejected, index = self._native.stats()
        return {"kept": kept, "duplicates": dups, "rejected": rejected, "index_records": index}

    def close(self) -> None:
        """Closes the index (every batch is committed already). Idempotent."""
        self._native.close()

    def __enter__(self) -> "Filter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _field(rec: Mapping[str, Any], name: str) -> str:
    v = rec.get(name)
    if v is None:
        return ""  # rejected by the library: missing id or empty document
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return v


def _as_str(v: Any, what: str, n: int) -> str:
    if isinstance(v, str):
        return v
    if v is None:
        return ""
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    raise InputError(f"record {n}: the {what} is a {type(v).__name__}, not a string")
