"""`sftlab train`, killed with SIGKILL after a checkpoint and resumed, repeats the uninterrupted run step for step."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sftlab.io import atomic_write_jsonl

from tiny_models import make_records

SFTLAB = str(Path(sys.executable).parent / "sftlab")


def command(runs: Path, name: str, model: Path, data: Path, *extra: str) -> list[str]:
    return [SFTLAB, "train", "--runs-dir", str(runs), *extra, f"name={name}", f"model.path={model}",
            f"data.path={data}", "train.steps=40", "train.save_every=5", "train.global_batch=32",
            "train.micro_batch=8", "train.lr=3e-3"]


def metrics(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_kill_and_resume_matches_uninterrupted(llama_dir, tmp_path):
    data = tmp_path / "train.jsonl"
    atomic_write_jsonl(data, make_records(96, seed=5))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    runs = tmp_path / "runs"

    proc = subprocess.Popen(command(runs, "killed", llama_dir, data), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    log = runs / "killed" / "metrics.jsonl"
    deadline = time.time() + 120
    # Kill between checkpoints (after step 7 is logged, before step 10 is saved), so the resumed run
    # must drop logged steps its checkpoint does not hold, and redo them.
    while time.time() < deadline and proc.poll() is None:
        if log.exists() and len(log.read_text().splitlines()) >= 7:
            os.killpg(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    checkpoints = runs / "killed" / "checkpoints"
    assert not (checkpoints / "step-000040").exists()
    subprocess.run(command(runs, "killed", llama_dir, data, "--resume"), env=env, check=True, capture_output=True)
    subprocess.run(command(runs, "whole", llama_dir, data), env=env, check=True, capture_output=True)

    resumed, whole = metrics(runs / "killed"), metrics(runs / "whole")
    assert [r["step"] for r in resumed] == list(range(1, 41))
    for a, b in zip(resumed, whole):
        assert (a["step"], a["lr"], a["tokens"]) == (b["step"], b["lr"], b["tokens"])
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-6, abs=1e-6)
        assert a["grad_norm"] == pytest.approx(b["grad_norm"], rel=1e-5)
    # Only the newest checkpoint kept an optimizer state while running; none is left at the end.
    assert [d.name for d in checkpoints.glob("step-*/resume")] == []
    assert sorted(d.name for d in checkpoints.iterdir()) == [f"step-{s:06d}" for s in range(0, 41, 5)]


def test_resume_without_checkpoint_is_an_error(llama_dir, tmp_path):
    data = tmp_path / "train.jsonl"
    atomic_write_jsonl(data, make_records(8))
    done = subprocess.run(command(tmp_path, "fresh", llama_dir, data, "--resume"), capture_output=True, text=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 2
    assert "nothing to resume from" in done.stderr and "Traceback" not in done.stderr
