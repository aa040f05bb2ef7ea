"""syndup: near-duplicate documents, syndicated copies and repeated sentences."""

import os
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Union

from ._syndup import ConfigError as ConfigError
from ._syndup import Error as Error
from ._syndup import IndexFileError as IndexFileError
from ._syndup import InputError as InputError
from ._syndup import InternalError as InternalError

__version__: str
PathLike = Union[str, os.PathLike[str]]

@dataclass(frozen=True)
class Member:
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
    id: int
    representative: str
    members: List[str]
    source: Optional[str]
    source_by: Optional[str]
    details: List[Member]

@dataclass(frozen=True)
class Pair:
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
    doc: str
    start: int
    end: int
    text: str

@dataclass(frozen=True)
class Repeat:
    kind: str
    similarity: float
    documents: int
    count: int
    occurrences: List[Occurrence]

@dataclass(frozen=True)
class Problem:
    path: str
    line: Optional[int]
    id: Optional[str]
    kind: str
    message: str

class Report:
    clusters: List[Cluster]
    pairs: List[Pair]
    repeats: List[Repeat]
    problems: List[Problem]
    stats: Dict[str, Any]
    parameters: Dict[str, Any]
    def __init__(self, text: str) -> None: ...
    def to_json(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def duplicate_ids(self) -> List[str]: ...

def scan(data: Any, **options: Any) -> Report: ...

@dataclass(frozen=True)
class Verdict:
    kept: bool
    relation: str
    dup_of: Optional[str] = ...
    similarity: Optional[float] = ...
    problem: Optional[str] = ...
    def __bool__(self) -> bool: ...

class Filter:
    def __init__(self, index: Optional[PathLike] = None, reference: bool = False, **options: Any) -> None: ...
    def check(self, id: str, text: str) -> Verdict: ...
    def check_batch(self, records: Sequence[tuple]) -> List[Verdict]: ...
    def filter(self, records: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]: ...
    def stats(self) -> Dict[str, int]: ...
    def close(self) -> None: ...
    def __enter__(self) -> Filter: ...
    def __exit__(self, *exc: Any) -> None: ...
