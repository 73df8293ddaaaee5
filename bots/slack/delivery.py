"""How one answer appears in its Slack thread while it is written, then whole.

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
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bots.chat import TEXTS
from bots.slack.events import SlackQuestion
from bots.slack.render import blocks_for, markdown_escape, progress_text, stream_blocks
from core.models import Language, Reply
from core.ports import Progress

log = structlog.get_logger(__name__)

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
