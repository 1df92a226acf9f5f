"""Attention for packed rows without flash-attention: each sample's span attends causally to itself only.

transformers reads a packed row (no attention mask, position ids restarting at each sample) as a
block-diagonal mask over the whole row when it runs sdpa: memory and time quadratic in the row's length,
and no causal block can be skipped. Here each sample's span is one causal sdpa call, so a packed row costs
what its samples cost one by one, and nothing is padded. Written here because transformers has varlen
attention only through the flash-attn package (CUDA); on a CPU this is what makes packing pay
(benchmarks/train_throughput.py).

Registered with transformers as `PACKED_ATTENTION`; inputs that are not one packed row (a KV cache during
generation, several unpadded rows) go to transformers' own sdpa function unchanged. Models whose attention is
more than plain causal (sliding windows, logit soft-capping) are not `packable`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward

PACKED_ATTENTION = "sftlab_packed_sdpa"


def sample_spans(position_ids: torch.Tensor) -> list[tuple[int, int]]:
    """(start, end) of each sample in one packed row: a new sample starts wherever the position is 0."""
    starts = (position_ids.reshape(-1) == 0).nonzero().flatten().tolist()
    if not starts or starts[0] != 0:
        starts = [0, *starts]
    return list(zip(starts, [*starts[1:], position_ids.numel()]))


def packable(model: torch.nn.Module) -> bool:
    """Whether the model's attention is plain causal attention in every layer, and can be switched to ours."""
    cfg = model.config
    layer_types = getattr(cfg, "layer_types", None)
    windowed = any(t != "full_attention" for t in layer_types) if layer_types else bool(getattr(cfg, "sliding_window", None))
    capped = bool(getattr(cfg, "attn_logit_softcapping", None))
    return not windowed and not capped and getattr(model, "_supports_attention_backend", False)


def packed_sdpa(module: torch.nn.Module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                attention_mask: torch.Tensor | None, dropout: float = 0.0, scaling: float | None = None,
                **kwargs) -> tuple[torch.Tensor, None]:
    position_ids = kwargs.get("position_ids")
    one_packed_row = (
        attention_mask is None and position_ids is not None and query.shape[0] == 1
        and query.shape[2] == key.shape[2] == position_ids.shape[-1] and query.shape[2] > 1
    )
    if kwargs.get("sliding_window") or kwargs.get("softcap") or (attention_mask is not None and attention_mask.ndim != 4):
        # No mask is built for this implementation; a windowed layer or a 2-D padding mask would be silently wrong.
        raise ValueError(f"{PACKED_ATTENTION}: only plain causal attention over packed rows or unpadded batches")
    if not one_packed_row:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
                                      **kwargs)
    gqa = query.shape[1] != key.shape[1]
    dropout = dropout if module.training else 0.0
    out = [
        F.scaled_dot_product_attention(query[:, :, a:b], key[:, :, a:b], value[:, :, a:b], dropout_p=dropout,
                                       scale=scaling, is_causal=True, enable_gqa=gqa)
        for a, b in sample_spans(position_ids)
    ]
    # transformers expects (batch, seq, heads, head_dim) back from an attention function.
    return torch.cat(out, dim=2).transpose(1, 2).contiguous(), None


AttentionInterface.register(PACKED_ATTENTION, packed_sdpa)
