"""Matrix events -> the questions and feedback the bot acts on, and a question as the
conversation service's ChatMessage (pure translation, no network).

Works on the events' JSON (`event.source` in nio), so decrypted and plain events read the same."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from bots.conversation import ChatMessage
from core.models import ConversationId, Platform, UserId

Feedback = Literal["up", "down"]

# Reaction keys arrive with a variation selector (👍️) or a skin tone (👍🏽) depending on the client.
_MODIFIERS = re.compile("[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]")
_FEEDBACK_KEYS: dict[str, Feedback] = {"👍": "up", "👎": "down", "+1": "up", "-1": "down"}


@dataclass(frozen=True, slots=True)
class MatrixQuestion:
    room_id: str
    event_id: str
    thread_root: str  # the thread it belongs to: its root, or the message itself
    sender: str
    text: str
    is_dm: bool
    mentioned: bool
    in_thread: bool  # sent inside an existing thread

    @property
    def conversation_id(self) -> str:
        return f"{self.room_id}:{self.thread_root}"

    @property
    def message_key(self) -> str:
        """Event ids are unique across rooms and servers: one message, however many syncs."""
        return self.event_id


@dataclass(frozen=True, slots=True)
class BotIdentity:
    user_id: str
    display_name: str | None = None


def question_from(
    event: dict[str, Any], room_id: str, bot: BotIdentity, is_dm: bool
) -> MatrixQuestion | None:
    """The question in a room event, or None for what the bot must ignore: its own events,
    edits, notices (other bots), anything that is not a text message, and a mention alone
    (it asks nothing)."""
    if event.get("type") != "m.room.message" or event.get("sender") == bot.user_id:
        return None
    content = event.get("content") or {}
    relation = content.get("m.relates_to") or {}
    if content.get("msgtype") != "m.text" or relation.get("rel_type") == "m.replace":
        return None
    body = content.get("body")
    event_id = event.get("event_id")
    if not isinstance(body, str) or not isinstance(event_id, str) or "sender" not in event:
        return None
    text = _without_mention(_without_reply_fallback(body), bot)
    if not text:
        return None
    in_thread = relation.get("rel_type") == "m.thread" and isinstance(relation.get("event_id"), str)
    return MatrixQuestion(
        room_id=room_id,
        event_id=event_id,
        thread_root=str(relation["event_id"]) if in_thread else event_id,
        sender=str(event["sender"]),
        text=text,
        is_dm=is_dm,
        mentioned=_mentions(content, body, bot),
        in_thread=in_thread,
    )


def matrix_user(sender: str) -> UserId:
    """A Matrix user as the audit knows them (pseudonymised there)."""
    return UserId(f"matrix:{sender}")


def chat_message(question: MatrixQuestion) -> ChatMessage:
    return ChatMessage(
        platform=Platform.MATRIX,
        key=question.message_key,
        conversation=ConversationId(question.conversation_id),
        user=matrix_user(question.sender),
        sender=question.sender,
        domain=question.sender.partition(":")[2],
        room=question.room_id,
        text=question.text,
        in_thread=question.in_thread,
        mentioned=question.mentioned,
        is_dm=question.is_dm,
    )


def _mentions(content: dict[str, Any], body: str, bot: BotIdentity) -> bool:
    """Intentional mentions when the client sends them; otherwise the legacy fallback: the
    user id or the display name in the text (or a pill to the bot in the HTML)."""
    mentions = content.get("m.mentions")
    if isinstance(mentions, dict):
        return bot.user_id in (mentions.get("user_ids") or [])
    if bot.user_id in body or f"matrix.to/#/{bot.user_id}" in str(content.get("formatted_body")):
        return True
    return bot.display_name is not None and _name(bot.display_name).search(body) is not None


def _without_mention(body: str, bot: BotIdentity) -> str:
    text = body.replace(bot.user_id, " ")
    if bot.display_name:
        # "MedGPT: question", "medgpt, question" — the name as an address, not inside a word.
        text = _name(bot.display_name).sub(" ", text, count=1)
    text = re.sub(r"^\s*[:,]\s*", "", text)
    return " ".join(text.split())


def _name(display_name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(display_name)}(?!\w)\s*[:,]?", re.IGNORECASE)


def _without_reply_fallback(body: str) -> str:
    """Older clients quote the message replied to as '> ' lines at the top: not the question."""
    lines = body.split("\n")
    if lines and lines[0].startswith("> <"):
        while lines and lines[0].startswith(">"):
            lines.pop(0)
    return "\n".join(lines)


def feedback_from(event: dict[str, Any], bot_user_id: str) -> tuple[str, Feedback] | None:
    """(the reacted-to event id, up or down) for a 👍 / 👎 reaction by someone else."""
    if event.get("type") != "m.reaction" or event.get("sender") == bot_user_id:
        return None
    relation = (event.get("content") or {}).get("m.relates_to") or {}
    if relation.get("rel_type") != "m.annotation" or not isinstance(relation.get("key"), str):
        return None
    value = _FEEDBACK_KEYS.get(_MODIFIERS.sub("", relation["key"]).strip())
    target = relation.get("event_id")
    if value is None or not isinstance(target, str):
        return None
    return target, value
