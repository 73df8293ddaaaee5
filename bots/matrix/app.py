"""The Matrix bot: each synced event is parsed (events.py), handed to the conversation service
(bots/conversation.py), which decides, and its answer shown in the question's thread
(thread.py, render.py); this module only wires those together.

Flow of one question: sync (sync.py: resumes where it stopped, never replays history) -> event
(decrypted by nio in encrypted rooms; one whose room key is late waits in undecrypted.py) ->
MatrixQuestion -> ChatMessage -> the service (access, rate, exactly once, thread turns, in turn
within its thread) -> MatrixThread: a placeholder and the typing notice, a few progress edits,
the final edit -> typing off. Invites and leaving rooms: rooms.py. 👍 / 👎 reactions on a reply
are feedback on its answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from nio import AsyncClient, ErrorResponse, MegolmEvent, RoomSendResponse, SyncResponse

from bots.conversation import ConversationService
from bots.matrix.events import (
    BotIdentity,
    MatrixQuestion,
    chat_message,
    feedback_from,
    matrix_user,
    question_from,
)
from bots.matrix.rooms import Rooms, identity
from bots.matrix.sync import MatrixError, SyncLoop, new_events
from bots.matrix.thread import MatrixThread
from bots.matrix.undecrypted import NioKeys, Undecrypted
from bots.tasks import TaskRegistry
from core.models import Platform
from core.ports import ChatState

log = structlog.get_logger(__name__)


@dataclass
class MatrixBot:
    service: ConversationService
    state: ChatState  # adapters.postgres.chat.PgChatState: sync position, held events
    client: AsyncClient
    require_encryption: bool = False  # decline invites to, and leave, unencrypted rooms
    poll_ms: int = 30_000  # long-poll of each sync
    edit_interval_s: float = 3.0  # Synapse's default: 0.2 messages/s with a burst of 10
    max_progress_edits: int = 3
    clock: Callable[[], float] = time.monotonic
    undecrypted: Undecrypted = field(init=False)  # held until their room key arrives

    def __post_init__(self) -> None:
        self.identity = BotIdentity(self.client.user_id)
        self.synced = asyncio.Event()  # set after the first sync of this process
        self.rooms = Rooms(self.client, self.service.policy, self.require_encryption)
        self.undecrypted = Undecrypted(self.state, self.client.user_id, NioKeys(self.client))

    @property
    def tasks(self) -> TaskRegistry:
        return self.service.tasks

    async def run(self, stop: asyncio.Event) -> None:
        """Sync until `stop` is set; one bad sync or event never ends the loop."""
        self.identity = await identity(self.client)  # once per start
        await self.undecrypted.load()  # what the last run could not read yet
        await SyncLoop(self.client, self.state, self._on_sync, self.poll_ms, self.synced).run(stop)

    async def _on_sync(self, response: SyncResponse, since: str | None, first: bool) -> None:
        """Invites, membership review, then the new events of every joined room, then those
        whose room key came in this batch."""
        for room_id in response.rooms.invite:
            await self.rooms.on_invite(room_id)
        for room_id, info in response.rooms.join.items():
            if await self.rooms.left_after(room_id, info.timeline.events):
                continue
            for event in await new_events(self.client, room_id, info, since):
                await self._on_event(room_id, event)
        for room_id, event in await self.undecrypted.readable():
            await self._on_event(room_id, event)
        if first:  # the policy may have changed while the bot was down
            await self.rooms.review()

    async def _on_event(self, room_id: str, event: object) -> None:
        if isinstance(event, MegolmEvent):  # nio could not decrypt it: its key is not here yet
            log.warning("matrix_undecryptable", room=room_id, event_id=event.event_id)
            await self.undecrypted.keep(room_id, event)
            return
        source = getattr(event, "source", None)
        if not isinstance(source, dict):
            return
        question = question_from(source, room_id, self.identity, self.rooms.is_dm(room_id))
        if question is not None:
            self.service.receive(chat_message(question), self.thread_for(question))
            return
        reaction = feedback_from(source, self.client.user_id)
        if reaction is not None:
            target, value = reaction
            who = matrix_user(source["sender"])
            work = self.service.feedback_on(Platform.MATRIX, who, target, value)
            self.tasks.spawn(work, name="matrix:feedback")

    def thread_for(self, question: MatrixQuestion) -> MatrixThread:
        return MatrixThread(self, question)

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
