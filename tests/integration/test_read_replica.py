"""DATABASE_READ_URL: retrieval reads from a replica, every write (audit) goes to the primary.

No streaming replication is set up here: a second database holding the corpus stands for the
replica, which is enough to show where each query goes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.postgres.embedded import EmbeddedPostgres
from bots.settings import load_settings
from bots.wiring import build_app, read_files
from core.models import ConversationId, IncomingMessage, Outcome, Platform, UserId
from tests.conftest import execute_sql, note, scratch_database, write

pytestmark = pytest.mark.integration


@pytest.fixture
def replica_url(postgres: EmbeddedPostgres) -> Iterator[str]:
    """A second database standing for the read replica."""
    with scratch_database(postgres) as url:
        yield url


async def test_retrieval_reads_the_replica_and_the_audit_goes_to_the_primary(
    database_url: str, replica_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator offloads retrieval to a read replica: answers come from it, the audit
    trail stays on the primary, and readiness reports the replica."""
    write(tmp_path / "corpus", "inr.md", note("AVK", "La cible d'INR sous AVK est de 2 à 3."))
    monkeypatch.setenv("MEDGPT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEDGPT_NAME_DETECTION", "patterns")
    monkeypatch.setenv("DATABASE_URL", replica_url)  # what replication would have copied
    async with build_app(load_settings()) as replica:
        await replica.ingestor().ingest(read_files([tmp_path / "corpus"]))
    monkeypatch.setenv("DATABASE_URL", database_url)  # the primary: no corpus of its own
    monkeypatch.setenv("DATABASE_READ_URL", replica_url)
    async with build_app(load_settings()) as app:
        question = IncomingMessage(
            "Quelle est la cible d'INR sous AVK ?",
            Platform.CONSOLE,
            ConversationId("c1"),
            UserId("u1"),
        )
        reply = await app.pipeline.answer(question)
        assert reply.outcome is Outcome.ANSWERED
        assert "2 à 3" in reply.text
        ready, checks = await app.health().readiness()
        assert ready, checks
        assert checks["database_replica"].startswith("ok: postgres replica"), checks
    primary_audit = await execute_sql(
        database_url, "SELECT count(*) FROM audit_events WHERE event = 'answer_sent'"
    )
    replica_audit = await execute_sql(replica_url, "SELECT count(*) FROM audit_events")
    assert (primary_audit, replica_audit) == (1, 0)
