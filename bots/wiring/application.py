"""The application, assembled in order: settings (bots.settings) → infrastructure (the
database, models and servers) → policies → the pipeline and what the bots use of it; closed in
the reverse order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg

from adapters.generators.chat import ChatGenerator
from adapters.metrics import PrometheusMetrics
from adapters.postgres.audit import PgAuditLog
from adapters.postgres.chat import PgChatState
from adapters.postgres.store import PgCorpus, Prewarmed
from adapters.vocabulary import EverydayVocabulary
from bots.conversation import ChatPolicy, ConversationService, conversation_service
from bots.health import Check, Health, NotReady
from bots.settings import Settings
from bots.wiring import models, policies
from bots.wiring.database import databases
from bots.wiring.documents import EMPTY_CORPUS
from bots.wiring.first_run import AfterFirstRun, first_use
from bots.wiring.warm_up import warm_up
from core.ingestion import Ingestor, IngestReport
from core.pipeline import Pipeline
from core.ports import Embedder


@dataclass
class App:
    settings: Settings
    pool: asyncpg.Pool
    embedder: Embedder
    corpus: PgCorpus
    pipeline: Pipeline
    metrics: PrometheusMetrics
    # The audit log, the threads' turns and the delivery ledger (one store, three ports), and
    # the chat bots' state: the pipeline and every conversation service share them.
    audit: PgAuditLog
    chat_state: PgChatState
    # The warm-up run in the background (build_app's `load_models`, `prewarm`), if any: its
    # result is what the corpus's warm-up read (the models load beside it).
    warm_up: asyncio.Task[Prewarmed | None] | None = None
    # A bot's first-use step (build_app's `first_run`), in the background: the demo corpus
    # indexed on the embedded default, or an empty corpus reported (ensure_demo_corpus).
    first_run: asyncio.Task[IngestReport | None] | None = None

    def health(self, chat: Check | None = None) -> Health:
        """Readiness of every dependency this process talks to, and of the corpus."""
        checks: dict[str, Check] = {
            "database": self._database,
            **({"database_replica": self._replica} if self.corpus.read_pool else {}),
            "corpus": self._corpus,
            "embeddings": self._embeddings,
            "generator": self._generator,
        }
        if chat is not None:
            checks["chat"] = chat
        return Health(checks, self.metrics)

    async def _database(self) -> str:
        await self.pool.fetchval("SELECT 1")
        return "postgres"

    async def _replica(self) -> str:
        assert self.corpus.read_pool is not None
        lag = await self.corpus.read_pool.fetchval(
            "SELECT coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)"
        )
        return f"postgres replica (replay lag {float(lag):.1f} s)"

    async def _corpus(self) -> str:
        """Not ready while the demo corpus is being indexed, nor with nothing to answer from."""
        if self.first_run is not None and not self.first_run.done():
            raise NotReady("indexing the demo corpus (first run)")
        documents, passages = await self.corpus.counts(searched=True)
        if not documents:
            raise NotReady(EMPTY_CORPUS)
        return f"{documents} documents, {passages} passages"

    async def _embeddings(self) -> str:
        await self.embedder.embed(["readiness probe"])
        return self.embedder.identity.model

    async def _generator(self) -> str:
        generator = self.pipeline.generator
        return await generator.ping() if isinstance(generator, ChatGenerator) else "extractive"

    def conversation(
        self, policy: ChatPolicy, questions_per_minute: int | None
    ) -> ConversationService:
        """The conversation service of a chat surface, on this database."""
        return conversation_service(
            self.pipeline, self.audit, self.chat_state, policy, questions_per_minute
        )

    def ingestor(
        self, on_passages: Callable[[int], None] = lambda n: None, embedder: Embedder | None = None
    ) -> Ingestor:
        return Ingestor(embedder or self.embedder, self.corpus, on_passages)


@asynccontextmanager
async def build_app(
    settings: Settings,
    check_index: bool = True,
    load_models: bool = False,
    prewarm: bool = False,
    first_run: bool = False,
) -> AsyncIterator[App]:
    """Start (or reach) the database, load the embedder, check the index; stop all on exit.
    In the background, a long-lived process also loads its models (`load_models`), and a bot
    takes its first-use step (`first_run`: ensure_demo_corpus; its pipeline searches the
    corpus once that is over) and reads the corpus into the database's cache (`prewarm`)."""
    async with databases(settings) as db:
        embedder = await models.embedder(settings)
        corpus = PgCorpus(
            db.pool,
            embedder.identity,
            read_pool=db.read_pool,
            text_weight=policies.text_weight(settings),
            exact_below=settings.exact_below,
        )
        if check_index:
            await corpus.ensure_index()
        metrics = PrometheusMetrics()
        audit = PgAuditLog(db.pool)
        indexed = asyncio.Event()
        pipeline = Pipeline(
            embedder=models.for_questions(embedder),
            index=AfterFirstRun(corpus, indexed) if first_run else corpus,
            generator=models.generator(settings),
            fallback=models.fallback(settings),
            redactor=models.redactor(settings),
            lexicon=await models.load_lexicon(db.pool),
            vocabulary=EverydayVocabulary(),
            audit=audit,
            pseudonymize=policies.pseudonymizer(policies.audit_key(settings)),
            settings=policies.pipeline_settings(settings),
            observer=metrics,
        )
        app = App(
            settings=settings,
            pool=db.pool,
            embedder=embedder,
            corpus=corpus,
            pipeline=pipeline,
            metrics=metrics,
            audit=audit,
            chat_state=PgChatState(db.pool),
        )
        if first_run:
            app.first_run = asyncio.create_task(first_use(app, indexed))
        if load_models or prewarm:
            app.warm_up = asyncio.create_task(warm_up(app, models=load_models, cache=prewarm))
        try:
            yield app
        finally:
            for task in (app.warm_up, app.first_run):
                if task is not None:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
