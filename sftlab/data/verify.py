"""Verification of teacher responses: extract each final answer, check it against the reference, keep the verdict.

Reads a response pool (any records format with a reference `answer`); writes the same rows with
`meta.verdict` (correct | wrong | no_answer | unparsable | timeout) and `meta.extracted`, and a JSON
report of verdicts by reason. Extraction runs in the parent (cheap string work); math-verify runs in
worker processes, each answer under a deadline, so one pathological expression cannot stall the pool.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from tqdm import tqdm

from sftlab.data.answers import extract_answer, math_equal, split_reasoning
from sftlab.data.records import Record, iter_records, write_records
from sftlab.errors import UserError
from sftlab.io import atomic_write_json

log = logging.getLogger(__name__)

VERDICTS = ("correct", "wrong", "no_answer", "unparsable", "timeout")
FAILED = ("wrong", "no_answer", "unparsable")  # a decided verdict that is not correct


def extract(response: str) -> str | None:
    """The final answer of a response: only after a closed reasoning block; last box, else a final-answer line."""
    parsed = split_reasoning(response)
    return extract_answer(parsed.answer) if parsed.closed else None


class _Deadline(BaseException):
    # A BaseException, so that math-verify's and math_equal's `except Exception` cannot swallow it.
    pass


def _raise_deadline(signum, frame) -> None:
    raise _Deadline


def _parses(text: str) -> bool:
    """Whether math-verify reads the answer as mathematics (it returns only strings when it cannot)."""
    from math_verify import parse

    found = parse(text if "$" in text or "\\boxed" in text else f"${text}$", parsing_timeout=0)
    return any(not isinstance(x, str) for x in found)


def judge(extracted: str | None, reference: str, timeout: float = 5.0) -> str:
    """Verdict on one extracted answer, within `timeout` seconds of CPU time.

    The deadline is a CPU-time timer (SIGPROF): math-verify arms and cancels SIGALRM itself, which
    would disarm a wall-clock one. Signals need the main thread; elsewhere no deadline applies.
    """
    if extracted is None:
        return "no_answer"
    armed = timeout > 0 and threading.current_thread() is threading.main_thread()
    if armed:
        previous = signal.signal(signal.SIGPROF, _raise_deadline)
        signal.setitimer(signal.ITIMER_PROF, timeout)
    try:
        if math_equal(extracted, reference):
            return "correct"
        return "wrong" if _parses(extracted) else "unparsable"
    except _Deadline:
        return "timeout"
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, previous)


def _judge_pair(args: tuple[str | None, str, float]) -> str:
    return judge(*args)


@dataclass(frozen=True)
class _Pair:
    extracted: str | None
    reference: str


def _pairs(pool: Path, format: str) -> tuple[list[_Pair], list[bool | None]]:
    """Pass 1: what each response answered and the reference; every missing reference is one error."""
    pairs, prior, missing = [], [], []
    for i, record in enumerate(iter_records(pool, format), 1):
        if record.answer is None:
            missing.append(f"{pool}: row {i} (id {record.id}): answer: a reference answer is needed to verify")
            continue
        pairs.append(_Pair(extract(record.response), record.answer))
        label = record.meta.get("correct")
        prior.append(label if isinstance(label, bool) else None)
    if missing:
        raise UserError(f"{len(missing)} row(s) without a reference:\n  " + "\n  ".join(missing))
    return pairs, prior


def judge_all(pairs: list[_Pair], workers: int, timeout: float) -> list[str]:
    """Verdicts in input order, on `workers` processes (1: in this process)."""
    jobs = [(p.extracted, p.reference, timeout) for p in pairs]
    progress = dict(total=len(jobs), desc="verify", unit="resp", mininterval=1.0)
    if workers <= 1:
        return [_judge_pair(job) for job in tqdm(jobs, **progress)]
    import math_verify  # noqa: F401  loaded once here, inherited by forked workers

    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        return list(tqdm(pool.imap(_judge_pair, jobs, chunksize=64), **progress))


def _with_verdicts(pool: Path, format: str, pairs: list[_Pair], verdicts: list[str]) -> Iterator[Record]:
    for record, pair, verdict in zip(iter_records(pool, format), pairs, verdicts, strict=True):
        record.meta = {**record.meta, "verdict": verdict, "extracted": pair.extracted}
        yield record


def report(verdicts: list[str], query_ids: list[str], prior: list[bool | None], seconds: float, workers: int) -> dict:
    """Counts by reason, the verification rate, queries with a verified response, agreement with prior labels."""
    counts = Counter(verdicts)
    verified_queries = {q for q, v in zip(query_ids, verdicts) if v == "correct"}
    labelled = [(p, v == "correct") for p, v in zip(prior, verdicts) if p is not None]
    return {
        "responses": len(verdicts),
        "queries": len(set(query_ids)),
        "by_reason": {v: counts.get(v, 0) for v in VERDICTS},
        "verification_rate": counts.get("correct", 0) / len(verdicts) if verdicts else 0.0,
        "queries_with_verified": len(verified_queries),
        "agreement_with_prior_labels": (sum(a == b for a, b in labelled) / len(labelled)) if labelled else None,
        "prior_labels": len(labelled),
        "workers": workers,
        "seconds": round(seconds, 3),
        "responses_per_s": round(len(verdicts) / seconds, 1) if seconds > 0 else None,
    }


def verify_pool(pool: Path, out: Path, report_path: Path | None = None, workers: int = 2,
                timeout: float = 5.0, format: str = "auto") -> dict:
    """Verify every response of `pool`; write the rows with their verdicts to `out` and the report beside it."""
    pool, out = Path(pool), Path(out)
    pairs, prior = _pairs(pool, format)
    log.info("%s: verifying %d responses on %d worker(s)", pool, len(pairs), workers)
    began = time.perf_counter()
    verdicts = judge_all(pairs, workers, timeout)
    seconds = time.perf_counter() - began
    query_ids: list[str] = []

    def rows() -> Iterator[Record]:
        for record in _with_verdicts(pool, format, pairs, verdicts):
            query_ids.append(record.id)
            yield record

    write_records(out, rows())
    result = report(verdicts, query_ids, prior, seconds, workers)
    atomic_write_json(report_path or out.with_name(out.stem + ".report.json"), result)
    log.info("%s: %d/%d verified (%.1f responses/s)", out, result["by_reason"]["correct"], len(verdicts),
             result["responses_per_s"] or 0)
    return result
