"""GPQA, MMLU-Pro, TruthfulQA, HaluEval: seeded option order, letters from the final answer only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sftlab.evaluate.benchmarks import get
from sftlab.evaluate.benchmarks.choices import stable_permutation
from sftlab.evaluate.benchmarks.halueval import yes_no

FIXTURES = Path(__file__).parents[1] / "fixtures" / "benchmarks"


def test_permutation_is_stable_across_processes():
    here = stable_permutation(10, 3, "recAAA0001")
    code = "from sftlab.evaluate.benchmarks.choices import stable_permutation as p; print(p(10, 3, 'recAAA0001'))"
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert str(here) == there.strip() and sorted(here) == list(range(10))
    assert stable_permutation(10, 4, "recAAA0001") != here  # the seed matters


def test_gpqa_correct_option_follows_the_permutation():
    bench = get("gpqa_diamond")(FIXTURES / "gpqa_diamond", seed=0)
    items = bench.load()
    for item in items:
        letter = item.reference
        assert item.meta["options"]["ABCD".index(letter)] in ("The photon", "sp3", "The mitochondrion")
        assert bench.score(item, f"The answer is \\boxed{{{letter}}}").score == 1.0
        wrong = next(x for x in "ABCD" if x != letter)
        assert bench.score(item, f"\\boxed{{{letter}}}... on reflection \\boxed{{{wrong}}}").score == 0.0
    shown = bench.prompt(items[0])[0]["content"]
    assert "(A)" in shown and "(D)" in shown and "\\boxed{}" in shown


def test_gpqa_positions_are_spread_over_seeds():
    places = {get("gpqa_diamond")(FIXTURES / "gpqa_diamond", seed=s).load()[0].reference for s in range(12)}
    assert len(places) >= 3


def test_mmlu_pro_reads_up_to_ten_options_and_the_final_letter():
    bench = get("mmlu_pro")(FIXTURES / "mmlu_pro" / "test.jsonl")
    ten, four = bench.load()
    assert len(ten.meta["options"]) == 10 and "(J) 16" in bench.prompt(ten)[0]["content"]
    assert bench.score(ten, "Options A and B are even. The answer is (C).").score == 1.0
    assert bench.score(ten, "\\boxed{J}").score == 0.0
    assert bench.score(four, "\\boxed{E}").answer is None  # not an option of a 4-option item


def test_truthfulqa_both_published_layouts_agree():
    original = get("truthfulqa")(FIXTURES / "truthfulqa" / "mc_task.json").load()
    hub = get("truthfulqa")(FIXTURES / "truthfulqa" / "truthfulqa_mc.jsonl").load()
    assert original[0] == hub[0]
    bench = get("truthfulqa")(FIXTURES / "truthfulqa" / "mc_task.json")
    item = original[0]
    right = item.meta["options"]["ABC".index(item.reference)]
    assert right == "It passes through your digestive system."
    assert bench.score(item, f"\\boxed{{{item.reference}}}").score == 1.0


def test_halueval_labels_and_yes_no_parsing():
    bench = get("halueval")(FIXTURES / "halueval" / "qa_data.json", seed=0)
    items = bench.load()
    assert {i.reference for i in items} <= {"Yes", "No"}
    for item in items:
        assert ("Answer: The Irish Sea" in item.question) == (item.reference == "Yes") or "Thames" not in item.question
        assert bench.score(item, f"\\boxed{{{item.reference}}}").score == 1.0
    labels_by_seed = {tuple(i.reference for i in get("halueval")(FIXTURES / "halueval", seed=s).load()) for s in range(8)}
    assert len(labels_by_seed) > 1
    summary = get("halueval")(FIXTURES / "halueval" / "summarization_data.json").load()[0]
    assert summary.id == "summarization-0" and "Summary:" in summary.question
    assert [yes_no(t) for t in ["\\boxed{\\text{No}}", "Yes, no doubt. Final: no", "maybe"]] == ["No", "No", None]
