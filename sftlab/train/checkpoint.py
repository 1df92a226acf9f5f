"""Checkpoints: Hugging Face format written atomically, plus what exact resume needs.

Writes `checkpoints/step-NNNNNN/` (config.json, model.safetensors, tokenizer files, trainer_state.json)
and, while resume needs it, `resume/` beside them (optimizer, scheduler and RNG states of every
process, from `accelerate`'s save_state). Everything is written to `step-NNNNNN.tmp/` first and
renamed when complete, so a directory named `step-*` is always whole.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

STATE_VERSION = 1
STATE_FILE = "trainer_state.json"
RESUME_DIR = "resume"
BASE_REFERENCE = "base.json"  # step 0 of a run on a large model points at the model instead of copying it


def step_dir(checkpoints: Path, step: int) -> Path:
    return checkpoints / f"step-{step:06d}"


def list_checkpoints(checkpoints: Path) -> list[tuple[int, Path]]:
    """Complete checkpoints, by step. Temporary `.tmp` directories are ignored."""
    if not checkpoints.exists():
        return []
    found = []
    for d in checkpoints.iterdir():
        name = d.name
        if d.is_dir() and name.startswith("step-") and name[5:].isdigit():
            found.append((int(name[5:]), d))
    return sorted(found)


def model_source(checkpoint: Path) -> str:
    """The path to load weights from: the checkpoint itself, or the base model it refers to."""
    ref = checkpoint / BASE_REFERENCE
    if ref.exists():
        return json.loads(ref.read_text())["path"]
    return str(checkpoint)


def write_base_reference(checkpoints: Path, model_path: str) -> Path:
    final = step_dir(checkpoints, 0)
    tmp = final.with_name(final.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    (tmp / BASE_REFERENCE).write_text(json.dumps({"path": model_path}) + "\n")
    (tmp / STATE_FILE).write_text(json.dumps({"version": STATE_VERSION, "step": 0}) + "\n")
    tmp.rename(final)
    return final


def save_checkpoint(accelerator, model, tokenizer, checkpoints: Path, step: int, state: dict, keep_resume: bool) -> Path:
    """Save weights (HF format) and trainer state; with `keep_resume`, also optimizer/scheduler/RNG."""
    final = step_dir(checkpoints, step)
    tmp = final.with_name(final.name + ".tmp")
    if accelerator.is_main_process:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
    accelerator.wait_for_everyone()
    state_dict = accelerator.get_state_dict(model)
    if keep_resume:
        accelerator.save_state(str(tmp / RESUME_DIR))
    if accelerator.is_main_process:
        plain = accelerator.unwrap_model(model)
        if hasattr(plain, "peft_config"):
            plain, state_dict = plain.get_base_model(), merged_lora_state(plain)
        plain.save_pretrained(tmp, state_dict=state_dict, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        (tmp / STATE_FILE).write_text(json.dumps({"version": STATE_VERSION, **state}, indent=2) + "\n")
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
    accelerator.wait_for_everyone()
    return final


def merged_lora_state(peft_model) -> dict:
    """The base model's weights with the LoRA updates added, under the base model's own names.

    Computed beside the training weights (not merged in place), so training continues unchanged and
    the checkpoint loads with plain transformers, vLLM or any other HF tool.
    """
    from peft.tuners.lora import LoraLayer

    base = peft_model.get_base_model()
    state = {k.replace(".base_layer.", "."): v for k, v in base.state_dict().items() if "lora_" not in k}
    for name, module in base.named_modules():
        if isinstance(module, LoraLayer):
            for adapter in module.active_adapters:
                key = f"{name}.weight"
                state[key] = state[key] + module.get_delta_weight(adapter).to(state[key].dtype)
    return state


def prune_resume_states(checkpoints: Path, keep: str, every: int | None = None, newest_needed: bool = True) -> None:
    """Drop optimizer states that resume no longer needs.

    keep='all' drops nothing and 'none' everything; 'last' keeps the newest while the run goes on
    (`newest_needed`) and, with `every`, the states of steps that are multiples of it.
    """
    if keep == "all":
        return
    complete = [(step, d) for step, d in list_checkpoints(checkpoints) if (d / RESUME_DIR).exists()]
    for i, (step, d) in enumerate(complete):
        newest = i == len(complete) - 1
        kept = keep == "last" and ((newest and newest_needed) or bool(every and step % every == 0))
        if not kept:
            shutil.rmtree(d / RESUME_DIR, ignore_errors=True)


def latest_resumable(checkpoints: Path) -> tuple[int, Path] | None:
    for step, d in reversed(list_checkpoints(checkpoints)):
        if (d / RESUME_DIR).exists():
            return step, d
    return None


def read_state(checkpoint: Path) -> dict:
    state = json.loads((checkpoint / STATE_FILE).read_text())
    if state.get("version") != STATE_VERSION:
        raise RuntimeError(f"{checkpoint / STATE_FILE}: state version {state.get('version')}, expected {STATE_VERSION}")
    return state
