"""The console bot: `medgpt chat` (a thread-like conversation) and terminal helpers."""

from __future__ import annotations

import asyncio
import getpass
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from bots.chat import MAX_TURNS
from core.models import ConversationId, IncomingMessage, Platform, Turn, UserId

if TYPE_CHECKING:
    from core.ingestion import IngestReport
    from core.pipeline import Pipeline

# The progress bar and the renderer are imported where used: `medgpt ask` imports this module
# for `user()` alone, and hands its question to the resident (bots/resident.py).

_HELP = "Posez votre question (Ask your question). /new : nouvelle conversation · /quit : quitter"


def user() -> UserId:
    return UserId(f"console:{getpass.getuser()}")


async def chat(pipeline: Pipeline) -> None:
    """Questions from stdin until EOF or /quit; follow-ups carry the thread's earlier turns."""
    from bots.render_text import render_text

    print(_HELP)
    conversation, history = _new_conversation()
    while True:
        try:
            line = await asyncio.to_thread(input, "\n> ")
        except EOFError:
            return
        command = line.strip().lower()
        if command in {"/quit", "/exit"}:
            return
        if command == "/new":
            conversation, history = _new_conversation()
            print("— nouvelle conversation / new conversation —")
            continue
        if command in {"/help", "?"}:
            print(_HELP)
            continue
        message = IncomingMessage(line, Platform.CONSOLE, conversation, user(), tuple(history))
        reply = await pipeline.answer(message)
        print(render_text(reply))
        if line.strip():
            history = [*history, Turn(reply.asked, reply.text)][-MAX_TURNS:]


def _new_conversation() -> tuple[ConversationId, list[Turn]]:
    return ConversationId(f"console:{uuid.uuid4()}"), []


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
