"""The audit trail is tamper-evident: any change, removal or reordering of a row is named by
`medgpt audit verify`; a retention purge erases contents and keeps the chain verifiable."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from adapters.postgres.audit import _CHAIN_LOCK, PgAuditLog
from bots.cli import main
from core.models import Outcome, Platform
from core.ports import AuditEntry


def _entry(question: str, minutes_ago: int = 0) -> AuditEntry:
    return AuditEntry(
        occurred_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
        event="answer_sent",
        platform=Platform.SLACK,
        conversation_id="T:C:1",
        user_pseudonym="a" * 64,
        language="fr",
        question=question,
        outcome=Outcome.ANSWERED,
        latency_ms=20,
        reply_text=f"réponse à {question} [1]",
        disclaimer_version="fr-1",
        generator="extractive-1",
        passage_ids=(1, 2),
        document_hashes=("h1", "h2"),
        details={"removed": [{"sentence": "x", "reason": "no citation"}]},
    )


async def _fill(log: PgAuditLog) -> list[int]:
    ids = [await log.record(_entry(f"question {i}", minutes_ago=10 - i)) for i in range(5)]
    assert await log.feedback(ids[1], Platform.SLACK, "b" * 64, "down")
    return ids


async def _superuser(pool: asyncpg.Pool, sql: str) -> None:
    """What a database superuser can do behind the application's back: bypass the triggers."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute(sql)


async def test_intact_chain_verifies(pool: asyncpg.Pool) -> None:
    """Answers and feedback, written through the application, form one intact chain."""
    log = PgAuditLog(pool)
    await _fill(log)
    assert await log.verify() == (6, None)


async def test_concurrent_writers_build_one_chain(pool: asyncpg.Pool) -> None:
    """Several replicas appending at once still leave a verifiable chain."""
    replicas = [PgAuditLog(pool) for _ in range(4)]
    await asyncio.gather(*(replicas[i % 4].record(_entry(f"q{i}")) for i in range(20)))
    assert await replicas[0].verify() == (20, None)


async def test_appends_waiting_for_the_chain_leave_the_pool_to_the_questions(
    pool: asyncpg.Pool,
) -> None:
    """Operator: while another replica holds the chain, a burst of answers to record takes one
    connection, not the whole pool, so the next questions' searches and duplicate checks go on
    (fifty questions at once had delayed their first visible sign by up to a second)."""
    log = PgAuditLog(pool)
    async with pool.acquire() as replica, replica.transaction():
        await replica.execute("SELECT pg_advisory_xact_lock($1)", _CHAIN_LOCK)
        appends = [asyncio.create_task(log.record(_entry(f"q{i}"))) for i in range(12)]
        await asyncio.sleep(0.2)  # every append has started waiting
        assert not any(task.done() for task in appends)
        assert await asyncio.wait_for(pool.fetchval("SELECT 1"), 10) == 1
    await asyncio.gather(*appends)
    assert await log.verify() == (12, None)


@pytest.mark.parametrize(
    ("tamper", "broken_at", "reason"),
    [
        ("UPDATE audit_events SET question = 'autre chose' WHERE id = {2}", 2, "question"),
        ("UPDATE audit_events SET reply_text = 'x' WHERE id = {3}", 3, "answer"),
        ("UPDATE audit_events SET latency_ms = 1 WHERE id = {1}", 1, "fields were changed"),
        ("UPDATE audit_events SET outcome = 'up' WHERE id = {5}", 5, "fields were changed"),
        ("DELETE FROM audit_events WHERE id = {2}", 3, "removed, inserted or reordered"),
        ("UPDATE audit_events SET id = 1000 WHERE id = {0}", 1, "removed, inserted or reordered"),
    ],
)
async def test_tampering_is_detected_and_located(
    pool: asyncpg.Pool, tamper: str, broken_at: int, reason: str
) -> None:
    """Changing content or fields, deleting or reordering rows, even as a superuser that
    bypasses the triggers, breaks the chain at the row concerned."""
    log = PgAuditLog(pool)
    ids = [*await _fill(log)]
    ids.append(ids[-1] + 1)  # the feedback row
    await _superuser(pool, tamper.format(*ids))
    _, broken = await log.verify()
    assert broken is not None
    assert broken.row_id == ids[broken_at]
    assert reason in broken.reason


async def test_application_cannot_update_or_delete(pool: asyncpg.Pool) -> None:
    """Without superuser tricks, UPDATE and DELETE are refused by the database."""
    log = PgAuditLog(pool)
    await _fill(log)
    for sql in ("UPDATE audit_events SET question = ''", "DELETE FROM audit_events"):
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await pool.execute(sql)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL medgpt.audit_purge = 'on'")
        with pytest.raises(asyncpg.RaiseError, match="may only erase"):
            await conn.execute("UPDATE audit_events SET latency_ms = 0")


async def test_purge_erases_contents_and_keeps_the_chain(pool: asyncpg.Pool) -> None:
    """GDPR storage limitation: old questions and answers are erased, the chain still verifies."""
    log = PgAuditLog(pool)
    await _fill(log)
    assert await log.purge(timedelta(minutes=8, seconds=30)) == 2  # questions 0 and 1 (10, 9 min)
    rows = await pool.fetch(
        "SELECT question, reply_text, details, purged_at FROM audit_events ORDER BY id"
    )
    assert [r["question"] for r in rows[:3]] == ["", "", "question 2"]
    assert json.loads(rows[0]["details"]) == {}
    assert rows[0]["purged_at"] is not None
    assert await log.verify() == (6, None)


def test_cli_verify_export_and_show(
    database_url: str,
    pool: asyncpg.Pool,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The DPO's commands: verify (exit 0 / 1), export JSON Lines and CSV, show one exchange."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MEDGPT_DATA_DIR", str(tmp_path))

    async def fill() -> list[int]:
        conn_pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
        try:
            return await _fill(PgAuditLog(conn_pool))
        finally:
            await conn_pool.close()

    ids = asyncio.run(fill())
    assert main(["audit", "verify"]) == 0
    assert "intact: 6 rows" in capsys.readouterr().out
    assert main(["audit", "export", "--format", "jsonl"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [*ids, ids[-1] + 1]
    assert main(["audit", "export", "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("id,occurred_at,event")
    assert main(["audit", "show", str(ids[1])]) == 0
    out = capsys.readouterr().out
    assert '"question": "question 1"' in out
    assert "feedback down" in out
    assert main(["audit", "purge", "--older-than", "soon"]) == 2
