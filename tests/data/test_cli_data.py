"""`sftlab data`: every command has --help with an example, and the pool-to-conditions path runs end to end."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sftlab.cli import app
from sftlab.data.records import read_records

FIX = Path(__file__).parents[1] / "fixtures" / "data"
runner = CliRunner()


@pytest.mark.parametrize("command", ["sample", "verify", "build", "decontam", "card"])
def test_help_has_an_example(command):
    result = runner.invoke(app, ["data", command, "--help"], terminal_width=200)
    assert result.exit_code == 0 and "Example: sftlab data" in result.output


def test_verify_then_build_then_card(tmp_path):
    verified = tmp_path / "verified.jsonl"
    assert runner.invoke(app, ["data", "verify", str(FIX / "pool.jsonl"), "--out", str(verified), "--workers", "1"]).exit_code == 0
    result = runner.invoke(app, ["data", "build", str(verified), "--out", str(tmp_path / "c"), "--conditions", "cot,nocot"])
    assert result.exit_code == 0, result.output
    assert len(read_records(tmp_path / "c" / "nocot" / "train.jsonl")) == 4
    assert runner.invoke(app, ["data", "card", str(tmp_path / "c" / "cot" / "train.jsonl")]).exit_code == 0
    assert (tmp_path / "c" / "cot" / "card.json").exists()
