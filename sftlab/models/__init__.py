"""Models: the mini-lab tokenizer, tiny presets, and loading of any Hugging Face causal LM.

The preset table lives here, free of torch, so validating a config stays fast.
"""

# name: (hidden, layers, heads, kv heads, mlp); from about 0.1M (xs) to 10M (l) parameters
PRESETS: dict[str, tuple[int, int, int, int, int]] = {
    "xs": (64, 2, 2, 1, 192),
    "s": (128, 4, 4, 2, 384),
    "m": (256, 6, 4, 2, 768),
    "l": (320, 8, 5, 1, 960),
}
