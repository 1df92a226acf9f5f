"""LiveCodeBench (code generation, release v2): the program runs in the sandbox against public and private
tests, stdin/stdout or function-call style; a response passes when every test passes; pass@1 over k.

Reads the published jsonl of livecodebench/code_generation_lite (question_id, question_title,
question_content, platform, contest_date, starter_code, difficulty, public_test_cases,
private_test_cases, metadata); release v2 is `test.jsonl` + `test2.jsonl`, read together when a
directory is given. Private tests are published as JSON or as base64(zlib(pickle(JSON string))); the
pickle is read with an unpickler that accepts plain strings only, so the file cannot run code.
"""

from __future__ import annotations

import base64
import io
import json
import pickle
import zlib
from pathlib import Path
from typing import ClassVar

from sftlab.errors import UserError
from sftlab.evaluate import code_runner
from sftlab.evaluate.benchmarks import register
from sftlab.evaluate.benchmarks.base import Item, Sampling, Scored
from sftlab.evaluate.benchmarks.humaneval import CodeBenchmark
from sftlab.evaluate.benchmarks.loading import Record, read_records, require_items
from sftlab.evaluate.benchmarks.math500 import REASONING_SAMPLING
from sftlab.evaluate.sandbox import PYTHON, Job, RunResult

RELEASE_V2_FILES = ("test.jsonl", "test2.jsonl")
SECONDS_PER_TEST = 6.0
_RUNNER_SOURCE = Path(code_runner.__file__).read_text(encoding="utf-8")


class _StringsOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def decode_tests(r: Record, field: str) -> list[dict]:
    raw = r.get(field, (str, list), default="[]")
    if isinstance(raw, str) and not raw.lstrip().startswith("["):
        try:
            raw = _StringsOnly(io.BytesIO(zlib.decompress(base64.b64decode(raw)))).load()
        except (ValueError, zlib.error, pickle.UnpicklingError, EOFError) as e:
            raise r.fail(field, f"neither JSON nor base64/zlib/pickle ({e})") from None
    try:
        tests = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError as e:
        raise r.fail(field, f"not valid JSON ({e.msg})") from None
    for k, test in enumerate(tests):
        if not isinstance(test, dict) or not {"input", "output"} <= set(test):
            raise r.fail(f"{field}[{k}]", "expected an object with input and output")
    return tests


@register("livecodebench")
class LiveCodeBench(CodeBenchmark):
    domain = "ood"
    sampling: ClassVar[Sampling] = Sampling(
        REASONING_SAMPLING.temperature, REASONING_SAMPLING.top_p, REASONING_SAMPLING.max_new_tokens, samples=4
    )
    source = (
        "jsonl with question_id, question_content, starter_code, public_test_cases, private_test_cases, "
        "metadata (test.jsonl + test2.jsonl = release_v2 of livecodebench/code_generation_lite, "
        "https://huggingface.co/datasets/livecodebench/code_generation_lite)"
    )

    def load(self) -> list[Item]:
        sources = self._sources()
        records = [r for src in sources for r in read_records(src)]
        return [self._item(r) for r in require_items(records, ", ".join(sources))]

    def _sources(self) -> list[str]:
        if self.path is None:
            raise UserError(
                "livecodebench: needs the release files: pass a directory holding test.jsonl and test2.jsonl "
                "(release_v2) from livecodebench/code_generation_lite, or one jsonl file"
            )
        path = Path(self.path)
        if not path.is_dir():
            return [str(path)]
        found = [str(path / n) for n in RELEASE_V2_FILES if (path / n).exists()]
        if not found:
            raise UserError(f"{path}: no {' or '.join(RELEASE_V2_FILES)} for benchmark livecodebench")
        return found

    def _item(self, r: Record) -> Item:
        tests = decode_tests(r, "public_test_cases") + decode_tests(r, "private_test_cases")
        if not tests:
            raise r.fail("public_test_cases", "no tests")
        styles = {t.get("testtype", "stdin") for t in tests}
        if len(styles) != 1 or not styles <= {"stdin", "functional"}:
            raise r.fail("public_test_cases", f"expected testtype stdin or functional throughout, got {sorted(styles)}")
        style = styles.pop()
        metadata = json.loads(r.get("metadata", default="{}") or "{}")
        if style == "functional" and "func_name" not in metadata:
            raise r.fail("metadata", "func_name: missing (needed by functional tests)")
        meta = {
            "style": style,
            "func_name": metadata.get("func_name"),
            "starter_code": r.get("starter_code", default=""),
            "tests": [{"input": t["input"], "output": t["output"]} for t in tests],
            "difficulty": r.get("difficulty", default=""),
            "contest_date": str(r.get("contest_date", default="")),
        }
        return Item(str(r.get("question_id", (str, int))), r.get("question_content"), None, meta)

    def prompt(self, item: Item) -> list[dict]:
        task = f"Solve this programming problem in Python.\n\n{item.question.strip()}\n\n"
        if item.meta["style"] == "stdin":
            task += (
                "Your program reads the input from standard input and writes the answer to standard output. "
                "Reply with the complete program in one ```python code block."
            )
        else:
            task += (
                "Start from the code below and reply with the completed code in one ```python code block.\n\n"
                f"```python\n{item.meta['starter_code']}\n```"
            )
        return [{"role": "user", "content": task}]

    def job(self, item: Item, code: str) -> Job:
        spec = {
            "style": item.meta["style"],
            "func_name": item.meta["func_name"],
            "seconds_per_test": SECONDS_PER_TEST,
            "tests": item.meta["tests"],
        }
        files = (("runner.py", _RUNNER_SOURCE), ("solution.py", code), ("tests.json", json.dumps(spec)))
        wall = min(10 + SECONDS_PER_TEST * len(item.meta["tests"]), 300)
        return Job((*PYTHON, "runner.py"), files, wall_seconds=wall)

    def verdict(self, item: Item, code: str, result: RunResult) -> Scored:
        lines = result.stdout.strip().splitlines()
        try:
            verdicts = json.loads(lines[-1])["verdicts"] if lines else []
        except (json.JSONDecodeError, KeyError, TypeError):
            verdicts = []
        passed = sum(v == "pass" for v in verdicts)
        ok = result.ok and passed == len(item.meta["tests"])
        tests = len(item.meta["tests"])
        detail = {"status": result.status, "passed": passed, "tests": tests, "verdicts": verdicts[-1:]}
        return Scored(float(ok), code, detail)
