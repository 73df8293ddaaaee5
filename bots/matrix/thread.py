"""One question's Matrix thread, as the conversation service sees it (its Thread port)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog

from bots.matrix import render
from bots.matrix.events import MatrixQuestion
from core.models import Language, Reply
from core.ports import OnProgress, Progress

log = structlog.get_logger(__name__)


class Room(Protocol):
    """What a thread needs of the bot (bots.matrix.app.MatrixBot)."""

    @property
    def clock(self) -> Callable[[], float]: ...

    @property
    def edit_interval_s(self) -> float:
        """Between progress edits: the homeserver rate-limits messages."""
        ...

    @property
    def max_progress_edits(self) -> int: ...

    async def send(self, room_id: str, content: render.Content) -> str:
        """Send a message; returns its event id."""
        ...

    async def typing(self, room_id: str, on: bool) -> None:
        """The typing notice; never raises."""
        ...


@dataclass
class MatrixThread:
    """One question's Matrix thread: a placeholder and the typing notice, a few progress edits
    (the homeserver rate-limits messages), then the final edit (render.py)."""

    bot: Room
    question: MatrixQuestion
    placeholder: str = ""  # the event the answer replaces (begin() sends it)

    async def notice(self, text: str) -> None:
        question = self.question
        content = render.in_thread(render.notice(text), question.thread_root, question.event_id)
        try:
            await self.bot.send(question.room_id, content)
        except Exception as exc:
            log.error("matrix_post_failed", error=type(exc).__name__, reason=str(exc))

    async def begin(self, language: Language) -> OnProgress:
        # The sign first (a clinician sees it in the thread), then the typing notice: while
        # the models are still loading after a start, the answer comes once they are in.
        bot, question = self.bot, self.question
        self.placeholder = await bot.send(
            question.room_id,
            render.in_thread(render.working(language), question.thread_root, question.event_id),
        )
        await bot.typing(question.room_id, True)
        edits = [bot.clock(), 0]  # last edit time, progress edits made

        async def on_progress(progress: Progress) -> None:
            if edits[1] < bot.max_progress_edits and bot.clock() - edits[0] >= bot.edit_interval_s:
                edits[0], edits[1] = bot.clock(), edits[1] + 1
                await bot.send(
                    question.room_id,
                    render.edit(render.progress(progress.words, language), self.placeholder),
                )

        return on_progress

    async def finish(self, reply: Reply) -> Sequence[str]:
        bot, question = self.bot, self.question
        first, *rest = render.reply_contents(reply)
        posted = [self.placeholder]
        await bot.send(question.room_id, render.edit(first, self.placeholder))
        for content in rest:
            content = render.in_thread(content, question.thread_root, posted[-1])
            posted.append(await bot.send(question.room_id, content))
        return posted

    async def close(self) -> None:
        await self.bot.typing(self.question.room_id, False)
