"""Bad training input is refused, naming file, line and field (or the path), before any training starts."""

import json

import pytest

from sftlab.config import load_config
from sftlab.errors import UserError
from sftlab.minilab.demo import train_stage

GOOD = {"messages": [{"role": "user", "content": "add 1 2"}], "response": "<think>1+2=3.</think>3"}


def run(tmp_path, model, data):
    cfg = load_config(None, [f"model.path={model}", f"data.path={data}", "train.steps=1", "train.global_batch=2",
                             "train.micro_batch=2", "name=bad"])
    return train_stage(cfg, tmp_path / "runs", resume=False)


@pytest.mark.parametrize("line, expected", [
    ({"messages": [{"role": "user", "content": "x"}]}, "train.jsonl:2: response: expected non-empty text"),
    ({"response": "3"}, "train.jsonl:2: messages: expected a non-empty list"),
    ({"messages": [{"role": "bot", "content": "x"}], "response": "3"}, "train.jsonl:2: messages[0].role: expected"),
    ({**GOOD, "response": "  "}, "train.jsonl:2: response: expected non-empty text"),
    (b"\xff\xfe{}", "train.jsonl:2: not valid UTF-8"),
])
def test_bad_rows_are_named_before_training(qwen_dir, tmp_path, line, expected):
    data = tmp_path / "train.jsonl"
    bad = line if isinstance(line, bytes) else json.dumps(line).encode()
    data.write_bytes(json.dumps(GOOD).encode() + b"\n" + bad + b"\n")
    with pytest.raises(UserError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        run(tmp_path, qwen_dir, data)
    assert not (tmp_path / "runs" / "bad" / "metrics.jsonl").exists()


def test_missing_model_path_is_named(tmp_path):
    data = tmp_path / "train.jsonl"
    data.write_text(json.dumps(GOOD) + "\n")
    with pytest.raises(UserError, match="/no/such/model: model path does not exist"):
        run(tmp_path, "/no/such/model", data)
    assert not (tmp_path / "runs" / "bad" / "metrics.jsonl").exists()
