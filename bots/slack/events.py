"""Slack event payloads -> the questions the bot answers (pure translation, no network)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bots.conversation import ChatMessage
from core.models import ConversationId, Platform, UserId

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


@dataclass(frozen=True, slots=True)
class SlackQuestion:
    team: str
    channel: str
    ts: str  # the message itself
    thread_ts: str  # the thread it belongs to (its own ts for a new thread)
    user: str
    text: str
    is_dm: bool
    mentioned: bool  # the bot was @-mentioned

    @property
    def conversation_id(self) -> str:
        """Thread identity: (channel, thread_ts or ts)."""
        return f"{self.team}:{self.channel}:{self.thread_ts}"

    @property
    def in_thread(self) -> bool:
        """A reply in an existing thread (only there can earlier turns exist)."""
        return self.thread_ts != self.ts

    @property
    def message_key(self) -> str:
        """One message, however many events (app_mention and message) and retries carry it."""
        return f"{self.team}:{self.channel}:{self.ts}"


def question_from(body: dict[str, Any], bot_user_id: str | None) -> SlackQuestion | None:
    """The question in an event callback, or None for what the bot must ignore: its own
    messages, other bots, edits, deletions, joins and every other subtype."""
    event = body.get("event") or {}
    if event.get("type") not in ("app_mention", "message"):
        return None
    # Message events can carry bot_id without user_id, and subtypes cover edits and joins.
    if event.get("subtype") or event.get("bot_id") or event.get("bot_profile"):
        return None
    user = event.get("user")
    if not user or user == bot_user_id or "ts" not in event or "channel" not in event:
        return None
    text = event.get("text") or ""
    mentioned = event.get("type") == "app_mention" or (
        bot_user_id is not None and bot_user_id in _MENTION.findall(text)
    )
    return SlackQuestion(
        team=str(body.get("team_id") or event.get("team") or ""),
        channel=str(event["channel"]),
        ts=str(event["ts"]),
        thread_ts=str(event.get("thread_ts") or event["ts"]),
        user=str(user),
        text=_without_bot_mention(text, bot_user_id),
        is_dm=event.get("channel_type") == "im",
        mentioned=mentioned,
    )


def _without_bot_mention(text: str, bot_user_id: str | None) -> str:
    cleaned = _MENTION.sub(lambda m: "" if m[1] == bot_user_id else m[0], text)
    return " ".join(cleaned.split())


def chat_message(question: SlackQuestion) -> ChatMessage:
    return ChatMessage(
        platform=Platform.SLACK,
        key=question.message_key,
        conversation=ConversationId(question.conversation_id),
        user=UserId(f"slack:{question.team}:{question.user}"),
        sender=question.user,
        domain=question.team,
        room=question.channel,
        text=question.text,
        in_thread=question.in_thread,
        mentioned=question.mentioned,
        is_dm=question.is_dm,
    )
