"""The Slack bot: bolt listeners that ack at once, de-duplicate, and answer in the thread.

Flow of one question: event -> SlackQuestion (events.py) -> access and rate checks -> first
delivery? (Postgres, across replicas) -> a reaction (or the assistant status) at once -> the
verified sentences streamed, or a placeholder with progress (delivery.py) -> the final blocks
(render.py) -> reaction removed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from slack_bolt.async_app import AsyncApp, AsyncAssistant
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bots.chat import MAX_TURNS, TEXTS, RateLimit
from bots.slack.delivery import Delivery
from bots.slack.events import SlackQuestion, question_from
from bots.slack.render import escape
from bots.tasks import TaskRegistry
from core.models import ConversationId, IncomingMessage, Language, Platform, UserId
from core.pipeline import Pipeline
from core.text import detect_language

log = structlog.get_logger(__name__)

WORKING_REACTION = "hourglass_flowing_sand"
STREAMING_RETRY_S = 3600.0  # after a workspace refused a stream, use placeholders this long


STARTERS_TITLE = "Exemples de questions / Example questions"
STARTERS = (
    {
        "title": "Paracétamol, dose maximale",
        "message": "Quelle est la dose maximale de paracétamol chez l'adulte ?",
    },
    {"title": "AVK et INR", "message": "Quelle est la cible d'INR sous antivitamine K ?"},
    {
        "title": "Anaphylaxis",
        "message": "What is the intramuscular adrenaline dose in anaphylaxis?",
    },
    {"title": "Hyperkalaemia", "message": "How is severe hyperkalaemia treated in an emergency?"},
)


@dataclass(frozen=True)
class SlackPolicy:
    allowed_teams: frozenset[str] = frozenset()  # empty: every workspace
    allowed_channels: frozenset[str] = frozenset()  # empty: every channel
    allow_dms: bool = True
    thread_followups: bool = True
    refuse_silently: bool = False
    questions_per_minute: int = 10
    stream: bool = True  # stream verified sentences where the workspace has the streaming API


@dataclass
class SlackBot:
    pipeline: Pipeline
    store: Any  # AuditLog, Conversations and EventLedger: adapters.postgres.audit.PgAuditLog
    client: AsyncWebClient
    pseudonymize: Callable[[UserId], str]
    signing_secret: str | None = None
    policy: SlackPolicy = field(default_factory=SlackPolicy)
    tasks: TaskRegistry = field(default_factory=TaskRegistry)
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self.rate = RateLimit(self.policy.questions_per_minute, self.clock)
        self._no_streaming_until: dict[str, float] = {}  # team -> clock time
        self.app = AsyncApp(
            client=self.client,
            signing_secret=self.signing_secret,
            request_verification_enabled=self.signing_secret is not None,
            # The listener only hands the work to our task registry, so acking after it costs
            # microseconds and keeps every answer owned by something shutdown drains.
            process_before_response=True,
        )
        # DMs in the AI-app surface (assistant threads) come through bolt's Assistant: starter
        # questions when a thread opens, the native status while an answer is being written.
        assistant = AsyncAssistant()
        assistant.thread_started(self._on_thread_started)
        assistant.user_message(self._on_assistant_message)
        self.app.assistant(assistant)
        self.app.event("app_mention")(self._on_event)
        self.app.event("message")(self._on_event)
        self.app.action(re.compile("^feedback_(up|down|report)$"))(self._on_feedback)

    async def _on_event(self, body: dict[str, Any], context: Any) -> None:
        question = question_from(body, context.bot_user_id)
        if question is not None:
            self.tasks.spawn(self.handle(question), name=f"slack:{question.message_key}")

    async def _on_thread_started(self, set_suggested_prompts: Any) -> None:
        await set_suggested_prompts(prompts=list(STARTERS), title=STARTERS_TITLE)

    async def _on_assistant_message(
        self, body: dict[str, Any], context: Any, set_status: Any
    ) -> None:
        question = question_from(body, context.bot_user_id)
        if question is not None:
            self.tasks.spawn(
                self.handle(question, set_status), name=f"slack:{question.message_key}"
            )

    async def handle(self, question: SlackQuestion, set_status: Any = None) -> None:
        """Everything after the ack; never raises (a failure becomes an apology)."""
        language = detect_language(question.text)
        # A message outside a thread starts one: no earlier turns, no query (chatter).
        conversation = question.conversation_id
        turns = (
            await self.store.turns(Platform.SLACK, conversation, MAX_TURNS)
            if question.in_thread
            else []
        )
        follow_up = self.policy.thread_followups and bool(turns)
        if not (question.mentioned or question.is_dm or follow_up):
            return  # channel chatter, not for the bot
        if not await self.store.first_delivery(Platform.SLACK, question.message_key):
            log.info("slack_duplicate_ignored", key=question.message_key)
            return
        if not self._allowed(question):
            if not self.policy.refuse_silently:
                await self._post(question, TEXTS["refused"][language])
            return
        if self.rate.exceeded(question.user):
            await self._post(question, TEXTS["rate"][language])
            return
        try:
            await self._answer(question, tuple(turns), set_status)
        except Exception as exc:
            log.error("slack_answer_failed", error=type(exc).__name__, reason=str(exc))
            await self._post(question, TEXTS["failed"][language])

    async def _answer(
        self, question: SlackQuestion, turns: tuple[Any, ...], set_status: Any = None
    ) -> None:
        language = detect_language(question.text)
        set_status = await self._working(question, set_status, TEXTS["status"][language])
        delivery = Delivery(
            self.client, question, language, self._may_stream(question.team), self.clock
        )
        await delivery.begin()
        message = IncomingMessage(
            question.text,
            Platform.SLACK,
            ConversationId(question.conversation_id),
            UserId(f"slack:{question.team}:{question.user}"),
            turns,
        )
        reply = await self.pipeline.answer(message, delivery.progress)
        if delivery.refused:  # not worth a refused call per answer: ask again in a while
            self._no_streaming_until[question.team] = self.clock() + STREAMING_RETRY_S
        await delivery.finish(reply)  # Slack clears an assistant status on reply
        if set_status is None:
            await self._react(question, "reactions_remove")

    def _may_stream(self, team: str) -> bool:
        return self.policy.stream and self.clock() >= self._no_streaming_until.get(team, 0.0)

    async def _working(self, question: SlackQuestion, set_status: Any, status: str) -> Any:
        """The native status in an assistant thread, else a reaction; returns the status
        setter if it worked (a workspace without the AI-app surface refuses it)."""
        if set_status is not None:
            try:
                await set_status(status)
                return set_status
            except SlackApiError as exc:
                log.info("slack_status_unavailable", error=exc.response.get("error"))
        await self._react(question, "reactions_add")
        return None

    async def _on_feedback(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        self.tasks.spawn(self._feedback(body, action), name="slack:feedback")

    async def _feedback(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        value = str(action["action_id"]).removeprefix("feedback_")
        user = body["user"]["id"]
        team = (body.get("team") or {}).get("id", "")
        pseudonym = self.pseudonymize(UserId(f"slack:{team}:{user}"))
        answer_id, _, lang = str(action["value"]).partition(":")
        recorded = await self.store.feedback(int(answer_id), Platform.SLACK, pseudonym, value)
        if not recorded:
            log.warning("slack_feedback_unknown_answer", answer_id=answer_id)
            return
        channel = body["channel"]["id"]
        message = body.get("message") or {}
        language: Language = "en" if lang == "en" else "fr"
        await self.client.chat_postEphemeral(
            channel=channel,
            user=user,
            thread_ts=message.get("thread_ts"),
            text=TEXTS["thanks"][language],
        )

    def _allowed(self, question: SlackQuestion) -> bool:
        policy = self.policy
        if policy.allowed_teams and question.team not in policy.allowed_teams:
            return False
        if question.is_dm:
            return policy.allow_dms
        return not policy.allowed_channels or question.channel in policy.allowed_channels

    async def _post(self, question: SlackQuestion, text: str) -> None:
        try:
            await self.client.chat_postMessage(
                channel=question.channel, thread_ts=question.thread_ts, text=escape(text)
            )
        except SlackApiError as exc:
            log.error("slack_post_failed", error=exc.response.get("error"))

    async def _react(self, question: SlackQuestion, method: str) -> None:
        """The 'received' sign; cosmetic, so a failure is logged and ignored."""
        try:
            await getattr(self.client, method)(
                channel=question.channel, timestamp=question.ts, name=WORKING_REACTION
            )
        except SlackApiError as exc:
            log.warning("slack_reaction_failed", method=method, error=exc.response.get("error"))


def web_client(token: str, base_url: str) -> AsyncWebClient:
    """A Web API client that retries only rate limits (honouring Retry-After), once: a 429
    means nothing was posted, so retrying cannot duplicate a message; a connection error might
    have posted, so it is not retried."""
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
