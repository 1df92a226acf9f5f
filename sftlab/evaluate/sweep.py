"""Evaluate the checkpoints of one or more runs on the configured benchmarks, computing only what is missing.

Reads `runs/<name>/checkpoints/step-*/` (complete directories only: a checkpoint is renamed into place
when whole), their `trainer_state.json` (`total_steps`, to know when a followed training has finished)
and the benchmark files. Writes rows to `runs/<name>/results.sqlite`, or to one store that several runs
share, `cfg.commit_every` samples at a time, so `kill -9` loses at most the samples in flight. With a
cluster launcher each checkpoint is one job writing its own shard store (`<store>.shards/`), merged
into the store when the job is done.

A benchmark that cannot be loaded or scored (missing file, bad field, unreachable judge) is reported and
skipped; the others go on, and the sweep ends with a UserError that lists every failure.
"""

from __future__ import annotations

import functools
import json
import logging
import time
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from tqdm.auto import tqdm

from sftlab.config import BenchmarkSpec, EvalConfig, load_config
from sftlab.data.answers import split_reasoning
from sftlab.errors import UserError
from sftlab.evaluate import benchmarks
from sftlab.evaluate.backends import Completion, Generator, make_generator
from sftlab.evaluate.benchmarks.base import Benchmark, Item, Sampling
from sftlab.evaluate.judge import make_judge
from sftlab.evaluate.store import ResultsStore, SampleRow
from sftlab.train.checkpoint import STATE_FILE, list_checkpoints, model_source

log = logging.getLogger(__name__)

GeneratorFactory = Callable[[EvalConfig, str], Generator]


@dataclass
class Loaded:
    spec: BenchmarkSpec
    bench: Benchmark
    items: list[Item]
    sampling: Sampling
    domain: str


@dataclass(frozen=True)
class Plan:
    """Which checkpoints a sweep takes (`select_steps`), and whether it waits for a running training."""

    select: str = "all"
    follow: bool = False
    poll_seconds: float = 30.0  # follow: between looks for new checkpoints
    idle_timeout: float = 3600.0  # follow: give up when no new checkpoint came for this long


@dataclass
class Outcome:
    """What a sweep did: rows added, and what failed (`benchmark` or `benchmark @ step N` -> message)."""

    added: int = 0
    failures: dict[str, str] = field(default_factory=dict)

    def absorb(self, other: Outcome) -> None:
        self.added += other.added
        self.failures.update(other.failures)


# ---- benchmarks ------------------------------------------------------------------------------------------


def benchmark_path(spec: BenchmarkSpec, data_dir: str | None) -> str | None:
    """The spec's own path, else `<data_dir>/<name>` when it exists, else `data_dir` itself."""
    if spec.path is not None or data_dir is None:
        return spec.path
    own = Path(data_dir) / spec.name
    return str(own) if own.exists() else data_dir


def load_benchmarks(cfg: EvalConfig, outcome: Outcome) -> list[Loaded]:
    """Every benchmark that loads; one that does not is recorded in `outcome.failures` and left out."""
    judge = functools.cache(lambda: make_judge(cfg.judge, cfg.judge_model, cfg.judge_url, cfg.judge_key_env))
    loaded = []
    for spec in cfg.benchmarks:
        try:
            cls = benchmarks.get(spec.name)
            path = benchmark_path(spec, cfg.data_dir)
            extra = {"judge": judge()} if getattr(cls, "uses_judge", False) else {}
            bench = cls(path, seed=cfg.seed, **extra)
            items = bench.load()[: spec.limit]
        except UserError as e:
            log.error("benchmark %s: %s", spec.name, e)
            outcome.failures[spec.name] = str(e)
            continue
        base = bench.sampling
        sampling = replace(
            base,
            temperature=base.temperature if spec.temperature is None else spec.temperature,
            top_p=base.top_p if spec.top_p is None else spec.top_p,
            max_new_tokens=spec.max_new_tokens or base.max_new_tokens,
            samples=spec.samples or base.samples,
        )
        loaded.append(Loaded(spec, bench, items, sampling, spec.domain or bench.domain))
    return loaded


def describe_benchmarks() -> str:
    """One paragraph per registered benchmark: domain, default sampling, expected file and source."""
    lines = []
    for name, cls in sorted(benchmarks.BENCHMARKS.items()):
        s = cls.sampling
        lines.append(f"{name}  [{cls.domain}]  temperature={s.temperature} top_p={s.top_p} "
                     f"max_new_tokens={s.max_new_tokens} samples={s.samples}\n    {cls.source}")
    return "\n".join(lines)


# ---- one checkpoint --------------------------------------------------------------------------------------


def score_rows(run: str, step: int, b: Loaded, todo: list[tuple[Item, int]], prompts: list[str],
               completions: list[Completion], count_tokens: Callable[[str], int]) -> list[SampleRow]:
    """Store rows for a chunk: the text after the reasoning block is scored, in one `score_batch` call,
    unless the response was cut by the token cap or never closed its reasoning block (then it scores 0)."""
    parsed = [split_reasoning(c.text) for c in completions]
    truncated = [c.finish_reason == "length" or not p.closed for c, p in zip(completions, parsed)]
    scorable = [i for i, t in enumerate(truncated) if not t]
    scored = dict(zip(scorable, b.bench.score_batch([(todo[i][0], parsed[i].answer) for i in scorable])))
    rows = []
    for i, ((item, k), prompt, done, p) in enumerate(zip(todo, prompts, completions, parsed)):
        s = scored.get(i)
        reasoning_tokens = count_tokens(p.reasoning) if p.reasoning else 0
        rows.append(SampleRow(
            run=run, step=step, benchmark=b.spec.name, domain=b.domain, item_id=item.id, sample=k, prompt=prompt,
            response=done.text, answer=None if s is None else s.answer, score=0.0 if s is None else s.score,
            response_tokens=done.tokens, reasoning_tokens=reasoning_tokens,
            answer_tokens=max(done.tokens - reasoning_tokens, 0), finish_reason=done.finish_reason,
            truncated=truncated[i], seconds=done.seconds, detail={} if s is None else s.detail,
        ))  # fmt: skip
    return rows


def chunk_seed(seed: int, benchmark: str, first: tuple[Item, int]) -> int:
    """A chunk's sampling seed from what it starts with: a re-run of the same chunk draws the same responses."""
    return zlib.crc32(f"{seed}|{benchmark}|{first[0].id}|{first[1]}".encode())


def evaluate_checkpoint(generator: Generator, run: str, step: int, loaded: list[Loaded], store: ResultsStore,
                        cfg: EvalConfig, skip: dict[str, set] | None = None) -> Outcome:
    """Generate, score and store the samples of one checkpoint not yet in `store` (nor in `skip`)."""
    outcome = Outcome()
    for b in loaded:
        done = store.done_keys(run, step, b.spec.name) | (skip or {}).get(b.spec.name, set())
        todo = [(item, k) for k in range(b.sampling.samples) for item in b.items if (item.id, k) not in done]
        prompts = {item.id: generator.tokenizer.apply_chat_template(
            b.bench.prompt(item), add_generation_prompt=True, tokenize=False) for item, _ in todo}
        try:
            for start in range(0, len(todo), cfg.commit_every):
                chunk = todo[start : start + cfg.commit_every]
                texts = [prompts[item.id] for item, _ in chunk]
                began = time.perf_counter()
                completions = generator.generate(texts, b.sampling, seed=chunk_seed(cfg.seed, b.spec.name, chunk[0]))
                rows = score_rows(run, step, b, chunk, texts, completions, generator.count_tokens)
                outcome.added += store.add(rows)  # committed: a kill from here on loses nothing of this chunk
                log.debug("step %d %s: %d samples in %.1fs", step, b.spec.name, len(rows), time.perf_counter() - began)
        except UserError as e:
            log.error("benchmark %s at step %d: %s", b.spec.name, step, e)
            outcome.failures[f"{b.spec.name} @ step {step}"] = str(e)
    return outcome


def missing_steps(store: ResultsStore, run: str, steps: list[int], loaded: list[Loaded]) -> list[int]:
    """Checkpoints with at least one (benchmark, item, sample) not yet stored; one query for all of them."""
    wanted = [(b.spec.name, item.id, k) for b in loaded for item in b.items for k in range(b.sampling.samples)]
    counts = store.stored_counts(run, wanted)
    need = {b.spec.name: len(b.items) * b.sampling.samples for b in loaded}
    return [s for s in steps if any(counts.get((s, name), 0) < n for name, n in need.items())]


# ---- which checkpoints -----------------------------------------------------------------------------------


def every_kth(available: list[int], k: int) -> list[int]:
    """The first checkpoint and every k-th after it."""
    return sorted(available)[::k]


def log_spaced(available: list[int], first: int | None = None) -> list[int]:
    """Step 0 and, for targets first, 2*first, 4*first, ..., the earliest checkpoint at or after each
    (the study's 10, 20, 40, 80, ...). Adding later checkpoints never changes an earlier choice."""
    steps = sorted(available)
    positive = [s for s in steps if s > 0]
    if not positive:
        return steps
    first = first or positive[0]
    chosen = [0] if steps[0] == 0 else []
    target = first
    while target <= positive[-1]:
        chosen.append(next(s for s in positive if s >= target))
        target *= 2
    return sorted(set(chosen))


def select_steps(available: list[int], how: str, final: int | None = None) -> list[int]:
    """Checkpoints chosen by `how`: `all`, `every:K`, `log` / `log:FIRST`, or a list `0,10,40`.

    `final` (the training's last step) is always kept by `every` and `log` when it is available.
    """
    how = how.strip().lower()
    if how == "all":
        return sorted(available)
    kind, _, arg = how.partition(":")
    if kind in ("every", "log"):
        valid = arg.isdigit() and int(arg) > 0 if arg else kind == "log"  # `log` alone starts at the first step
        if not valid:
            raise UserError(f"--select {how}: expected every:K or log[:FIRST] with a positive integer")
        chosen = every_kth(available, int(arg)) if kind == "every" else log_spaced(available, int(arg or 0) or None)
        return sorted(set(chosen) | ({final} & set(available)))
    try:
        listed = sorted({int(s) for s in how.split(",") if s.strip()})
    except ValueError:
        raise UserError(f"--select {how}: expected all, every:K, log[:FIRST] or steps like 0,10,40") from None
    return [s for s in listed if s in set(available)]


def training_total(checkpoints: list[tuple[int, Path]]) -> int | None:
    """The training's `total_steps`, from the newest checkpoint whose state records it (step 0 does not)."""
    for _, d in reversed(checkpoints):
        try:
            total = json.loads((d / STATE_FILE).read_text()).get("total_steps")
        except (OSError, json.JSONDecodeError):
            continue
        if total is not None:
            return int(total)
    return None


# ---- where checkpoints are evaluated: here, or one cluster job each ---------------------------------------


def checkpoint_job(cfg_json: dict, run: str, step: int, source: str, shard: str, skip: dict[str, set],
                   make: GeneratorFactory) -> Outcome:
    """One cluster job: the samples of one checkpoint that the main store lacks (`skip` holds what it has),
    written to the job's own shard store."""
    cfg = EvalConfig.model_validate(cfg_json)
    outcome = Outcome()
    loaded = load_benchmarks(cfg, outcome)
    with ResultsStore(Path(shard)) as store:
        outcome.absorb(evaluate_checkpoint(make(cfg, source), run, step, loaded, store, cfg, skip))
    return outcome


def shards_dir(store: ResultsStore) -> Path:
    return store.path.with_name(store.path.name + ".shards")


def merge_shards(store: ResultsStore, run: str) -> int:
    """Fold every finished (or interrupted) job shard of `run` into the store, then delete it."""
    added = 0
    for shard in sorted(shards_dir(store).glob(f"{run}-step-*.sqlite")):
        added += store.merge(shard)
        for path in (shard, Path(f"{shard}-wal"), Path(f"{shard}-shm")):
            path.unlink(missing_ok=True)
    return added


def _job_outcome(step: int, result: Callable[[], Outcome]) -> Outcome:
    try:
        return result()
    except Exception as e:  # noqa: BLE001 - a crashed or lost job is reported; the other checkpoints go on
        last = str(e).strip().splitlines()[-1:] or [type(e).__name__]
        return Outcome(failures={f"step {step}": f"job failed: {last[0]}"})


def _run_jobs(args: list[tuple], cfg: EvalConfig, folder: Path, cluster: str | None) -> list[Outcome]:
    """Send one job per argument tuple with the configured launcher and wait for all of them."""
    steps = [a[2] for a in args]
    if cfg.launcher == "ray":
        try:
            import ray
        except ImportError:
            raise UserError("eval.launcher ray: Ray is not installed (pip install ray)") from None
        ray.init(ignore_reinit_error=True)  # joins the cluster named by RAY_ADDRESS, else starts a local one
        remote = ray.remote(num_gpus=cfg.job_gpus)(checkpoint_job)
        refs = [remote.remote(*a) for a in args]
        return [_job_outcome(s, functools.partial(ray.get, r)) for s, r in zip(steps, refs)]
    try:
        import submitit
    except ImportError:
        raise UserError("eval.launcher slurm: submitit is not installed (pip install submitit)") from None
    executor = submitit.AutoExecutor(folder=folder / "logs", cluster=cluster or "slurm")
    params = {"timeout_min": cfg.job_minutes, "gpus_per_node": cfg.job_gpus, "name": "sftlab-sweep"}
    if cfg.slurm_partition:
        params["slurm_partition"] = cfg.slurm_partition
    executor.update_parameters(**params)
    jobs = executor.map_array(checkpoint_job, *zip(*args))
    log.info("sweep: %d jobs submitted (%s), logs in %s", len(jobs), executor.cluster, folder / "logs")
    return [_job_outcome(s, job.result) for s, job in zip(steps, jobs)]


def evaluate_steps(steps: list[int], sources: dict[int, str], run: str, loaded: list[Loaded], store: ResultsStore,
                   cfg: EvalConfig, make: GeneratorFactory, cluster: str | None = None) -> Outcome:
    """Evaluate the missing samples of `steps`, here one checkpoint after another, or one job each."""
    outcome = Outcome()
    if cfg.launcher == "local":
        for step in tqdm(steps, desc=f"sweep {run}", unit="checkpoint"):
            outcome.absorb(evaluate_checkpoint(make(cfg, sources[step]), run, step, loaded, store, cfg))
        return outcome
    folder = shards_dir(store)
    folder.mkdir(parents=True, exist_ok=True)
    args = [
        (cfg.model_dump(mode="json"), run, step, sources[step], str(folder / f"{run}-step-{step:06d}.sqlite"),
         {b.spec.name: store.done_keys(run, step, b.spec.name) for b in loaded}, make)
        for step in steps
    ]  # fmt: skip
    for result in _run_jobs(args, cfg, folder, cluster):
        outcome.failures.update(result.failures)
    outcome.added = merge_shards(store, run)
    return outcome


# ---- the sweep -------------------------------------------------------------------------------------------


def sweep_run(run_dir: Path, cfg: EvalConfig, run: str | None = None, plan: Plan = Plan(),
              store_path: Path | None = None, make: GeneratorFactory = make_generator,
              cluster: str | None = None) -> Outcome:
    """Evaluate the run's selected checkpoints; with `plan.follow`, keep polling for new ones until the
    training has written its final checkpoint (or none came for `plan.idle_timeout` seconds).
    `cluster` overrides submitit's cluster for the slurm launcher (`local` runs the jobs here)."""
    run_dir = Path(run_dir)
    run = run or run_dir.name
    outcome = Outcome()
    loaded = load_benchmarks(cfg, outcome)
    attempted: set[int] = set()  # a checkpoint that failed is not retried at every poll
    seen: set[int] = set()
    last_new = time.monotonic()
    with ResultsStore(store_path or run_dir / "results.sqlite") as store:
        outcome.added += merge_shards(store, run)
        while True:
            found = dict(list_checkpoints(run_dir / "checkpoints"))
            if not found and not plan.follow:
                raise UserError(f"{run_dir / 'checkpoints'}: no checkpoints to evaluate")
            total = training_total(sorted(found.items()))
            chosen = select_steps(list(found), plan.select, final=total if plan.follow else max(found))
            todo = [s for s in missing_steps(store, run, chosen, loaded) if s not in attempted]
            if todo:
                sources = {s: model_source(found[s]) for s in todo}
                outcome.absorb(evaluate_steps(todo, sources, run, loaded, store, cfg, make, cluster))
                attempted |= set(todo)
            elif not plan.follow:
                log.info("sweep %s: %d checkpoints x %d benchmarks already stored", run, len(chosen), len(loaded))
            if not plan.follow or (total is not None and total in found):
                return outcome
            if set(found) - seen:
                seen, last_new = set(found), time.monotonic()
            elif time.monotonic() - last_new > plan.idle_timeout:
                outcome.failures["follow"] = (
                    f"{run_dir / 'checkpoints'}: no new checkpoint for {plan.idle_timeout:g}s and the training has "
                    f"not written step-{total if total is not None else '?'}; run the sweep again to go on"
                )
                return outcome
            time.sleep(plan.poll_seconds)


def raise_failures(outcomes: dict[str, Outcome]) -> None:
    """One UserError listing every failure of every run, after all the rest was evaluated."""
    failed = [f"  {run}: {what}: {message}" for run, o in outcomes.items() for what, message in o.failures.items()]
    if failed:
        added = sum(o.added for o in outcomes.values())
        raise UserError(f"sweep: {len(failed)} failure(s); everything else was evaluated "
                        f"({added} new samples stored):\n" + "\n".join(failed))


def sweep(run_dir: Path, cfg: EvalConfig, run: str | None = None, steps: list[int] | None = None,
          plan: Plan = Plan(), store_path: Path | None = None, make: GeneratorFactory = make_generator,
          cluster: str | None = None) -> int:
    """Evaluate a run's checkpoints (those of `plan`, or `steps`); returns the rows added. Raises a UserError
    listing what failed after evaluating everything else."""
    if steps:
        plan = replace(plan, select=",".join(map(str, steps)))
    outcome = sweep_run(run_dir, cfg, run, plan, store_path, make, cluster)
    raise_failures({run or Path(run_dir).name: outcome})
    return outcome.added


def sweep_runs(run_dirs: list[Path], config: Path | None = None, overrides: list[str] = (),
               store_path: Path | None = None, plan: Plan = Plan()) -> int:
    """`sftlab sweep`: each run with its own resolved config (`<run>/config.yaml`, or `config`) plus
    `overrides`, all into `store_path` when given; returns the rows added."""
    if plan.follow and len(run_dirs) > 1:
        raise UserError("--follow watches one training: give one run directory")
    outcomes = {}
    for run_dir in map(Path, run_dirs):
        resolved = run_dir / "config.yaml"
        cfg = load_config(config or (resolved if resolved.exists() else None), list(overrides)).eval
        outcomes[run_dir.name] = sweep_run(run_dir, cfg, run_dir.name, plan, store_path)
    raise_failures(outcomes)
    return sum(o.added for o in outcomes.values())
