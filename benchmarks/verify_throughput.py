"""Data-pipeline performance: `verify` throughput with 1 and 2 workers, peak memory of building conditions.

Writes its generated pools to a temporary directory and prints the figures.
Run: python benchmarks/verify_throughput.py [--responses 10000] [--pool 100000]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ANSWERS = [("\\frac{3}{4}", "0.75"), ("(-2,2)", "(-2, 2)"), ("25\\%", "0.25"), ("2\\sqrt{2}", "\\sqrt{8}"),
           ("10", "10\\text{ m}"), ("\\frac{1}{3}", "0.33"), ("7", "8"), ("x^2+1", "1+x^2")]


def write_pool(path: Path, rows: int, per_query: int, reasoning_words: int, seed: int, verdicts: bool) -> None:
    rng = random.Random(seed)
    filler = " ".join(["step"] * reasoning_words)
    with open(path, "w") as f:
        for i in range(rows):
            q, s = divmod(i, per_query)
            ref, said = ANSWERS[rng.randrange(len(ANSWERS))]
            said = f"{q}" if ref.isdigit() and rng.random() < 0.5 else said  # vary so caches do not decide
            ref = f"{q}" if said == f"{q}" else ref
            row = {"id": f"q{q}", "messages": [{"role": "user", "content": f"Problem {q}: compute it."}],
                   "response": f"<think>{filler} {i}</think>The answer is $\\boxed{{{said}}}$.", "answer": ref,
                   "meta": {"sample": s, "response_tokens": reasoning_words + 12}}
            if verdicts:
                row["meta"]["verdict"] = rng.choice(["correct", "correct", "wrong", "no_answer"])
            f.write(json.dumps(row) + "\n")


def verify_throughput(tmp: Path, responses: int) -> None:
    from sftlab.data.verify import verify_pool

    pool = tmp / "verify_pool.jsonl"
    write_pool(pool, responses, 4, 50, 0, verdicts=False)
    for workers in (1, 2):
        began = time.perf_counter()
        report = verify_pool(pool, tmp / f"verified{workers}.jsonl", workers=workers)
        wall = time.perf_counter() - began
        print(f"verify  {responses} responses  workers={workers}:  {report['responses_per_s']:.0f} responses/s "
              f"(judging), {responses / wall:.0f} responses/s end to end; {report['by_reason']}")


def build_peak_memory(tmp: Path, rows: int) -> None:
    pool = tmp / "build_pool.jsonl"
    write_pool(pool, rows, 4, 200, 1, verdicts=True)
    code = ("import sys, resource; from pathlib import Path; from sftlab.data.curate import build_conditions;"
            f"build_conditions(Path({str(pool)!r}), Path({str(tmp / 'conditions')!r}), "
            "('cot','nocot','unverified','wrong','subset'), seed=0, k=1000);"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    began = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - began
    peak_mib = int(out.strip().splitlines()[-1]) / 1024
    size_mib = pool.stat().st_size / 2**20
    print(f"build   {rows} responses ({size_mib:.0f} MiB pool), 5 conditions: peak RSS {peak_mib:.0f} MiB, {wall:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=10_000)
    parser.add_argument("--pool", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        verify_throughput(Path(tmp), args.responses)
        build_peak_memory(Path(tmp), args.pool)


if __name__ == "__main__":
    main()
