"""syndup.Filter keeps what `syndup filter` keeps, and shares its index file."""

import json
import os

import pytest

import syndup
from conftest import ROOT, run_cli

REUTERS = ROOT.parent / "shared" / "data" / "reuters-21578.jsonl"


def ids_of(jsonl_text):
    return [json.loads(l)["id"] for l in jsonl_text.splitlines() if l.strip()]


def test_filter_over_reuters_keeps_the_ids_the_cli_keeps():
    if not REUTERS.exists():
        pytest.skip(f"SKIPPED LOUDLY: {REUTERS} is missing (../shared not mounted)")
    want = ids_of(run_cli("filter", "--quiet", str(REUTERS)))
    with open(REUTERS, encoding="utf-8") as f:
        recs = [json.loads(l) for l in f if l.strip()]
    with syndup.Filter() as flt:
        got = [r["id"] for r in flt.filter(recs)]
        stats = flt.stats()
    assert got == want
    assert len(got) < len(recs), "Reuters holds duplicates"
    assert stats["kept"] == len(want)


def test_check_gives_verdicts_and_the_index_is_shared_with_the_cli(tmp_path):
    text = "the harbour board met on monday to agree the dredging budget for the coming year " * 3
    idx = tmp_path / "idx.sqlite"
    with syndup.Filter(index=idx) as f:
        assert f.check("a", text).kept
        v = f.check("b", text + " copy")
        assert not v.kept and v.dup_of == "a" and v.relation == "near_duplicate"
        assert 0.8 <= v.similarity <= 1.0
        e = f.check("c", text)
        assert e.relation == "exact_duplicate" and e.similarity == 1.0
        r = f.check("", "no id")
        assert r.relation == "rejected" and r.problem
    # The CLI reads the index the Python filter wrote: the same text is a duplicate of `a`.
    line = json.dumps({"id": "z", "text": text}) + "\n"
    out = run_cli("filter", "--quiet", "--index", idx, "--annotate", "-", stdin=line.encode())
    assert json.loads(out)["dup_of"] == "a"
    # And Python reads the index the CLI added to; reference mode adds nothing.
    with syndup.Filter(index=idx, reference=True) as f:
        assert f.check("y", text).dup_of == "a"
        before = f.stats()["index_records"]
        assert f.check("w", "something else entirely, about the weather in the hills today").kept
        assert f.stats()["index_records"] == before


def test_other_settings_than_the_index_are_an_error_naming_them(tmp_path):
    idx = tmp_path / "idx.sqlite"
    with syndup.Filter(index=idx) as f:
        f.check("a", "one two three four five six seven eight nine ten")
    with pytest.raises(syndup.IndexFileError) as e:
        syndup.Filter(index=idx, ngram=3)
    assert "ngram" in str(e.value)


def test_filter_options_are_validated_by_name():
    with pytest.raises(syndup.ConfigError) as e:
        syndup.Filter(containment=0.5)
    assert "containment" in str(e.value)
    with pytest.raises(syndup.ConfigError) as e:
        syndup.Filter(batch_size=0)
    assert "batch_size" in str(e.value)
    with pytest.raises(syndup.ConfigError) as e:
        syndup.Filter(reference=True)
    assert "index" in str(e.value)
    f = syndup.Filter()
    f.close()
    with pytest.raises(syndup.ConfigError):
        f.check("a", "b")
