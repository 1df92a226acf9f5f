"""Teacher sampling: N responses per query through a generation backend, stored resumably with token counts.

Reads a queries file (any records format; `queries` takes prompts without responses); appends to a
pool file (JSONL, canonical records) one row per (query id, sample index), with `meta.sample`,
`meta.prompt_tokens`, `meta.response_tokens`, `meta.reasoning_tokens`, `meta.answer_tokens` and
`meta.finish_reason`. A re-run reads the pool's keys and generates only what is missing; a torn last
line left by a crash is cut off first. Sample s of every query is drawn with seed `seed + s`.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Callable

from tqdm import tqdm

from sftlab.data.answers import split_reasoning
from sftlab.data.records import Record, iter_records
from sftlab.errors import UserError

log = logging.getLogger(__name__)

ChatRenderer = Callable[[list[dict]], str]  # prompt turns -> the prompt string the model continues


def repair_tail(path: Path, block: int = 1 << 16) -> None:
    """Cut a torn last line (no newline: the writer died mid-row) so the file is whole rows again."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with open(path, "rb+") as f:
        end = f.seek(0, os.SEEK_END)
        f.seek(end - 1)
        if f.read(1) == b"\n":
            return
        pos = end
        while pos > 0:  # read backwards a block at a time: the pool can be gigabytes
            start = max(0, pos - block)
            f.seek(start)
            newline = f.read(pos - start).rfind(b"\n")
            if newline >= 0:
                pos = start + newline + 1
                break
            pos = start
        log.warning("%s: dropping a torn last row (%d bytes)", path, end - pos)
        f.truncate(pos)


def done_keys(pool: Path) -> set[tuple[str, int]]:
    if not pool.exists():
        return set()
    return {(r.id, int(r.meta["sample"])) for r in iter_records(pool, "sft")}


def _row(query: Record, sample: int, completion, count_tokens: Callable[[str], int], prompt_tokens: int) -> dict:
    parsed = split_reasoning(completion.text)
    meta = {**query.meta, "sample": sample, "prompt_tokens": prompt_tokens, "response_tokens": completion.tokens,
            "reasoning_tokens": count_tokens(parsed.reasoning), "answer_tokens": count_tokens(parsed.answer),
            "finish_reason": completion.finish_reason}
    return Record(query.messages, completion.text, query.answer, query.id, meta).to_dict()


def sample_pool(queries: Path, pool: Path, generator, render: ChatRenderer, sampling, n: int, seed: int = 0,
                batch: int = 256, format: str = "queries") -> int:
    """Append the missing (query, sample) responses to `pool`; returns how many were generated.

    `generator` follows `sftlab.evaluate.backends.Generator`; `sampling` is a `Sampling` (its
    `samples` is ignored: `n` decides). Rows are flushed a batch at a time, so a crash loses at most one.
    """
    pool = Path(pool)
    items = list(iter_records(queries, format))
    ids = [q.id for q in items]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise UserError(f"{queries}: query id {dup!r} appears more than once; ids must be unique")
    repair_tail(pool)
    done = done_keys(pool)
    todo = [(q, s) for s in range(n) for q in items if (q.id, s) not in done]
    log.info("%s: %d of %d responses already stored, %d to generate", pool, len(done), n * len(items), len(todo))
    prompts = {q.id: render(q.messages) for q in items}
    prompt_tokens = {qid: generator.count_tokens(p) for qid, p in prompts.items()} if todo else {}
    pool.parent.mkdir(parents=True, exist_ok=True)
    with open(pool, "a", encoding="utf-8") as f, tqdm(total=len(todo), desc="sample", unit="resp") as bar:
        for start in range(0, len(todo), batch):
            chunk = todo[start : start + batch]
            for s in sorted({s for _, s in chunk}):
                part = [q for q, t in chunk if t == s]
                completions = generator.generate([prompts[q.id] for q in part], sampling, seed + s)
                for q, c in zip(part, completions, strict=True):
                    f.write(json.dumps(_row(q, s, c, generator.count_tokens, prompt_tokens[q.id]),
                                       ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
            bar.update(len(chunk))
    return len(todo)


def sample_with_model(queries: Path, pool: Path, model: str, n: int, *, temperature: float = 0.6,
                      top_p: float = 0.95, max_new_tokens: int = 4096, seed: int = 0, batch_size: int = 64,
                      backend: str = "hf", format: str = "queries") -> int:
    """`sftlab data sample`: load the teacher, render prompts with its chat template, fill the pool."""
    from sftlab.evaluate import backends
    from sftlab.evaluate.benchmarks.base import Sampling

    if backend == "vllm":
        if not hasattr(backends, "VLLMGenerator"):
            raise UserError("backend vllm: not available here (install vllm and sftlab[vllm]); use --backend hf")
        generator = backends.VLLMGenerator.from_path(model)
    elif backend == "hf":
        generator = backends.HFGenerator.from_path(model, batch_size=batch_size)
    else:
        raise UserError(f"unknown backend {backend!r}; expected hf or vllm")
    tokenizer = generator.tokenizer

    def render(messages: list[dict]) -> str:
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    sampling = Sampling(temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens)
    return sample_pool(queries, pool, generator, render, sampling, n, seed, batch=batch_size * 4, format=format)
