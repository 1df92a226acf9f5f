"""The step loss: a token mean over response tokens only, independent of how the step is split."""

import pytest
import torch
import torch.nn.functional as F
from accelerate import Accelerator

from sftlab.config import TrainConfig
from sftlab.models.presets import load_model
from sftlab.train.batching import IGNORE, encode_all, pack_batch, pad_batch
from sftlab.train.loop import run_step, use_packing
from sftlab.train.packed_attention import PACKED_ATTENTION

from tiny_models import make_records


def setup(model_dir, n=6):
    model, tok = load_model(model_dir)
    examples, _ = encode_all(tok, make_records(n, seed=1), 512)
    return model, tok, examples


def hand_loss(model, examples, pad_id) -> torch.Tensor:
    """Cross-entropy summed over every response token of every sample, divided by their count."""
    total, count = torch.zeros(()), 0
    for e in examples:
        logits = model(input_ids=torch.tensor([e.input_ids])).logits[0]
        for t in range(1, len(e.input_ids)):
            if e.labels[t] != IGNORE:
                total = total + F.cross_entropy(logits[t - 1], torch.tensor(e.labels[t]))
                count += 1
    return total / count


def step_grads(model, batches, loss="token_mean"):
    model.zero_grad(set_to_none=True)
    value, tokens = run_step(Accelerator(cpu=True), model, batches, TrainConfig(loss=loss))
    return value, tokens, [p.grad.clone() for p in model.parameters()]


def test_token_mean_matches_hand_computation_for_any_split(model_dir):
    model, tok, ex = setup(model_dir)
    expected = hand_loss(model, ex, tok.pad_token_id)
    model.zero_grad()
    expected.backward()
    ref_grads = [p.grad.clone() for p in model.parameters()]
    # One batch, then unequal micro-batches (1, 2 and 3 samples of different lengths).
    for split in ([ex], [ex[:1], ex[1:3], ex[3:]]):
        value, tokens, grads = step_grads(model, [pad_batch(mb, tok.pad_token_id) for mb in split])
        assert tokens == sum(e.response_tokens for e in ex)
        assert value == pytest.approx(expected.item(), rel=1e-5)
        for g, r in zip(grads, ref_grads):
            torch.testing.assert_close(g, r, rtol=1e-4, atol=1e-6)


def test_microbatch_mean_mode_sums_microbatch_means(model_dir):
    model, tok, ex = setup(model_dir)
    split = [ex[:1], ex[1:]]
    means = [hand_loss(model, mb, tok.pad_token_id) for mb in split]
    model.zero_grad()
    sum(means).backward()
    ref_grads = [p.grad.clone() for p in model.parameters()]
    _, _, grads = step_grads(model, [pad_batch(mb, tok.pad_token_id) for mb in split], loss="microbatch_mean")
    for g, r in zip(grads, ref_grads):
        torch.testing.assert_close(g, r, rtol=1e-4, atol=1e-6)
    # ...which differs from the token mean when micro-batches hold unequal token counts.
    _, _, token_grads = step_grads(model, [pad_batch(mb, tok.pad_token_id) for mb in split])
    assert not torch.allclose(grads[0], token_grads[0])


@pytest.mark.parametrize("attention", ["sdpa", PACKED_ATTENTION])
def test_packed_and_padded_agree(model_dir, attention):
    # sdpa: transformers' block-diagonal mask over the packed row; ours: one causal call per sample.
    model, tok, ex = setup(model_dir)
    padded = step_grads(model, [pad_batch(ex[:3], tok.pad_token_id), pad_batch(ex[3:], tok.pad_token_id)])
    model.set_attn_implementation(attention)
    packed = step_grads(model, [pack_batch(ex[:3]), pack_batch(ex[3:])])
    assert packed[0] == pytest.approx(padded[0], rel=1e-5)
    assert packed[1] == padded[1]
    for g, r in zip(packed[2], padded[2]):
        torch.testing.assert_close(g, r, rtol=1e-4, atol=1e-6)


def test_packed_attention_keeps_each_sample_to_itself(qwen_dir):
    """A sample's logits in a packed row are the ones it gets alone, whatever sits before it in the row."""
    model, tok, ex = setup(qwen_dir, n=3)
    model.set_attn_implementation(PACKED_ATTENTION)
    alone = model(input_ids=torch.tensor([ex[2].input_ids])).logits[0]
    row = model(**{k: v for k, v in pack_batch(ex).items() if k != "labels"}).logits[0]
    torch.testing.assert_close(row[-len(ex[2].input_ids):], alone, rtol=1e-4, atol=1e-5)


def test_auto_packing_only_for_plain_causal_attention(qwen_dir):
    from transformers import MistralConfig, MistralForCausalLM

    model, _ = load_model(qwen_dir)
    assert use_packing(TrainConfig(packing="auto"), model)
    assert model.config._attn_implementation == PACKED_ATTENTION
    assert not use_packing(TrainConfig(packing="off"), load_model(qwen_dir)[0])
    windowed = MistralForCausalLM(MistralConfig(vocab_size=32, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                                num_attention_heads=2, num_key_value_heads=1, sliding_window=4))
    assert not use_packing(TrainConfig(packing="auto"), windowed)
    assert windowed.config._attn_implementation != PACKED_ATTENTION
    windowed.set_attn_implementation(PACKED_ATTENTION)  # forced anyway: refused, not silently wrong
    with pytest.raises(ValueError, match="only plain causal attention"):
        windowed(input_ids=torch.arange(8)[None], position_ids=torch.tensor([[0, 1, 2, 3, 4, 5, 0, 1]]))


def test_prompt_positions_do_not_enter_the_loss(qwen_dir):
    """Whatever the model predicts for prompt tokens, the loss is the same: only responses are targets."""
    model, tok, ex = setup(qwen_dir, n=2)
    batch = pad_batch(ex, tok.pad_token_id)
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits.detach()
    base = model.loss_function(logits, batch["labels"], vocab_size=logits.shape[-1])
    # Positions t predict token t+1: those whose next token is a prompt token (or padding).
    not_target = torch.zeros_like(batch["labels"], dtype=torch.bool)
    not_target[:, :-1] = batch["labels"][:, 1:] == IGNORE
    not_target[:, -1] = True
    noisy = logits + torch.randn_like(logits) * 10 * not_target[..., None]
    assert not torch.equal(noisy, logits)
    assert model.loss_function(noisy, batch["labels"], vocab_size=logits.shape[-1]).item() == base.item()
