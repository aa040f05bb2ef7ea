"""Type stubs of the native module (``syndup._syndup``); use the ``syndup`` package."""

from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple

__version__: str

class Error(Exception):
    """Base class of every error syndup raises."""

class ConfigError(Error):
    """An option is out of range, of the wrong type, unknown, or contradicts another."""

class InputError(Error):
    """Input cannot be used; under strict=True, the first bad record."""

    path: Optional[str]
    line: Optional[int]
    id: Optional[str]
    kind: Optional[str]

class IndexFileError(Error):
    """A persistent index cannot be used."""

class InternalError(Error):
    """A bug in syndup."""

def scan_paths(paths: Sequence[str], **options: Any) -> str: ...
def scan_records(records: Iterable[Mapping[str, Any]], **options: Any) -> str: ...
def scan_arrow(data: Any, **options: Any) -> str: ...

class NativeFilter:
    def __init__(self, index: Optional[str] = None, reference: bool = False, **options: Any) -> None: ...
    @property
    def fields(self) -> Tuple[str, str]: ...
    def check_batch(
        self, ids: List[str], texts: List[str]
    ) -> List[Tuple[bool, str, Optional[str], Optional[float], Optional[str]]]: ...
    def stats(self) -> Tuple[int, int, int, int]: ...
    def close(self) -> None: ...
