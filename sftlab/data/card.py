"""Data cards: what a training set contains, written as `card.json` beside it.

Reads an SFT file (or takes its records one by one while a build writes them); writes `card.json`:
counts, rows dropped by reason, length distributions of prompts, reasoning and answers, the
verification rate, reasoning-pattern statistics, and the seed and command that built the set.
Lengths are in tokens when a token counter is given, otherwise in whitespace-separated words; the
card says which.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Callable

import numpy as np

from sftlab.data.answers import split_reasoning
from sftlab.data.records import Record, iter_records
from sftlab.errors import UserError
from sftlab.io import atomic_write_json

log = logging.getLogger(__name__)

TokenCounter = Callable[[str], int]
PatternCounter = Callable[[str], dict[str, int]]  # reasoning text -> count per pattern name
CARD_VERSION = 1
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9, 0.99)


def words(text: str) -> int:
    return len(text.split())


def token_counter(tokenizer_path: str) -> TokenCounter:
    """Token counts with a Hugging Face tokenizer (a model directory or hub id)."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tokenizer_path)
    return lambda text: len(tok(text, add_special_tokens=False)["input_ids"])


def lexicon_counter(name: str) -> PatternCounter:
    """Pattern counts with one of the analysis lexicons (`english`, `minilab`)."""
    from sftlab.analysis.patterns import LEXICONS, compile_lexicon

    if name not in LEXICONS:
        raise UserError(f"unknown pattern lexicon {name!r}; known: {', '.join(sorted(LEXICONS))}")
    compiled = compile_lexicon(LEXICONS[name])
    return lambda text: {category: len(rx.findall(text)) for category, rx in compiled.items()}


def distribution(values: list[int], bins: int = 10) -> dict:
    """Summary and histogram of a length sample (empty sample: count 0 only)."""
    if not values:
        return {"count": 0}
    arr = np.asarray(values)
    counts, edges = np.histogram(arr, bins=bins)
    return {
        "count": int(arr.size),
        "mean": round(float(arr.mean()), 2),
        "min": int(arr.min()),
        "max": int(arr.max()),
        "quantiles": {f"p{round(q * 100)}": float(np.quantile(arr, q)) for q in QUANTILES},
        "histogram": {"edges": [round(float(e), 2) for e in edges], "counts": counts.tolist()},
    }


class CardBuilder:
    """Accumulates one training set's statistics record by record (lengths are kept, texts are not)."""

    def __init__(self, count_tokens: TokenCounter | None = None, count_patterns: PatternCounter | None = None,
                 length_unit: str | None = None) -> None:
        self.count_tokens = count_tokens or words
        self.length_unit = length_unit or ("tokens" if count_tokens else "words")
        self.count_patterns = count_patterns
        self.lengths: dict[str, list[int]] = {"prompt": [], "reasoning": [], "answer": [], "response": []}
        self.verdicts: Counter[str] = Counter()
        self.queries: set[str] = set()
        self.unclosed = 0
        self.with_reasoning = 0
        self.patterns: Counter[str] = Counter()
        self.pattern_rows: Counter[str] = Counter()

    def add(self, record: Record) -> None:
        parsed = split_reasoning(record.response)
        prompt = "\n".join(m["content"] for m in record.messages)
        reasoning_tokens = self.count_tokens(parsed.reasoning)
        for name, text, n in (("prompt", prompt, None), ("reasoning", None, reasoning_tokens),
                              ("answer", parsed.answer, None), ("response", record.response, None)):
            self.lengths[name].append(n if n is not None else self.count_tokens(text))
        self.queries.add(record.id)
        self.unclosed += not parsed.closed
        self.with_reasoning += bool(parsed.reasoning)
        if "verdict" in record.meta:
            self.verdicts[record.meta["verdict"]] += 1
        if self.count_patterns is not None and parsed.reasoning:
            for name, n in self.count_patterns(parsed.reasoning).items():
                self.patterns[name] += n
                self.pattern_rows[name] += n > 0

    def _pattern_stats(self) -> dict | None:
        if self.count_patterns is None:
            return None
        reasoning_total = sum(self.lengths["reasoning"]) or 1
        rows = max(self.with_reasoning, 1)
        return {name: {"total": self.patterns[name],
                       "per_response": round(self.patterns[name] / rows, 3),
                       "share_of_responses": round(self.pattern_rows[name] / rows, 3),
                       f"per_1k_{self.length_unit}": round(1000 * self.patterns[name] / reasoning_total, 3)}
                for name in sorted(self.patterns)}

    def finish(self, *, source: str, seed: int | None = None, command: str | None = None,
               dropped: dict[str, int] | None = None, extra: dict | None = None) -> dict:
        rows = len(self.lengths["response"])
        decided = sum(self.verdicts.values())
        return {
            "version": CARD_VERSION,
            "source": source,
            "seed": seed,
            "command": command,
            "counts": {"rows": rows, "queries": len(self.queries), "with_reasoning": self.with_reasoning,
                       "unclosed_reasoning": self.unclosed},
            "dropped": dict(sorted((dropped or {}).items())),
            "length_unit": self.length_unit,
            "lengths": {name: distribution(values) for name, values in self.lengths.items()},
            "verification": {"rows_with_verdict": decided, "by_verdict": dict(sorted(self.verdicts.items())),
                             "rate": round(self.verdicts["correct"] / decided, 4) if decided else None},
            "patterns": self._pattern_stats(),
            **(extra or {}),
        }


def write_card(path: Path, out: Path | None = None, format: str = "auto", *,
               count_tokens: TokenCounter | None = None, count_patterns: PatternCounter | None = None,
               length_unit: str | None = None, command: str | None = None, seed: int | None = None) -> dict:
    """The card of an existing SFT file, written to `out` (default: card.json beside the file)."""
    builder = CardBuilder(count_tokens, count_patterns, length_unit)
    for record in iter_records(path, format):
        builder.add(record)
    card = builder.finish(source=str(path), seed=seed, command=command)
    out = out or Path(path).with_name("card.json")
    atomic_write_json(out, card)
    log.info("%s: card of %d rows written to %s", path, card["counts"]["rows"], out)
    return card
