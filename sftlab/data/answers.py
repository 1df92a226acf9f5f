"""Answer extraction and equivalence: pure functions from response text to answers and verdicts.

Reasoning models answer after `</think>`; everything here looks only at that part unless told otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"


@dataclass(frozen=True)
class ParsedResponse:
    reasoning: str  # text inside the reasoning block ("" when there is none)
    answer: str  # text after the reasoning block ("" when the block never closed)
    closed: bool  # False when a reasoning block was opened and never closed: no answer was given


def split_reasoning(text: str) -> ParsedResponse:
    """Split a response into its reasoning block and the answer after it.

    A response with no `<think>` at all is all answer (a non-reasoning model); one that opens
    the block and never closes it has no answer.
    """
    close = text.rfind(THINK_CLOSE)
    if close >= 0:
        head = text[:close]
        open_at = head.find(THINK_OPEN)
        reasoning = head[open_at + len(THINK_OPEN):] if open_at >= 0 else head
        return ParsedResponse(reasoning.strip(), text[close + len(THINK_CLOSE):].strip(), True)
    if THINK_OPEN in text:
        return ParsedResponse(text.split(THINK_OPEN, 1)[1].strip(), "", False)
    return ParsedResponse("", text.strip(), True)


def last_boxed(text: str) -> str | None:
    r"""Content of the last `\boxed{...}` (or `\fbox{...}`), with nested braces balanced."""
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if start < 0:
        return None
    brace = text.find("{", start)
    if brace < 0:
        # `\boxed 5` form
        m = re.match(r"\\boxed\s+([^\s$]+)", text[start:])
        return m.group(1) if m else None
    depth = 0
    for i in range(brace, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[brace + 1 : i].strip()
    return None


_FINAL_LINE = re.compile(
    r"(?:final answer|the answer is|answer)\s*(?:is)?\s*[:：]?\s*(.+)", re.IGNORECASE
)


def final_answer_line(text: str) -> str | None:
    """The answer stated on the last 'Final answer: ...' / 'The answer is ...' line."""
    for line in reversed(text.strip().splitlines()):
        m = _FINAL_LINE.search(line)
        if m:
            return m.group(1).strip().rstrip(".").strip("$ ").strip()
    return None


def extract_answer(text: str) -> str | None:
    """Best final answer of a response's answer part: last box, else a final-answer line."""
    return last_boxed(text) or final_answer_line(text)


def extract_choice(text: str, letters: str = "ABCD") -> str | None:
    """The chosen option letter: from the last box, else the last 'answer is (X)' statement.

    Never the first letter-looking token inside the reasoning: callers pass the answer part only.
    """
    boxed = last_boxed(text)
    candidates = [boxed] if boxed else []
    candidates += [m.group(1) for m in re.finditer(r"answer(?: is)?\s*[:：]?\s*\(?([A-Z])\)?\b", text, re.IGNORECASE)][::-1]
    for cand in candidates:
        m = re.search(r"\b([A-Z])\b", re.sub(r"\\text\{([^}]*)\}", r"\1", cand).upper())
        if m and m.group(1) in letters:
            return m.group(1)
    return None


def math_equal(predicted: str | None, reference: str) -> bool:
    """Mathematical equivalence through math-verify, with a normalised-string fallback."""
    if predicted is None:
        return False
    from math_verify import parse, verify  # imported lazily: it loads sympy

    def parsed(s: str):
        return parse(s if "$" in s or "\\boxed" in s else f"${s}$", parsing_timeout=None)

    try:
        if verify(parsed(reference), parsed(predicted), timeout_seconds=None):
            return True
    except Exception:  # noqa: BLE001 - math-verify raises many parser errors; the fallback decides then
        pass
    return _normalise(predicted) == _normalise(reference)


def _normalise(s: str) -> str:
    s = re.sub(r"\\text\{([^}]*)\}", r"\1", s)
    s = s.replace("\\!", "").replace("\\,", "").replace("$", "").replace(" ", "")
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("^\\circ", "").replace("^{\\circ}", "")
    return s.rstrip(".").lower()
