"""The Matrix bot: one sync loop that resumes where it stopped, answers in threads, and reads
👍 / 👎 reactions as feedback.

Flow of one question: sync -> event (decrypted by nio in encrypted rooms) -> MatrixQuestion
(events.py) -> ChatMessage -> the conversation service (bots/conversation.py: access, rate,
exactly once, thread turns, in turn within its thread) -> MatrixThread: a placeholder and the
typing notice in the thread -> a few progress edits (the homeserver rate-limits messages) -> the
final edit (render.py) -> typing off. The sync position is saved after each batch, so a restart
answers what arrived while the bot was down, once, and never replays history.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import structlog
from nio import (
    AsyncClient,
    ErrorResponse,
    JoinError,
    MatrixRoom,
    MegolmEvent,
    RoomMemberEvent,
    RoomMessagesResponse,
    RoomSendResponse,
    SyncError,
    SyncResponse,
)

from bots.conversation import ConversationService
from bots.matrix.events import BotIdentity, MatrixQuestion, feedback_from, question_from
from bots.matrix.thread import MatrixThread, chat_message
from bots.matrix.undecrypted import Undecrypted
from bots.tasks import TaskRegistry
from core.errors import MedGPTError
from core.models import Platform, UserId

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


class MatrixError(MedGPTError):
    """The homeserver refused a request (after nio's bounded rate-limit retries)."""


class SyncPositions(Protocol):
    """Where an account's sync stopped, kept across restarts and replicas."""

    async def position(self, platform: Platform, account: str) -> str | None: ...

    async def save_position(self, platform: Platform, account: str, position: str) -> None: ...


@dataclass
class MatrixBot:
    service: ConversationService
    state: SyncPositions  # adapters.postgres.chat.PgChatState: where the sync resumes
    client: AsyncClient
    require_encryption: bool = False  # decline invites to, and leave, unencrypted rooms
    poll_ms: int = 30_000  # long-poll of each sync
    edit_interval_s: float = 3.0  # Synapse's default: 0.2 messages/s with a burst of 10
    max_progress_edits: int = 3
    clock: Callable[[], float] = time.monotonic
    undecrypted: Undecrypted = field(default_factory=Undecrypted)  # until their key arrives

    def __post_init__(self) -> None:
        self.identity = BotIdentity(self.client.user_id)
        self.synced = asyncio.Event()  # set after the first sync of this process

    @property
    def tasks(self) -> TaskRegistry:
        return self.service.tasks

    # --- the sync loop ---------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Sync until `stop` is set; one bad sync or event never ends the loop."""
        since = await self.state.position(Platform.MATRIX, self.client.user_id)
        await self._load_display_name()
        first = True
        backoff = 1.0
        while not stop.is_set():
            try:
                response = await _unless(
                    stop,
                    self.client.sync(
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
                await self._on_sync(response, since)
                for room_id, event in self.undecrypted.readable(self.client):
                    self._on_event(room_id, event)  # its room key came in this sync
                if first:  # the policy may have changed while the bot was down
                    for room_id in list(self.client.rooms):
                        await self._leave_if_not_allowed(room_id)
                since = response.next_batch
                await self.state.save_position(Platform.MATRIX, self.client.user_id, since)
                await self._crypto_housekeeping()
            except Exception as exc:
                log.error("matrix_sync_failed", error=type(exc).__name__, reason=str(exc))
                await _unless(stop, asyncio.sleep(backoff))
                backoff = min(backoff * 2, 60.0)
                continue
            backoff = 1.0
            if first:
                first = False
                self.synced.set()
                log.info("matrix_synced", rooms=len(self.client.rooms))

    async def _on_sync(self, response: SyncResponse, since: str | None) -> None:
        """Invites, membership review, then the new events of every joined room. On the very
        first start (no saved position) the timelines are history: not answered."""
        for room_id in response.rooms.invite:
            await self._on_invite(room_id)
        for room_id, info in response.rooms.join.items():
            membership_changed = any(isinstance(e, RoomMemberEvent) for e in info.timeline.events)
            if membership_changed and await self._leave_if_not_allowed(room_id):
                continue
            if since is None:
                continue
            events = list(info.timeline.events)
            joined = _own_join(events, self.client.user_id)
            if joined is not None:
                # The batch of the bot's own join: what came before is history. (Synapse marks
                # a just-joined room's timeline limited: no gap to fetch before answering.)
                events = events[joined + 1 :]
            elif info.timeline.limited and info.timeline.prev_batch:
                # More arrived than one sync carries (a long outage): fetch the gap.
                events = await self._gap(room_id, info.timeline.prev_batch, since) + events
            for event in events:
                self._on_event(room_id, event)

    async def _gap(self, room_id: str, prev_batch: str, since: str) -> list[Any]:
        """The events between our last position and a limited timeline, oldest first,
        bounded (MAX_GAP_EVENTS): questions older than that are logged as missed."""
        gap: list[Any] = []
        token = prev_batch
        while len(gap) < MAX_GAP_EVENTS:
            response = await self.client.room_messages(room_id, start=token, end=since, limit=100)
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

    def _on_event(self, room_id: str, event: Any) -> None:
        if isinstance(event, MegolmEvent):  # nio could not decrypt it: its key is not here yet
            log.warning("matrix_undecryptable", room=room_id, event_id=event.event_id)
            self.undecrypted.keep(room_id, event)
            return
        source = getattr(event, "source", None)
        if not isinstance(source, dict):
            return
        room = self.client.rooms.get(room_id)
        question = question_from(source, room_id, self.identity, _is_dm(room))
        if question is not None:
            if question.text:  # a mention alone asks nothing
                self.service.receive(chat_message(question), self.thread_for(question))
            return
        reaction = feedback_from(source, self.client.user_id)
        if reaction is not None:
            target, value = reaction
            who = UserId(f"matrix:{source['sender']}")
            work = self.service.feedback_on(Platform.MATRIX, who, target, value)
            self.tasks.spawn(work, name="matrix:feedback")

    def thread_for(self, question: MatrixQuestion) -> MatrixThread:
        return MatrixThread(self, question)

    async def _crypto_housekeeping(self) -> None:
        """What nio's sync_forever does between syncs: keys up, keys of others, to-device."""
        if not self.client.olm:
            return
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        if self.client.should_query_keys:
            await self.client.keys_query()
        if self.client.should_claim_keys:
            await self.client.keys_claim(self.client.get_users_for_key_claiming())
        await self.client.send_to_device_messages()

    async def _load_display_name(self) -> None:
        """The bot's display name, for clients that mention it by name (once per start)."""
        try:
            response = await self.client.get_displayname(self.client.user_id)
        except Exception as exc:
            log.warning("matrix_display_name_unknown", error=type(exc).__name__)
            return
        name = getattr(response, "displayname", None)
        if name:
            self.identity = BotIdentity(self.client.user_id, name)

    # --- rooms -----------------------------------------------------------------------------

    def allowed(self, user_id: str) -> bool:
        return self.service.policy.admits(user_id, user_id.partition(":")[2])

    async def _on_invite(self, room_id: str) -> None:
        room = self.client.invited_rooms.get(room_id)
        inviter = getattr(room, "inviter", None)
        if inviter is None or not self.allowed(inviter):
            log.warning("matrix_invite_declined", room=room_id, inviter=inviter)
            await self.client.room_leave(room_id)
            return
        if self.require_encryption and not (room and room.encrypted):
            log.warning("matrix_invite_declined_unencrypted", room=room_id, inviter=inviter)
            await self.client.room_leave(room_id)
            return
        joined = await self.client.join(room_id)
        if isinstance(joined, JoinError):
            log.error("matrix_join_failed", room=room_id, error=joined.message)
        else:
            log.info("matrix_joined", room=room_id, inviter=inviter)

    async def _leave_if_not_allowed(self, room_id: str) -> bool:
        """Leave a room where no allowed person is left (or that lost its encryption policy)."""
        room = self.client.rooms.get(room_id)
        if room is None:
            return False
        others = [u for u in room.users if u != self.client.user_id]
        unencrypted = self.require_encryption and not room.encrypted
        if unencrypted or not any(self.allowed(u) for u in others):
            log.warning("matrix_leaving_room", room=room_id, unencrypted=unencrypted)
            await self.client.room_leave(room_id)
            return True
        return False

    # --- sending -------------------------------------------------------------------------------

    async def send(self, room_id: str, content: dict[str, Any]) -> str:
        """Send (encrypted where the room is); nio retries rate limits a bounded number of
        times honouring retry_after_ms; anything else is an error. Returns the event id."""
        response = await self.client.room_send(
            room_id, "m.room.message", content, ignore_unverified_devices=True
        )
        if isinstance(response, RoomSendResponse):
            return str(response.event_id)
        assert isinstance(response, ErrorResponse)
        raise MatrixError(f"sending failed: {response.status_code} {response.message}")

    async def typing(self, room_id: str, on: bool) -> None:
        """The 'working' sign; cosmetic, so a failure is logged and ignored."""
        try:
            await self.client.room_typing(room_id, on, timeout=30_000)
        except Exception as exc:
            log.warning("matrix_typing_failed", error=type(exc).__name__)


def _is_dm(room: MatrixRoom | None) -> bool:
    """A one-to-one room: the bot and one person (joined or invited)."""
    return room is not None and int(room.member_count) <= 2


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
