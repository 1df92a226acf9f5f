"""Runs inside the code sandbox (standard library only): one solution against its tests, verdicts as JSON.

Reads `solution.py` and `tests.json` ({"style": "stdin" | "functional", "func_name", "seconds_per_test",
"tests": [{"input", "output"}]}) from the working directory and prints one JSON line
{"verdicts": [...]}, stopping at the first test that does not pass.
- stdin style: the solution runs as its own process per test, fed the input on stdin.
- functional style: `Solution().<func_name>(*args)` (or a top-level function), each argument one JSON
  line of the input, the result compared with the JSON output.
"""

import contextlib
import io
import json
import math
import signal
import subprocess
import sys


def outputs_match(actual: str, expected: str) -> bool:
    """Line by line after stripping; numbers within 1e-6 (relative or absolute) count as equal."""
    got = [line.strip() for line in actual.strip().splitlines()]
    want = [line.strip() for line in expected.strip().splitlines()]
    if got == want:
        return True
    if len(got) != len(want):
        return False
    return all(a == b or _numbers_close(a.split(), b.split()) for a, b in zip(got, want))


def _numbers_close(a: list, b: list) -> bool:
    if len(a) != len(b):
        return False
    try:
        return all(math.isclose(float(x), float(y), rel_tol=1e-6, abs_tol=1e-6) for x, y in zip(a, b))
    except ValueError:
        return False


def run_stdin(test: dict, seconds: float) -> str:
    try:
        done = subprocess.run(
            [sys.executable, "-E", "-s", "-B", "solution.py"], input=test["input"], capture_output=True,
            text=True, timeout=seconds,
        )
    except subprocess.TimeoutExpired:
        return "timeout"
    if done.returncode != 0:
        return "runtime_error"
    return "pass" if outputs_match(done.stdout, test["output"]) else "wrong_answer"


def _on_alarm(signum, frame):
    raise TimeoutError


def run_call(function, test: dict, seconds: float) -> str:
    args = [json.loads(line) for line in test["input"].strip().splitlines() if line.strip()]
    expected = json.loads(test["output"])
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            result = function(*args)
    except TimeoutError:
        return "timeout"
    except BaseException:  # noqa: BLE001 - any failure of the solution is its verdict
        return "runtime_error"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if isinstance(result, tuple):
        result = list(result)  # JSON has no tuples
    return "pass" if result == expected else "wrong_answer"


def load_function(name: str):
    scope = {"__name__": "solution"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(open("solution.py").read(), "solution.py", "exec"), scope)
    if "Solution" in scope:
        return getattr(scope["Solution"](), name)
    return scope[name]


def main() -> None:
    spec = json.load(open("tests.json"))
    seconds = spec["seconds_per_test"]
    verdicts = []
    if spec["style"] == "functional":
        try:
            function = load_function(spec["func_name"])
        except BaseException:  # noqa: BLE001 - a solution that does not even load fails every test
            function = None
    for test in spec["tests"]:
        if spec["style"] == "stdin":
            verdict = run_stdin(test, seconds)
        else:
            verdict = "compile_error" if function is None else run_call(function, test, seconds)
        verdicts.append(verdict)
        if verdict != "pass":
            break
    sys.__stdout__.write(json.dumps({"verdicts": verdicts}) + "\n")


if __name__ == "__main__":
    main()
