"""The database's life: migrations, the append-only audit, crash recovery, clear failures."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import psutil
import pytest

from adapters.postgres.audit import PgAuditLog
from adapters.postgres.database import HNSW_EF_SEARCH, migrate, migrations, open_pool
from adapters.postgres.embedded import EmbeddedPostgres
from core.errors import StoreUnavailable
from core.models import Outcome, Platform
from core.ports import AuditEntry
from tests.conftest import execute_sql


async def test_migrations_apply_once(pool: asyncpg.Pool) -> None:
    """Starting twice (or `medgpt db migrate` after start) changes nothing."""
    async with pool.acquire() as conn:
        assert await migrate(conn) == []
        versions = [r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")]
    assert versions == [v for v, _ in migrations()]


def _entry() -> AuditEntry:
    return AuditEntry(
        occurred_at=datetime.now(UTC),
        event="answer_sent",
        platform=Platform.CONSOLE,
        conversation_id="c",
        user_pseudonym="p" * 64,
        language="fr",
        question="dose ?",
        outcome=Outcome.ANSWERED,
        latency_ms=12,
        reply_text="r [1]",
        disclaimer_version="fr-1",
        generator="extractive-1",
        passage_ids=(3,),
        document_hashes=("h",),
        details={"k": 6},
    )


async def test_search_settings_hold_on_every_use_of_a_pooled_connection(
    pool: asyncpg.Pool,
) -> None:
    # The pool runs RESET ALL when it takes a connection back: a SET made when the connection
    # opened held for its first query only (bench/search_study.py found it).
    show = (
        "SELECT current_setting('hnsw.ef_search') AS ef,"
        " current_setting('hnsw.iterative_scan') AS scan, pg_backend_pid() AS pid"
    )
    await pool.execute("LOAD 'vector'")
    rows = [await pool.fetchrow(show) for _ in range(3)]
    assert len({row["pid"] for row in rows}) == 1  # the same connection, reused
    for row in rows:
        assert (row["ef"], row["scan"]) == (str(HNSW_EF_SEARCH), "relaxed_order")


async def test_the_operators_candidate_list_holds_on_every_search(database_url: str) -> None:
    """MEDGPT_HNSW_EF_SEARCH reaches every pooled connection: an operator who raises it (a
    small source beside the whole BDPM) gets it on each search, not on the first only."""
    pool = await open_pool(database_url, max_size=1, ef_search=1000)
    try:
        await pool.execute("LOAD 'vector'")
        for _ in range(2):
            assert await pool.fetchval("SELECT current_setting('hnsw.ef_search')") == "1000"
    finally:
        await pool.close()


async def test_audit_rows_cannot_be_changed_or_deleted(pool: asyncpg.Pool) -> None:
    """The audit trail is append-only: an UPDATE or DELETE is refused by the database."""
    await PgAuditLog(pool).record(_entry())
    row = await pool.fetchrow("SELECT * FROM audit_events")
    assert row is not None
    assert (row["outcome"], row["passage_ids"], row["details"]) == ("answered", [3], '{"k": 6}')
    for sql in ("UPDATE audit_events SET question = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await pool.execute(sql)
    assert await pool.fetchval("SELECT count(*) FROM audit_events") == 1


async def test_unreachable_database_is_a_clear_error_without_the_password() -> None:
    """A wrong DATABASE_URL names the problem and never prints the password."""
    with pytest.raises(StoreUnavailable, match="cannot reach the database") as error:
        await open_pool("postgresql://medgpt:s3cret@127.0.0.1:9/medgpt")
    assert "s3cret" not in str(error.value)


def test_a_killed_server_starts_again_with_its_data(tmp_path: Path) -> None:
    """kill -9 of the embedded server leaves a database that starts again, data intact."""
    server = EmbeddedPostgres(tmp_path / "pgdata")
    dsn = server.start()
    asyncio.run(execute_sql(dsn, "CREATE TABLE kept (x int)"))
    asyncio.run(execute_sql(dsn, "INSERT INTO kept VALUES (42)"))
    pid = server.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    psutil.Process(pid).wait(10)
    server.stop()  # forget the dead handle, as a new process would
    restarted = EmbeddedPostgres(tmp_path / "pgdata")
    try:
        dsn = restarted.start()
        assert restarted.pid != pid
        assert asyncio.run(execute_sql(dsn, "SELECT x FROM kept")) == 42
    finally:
        new_pid = restarted.pid
        restarted.stop()
        if new_pid and psutil.pid_exists(new_pid):
            os.kill(new_pid, signal.SIGTERM)
