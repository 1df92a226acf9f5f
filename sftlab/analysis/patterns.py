"""Reasoning-pattern counts: backtracking, self-verification and decomposition markers in responses.

Pure functions over response texts (the store's frame with `with_text=True`). A lexicon maps a category to
regular expressions, matched case-insensitively; every match counts once. Two defaults: `english` for real
reasoning traces, `minilab` for the mini-lab's Countdown traces (search steps like `3+5=8<22`, `dead end` and
`back` lines, a final `check ...` line). Pass your own dict to change either.
"""

from __future__ import annotations

import re
from typing import Mapping, Sequence

import pandas as pd

Lexicon = Mapping[str, Sequence[str]]

ENGLISH: dict[str, list[str]] = {
    "backtracking": [r"\bwait\b", r"\balternatively\b", r"\blet me (?:reconsider|rethink|try again|start over)\b",
                     r"\bon second thought\b", r"\bthat(?:'s| is) (?:not right|wrong|incorrect)\b",
                     r"\bi made (?:a|an) (?:mistake|error)\b", r"\bgo back\b"],
    "verification": [r"\blet me (?:check|verify|double[- ]check|confirm)\b", r"\bdouble[- ]check", r"\bto verify\b",
                     r"\bsanity check\b", r"\bcheck(?:ing)? (?:the|my|our|this|that) (?:answer|result|work)\b"],
    "decomposition": [r"\bstep \d+\b", r"\bfirst,", r"\bsecond,", r"\bnext,", r"\bfinally,",
                      r"\bbreak (?:it|this|the problem) (?:down|into)\b", r"\bcase \d+\b", r"\bsub-?problem"],
}

MINILAB: dict[str, list[str]] = {
    "backtracking": [r"\bdead end\b"],  # the search leaves an exhausted branch and tries the next
    "verification": [r"\bcheck\b"],
    "decomposition": [r"\d+\s*[-+*/]\s*\d+\s*=\s*-?\d+"],  # one search step: a op b = c
}

LEXICONS: dict[str, dict[str, list[str]]] = {"english": ENGLISH, "minilab": MINILAB}


def compile_lexicon(lexicon: Lexicon) -> dict[str, re.Pattern]:
    """One alternation per category, so overlapping phrases in a category count a span once."""
    compiled = {}
    for category, phrases in lexicon.items():
        try:
            compiled[category] = re.compile("|".join(f"(?:{p})" for p in phrases), re.IGNORECASE)
        except re.error as e:
            raise ValueError(f"lexicon category {category!r}: bad pattern: {e}") from None
    return compiled


def count_patterns(texts: Sequence[str], lexicon: Lexicon) -> pd.DataFrame:
    """Counts per text (rows, in order) and category (columns)."""
    compiled = compile_lexicon(lexicon)
    return pd.DataFrame(
        {c: [len(rx.findall(t or "")) for t in texts] for c, rx in compiled.items()}, dtype=int
    ).reindex(columns=list(compiled))


def pattern_rates(df: pd.DataFrame, lexicon: Lexicon) -> pd.DataFrame:
    """Per (step, domain, category): mean count per response, count per 1k response tokens, share with any.

    Per 1k tokens is total count over total tokens (not a mean of per-response rates), so very short responses
    do not dominate.
    """
    counts = count_patterns(df["response"].tolist(), lexicon)
    frame = pd.concat([df[["step", "domain", "response_tokens"]].reset_index(drop=True), counts], axis=1)
    rows = []
    for (step, domain), g in frame.groupby(["step", "domain"], sort=True):
        tokens = max(int(g["response_tokens"].sum()), 1)
        for c in counts.columns:
            rows.append(dict(step=int(step), domain=str(domain), category=c,
                             per_response=float(g[c].mean()), per_1k=1000.0 * float(g[c].sum()) / tokens,
                             share=float((g[c] > 0).mean())))
    return pd.DataFrame(rows, columns=["step", "domain", "category", "per_response", "per_1k", "share"])
