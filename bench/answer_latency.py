"""Warm answer latency inside a running process, over the chat-style questions (issue 24: a
warm answer stays <= 100 ms median on the demo corpus, <= 300 ms on the whole corpus).

Usage: python bench/answer_latency.py [--corpus demo|whole] [--data ../shared/data]
One process, as a bot is: the embedded PostgreSQL, the packaged embedder, redaction, triage,
understanding, hybrid retrieval, the subject readings, the evidence check and the extractive
answer, each question asked once in turn after five to warm up; median and p90 of the
pipeline's own latency, answered and abstained alike. `--corpus whole` indexes the ANSM
thesaurus and the BDPM medicines the questions ask about (`medgpt eval chat --bdpm asked`).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.database import throwaway_data_dir
from bots.settings import load_settings
from bots.wiring import build_app
from evaluation import chat
from evaluation.questions import SET, load

WARM_UP = 5


async def run(corpus: str, data: Path) -> None:
    questions = chat.select(load(SET), "all", corpus, None, None)
    async with build_app(load_settings()) as app:
        args = argparse.Namespace(corpus=corpus, data=data, bdpm="asked")
        indexed, _ = await chat._index(app, args, questions)
        keys = {
            row["id"]: chat.document_key(row["source_key"])
            for row in await app.pool.fetch("SELECT id, source_key FROM documents")
        }
        for question in questions[:WARM_UP]:
            await chat.ask(app, question, keys)
        took = []
        for question in questions:
            if question.history:
                continue  # a follow-up asks its thread first: not one answer
            started = time.perf_counter()
            await chat.ask(app, question, keys)
            took.append((time.perf_counter() - started) * 1000)
    took.sort()
    p90 = took[int(0.9 * (len(took) - 1))]
    print(indexed)
    print(f"{len(took)} questions: median {statistics.median(took):.0f} ms, p90 {p90:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", choices=["demo", "whole"], default="demo")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    with throwaway_data_dir("medgpt-latency-"):
        asyncio.run(run(args.corpus, args.data))


if __name__ == "__main__":
    main()
