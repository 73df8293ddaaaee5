"""Inference-server failures a real server will not produce on demand, from a scripted local
server speaking the OpenAI-compatible chat completions protocol (SSE), one behaviour per request."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from adapters.generators.breaker import CircuitBreaker
from adapters.generators.chat import ChatGenerator
from core.errors import (
    GeneratorBusy,
    GeneratorProtocolError,
    GeneratorRejected,
    GeneratorUnavailable,
)
from testkit.fakes import passage
from tests.conftest import serving

EVIDENCE = [passage("La dose maximale est de 4 g par jour.")]


def _chunk(content: str | None, finish: str | None = None) -> bytes:
    delta = {"content": content} if content is not None else {}
    payload = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "scripted",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(payload)}\n\n".encode()


OK = [_chunk("La dose maximale est de 4 g par jour"), _chunk(" [1]."), _chunk(None, "stop")]


class Scripted(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    script: list[str] = []  # noqa: RUF012  # behaviours, consumed one per POST
    posts = 0

    def do_GET(self) -> None:
        body = json.dumps({"object": "list", "data": [{"id": "scripted"}]}).encode()
        self._send(200, body, "application/json")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).posts += 1
        behaviour = type(self).script.pop(0) if type(self).script else "ok"
        if behaviour.startswith("status:"):
            _, status, *retry = behaviour.split(":")
            headers = {"Retry-After": retry[0]} if retry else {}
            body = json.dumps({"error": f"scripted {status}", "error_type": "x"}).encode()
            self._send(int(status), body, "application/json", headers)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        if behaviour == "slow":
            time.sleep(2)
        chunks = {
            "ok": [*OK, b"data: [DONE]\n\n"],
            "done-without-space": [*OK, b"data:[DONE]\n\n"],
            "dies-midway": OK[:1],
            "error-event": [
                OK[0],
                b'data: {"error": "CUDA out of memory", "error_type": "generation"}\n\n',
            ],
            "malformed": [OK[0], b"data: {not json\n\n"],
            "slow": [*OK, b"data: [DONE]\n\n"],
        }[behaviour]
        for chunk in chunks:
            self.wfile.write(chunk)
            self.wfile.flush()
        self.close_connection = True

    def _send(
        self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Scripted.script, Scripted.posts = [], 0
    with serving(Scripted) as (url, _):
        yield url


def _generator(url: str, **kw: object) -> ChatGenerator:
    options: dict[str, object] = {"max_retry_after_s": 0.2, "first_token_timeout_s": 5.0, **kw}
    return ChatGenerator(url, **options)  # type: ignore[arg-type]


async def _ask(generator: ChatGenerator) -> str:
    draft = await generator.generate("dose maximale ?", "fr", EVIDENCE)
    assert draft is not None
    return draft.text


@pytest.mark.parametrize("behaviour", ["ok", "done-without-space"])
async def test_stream_framings_are_read(server: str, behaviour: str) -> None:
    """Both 'data: [DONE]' and 'data:[DONE]' end an answer cleanly."""
    Scripted.script = [behaviour]
    assert await _ask(_generator(server)) == "La dose maximale est de 4 g par jour [1]."


async def test_429_is_retried_honouring_retry_after(server: str) -> None:
    """An overloaded server that recovers gets the question again, after its Retry-After."""
    Scripted.script = ["status:429:0.1", "ok"]
    started = time.perf_counter()
    assert await _ask(_generator(server)) == "La dose maximale est de 4 g par jour [1]."
    assert Scripted.posts == 2
    assert time.perf_counter() - started >= 0.1


async def test_429_retries_are_bounded_then_busy(server: str) -> None:
    """A server that stays overloaded gives 'busy' after a bounded number of tries."""
    Scripted.script = ["status:429:0"] * 10
    with pytest.raises(GeneratorBusy):
        await _ask(_generator(server, max_retries=2))
    assert Scripted.posts == 3


@pytest.mark.parametrize(
    ("behaviour", "error"),
    [
        ("status:503", GeneratorUnavailable),
        ("status:422", GeneratorRejected),
        ("status:424", GeneratorProtocolError),
        ("dies-midway", GeneratorProtocolError),
        ("error-event", GeneratorProtocolError),
        ("malformed", GeneratorProtocolError),
    ],
)
async def test_each_failure_maps_to_one_core_error(
    server: str, behaviour: str, error: type[Exception]
) -> None:
    """Every way a server can fail becomes one core.errors type, never a raw exception."""
    Scripted.script = [behaviour]
    with pytest.raises(error):
        await _ask(_generator(server))


async def test_slow_first_token_is_cut_off(server: str) -> None:
    """A server that does not start answering in time is given up on, within the bound."""
    Scripted.script = ["slow"]
    started = time.perf_counter()
    with pytest.raises(GeneratorUnavailable, match="timed out"):
        await _ask(_generator(server, first_token_timeout_s=0.5))
    assert time.perf_counter() - started < 1.9


async def test_refused_connection_opens_the_breaker() -> None:
    """A dead server is not waited on for every question: after 3 failures, fail fast."""
    generator = _generator("http://127.0.0.1:9", breaker=CircuitBreaker(3, 60))
    for _ in range(3):
        with pytest.raises(GeneratorUnavailable):
            await _ask(generator)
    with pytest.raises(GeneratorUnavailable, match="not asked"):
        await _ask(generator)
