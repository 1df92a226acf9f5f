"""Encoding, the response-only mask, truncation, and packed rows."""

import torch

from sftlab.models.tokenizer import build_tokenizer
from sftlab.train.batching import IGNORE, encode, encode_all, pack_batch, pad_batch, supervised_tokens

TOK = build_tokenizer()
MSGS = [{"role": "user", "content": "add 2 3"}]


def test_prompt_masked_response_and_eos_supervised():
    ex, note = encode(TOK, MSGS, "<think>2+3=5.</think>5", max_length=512)
    prompt = TOK.apply_chat_template(MSGS, add_generation_prompt=True, tokenize=False)
    n_prompt = len(TOK(prompt, add_special_tokens=False)["input_ids"])
    assert note is None
    assert ex.labels[:n_prompt] == [IGNORE] * n_prompt
    assert ex.labels[n_prompt:] == ex.input_ids[n_prompt:]
    assert TOK.decode(ex.input_ids[n_prompt:]) == "<think>2+3=5.</think>5<|im_end|>"
    assert ex.input_ids[-1] == TOK.eos_token_id and ex.labels[-1] == TOK.eos_token_id
    # <think> and </think> are single special tokens; the answer "5" and EOS one each.
    assert ex.response_tokens == 1 + len("2+3=5.") + 1 + 1 + 1


def test_truncation_and_drop_counts():
    records = [{"messages": MSGS, "response": "x" * n} for n in (3, 40, 200)]
    prompt_len = len(encode(TOK, MSGS, "x", 512)[0].input_ids) - 2
    examples, counts = encode_all(TOK, records, max_length=prompt_len + 10)
    assert [len(e.input_ids) for e in examples] == [prompt_len + 4, prompt_len + 10, prompt_len + 10]
    assert counts == {"truncated": 2}
    # A cap at the prompt's length leaves no response token: every sample is dropped and counted.
    examples, counts = encode_all(TOK, records, max_length=prompt_len)
    assert examples == [] and counts == {"response cut entirely": 3}


def test_pad_and_pack_layout():
    a, _ = encode(TOK, MSGS, "5", 512)
    b, _ = encode(TOK, [{"role": "user", "content": "add 10 20 30"}], "60", 512)
    padded = pad_batch([a, b], TOK.pad_token_id)
    assert padded["input_ids"].shape == (2, len(b.input_ids))
    assert padded["attention_mask"][0].tolist() == [1] * len(a.input_ids) + [0] * (len(b.input_ids) - len(a.input_ids))
    assert (padded["labels"][0, len(a.input_ids):] == IGNORE).all()
    packed = pack_batch([a, b])
    assert packed["input_ids"][0].tolist() == a.input_ids + b.input_ids
    assert packed["position_ids"][0].tolist() == list(range(len(a.input_ids))) + list(range(len(b.input_ids)))
    assert "attention_mask" not in packed
    # The same supervised tokens either way; the first token of each sample is a prompt token.
    assert supervised_tokens(padded["labels"]) == supervised_tokens(packed["labels"]) == a.response_tokens + b.response_tokens
    assert packed["labels"][0, len(a.input_ids)].item() == IGNORE
    assert torch.equal(packed["labels"][0, : len(a.labels)], torch.tensor(a.labels))
