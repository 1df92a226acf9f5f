"""Analysis and report time for several runs of many checkpoints (the issue's case: 3 runs x 20 checkpoints).

The runs are synthetic results stores with the mini-lab's benchmarks and the demo's item counts per
checkpoint (written by the test suite's `synthetic_run` helper, so the rows look like a real sweep's, texts
included). Times `analyze` and `build_report` as library calls, and `sftlab report RUN...` as a whole command
(Python start-up and imports included).
Run: python benchmarks/report_timing.py [--runs 3] [--checkpoints 20] [--items 100]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "report"))
from synthetic_run import write_run  # noqa: E402

from sftlab.analysis import analyze  # noqa: E402
from sftlab.report import build_report  # noqa: E402


def timed(label: str, action) -> float:
    began = time.perf_counter()
    action()
    seconds = time.perf_counter() - began
    print(f"{label:<52}{seconds:>8.2f} s")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--checkpoints", type=int, default=20)
    parser.add_argument("--items", type=int, default=100, help="items per benchmark and checkpoint")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "runs"
        runs = [write_run(root, name=f"run{k}", steps=args.checkpoints, items=args.items, seed=k,
                          cfg={"model": {"preset": "s"}, "data": {"condition": "cot", "samples": 1000 * (k + 1)},
                               "train": {"global_batch": 32, "epochs": 1.0 + k}})
                for k in range(args.runs)]
        rows = args.runs * args.checkpoints * args.items * 5
        print(f"{args.runs} runs x {args.checkpoints} checkpoints x 5 benchmarks x {args.items} items = {rows} rows")
        timed("analyze (library call)", lambda: analyze(runs))
        timed("build_report (library call, analysis included)", lambda: build_report(runs, Path(tmp) / "report"))
        command = [sys.executable, "-c", "from sftlab.cli import main; main()", "report", *map(str, runs),
                   "--out", str(Path(tmp) / "report-cli")]
        timed("sftlab report RUN... (whole command)", lambda: subprocess.run(command, check=True, capture_output=True))


if __name__ == "__main__":
    main()
