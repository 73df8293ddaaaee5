"""How one answer appears in its Slack thread while it is written, then whole: SlackThread,
the conversation service's Thread on Slack (a reaction or the assistant status while it works),
and the Delivery of the answer itself.

Two ways, chosen per answer:
- streamed (Slack's chat.startStream / appendStream / stopStream, where the workspace has it):
  only sentences that already passed the citation check are streamed, at most once a second;
  the stream is closed with the notices, sources, disclaimer and feedback buttons as blocks.
  When the final reply does not continue what was streamed (too little of the draft verified,
  so the extractive fallback answers), the streamed message is replaced by the reply;
- a placeholder ("working…") updated at most once a second with the number of words drafted,
  then replaced by the reply's blocks: the workspace refused to start a stream, or streaming
  is off.
Unverified model text is never shown either way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bots.conversation import TEXTS
from bots.slack.events import SlackQuestion
from bots.slack.render import blocks_for, escape, markdown_escape, progress_text, stream_blocks
from core.models import Language, Reply
from core.ports import OnProgress, Progress

log = structlog.get_logger(__name__)

WORKING_REACTION = "hourglass_flowing_sand"
UPDATE_INTERVAL_S = 1.0  # Slack allows about one message update per second per channel
MAX_STREAM_CHARS = 10_000  # markdown_text takes 12,000 characters a call; keep a margin


@dataclass
class Delivery:
    client: AsyncWebClient
    question: SlackQuestion
    language: Language
    stream: bool  # try the streaming API first
    clock: Callable[[], float] = time.monotonic
    ts: str | None = None  # the placeholder, or the streamed message
    streamed: str = ""  # verified reply text already in the stream (unescaped)
    refused: bool = False  # the workspace refused to start a stream: remember it
    _broken: bool = False  # an append failed: what is shown is no longer known
    _last: float = field(default=float("-inf"))

    async def begin(self) -> None:
        if not self.stream:
            await self._placeholder()

    async def progress(self, progress: Progress) -> None:
        """Called as the model writes: a Slack failure here must not stop the answer."""
        if self.clock() - self._last < UPDATE_INTERVAL_S:
            return
        try:
            if self.stream:
                await self._append(progress.verified)
            elif self.ts is not None:
                self._last = self.clock()
                await self.client.chat_update(
                    channel=self.question.channel,
                    ts=self.ts,
                    text=progress_text(progress.words, self.language),
                )
        except SlackApiError as exc:
            log.warning("slack_progress_failed", error=exc.response.get("error"))

    async def finish(self, reply: Reply) -> None:
        question = self.question
        if not self.stream or self.ts is None:
            blocks, fallback = blocks_for(reply)
            if self.ts is None:
                await self.client.chat_postMessage(
                    channel=question.channel,
                    thread_ts=question.thread_ts,
                    text=fallback,
                    blocks=blocks,
                )
            else:
                await self.client.chat_update(
                    channel=question.channel, ts=self.ts, text=fallback, blocks=blocks
                )
            return
        rest = reply.text.removeprefix(self.streamed)
        if self._broken or rest == reply.text or len(reply.text) > MAX_STREAM_CHARS:
            await self._replace(reply)
            return
        try:
            await self.client.chat_stopStream(
                channel=question.channel,
                ts=self.ts,
                markdown_text=markdown_escape(rest) or None,
                blocks=stream_blocks(reply),
            )
        except SlackApiError as exc:  # the sources must not go missing: post the reply whole
            log.warning("slack_stream_stop_failed", error=exc.response.get("error"))
            await self._replace(reply)

    async def _append(self, verified: str) -> None:
        continues = verified.startswith(self.streamed)
        new = verified.removeprefix(self.streamed)
        if not (continues and new) or len(verified) > MAX_STREAM_CHARS:
            return  # nothing new, or not a continuation: the final reply will settle it
        self._last = self.clock()
        question = self.question
        try:
            if self.ts is None:
                started = await self.client.chat_startStream(
                    channel=question.channel,
                    thread_ts=question.thread_ts,
                    markdown_text=markdown_escape(new),
                    recipient_team_id=question.team or None,
                    recipient_user_id=question.user,
                )
                self.ts = str(started["ts"])
            else:
                await self.client.chat_appendStream(
                    channel=question.channel, ts=self.ts, markdown_text=markdown_escape(new)
                )
        except SlackApiError as exc:
            error = exc.response.get("error")
            if self.ts is None:  # no stream here: show progress the other way
                log.info("slack_streaming_unavailable", error=error)
                self.stream, self.refused = False, True
                await self._placeholder()
            else:
                log.warning("slack_stream_append_failed", error=error)
                self._broken = True
            return
        self.streamed = verified

    async def _replace(self, reply: Reply) -> None:
        """The reply differs from what was streamed: close the stream, delete it, post anew."""
        question, ts = self.question, self.ts
        assert ts is not None
        try:
            await self.client.chat_stopStream(channel=question.channel, ts=ts)
            await self.client.chat_delete(channel=question.channel, ts=ts)
        except SlackApiError as exc:
            log.error("slack_stream_replace_failed", error=exc.response.get("error"))
        self.ts = None
        blocks, fallback = blocks_for(reply)
        await self.client.chat_postMessage(
            channel=question.channel, thread_ts=question.thread_ts, text=fallback, blocks=blocks
        )

    async def _placeholder(self) -> None:
        placeholder = await self.client.chat_postMessage(
            channel=self.question.channel,
            thread_ts=self.question.thread_ts,
            text=TEXTS["working"][self.language],
        )
        self.ts = str(placeholder["ts"])
        self._last = self.clock()


@dataclass
class SlackThread:
    """One question's Slack thread: a reaction (or the assistant status) while it is answered,
    the answer streamed or a placeholder with progress (delivery.py), then the final blocks."""

    client: AsyncWebClient
    question: SlackQuestion
    set_status: Any  # bolt's status setter in an assistant thread, else None
    may_stream: Callable[[], bool]  # the workspace has not refused a stream lately
    refused: Callable[[], None]  # told when the workspace refuses to stream
    clock: Callable[[], float] = time.monotonic
    delivery: Delivery | None = None

    async def notice(self, text: str) -> None:
        question = self.question
        try:
            await self.client.chat_postMessage(
                channel=question.channel, thread_ts=question.thread_ts, text=escape(text)
            )
        except SlackApiError as exc:
            log.error("slack_post_failed", error=exc.response.get("error"))

    async def begin(self, language: Language) -> OnProgress:
        await self._working(TEXTS["status"][language])
        self.delivery = Delivery(
            self.client, self.question, language, self.may_stream(), self.clock
        )
        await self.delivery.begin()
        return self.delivery.progress

    async def finish(self, reply: Reply) -> Sequence[str]:
        assert self.delivery is not None
        if self.delivery.refused:
            self.refused()
        await self.delivery.finish(reply)  # Slack clears an assistant status on reply
        if self.set_status is None:
            await self._react("reactions_remove")
        return ()  # the feedback buttons carry the answer's audit id

    async def close(self) -> None:
        return None

    async def _working(self, status: str) -> None:
        """The native status in an assistant thread, else a reaction (a workspace without the
        AI-app surface refuses the status)."""
        if self.set_status is not None:
            try:
                await self.set_status(status)
                return
            except SlackApiError as exc:
                log.info("slack_status_unavailable", error=exc.response.get("error"))
                self.set_status = None
        await self._react("reactions_add")

    async def _react(self, method: str) -> None:
        """The 'received' sign; cosmetic, so a failure is logged and ignored."""
        question = self.question
        try:
            await getattr(self.client, method)(
                channel=question.channel, timestamp=question.ts, name=WORKING_REACTION
            )
        except SlackApiError as exc:
            log.warning("slack_reaction_failed", method=method, error=exc.response.get("error"))
