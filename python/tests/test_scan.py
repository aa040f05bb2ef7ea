"""syndup.scan gives what `syndup scan --format json` gives, from paths, dicts and Arrow."""

import json

import pytest

import syndup
from conftest import ROOT, run_cli


def keyed(report):
    d = json.loads(report) if isinstance(report, str) else report
    return d["clusters"], d["pairs"], d["repeats"]


def test_scan_of_the_samples_equals_the_cli(monkeypatch):
    # Text files are identified by their path as given: give the same relative path.
    monkeypatch.chdir(ROOT)
    cli = json.loads(run_cli("scan", "--format", "json", "samples/"))
    rep = syndup.scan("samples/")
    assert cli["clusters"], "the samples hold clusters"
    assert cli["pairs"]
    got = rep.to_dict()
    assert got["clusters"] == cli["clusters"]
    assert got["pairs"] == cli["pairs"]
    assert [c.members for c in rep.clusters] == [c["members"] for c in cli["clusters"]]
    assert [(p.a, p.b, p.jaccard) for p in rep.pairs] == [
        (p["a"], p["b"], p["jaccard"]) for p in cli["pairs"]
    ]
    assert rep.stats["documents"] == cli["stats"]["documents"]
    assert rep.parameters["threshold"] == cli["parameters"]["threshold"]


def test_options_reach_the_scan_like_flags(monkeypatch):
    monkeypatch.chdir(ROOT)
    cli = json.loads(
        run_cli("scan", "--format", "json", "--threshold", "0.6", "--sentences", "--keep", "first", "samples/")
    )
    rep = syndup.scan(["samples/"], threshold=0.6, sentences=True, keep="first")
    assert keyed(rep.to_json()) == keyed(cli)
    assert rep.repeats, "sentences=True finds repeats in the samples"
    assert rep.duplicate_ids() == sorted(
        {m for c in cli["clusters"] for m in c["members"] if m != c["representative"]}
    )


def news_records():
    with open(ROOT / "samples" / "news.jsonl", encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def test_dicts_and_a_pyarrow_table_give_the_report_of_the_jsonl_file():
    pa = pytest.importorskip("pyarrow")
    cli = json.loads(run_cli("scan", "--format", "json", "samples/news.jsonl"))
    recs = news_records()
    from_dicts = syndup.scan(recs)
    table = pa.Table.from_pylist(recs)
    from_table = syndup.scan(table)
    for rep in (from_dicts, from_table):
        d = rep.to_dict()
        assert d["clusters"] == cli["clusters"]
        assert d["pairs"] == cli["pairs"]
    # A RecordBatch, and large_string columns, read the same way.
    batch = table.combine_chunks().to_batches()[0]
    assert syndup.scan(batch).to_dict()["pairs"] == cli["pairs"]
    large = table.cast(pa.schema([(f.name, pa.large_string()) for f in table.schema]))
    assert syndup.scan(large).to_dict()["clusters"] == cli["clusters"]


def test_the_same_result_at_any_thread_count():
    recs = news_records()
    one = syndup.scan(recs, threads=1, sentences=True).to_json()
    two = syndup.scan(recs, threads=2, sentences=True).to_json()
    assert json.loads(one)["clusters"] == json.loads(two)["clusters"]
    assert json.loads(one)["repeats"] == json.loads(two)["repeats"]


def test_parquet_paths_are_read_like_jsonl(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    recs = news_records()
    pq.write_table(pa.Table.from_pylist(recs), tmp_path / "news.parquet", row_group_size=4)
    cli = json.loads(run_cli("scan", "--format", "json", "samples/news.jsonl"))
    rep = syndup.scan([tmp_path / "news.parquet"])
    assert rep.to_dict()["pairs"] == cli["pairs"]


def test_bad_records_are_problems_and_strict_raises_with_path_line_and_id():
    recs = news_records()[:5]
    recs.insert(2, {"id": "no-text"})
    rep = syndup.scan(recs)
    assert len(rep.problems) == 1
    p = rep.problems[0]
    assert (p.path, p.line, p.id) == ("<memory>", 3, "no-text")
    with pytest.raises(syndup.InputError) as e:
        syndup.scan(recs, strict=True)
    assert (e.value.path, e.value.line, e.value.id) == ("<memory>", 3, "no-text")


def test_strict_on_a_file_names_its_path_and_line(tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_text('{"id": "a", "text": "fine text here"}\n{"id": "b"}\n', encoding="utf-8")
    rep = syndup.scan(f)
    assert (rep.problems[0].line, rep.problems[0].id) == (2, "b")
    with pytest.raises(syndup.InputError) as e:
        syndup.scan(f, strict=True)
    assert e.value.path == str(f)
    assert e.value.line == 2
    assert "text field" in str(e.value)


@pytest.mark.parametrize(
    "options, named",
    [
        ({"threshold": "high"}, "threshold"),
        ({"threshold": 1.5}, "threshold"),
        ({"ngram": 0}, "ngram"),
        ({"keep": "newest"}, "keep"),
        ({"thresold": 0.8}, "thresold"),
        ({"threads": 0}, "threads"),
        ({"bands": 4}, "rows"),
        ({"sentences": "some"}, "sentences"),
        ({"containment": "maybe"}, "containment"),
    ],
)
def test_bad_options_are_config_errors_naming_the_option(options, named):
    with pytest.raises(syndup.ConfigError) as e:
        syndup.scan([{"id": "a", "text": "x"}], **options)
    assert named in str(e.value)


def test_a_missing_column_or_field_is_named():
    pa = pytest.importorskip("pyarrow")
    table = pa.table({"id": ["a"], "body": ["some text"]})
    with pytest.raises(syndup.ConfigError) as e:
        syndup.scan(table)
    assert "text_field" in str(e.value) and "`body`" in str(e.value)
    with pytest.raises(syndup.ConfigError) as e:
        syndup.scan(pa.table({"id": ["a"], "text": [3]}))
    assert "`text`" in str(e.value)
    with pytest.raises(syndup.ConfigError) as e:
        syndup.scan(ROOT / "samples" / "news.jsonl", text_field="body")
    assert "body" in str(e.value) and "text_field=" in str(e.value)
    with pytest.raises(syndup.InputError) as e:
        syndup.scan([{"id": "a", "text": ["not", "a", "string"]}])
    assert "`text`" in str(e.value)


def test_a_missing_path_is_a_problem_naming_it(tmp_path):
    missing = tmp_path / "nowhere.jsonl"
    rep = syndup.scan([missing])
    assert rep.problems and rep.problems[0].path == str(missing)
