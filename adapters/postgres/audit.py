"""The audit trail in Postgres: an append-only, hash-chained table (see core/audit_chain.py).

Every append takes a transaction-level advisory lock, reads the last row's hash, and inserts the
next row with its link, so concurrent writers (several bot replicas) build one chain."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from core.audit_chain import GENESIS, Break, details_text, first_break, row_hash, sha256
from core.models import Platform, Turn
from core.ports import AuditEntry

from .database import mapped_errors

_CHAIN_LOCK = 7_343_112_002  # pg_advisory_xact_lock key: one appender at a time

_COLUMNS = (
    "id, occurred_at, event, platform, conversation_id, user_pseudonym, language, question,"
    " outcome, latency_ms, reply_text, disclaimer_version, generator, passage_ids,"
    " document_hashes, details, question_sha256, reply_sha256, details_sha256, prev_hash,"
    " row_hash"
)
_INSERT = f"""
INSERT INTO audit_events ({_COLUMNS})
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::jsonb, $17,
        $18, $19, $20, $21)
"""


@dataclass
class PgAuditLog:
    pool: asyncpg.Pool
    # Appends wait for each other here, not on the advisory lock: a waiter there holds one of
    # the pool's connections, and fifty questions at once left none for the reads and the
    # duplicate check that come before the first visible sign (docs/performance.md). The
    # advisory lock still orders the replicas' appends.
    _appending: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    async def record(self, entry: AuditEntry) -> int:
        return await self._append(
            occurred_at=entry.occurred_at,
            event=entry.event,
            platform=entry.platform.value,
            conversation_id=entry.conversation_id,
            user_pseudonym=entry.user_pseudonym,
            language=entry.language,
            question=entry.question,
            outcome=entry.outcome.value,
            latency_ms=entry.latency_ms,
            reply_text=entry.reply_text,
            disclaimer_version=entry.disclaimer_version,
            generator=entry.generator,
            passage_ids=list(entry.passage_ids),
            document_hashes=list(entry.document_hashes),
            details=dict(entry.details),
        )

    async def feedback(
        self, answer_id: int, platform: Platform, user_pseudonym: str, value: str
    ) -> bool:
        """Feedback is appended like everything else; the latest one per user and answer wins."""
        with mapped_errors():
            answer = await self.pool.fetchrow(
                "SELECT conversation_id, language, disclaimer_version FROM audit_events"
                " WHERE id = $1 AND event IN ('answer_sent', 'abstained')",
                answer_id,
            )
        if answer is None:
            return False
        await self._append(
            occurred_at=datetime.now(UTC),
            event="feedback",
            platform=platform.value,
            conversation_id=answer["conversation_id"],
            user_pseudonym=user_pseudonym,
            language=answer["language"],
            question="",
            outcome=value,
            latency_ms=0,
            reply_text="",
            disclaimer_version=answer["disclaimer_version"],
            generator=None,
            passage_ids=[],
            document_hashes=[],
            details={"answer_id": answer_id},
        )
        return True

    async def _append(self, **row: Any) -> int:
        details = details_text(row.pop("details"))
        row |= {
            "question_sha256": sha256(row["question"]),
            "reply_sha256": sha256(row["reply_text"]),
            "details_sha256": sha256(details),
        }
        with mapped_errors():
            async with self._appending, self.pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", _CHAIN_LOCK)
                prev = await conn.fetchval(
                    "SELECT row_hash FROM audit_events ORDER BY id DESC LIMIT 1"
                )
                prev = prev or GENESIS
                row["id"] = await conn.fetchval(
                    "SELECT nextval(pg_get_serial_sequence('audit_events', 'id'))"
                )
                digest = row_hash(prev, row)
                await conn.execute(
                    _INSERT,
                    row["id"],
                    row["occurred_at"],
                    row["event"],
                    row["platform"],
                    row["conversation_id"],
                    row["user_pseudonym"],
                    row["language"],
                    row["question"],
                    row["outcome"],
                    row["latency_ms"],
                    row["reply_text"],
                    row["disclaimer_version"],
                    row["generator"],
                    row["passage_ids"],
                    row["document_hashes"],
                    details,
                    row["question_sha256"],
                    row["reply_sha256"],
                    row["details_sha256"],
                    prev,
                    digest,
                )
        return int(row["id"])

    async def turns(self, platform: Platform, conversation_id: str, limit: int) -> list[Turn]:
        with mapped_errors():
            rows = await self.pool.fetch(
                """
                SELECT question, reply_text FROM (
                    SELECT id, question, reply_text FROM audit_events
                    WHERE platform = $1 AND conversation_id = $2
                      AND event IN ('answer_sent', 'abstained')
                    ORDER BY id DESC LIMIT $3) recent
                ORDER BY id
                """,
                platform.value,
                conversation_id,
                limit,
            )
        return [Turn(r["question"], r["reply_text"]) for r in rows]

    async def first_delivery(self, platform: Platform, event_id: str) -> bool:
        with mapped_errors():
            inserted = await self.pool.fetchval(
                "INSERT INTO platform_events (platform, event_id) VALUES ($1, $2)"
                " ON CONFLICT DO NOTHING RETURNING true",
                platform.value,
                event_id,
            )
        return bool(inserted)

    # --- for operators and the data-protection officer -------------------------------------

    async def verify(self) -> tuple[int, Break | None]:
        """(rows checked, the first broken link or None). Rows written before the chain existed
        (migration 0003) come first without a hash and are not checked."""
        rows = [row async for row in self.rows()]
        while rows and rows[0]["row_hash"] is None and rows[0]["prev_hash"] is None:
            rows.pop(0)
        return len(rows), first_break(rows)

    async def rows(self, since: datetime | None = None) -> AsyncIterator[dict[str, Any]]:
        """Every row in chain order (details decoded), streamed with a cursor."""
        with mapped_errors():
            async with self.pool.acquire() as conn, conn.transaction():
                query = "SELECT * FROM audit_events WHERE occurred_at >= $1 ORDER BY id"
                start = since or datetime.min.replace(tzinfo=UTC)
                async for record in conn.cursor(query, start):
                    row = dict(record)
                    row["details"] = json.loads(row["details"])
                    yield row

    async def exchange(self, answer_id: int) -> list[dict[str, Any]]:
        """One row and the feedback rows that point at it, in chain order."""
        with mapped_errors():
            records = await self.pool.fetch(
                "SELECT * FROM audit_events WHERE id = $1"
                " OR (event = 'feedback' AND details->>'answer_id' = $1::text) ORDER BY id",
                answer_id,
            )
        return [dict(r, details=json.loads(r["details"])) for r in records]

    async def purge(self, older_than: timedelta) -> int:
        """Erase question, answer and details of rows older than `older_than`; keep the hashes."""
        with mapped_errors():
            async with self.pool.acquire() as conn, conn.transaction():
                await conn.execute("SET LOCAL medgpt.audit_purge = 'on'")
                result = await conn.execute(
                    "UPDATE audit_events SET question = '', reply_text = '', details = '{}',"
                    " purged_at = now()"
                    " WHERE purged_at IS NULL AND occurred_at < now() - $1::interval",
                    older_than,
                )
        return int(result.split()[-1])
