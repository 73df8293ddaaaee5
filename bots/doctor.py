"""`medgpt doctor`: the state of every dependency, one line each, for an operator."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.generators.chat import ChatGenerator
from bots.settings import Settings
from bots.wiring import EMPTY_CORPUS, INGEST_ADVICE, build_app, generator
from core.errors import EmbedderError, IndexMismatch, MedGPTError, StoreError


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str


async def diagnose(settings: Settings) -> list[Check]:
    return [*await _corpus(settings), await _generator(settings)]


async def _corpus(settings: Settings) -> list[Check]:
    where = "DATABASE_URL" if settings.database_url else f"embedded, in {settings.data_dir}"
    try:
        async with build_app(settings) as app:
            documents, passages = await app.corpus.counts()
            identity = app.embedder.identity
    except IndexMismatch as exc:
        return [Check("database", True, where), Check("index", False, str(exc))]
    except StoreError as exc:
        return [Check("database", False, f"{where}: {exc}")]
    except EmbedderError as exc:
        return [Check("database", True, where), Check("embeddings", False, str(exc))]
    return [
        Check("database", True, f"{where}: {documents} documents, {passages} passages"),
        _contents(settings, documents),
        Check("embeddings", True, f"{identity.model} ({identity.dimension} dimensions)"),
    ]


def _contents(settings: Settings, documents: int) -> Check:
    """An empty corpus answers nothing: say what to run (the embedded default indexes the demo
    notes itself on first use)."""
    if documents:
        return Check("corpus", True, f"{documents} documents")
    if settings.database_url is None:
        first_use = "empty: the demo notes are indexed by the first `medgpt ask`, `chat` or `serve`"
        return Check("corpus", True, f"{first_use}; or {INGEST_ADVICE}")
    return Check("corpus", False, EMPTY_CORPUS)


async def _generator(settings: Settings) -> Check:
    chosen = generator(settings)
    if not isinstance(chosen, ChatGenerator):
        return Check("generator", True, "extractive quotes (LLM_URL is not set)")
    try:
        info = await chosen.info()
    except MedGPTError as exc:
        fallback = " (answers fall back to extracts)" if settings.llm_fallback != "none" else ""
        return Check("generator", False, f"{settings.llm_url}: {exc}{fallback}")
    return Check(
        "generator", True, f"{settings.llm_url}: {info.model}, {info.context_tokens} tokens"
    )


def render(checks: list[Check]) -> str:
    return "\n".join(f"{'ok  ' if c.ok else 'FAIL'} {c.name:<11} {c.detail}" for c in checks)
