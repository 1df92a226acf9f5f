"""From chat records to tensors: the chat template, the response-only label mask, padding and packing.

The prompt is the chat messages rendered with the model's own template and its generation prompt;
the target is the response verbatim (reasoning block included) followed by the EOS token, which is
supervised so the model learns to stop.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import torch

IGNORE = -100


@dataclass(frozen=True)
class Example:
    input_ids: list[int]
    labels: list[int]  # IGNORE on prompt tokens

    @property
    def response_tokens(self) -> int:
        return sum(1 for t in self.labels if t != IGNORE)


def encode(tokenizer, messages: list[dict], response: str, max_length: int) -> tuple[Example | None, str | None]:
    """One training example, or (None, reason) when truncation would leave no response token.

    Prompt and response are tokenized separately and joined, so the mask boundary is exact for any
    tokenizer (a joint tokenization could merge the last prompt token with the first response token).
    """
    prompt_text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    prompt = tokenizer(prompt_text, add_special_tokens=False)["input_ids"]
    target = tokenizer(response, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    ids = (prompt + target)[:max_length]
    if len(ids) <= len(prompt):
        return None, "response cut entirely"
    labels = [IGNORE] * len(prompt) + target
    return Example(ids, labels[: len(ids)]), ("truncated" if len(prompt) + len(target) > max_length else None)


def encode_all(tokenizer, records: list[dict], max_length: int) -> tuple[list[Example], Counter]:
    """Encode records; the counter says how many were truncated and how many dropped."""
    examples, counts = [], Counter()
    for rec in records:
        ex, note = encode(tokenizer, rec["messages"], rec["response"], max_length)
        if note:
            counts[note] += 1
        if ex is not None:
            examples.append(ex)
    return examples, counts


def pad_batch(examples: list[Example], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-padded tensors: input_ids, attention_mask, labels (IGNORE on padding)."""
    width = max(len(e.input_ids) for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, e in enumerate(examples):
        n = len(e.input_ids)
        ids[row, :n] = torch.tensor(e.input_ids)
        labels[row, :n] = torch.tensor(e.labels)
        mask[row, :n] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def pack_batch(examples: list[Example]) -> dict[str, torch.Tensor]:
    """All examples in one row with no padding; position ids restart at each example.

    With no attention mask, transformers reads the restarts in `position_ids` as sequence boundaries
    and keeps attention inside each example (block-diagonal causal mask, or flash-attention varlen).
    The first token of each example is a prompt token, so no label crosses a boundary.
    """
    ids = [t for e in examples for t in e.input_ids]
    labels = [t for e in examples for t in e.labels]
    positions = [p for e in examples for p in range(len(e.input_ids))]
    return {
        "input_ids": torch.tensor([ids]),
        "labels": torch.tensor([labels]),
        "position_ids": torch.tensor([positions]),
    }


def supervised_tokens(labels: torch.Tensor) -> int:
    """Tokens the loss counts: labels are shifted by one inside the model, so the first column never counts."""
    return int((labels[:, 1:] != IGNORE).sum())
