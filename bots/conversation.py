"""The conversation service: what every chat surface does with a message, written once.

Slack, Matrix and the console only translate: their event becomes a `ChatMessage`, and a
`Thread` shows, in their own form, what this service decides. For each message, in order:
its thread's earlier turns -> is it for the bot (a mention, a direct message, or a follow-up in
a thread the bot answered)? -> first delivery anywhere (the ledger, across replicas)? -> may
this person ask here? -> under the per-user rate? -> the sign that it is being worked on -> the
signs of the messages received before it shown -> the pipeline's answer, with progress -> the
reply shown, each posted message linked to the answer's audit entry so that feedback on it
reaches that entry. A thread's messages are taken
up one after the other: a follow-up sent while the first question is being answered waits for
that answer, then reads it as context.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from bots.tasks import TaskRegistry
from core.models import ConversationId, IncomingMessage, Language, Platform, Reply, Turn, UserId
from core.pipeline import Pipeline
from core.ports import AuditLog, Conversations, EventLedger, OnProgress
from core.text import message_language

log = structlog.get_logger(__name__)

MAX_TURNS = 5  # earlier turns of a thread carried into a follow-up
TAKEN_UP_THREADS = 10_000  # threads remembered as taken up by this process (the audit has the rest)

TEXTS: dict[str, dict[Language, str]] = {
    "refused": {
        "fr": "Désolé, je ne suis pas autorisé à répondre dans cet espace.",
        "en": "Sorry, I am not allowed to answer here.",
    },
    "rate": {
        "fr": "Vous avez posé beaucoup de questions en peu de temps : réessayez dans une minute.",
        "en": "You have asked many questions in a short time: please try again in a minute.",
    },
    "failed": {
        "fr": "Désolé, une erreur m'a empêché de répondre. Votre question a été enregistrée.",
        "en": "Sorry, an error prevented me from answering. Your question was recorded.",
    },
    "status": {
        "fr": "cherche dans les sources validées…",
        "en": "is searching the validated sources…",
    },
    "working": {
        "fr": "Recherche dans les sources validées…",
        "en": "Searching the validated sources…",
    },
    "writing": {  # progress while a model writes: a word count, never the unverified draft
        "fr": "Rédaction en cours… ({words} mots). La réponse sera vérifiée dans les sources "
        "avant d'être affichée.",
        "en": "Writing… ({words} words). The answer will be checked against the sources before "
        "it is shown.",
    },
    "thanks": {
        "fr": "Merci, votre retour est enregistré.",
        "en": "Thank you, your feedback is recorded.",
    },
}


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """A chat message as every surface reduces it."""

    platform: Platform
    key: str  # one message, however many deliveries carry it (the ledger's key)
    conversation: ConversationId  # its thread
    user: UserId  # the writer, qualified by platform (what the audit pseudonymises)
    sender: str  # the writer as the platform names it (allow-lists hold these)
    domain: str  # the writer's Slack workspace or Matrix homeserver
    room: str  # the channel or room
    text: str
    in_thread: bool  # a reply in an existing thread: only there can earlier turns exist
    mentioned: bool  # the bot was addressed by name
    is_dm: bool  # a one-to-one conversation with the bot


class Thread(Protocol):
    """Where one message's answer appears, in the surface's own form."""

    async def notice(self, text: str) -> None:
        """A short message in the thread (refusal, rate limit, apology); never raises."""
        ...

    async def begin(self, language: Language) -> OnProgress | None:
        """Show that the question is being worked on; returns what hears the progress."""
        ...

    async def finish(self, reply: Reply) -> Sequence[str]:
        """Show the reply; returns the ids of the messages that hold it (feedback given on one
        of them is feedback on the answer), or none where the reply carries its own buttons."""
        ...

    async def close(self) -> None:
        """After the answer or its failure: take the working sign down; never raises."""
        ...


class ReplyLinks(Protocol):
    """Which audit entry each posted reply shows (adapters.postgres.chat.PgChatState)."""

    async def remember_reply(
        self, platform: Platform, message_id: str, audit_id: int, language: Language
    ) -> None: ...

    async def reply(self, platform: Platform, message_id: str) -> tuple[int, Language] | None:
        """(audit id, language) of a reply the bot posted, or None for any other message."""
        ...


class RateLimiter(Protocol):
    def exceeded(self, user: str) -> bool:
        """True when the user is over the limit; otherwise counts this question."""
        ...


@dataclass
class RateLimit:
    """At most `per_minute` questions per user over a sliding minute (per process)."""

    per_minute: int
    clock: Callable[[], float] = time.monotonic
    _recent: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def exceeded(self, user: str) -> bool:
        now = self.clock()
        recent = self._recent[user]
        while recent and now - recent[0] > 60:
            recent.popleft()
        if len(recent) >= self.per_minute:
            return True
        recent.append(now)
        return False


class Unlimited:
    """No rate limit: one person at a terminal."""

    def exceeded(self, user: str) -> bool:
        return False


@dataclass(frozen=True)
class ChatPolicy:
    """Who may ask, where: the same rules on every surface."""

    allowed_users: frozenset[str] = frozenset()  # as the platform names them (@dr:hopital.fr)
    allowed_domains: frozenset[str] = frozenset()  # Slack workspaces, Matrix homeservers
    # With neither users nor domains listed: only this domain may ask (the bot's own
    # homeserver); None: every domain.
    home_domain: str | None = None
    allowed_rooms: frozenset[str] = frozenset()  # channels or rooms (direct ones aside); empty: all
    allow_dms: bool = True
    thread_followups: bool = True  # answer follow-ups in threads it answered, without a mention
    refuse_silently: bool = False

    def admits(self, sender: str, domain: str) -> bool:
        """May this person ask the bot anything (and, on Matrix, invite it)?"""
        if not self.allowed_users and not self.allowed_domains:
            return self.home_domain is None or domain == self.home_domain
        return sender in self.allowed_users or domain in self.allowed_domains

    def allows(self, message: ChatMessage) -> bool:
        if not self.admits(message.sender, message.domain):
            return False
        if message.is_dm:
            return self.allow_dms
        return not self.allowed_rooms or message.room in self.allowed_rooms


class ChatStore(AuditLog, Conversations, EventLedger, Protocol):
    """The audit log that also reads threads' turns and keeps the ledger (PgAuditLog)."""


class SignsFirst:
    """A question's answer starts once every message received before its own sign went out
    shows its sign. The answers' work runs on the event loop in slices between awaits, so fifty
    questions at once put fifty answers' slices between a late message's duplicate check and
    its reaction: its first visible sign took up to 1.8 s (bench/slack_overhead.py). Only
    messages received before the sign count, so a stream of new ones cannot hold an answer
    back; a follow-up waiting for its thread's answer counts from when it is taken up; and a
    platform slow to show one sign holds the others' answers `longest_wait_s` at most."""

    def __init__(self, longest_wait_s: float = 2.0) -> None:
        self.longest_wait_s = longest_wait_s
        self._next = 0
        self._waiting: dict[int, asyncio.Event] = {}  # ticket -> set when its sign is out

    def take(self) -> int:
        """A ticket for a message whose sign is due."""
        ticket = self._next
        self._next += 1
        self._waiting[ticket] = asyncio.Event()
        return ticket

    def shown(self, ticket: int) -> None:
        """Its sign is out, or it will show none (ignored, refused, failed); idempotent."""
        done = self._waiting.pop(ticket, None)
        if done is not None:
            done.set()

    async def before(self, ticket: int) -> None:
        """Mark this ticket shown, then wait for the signs of those taken up so far."""
        self.shown(ticket)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.longest_wait_s):
                for earlier in list(self._waiting.values()):
                    await earlier.wait()


@dataclass
class ConversationService:
    pipeline: Pipeline
    ledger: EventLedger
    conversations: Conversations
    audit: AuditLog
    replies: ReplyLinks
    rate: RateLimiter
    policy: ChatPolicy = field(default_factory=ChatPolicy)
    tasks: TaskRegistry = field(default_factory=TaskRegistry)
    # A thread's latest message's task (its messages are taken up one after the other), and
    # the threads this process took a question up in, which count as threads it answered.
    _thread_tails: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _taken_up: dict[str, None] = field(default_factory=dict)  # insertion-ordered: a small LRU
    _signs: SignsFirst = field(default_factory=SignsFirst)

    def receive(self, message: ChatMessage, thread: Thread) -> None:
        """Take the message up after the one before it in its thread, in the background."""
        key = message.conversation
        before = self._thread_tails.get(key)
        # Its sign is due now, unless it waits for its thread's answer before it.
        ticket = self._signs.take() if before is None else None
        name = f"{message.platform.value}:{message.key}"
        task = self.tasks.spawn(self._after(before, ticket, message, thread), name=name)
        if task is None:
            if ticket is not None:
                self._signs.shown(ticket)
            return
        self._thread_tails[key] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._thread_tails.get(key) is done:
                del self._thread_tails[key]

        task.add_done_callback(forget)

    async def _after(
        self,
        before: asyncio.Task[None] | None,
        ticket: int | None,
        message: ChatMessage,
        thread: Thread,
    ) -> None:
        try:
            if before is not None:
                await asyncio.wait({before})  # however it ended
            await self.handle(message, thread, ticket)
        finally:
            if ticket is not None:
                self._signs.shown(ticket)

    async def handle(self, message: ChatMessage, thread: Thread, ticket: int | None = None) -> None:
        """Everything after the surface's ack. A failure while answering becomes an apology;
        a store that cannot be reached before that (turns, ledger) fails the task, which the
        task registry logs. `ticket`: its place among the signs due (SignsFirst)."""
        if ticket is None:
            ticket = self._signs.take()
        try:
            await self._handle(message, thread, ticket)
        finally:
            self._signs.shown(ticket)

    async def _handle(self, message: ChatMessage, thread: Thread, ticket: int) -> None:
        # A message outside a thread starts one: no earlier turns, no query (chatter).
        turns = (
            await self.conversations.turns(message.platform, message.conversation, MAX_TURNS)
            if message.in_thread
            else []
        )
        # Detected once, here, and carried to the pipeline with the message.
        language = message_language(message.text, [turn.question for turn in turns])
        if not self._for_the_bot(message, turns):
            return
        if not await self.ledger.first_delivery(message.platform, message.key):
            log.info("chat_duplicate_ignored", platform=message.platform.value, key=message.key)
            return
        if not self.policy.allows(message):
            if not self.policy.refuse_silently:
                await thread.notice(TEXTS["refused"][language])
            return
        if self.rate.exceeded(message.user):
            await thread.notice(TEXTS["rate"][language])
            return
        self._take_up(message.conversation)
        try:
            await self._answer(message, tuple(turns), language, thread, ticket)
        except Exception as exc:
            log.error(
                "chat_answer_failed",
                platform=message.platform.value,
                error=type(exc).__name__,
                reason=str(exc),
            )
            await thread.notice(TEXTS["failed"][language])
        finally:
            await thread.close()

    def _for_the_bot(self, message: ChatMessage, turns: Sequence[Turn]) -> bool:
        answered = bool(turns) or message.conversation in self._taken_up
        follow_up = self.policy.thread_followups and message.in_thread and answered
        return message.mentioned or message.is_dm or follow_up

    def _take_up(self, conversation: str) -> None:
        self._taken_up.pop(conversation, None)
        self._taken_up[conversation] = None
        while len(self._taken_up) > TAKEN_UP_THREADS:
            del self._taken_up[next(iter(self._taken_up))]

    async def _answer(
        self,
        message: ChatMessage,
        turns: tuple[Turn, ...],
        language: Language,
        thread: Thread,
        ticket: int,
    ) -> None:
        on_progress = await thread.begin(language)
        await self._signs.before(ticket)
        incoming = IncomingMessage(
            message.text, message.platform, message.conversation, message.user, turns, language
        )
        reply = await self.pipeline.answer(incoming, on_progress)
        shown = await thread.finish(reply)
        if reply.audit_id is not None:
            for message_id in shown:
                await self.replies.remember_reply(
                    message.platform, message_id, reply.audit_id, reply.language
                )

    # --- feedback ----------------------------------------------------------------------------

    async def feedback(self, platform: Platform, user: UserId, answer_id: int, value: str) -> bool:
        """Feedback on the answer with this audit id; False when there is no such answer."""
        pseudonym = self.pipeline.pseudonymize(user)
        if not await self.audit.feedback(answer_id, platform, pseudonym, value):
            log.warning("chat_feedback_unknown_answer", platform=platform.value, answer=answer_id)
            return False
        log.info("chat_feedback_recorded", platform=platform.value, answer=answer_id, value=value)
        return True

    async def feedback_on(
        self, platform: Platform, user: UserId, message_id: str, value: str
    ) -> bool:
        """Feedback given on a posted message: recorded when it is one of the bot's replies."""
        known = await self.replies.reply(platform, message_id)
        if known is None:
            return False  # a reaction on something else than an answer
        return await self.feedback(platform, user, known[0], value)


def conversation_service(
    pipeline: Pipeline,
    store: ChatStore,
    replies: ReplyLinks,
    policy: ChatPolicy | None = None,
    questions_per_minute: int | None = 10,
) -> ConversationService:
    """The service on one store; `questions_per_minute` None: no rate limit (the console)."""
    return ConversationService(
        pipeline,
        ledger=store,
        conversations=store,
        audit=store,
        replies=replies,
        rate=Unlimited() if questions_per_minute is None else RateLimit(questions_per_minute),
        policy=policy or ChatPolicy(),
    )
