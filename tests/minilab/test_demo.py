"""The whole pipeline on the smallest preset: pre-train, SFT, sweep, analysis, report; then a re-run."""

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from sftlab.cli.options import experiment
from sftlab.evaluate.store import ResultsStore
from sftlab.minilab.demo import run_experiment

TINY = [
    "name=tiny", "model.preset=xs", "pretrain.steps=20", "pretrain.items_per_family=60", "pretrain.batch_tokens=512",
    "data.samples=48", "train.steps=6", "train.save_every=3", "train.global_batch=8", "train.micro_batch=4",
    "train.max_length=256", "eval.batch_size=64",
    "eval.benchmarks=[{name: countdown, limit: 6, max_new_tokens: 48}, {name: signs, limit: 4, max_new_tokens: 24},"
    " {name: refusal, limit: 4, max_new_tokens: 24}]",
]
SFTLAB = str(Path(sys.executable).with_name("sftlab"))


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    return root, run_experiment(experiment(None, TINY), root)


def test_run_directory_holds_every_stage(finished):
    _, done = finished
    run = done.run_dir
    assert (run / "config.yaml").exists() and (run / "data" / "train.jsonl").exists()
    steps = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert steps == ["step-000000", "step-000003", "step-000006"]
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 6
    assert done.report.exists() and "<img" in done.report.read_text()
    with ResultsStore(run / "results.sqlite") as store:
        df = store.frame()
    assert set(df["step"]) == {0, 3, 6}
    assert len(df) == 3 * (6 + 4 + 4)
    assert set(df["domain"]) == {"in-domain", "ood", "safety"}


def test_rerun_computes_nothing_new(finished):
    root, done = finished
    before = (done.run_dir / "metrics.jsonl").read_text()
    again = run_experiment(experiment(None, TINY), root)
    assert (again.run_dir / "metrics.jsonl").read_text() == before
    with sqlite3.connect(done.run_dir / "results.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM samples").fetchone()[0] == 3 * 14


def test_the_same_run_name_with_another_config_is_refused(finished):
    root, _ = finished
    result = subprocess.run([SFTLAB, "demo", "--runs-dir", str(root), *TINY, "train.lr=0.1"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "made with a different config" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("override, message", [
    ("model.preset=huge", "model.preset: unknown preset 'huge'"),
    ("data.task=chess", "data.task: unknown task family 'chess'"),
    ("train.lrr=1", "train.lrr: unknown field"),
    ("model.path=/no/such/model", "/no/such/model: model path does not exist"),
])
def test_bad_input_is_one_clear_line_and_writes_nothing(tmp_path, override, message):
    result = subprocess.run([SFTLAB, "demo", "--runs-dir", str(tmp_path / "runs"), override],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_every_command_has_help_with_an_example():
    for command in ["demo", "pretrain", "train", "eval", "report", "analyze", "sweep"]:
        result = subprocess.run([SFTLAB, command, "--help"], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert "Example" in result.stdout, command
