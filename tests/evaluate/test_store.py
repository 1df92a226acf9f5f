"""The results store: idempotent writes, exact missing-work counts, merging of job shards."""

from __future__ import annotations

import sqlite3

import pytest

from sftlab.evaluate.store import ResultsStore, SampleRow


def row(step: int, item: str, sample: int = 0, score: float = 1.0, run: str = "demo", bench: str = "math500") -> SampleRow:
    return SampleRow(run=run, step=step, benchmark=bench, domain="in-domain", item_id=item, sample=sample,
                     prompt="p", response="r", answer="5", score=score, response_tokens=7, reasoning_tokens=4,
                     answer_tokens=3, finish_reason="stop", truncated=False, seconds=0.1, detail={"k": [1, 2]})


def test_duplicate_writes_are_ignored_and_the_first_value_kept(tmp_path):
    with ResultsStore(tmp_path / "r.sqlite") as store:
        assert store.add([row(0, "a"), row(0, "b"), row(10, "a")]) == 3
        assert store.add([row(0, "a", score=0.0), row(0, "b")]) == 0
        assert store.add([row(0, "a", sample=1), row(0, "a")]) == 1
        df = store.frame(with_text=True)
    assert len(df) == 4
    first = df[(df.step == 0) & (df.item_id == "a") & (df["sample"] == 0)]
    assert first.score.tolist() == [1.0] and first.detail.tolist() == ['{"k": [1, 2]}']
    assert df.truncated.dtype == bool


def test_stored_counts_count_only_the_wanted_keys(tmp_path):
    with ResultsStore(tmp_path / "r.sqlite") as store:
        store.add([row(0, "a"), row(0, "b"), row(0, "old"), row(10, "a"), row(10, "a", 1), row(0, "a", run="other")])
        counts = store.stored_counts("demo", [("math500", "a", 0), ("math500", "a", 1), ("math500", "b", 0)])
        assert counts == {(0, "math500"): 2, (10, "math500"): 2}
        assert store.stored_counts("demo", [("hexphi", "a", 0)]) == {}


def test_merge_folds_in_a_shard_once(tmp_path):
    with ResultsStore(tmp_path / "shard.sqlite") as shard:
        shard.add([row(10, "a"), row(10, "b"), row(0, "a", score=0.0)])
    with ResultsStore(tmp_path / "main.sqlite") as store:
        store.add([row(0, "a")])
        assert store.merge(tmp_path / "shard.sqlite") == 2
        assert store.merge(tmp_path / "shard.sqlite") == 0
        df = store.frame()
        with pytest.raises(FileNotFoundError):
            store.merge(tmp_path / "missing.sqlite")
    assert sorted(zip(df.step, df.item_id, df.score)) == [(0, "a", 1.0), (10, "a", 1.0), (10, "b", 1.0)]


def test_merge_refuses_a_shard_of_another_schema_version(tmp_path):
    with ResultsStore(tmp_path / "shard.sqlite"):
        pass
    db = sqlite3.connect(tmp_path / "shard.sqlite")
    db.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    db.commit()
    db.close()
    with ResultsStore(tmp_path / "main.sqlite") as store, pytest.raises(RuntimeError, match="schema v99"):
        store.merge(tmp_path / "shard.sqlite")
