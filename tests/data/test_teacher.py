"""Teacher sampling: N per query, token counts stored, resumable after a crash, torn line repaired."""

import json
from pathlib import Path

from sftlab.data.records import read_records
from sftlab.data.teacher import repair_tail, sample_pool


class Completion:
    def __init__(self, text, tokens):
        self.text, self.tokens, self.finish_reason = text, tokens, "stop"


class EchoTeacher:
    """Answers `<think>s</think>\\boxed{n}` deterministically from the seed; counts words as tokens."""

    def __init__(self):
        self.calls = []

    def count_tokens(self, text):
        return len(text.split())

    def generate(self, prompts, sampling, seed):
        self.calls.append((len(prompts), seed))
        return [Completion(f"<think>try {seed} on {p}</think>\\boxed{{{seed}}}", 7) for p in prompts]


def _queries(tmp_path, n=3):
    path = tmp_path / "queries.jsonl"
    path.write_text("".join(json.dumps({"id": f"q{i}", "question": f"what is {i}", "answer": str(i)}) + "\n"
                            for i in range(n)))
    return path


def test_n_responses_per_query_with_token_counts(tmp_path):
    pool = tmp_path / "pool.jsonl"
    teacher = EchoTeacher()
    assert sample_pool(_queries(tmp_path), pool, teacher, lambda m: m[-1]["content"], None, n=2, seed=10) == 6
    rows = read_records(pool)
    assert sorted((r.id, r.meta["sample"]) for r in rows) == [(f"q{i}", s) for i in range(3) for s in range(2)]
    first = next(r for r in rows if r.id == "q1" and r.meta["sample"] == 1)
    assert first.response == "<think>try 11 on what is 1</think>\\boxed{11}" and first.answer == "1"
    assert first.meta["reasoning_tokens"] == 6 and first.meta["answer_tokens"] == 1
    assert first.meta["response_tokens"] == 7 and first.meta["prompt_tokens"] == 3


def test_resume_generates_only_what_is_missing_after_a_torn_write(tmp_path):
    queries, pool = _queries(tmp_path), tmp_path / "pool.jsonl"
    sample_pool(queries, pool, EchoTeacher(), lambda m: m[-1]["content"], None, n=1)
    with open(pool, "a") as f:
        f.write('{"id": "q0", "messages": [')  # the writer died mid-row
    teacher = EchoTeacher()
    assert sample_pool(queries, pool, teacher, lambda m: m[-1]["content"], None, n=2) == 3
    assert teacher.calls == [(3, 1)]
    assert len(read_records(pool)) == 6
    assert sample_pool(queries, pool, EchoTeacher(), lambda m: m[-1]["content"], None, n=2) == 0


def test_repair_tail_reads_backwards_across_blocks(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_bytes(b'{"a": 1}\n' + b"x" * 100)
    repair_tail(path, block=16)
    assert path.read_bytes() == b'{"a": 1}\n'
