"""IFEval checkers on exact inputs, strict vs loose, and the benchmark's detail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sftlab.errors import UserError
from sftlab.evaluate.benchmarks import get
from sftlab.evaluate.ifeval_checks import CHECKERS, follows, loose_variants, sentences

FIXTURES = Path(__file__).parents[1] / "fixtures" / "benchmarks"


def test_all_25_published_instructions_have_a_checker():
    assert len(CHECKERS) == 25


@pytest.mark.parametrize(
    "instruction, kwargs, good, bad",
    [
        ("punctuation:no_comma", {}, "no commas here", "a, b"),
        ("keywords:frequency", {"keyword": "orchard", "frequency": 2, "relation": "at least"}, "Orchard and orchard.", "one orchard"),
        ("keywords:forbidden_words", {"forbidden_words": ["cat"]}, "a catalogue", "the cat sat"),
        ("keywords:letter_frequency", {"letter": "z", "let_frequency": 2, "let_relation": "less than"}, "zoo", "zizz"),
        ("length_constraints:number_words", {"num_words": 4, "relation": "less than"}, "one two three", "one two three four"),
        ("length_constraints:number_sentences", {"num_sentences": 2, "relation": "at least"}, "Hi there. Bye now!", "Dr. Who is here."),
        ("length_constraints:number_paragraphs", {"num_paragraphs": 2}, "first\n***\nsecond", "first\n***\n\n***\nthird"),
        ("length_constraints:nth_paragraph_first_word", {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "then"}, "Start.\n\nThen, end.", "Start.\n\nAnd end."),
        ("detectable_content:number_placeholders", {"num_placeholders": 2}, "[name] at [address]", "[name]"),
        ("detectable_content:postscript", {"postscript_marker": "P.S."}, "Body.\nP.S. bye", "Body only"),
        ("detectable_format:number_bullet_lists", {"num_bullets": 2}, "* a\n* b", "* a\n* b\n- c"),
        ("detectable_format:constrained_response", {}, "My answer is no.", "Nope."),
        ("detectable_format:number_highlighted_sections", {"num_highlights": 2}, "*one* and **two**", "*one* only"),
        ("detectable_format:multiple_sections", {"section_spliter": "Section", "num_sections": 2}, "Section 1\na\nSection 2\nb", "Section 1\na"),
        ("detectable_format:json_format", {}, '```json\n{"a": 1}\n```', "{a: 1}"),
        ("detectable_format:title", {}, "<<Moon>>\ntext", "<<>> text"),
        ("combination:two_responses", {}, "first\n******\nsecond", "same\n******\nsame"),
        ("combination:repeat_prompt", {"prompt_to_repeat": "Say hi."}, "say hi. Hi!", "Hi! Say hi."),
        ("startend:end_checker", {"end_phrase": "Any questions?"}, "Done. any questions?", "Any questions? Done."),
        ("startend:quotation", {}, '"quoted"', 'quoted"'),
        ("change_case:capital_word_frequency", {"capital_frequency": 2, "capital_relation": "less than"}, "ONE word", "ONE TWO"),
        ("change_case:english_lowercase", {}, "the moon is a bright rock that circles the earth every month", "The moon"),
        ("change_case:english_capital", {}, "THE MOON IS A BRIGHT ROCK THAT CIRCLES THE EARTH EVERY MONTH", "THE moon"),
        ("language:response_language", {"language": "fr"}, "Le chat dort sur le canapé depuis ce matin, il fait beau.", "The cat has been sleeping on the sofa since this morning."),
        ("keywords:existence", {"keywords": ["river", "delta"]}, "The river ends in a delta.", "The river."),
    ],
)
def test_checker_accepts_and_rejects(instruction, kwargs, good, bad):
    assert follows(instruction, kwargs, good) is True
    assert follows(instruction, kwargs, bad) is False


def test_sentence_splitting():
    assert sentences("Mr. Smith went home. It rained! Did it? 3 times.") == [
        "Mr<dot> Smith went home.", "It rained!", "Did it?", "3 times."
    ]


def test_loose_forgives_an_opening_line_and_asterisks():
    response = "Sure! Here it is:\nthe moon glows"
    assert not follows("change_case:english_lowercase", {}, response)
    assert follows("change_case:english_lowercase", {}, response, loose=True)
    assert "the moon glows" in loose_variants(response)
    assert follows("startend:quotation", {}, '**"bold quote"**', loose=True)


def test_benchmark_scores_prompt_level_strict_with_full_detail():
    bench = get("ifeval")(FIXTURES / "ifeval")
    note, fruits, moon, sky = bench.load()
    good = "Rivers carve valleys and carry water to the sea. Is there anything else I can help with?"
    scored = bench.score(note, good)
    assert scored.score == 1.0 and scored.detail["strict"] == [True, True]
    half = bench.score(fruits, "Orchard fruits:\n* apple\n* pear\n* plum")
    assert half.score == 0.0 and half.detail["strict"] == [True, False] and half.detail["prompt_loose"] is False
    sky_answer = 'Sure:\n{"sky": "blue"}\nP.S. it is grey at night'
    sky_scored = bench.score(sky, sky_answer)
    assert sky_scored.detail["strict"] == [False, True]
    assert sky_scored.detail["loose"] == [True, True] and sky_scored.detail["prompt_loose"] is True


def test_unknown_instruction_and_wrong_kwargs_are_named(tmp_path):
    row = json.loads((FIXTURES / "ifeval" / "input_data.jsonl").read_text().splitlines()[0])
    row["instruction_id_list"][1] = "startend:begin_checker"
    (tmp_path / "input_data.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(UserError, match=r"input_data\.jsonl:1: instruction_id_list\[1\]: unknown instruction"):
        get("ifeval")(tmp_path).load()
    row = json.loads((FIXTURES / "ifeval" / "input_data.jsonl").read_text().splitlines()[0])
    row["kwargs"][1] = {"end_phrase": None}
    (tmp_path / "input_data.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(UserError, match=r"kwargs\[1\]: startend:end_checker expects \['end_phrase'\]"):
        get("ifeval")(tmp_path).load()
