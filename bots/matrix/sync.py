"""The Matrix sync loop: resumes where the account's sync stopped, hands each batch over, saves
the position after it, and never dies of one bad sync (it backs off and tries again).

A batch's new events per room (`new_events`): none on the very first start (that is history);
after the bot's own join, only what came after it; after a long outage (a limited timeline), the
gap fetched back to where the last sync stopped, bounded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from nio import (
    AsyncClient,
    RoomInfo,
    RoomMemberEvent,
    RoomMessagesResponse,
    SyncError,
    SyncResponse,
)

from core.errors import MedGPTError
from core.models import Platform
from core.ports import SyncPositions

log = structlog.get_logger(__name__)

T = TypeVar("T")

# Only what the bot reads: room messages, reactions, membership; a bounded timeline per room.
SYNC_FILTER: dict[str, Any] = {
    "presence": {"types": []},
    "account_data": {"types": []},
    "room": {
        "timeline": {
            "limit": 50,
            "types": ["m.room.message", "m.room.encrypted", "m.reaction", "m.room.member"],
        },
        "ephemeral": {"types": []},
        "account_data": {"types": []},
    },
}

MAX_GAP_EVENTS = 1000  # after a long outage, how far back a room is read for missed questions

# What the loop hands each batch to: the batch, the position it started from (None on the very
# first start) and whether it is this process's first sync.
OnSync = Callable[[SyncResponse, str | None, bool], Awaitable[None]]


class MatrixError(MedGPTError):
    """The homeserver refused a request (after nio's bounded rate-limit retries)."""


@dataclass
class SyncLoop:
    client: AsyncClient
    positions: SyncPositions  # adapters.postgres.chat.PgChatState: where the sync resumes
    on_sync: OnSync
    poll_ms: int  # long-poll of each sync
    synced: asyncio.Event  # set after the first sync of this process

    async def run(self, stop: asyncio.Event) -> None:
        """Sync until `stop` is set; one bad sync or event never ends the loop."""
        client = self.client
        since = await self.positions.position(Platform.MATRIX, client.user_id)
        first = True
        backoff = 1.0
        while not stop.is_set():
            try:
                response = await _unless(
                    stop,
                    client.sync(
                        timeout=0 if first else self.poll_ms,
                        since=since,
                        full_state=first,  # nio keeps no room state across restarts
                        sync_filter=SYNC_FILTER,
                    ),
                )
                if response is None:
                    break
                if isinstance(response, SyncError):
                    raise MatrixError(f"sync failed: {response.status_code} {response.message}")
                await self.on_sync(response, since, first)
                since = response.next_batch
                await self.positions.save_position(Platform.MATRIX, client.user_id, since)
                await crypto_housekeeping(client)
            except Exception as exc:
                log.error("matrix_sync_failed", error=type(exc).__name__, reason=str(exc))
                await _unless(stop, asyncio.sleep(backoff))
                backoff = min(backoff * 2, 60.0)
                continue
            backoff = 1.0
            if first:
                first = False
                self.synced.set()
                log.info("matrix_synced", rooms=len(client.rooms))


async def new_events(
    client: AsyncClient, room_id: str, info: RoomInfo, since: str | None
) -> list[Any]:
    """The events of a joined room's batch that are new to the bot, oldest first."""
    if since is None:
        return []
    events = list(info.timeline.events)
    joined = _own_join(events, client.user_id)
    if joined is not None:
        # The batch of the bot's own join: what came before is history. (Synapse marks a
        # just-joined room's timeline limited: no gap to fetch before answering.)
        return events[joined + 1 :]
    if info.timeline.limited and info.timeline.prev_batch:
        # More arrived than one sync carries (a long outage): fetch the gap.
        return await _gap(client, room_id, info.timeline.prev_batch, since) + events
    return events


async def _gap(client: AsyncClient, room_id: str, prev_batch: str, since: str) -> list[Any]:
    """The events between our last position and a limited timeline, oldest first,
    bounded (MAX_GAP_EVENTS): questions older than that are logged as missed."""
    gap: list[Any] = []
    token = prev_batch
    while len(gap) < MAX_GAP_EVENTS:
        response = await client.room_messages(room_id, start=token, end=since, limit=100)
        if not isinstance(response, RoomMessagesResponse):
            log.error("matrix_gap_failed", room=room_id, reason=str(response))
            break
        gap.extend(response.chunk)
        if not response.chunk or not response.end or response.end == token:
            break
        token = response.end
    else:
        log.warning("matrix_gap_truncated", room=room_id, kept=len(gap))
    return list(reversed(gap))


def _own_join(events: list[Any], user_id: str) -> int | None:
    """Where the bot's own (latest) join is in the batch, if it is: what was said before the bot
    arrived is history, not a question to it."""
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if (
            isinstance(event, RoomMemberEvent)
            and event.state_key == user_id
            and event.membership == "join"
            and (event.prev_membership or "") != "join"
        ):
            return index
    return None


async def crypto_housekeeping(client: AsyncClient) -> None:
    """What nio's sync_forever does between syncs: keys up, keys of others, to-device."""
    if not client.olm:
        return
    if client.should_upload_keys:
        await client.keys_upload()
    if client.should_query_keys:
        await client.keys_query()
    if client.should_claim_keys:
        await client.keys_claim(client.get_users_for_key_claiming())
    await client.send_to_device_messages()


async def _unless(stop: asyncio.Event, work: Awaitable[T]) -> T | None:
    """The result of `work`, or None (work cancelled) once `stop` is set."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        stopper.cancel()
        return task.result()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return None
