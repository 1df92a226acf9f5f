"""The experiment schema: YAML -> dotted CLI overrides -> one validation -> `runs/<name>/config.yaml`.

Reads experiment YAML files; writes the resolved config into the run directory. Every field is typed,
defaulted and described, so a misspelt key is an error, never silently ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sftlab.errors import UserError
from sftlab.io import atomic_write_text


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ModelConfig(Section):
    preset: str | None = Field("s", description="Mini-lab preset (xs, s, m, l) built locally; ignored when `path` is set.")
    path: str | None = Field(None, description="Hugging Face model directory or hub id to fine-tune instead of a preset.")
    dtype: Literal["float32", "bfloat16"] = Field("float32", description="Parameter dtype for training.")

    @model_validator(mode="after")
    def _one_source(self) -> ModelConfig:
        if self.preset is None and self.path is None:
            raise ValueError("set model.preset or model.path")
        return self


class PretrainConfig(Section):
    """Mini-lab only: the short direct-answer pre-training that makes a base model."""

    steps: int = Field(1000, ge=0, description="Optimizer steps of base-model pre-training.")
    batch_tokens: int = Field(2048, ge=64, description="Tokens per pre-training step.")
    lr: float = Field(3e-3, gt=0, description="Peak learning rate of pre-training.")
    warmup_ratio: float = Field(0.02, ge=0, le=1, description="Share of steps spent warming up.")
    items_per_family: int = Field(3000, ge=10, description="Distinct direct-answer problems generated per task family.")
    drill_share: float = Field(0.3, ge=0, le=1, description="Share of examples that are single search-step drills.")


class DataConfig(Section):
    task: str = Field("countdown", description="Task family that generates the SFT set (mini-lab).")
    condition: Literal["cot", "nocot", "unverified", "wrong", "bfs"] = Field(
        "cot", description="Data condition: verified long CoT, answer only, corrupted CoT, wrong answers, breadth-first teacher."
    )
    samples: int = Field(1200, ge=1, description="Training problems to generate.")
    numbers: int = Field(3, ge=3, le=5, description="Countdown: how many numbers per problem.")
    path: str | None = Field(None, description="Use this JSONL/Parquet SFT file instead of generating one.")


class TrainConfig(Section):
    lr: float = Field(3e-4, gt=0, description="Peak learning rate.")
    schedule: Literal["cosine", "constant", "wsd"] = Field("cosine", description="Learning-rate schedule after warmup.")
    warmup_ratio: float = Field(0.05, ge=0, le=1, description="Share of total steps spent in linear warmup.")
    decay_ratio: float = Field(0.2, ge=0, le=1, description="WSD only: share of steps spent decaying at the end.")
    min_lr_ratio: float = Field(0.0, ge=0, le=1, description="Floor of the schedule as a share of the peak lr.")
    steps: int | None = Field(None, ge=1, description="Total optimizer steps; overrides `epochs` when set.")
    epochs: float = Field(1.0, gt=0, description="Passes over the training set when `steps` is not set.")
    global_batch: int = Field(32, ge=1, description="Samples per optimizer step, over all processes.")
    micro_batch: int = Field(8, ge=1, description="Samples per forward pass on one process.")
    max_length: int = Field(512, ge=16, description="Tokens per sample; longer samples are cut on the right.")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay.")
    betas: tuple[float, float] = Field((0.9, 0.95), description="AdamW betas.")
    grad_clip: float = Field(1.0, ge=0, description="Clip the global gradient norm to this (0 turns clipping off).")
    loss: Literal["token_mean", "microbatch_mean"] = Field(
        "token_mean",
        description="token_mean: mean over every response token of the step; microbatch_mean: each micro-batch "
        "token-averaged, then summed on a process and averaged across processes.",
    )
    save_every: int = Field(10, ge=1, description="Save a checkpoint every N optimizer steps (and at the end).")
    keep_optimizer: Literal["last", "all", "none"] = Field("last", description="Which checkpoints keep optimizer state for resume.")
    keep_optimizer_every: int | None = Field(
        None, ge=1, description="Also keep optimizer state in checkpoints whose step is a multiple of this."
    )
    shuffle: bool = Field(True, description="Seeded shuffle of the data each epoch; False keeps the file's order.")
    gradient_checkpointing: bool = Field(False, description="Recompute activations in backward to save memory.")
    bf16: bool = Field(False, description="bf16 autocast (GPUs, and CPUs that support it).")
    packing: Literal["auto", "on", "off"] = Field(
        "auto",
        description="Padding-free packing of each micro-batch into one row (attention kept inside each sample). "
        "auto: on with flash-attention varlen (CUDA with flash_attn) or, for models with plain causal attention, "
        "sftlab's per-sample sdpa; padded micro-batches otherwise.",
    )
    lora_r: int = Field(0, ge=0, description="LoRA rank (needs peft); 0 fine-tunes every weight.")
    lora_alpha: float = Field(32.0, gt=0, description="LoRA scaling numerator (the update is scaled by alpha / r).")
    lora_dropout: float = Field(0.0, ge=0, lt=1, description="Dropout on the LoRA input.")
    lora_targets: list[str] = Field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        description="Names of the linear modules that get LoRA adapters.",
    )
    trackers: list[Literal["tensorboard", "wandb"]] = Field(
        default_factory=list, description="Experiment trackers fed through accelerate, besides metrics.jsonl."
    )

    @model_validator(mode="after")
    def _batches_divide(self) -> TrainConfig:
        if self.global_batch % self.micro_batch:
            raise ValueError(
                f"train.global_batch ({self.global_batch}) must be a multiple of train.micro_batch ({self.micro_batch})"
            )
        return self


class BenchmarkSpec(Section):
    name: str = Field(description="Registered benchmark name (`sftlab eval --list`).")
    path: str | None = Field(None, description="Local file or hub id; mini-lab families generate their items.")
    limit: int | None = Field(None, ge=1, description="Evaluate only the first N items.")
    samples: int | None = Field(None, ge=1, description="Responses per item (default: the benchmark's).")
    temperature: float | None = Field(None, ge=0, description="Sampling temperature (default: the benchmark's).")
    top_p: float | None = Field(None, gt=0, le=1, description="Nucleus sampling (default: the benchmark's).")
    max_new_tokens: int | None = Field(None, ge=1, description="Generation cap (default: the benchmark's).")
    domain: Literal["in-domain", "ood", "general", "safety"] | None = Field(None, description="Override the domain tag.")


def _minilab_benchmarks() -> list[BenchmarkSpec]:
    return [BenchmarkSpec(name="countdown", limit=200)] + [
        BenchmarkSpec(name=name, limit=100) for name in ("countdown_pm", "signs", "path", "refusal")
    ]


class EvalConfig(Section):
    benchmarks: list[BenchmarkSpec] = Field(
        default_factory=_minilab_benchmarks, description="What to evaluate at every checkpoint (default: the mini-lab's)."
    )
    backend: Literal["auto", "hf", "vllm", "openai"] = Field(
        "auto", description="Generation backend; auto: vLLM when it is installed and a GPU is present, else hf."
    )
    batch_size: int = Field(128, ge=1, description="Sequences generated together (HF backend).")
    seed: int = Field(0, description="Sampling seed.")
    data_dir: str | None = Field(
        None, description="Directory of benchmark files: a benchmark without `path` reads <data_dir>/<name> "
        "when that exists, else <data_dir> itself.",
    )
    commit_every: int = Field(
        512, ge=1, description="Samples generated, scored and committed to the store together; a killed sweep "
        "loses at most this many per benchmark.",
    )
    judge: Literal["patterns", "hf", "openai"] = Field(
        "patterns", description="Judge of safety and preference benchmarks: refusal patterns (no model), a local "
        "HF model, or an OpenAI-compatible endpoint.",
    )
    judge_model: str | None = Field(None, description="Judge model: a local path (hf) or the served model name (openai).")
    judge_url: str | None = Field(None, description="Base URL of the judge's OpenAI-compatible endpoint, e.g. http://host:8000/v1.")
    judge_key_env: str = Field(
        "OPENAI_API_KEY", description="Environment variable holding the judge endpoint's API key (never stored or logged)."
    )
    base_url: str | None = Field(None, description="openai backend: base URL of the server that serves the checkpoint.")
    served_model: str | None = Field(None, description="openai backend: model name on the server (default: the checkpoint path).")
    api_key_env: str = Field(
        "OPENAI_API_KEY", description="openai backend: environment variable holding the API key (never stored or logged)."
    )
    tensor_parallel: int = Field(1, ge=1, description="vLLM: GPUs one engine shards the model over.")
    data_parallel: int = Field(1, ge=1, description="vLLM: engine replicas that split the prompts.")
    launcher: Literal["local", "slurm", "ray"] = Field(
        "local", description="Sweep: evaluate here, or send one job per checkpoint to Slurm (submitit) or Ray."
    )
    slurm_partition: str | None = Field(None, description="Slurm partition of the sweep's jobs (default: the cluster's).")
    job_gpus: int = Field(1, ge=0, description="GPUs per checkpoint job (slurm, ray).")
    job_minutes: int = Field(240, ge=1, description="Time limit of one checkpoint job (slurm).")

    @model_validator(mode="after")
    def _endpoints_named(self) -> EvalConfig:
        problems = []
        if self.backend == "openai" and not self.base_url:
            problems.append("eval.base_url: missing (the openai backend needs the server's base URL)")
        if self.judge != "patterns" and not self.judge_model:
            problems.append(f"eval.judge_model: missing (the {self.judge} judge needs a model name or path)")
        if self.judge == "openai" and not self.judge_url:
            problems.append("eval.judge_url: missing (the openai judge needs the endpoint's base URL)")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class ExperimentConfig(Section):
    name: str = Field("demo", description="Run name: the run directory is runs/<name>.")
    seed: int = Field(0, description="Seed for data generation, initialisation and data order.")
    model: ModelConfig = Field(default_factory=ModelConfig)
    pretrain: PretrainConfig = Field(default_factory=PretrainConfig)
    data: DataConfig = Field(default_factory=DataConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)
    eval: EvalConfig = Field(default_factory=EvalConfig)


def _set_dotted(tree: dict, dotted: str, raw: str, source: str) -> None:
    keys = dotted.split(".")
    node = tree
    for key in keys[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise UserError(f"{source}: {dotted}: {key!r} is not a section")
        node = child
    # YAML parsing gives `3e-4` -> float, `true` -> bool, `[a, b]` -> list, like the file itself.
    node[keys[-1]] = yaml.safe_load(raw) if raw != "" else None


def _problems(source: str, problems: list[str]) -> str:
    """One line for one problem; all of them, one per line, when there are several."""
    if len(problems) == 1:
        return f"{source}: {problems[0]}"
    return f"{source}: {len(problems)} problems in the config:\n  " + "\n  ".join(problems)


def _format_errors(err: ValidationError, source: str) -> str:
    problems = []
    for e in err.errors():
        field = ".".join(str(p) for p in e["loc"]) or "(top level)"
        message = "unknown field (misspelt?)" if e["type"] == "extra_forbidden" else e["msg"]
        problems.append(f"{field}: {message}")
    return _problems(source, problems)


def load_config(path: Path | None, overrides: list[str] = ()) -> ExperimentConfig:
    """Read a YAML config (or the defaults), apply `a.b=value` overrides, validate once."""
    source = str(path) if path else "defaults"
    tree: dict = {}
    if path is not None:
        if not path.exists():
            raise UserError(f"{path}: config file not found")
        try:
            tree = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f"{path}:{mark.line + 1}" if mark else str(path)
            raise UserError(f"{where}: malformed YAML: {getattr(e, 'problem', e)}") from None
        if not isinstance(tree, dict):
            raise UserError(f"{path}: expected a mapping of config sections, got {type(tree).__name__}")
    for item in overrides:
        if "=" not in item:
            raise UserError(f"override {item!r}: expected key=value, for example train.lr=3e-5")
        key, raw = item.split("=", 1)
        _set_dotted(tree, key.strip(), raw.strip(), f"override {item!r}")
    try:
        cfg = ExperimentConfig.model_validate(tree)
    except ValidationError as err:
        raise UserError(_format_errors(err, source)) from None
    check_names(cfg, source)
    return cfg


def check_names(cfg: ExperimentConfig, source: str) -> None:
    """Registry names (preset, task family, benchmarks) checked before any stage writes a file."""
    from sftlab import tasks
    from sftlab.evaluate import benchmarks
    from sftlab.models import PRESETS

    problems = []
    if cfg.model.path is None and cfg.model.preset not in PRESETS:
        problems.append(f"model.preset: unknown preset {cfg.model.preset!r}; known: {', '.join(PRESETS)}")
    if cfg.data.path is None and cfg.data.task not in tasks.FAMILIES:
        problems.append(f"data.task: unknown task family {cfg.data.task!r}; known: {', '.join(sorted(tasks.FAMILIES))}")
    for i, spec in enumerate(cfg.eval.benchmarks):
        if spec.name not in benchmarks.BENCHMARKS:
            problems.append(f"eval.benchmarks[{i}].name: unknown benchmark {spec.name!r} (see `sftlab eval --list`)")
    if problems:
        raise UserError(_problems(source, problems))


def save_config(cfg: ExperimentConfig, path: Path) -> None:
    atomic_write_text(path, yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False))
