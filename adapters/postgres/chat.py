"""What a chat bot keeps between restarts and across replicas: its sync position, the events it
could not read yet, the audit entry behind each reply it posted, and a lock so that one replica
at a time syncs an account."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
import structlog

from core.models import Language, Platform
from core.ports import HeldEvent

from .database import mapped_errors

log = structlog.get_logger(__name__)


@dataclass
class PgChatState:
    pool: asyncpg.Pool

    async def position(self, platform: Platform, account: str) -> str | None:
        with mapped_errors():
            value = await self.pool.fetchval(
                "SELECT position FROM chat_sync_positions WHERE platform = $1 AND account = $2",
                platform.value,
                account,
            )
        return str(value) if value is not None else None

    async def save_position(self, platform: Platform, account: str, position: str) -> None:
        with mapped_errors():
            await self.pool.execute(
                "INSERT INTO chat_sync_positions (platform, account, position) VALUES ($1, $2, $3)"
                " ON CONFLICT (platform, account)"
                " DO UPDATE SET position = excluded.position, updated_at = now()",
                platform.value,
                account,
                position,
            )

    async def hold_event(self, platform: Platform, account: str, event: HeldEvent) -> None:
        with mapped_errors():
            await self.pool.execute(
                "INSERT INTO chat_held_events"
                " (platform, account, event_id, room_id, payload, held_since)"
                " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                platform.value,
                account,
                event.event_id,
                event.room,
                event.payload,
                event.held_since,
            )

    async def held_events(self, platform: Platform, account: str) -> list[HeldEvent]:
        with mapped_errors():
            rows = await self.pool.fetch(
                "SELECT event_id, room_id, payload, held_since FROM chat_held_events"
                " WHERE platform = $1 AND account = $2 ORDER BY held_since, event_id",
                platform.value,
                account,
            )
        return [
            HeldEvent(row["event_id"], row["room_id"], row["payload"], row["held_since"])
            for row in rows
        ]

    async def release_event(self, platform: Platform, account: str, event_id: str) -> None:
        with mapped_errors():
            await self.pool.execute(
                "DELETE FROM chat_held_events"
                " WHERE platform = $1 AND account = $2 AND event_id = $3",
                platform.value,
                account,
                event_id,
            )

    async def remember_reply(
        self, platform: Platform, message_id: str, audit_id: int, language: Language
    ) -> None:
        with mapped_errors():
            await self.pool.execute(
                "INSERT INTO chat_replies (platform, message_id, audit_id, language)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                platform.value,
                message_id,
                audit_id,
                language,
            )

    async def reply(self, platform: Platform, message_id: str) -> tuple[int, Language] | None:
        """(audit id, language) of a reply the bot posted, or None for any other message."""
        with mapped_errors():
            row = await self.pool.fetchrow(
                "SELECT audit_id, language FROM chat_replies"
                " WHERE platform = $1 AND message_id = $2",
                platform.value,
                message_id,
            )
        if row is None:
            return None
        language: Language = "en" if row["language"] == "en" else "fr"
        return int(row["audit_id"]), language

    @asynccontextmanager
    async def exclusive(
        self, platform: Platform, account: str, stop: asyncio.Event, retry_s: float = 2.0
    ) -> AsyncIterator[bool]:
        """Hold a session advisory lock for the account while the body runs (yields True); a
        second replica waits here as a hot standby and takes over when the first one stops or
        dies, since Postgres releases the lock with its holder's connection. Yields False when
        `stop` is set before the lock was ours."""
        key = _lock_key(platform, account)
        with mapped_errors():
            conn = await self.pool.acquire()
        try:
            waiting = False
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
                if not waiting:
                    log.warning(
                        "chat_lock_held_elsewhere", platform=platform.value, account=account
                    )
                    waiting = True
                try:
                    await asyncio.wait_for(stop.wait(), retry_s)
                    yield False
                    return
                except TimeoutError:
                    continue
            try:
                yield True
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", key)
        finally:
            await self.pool.release(conn)


def _lock_key(platform: Platform, account: str) -> int:
    digest = hashlib.sha256(f"medgpt:{platform.value}:{account}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
