"""Training conditions from a verified response pool: the data axis of the study, built in one step.

Reads a verified pool (rows with `meta.verdict`, from `sftlab data verify`); writes one directory per
condition, `<out>/<condition>/train.jsonl` and its `card.json`:
- `cot`: one verified long-CoT response per query (seeded choice);
- `nocot`: the same responses with the reasoning block removed, the final solution kept;
- `unverified`: one response per query chosen without looking at the verdict;
- `wrong`: one response per query whose answer failed verification (`wrong`: an answer, not the reference);
- `subset`: the `cot` rows of a seeded sample of k queries (fixed-budget comparisons).
All conditions draw on the same queries: those with a verified response that passes the filters
(`matched=True` also requires a wrong one, so that `wrong` covers every query too). Filters apply to
every condition: a closed `</think>` and at most `max_tokens` response tokens.

The pool is streamed twice and never held: pass 1 keeps a few fields per row, the choice is a pure
function of those and the seed, pass 2 writes the chosen rows.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from tqdm import tqdm

from sftlab.data.answers import split_reasoning
from sftlab.data.card import CardBuilder, PatternCounter, TokenCounter
from sftlab.data.records import Record, RecordWriter, iter_records
from sftlab.errors import UserError
from sftlab.io import atomic_write_json

log = logging.getLogger(__name__)

CONDITIONS = ("cot", "nocot", "unverified", "wrong", "subset")


@dataclass(frozen=True)
class Filters:
    require_closed: bool = True  # drop responses whose reasoning block never closed
    max_tokens: int | None = None  # drop responses longer than this (meta.response_tokens)


@dataclass(frozen=True)
class Entry:
    """What pass 1 keeps of one pool row."""

    row: int
    query: str
    verdict: str
    closed: bool
    tokens: int | None


@dataclass
class Selection:
    rows: dict[str, set[int]]  # condition -> chosen pool rows
    queries: list[str]  # the shared query set, sorted
    dropped: Counter  # reason -> responses removed by a filter, or queries_without_* -> queries left out


def drop_reason(entry: Entry, filters: Filters) -> str | None:
    if filters.require_closed and not entry.closed:
        return "unclosed_reasoning"
    if filters.max_tokens is not None:
        if entry.tokens is None:
            raise UserError(f"pool row {entry.row}: meta.response_tokens: needed by the max-tokens filter")
        if entry.tokens > filters.max_tokens:
            return "too_long"
    return None


def _rng(seed: int, *parts: str) -> random.Random:
    # A generator per (seed, condition, query): a query's choice does not depend on any other query.
    return random.Random(":".join([str(seed), *parts]))


def select(entries: list[Entry], conditions: tuple[str, ...], seed: int, filters: Filters = Filters(),
           k: int | None = None, matched: bool = False) -> Selection:
    """Which pool rows each condition takes. Pure: the same entries and seed give the same choice."""
    unknown = set(conditions) - set(CONDITIONS)
    if unknown:
        raise UserError(f"unknown condition(s) {sorted(unknown)}; known: {', '.join(CONDITIONS)}")
    dropped: Counter = Counter()
    by_query: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        reason = drop_reason(e, filters)
        if reason:
            dropped[reason] += 1
        else:
            by_query[e.query].append(e)
    verified = {q: [e for e in es if e.verdict == "correct"] for q, es in by_query.items()}
    wrong = {q: [e for e in es if e.verdict == "wrong"] for q, es in by_query.items()}
    queries = sorted(q for q in by_query if verified[q] and (wrong[q] or not matched))
    dropped["queries_without_verified"] = sum(1 for q in by_query if not verified[q])
    if matched:
        dropped["queries_without_wrong"] = sum(1 for q in by_query if verified[q] and not wrong[q])
    cot = {q: _rng(seed, "cot", q).choice(verified[q]).row for q in queries}
    rows: dict[str, set[int]] = {}
    for cond in conditions:
        if cond in ("cot", "nocot"):
            rows[cond] = set(cot.values())
        elif cond == "unverified":
            rows[cond] = {_rng(seed, cond, q).choice(by_query[q]).row for q in queries}
        elif cond == "wrong":
            rows[cond] = {_rng(seed, cond, q).choice(wrong[q]).row for q in queries if wrong[q]}
        else:
            if k is None or not 0 < k <= len(queries):
                raise UserError(f"subset: k must be between 1 and {len(queries)} (the queries available), got {k}")
            rows[cond] = {cot[q] for q in _rng(seed, "subset").sample(queries, k)}
    return Selection(rows, queries, dropped)


def _entries(pool: Path, format: str) -> list[Entry]:
    entries = []
    for i, record in enumerate(tqdm(iter_records(pool, format), desc="index pool", unit="row", mininterval=1.0)):
        verdict = record.meta.get("verdict")
        if verdict is None:
            raise UserError(f"{pool}: row {i + 1}: meta.verdict: missing; run `sftlab data verify` on the pool first")
        tokens = record.meta.get("response_tokens")
        entries.append(Entry(i, record.id, verdict, split_reasoning(record.response).closed, tokens))
    return entries


def transform(record: Record, condition: str) -> Record:
    """The training row a pool row becomes in a condition (`nocot` keeps only the text after the reasoning)."""
    meta = {k: record.meta[k] for k in ("sample", "verdict", "extracted") if k in record.meta}
    response = record.response
    if condition == "nocot":
        response = split_reasoning(response).answer
    return Record(record.messages, response, record.answer, record.id, {**meta, "condition": condition})


def _rows(pool: Path, format: str) -> Iterator[tuple[int, Record]]:
    yield from enumerate(tqdm(iter_records(pool, format), desc="write conditions", unit="row", mininterval=1.0))


def build_conditions(pool: Path, out: Path, conditions: tuple[str, ...] = CONDITIONS, seed: int = 0,
                     filters: Filters = Filters(), k: int | None = None, matched: bool = False,
                     format: str = "auto", count_tokens: TokenCounter | None = None,
                     count_patterns: PatternCounter | None = None, command: str | None = None) -> dict[str, dict]:
    """Write `<out>/<condition>/train.jsonl` and `card.json` for each condition; returns the cards."""
    pool, out = Path(pool), Path(out)
    selection = select(_entries(pool, format), conditions, seed, filters, k, matched)
    log.info("%s: %d queries in every condition; dropped %s", pool, len(selection.queries), dict(selection.dropped))
    wanted: dict[int, list[str]] = defaultdict(list)
    for cond in conditions:
        for row in selection.rows[cond]:
            wanted[row].append(cond)
    cards = {c: CardBuilder(count_tokens, count_patterns) for c in conditions}
    with contextlib.ExitStack() as stack:  # on any error, no condition file appears
        writers = {c: stack.enter_context(RecordWriter(out / c / "train.jsonl")) for c in conditions}
        for i, record in _rows(pool, format):
            for cond in wanted.get(i, ()):
                row = transform(record, cond)
                writers[cond].write(row)
                cards[cond].add(row)
    result = {}
    for cond in conditions:
        extra = {"condition": cond, "filters": {"require_closed": filters.require_closed, "max_tokens": filters.max_tokens},
                 "k": k if cond == "subset" else None, "matched": matched}
        result[cond] = cards[cond].finish(source=str(pool), seed=seed, command=command,
                                          dropped=dict(selection.dropped), extra=extra)
        atomic_write_json(out / cond / "card.json", result[cond])
    return result


# -- mini-lab task families: the conditions come from the family's renderings ----------------------

MUST_VERIFY = {"cot": True, "nocot": True, "bfs": True, "wrong": False}  # unverified: corrupted steps, either


def _task_verdict(family, row: dict) -> bool:
    from sftlab.tasks import Problem

    if "problem" not in row["meta"]:
        raise UserError(f"{row['id']}: meta.problem: the task's SFT rows must carry the problem data to be verified")
    problem = Problem(family.name, row["id"].split("/", 1)[1], row["messages"][-1]["content"], row["meta"]["problem"])
    return family.verify(problem, split_reasoning(row["response"]).answer)


def build_task_condition(cfg, seed: int, out: Path, count_tokens: TokenCounter | None = None,
                         count_patterns: PatternCounter | None = None, command: str | None = None) -> dict:
    """Write a task family's SFT set for `cfg.condition` (a `DataConfig`) to `<out>/train.jsonl` and its card.

    Every row is checked by the family's own verifier: `cot`, `nocot` and `bfs` rows must verify, `wrong`
    rows must not; the verdict is kept in `meta.verdict`.
    """
    from sftlab.minilab.data import family_options, sft_records
    from sftlab.tasks import get

    family = get(cfg.task, **family_options(cfg.task, cfg.numbers))
    card = CardBuilder(count_tokens, count_patterns)
    with RecordWriter(Path(out) / "train.jsonl") as writer:
        for row in tqdm(sft_records(cfg, seed), desc=f"{cfg.task} {cfg.condition}", unit="row", mininterval=1.0):
            ok = _task_verdict(family, row)
            expected = MUST_VERIFY.get(cfg.condition)
            if expected is not None and ok != expected:
                raise ValueError(f"{row['id']}: a {cfg.condition} rendering {'failed' if expected else 'passed'} "
                                 f"the {cfg.task} verifier")
            meta = {k: v for k, v in row["meta"].items() if k != "problem"}
            record = Record(row["messages"], row["response"], None, row["id"],
                            {**meta, "verdict": "correct" if ok else "wrong"})
            writer.write(record)
            card.add(record)
    result = card.finish(source=f"task:{cfg.task}", seed=seed, command=command,
                         extra={"condition": cfg.condition, "task": cfg.task, "numbers": cfg.numbers})
    atomic_write_json(Path(out) / "card.json", result)
    return result
