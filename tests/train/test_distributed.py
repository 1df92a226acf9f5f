"""Two CPU processes (gloo, through `accelerate launch`) train exactly as one process does."""

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from sftlab.config import TrainConfig
from sftlab.train.loop import train

from tiny_models import make_records

HERE = Path(__file__).parent
SCRIPT = """
import sys
from pathlib import Path
import torch
torch.set_num_threads(1)
sys.path.insert(0, {tests!r})
from tiny_models import make_records
from sftlab.config import TrainConfig
from sftlab.train.loop import train
train(TrainConfig.model_validate_json(sys.argv[1]), make_records(24, seed=3), sys.argv[2], Path(sys.argv[3]))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def losses(run: Path) -> list[float]:
    return [json.loads(line)["loss"] for line in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("loss", ["token_mean", "microbatch_mean"])
def test_two_processes_match_one(loss, qwen_dir, tmp_path):
    launcher = shutil.which("accelerate", path=str(Path(sys.executable).parent))
    # 8 samples a step, so each process gets 4 of unequal token counts. In the study's mode, micro-batches
    # of one sample make its sum of micro-batch means independent of how samples are grouped.
    micro = 2 if loss == "token_mean" else 1
    cfg = TrainConfig(steps=3, global_batch=8, micro_batch=micro, lr=3e-3, save_every=3, loss=loss, warmup_ratio=0)
    script = tmp_path / "run.py"
    script.write_text(SCRIPT.format(tests=str(HERE)))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    # `--multi_gpu` selects accelerate's torchrun launcher; with no CUDA, Accelerator(cpu=True) then runs
    # DDP over gloo (`--cpu` alone would start a single process).
    cmd = [launcher, "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
           "--dynamo_backend", "no", "--main_process_port", str(free_port()),
           str(script), cfg.model_dump_json(), str(qwen_dir), str(tmp_path / "two")]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    train(cfg, make_records(24, seed=3), str(qwen_dir), tmp_path / "one")

    two, one = losses(tmp_path / "two"), losses(tmp_path / "one")
    norms = {run: [json.loads(line)["grad_norm"] for line in (tmp_path / run / "metrics.jsonl").read_text().splitlines()]
             for run in ("one", "two")}
    assert two[0] == pytest.approx(one[0], rel=1e-6)
    if loss == "token_mean":
        # Same gradient (its norm before clipping), same losses, same final weights.
        assert norms["two"] == pytest.approx(norms["one"], rel=1e-4)
        assert two == pytest.approx(one, rel=1e-5)
        a = load_file(tmp_path / "two" / "checkpoints" / "step-000003" / "model.safetensors")
        b = load_file(tmp_path / "one" / "checkpoints" / "step-000003" / "model.safetensors")
        for name in b:
            torch.testing.assert_close(a[name], b[name], rtol=1e-4, atol=1e-6)
    else:
        # The study's mode sums micro-batch means on a process (8 of them alone, 4 each on two
        # processes) and averages processes, so the first step's gradient is half as large on two.
        assert norms["two"][0] == pytest.approx(norms["one"][0] / 2, rel=1e-4)
