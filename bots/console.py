"""The console bot: `medgpt chat` (a thread-like conversation, through the conversation service)
and terminal helpers."""

from __future__ import annotations

import asyncio
import getpass
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from core.models import ConversationId, Platform, UserId

if TYPE_CHECKING:
    from bots.conversation import ChatMessage, ConversationService
    from core.ingestion import IngestReport
    from core.models import Language, Reply
    from core.ports import OnProgress

# The conversation service, the renderer and the progress bar are imported where used: `medgpt
# ask` imports this module for `user()` alone, and hands its question to the resident
# (bots/resident.py).

_HELP = "Posez votre question (Ask your question). /new : nouvelle conversation · /quit : quitter"


def user() -> UserId:
    return UserId(f"console:{getpass.getuser()}")


async def chat(service: ConversationService) -> None:
    """Questions from stdin until EOF or /quit; follow-ups carry the thread's earlier turns."""
    print(_HELP)
    conversation = _new_conversation()
    while True:
        try:
            line = await asyncio.to_thread(input, "\n> ")
        except EOFError:
            return
        command = line.strip().lower()
        if command in {"/quit", "/exit"}:
            return
        if command == "/new":
            conversation = _new_conversation()
            print("— nouvelle conversation / new conversation —")
            continue
        if command in {"/help", "?"}:
            print(_HELP)
            continue
        await service.handle(_message(line, conversation), Terminal())


def _message(line: str, conversation: ConversationId) -> ChatMessage:
    """Every line is addressed to the bot, in the conversation's one thread."""
    from bots.conversation import ChatMessage

    name = user()
    return ChatMessage(
        platform=Platform.CONSOLE,
        key=f"{conversation}:{uuid.uuid4()}",
        conversation=conversation,
        user=name,
        sender=name,
        domain="",
        room=conversation,
        text=line,
        in_thread=True,
        mentioned=True,
        is_dm=True,
    )


class Terminal:
    """The console as a thread: the reply printed whole."""

    async def notice(self, text: str) -> None:
        print(text)

    async def begin(self, language: Language) -> OnProgress | None:
        return None

    async def finish(self, reply: Reply) -> Sequence[str]:
        from bots.render_text import render_text

        print(render_text(reply))
        return ()

    async def close(self) -> None:
        return None


def _new_conversation() -> ConversationId:
    return ConversationId(f"console:{uuid.uuid4()}")


@contextmanager
def progress(unit: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr when it is a terminal; silent otherwise."""
    from tqdm import tqdm

    with tqdm(unit=f" {unit}", file=sys.stderr, disable=None, leave=False) as bar:

        def advance(n: int) -> None:
            bar.update(n)

        yield advance


def print_report(report: IngestReport) -> None:
    print(
        f"added {report.added}, replaced {report.replaced}, unchanged {report.unchanged},"
        f" pruned or retired {len(report.pruned)}, failed {len(report.failed)}"
        f" ({report.passages} passages embedded)"
    )
    for path in report.pruned:
        print(f"pruned: {path}")
    for path, reason in report.failed:
        print(f"skipped {path}: {reason}", file=sys.stderr)
