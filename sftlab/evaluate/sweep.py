"""Evaluate every checkpoint of a run on the configured benchmarks, computing only what is missing.

Reads `runs/<name>/checkpoints/step-*/` and benchmark files; writes rows to `runs/<name>/results.sqlite`
one benchmark batch at a time, so an interrupted sweep loses at most the batch in flight.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path

from tqdm.auto import tqdm

from sftlab.config import BenchmarkSpec, EvalConfig
from sftlab.data.answers import split_reasoning
from sftlab.evaluate import benchmarks
from sftlab.evaluate.backends import Completion, Generator, HFGenerator
from sftlab.evaluate.benchmarks.base import Benchmark, Item, Sampling
from sftlab.evaluate.store import ResultsStore, SampleRow
from sftlab.train.checkpoint import list_checkpoints, model_source

log = logging.getLogger(__name__)


@dataclass
class Loaded:
    spec: BenchmarkSpec
    bench: Benchmark
    items: list[Item]
    sampling: Sampling
    domain: str


def load_benchmarks(specs: list[BenchmarkSpec], seed: int) -> list[Loaded]:
    loaded = []
    for spec in specs:
        bench = benchmarks.get(spec.name)(spec.path, seed=seed)
        items = bench.load()[: spec.limit]
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


def score_completion(run: str, step: int, b: Loaded, item: Item, sample: int, prompt: str,
                     done: Completion, generator: Generator) -> SampleRow:
    """A store row: the text after the reasoning block is scored unless the response was truncated."""
    parsed = split_reasoning(done.text)
    truncated = done.finish_reason == "length" or not parsed.closed
    scored = None if truncated else b.bench.score(item, parsed.answer)
    reasoning_tokens = generator.count_tokens(parsed.reasoning) if parsed.reasoning else 0
    return SampleRow(
        run=run, step=step, benchmark=b.spec.name, domain=b.domain, item_id=item.id, sample=sample,
        prompt=prompt, response=done.text, answer=None if scored is None else scored.answer,
        score=0.0 if scored is None else scored.score, response_tokens=done.tokens,
        reasoning_tokens=reasoning_tokens, answer_tokens=max(done.tokens - reasoning_tokens, 0),
        finish_reason=done.finish_reason, truncated=truncated, seconds=done.seconds,
        detail={} if scored is None else scored.detail,
    )


def evaluate_checkpoint(generator: Generator, tokenizer, run: str, step: int, loaded: list[Loaded],
                        store: ResultsStore, seed: int) -> int:
    """Generate and store the missing samples of one checkpoint; returns how many rows were added."""
    added = 0
    for b in loaded:
        done_keys = store.done_keys(run, step, b.spec.name)
        todo = [(item, k) for item in b.items for k in range(b.sampling.samples) if (item.id, k) not in done_keys]
        if not todo:
            continue
        prompts = [tokenizer.apply_chat_template(b.bench.prompt(item), add_generation_prompt=True, tokenize=False)
                   for item, _ in todo]
        began = time.perf_counter()
        # Sample k of every item shares one seed offset, so adding samples later leaves earlier ones unchanged.
        completions = generator.generate(prompts, b.sampling, seed=seed)
        rows = [score_completion(run, step, b, item, k, p, c, generator)
                for (item, k), p, c in zip(todo, prompts, completions)]
        added += store.add(rows)
        log.debug("step %d %s: %d samples in %.1fs", step, b.spec.name, len(rows), time.perf_counter() - began)
    return added


def missing_work(store: ResultsStore, run: str, steps: list[int], loaded: list[Loaded]) -> list[int]:
    """Checkpoints with at least one sample not yet stored."""
    need = []
    for step in steps:
        for b in loaded:
            if len(store.done_keys(run, step, b.spec.name)) < len(b.items) * b.sampling.samples:
                need.append(step)
                break
    return need


def describe_benchmarks() -> str:
    """One paragraph per registered benchmark: domain, default sampling, expected file and source."""
    lines = []
    for name, cls in sorted(benchmarks.BENCHMARKS.items()):
        s = cls.sampling
        lines.append(f"{name}  [{cls.domain}]  temperature={s.temperature} top_p={s.top_p} "
                     f"max_new_tokens={s.max_new_tokens} samples={s.samples}\n    {cls.source}")
    return "\n".join(lines)


def sweep(run_dir: Path, cfg: EvalConfig, run: str | None = None, steps: list[int] | None = None) -> int:
    """Evaluate the run's checkpoints (all, or `steps`) on `cfg.benchmarks`; returns rows added."""
    run = run or run_dir.name
    checkpoints = dict(list_checkpoints(run_dir / "checkpoints"))
    wanted = sorted(checkpoints) if steps is None else [s for s in steps if s in checkpoints]
    loaded = load_benchmarks(cfg.benchmarks, cfg.seed)
    added = 0
    with ResultsStore(run_dir / "results.sqlite") as store:
        todo = missing_work(store, run, wanted, loaded)
        if not todo:
            log.info("eval: all %d checkpoints x %d benchmarks already stored", len(wanted), len(loaded))
            return 0
        for step in tqdm(todo, desc="eval checkpoints"):
            generator = HFGenerator.from_path(model_source(checkpoints[step]), batch_size=cfg.batch_size)
            added += evaluate_checkpoint(generator, generator.tokenizer, run, step, loaded, store, cfg.seed)
    return added
