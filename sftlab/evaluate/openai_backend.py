"""Generation from a served model through an OpenAI-compatible HTTP API (vLLM serve, SGLang, hosted APIs).

Prompts arrive already chat-formatted, as for every backend, so they go to `/completions` unchanged and a
served checkpoint sees exactly the text the HF backend would tokenize. Judges talk to `/chat/completions`.
The API key is passed in by the caller (read from an environment variable it names) and never logged.
Retries transient failures (connection errors, 429, 5xx) with exponential backoff.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from sftlab.errors import UserError
from sftlab.evaluate.backends import Completion
from sftlab.evaluate.benchmarks.base import Sampling

log = logging.getLogger(__name__)

_RETRYABLE = {408, 409, 429, 500, 502, 503, 504}


def completion_payload(model: str, prompt: str, sampling: Sampling, seed: int) -> dict:
    """The `/completions` request for one prompt: the same settings every backend receives."""
    return {
        "model": model,
        "prompt": prompt,
        "max_tokens": sampling.max_new_tokens,
        "temperature": sampling.temperature,
        "top_p": sampling.top_p if sampling.temperature > 0 else 1.0,
        "seed": seed,
        "n": 1,
    }


class OpenAIClient:
    def __init__(
        self, base_url: str, model: str, api_key: str | None = None, timeout: float = 600.0,
        retries: int = 4, backoff_seconds: float = 1.0,
    ) -> None:  # fmt: skip
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._api_key = api_key
        self.timeout = timeout
        self.retries = retries
        self.backoff_seconds = backoff_seconds

    def post(self, route: str, payload: dict) -> dict:
        url = f"{self.base_url}/{route.lstrip('/')}"
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        body = json.dumps(payload).encode()
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                delay = self.backoff_seconds * 2 ** (attempt - 1)
                log.warning("%s: %s; retry %d/%d in %.1fs", url, problem, attempt, self.retries, delay)
                time.sleep(delay)
            try:
                request = urllib.request.Request(url, data=body, headers=headers, method="POST")
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read())
            except urllib.error.HTTPError as e:
                problem = f"HTTP {e.code} {e.reason}"
                if e.code not in _RETRYABLE:
                    raise UserError(f"{url}: {problem}: {e.read()[:300].decode(errors='replace')}") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
                problem = f"unreachable ({getattr(e, 'reason', e)})"
            except json.JSONDecodeError:
                problem = "answer is not JSON"
        raise UserError(f"{url}: {problem} after {self.retries + 1} tries; is the server running at this URL?")

    def complete(self, prompt: str, sampling: Sampling, seed: int) -> dict:
        return self.post("/completions", completion_payload(self.model, prompt, sampling, seed))

    def chat(self, messages: list[dict], sampling: Sampling, seed: int = 0) -> str:
        payload = {
            "model": self.model, "messages": messages, "max_tokens": sampling.max_new_tokens,
            "temperature": sampling.temperature, "seed": seed,
        }  # fmt: skip
        answer = self.post("/chat/completions", payload)
        try:
            return answer["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            raise UserError(f"{self.base_url}/chat/completions: unexpected answer {str(answer)[:200]}") from None


class OpenAIGenerator:
    """The Generator interface over an OpenAI-compatible server; requests run `concurrency` at a time."""

    def __init__(self, client: OpenAIClient, tokenizer, concurrency: int = 32) -> None:
        self.client = client
        self.tokenizer = tokenizer  # the served model's tokenizer, for reasoning/answer token counts
        self.concurrency = concurrency

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def generate(self, prompts: list[str], sampling: Sampling, seed: int = 0) -> list[Completion]:
        def one(index: int) -> Completion:
            began = time.perf_counter()
            # one seed per prompt position: reproducible whatever order the server answers in
            answer = self.client.complete(prompts[index], sampling, seed * 1_000_003 + index)
            try:
                choice = answer["choices"][0]
                text = choice["text"]
            except (KeyError, IndexError, TypeError):
                raise UserError(f"{self.client.base_url}/completions: unexpected answer {str(answer)[:200]}") from None
            tokens = (answer.get("usage") or {}).get("completion_tokens") or self.count_tokens(text)
            reason = "length" if choice.get("finish_reason") == "length" else "stop"
            return Completion(text, tokens, reason, time.perf_counter() - began)

        with ThreadPoolExecutor(self.concurrency) as pool:
            return list(pool.map(one, range(len(prompts))))
