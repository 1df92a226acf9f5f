from pathlib import Path

import pytest

from sftlab.config import ExperimentConfig, load_config, save_config
from sftlab.errors import UserError

ROOT = Path(__file__).parent.parent / "examples"
# Experiment configs; examples/accelerate holds accelerate's own launcher configs.
EXAMPLES = sorted([*ROOT.glob("*.yaml"), *(ROOT / "paper").glob("*.yaml")])


def test_overrides_are_parsed_as_yaml_values():
    cfg = load_config(None, ["train.lr=3e-5", "train.shuffle=false", "name=x", "model.preset=xs"])
    assert cfg.train.lr == 3e-5 and cfg.train.shuffle is False and cfg.name == "x" and cfg.model.preset == "xs"


def test_unknown_and_invalid_fields_are_all_reported(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("train:\n  lrr: 0.1\n  global_batch: 0\nmodell: {}\n")
    with pytest.raises(UserError) as err:
        load_config(path)
    message = str(err.value)
    assert "3 problems in the config" in message
    assert "train.lrr: unknown field" in message and "modell: unknown field" in message
    assert "train.global_batch" in message


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: demo\ntrain:\n  lr: [1,\n")
    with pytest.raises(UserError, match=r"broken.yaml:\d+: malformed YAML"):
        load_config(path)


def test_cross_field_check_names_both_fields():
    with pytest.raises(UserError, match=r"train.global_batch \(32\) must be a multiple of train.micro_batch \(5\)"):
        load_config(None, ["train.micro_batch=5"])


def test_saved_config_round_trips(tmp_path):
    cfg = load_config(None, ["train.steps=7"])
    save_config(cfg, tmp_path / "config.yaml")
    assert load_config(tmp_path / "config.yaml") == cfg


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_example_config_validates(path):
    assert isinstance(load_config(path), ExperimentConfig)


def test_commands_default_to_the_demo_example():
    from sftlab.cli.options import DEMO_CONFIG, experiment

    assert (ROOT / "demo.yaml").resolve() == DEMO_CONFIG.resolve()
    assert experiment(None, ["train.lr=1e-4"]) == load_config(ROOT / "demo.yaml", ["train.lr=1e-4"])
    assert experiment(None, []).train.steps == 320
