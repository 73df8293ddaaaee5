"""Infrastructure: the models and servers the pipeline calls (the embedder, the generator and
its fallback, the names detector, the everyday vocabulary, the lexicon), chosen from the
settings, and their loading ahead of the first question."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable
from dataclasses import replace

import asyncpg
import structlog

from adapters.embedders.e5 import E5Embedder
from adapters.embedders.local import LocalEmbedder
from adapters.embedders.tei import RemoteEmbedder
from adapters.generators.chat import ChatGenerator
from adapters.generators.extractive import ExtractiveGenerator
from adapters.postgres.lexicon import PgLexicon
from adapters.privacy.spacy_names import SpacyNames
from adapters.vocabulary import EverydayVocabulary
from bots.settings import Settings
from core.lexicon import default_lexicon, shipped
from core.pipeline import Pipeline
from core.ports import Embedder, Generator
from core.privacy import Redactor
from core.understand import Lexicon

log = structlog.get_logger(__name__)


async def embedder(settings: Settings) -> Embedder:
    """The passages' embedder: a remote server (EMBEDDINGS_URL, connected now), else e5 or
    the packaged MiniLM (loaded on first use, or by preload_models)."""
    if settings.embeddings_url:
        token = settings.embeddings_token.get_secret_value() if settings.embeddings_token else None
        remote = RemoteEmbedder(settings.embeddings_url, token)
        await remote.connect()
        return remote
    return E5Embedder() if settings.embedder == "e5" else LocalEmbedder()


def for_questions(embedder: Embedder) -> Embedder:
    """The embedder of the questions: e5 reads them with another prefix than the passages."""
    if isinstance(embedder, E5Embedder):
        return E5Embedder("query")
    if isinstance(embedder, RemoteEmbedder):
        return replace(embedder, side="query")
    return embedder


def generator(settings: Settings) -> Generator:
    """A language model behind LLM_URL, else the extractive quoter."""
    if not settings.llm_url:
        return ExtractiveGenerator()
    return ChatGenerator(
        url=settings.llm_url,
        token=settings.llm_token.get_secret_value() if settings.llm_token else None,
        model=settings.llm_model,
        context_tokens=settings.llm_context_tokens,
        max_tokens=settings.llm_max_tokens,
        seed=settings.llm_seed,
        first_token_timeout_s=settings.llm_first_token_timeout_s,
        total_timeout_s=settings.llm_timeout_s,
    )


def fallback(settings: Settings) -> Generator | None:
    """Extracts when the language model fails (LLM_FALLBACK=extractive); none without one."""
    if settings.llm_url is not None and settings.llm_fallback == "extractive":
        return ExtractiveGenerator()
    return None


def redactor(settings: Settings) -> Redactor:
    """Patient identifiers out of every question: patterns, the hospital's own id format
    (MEDGPT_IPP_PATTERN), and spaCy's person names unless the patterns alone are chosen."""
    return Redactor(
        names=None if settings.name_detection == "patterns" else SpacyNames(),
        local_ids=re.compile(settings.ipp_pattern) if settings.ipp_pattern else None,
    )


async def load_lexicon(pool: asyncpg.Pool) -> Lexicon:
    """The lexicon shipped with the package, and the drug names the importers stored."""
    stored = await PgLexicon(pool).rows()
    return shipped(stored=stored) if stored else default_lexicon()


async def preload_models(pipeline: Pipeline) -> None:
    """Without this, the first question after a start waits for the models it uses (~10 s
    here for the local embedder and spaCy's). A question arriving meanwhile still waits for
    the load under way (in a worker thread: the bot's other messages go on); a process stopped
    meanwhile exits once the load is over (a thread cannot be cancelled)."""
    embedder, names, vocabulary = pipeline.embedder, pipeline.redactor.names, pipeline.vocabulary
    loads: list[Awaitable[object]] = [asyncio.to_thread(pipeline.lexicon.prepare)]
    if isinstance(embedder, LocalEmbedder | E5Embedder):
        loads.append(asyncio.to_thread(embedder.load))
    if isinstance(names, SpacyNames):
        loads.append(asyncio.to_thread(names.load))
    if isinstance(vocabulary, EverydayVocabulary):
        loads.append(vocabulary.load())
    for failed in await asyncio.gather(*loads, return_exceptions=True):
        if isinstance(failed, Exception):  # the first question will say it
            log.warning("model_load_failed", error=type(failed).__name__, reason=str(failed))
