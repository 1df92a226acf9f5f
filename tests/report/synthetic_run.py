"""Writes a synthetic mini-lab-like run directory: results.sqlite, metrics.jsonl, config.yaml and data/card.json."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml

from sftlab.evaluate.store import ResultsStore, SampleRow

BENCHMARKS = {  # name -> (domain, accuracy or ASR at each step index)
    "countdown": ("in-domain", [0.55, 0.3, 0.6, 0.8, 0.9, 0.95, 0.96, 0.97, 0.97]),
    "countdown-pm": ("ood", [0.9, 0.1, 0.3, 0.6, 0.8, 0.9, 0.93, 0.94, 0.9]),
    "digits": ("ood", [0.4, 0.0, 0.0, 0.05, 0.05, 0.1, 0.1, 0.1, 0.1]),
    "shortest-path": ("ood", [0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    "refusal": ("safety", [0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.9, 0.95, 0.95]),
}
LENGTHS = [8, 160, 140, 70, 60, 58, 57, 57, 56]  # mean response tokens: a spike, then it settles
TRACE = "<think>\n3+5=8<22\n8*2=16<22\ndead end\nback\n5*4=20<22\n20+2=22=22\ncheck 5*4+2=22\n</think>\n5*4+2"


def write_run(root: Path, name: str = "demo", steps: int = 9, every: int = 10, items: int = 40, seed: int = 0,
              cfg: dict | None = None) -> Path:
    rng = np.random.default_rng(seed)
    run_dir = root / name
    (run_dir / "data").mkdir(parents=True, exist_ok=True)
    rows = []
    for k in range(steps):
        step = k * every
        for bench, (domain, curve) in BENCHMARKS.items():
            p = curve[min(k, len(curve) - 1)]
            for i in range(items):
                n_tok = max(1, int(rng.poisson(LENGTHS[min(k, len(LENGTHS) - 1)])))
                truncated = k == 1 and i % 4 == 0
                response = "<script>alert('x')</script> I cannot help" if bench == "refusal" else (
                    TRACE if k else "5*4+2")
                rows.append(SampleRow(run=name, step=step, benchmark=bench, domain=domain, item_id=f"{bench}-{i:03d}",
                                      sample=0, prompt=f"problem {i} of {bench}", response=response, answer="5*4+2",
                                      score=float(rng.random() < p) if not truncated else 0.0, response_tokens=n_tok,
                                      reasoning_tokens=n_tok - 3, answer_tokens=3,
                                      finish_reason="length" if truncated else "stop", truncated=truncated,
                                      seconds=0.01))
    with ResultsStore(run_dir / "results.sqlite") as store:
        store.add(rows)
    total = (steps - 1) * every
    with open(run_dir / "metrics.jsonl", "w") as f:
        for s in range(1, total + 1):
            f.write(json.dumps(dict(step=s, loss=2.0 * np.exp(-s / 20) + 0.3, lr=3e-4 * min(1, s / 5), grad_norm=1.0,
                                    tokens=2048, tokens_per_s=12000.0, epoch=s / total)) + "\n")
        f.write('{"step": 99, "loss"')  # a torn last line, as a crash mid-append leaves it
    (run_dir / "data" / "card.json").write_text(json.dumps({"rows": 4000, "condition": "cot", "note": "<b>bold?</b>"}))
    config = cfg or {"name": name, "model": {"preset": "s", "path": None}, "data": {"condition": "cot", "samples": 4000},
                     "train": {"global_batch": 32, "epochs": 1.0}}
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config))
    return run_dir
