"""Records: every input format reads to the same schema; bad rows are all reported with file:line:field."""

import json
from pathlib import Path

import pytest

from sftlab.data.records import Record, RecordWriter, detect_format, read_records, write_records
from sftlab.errors import UserError

FIX = Path(__file__).parents[1] / "fixtures" / "data"


def test_every_bad_row_is_reported_with_its_line_and_field():
    with pytest.raises(UserError) as err:
        read_records(FIX / "bad_rows.jsonl", "sft")
    lines = str(err.value).splitlines()[1:]
    where = [line.strip() for line in lines]
    assert where == [
        f"{FIX / 'bad_rows.jsonl'}:2: messages[0].role: expected system|user|assistant, got 'bot'",
        f"{FIX / 'bad_rows.jsonl'}:3: response: expected non-empty text, got None",
        f"{FIX / 'bad_rows.jsonl'}:4: not valid UTF-8 (byte 0xe9 at column 47)",
        f"{FIX / 'bad_rows.jsonl'}:5: malformed JSON: Expecting value at column 15",
        f"{FIX / 'bad_rows.jsonl'}:7: messages[0].content: expected text, got 5",
    ]


def test_nothing_is_written_when_any_input_row_is_bad(tmp_path):
    out = tmp_path / "train.jsonl"
    with pytest.raises(UserError):
        write_records(out, read_records_lazily(FIX / "bad_rows.jsonl"))
    assert list(tmp_path.iterdir()) == []


def read_records_lazily(path):
    from sftlab.data.records import iter_records

    return iter_records(path, "sft")


@pytest.mark.parametrize("name, fmt", [("released.jsonl", "released"), ("prompt_completion.jsonl", "prompt_completion"),
                                       ("chat.jsonl", "chat")])
def test_each_format_reads_to_prompt_turns_and_a_response(name, fmt):
    declared = read_records(FIX / name, fmt)
    assert [r.to_dict() for r in read_records(FIX / name)] == [r.to_dict() for r in declared]  # auto agrees
    first = declared[0]
    assert first.messages == [{"role": "user", "content": "What is 2+2?"}]
    assert first.response == "<think>2+2=4</think>\\boxed{4}"


def test_released_schema_keeps_its_extra_columns_and_round_trips(tmp_path):
    records = read_records(FIX / "released.jsonl", "released")
    assert records[0].answer == "4" and records[0].meta == {"advantage": 1.0}
    assert records[1].messages[0] == {"role": "system", "content": "Be brief."}
    out = tmp_path / "released.parquet"
    write_records(out, records, "released")
    import pyarrow.parquet as pq

    assert pq.read_schema(out).names == ["message", "response", "answer", "advantage"]
    assert [r.to_dict() for r in read_records(out, "released")] == [r.to_dict() for r in records]


def test_format_is_declared_per_file_never_guessed_per_row(tmp_path):
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(json.dumps({"messages": [{"role": "user", "content": "a"}], "response": "b"}) + "\n"
                     + json.dumps({"prompt": "a", "completion": "b"}) + "\n")
    with pytest.raises(UserError, match=r"mixed.jsonl:2: messages: expected a non-empty list"):
        read_records(mixed)
    with pytest.raises(UserError, match="cannot decide the format"):
        detect_format({"messages", "prompt", "completion"}, "x")


def test_chat_rows_must_end_with_the_assistant_turn(tmp_path):
    path = tmp_path / "chat.jsonl"
    path.write_text(json.dumps({"messages": [{"role": "user", "content": "a"}]}) + "\n")
    with pytest.raises(UserError, match=r"chat.jsonl:1: messages\[0\].role: expected assistant"):
        read_records(path, "chat")


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_canonical_records_round_trip(tmp_path, suffix):
    records = [Record([{"role": "user", "content": "q"}], "<think>a</think>b", "5", "q1", {"sample": 0, "x": [1]}),
               Record([{"role": "user", "content": "é"}], "r", None, "q2", {})]
    path = tmp_path / f"train{suffix}"
    assert write_records(path, records) == 2
    assert [r.to_dict() for r in read_records(path)] == [r.to_dict() for r in records]


def test_parquet_row_problems_name_the_row(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"messages": [[{"role": "user", "content": "a"}], [{"role": "tool", "content": "b"}]],
                             "response": ["x", "y"]}), path)
    with pytest.raises(UserError, match=r"bad.parquet:2: messages\[0\].role: expected system\|user\|assistant, got 'tool'"):
        read_records(path)


def test_writer_leaves_nothing_when_interrupted(tmp_path):
    out = tmp_path / "o.parquet"
    with pytest.raises(RuntimeError):
        with RecordWriter(out) as w:
            w.write(Record([{"role": "user", "content": "q"}], "r"))
            raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []
