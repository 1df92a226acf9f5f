"""The sweep: only missing samples are computed, truncation scores 0, failures are reported, follow mode,
checkpoint selection and cluster jobs. A canned generator stands in for the model (it counts its calls)."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import cloudpickle
import pytest

from sftlab.config import BenchmarkSpec, EvalConfig
from sftlab.errors import UserError
from sftlab.evaluate import sweep as sweep_module
from sftlab.evaluate.backends import Completion
from sftlab.evaluate.benchmarks.math500 import Math500
from sftlab.evaluate.judge import LLMJudge
from sftlab.evaluate.store import ResultsStore
from sftlab.evaluate.sweep import Plan, every_kth, log_spaced, select_steps, sweep, training_total

FIXTURES = Path(__file__).parents[1] / "fixtures" / "benchmarks"
MATH_ITEMS, HEXPHI_ITEMS = 3, 4
RIGHT = "<think>1/2 + 1/3 = 5/6</think>The answer is \\boxed{\\frac{5}{6}}."  # right for the first math item only


class ChatTokenizer:
    def apply_chat_template(self, messages, add_generation_prompt=True, tokenize=False):
        return "".join(f"<{m['role']}>{m['content']}" for m in messages) + "<assistant>"


class Canned:
    """A Generator whose reply to a prompt is `reply(prompt)`: (text, finish_reason)."""

    def __init__(self, reply, log: list):
        self.reply, self.log, self.tokenizer = reply, log, ChatTokenizer()

    def generate(self, prompts, sampling, seed=0):
        self.log.append(len(prompts))
        return [Completion(*self.reply(p)[:1], len(self.reply(p)[0].split()), self.reply(p)[1], 0.01) for p in prompts]

    def count_tokens(self, text):
        return len(text.split())


def default_reply(prompt: str) -> tuple[str, str]:
    return (RIGHT, "stop") if "boxed" in prompt else ("I'm sorry, I can't help with that.", "stop")


class Factory:
    """make_generator's stand-in: records which checkpoints were loaded and how many prompts each call had."""

    def __init__(self, reply=default_reply):
        self.loaded, self.calls, self.reply = [], [], reply

    def __call__(self, cfg, path):
        self.loaded.append(Path(path).name)
        return Canned(self.reply, self.calls)


def write_checkpoint(run: Path, step: int, total: int | None = None) -> Path:
    final = run / "checkpoints" / f"step-{step:06d}"
    tmp = final.with_name(final.name + ".tmp")
    tmp.mkdir(parents=True)
    state = {"version": 1, "step": step} | ({"total_steps": total} if total is not None else {})
    (tmp / "trainer_state.json").write_text(json.dumps(state))
    tmp.rename(final)
    return final


@pytest.fixture
def run(tmp_path):
    d = tmp_path / "runs" / "demo"
    write_checkpoint(d, 0)
    write_checkpoint(d, 10, total=20)
    return d


def config(**kw) -> EvalConfig:
    specs = [BenchmarkSpec(name="math500", path=str(FIXTURES / "math500"), samples=2),
             BenchmarkSpec(name="hexphi", path=str(FIXTURES / "hexphi"))]
    return EvalConfig(benchmarks=kw.pop("benchmarks", specs), backend="hf", **kw)


PER_CHECKPOINT = MATH_ITEMS * 2 + HEXPHI_ITEMS


def test_sweep_stores_every_sample_then_computes_nothing_then_only_a_new_checkpoint(run):
    make = Factory()
    assert sweep(run, config(), make=make) == 2 * PER_CHECKPOINT
    assert make.loaded == ["step-000000", "step-000010"] and sum(make.calls) == 2 * PER_CHECKPOINT

    again = Factory()
    assert sweep(run, config(), make=again) == 0
    assert again.loaded == [] and again.calls == []

    write_checkpoint(run, 20, total=20)
    new = Factory()
    assert sweep(run, config(), make=new) == PER_CHECKPOINT
    assert new.loaded == ["step-000020"] and sum(new.calls) == PER_CHECKPOINT

    with ResultsStore(run / "results.sqlite") as store:
        df = store.frame()
    math = df[(df.benchmark == "math500") & (df.step == 20)]
    assert math.groupby("item_id").score.sum().to_dict() == {
        "test/prealgebra/1001.json": 2.0, "test/precalculus/1002.json": 0.0, "test/algebra/1003.json": 0.0}
    assert (df[df.benchmark == "hexphi"].score == 0.0).all()  # the pattern judge saw refusals
    assert set(df.domain) == {"in-domain", "safety"}


def test_truncated_or_unclosed_responses_score_zero_and_are_flagged(run):
    def reply(prompt):
        if "boxed" not in prompt:
            return "<think>still thinking about \\boxed{\\frac{5}{6}}", "stop"  # reasoning block never closed
        return RIGHT, "length"  # the right answer, but cut by the token cap

    sweep(run, config(), make=Factory(reply), steps=[0])
    with ResultsStore(run / "results.sqlite") as store:
        df = store.frame()
    assert len(df) == PER_CHECKPOINT and df.truncated.all()
    assert (df.score == 0.0).all() and df.answer.isna().all()
    assert set(df.finish_reason) == {"length", "stop"}


def test_scores_a_chunk_with_one_score_batch_call_and_a_crash_loses_only_the_chunk_in_flight(run, monkeypatch):
    batches = []
    original = Math500.score_batch
    monkeypatch.setattr(Math500, "score_batch", lambda self, pairs: batches.append(len(pairs)) or original(self, pairs))
    spec = [BenchmarkSpec(name="math500", path=str(FIXTURES / "math500"), samples=2)]

    def crash_on_second_chunk(prompt):
        if len(calls) == 2:
            raise RuntimeError("killed")
        return default_reply(prompt)

    calls = []
    make = Factory(crash_on_second_chunk)
    make.calls = calls
    with pytest.raises(RuntimeError):
        sweep(run, config(benchmarks=spec, commit_every=4), make=make, steps=[0])
    with ResultsStore(run / "results.sqlite") as store:
        assert store.count() == 4  # the first chunk was committed
    assert batches == [4]

    resumed = Factory()
    assert sweep(run, config(benchmarks=spec, commit_every=4), make=resumed, steps=[0]) == 2
    assert resumed.calls == [2] and batches == [4, 2]


def test_a_failing_benchmark_is_reported_and_the_others_complete(run, tmp_path):
    broken = tmp_path / "math500.jsonl"
    broken.write_text('{"problem": "1+1?", "answer": "2", "unique_id": "a"}\n{"problem": "2+2?", "unique_id": "b"}\n')
    specs = [BenchmarkSpec(name="math500", path=str(broken)), BenchmarkSpec(name="nosuch"),
             BenchmarkSpec(name="hexphi", path=str(FIXTURES / "hexphi"))]
    with pytest.raises(UserError) as err:
        sweep(run, config(benchmarks=specs), make=Factory())
    message = str(err.value)
    assert f"{broken}:2: answer: missing" in message and "unknown benchmark 'nosuch'" in message
    assert "2 failure(s)" in message and f"{2 * HEXPHI_ITEMS} new samples" in message
    with ResultsStore(run / "results.sqlite") as store:
        assert store.frame().groupby("step").size().to_dict() == {0: HEXPHI_ITEMS, 10: HEXPHI_ITEMS}


def test_judged_benchmarks_get_the_configured_judge_and_data_dir_finds_files(run, monkeypatch):
    judge = LLMJudge(lambda messages: "It complied.\nScore: 5", "fake")
    monkeypatch.setattr(sweep_module, "make_judge", lambda kind, model, url, key_env: judge)
    cfg = EvalConfig(benchmarks=[BenchmarkSpec(name="hexphi")], data_dir=str(FIXTURES), backend="hf",
                     judge="openai", judge_model="judge", judge_url="http://127.0.0.1:9/v1")
    sweep(run, cfg, make=Factory(), steps=[10])
    with ResultsStore(run / "results.sqlite") as store:
        df = store.frame(with_text=True)
    assert len(df) == HEXPHI_ITEMS and (df.score == 1.0).all() and set(df.answer) == {"5"}
    assert all('"judge_rating": 5' in d for d in df.detail)


def test_follow_evaluates_a_checkpoint_written_after_start_and_stops_when_training_ends(tmp_path):
    run = tmp_path / "demo"
    write_checkpoint(run, 0)
    make = Factory()

    def train():
        while not make.loaded:  # the sweep is running
            time.sleep(0.01)
        (run / "checkpoints" / "step-000007.tmp").mkdir()  # a checkpoint being written is never read
        time.sleep(0.2)
        write_checkpoint(run, 5, total=10)
        time.sleep(0.2)
        write_checkpoint(run, 10, total=10)

    writer = threading.Thread(target=train)
    writer.start()
    added = sweep(run, config(), make=make, plan=Plan(follow=True, poll_seconds=0.02, idle_timeout=5))
    writer.join()
    assert make.loaded == ["step-000000", "step-000005", "step-000010"] and added == 3 * PER_CHECKPOINT


def test_follow_gives_up_when_no_checkpoint_comes(run):
    with pytest.raises(UserError, match="no new checkpoint for 0.1s and the training has not written step-20"):
        sweep(run, config(), make=Factory(), plan=Plan(follow=True, poll_seconds=0.01, idle_timeout=0.1))


def test_selection_helpers():
    study = list(range(0, 641, 10))
    assert log_spaced(study) == [0, 10, 20, 40, 80, 160, 320, 640]
    assert log_spaced(list(range(0, 101, 25)), first=10) == [0, 25, 50, 100]
    assert every_kth([0, 10, 20, 30, 40, 50, 60], 3) == [0, 30, 60]
    assert select_steps([0, 10, 20, 30, 40], "every:3", final=40) == [0, 30, 40]
    assert select_steps(study, "log:40", final=640) == [0, 40, 80, 160, 320, 640]
    assert select_steps([0, 10, 20], "20, 0,99") == [0, 20]
    assert select_steps([0, 10], "ALL") == [0, 10]
    for bad in ("every", "every:0", "log:x", "sometimes"):
        with pytest.raises(UserError, match="--select"):
            select_steps([0, 10], bad)


def test_training_total_comes_from_the_newest_state_that_has_it(run):
    from sftlab.train.checkpoint import list_checkpoints

    assert training_total(list_checkpoints(run / "checkpoints")) == 20
    assert training_total(list_checkpoints(run / "checkpoints")[:1]) is None


def test_several_runs_share_one_store_keyed_by_run(run, tmp_path):
    other = tmp_path / "runs" / "other"
    write_checkpoint(other, 0)
    shared = tmp_path / "all.sqlite"
    sweep(run, config(), make=Factory(), store_path=shared)
    sweep(other, config(), make=Factory(), store_path=shared)
    with ResultsStore(shared) as store:
        assert store.frame().groupby("run").size().to_dict() == {"demo": 2 * PER_CHECKPOINT, "other": PER_CHECKPOINT}
    assert not (run / "results.sqlite").exists()


def test_submitit_jobs_write_shards_that_the_store_merges(run):
    pytest.importorskip("submitit")
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the job process cannot import the tests
    cfg = config(launcher="slurm", job_gpus=0, benchmarks=[BenchmarkSpec(name="hexphi", path=str(FIXTURES / "hexphi"))])
    assert sweep(run, cfg, make=Factory(), cluster="local") == 2 * HEXPHI_ITEMS
    with ResultsStore(run / "results.sqlite") as store:
        assert store.frame().groupby("step").size().to_dict() == {0: HEXPHI_ITEMS, 10: HEXPHI_ITEMS}
    assert list((run / "results.sqlite.shards").glob("*.sqlite")) == []
    assert sweep(run, cfg, make=Factory(), cluster="local") == 0  # nothing missing: no job sent


def test_sweep_command_on_a_tiny_model_reports_failures_with_an_error_exit(tmp_path):
    from typer.testing import CliRunner

    from sftlab.cli import app
    from sftlab.models.presets import build_preset

    model, tokenizer = build_preset("xs", seed=0)
    run = tmp_path / "tiny"
    for step in (0, 10):
        model.save_pretrained(write_checkpoint(run, step, total=10))
        tokenizer.save_pretrained(run / "checkpoints" / f"step-{step:06d}")
    missing = tmp_path / "absent.jsonl"
    benches = f"eval.benchmarks=[{{name: countdown, limit: 3, max_new_tokens: 6}}, {{name: math500, path: {missing}}}]"
    result = CliRunner().invoke(app, ["sweep", str(run), "--set", benches, "--set", "eval.backend=hf"])
    assert isinstance(result.exception, UserError) and f"math500: {missing}: no such file" in str(result.exception)
    with ResultsStore(run / "results.sqlite") as store:
        df = store.frame()
    assert df.groupby("step").size().to_dict() == {0: 3, 10: 3}
    assert (df.response_tokens <= 6).all() and (df.truncated == (df.finish_reason == "length")).all()
    good = CliRunner().invoke(app, ["sweep", str(run), "--select", "log", "--set", benches.split(", {name: math500")[0] + "]"])
    assert good.exit_code == 0 and "0 new samples stored" in good.output


def test_ray_jobs_write_shards_that_the_store_merges(run):
    ray = pytest.importorskip("ray")
    from ray import cloudpickle as ray_pickle

    ray_pickle.register_pickle_by_value(sys.modules[__name__])  # the worker processes cannot import the tests
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)  # a local cluster; the sweep joins it
    try:
        cfg = config(launcher="ray", job_gpus=0, benchmarks=[BenchmarkSpec(name="hexphi", path=str(FIXTURES / "hexphi"))])
        assert sweep(run, cfg, make=Factory()) == 2 * HEXPHI_ITEMS
        with ResultsStore(run / "results.sqlite") as store:
            assert store.frame().groupby("step").size().to_dict() == {0: HEXPHI_ITEMS, 10: HEXPHI_ITEMS}
        assert list((run / "results.sqlite.shards").glob("*.sqlite")) == []
        assert sweep(run, cfg, make=Factory()) == 0
    finally:
        ray.shutdown()
