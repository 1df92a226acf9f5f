"""Generation with vLLM (optional extra `sftlab[vllm]`): tensor parallelism inside one engine, data
parallelism across engines, paged KV cache and continuous batching.

Prompts arrive already chat-formatted, as for every backend; `sampling_params_kwargs` maps the shared
settings the same way `openai_backend.completion_payload` does. Importing this module never needs vLLM;
constructing a `VLLMGenerator` does.
"""

from __future__ import annotations

import importlib.util
import time

from sftlab.errors import UserError
from sftlab.evaluate.backends import Completion
from sftlab.evaluate.benchmarks.base import Sampling


def available() -> bool:
    return importlib.util.find_spec("vllm") is not None


def sampling_params_kwargs(sampling: Sampling, seed: int) -> dict:
    """vLLM SamplingParams for one prompt: the same settings every backend receives."""
    return {
        "n": 1,
        "temperature": sampling.temperature,
        "top_p": sampling.top_p if sampling.temperature > 0 else 1.0,
        "max_tokens": sampling.max_new_tokens,
        "seed": seed,
    }


class VLLMGenerator:
    """One vLLM engine over `tensor_parallel` GPUs; `data_parallel` engine replicas split the prompts."""

    def __init__(
        self, path: str, tensor_parallel: int = 1, data_parallel: int = 1, gpu_memory_utilization: float = 0.9,
        max_model_len: int | None = None,
    ) -> None:  # fmt: skip
        if not available():
            raise UserError("eval.backend vllm: vLLM is not installed (pip install 'sftlab[vllm]')")
        from vllm import LLM

        self.llm = LLM(
            model=path, tensor_parallel_size=tensor_parallel, data_parallel_size=data_parallel,
            gpu_memory_utilization=gpu_memory_utilization, max_model_len=max_model_len, seed=0,
        )  # fmt: skip
        self.tokenizer = self.llm.get_tokenizer()

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def generate(self, prompts: list[str], sampling: Sampling, seed: int = 0) -> list[Completion]:
        from vllm import SamplingParams

        # one seed per prompt position, as the HTTP backend does: reproducible whatever the batching
        params = [SamplingParams(**sampling_params_kwargs(sampling, seed * 1_000_003 + i)) for i in range(len(prompts))]
        began = time.perf_counter()
        outputs = self.llm.generate(prompts, params, use_tqdm=True)
        seconds = (time.perf_counter() - began) / max(len(prompts), 1)
        results = []
        for out in outputs:
            choice = out.outputs[0]
            reason = "length" if choice.finish_reason == "length" else "stop"
            results.append(Completion(choice.text, len(choice.token_ids), reason, seconds))
        return results
