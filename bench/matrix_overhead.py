"""The Matrix bot's own overhead against a local Synapse: message received -> first visible sign
(the placeholder sent) and -> reply sent (the final edit accepted by the homeserver).

Usage: python bench/matrix_overhead.py [--questions 30]
Starts a real Synapse (sqlite, loopback) and the real bot (sync loop, de-duplication and audit in
the embedded PostgreSQL, real retrieval with the local embedder) with a stub generator that
answers at once, so the figures are the bot's cost, not a model's. A clinician posts the
questions back to back in one room, each mentioning the bot (each starts its own thread); also
reported: how long the homeserver took to hand each message to the bot (send -> sync).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.postgres.chat import PgChatState
from bench.quickstart import QUESTIONS
from bench.slack_overhead import StubGenerator, _p99
from bots.conversation import ChatPolicy
from bots.matrix.app import MatrixBot
from bots.matrix.events import MatrixQuestion
from bots.matrix.serve import login
from bots.matrix.thread import MatrixThread
from bots.settings import Settings, load_settings
from bots.wiring import build_app, ensure_demo_corpus
from testkit import synapse as synapse_process
from testkit.matrix_clinician import Clinician, answered

PASSWORD = "bench password"


class TimedBot(MatrixBot):
    """The bot with clocks on: when each question arrived, was first shown, was answered."""

    received: dict[str, float]
    delivered: dict[str, float]
    sign: dict[str, float]
    done: dict[str, float]

    async def _on_event(self, room_id: str, event: Any) -> None:
        source = getattr(event, "source", {})
        if source.get("type") == "m.room.message" and source.get("sender") != self.client.user_id:
            self.received[source["event_id"]] = time.perf_counter()
            self.delivered[source["event_id"]] = time.time() - source["origin_server_ts"] / 1000
        await super()._on_event(room_id, event)

    async def send(self, room_id: str, content: dict[str, Any]) -> str:
        event_id = await super().send(room_id, content)
        reply_to = content.get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id")
        if reply_to is not None:
            self.sign.setdefault(reply_to, time.perf_counter())
        return event_id

    def thread_for(self, question: MatrixQuestion) -> MatrixThread:
        return TimedThread(self, question)


class TimedThread(MatrixThread):
    async def finish(self, reply: Any) -> Sequence[str]:
        posted = await super().finish(reply)
        assert isinstance(self.bot, TimedBot)
        self.bot.done[self.question.event_id] = time.perf_counter()
        return posted


async def run(n: int, data: Path) -> dict[str, list[float]]:
    server = synapse_process.start(data / "synapse")
    try:
        bot_id = server.register("medgpt", PASSWORD)
        clinician_id = server.register("dr-bench", PASSWORD)
        colleague_id = server.register("dr-colleague", PASSWORD)
        async with build_app(load_settings()) as core:
            await ensure_demo_corpus(core)
            core.pipeline.generator = StubGenerator()
            settings = Settings(
                MATRIX_HOMESERVER=server.url,
                MATRIX_USER_ID=bot_id,
                MATRIX_PASSWORD=PASSWORD,
                MEDGPT_DATA_DIR=data / "bot",
            )
            rules = ChatPolicy(home_domain=bot_id.partition(":")[2])
            bot = TimedBot(
                core.conversation(rules, questions_per_minute=1000),
                PgChatState(core.pool),
                await login(settings),
                edit_interval_s=0.0,
            )
            bot.received, bot.delivered, bot.sign, bot.done = {}, {}, {}, {}
            stop = asyncio.Event()
            loop = asyncio.create_task(bot.run(stop))
            await bot.synced.wait()
            clinician = Clinician(server.url, clinician_id, data / "clinician")
            await clinician.login(PASSWORD)
            room = await clinician.create_room([bot_id, colleague_id])
            await clinician.wait_membership(room, bot_id, "join")
            # warm-up: first query plans, first embedding
            await clinician.send(room, QUESTIONS[0], mention=bot_id)
            await clinician.wait_for(room, bot_id, answered(1), timeout_s=120)
            await bot.tasks.idle()
            bot.received.clear()
            bot.delivered.clear()
            for i in range(n):
                await clinician.send(room, QUESTIONS[i % len(QUESTIONS)], mention=bot_id)
            await clinician.wait_for(room, bot_id, answered(n + 1), timeout_s=300)
            await bot.tasks.idle()
            stop.set()
            await loop
            await clinician.close()
            await bot.client.close()
    finally:
        synapse_process.stop(server)
    asked = list(bot.received)
    return {
        "homeserver: sent -> delivered to the bot": [bot.delivered[e] for e in asked],
        "received -> first visible sign": [bot.sign[e] - bot.received[e] for e in asked],
        "received -> reply sent": [bot.done[e] - bot.received[e] for e in asked],
    }


def main() -> None:
    from bots.logs import configure_logging

    configure_logging()
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=30)
    args = parser.parse_args()
    os.environ.pop("DATABASE_URL", None)
    data = Path(tempfile.mkdtemp(prefix="medgpt-matrix-bench-"))
    os.environ.setdefault("MEDGPT_DATA_DIR", str(data / "app"))
    try:
        figures = asyncio.run(run(args.questions, data))
    finally:
        shutil.rmtree(data, ignore_errors=True)
    print(f"| {args.questions} questions back to back | median | p99 |\n|---|---|---|")
    for name, values in figures.items():
        assert len(values) == args.questions, (name, len(values))
        median, p99 = statistics.median(values) * 1000, _p99(values) * 1000
        print(f"| {name} | {median:.0f} ms | {p99:.0f} ms |")


if __name__ == "__main__":
    main()
