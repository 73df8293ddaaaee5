"""The Slack bot: bolt listeners that ack at once and hand the question to the conversation
service (bots/conversation.py), which decides; this module only translates.

Flow of one question: event -> SlackQuestion (events.py) -> ChatMessage -> the service (access,
rate, exactly once, thread turns) -> SlackThread: a reaction (or the assistant status) at once ->
the verified sentences streamed, or a placeholder with progress (delivery.py) -> the final blocks
(render.py) -> reaction removed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncAssistant
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bots.conversation import TEXTS, ConversationService
from bots.slack.delivery import SlackThread
from bots.slack.events import SlackQuestion, chat_message, question_from
from bots.tasks import TaskRegistry
from core.models import Language, Platform, UserId

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


@dataclass
class SlackBot:
    service: ConversationService
    client: AsyncWebClient
    signing_secret: str | None = None
    stream: bool = True  # stream verified sentences where the workspace has the streaming API
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._no_streaming_until: dict[str, float] = {}  # team -> clock time
        self.app = AsyncApp(
            client=self.client,
            signing_secret=self.signing_secret,
            request_verification_enabled=self.signing_secret is not None,
            # The listener only hands the work to the service's task registry, so acking after
            # it costs microseconds and keeps every answer owned by something shutdown drains.
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

    @property
    def tasks(self) -> TaskRegistry:
        return self.service.tasks

    async def _on_event(self, body: dict[str, Any], context: Any) -> None:
        self._receive(question_from(body, context.bot_user_id), None)

    async def _on_thread_started(self, set_suggested_prompts: Any) -> None:
        await set_suggested_prompts(prompts=list(STARTERS), title=STARTERS_TITLE)

    async def _on_assistant_message(
        self, body: dict[str, Any], context: Any, set_status: Any
    ) -> None:
        self._receive(question_from(body, context.bot_user_id), set_status)

    def _receive(self, question: SlackQuestion | None, set_status: Any) -> None:
        if question is not None:
            thread = SlackThread(
                self.client,
                question,
                set_status,
                may_stream=lambda: self.may_stream(question.team),
                refused=lambda: self.streaming_refused(question.team),
                clock=self.clock,
            )
            self.service.receive(chat_message(question), thread)

    def may_stream(self, team: str) -> bool:
        return self.stream and self.clock() >= self._no_streaming_until.get(team, 0.0)

    def streaming_refused(self, team: str) -> None:
        """Not worth a refused call per answer: ask again in a while."""
        self._no_streaming_until[team] = self.clock() + STREAMING_RETRY_S

    async def _on_feedback(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        self.tasks.spawn(self._feedback(body, action), name="slack:feedback")

    async def _feedback(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        value = str(action["action_id"]).removeprefix("feedback_")
        user = body["user"]["id"]
        team = (body.get("team") or {}).get("id", "")
        answer_id, _, lang = str(action["value"]).partition(":")
        who = UserId(f"slack:{team}:{user}")
        if not await self.service.feedback(Platform.SLACK, who, int(answer_id), value):
            return
        message = body.get("message") or {}
        language: Language = "en" if lang == "en" else "fr"
        await self.client.chat_postEphemeral(
            channel=body["channel"]["id"],
            user=user,
            thread_ts=message.get("thread_ts"),
            text=TEXTS["thanks"][language],
        )


def web_client(token: str, base_url: str) -> AsyncWebClient:
    """A Web API client that retries only rate limits (honouring Retry-After), once: a 429
    means nothing was posted, so retrying cannot duplicate a message; a connection error might
    have posted, so it is not retried."""
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
