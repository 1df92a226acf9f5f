"""Verification: extraction after the reasoning block, math-verify equivalences, verdicts by reason, workers."""

import json
from pathlib import Path

import pytest

from sftlab.data.answers import math_equal
from sftlab.data.records import read_records
from sftlab.data.verify import extract, judge, verify_pool

FIX = Path(__file__).parents[1] / "fixtures" / "data"
TABLE = [json.loads(line) for line in (FIX / "equivalences.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("case", TABLE, ids=[c["case"] for c in TABLE])
def test_tricky_answer_equivalences(case):
    assert math_equal(case["predicted"], case["reference"]) is case["equal"]
    assert judge(case["predicted"], case["reference"]) == ("correct" if case["equal"] else "wrong")


def _mmath_items():
    mmath = pytest.importorskip("mmath")
    return json.loads((Path(mmath.__file__).parent / "mmath" / "en.json").read_text())


def test_real_mmath_answers_verify_against_themselves_boxed_and_reject_a_neighbour():
    items = _mmath_items()
    assert len(items) == 374
    for item in items:
        ref = item["answer"]
        bare = ref.strip().strip("$")
        response = f"<think>working...</think>Therefore the answer is $\\boxed{{{bare}}}$."
        assert extract(response) == bare
        assert math_equal(extract(response), ref), item["gid"]
    integers = [i["answer"] for i in items if i["answer"].lstrip("-").isdigit()]
    assert len(integers) > 300
    assert not any(math_equal(str(int(a) + 1), a) for a in integers)


def test_extraction_only_after_a_closed_reasoning_block():
    assert extract("<think>maybe \\boxed{3}</think>so \\boxed{5}") == "5"
    assert extract("<think>maybe \\boxed{3} and I keep going") is None
    assert extract("<think>x</think>Final answer: 7") == "7"
    assert extract("<think>x</think>I give up.") is None


def test_verdict_reasons():
    assert judge(None, "3") == "no_answer"
    assert judge("+*", "10") == "unparsable"
    assert judge("\\frac{1}{3}", "\\frac{3}{4}") == "wrong"


def test_a_comparison_past_its_deadline_is_a_timeout():
    # A huge power makes sympy work for seconds; a tiny CPU budget must cut it off, not hang.
    assert judge("(x+1)^{3000}-(x+2)^{2999}", "(x+3)^{2998}", timeout=0.05) == "timeout"


@pytest.mark.parametrize("workers", [1, 2])
def test_pool_verdicts_and_report(tmp_path, workers):
    out = tmp_path / "verified.jsonl"
    report = verify_pool(FIX / "pool.jsonl", out, workers=workers)
    verdicts = {(r.id, r.meta["sample"]): r.meta["verdict"] for r in read_records(out)}
    assert verdicts == {
        ("q1", 0): "correct", ("q1", 1): "correct", ("q1", 2): "wrong",
        ("q2", 0): "correct", ("q2", 1): "no_answer", ("q2", 2): "no_answer",
        ("q3", 0): "wrong", ("q3", 1): "wrong",
        ("q4", 0): "correct", ("q4", 1): "unparsable", ("q4", 2): "correct",
        ("q5", 0): "correct", ("q5", 1): "wrong",
    }
    assert report["by_reason"] == {"correct": 6, "wrong": 4, "no_answer": 2, "unparsable": 1, "timeout": 0}
    assert report["queries"] == 5 and report["queries_with_verified"] == 4
    assert json.loads((tmp_path / "verified.report.json").read_text())["responses"] == 13
