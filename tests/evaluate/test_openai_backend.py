"""The OpenAI-compatible backend against a local HTTP server: requests, retries, unreachable endpoints."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sftlab.errors import UserError
from sftlab.evaluate.benchmarks.base import Sampling
from sftlab.evaluate.openai_backend import OpenAIClient, OpenAIGenerator, completion_payload
from sftlab.evaluate.vllm_backend import sampling_params_kwargs


class FakeTokenizer:
    def __call__(self, text, add_special_tokens=False):
        return {"input_ids": text.split()}


@pytest.fixture
def server():
    """A server that echoes prompts reversed, fails the first `fail_first` requests with 503, records requests."""
    state = {"requests": [], "fail_first": 0, "headers": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state["requests"].append((self.path, body))
            state["headers"].append(self.headers.get("Authorization"))
            if state["fail_first"] > 0:
                state["fail_first"] -= 1
                self.send_response(503)
                self.end_headers()
                return
            if self.path.endswith("/chat/completions"):
                answer = {"choices": [{"message": {"content": "Reason.\nScore: 4"}}]}
            else:
                words = body["prompt"].split()[::-1][: body["max_tokens"]]
                reason = "length" if len(words) == body["max_tokens"] else "stop"
                answer = {"choices": [{"text": " ".join(words), "finish_reason": reason}],
                          "usage": {"completion_tokens": len(words) + (reason == "stop")}}  # fmt: skip
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    yield state
    httpd.shutdown()


def test_generate_keeps_order_and_reads_usage(server):
    client = OpenAIClient(server["url"], "served", api_key="sk-test")
    gen = OpenAIGenerator(client, FakeTokenizer(), concurrency=4)
    prompts = ["a b c", "d e", "f g h i j k"]
    out = gen.generate(prompts, Sampling(temperature=0.7, top_p=0.9, max_new_tokens=4), seed=2)
    assert [c.text for c in out] == ["c b a", "e d", "k j i h"]
    assert [(c.tokens, c.finish_reason) for c in out] == [(4, "stop"), (3, "stop"), (4, "length")]
    sent = sorted(body["prompt"] for _, body in server["requests"])
    assert sent == sorted(prompts)
    body = next(b for _, b in server["requests"] if b["prompt"] == "d e")
    assert body == completion_payload("served", "d e", Sampling(0.7, 0.9, 4), 2 * 1_000_003 + 1)
    assert set(server["headers"]) == {"Bearer sk-test"}


def test_same_settings_reach_vllm_and_http_alike():
    for sampling in (Sampling(0.6, 0.95, 100), Sampling(0.0, 0.9, 7)):
        http = completion_payload("m", "p", sampling, 5)
        local = sampling_params_kwargs(sampling, 5)
        assert (http["temperature"], http["top_p"], http["max_tokens"], http["seed"], http["n"]) == (
            local["temperature"], local["top_p"], local["max_tokens"], local["seed"], local["n"]
        )


def test_retries_transient_failures_with_backoff(server):
    server["fail_first"] = 2
    client = OpenAIClient(server["url"], "served", retries=3, backoff_seconds=0.01)
    assert client.chat([{"role": "user", "content": "hi"}], Sampling()) == "Reason.\nScore: 4"
    assert len(server["requests"]) == 3


def test_unreachable_endpoint_is_a_clear_error_without_the_key(caplog):
    client = OpenAIClient("http://127.0.0.1:9/v1", "served", api_key="sk-secret", retries=1, backoff_seconds=0.01)
    with pytest.raises(UserError, match=r"127\.0\.0\.1:9/v1/completions: unreachable .* after 2 tries") as err:
        client.complete("x", Sampling(), 0)
    assert "sk-secret" not in str(err.value) and "sk-secret" not in caplog.text
