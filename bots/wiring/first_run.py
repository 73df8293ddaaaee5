"""A process's first use of its data directory: the demo corpus indexed on the embedded default
(or an empty corpus reported), and the corpus as a bot searches it meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from adapters.embedders.local import LocalEmbedder
from bots.wiring.demo_vectors import with_shipped_vectors
from bots.wiring.documents import EMPTY_CORPUS, demo_corpus_dir, read_files
from core.ingestion import IngestReport
from core.models import Language, Passage
from core.ports import PassageIndex, SearchQuery

if TYPE_CHECKING:
    from bots.wiring.application import App

log = structlog.get_logger(__name__)


async def ensure_demo_corpus(app: App) -> IngestReport | None:
    """First use, whatever the command (ask, chat, serve): on the embedded default, index the
    bundled demo corpus (labelled as demo content); on a database of one's own, an empty
    corpus is logged (`corpus_empty`) with what to run, since every answer would abstain."""
    documents, _ = await app.corpus.counts()
    if documents:
        return None
    if app.settings.database_url is not None:
        log.warning("corpus_empty", advice=EMPTY_CORPUS)
        return None
    log.info("demo_corpus_indexing", folder=str(demo_corpus_dir()))
    if isinstance(app.embedder, LocalEmbedder):
        # Chunking asks the model's tokenizer on the event loop: loaded here, in a worker
        # thread, a bot's sync loop goes on meanwhile (it froze ~40 s at a cold start).
        await asyncio.to_thread(app.embedder.load)
    # The notes' vectors ship with them (bots/wiring/demo_vectors.py): ~7 s less on 2 cores.
    embedder = with_shipped_vectors(app.embedder)
    files = read_files([demo_corpus_dir()], demo=True)
    report = await app.ingestor(embedder=embedder).ingest(files)
    log.info("demo_vectors", shipped=embedder.shipped, embedded=report.passages - embedder.shipped)
    return report


async def first_use(app: App, indexed: asyncio.Event) -> IngestReport | None:
    """ensure_demo_corpus in a bot's background; its searches wait for it (AfterFirstRun)."""
    try:
        report = await ensure_demo_corpus(app)
    except Exception as exc:  # the bot still answers, from what the corpus holds
        log.error("first_run_failed", error=type(exc).__name__, reason=str(exc))
        report = None
    finally:
        indexed.set()
    if report is not None:
        log.warning("demo_corpus_indexed", notes=report.added, passages=report.passages)
    return report


@dataclass
class AfterFirstRun:
    """The corpus as a bot's pipeline searches it: once the first-run indexing is over. A bot
    starting on a fresh data directory syncs (and shows a question is being worked on) at
    once, and answers from the whole demo corpus, never from half of it."""

    corpus: PassageIndex
    indexed: asyncio.Event

    async def search(self, query: SearchQuery) -> list[Passage]:
        await self.indexed.wait()
        return await self.corpus.search(query)

    async def scarce_words(
        self, words: Sequence[str], language: Language, at_most: int, share: float
    ) -> dict[str, int]:
        await self.indexed.wait()
        return await self.corpus.scarce_words(words, language, at_most, share)

    async def named_subjects(self, words: Collection[str]) -> list[tuple[str, ...]]:
        await self.indexed.wait()
        return await self.corpus.named_subjects(words)

    async def about(
        self, subjects: Collection[frozenset[str]], query: SearchQuery
    ) -> list[Passage]:
        await self.indexed.wait()
        return await self.corpus.about(subjects, query)
