"""The composition root: build every adapter from the settings, once, and close them in order."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import asyncpg
import structlog

from adapters.embedders.e5 import E5Embedder
from adapters.embedders.local import LocalEmbedder
from adapters.embedders.tei import RemoteEmbedder
from adapters.generators.chat import ChatGenerator
from adapters.generators.extractive import ExtractiveGenerator
from adapters.metrics import PrometheusMetrics
from adapters.parsers import SUPPORTED, parse_file
from adapters.postgres.audit import PgAuditLog
from adapters.postgres.chat import PgChatState
from adapters.postgres.database import close_pool, open_pool
from adapters.postgres.embedded import EmbeddedPostgres
from adapters.postgres.lexicon import PgLexicon
from adapters.postgres.store import TEXT_WEIGHT, PgCorpus, Prewarmed
from adapters.privacy.presidio import PresidioNames
from adapters.vocabulary import EverydayVocabulary
from bots.conversation import ChatPolicy, ConversationService, conversation_service
from bots.health import Check, Health, NotReady
from bots.settings import Settings
from core.errors import DocumentError
from core.evidence import EvidencePolicy
from core.ingestion import Ingestor, IngestReport, SourceFile
from core.lexicon import default_lexicon, shipped
from core.models import Language, Passage, UserId
from core.pipeline import Pipeline, PipelineSettings
from core.ports import Embedder, Generator, PassageIndex, SearchQuery
from core.privacy import Redactor
from core.triage import EmergencyNumbers
from core.understand import Lexicon

log = structlog.get_logger(__name__)


@dataclass
class App:
    settings: Settings
    pool: asyncpg.Pool
    embedder: Embedder
    corpus: PgCorpus
    pipeline: Pipeline
    metrics: PrometheusMetrics
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
            self.pipeline,
            PgAuditLog(self.pool),
            PgChatState(self.pool),
            policy,
            questions_per_minute,
        )

    def ingestor(self, on_passages: Callable[[int], None] = lambda n: None) -> Ingestor:
        return Ingestor(self.embedder, self.corpus, on_passages)


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
    embedded = None
    dsn = settings.database_url
    if dsn is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        embedded = EmbeddedPostgres(settings.data_dir / "pgdata")
        dsn = await asyncio.to_thread(embedded.start)
    try:
        async with AsyncExitStack() as pools:
            pool = await open_pool(dsn)
            pools.push_async_callback(close_pool, pool)
            read_pool = None
            if settings.database_read_url:
                read_pool = await open_pool(settings.database_read_url, read_only=True)
                pools.push_async_callback(close_pool, read_pool)
            embedder = await _embedder(settings)
            corpus = PgCorpus(
                pool, embedder.identity, read_pool=read_pool, text_weight=_text_weight(settings)
            )
            if check_index:
                await corpus.ensure_index()
            metrics = PrometheusMetrics()
            indexed = asyncio.Event()
            searched = AfterFirstRun(corpus, indexed) if first_run else corpus
            pipeline = _pipeline(settings, pool, _for_questions(embedder), searched)
            pipeline.lexicon = await load_lexicon(pool)
            pipeline.observer = metrics
            app = App(settings, pool, embedder, corpus, pipeline, metrics)
            if first_run:
                app.first_run = asyncio.create_task(_first_use(app, indexed))
            if load_models or prewarm:
                app.warm_up = asyncio.create_task(
                    _warm_up(app, settings, models=load_models, cache=prewarm)
                )
            try:
                yield app
            finally:
                for task in (app.warm_up, app.first_run):
                    if task is not None:
                        task.cancel()
                        await asyncio.gather(task, return_exceptions=True)
    finally:
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)


async def _warm_up(app: App, settings: Settings, models: bool, cache: bool) -> Prewarmed | None:
    """The models and the corpus's cache at once: one is CPU, the other the disk (the cache
    once the first-run indexing, if any, has written the corpus)."""
    pipeline = app.pipeline
    loading = preload_models(pipeline) if models else asyncio.sleep(0)
    warming = _prewarm_after(app, settings) if cache else asyncio.sleep(0, None)
    _, prewarmed = await asyncio.gather(loading, warming)
    return prewarmed


async def _prewarm_after(app: App, settings: Settings) -> Prewarmed | None:
    if app.first_run is not None:
        await asyncio.gather(app.first_run, return_exceptions=True)
    return await _prewarm(app.corpus, settings)


async def preload_models(pipeline: Pipeline) -> None:
    """Without this, the first question after a start waits for the models it uses (~10 s
    here for the local embedder and Presidio's). A question arriving meanwhile still waits for
    the load under way (in a worker thread: the bot's other messages go on); a process stopped
    meanwhile exits once the load is over (a thread cannot be cancelled)."""
    embedder, names, vocabulary = pipeline.embedder, pipeline.redactor.names, pipeline.vocabulary
    loads: list[Awaitable[object]] = [asyncio.to_thread(pipeline.lexicon.prepare)]
    if isinstance(embedder, LocalEmbedder | E5Embedder):
        loads.append(asyncio.to_thread(embedder.load))
    if isinstance(names, PresidioNames):
        loads.append(asyncio.to_thread(names.load))
    if isinstance(vocabulary, EverydayVocabulary):
        loads.append(vocabulary.load())
    for failed in await asyncio.gather(*loads, return_exceptions=True):
        if isinstance(failed, Exception):  # the first question will say it
            log.warning("model_load_failed", error=type(failed).__name__, reason=str(failed))


async def _prewarm(corpus: PgCorpus, settings: Settings) -> Prewarmed | None:
    """Questions are answered meanwhile; a failure costs only the warm cache, and nothing
    awaits this task: it says so in the log."""
    try:
        budget = prewarm_budget(settings)
        return await corpus.prewarm(budget) if budget else None
    except Exception as exc:
        log.warning("corpus_prewarm_failed", error=type(exc).__name__, reason=str(exc))
        return None


def prewarm_budget(settings: Settings) -> int:
    """Bytes of the corpus to prewarm: MEDGPT_PREWARM_MB (MiB), else half the memory of this
    machine or of its container (the embedded database's; set the setting for a server
    elsewhere)."""
    if settings.prewarm_mb is not None:
        return settings.prewarm_mb * 2**20
    return _memory_bytes() // 2


def _memory_bytes() -> int:
    """Physical memory, or the container's limit (cgroup v2) where lower; 0 when unknown."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not POSIX
        return 0
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
    except OSError:
        return memory
    return min(memory, int(limit)) if limit.isdigit() else memory


async def _embedder(settings: Settings) -> Embedder:
    if settings.embeddings_url:
        token = settings.embeddings_token.get_secret_value() if settings.embeddings_token else None
        remote = RemoteEmbedder(settings.embeddings_url, token)
        await remote.connect()
        return remote
    return E5Embedder() if settings.embedder == "e5" else LocalEmbedder()


def _for_questions(embedder: Embedder) -> Embedder:
    """The embedder of the questions: e5 reads them with another prefix than the passages."""
    if isinstance(embedder, E5Embedder):
        return E5Embedder("query")
    if isinstance(embedder, RemoteEmbedder):
        return replace(embedder, side="query")
    return embedder


def _text_weight(settings: Settings) -> dict[Language, float]:
    """The full-text arm's weight by language: the settings', or the store's default."""
    chosen: dict[Language, float | None] = {
        "fr": settings.text_weight_fr,
        "en": settings.text_weight_en,
    }
    return {lang: TEXT_WEIGHT[lang] if w is None else w for lang, w in chosen.items()}


def _pipeline(
    settings: Settings, pool: asyncpg.Pool, embedder: Embedder, corpus: PassageIndex
) -> Pipeline:
    policy = EvidencePolicy(
        min_similarity=settings.min_similarity,
        min_coverage=settings.min_coverage,
        min_similarity_with_coverage=settings.min_similarity_with_coverage,
        min_passages=settings.min_passages,
    )
    return Pipeline(
        embedder=embedder,
        index=corpus,
        generator=generator(settings),
        redactor=Redactor(
            PresidioNames() if settings.name_detection == "presidio" else None,
            re.compile(settings.ipp_pattern) if settings.ipp_pattern else None,
        ),
        fallback=ExtractiveGenerator() if _falls_back(settings) else None,
        audit=PgAuditLog(pool),
        pseudonymize=pseudonymizer(_audit_key(settings)),
        vocabulary=EverydayVocabulary(),
        settings=PipelineSettings(
            settings.retrieval_k,
            settings.max_question_chars,
            policy,
            EmergencyNumbers(
                settings.emergency_number,
                settings.european_emergency_number,
                settings.suicide_line,
                settings.hospital_emergency_call,
            ),
            audience=settings.audience,
        ),
    )


async def load_lexicon(pool: asyncpg.Pool) -> Lexicon:
    """The lexicon shipped with the package, and the drug names the importers stored."""
    stored = await PgLexicon(pool).rows()
    return shipped(stored=stored) if stored else default_lexicon()


async def store_drug_names(app: App, source: str, path: Path, index: Path | None) -> int:
    """After an import of an official source, its drug names (BDPM brands, ANSM classes) for
    query understanding, in place of the previous import's; how many."""
    kind, names = await asyncio.to_thread(_drug_names, source, path, index)
    return await PgLexicon(app.pool).replace(source, kind, names) if names else 0


def _drug_names(
    source: str, path: Path, index: Path | None
) -> tuple[str, Mapping[str, Sequence[str]]]:
    from adapters.sources import ansm, drug_names

    if source == "bdpm":
        return "brand", drug_names.brands(path)
    if index is None or not index.exists():
        return "class", {}
    return "class", drug_names.classes(ansm.class_members(index))


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


def _falls_back(settings: Settings) -> bool:
    return settings.llm_url is not None and settings.llm_fallback == "extractive"


def pseudonymizer(key: bytes) -> Callable[[UserId], str]:
    """HMAC-SHA256 of the user id: the same clinician is linkable in the audit, not named."""
    return lambda user: hmac.new(key, user.encode(), hashlib.sha256).hexdigest()


def _audit_key(settings: Settings) -> bytes:
    """MEDGPT_AUDIT_KEY, or on the embedded default a random key kept in the data directory."""
    if settings.audit_key is not None:
        return settings.audit_key.get_secret_value().encode()
    path = settings.data_dir / "audit.key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def demo_corpus_dir() -> Path:
    return Path(str(resources.files("bots") / "demo_corpus" / "notes"))


def read_files(paths: Iterable[Path], demo: bool = False) -> Iterator[SourceFile]:
    """Parse every supported file under the paths; a bad file becomes a SourceFile with an error."""
    for path in _walk(paths):
        key = str(path.resolve())
        if not path.exists():
            yield SourceFile(key, error="no such file or folder")
            continue
        try:
            documents = parse_file(path)
        except DocumentError as exc:
            yield SourceFile(key, error=str(exc))
            continue
        if demo:
            documents = [replace(d, meta=replace(d.meta, is_demo=True)) for d in documents]
        yield SourceFile(key, tuple(documents))


def _walk(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED
            )
        else:
            yield path


INGEST_ADVICE = (
    "run `medgpt ingest PATH` on your validated documents (or `medgpt ingest --demo` for the"
    " demo notes, not validated for clinical use)"
)
EMPTY_CORPUS = f"the corpus holds no document: {INGEST_ADVICE}"


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
    return await app.ingestor().ingest(read_files([demo_corpus_dir()], demo=True))


async def _first_use(app: App, indexed: asyncio.Event) -> IngestReport | None:
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
