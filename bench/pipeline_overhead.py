"""The answering pipeline's own overhead under concurrency, and the process's peak memory.

Usage: python bench/pipeline_overhead.py [--questions 50] [--corpus PATH]
One long-lived process (as a bot is): the embedded PostgreSQL with the demo corpus (or PATH
ingested too), the local embedder, identifier redaction (spaCy's names), triage, hybrid retrieval,
the evidence check, composition and the audit rows, with a stub generator that cites the first
passage at once, so the figures are the pipeline's cost, not a model's. The questions are asked
all at once (asyncio.gather); median and p99 of their latencies, the peak RSS of the process,
and how long the event loop stalled meanwhile: a bot's loop also acknowledges chat events (Slack
wants its acknowledgement within 3 s) and answers health probes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.database import throwaway_data_dir
from bench.quickstart import QUESTIONS
from bench.slack_overhead import StubGenerator, _p99
from bots.settings import load_settings
from bots.wiring import build_app, ensure_demo_corpus, read_files
from core.models import ConversationId, IncomingMessage, Platform, UserId

TICK = 0.01  # s between the stall probe's wake-ups


async def stalls(until: asyncio.Future[object]) -> list[float]:
    """How late the loop woke a task that sleeps TICK, at each tick until `until` is done."""
    late = []
    while not until.done():
        asked = time.perf_counter()
        await asyncio.sleep(TICK)
        late.append(time.perf_counter() - asked - TICK)
    return late


async def run(n: int, corpus: Path | None) -> tuple[list[float], list[float], int]:
    async with build_app(load_settings()) as app:
        await ensure_demo_corpus(app)
        if corpus is not None:
            await app.ingestor().ingest(read_files([corpus]))
        _, passages = await app.corpus.counts()
        app.pipeline.generator = StubGenerator()

        async def ask(i: int) -> float:
            message = IncomingMessage(
                QUESTIONS[i % len(QUESTIONS)],
                Platform.CONSOLE,
                ConversationId(f"bench-{i}"),
                UserId(f"user-{i}"),
            )
            started = time.perf_counter()
            await app.pipeline.answer(message)
            return time.perf_counter() - started

        await ask(-1)  # warm-up: model load, first query plans
        answering = asyncio.gather(*(ask(i) for i in range(n)))
        late = await stalls(answering)
        latencies = await answering
    return list(latencies), late, passages


def main() -> None:
    from bots.logs import configure_logging

    configure_logging()
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--corpus", type=Path)
    args = parser.parse_args()
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("LLM_URL", None)
    with throwaway_data_dir("medgpt-pipeline-bench-"):
        latencies, late, passages = asyncio.run(run(args.questions, args.corpus))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    median, p99 = statistics.median(latencies) * 1000, _p99(latencies) * 1000
    print(f"| {args.questions} concurrent questions, {passages} passages | median | p99 |")
    print("|---|---|---|")
    print(f"| question -> reply (stub generator) | {median:.0f} ms | {p99:.0f} ms |")
    print(f"\npeak memory of the process (max RSS): {peak_mib:.0f} MiB")
    print(
        f"event loop stalls meanwhile: median {statistics.median(late) * 1000:.1f} ms, "
        f"p99 {_p99(late) * 1000:.0f} ms, longest {max(late) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
