import random

import pytest

from sftlab import tasks
from sftlab.data.answers import split_reasoning
from sftlab.tasks.arith import ExpressionError, evaluate


@pytest.mark.parametrize("numbers", [3, 4, 5])
def test_every_rendered_trace_verifies(numbers):
    family = tasks.get("countdown", numbers=numbers)
    rng = random.Random(numbers)
    for _ in range(60 if numbers < 5 else 15):
        problem = family.generate(rng)
        for response in (family.render_cot(problem), family.render_direct(problem)):
            parsed = split_reasoning(response)
            assert parsed.closed and family.verify(problem, parsed.answer), response
        assert family.verify(problem, split_reasoning(family.render_bfs(problem)).answer)


def test_trace_shows_search_dead_ends_and_final_check():
    family = tasks.get("countdown")
    problem = family.make([5, 8, 6], 38)
    reasoning = split_reasoning(family.render_cot(problem)).reasoning.splitlines()
    # Pairs left to right, operators + * - /, larger number first; 40*6 (>=100) and 13/6 are pruned.
    assert reasoning == [
        "5+8=13<38 [13 6]", " 13+6=19<38", " 13*6=78>38", " 13-6=7<38", " dead end",
        "5*8=40>38 [40 6]", " 40+6=46>38", " 40-6=34<38", " dead end",
        "8-5=3<38 [3 6]", " 3+6=9<38", " 3*6=18<38", " 6-3=3<38", " 6/3=2<38", " dead end",
        "5+6=11<38 [11 8]", " 11+8=19<38", " 11*8=88>38", " 11-8=3<38", " dead end",
        "5*6=30<38 [30 8]", " 30+8=38=38", "check (5*6)+8=38 ok",
    ]


def test_wrong_answers_never_verify():
    family = tasks.get("countdown")
    rng = random.Random(3)
    for _ in range(50):
        problem = family.generate(rng)
        assert not family.verify(problem, split_reasoning(family.render_wrong(problem, rng)).answer)


@pytest.mark.parametrize("answer, ok", [
    ("(5*6)+8", True),
    ("8+5*6", True),
    ("5*6+8+8", False),  # 8 used twice
    ("5*6+9-1", False),  # foreign numbers
    ("5*8-2", False),  # 2 is not given
    ("40-2", False),
    ("5*6+7", False),  # wrong value
    ("", False),
    ("5*(6+8", False),
    ("__import__('os').system('touch /tmp/pwned')", False),
    ("5**6", False),
    ("5*6+8.0", False),
])
def test_verifier_rejects_wrong_reused_foreign_and_hostile_answers(answer, ok):
    family = tasks.get("countdown")
    assert family.verify(family.make([5, 8, 6], 38), answer) is ok


def test_fractions_are_exact():
    family = tasks.get("countdown", numbers=4)
    problem = family.make([1, 3, 4, 6], 24)
    assert family.verify(problem, "6/(1-3/4)")
    assert evaluate("6/(1-3/4)").value == 24


def test_expression_errors_name_the_problem():
    with pytest.raises(ExpressionError, match="unexpected character '_' at position 0"):
        evaluate("__import__('os')")
    with pytest.raises(ExpressionError, match="division by zero"):
        evaluate("3/(2-2)")


def test_plus_minus_family_uses_countdown_notation_without_other_operators():
    family = tasks.get("countdown_pm")
    problem = family.make([11, 19, 20], 10)
    assert family.verify(problem, "(11+19)-20")
    assert not family.verify(problem, "20/2")
    assert "*" not in family.render_cot(problem)
