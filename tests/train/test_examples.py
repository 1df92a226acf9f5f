"""Every shipped paper config validates, and the accelerate configs name a known backend."""

from pathlib import Path

import pytest
import yaml

from sftlab.config import load_config
from sftlab.train.loop import total_steps

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.mark.parametrize("path", sorted((EXAMPLES / "paper").glob("*.yaml")), ids=lambda p: p.name)
def test_paper_configs_validate(path):
    cfg = load_config(path)
    assert cfg.name == path.stem and cfg.model.path
    assert cfg.train.global_batch % (cfg.train.micro_batch * 8) == 0  # divides over 8 GPUs
    samples = 20_000 if "20k" in path.stem else 2_500
    if path.stem.startswith("steps640"):
        assert total_steps(cfg.train, samples) == 640
    else:
        assert total_steps(cfg.train, samples) == 625 * (2 if "16ep" in path.stem else 1)


def test_paper_settings_cover_the_study():
    names = {p.stem for p in (EXAMPLES / "paper").glob("*.yaml")}
    assert {"steps640-20k-b256", "steps640-2.5k-b32", "steps640-20k-b32"} <= names
    assert any("16ep" in n for n in names)


@pytest.mark.parametrize("path", sorted((EXAMPLES / "accelerate").glob("*.yaml")), ids=lambda p: p.name)
def test_accelerate_configs(path):
    from accelerate.commands.config.config_args import ClusterConfig

    ClusterConfig.from_yaml_file(str(path))  # accelerate's own reader rejects unknown keys
    assert yaml.safe_load(path.read_text())["distributed_type"] in {"MULTI_GPU", "FSDP", "DEEPSPEED"}
