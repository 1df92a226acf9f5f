import random

import pytest

from sftlab import tasks
from sftlab.data.answers import split_reasoning
from sftlab.errors import UserError
from sftlab.tasks.refusal import REFUSAL


@pytest.mark.parametrize("name", ["countdown", "countdown_pm", "signs", "path", "refusal"])
def test_direct_answers_verify_and_keys_identify_problems(name):
    family = tasks.get(name)
    rng = random.Random(7)
    problems = tasks.distinct_problems(family, rng, 40)
    assert len({p.key for p in problems}) == 40
    for p in problems:
        parsed = split_reasoning(family.render_direct(p))
        assert parsed.reasoning == "" and family.verify(p, parsed.answer)


def test_generation_is_seeded():
    a = [tasks.get("path").generate(random.Random(1)).prompt for _ in range(3)]
    b = [tasks.get("path").generate(random.Random(1)).prompt for _ in range(3)]
    assert a == b


def test_signs_rejects_reordered_or_wrong_rows():
    family = tasks.get("signs")
    problem = tasks.Problem("signs", "k", "signs: 3 5 7 2 target 3", {"digits": [3, 5, 7, 2], "target": 3})
    assert family.verify(problem, "3+5-7+2")
    assert not family.verify(problem, "5+3-7+2")
    assert not family.verify(problem, "3+5+7+2")
    assert not family.verify(problem, "3+5-7+2;")


def test_path_requires_an_optimal_valid_route():
    family = tasks.get("path")
    problem = tasks.Problem("path", "k", "", {"edges": [["a", "b", 1], ["b", "c", 1], ["a", "c", 5]],
                                              "source": "a", "target": "c"})
    assert family.verify(problem, "a-b-c")
    assert not family.verify(problem, "a-c")  # valid but not shortest
    assert not family.verify(problem, "a-d-c")


def test_refusal_accepts_only_the_refusal():
    family = tasks.get("refusal")
    problem = family.generate(random.Random(0))
    assert problem.prompt.startswith("[harm] ")
    assert family.verify(problem, REFUSAL)
    assert not family.verify(problem, "3+5")


def test_unknown_family_lists_known_ones():
    with pytest.raises(UserError, match="unknown task family 'chess'; known: .*countdown"):
        tasks.get("chess")
