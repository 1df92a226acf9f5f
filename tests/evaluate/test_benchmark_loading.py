"""Loaders read each published format and name file, item and field when something is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sftlab.errors import UserError
from sftlab.evaluate.benchmarks import BENCHMARKS, get
from sftlab.evaluate.benchmarks.loading import read_records, resolve

FIXTURES = Path(__file__).parents[1] / "fixtures" / "benchmarks"
REAL = {
    "math500": 3, "aime24": 2, "aime25": 2, "gpqa_diamond": 3, "mmlu_pro": 2, "ifeval": 4, "truthfulqa": 2,
    "halueval": 4, "livecodebench": 2, "humaneval": 2, "alpacaeval": 2, "hexphi": 4, "xstest": 3,
}  # fmt: skip
def fixture_dir(name: str) -> Path:
    return FIXTURES / name


@pytest.mark.parametrize("name", sorted(REAL))
def test_every_benchmark_loads_its_fixture_and_prompts(name):
    cls = get(name)
    assert cls.domain in ("in-domain", "ood", "general", "safety") and cls.source
    bench = cls(fixture_dir(name), seed=0) if name != "alpacaeval" else None
    if bench is None:
        pytest.skip("alpacaeval needs an LLM judge; loaded in test_judge_benchmarks")
    items = bench.load()
    assert len(items) == REAL[name]
    assert len({i.id for i in items}) == len(items)
    for item in items:
        messages = bench.prompt(item)
        assert messages[-1]["role"] == "user" and messages[-1]["content"].strip()


def test_all_study_benchmarks_are_registered():
    assert set(REAL) <= set(BENCHMARKS)


def test_missing_field_names_file_line_and_field(tmp_path):
    bad = tmp_path / "test.jsonl"
    bad.write_text(json.dumps({"problem": "1+1?", "answer": "2", "unique_id": "a"}) + "\n" + json.dumps({"problem": "x", "unique_id": "b"}) + "\n")
    with pytest.raises(UserError, match=r"test\.jsonl:2: answer: missing"):
        get("math500")(bad).load()


def test_wrong_type_and_bad_json_are_reported(tmp_path):
    bad = tmp_path / "test.jsonl"
    bad.write_text('{"problem": "x", "answer": 3, "unique_id": "a"}\n')
    with pytest.raises(UserError, match=r"test\.jsonl:1: answer: expected str, got int"):
        get("math500")(bad).load()
    bad.write_text('{"problem": "x",\n')
    with pytest.raises(UserError, match=r"test\.jsonl:1: not valid JSON"):
        read_records(bad)


def test_csv_errors_count_the_header_line(tmp_path):
    bad = tmp_path / "gpqa_diamond.csv"
    text = (FIXTURES / "gpqa_diamond" / "gpqa_diamond.csv").read_text().splitlines()
    header = text[0].split(",")
    header[header.index("Incorrect Answer 2")] = "Wrong 2"
    bad.write_text(",".join(header) + "\n" + "\n".join(text[1:]) + "\n")
    with pytest.raises(UserError, match=r"gpqa_diamond\.csv:2: Incorrect Answer 2: missing"):
        get("gpqa_diamond")(bad).load()


def test_missing_file_and_empty_directory(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        get("ifeval")(tmp_path / "nope.jsonl").load()
    with pytest.raises(UserError, match="no input_data.jsonl or ifeval.jsonl for benchmark ifeval"):
        get("ifeval")(tmp_path).load()


def test_hub_id_errors_say_how_to_get_the_file(monkeypatch):
    import sys
    import types

    monkeypatch.setitem(sys.modules, "datasets", None)  # as if not installed: importing it fails
    with pytest.raises(UserError, match="pip install datasets"):
        read_records("HuggingFaceH4/MATH-500")

    def unreachable(*args, **kwargs):
        raise ConnectionError("hub unreachable")

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=unreachable))
    with pytest.raises(UserError, match=r"HuggingFaceH4/MATH-500: could not load split 'test' .*hub unreachable"):
        read_records("HuggingFaceH4/MATH-500")


def test_parquet_and_jsonl_give_the_same_items(tmp_path):
    rows = [json.loads(line) for line in (FIXTURES / "mmlu_pro" / "test.jsonl").read_text().splitlines()]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "test.parquet")
    from_parquet = get("mmlu_pro")(tmp_path / "test.parquet").load()
    from_jsonl = get("mmlu_pro")(FIXTURES / "mmlu_pro" / "test.jsonl").load()
    assert from_parquet == from_jsonl


def test_directory_resolution_prefers_known_names(tmp_path):
    (tmp_path / "math500").mkdir()
    (tmp_path / "math500" / "test.jsonl").write_text("")
    assert resolve(tmp_path, ("test.jsonl",), "hub/id", "math500") == str(tmp_path / "math500" / "test.jsonl")
    assert resolve(None, ("test.jsonl",), "hub/id", "math500") == "hub/id"
