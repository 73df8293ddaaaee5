"""The Matrix bot: one sync loop that resumes where it stopped, answers in threads, and reads
👍 / 👎 reactions as feedback.

Flow of one question: sync -> event (decrypted by nio in encrypted rooms) -> MatrixQuestion
(events.py) -> first delivery? (Postgres) -> access and rate checks -> typing notice and a
placeholder in the thread -> a few progress edits (the homeserver rate-limits messages) -> the
final edit (render.py) -> typing off. The sync position is saved after each batch, so a restart
answers what arrived while the bot was down, once, and never replays history.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

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

from bots.chat import MAX_TURNS, TEXTS, RateLimit
from bots.matrix import render
from bots.matrix.events import BotIdentity, MatrixQuestion, feedback_from, question_from
from bots.matrix.undecrypted import Undecrypted
from bots.tasks import TaskRegistry
from core.errors import MedGPTError
from core.models import ConversationId, IncomingMessage, Language, Platform, Reply, UserId
from core.pipeline import Pipeline
from core.ports import Progress
from core.text import detect_language

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
TAKEN_UP_THREADS = 10_000  # threads remembered as taken up by this process (the audit has the rest)


class MatrixError(MedGPTError):
    """The homeserver refused a request (after nio's bounded rate-limit retries)."""


@dataclass(frozen=True)
class MatrixPolicy:
    allowed_users: frozenset[str] = frozenset()
    allowed_servers: frozenset[str] = frozenset()  # with no users either: the bot's own server
    allow_dms: bool = True
    thread_followups: bool = True
    refuse_silently: bool = False
    require_encryption: bool = False  # decline invites to, and leave, unencrypted rooms
    questions_per_minute: int = 10


@dataclass
class MatrixBot:
    pipeline: Pipeline
    store: Any  # AuditLog, Conversations and EventLedger: adapters.postgres.audit.PgAuditLog
    state: Any  # adapters.postgres.chat.PgChatState: sync position and reply -> audit entry
    client: AsyncClient
    pseudonymize: Callable[[UserId], str]
    policy: MatrixPolicy = field(default_factory=MatrixPolicy)
    tasks: TaskRegistry = field(default_factory=TaskRegistry)
    poll_ms: int = 30_000  # long-poll of each sync
    edit_interval_s: float = 3.0  # Synapse's default: 0.2 messages/s with a burst of 10
    max_progress_edits: int = 3
    clock: Callable[[], float] = time.monotonic
    undecrypted: Undecrypted = field(default_factory=Undecrypted)  # until their key arrives

    def __post_init__(self) -> None:
        self.rate = RateLimit(self.policy.questions_per_minute, self.clock)
        self.identity = BotIdentity(self.client.user_id)
        self.synced = asyncio.Event()  # set after the first sync of this process
        # A thread's questions are handled one after the other (its latest question's task),
        # and the threads this process took a question up in count as threads it answered.
        self._thread_tails: dict[str, asyncio.Task[Any]] = {}
        self._taken_up: dict[str, None] = {}  # insertion-ordered and bounded: a small LRU

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
            self._in_turn(question)
            return
        reaction = feedback_from(source, self.client.user_id)
        if reaction is not None:
            self.tasks.spawn(self._feedback(source["sender"], *reaction), name="matrix:feedback")

    def _in_turn(self, question: MatrixQuestion) -> None:
        """Handle the question after the one before it in its thread: a follow-up sent while
        the first question is being answered waits for that answer, then reads it as context."""
        thread = question.conversation_id
        before = self._thread_tails.get(thread)
        task = self.tasks.spawn(self._after(before, question), name=f"matrix:{question.event_id}")
        if task is None:
            return
        self._thread_tails[thread] = task

        def forget(done: asyncio.Task[Any]) -> None:
            if self._thread_tails.get(thread) is done:
                del self._thread_tails[thread]

        task.add_done_callback(forget)

    async def _after(self, before: asyncio.Task[Any] | None, question: MatrixQuestion) -> None:
        if before is not None:
            await asyncio.wait({before})  # however it ended: handle() never raises
        await self.handle(question)

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
        policy = self.policy
        server = user_id.partition(":")[2]
        if not policy.allowed_users and not policy.allowed_servers:
            own_server: str = self.client.user_id.partition(":")[2]
            return server == own_server
        return user_id in policy.allowed_users or server in policy.allowed_servers

    async def _on_invite(self, room_id: str) -> None:
        room = self.client.invited_rooms.get(room_id)
        inviter = getattr(room, "inviter", None)
        if inviter is None or not self.allowed(inviter):
            log.warning("matrix_invite_declined", room=room_id, inviter=inviter)
            await self.client.room_leave(room_id)
            return
        if self.policy.require_encryption and not (room and room.encrypted):
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
        unencrypted = self.policy.require_encryption and not room.encrypted
        if unencrypted or not any(self.allowed(u) for u in others):
            log.warning("matrix_leaving_room", room=room_id, unencrypted=unencrypted)
            await self.client.room_leave(room_id)
            return True
        return False

    # --- one question ----------------------------------------------------------------------

    async def handle(self, question: MatrixQuestion) -> None:
        """Everything after the sync; never raises (a failure becomes an apology)."""
        language = detect_language(question.text)
        # A message outside a thread starts one: no earlier turns, no query (chatter).
        conversation = question.conversation_id
        turns = (
            await self.store.turns(Platform.MATRIX, conversation, MAX_TURNS)
            if question.in_thread
            else []
        )
        answered = bool(turns) or conversation in self._taken_up
        follow_up = self.policy.thread_followups and question.in_thread and answered
        if not (question.mentioned or question.is_dm or follow_up) or not question.text:
            return
        if not await self.store.first_delivery(Platform.MATRIX, question.message_key):
            log.info("matrix_duplicate_ignored", event_id=question.event_id)
            return
        if not self.allowed(question.sender) or (question.is_dm and not self.policy.allow_dms):
            if not self.policy.refuse_silently:
                await self._post(question, render.notice(TEXTS["refused"][language]))
            return
        if self.rate.exceeded(question.sender):
            await self._post(question, render.notice(TEXTS["rate"][language]))
            return
        self._take_up(conversation)
        try:
            await self._answer(question, tuple(turns), language)
        except Exception as exc:
            log.error("matrix_answer_failed", error=type(exc).__name__, reason=str(exc))
            await self._post(question, render.notice(TEXTS["failed"][language]))
        finally:
            await self._typing(question.room_id, False)

    def _take_up(self, conversation: str) -> None:
        self._taken_up.pop(conversation, None)
        self._taken_up[conversation] = None
        while len(self._taken_up) > TAKEN_UP_THREADS:
            del self._taken_up[next(iter(self._taken_up))]

    async def _answer(
        self, question: MatrixQuestion, turns: tuple[Any, ...], lang: Language
    ) -> None:
        # The sign first (a clinician sees it in the thread), then the typing notice: while
        # the models are still loading after a start, the answer comes once they are in.
        placeholder = await self._send(
            question.room_id,
            render.in_thread(render.working(lang), question.thread_root, question.event_id),
        )
        await self._typing(question.room_id, True)
        edits = [self.clock(), 0]  # last edit time, progress edits made

        async def on_progress(progress: Progress) -> None:
            if (
                edits[1] < self.max_progress_edits
                and self.clock() - edits[0] >= self.edit_interval_s
            ):
                edits[0], edits[1] = self.clock(), edits[1] + 1
                await self._send(
                    question.room_id,
                    render.edit(render.progress(progress.words, lang), placeholder),
                )

        message = IncomingMessage(
            question.text,
            Platform.MATRIX,
            ConversationId(question.conversation_id),
            UserId(f"matrix:{question.sender}"),
            turns,
        )
        reply = await self.pipeline.answer(message, on_progress)
        await self._final(question, placeholder, reply)

    async def _final(self, question: MatrixQuestion, placeholder: str, reply: Reply) -> None:
        first, *rest = render.reply_contents(reply)
        posted = [placeholder]
        await self._send(question.room_id, render.edit(first, placeholder))
        for content in rest:
            content = render.in_thread(content, question.thread_root, posted[-1])
            posted.append(await self._send(question.room_id, content))
        if reply.audit_id is not None:
            for event_id in posted:
                await self.state.remember_reply(
                    Platform.MATRIX, event_id, reply.audit_id, reply.language
                )

    async def _feedback(self, sender: str, target: str, value: str) -> None:
        known = await self.state.reply(Platform.MATRIX, target)
        if known is None:
            return  # a reaction on something else than an answer
        audit_id, _ = known
        pseudonym = self.pseudonymize(UserId(f"matrix:{sender}"))
        if await self.store.feedback(audit_id, Platform.MATRIX, pseudonym, value):
            log.info("matrix_feedback_recorded", answer=audit_id, value=value)

    # --- sending -------------------------------------------------------------------------------

    async def _send(self, room_id: str, content: dict[str, Any]) -> str:
        """Send (encrypted where the room is); nio retries rate limits a bounded number of
        times honouring retry_after_ms; anything else is an error. Returns the event id."""
        response = await self.client.room_send(
            room_id, "m.room.message", content, ignore_unverified_devices=True
        )
        if isinstance(response, RoomSendResponse):
            return str(response.event_id)
        assert isinstance(response, ErrorResponse)
        raise MatrixError(f"sending failed: {response.status_code} {response.message}")

    async def _post(self, question: MatrixQuestion, content: dict[str, Any]) -> None:
        try:
            await self._send(
                question.room_id, render.in_thread(content, question.thread_root, question.event_id)
            )
        except Exception as exc:
            log.error("matrix_post_failed", error=type(exc).__name__, reason=str(exc))

    async def _typing(self, room_id: str, on: bool) -> None:
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
