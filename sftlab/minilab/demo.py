"""The experiment pipeline: base model -> data -> SFT -> evaluation sweep -> report, each stage skipped when done.

Reads an ExperimentConfig; writes the run directory `runs/<name>/` (config.yaml, data/, checkpoints/,
metrics.jsonl, results.sqlite, report/). Every stage leaves complete files or none, so re-running
continues where a previous run stopped and costs seconds once everything is there.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from sftlab.config import ExperimentConfig, save_config
from sftlab.errors import UserError
from sftlab.minilab.pretrain import base_model
from sftlab.train import checkpoint as ckpt
from sftlab.train.loop import total_steps, train

log = logging.getLogger(__name__)


def prepare_run(cfg: ExperimentConfig, runs_root: Path) -> Path:
    """Create or reopen `runs/<name>`; refuse to mix two different configs in one run directory."""
    if cfg.model.path is not None:
        from sftlab.models.presets import check_model_path

        check_model_path(cfg.model.path)  # before anything is written
    run_dir = runs_root / cfg.name
    resolved = run_dir / "config.yaml"
    if resolved.exists():
        before = yaml.safe_load(resolved.read_text())
        if before != cfg.model_dump(mode="json"):
            raise UserError(f"{resolved}: this run was made with a different config; choose another name= or "
                            f"delete {run_dir}")
    else:
        save_config(cfg, resolved)
    return run_dir


def base_checkpoint(cfg: ExperimentConfig, run_dir: Path, runs_root: Path) -> Path:
    """checkpoints/step-000000: a copy of the mini-lab base model, or a reference to a real model."""
    step0 = ckpt.step_dir(run_dir / "checkpoints", 0)
    if step0.exists():
        return step0
    if cfg.model.path is not None:
        return ckpt.write_base_reference(run_dir / "checkpoints", cfg.model.path)
    base = base_model(cfg.model, cfg.pretrain, cfg.seed, cfg.data.numbers, runs_root / "_base")
    tmp = step0.with_name(step0.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(base, tmp, ignore=shutil.ignore_patterns(ckpt.RESUME_DIR))
    state = json.loads((tmp / ckpt.STATE_FILE).read_text())
    (tmp / ckpt.STATE_FILE).write_text(json.dumps({**state, "step": 0, "base": str(base)}, indent=2) + "\n")
    tmp.rename(step0)
    return step0


def training_data(cfg: ExperimentConfig, run_dir: Path) -> list[dict]:
    """data/train.jsonl and data/card.json: generated and verified for the mini-lab, or read from `data.path`."""
    from sftlab.data.card import lexicon_counter, write_card
    from sftlab.data.curate import build_task_condition
    from sftlab.data.records import read_records, write_records

    data_dir = run_dir / "data"
    path = data_dir / "train.jsonl"
    if not path.exists():
        if cfg.data.path is not None:
            write_records(path, read_records(cfg.data.path))
            write_card(path, data_dir / "card.json", count_patterns=lexicon_counter("english"), seed=cfg.seed)
        else:
            build_task_condition(cfg.data, cfg.seed, data_dir, count_patterns=lexicon_counter("minilab"))
    return [json.loads(line) for line in path.read_text().splitlines()]


def fine_tune(cfg: ExperimentConfig, run_dir: Path, records: list[dict], step0: Path) -> None:
    checkpoints = run_dir / "checkpoints"
    steps = total_steps(cfg.train, len(records))
    if ckpt.step_dir(checkpoints, steps).exists():
        log.info("train: all %d steps already done", steps)
        return
    resume = ckpt.latest_resumable(checkpoints) is not None
    train(cfg.train, records, str(step0), run_dir, seed=cfg.seed, resume=resume)


@dataclass(frozen=True)
class Finished:
    run_dir: Path
    report: Path
    findings: dict


def run_experiment(cfg: ExperimentConfig, runs_root: Path) -> Finished:
    """Every stage of one experiment; returns the run directory."""
    from sftlab.analysis import analyze
    from sftlab.evaluate.sweep import sweep
    from sftlab.report import build_report

    run_dir = prepare_run(cfg, runs_root)
    step0 = base_checkpoint(cfg, run_dir, runs_root)
    records = training_data(cfg, run_dir)
    fine_tune(cfg, run_dir, records, step0)
    sweep(run_dir, cfg.eval, run=cfg.name)
    findings = analyze([run_dir])
    index = build_report([run_dir], run_dir / "report", findings=findings)
    return Finished(run_dir, index, findings)


def train_stage(cfg: ExperimentConfig, runs_root: Path, resume: bool) -> Path:
    """`sftlab train`: the run's data and SFT only; `resume` continues a run that has checkpoints."""
    run_dir = prepare_run(cfg, runs_root)
    step0 = base_checkpoint(cfg, run_dir, runs_root)
    records = training_data(cfg, run_dir)
    if resume and ckpt.latest_resumable(run_dir / "checkpoints") is None:
        raise UserError(f"{run_dir / 'checkpoints'}: nothing to resume from")
    fine_tune(cfg, run_dir, records, step0)
    return run_dir
