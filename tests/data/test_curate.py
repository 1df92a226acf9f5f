"""Conditions from a verified pool: the invariants of each, shared queries, seeded and byte-reproducible."""

import json
from pathlib import Path

import pytest

from sftlab.data.answers import split_reasoning
from sftlab.data.curate import Entry, Filters, build_conditions, select
from sftlab.data.records import read_records
from sftlab.data.verify import extract, judge, verify_pool
from sftlab.errors import UserError

FIX = Path(__file__).parents[1] / "fixtures" / "data"


@pytest.fixture(scope="module")
def verified(tmp_path_factory):
    out = tmp_path_factory.mktemp("pool") / "verified.jsonl"
    verify_pool(FIX / "pool.jsonl", out, workers=1)
    return out


def _build(verified, out, **kw):
    return build_conditions(verified, out, ("cot", "nocot", "unverified", "wrong", "subset"), seed=kw.pop("seed", 7),
                            k=2, **kw)


def test_condition_invariants(verified, tmp_path):
    cards = _build(verified, tmp_path, filters=Filters(max_tokens=500))
    rows = {c: read_records(tmp_path / c / "train.jsonl") for c in cards}
    # q3 has no verified response; q4's 900-token response is filtered out; q2's unclosed one too
    assert [r.id for r in rows["cot"]] == ["q1", "q2", "q4", "q5"]
    for r in rows["cot"]:
        assert judge(extract(r.response), r.answer) == "correct" and "</think>" in r.response
    for cot, nocot in zip(rows["cot"], rows["nocot"], strict=True):
        assert "<think>" not in nocot.response and "</think>" not in nocot.response
        assert nocot.response == split_reasoning(cot.response).answer
        assert extract(f"<think></think>{nocot.response}") == extract(cot.response)
        assert nocot.meta["sample"] == cot.meta["sample"]
    assert {r.id for r in rows["unverified"]} == {r.id for r in rows["cot"]}
    assert rows["wrong"] and all(judge(extract(r.response), r.answer) == "wrong" for r in rows["wrong"])
    assert {r.id for r in rows["wrong"]} <= {r.id for r in rows["cot"]}
    assert len(rows["subset"]) == 2 and {r.id for r in rows["subset"]} <= {r.id for r in rows["cot"]}
    subset_samples = {(r.id, r.meta["sample"]) for r in rows["subset"]}
    assert subset_samples <= {(r.id, r.meta["sample"]) for r in rows["cot"]}
    assert cards["cot"]["dropped"] == {"too_long": 1, "unclosed_reasoning": 1, "queries_without_verified": 1}
    assert cards["cot"]["counts"]["rows"] == 4 and cards["cot"]["verification"]["rate"] == 1.0
    assert json.loads((tmp_path / "cot" / "card.json").read_text())["seed"] == 7


def test_matched_queries_cover_every_condition(verified, tmp_path):
    _build(verified, tmp_path, matched=True)
    ids = {c: [r.id for r in read_records(tmp_path / c / "train.jsonl")] for c in ("cot", "nocot", "unverified", "wrong")}
    assert ids["cot"] == ids["nocot"] == ids["unverified"] == ids["wrong"] == ["q1", "q5"]


def test_same_seed_same_bytes_other_seed_other_choice(verified, tmp_path):
    for name, seed in (("a", 1), ("b", 1)):
        _build(verified, tmp_path / name, seed=seed)
    for c in ("cot", "nocot", "unverified", "wrong", "subset"):
        assert (tmp_path / "a" / c / "train.jsonl").read_bytes() == (tmp_path / "b" / c / "train.jsonl").read_bytes()
    entries = [Entry(i, f"q{i // 10}", "correct", True, 10) for i in range(200)]
    picks = [select(entries, ("cot",), seed).rows["cot"] for seed in range(5)]
    assert len({frozenset(p) for p in picks}) > 1
    assert all(len(p) == 20 for p in picks)


def test_unverified_choice_ignores_the_verdict():
    # Flipping every verdict of a query that stays eligible must not change the unverified pick.
    base = [Entry(i, f"q{i // 4}", "correct" if i % 4 == 0 else "wrong", True, 5) for i in range(40)]
    flipped = [Entry(e.row, e.query, "correct" if e.row % 4 == 1 else "wrong", True, 5) for e in base]
    assert select(base, ("unverified",), 3).rows == select(flipped, ("unverified",), 3).rows


def test_pool_without_verdicts_and_bad_k_are_user_errors(tmp_path, verified):
    with pytest.raises(UserError, match="meta.verdict: missing"):
        build_conditions(FIX / "pool.jsonl", tmp_path, ("cot",))
    with pytest.raises(UserError, match="k must be between 1 and 4"):
        build_conditions(verified, tmp_path, ("subset",), k=9)
    assert not any(tmp_path.iterdir())
