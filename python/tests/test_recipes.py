"""The README's recipes: Hugging Face datasets and a datatrove pipeline step."""

import json

import pytest

import syndup
from conftest import ROOT, run_cli


def news_records():
    with open(ROOT / "samples" / "news.jsonl", encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def need(module):
    try:
        return __import__(module)
    except ImportError:
        pytest.skip(f"SKIPPED LOUDLY: {module} is not installed (pip install {module})")


def cli_kept_ids():
    out = run_cli("filter", "--quiet", "samples/news.jsonl")
    return [json.loads(l)["id"] for l in out.splitlines()]


def test_a_datasets_dataset_is_scanned_through_its_arrow_table_and_filtered():
    datasets = need("datasets")
    recs = news_records()
    ds = datasets.Dataset.from_list(recs)
    cli = json.loads(run_cli("scan", "--format", "json", "samples/news.jsonl"))
    assert syndup.scan(ds).to_dict()["pairs"] == cli["pairs"]
    # A selection of rows (an indices mapping) is scanned as those rows.
    sub = ds.select(range(0, len(recs), 2))
    assert syndup.scan(sub).stats["documents"] == len(sub)
    # The README's filter recipe: batched, one process.
    with syndup.Filter() as f:
        kept = ds.filter(
            lambda b: [v.kept for v in f.check_batch(list(zip(b["id"], b["text"])))],
            batched=True,
            batch_size=1000,
            load_from_cache_file=False,
        )
    assert kept["id"] == cli_kept_ids()


def test_the_datatrove_step_keeps_what_the_cli_keeps():
    need("datatrove")
    from datatrove.data import Document

    from syndup.integrations.datatrove import SyndupFilter

    docs = [Document(text=r["text"], id=r["id"]) for r in news_records()]
    step = SyndupFilter(batch_size=5)
    kept = [d.id for d in step.run(iter(docs))]
    assert kept == cli_kept_ids()
    assert len(kept) < len(docs)
