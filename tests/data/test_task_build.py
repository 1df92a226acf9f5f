"""Mini-lab conditions come from the task family's renderings, each row checked by the family's own verifier."""

import pytest

from sftlab.config import DataConfig
from sftlab.data.answers import split_reasoning
from sftlab.data.curate import build_task_condition
from sftlab.data.records import read_records


@pytest.mark.parametrize("condition, verdict", [("cot", "correct"), ("nocot", "correct"), ("bfs", "correct"),
                                                ("wrong", "wrong")])
def test_task_condition_rows_pass_or_fail_the_family_verifier(tmp_path, condition, verdict):
    card = build_task_condition(DataConfig(condition=condition, samples=40), seed=0, out=tmp_path)
    rows = read_records(tmp_path / "train.jsonl")
    assert len(rows) == 40 == card["counts"]["rows"]
    assert {r.meta["verdict"] for r in rows} == {verdict}
    reasoning = [split_reasoning(r.response).reasoning for r in rows]
    assert all(reasoning) if condition != "nocot" else not any(reasoning)
    assert card["condition"] == condition and (tmp_path / "card.json").exists()


def test_same_queries_across_task_conditions(tmp_path):
    ids = {}
    for condition in ("cot", "nocot", "unverified"):
        build_task_condition(DataConfig(condition=condition, samples=20), seed=1, out=tmp_path / condition)
        ids[condition] = [r.id for r in read_records(tmp_path / condition / "train.jsonl")]
    assert ids["cot"] == ids["nocot"]
    assert set(ids["unverified"]) == set(ids["cot"])
