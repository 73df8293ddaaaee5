"""The audit trail in Postgres: one appended row per exchange (the table refuses updates)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import asyncpg

from core.models import Platform, Turn
from core.ports import AuditEntry

from .database import mapped_errors


@dataclass
class PgAuditLog:
    pool: asyncpg.Pool

    async def record(self, entry: AuditEntry) -> int:
        with mapped_errors():
            audit_id = await self.pool.fetchval(
                """
                INSERT INTO audit_events (occurred_at, event, platform, conversation_id,
                    user_pseudonym, language, question, outcome, latency_ms, reply_text,
                    disclaimer_version, generator, passage_ids, document_hashes, details)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb)
                RETURNING id
                """,
                entry.occurred_at,
                entry.event,
                entry.platform.value,
                entry.conversation_id,
                entry.user_pseudonym,
                entry.language,
                entry.question,
                entry.outcome.value,
                entry.latency_ms,
                entry.reply_text,
                entry.disclaimer_version,
                entry.generator,
                list(entry.passage_ids),
                list(entry.document_hashes),
                json.dumps(dict(entry.details), default=str),
            )
        return int(audit_id)

    async def feedback(
        self, answer_id: int, platform: Platform, user_pseudonym: str, value: str
    ) -> bool:
        """Feedback is appended like everything else; the latest one per user and answer wins."""
        with mapped_errors():
            inserted = await self.pool.fetchval(
                """
                INSERT INTO audit_events (occurred_at, event, platform, conversation_id,
                    user_pseudonym, language, question, outcome, latency_ms, reply_text,
                    disclaimer_version, generator, passage_ids, document_hashes, details)
                SELECT now(), 'feedback', $2, conversation_id, $3, language, '', $4, 0, '',
                    disclaimer_version, NULL, '{}', '{}', jsonb_build_object('answer_id', id)
                FROM audit_events WHERE id = $1 AND event IN ('answer_sent', 'abstained')
                RETURNING id
                """,
                answer_id,
                platform.value,
                user_pseudonym,
                value,
            )
        return inserted is not None

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
