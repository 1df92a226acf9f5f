"""Sweep timing on a mini-lab-like run: every checkpoint, a re-run with nothing missing, one new checkpoint.

The run is a tiny preset model saved as checkpoints step-000000, step-000010, ... (same weights: the
figures are about the sweep, not the model), with the mini-lab benchmarks cut to `--items` problems
each. The re-run is timed twice: the library call, and the whole `sftlab sweep RUN` command (Python
start-up and imports included). Goals: a re-run with nothing missing under 2 s; a new checkpoint costs
what one checkpoint of the first sweep cost.
Writes the run to a temporary directory; prints the figures.
Run: python benchmarks/sweep_timing.py [--checkpoints 6] [--items 16] [--max-new-tokens 48]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sftlab.config import BenchmarkSpec, ExperimentConfig, save_config
from sftlab.evaluate.sweep import sweep

FAMILIES = ("countdown", "countdown_pm", "signs", "path", "refusal")


def make_run(root: Path, preset: str, checkpoints: int, items: int, max_new_tokens: int) -> ExperimentConfig:
    from sftlab.models.presets import build_preset

    model, tokenizer = build_preset(preset, seed=0)
    first = root / "checkpoints" / "step-000000"
    model.save_pretrained(first)
    tokenizer.save_pretrained(first)
    for k in range(1, checkpoints):
        shutil.copytree(first, root / "checkpoints" / f"step-{10 * k:06d}")
    cfg = ExperimentConfig(name=root.name)
    cfg.eval.benchmarks = [BenchmarkSpec(name=n, limit=items, max_new_tokens=max_new_tokens) for n in FAMILIES]
    cfg.eval.backend = "hf"
    save_config(cfg, root / "config.yaml")
    return cfg


def timed(label: str, action) -> float:
    began = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - began
    print(f"{label:<44}{seconds:>8.2f} s   ({result})")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="xs")
    parser.add_argument("--checkpoints", type=int, default=6)
    parser.add_argument("--items", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=48)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "timing"
        cfg = make_run(run, args.preset, args.checkpoints, args.items, args.max_new_tokens)
        samples = f"{len(FAMILIES) * args.items} samples per checkpoint"
        full = timed(f"sweep, {args.checkpoints} checkpoints", lambda: f"{sweep(run, cfg.eval)} rows, {samples}")
        timed("re-run, nothing missing (library call)", lambda: f"{sweep(run, cfg.eval)} rows")
        command = [sys.executable, "-c", "from sftlab.cli import main; main()", "sweep", str(run)]
        timed("re-run, nothing missing (sftlab sweep RUN)",
              lambda: subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip())
        shutil.copytree(run / "checkpoints" / "step-000000", run / "checkpoints" / f"step-{10 * args.checkpoints:06d}")
        one = timed("one new checkpoint", lambda: f"{sweep(run, cfg.eval)} rows")
        print(f"one new checkpoint / mean checkpoint of the first sweep: {one / (full / args.checkpoints):.2f}")


if __name__ == "__main__":
    main()
