"""Generation speed on a trained checkpoint: sftlab's shrinking-batch decode loop against `model.generate`.

A trained model's responses differ in length, so a batch has a long tail; `generate` keeps finished
rows in every step, `decode` drops them. Both run greedy on the same prompts; the script checks that
their outputs are identical and prints tokens/s of each.

Example: python benchmarks/decode_speed.py runs/demo/checkpoints/step-000320 --items 128
"""

from __future__ import annotations

import argparse
import time

import torch

from sftlab.evaluate import benchmarks
from sftlab.evaluate.backends import HFGenerator, decode, left_pad
from sftlab.evaluate.benchmarks.base import Sampling


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint")
    parser.add_argument("--benchmark", default="countdown")
    parser.add_argument("--items", type=int, default=128)
    parser.add_argument("--max-new-tokens", type=int, default=384)
    args = parser.parse_args()

    gen = HFGenerator.from_path(args.checkpoint, batch_size=args.items)
    bench = benchmarks.get(args.benchmark)(None, seed=0)
    prompts = [gen.tokenizer.apply_chat_template(bench.prompt(it), add_generation_prompt=True, tokenize=False)
               for it in bench.load()[: args.items]]
    enc = [gen.tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
    ids, mask = left_pad(enc, gen.tokenizer.pad_token_id)
    width = ids.shape[1]
    with torch.inference_mode():
        began = time.perf_counter()
        ref = gen.model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=args.max_new_tokens, do_sample=False,
                                 eos_token_id=gen.stop_ids, pad_token_id=gen.tokenizer.pad_token_id)
        plain = time.perf_counter() - began
        began = time.perf_counter()
        ours = decode(gen.model, ids, mask, Sampling(max_new_tokens=args.max_new_tokens), gen.stop_ids)
        shrinking = time.perf_counter() - began
    identical = 0
    for r, new in enumerate(ours):
        expected = ref[r, width:].tolist()
        stop = next((k for k, t in enumerate(expected) if t in gen.stop_ids), None)
        identical += new == (expected if stop is None else expected[: stop + 1])
    tokens = sum(map(len, ours))
    print(f"{len(ours)} prompts, {tokens} generated tokens (mean {tokens / len(ours):.0f}, cap {args.max_new_tokens})")
    print(f"model.generate   {plain:6.2f} s  {tokens / plain:9,.0f} tok/s")
    print(f"sftlab decode    {shrinking:6.2f} s  {tokens / shrinking:9,.0f} tok/s   {plain / shrinking:.2f}x")
    print(f"identical outputs: {identical}/{len(ours)}")


if __name__ == "__main__":
    main()
