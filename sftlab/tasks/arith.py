"""Safe arithmetic over answer strings: a recursive-descent parser on exact fractions. Nothing is `eval`ed.

Grammar: expr := term (('+'|'-') term)*; term := atom (('*'|'/') atom)*; atom := INT | '(' expr ')'.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from sftlab.errors import UserError

_TOKEN = re.compile(r"\s*(\d+|[-+*/()])")
MAX_LENGTH = 200  # answers longer than any correct one are rejected before parsing


class ExpressionError(UserError):
    """An answer string that is not an arithmetic expression over integers."""


@dataclass(frozen=True)
class Evaluated:
    value: Fraction
    numbers: tuple[int, ...]  # the integer literals used, in order


def _tokens(text: str) -> list[str]:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters")
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ExpressionError(f"unexpected character {text[pos]!r} at position {pos} in {text!r}")
        tokens.append(m.group(1))
        pos = m.end()
    if not tokens:
        raise ExpressionError("empty expression")
    return tokens


def evaluate(text: str) -> Evaluated:
    """Value and literals of an expression; ExpressionError on anything else (division by zero included)."""
    tokens = _tokens(text)
    numbers: list[int] = []
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def atom() -> Fraction:
        tok = peek()
        if tok is None:
            raise ExpressionError(f"expression ends early: {text!r}")
        if tok == "(":
            take()
            value = expr()
            if peek() != ")":
                raise ExpressionError(f"missing ')' in {text!r}")
            take()
            return value
        if tok.isdigit():
            numbers.append(int(take()))
            return Fraction(numbers[-1])
        raise ExpressionError(f"unexpected {tok!r} in {text!r}")

    def term() -> Fraction:
        value = atom()
        while peek() in ("*", "/"):
            op, rhs = take(), atom()
            if op == "/" and rhs == 0:
                raise ExpressionError(f"division by zero in {text!r}")
            value = value * rhs if op == "*" else value / rhs
        return value

    def expr() -> Fraction:
        value = term()
        while peek() in ("+", "-"):
            op, rhs = take(), term()
            value = value + rhs if op == "+" else value - rhs
        return value

    value = expr()
    if pos != len(tokens):
        raise ExpressionError(f"unexpected {tokens[pos]!r} in {text!r}")
    return Evaluated(value, tuple(numbers))


def uses_only(used: tuple[int, ...], allowed: list[int]) -> bool:
    """Each used literal is one of `allowed`, each allowed number used at most once."""
    pool = list(allowed)
    for n in used:
        if n not in pool:
            return False
        pool.remove(n)
    return True
