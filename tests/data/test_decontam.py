"""Decontamination: n-gram overlap with benchmark questions, report and drop."""

import json
from pathlib import Path

from sftlab.data.decontam import NgramIndex, decontaminate, load_questions
from sftlab.data.records import read_records

FIX = Path(__file__).parents[1] / "fixtures" / "data"


def test_overlap_survives_spacing_case_and_dollars_but_not_a_different_question():
    index = NgramIndex(["Let ABC be a triangle inscribed in circle omega and let the tangents meet at D."], n=8)
    assert index.matches("let  $ABC$ be a TRIANGLE inscribed in circle omega; and let the tangents meet at d!")
    assert not index.matches("Let ABC be a square whose side is 4; find its area in square meters.")
    match = index.matches("Find x. Let ABC be a triangle inscribed in circle omega and nothing else")[0]
    # 14 query words -> 7 of its 8-grams; the 3 inside "let abc ... omega and" are shared
    assert (match.question, match.shared, match.share) == (0, 3, 0.4286)


def test_short_questions_match_only_as_a_whole():
    index = NgramIndex(["What is 2+2?"], n=13)
    assert index.matches("Quick one: what is 2+2? Answer briefly.")
    assert not index.matches("What is 2+3?")


def test_report_and_drop(tmp_path):
    questions = load_questions([FIX / "questions.jsonl"])
    report = decontaminate(FIX / "pool.jsonl", questions, tmp_path / "r.json", tmp_path / "clean.jsonl", n=8)
    assert report["rows"] == 13 and report["overlapping"] == 3
    assert {row["id"] for row in report["rows_flagged"]} == {"q1"}
    kept = read_records(tmp_path / "clean.jsonl")
    assert len(kept) == 10 and "q1" not in {r.id for r in kept}
    assert json.loads((tmp_path / "r.json").read_text())["kept"] == 10
