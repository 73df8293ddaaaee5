"""Answers written by a language model through the OpenAI-compatible chat completions API
(`/v1/chat/completions`) of TGI, vLLM, SGLang or the llama.cpp server, via huggingface_hub.

Coded to the protocol, not to one server: the model name and the context window are discovered
from whatever the server exposes (`/v1/models`, TGI's `/info`), with settings as the fallback.
Every foreign error is mapped to a core.errors type here.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx2 as httpx
import structlog
from huggingface_hub import AsyncInferenceClient
from huggingface_hub.errors import (
    GenerationError,
    HfHubHTTPError,
    IncompleteGenerationError,
    InferenceTimeoutError,
    OverloadedError,
    TextGenerationError,
    ValidationError,
)

from adapters.generators.breaker import CircuitBreaker
from core.errors import (
    GeneratorBusy,
    GeneratorError,
    GeneratorProtocolError,
    GeneratorRejected,
    GeneratorUnavailable,
)
from core.models import Language, Passage
from core.ports import Draft, OnText
from core.prompt import build_prompt

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ServerInfo:
    model: str
    context_tokens: int


@dataclass
class ChatGenerator:
    url: str
    token: str | None = None
    model: str | None = None  # discovered from /v1/models when unset
    context_tokens: int | None = None  # discovered from /info or /v1/models when unset
    default_context_tokens: int = 4096
    max_tokens: int = 400
    seed: int = 42
    first_token_timeout_s: float = 30.0
    total_timeout_s: float = 120.0
    max_retries: int = 2  # 429s retried at most this many times
    max_retry_after_s: float = 10.0
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)
    _info: ServerInfo | None = None

    async def info(self) -> ServerInfo:
        """The served model and its context window (asked once, then remembered)."""
        if self._info is None:
            self._info = await self._discover()
        return self._info

    async def generate(
        self,
        question: str,
        language: Language,
        passages: Sequence[Passage],
        on_text: OnText | None = None,
    ) -> Draft | None:
        if not self.breaker.allows():
            raise GeneratorUnavailable(f"the inference server at {self.url} is failing; not asked")
        try:
            draft = await self._generate(question, language, passages, on_text)
        except (GeneratorUnavailable, GeneratorProtocolError):
            self.breaker.failed()
            raise
        self.breaker.succeeded()
        return draft

    async def _generate(
        self,
        question: str,
        language: Language,
        passages: Sequence[Passage],
        on_text: OnText | None,
    ) -> Draft:
        info = await self.info()
        prompt = build_prompt(question, language, passages, info.context_tokens - self.max_tokens)
        text = await self._with_retries(lambda: self._stream(info.model, prompt.messages, on_text))
        parameters = {
            "model": info.model,
            "temperature": 0.0,
            "seed": self.seed,
            "max_tokens": self.max_tokens,
            "context_tokens": info.context_tokens,
        }
        return Draft(text, f"chat:{info.model}", prompt.version, len(prompt.passages), parameters)

    async def _with_retries(self, call: Callable[[], Awaitable[str]]) -> str:
        for attempt in range(self.max_retries + 1):
            try:
                return await call()
            except _Overloaded as busy:
                if attempt == self.max_retries:
                    raise GeneratorBusy(f"the inference server is overloaded ({busy})") from busy
                delay = min(busy.retry_after or 2.0**attempt, self.max_retry_after_s)
                log.warning("generator_busy_retry", attempt=attempt + 1, delay_s=delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _stream(
        self, model: str, messages: Sequence[dict[str, str]], on_text: OnText | None
    ) -> str:
        client = AsyncInferenceClient(base_url=self.url, token=self.token)
        parts: list[str] = []
        finished = False
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.total_timeout_s):
                stream = await asyncio.wait_for(
                    client.chat_completion(
                        list(messages),
                        model=model,
                        stream=True,
                        temperature=0.0,
                        seed=self.seed,
                        max_tokens=self.max_tokens,
                    ),
                    self.first_token_timeout_s,
                )
                chunks = aiter(stream)
                while True:
                    # Until the first token arrives, a slow server is cut off early.
                    wait = None if parts else self.first_token_timeout_s
                    try:
                        chunk = await asyncio.wait_for(anext(chunks), wait)
                    except StopAsyncIteration:
                        break
                    if not chunk.choices:
                        continue
                    choice = chunk.choices[0]
                    if choice.delta and choice.delta.content:
                        if not parts:
                            log.info("generator_first_token", ms=_ms(started))
                        parts.append(choice.delta.content)
                        if on_text is not None:
                            await on_text("".join(parts))
                    finished = finished or choice.finish_reason is not None
        except json.JSONDecodeError as exc:
            # SSE allows "data:[DONE]" without the space, which huggingface_hub misreads.
            if exc.doc.strip() != "[DONE]":
                raise GeneratorProtocolError(f"malformed answer stream from {self.url}") from exc
            finished = True
        except BaseException as exc:
            _raise_mapped(exc, self.url)
            raise
        finally:
            await client.close()  # type: ignore[no-untyped-call]
        if not finished:
            raise GeneratorProtocolError("the answer stream ended before the server finished it")
        log.info("generator_done", ms=_ms(started), chars=sum(map(len, parts)))
        return "".join(parts)

    async def ping(self) -> str:
        """Whether the server answers now (readiness), and the model it serves."""
        info = await self._discover()  # asked again: the served model may have changed
        self._info = info
        return info.model

    async def _discover(self) -> ServerInfo:
        base = self.url.rstrip("/").removesuffix("/v1")
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        model, context = self.model, self.context_tokens
        try:
            async with httpx.AsyncClient(timeout=10.0, headers=headers) as http:
                tgi = await _json(http, f"{base}/info")
                models = await _json(http, f"{base}/v1/models")
        except (httpx.HTTPError, OSError) as exc:
            raise GeneratorUnavailable(
                f"the inference server at {self.url} is unreachable"
            ) from exc
        listed = models.get("data")
        first: dict[str, Any] = listed[0] if isinstance(listed, list) and listed else {}
        model = model or tgi.get("model_id") or first.get("id")
        context = context or tgi.get("max_input_tokens") or tgi.get("max_input_length")
        context = context or first.get("max_model_len") or self.default_context_tokens
        if not model:
            raise GeneratorRejected(f"the server at {self.url} names no model; set LLM_MODEL")
        info = ServerInfo(str(model), int(context))
        log.info("generator_server", model=info.model, context_tokens=info.context_tokens)
        return info


async def _json(http: httpx.AsyncClient, url: str) -> dict[str, Any]:
    response = await http.get(url)
    if response.status_code != 200:
        return {}
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class _Overloaded(Exception):
    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _raise_mapped(exc: BaseException, url: str) -> None:
    """Raise the core.errors type for a foreign exception; return if it is not foreign."""
    if isinstance(exc, GeneratorError | _Overloaded | asyncio.CancelledError):
        return
    if isinstance(exc, TimeoutError | InferenceTimeoutError | httpx.TimeoutException):
        raise GeneratorUnavailable(f"the inference server at {url} timed out") from exc
    if isinstance(exc, OverloadedError):
        raise _Overloaded(str(exc), None) from exc
    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        _raise_for_status(exc, url)
    if isinstance(exc, ValidationError):
        raise GeneratorRejected(f"the inference server refused the request: {exc}") from exc
    if isinstance(exc, GenerationError | IncompleteGenerationError | TextGenerationError):
        raise GeneratorProtocolError(f"the inference server reported an error: {exc}") from exc
    if isinstance(exc, json.JSONDecodeError | httpx.RemoteProtocolError | httpx.DecodingError):
        raise GeneratorProtocolError(f"malformed answer stream from {url}: {exc}") from exc
    if isinstance(exc, httpx.HTTPError | OSError):
        raise GeneratorUnavailable(f"cannot reach the inference server at {url}: {exc}") from exc


def _raise_for_status(exc: HfHubHTTPError, url: str) -> None:
    response = exc.response
    assert response is not None
    status = response.status_code
    if status == 429:
        raise _Overloaded("HTTP 429", _retry_after(response.headers.get("retry-after"))) from exc
    if status in (400, 413, 422):
        raise GeneratorRejected(
            f"the inference server refused the request (HTTP {status})"
        ) from exc
    if status == 424:
        raise GeneratorProtocolError("the inference server failed to generate (HTTP 424)") from exc
    raise GeneratorUnavailable(f"the inference server at {url} answered HTTP {status}") from exc


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
