"""A datatrove pipeline step that drops near-duplicates with a syndup :class:`~syndup.Filter`.

>>> from syndup.integrations.datatrove import SyndupFilter
>>> pipeline = [JsonlReader("data/"), SyndupFilter(index="dedup.sqlite"), JsonlWriter("out/")]

Each datatrove ``Document`` (``id``, ``text``) is checked against everything kept before it,
in this run and, with ``index``, in earlier runs (the same index file as ``syndup filter
--index``). Kept documents pass on; duplicates are dropped (and counted in the step's stats as
``dropped_near_duplicate``/``dropped_exact_duplicate``). With several tasks, give each rank its
own index or run one task: the index is a single SQLite file.
"""

from __future__ import annotations

from typing import Any, Optional

from .. import Filter

try:  # datatrove is optional: import this module only where it is installed.
    from datatrove.pipeline.base import PipelineStep
except ImportError as e:  # pragma: no cover - exercised only without datatrove
    raise ImportError(
        "syndup.integrations.datatrove needs datatrove: pip install datatrove"
    ) from e


class SyndupFilter(PipelineStep):
    """Drops documents that are near-duplicates of documents kept before them."""

    name = "syndup filter"
    type = "🫂 - DEDUP"

    def __init__(self, index: Optional[str] = None, batch_size: int = 1024, **options: Any):
        super().__init__()
        self.index = index
        self.batch_size = batch_size
        self.options = options

    def run(self, data, rank: int = 0, world_size: int = 1):
        with Filter(index=self.index, **self.options) as f:
            batch = []
            for doc in data:
                batch.append(doc)
                if len(batch) >= self.batch_size:
                    yield from self._decide(f, batch)
                    batch = []
            if batch:
                yield from self._decide(f, batch)

    def _decide(self, f: Filter, batch):
        verdicts = f.check_batch([(str(d.id), d.text) for d in batch])
        for doc, v in zip(batch, verdicts):
            self.stat_update("documents")
            if v.kept:
                self.stat_update("kept")
                yield doc
            else:
                self.stat_update(f"dropped_{v.relation}")
