"""The audit trail in Postgres: one appended row per exchange (the table refuses updates)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import asyncpg

from core.ports import AuditEntry

from .database import mapped_errors


@dataclass
class PgAuditLog:
    pool: asyncpg.Pool

    async def record(self, entry: AuditEntry) -> None:
        with mapped_errors():
            await self.pool.execute(
                """
                INSERT INTO audit_events (occurred_at, event, platform, conversation_id,
                    user_pseudonym, language, question, outcome, latency_ms, reply_text,
                    disclaimer_version, generator, passage_ids, document_hashes, details)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb)
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
