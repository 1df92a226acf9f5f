"""Data cards: counts, length distributions and pattern statistics on exact small inputs."""

from sftlab.data.card import CardBuilder, distribution, lexicon_counter, write_card
from sftlab.data.records import Record, write_records


def test_distribution_exact_values():
    d = distribution([1, 2, 3, 4, 100])
    assert (d["count"], d["mean"], d["min"], d["max"]) == (5, 22.0, 1, 100)
    assert d["quantiles"]["p50"] == 3.0 and sum(d["histogram"]["counts"]) == 5


def test_card_counts_lengths_verdicts_and_patterns(tmp_path):
    rows = [Record([{"role": "user", "content": "two words"}], "<think>wait let me check this</think>four", "4", "a",
                   {"verdict": "correct"}),
            Record([{"role": "user", "content": "one"}], "<think>never closed", None, "b", {"verdict": "no_answer"})]
    write_records(tmp_path / "train.jsonl", rows)
    card = write_card(tmp_path / "train.jsonl", count_patterns=lexicon_counter("english"), seed=3, command="x")
    assert card["counts"] == {"rows": 2, "queries": 2, "with_reasoning": 2, "unclosed_reasoning": 1}
    assert card["length_unit"] == "words"
    assert card["lengths"]["prompt"]["max"] == 2 and card["lengths"]["reasoning"]["min"] == 2
    assert card["lengths"]["answer"]["quantiles"]["p50"] == 0.5
    assert card["verification"] == {"rows_with_verdict": 2, "by_verdict": {"correct": 1, "no_answer": 1}, "rate": 0.5}
    assert card["patterns"]["backtracking"]["total"] == 1 and card["patterns"]["verification"]["total"] == 1
    assert card["patterns"]["verification"]["share_of_responses"] == 0.5
    assert (tmp_path / "card.json").exists() and card["seed"] == 3


def test_token_counter_is_used_when_given():
    b = CardBuilder(count_tokens=len)  # characters as tokens
    b.add(Record([{"role": "user", "content": "abc"}], "<think>xy</think>z"))
    card = b.finish(source="s")
    assert card["length_unit"] == "tokens" and card["lengths"]["prompt"]["max"] == 3
    assert card["lengths"]["reasoning"]["max"] == 2 and card["lengths"]["answer"]["max"] == 1
