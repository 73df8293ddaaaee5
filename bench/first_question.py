"""The first question a bot answers after it starts, with and without its warm-up.

Usage: python bench/first_question.py [--rounds 3] [--idle 20]
A data folder with the demo corpus is built once (embedded PostgreSQL). Then, for each round and
each way of starting (alternating), a fresh Python process starts the app with the models loaded
in the background at start (`build_app(load_models=True)`, as `medgpt serve` and `medgpt chat`
do; the corpus warm-up is left out, to measure the models alone) or without, stays idle
`--idle` seconds (a bot waiting for its first mention), then
answers one demo question through the whole pipeline (identifier redaction with spaCy's names, the
local embedder, retrieval, the evidence check, composition with the extractive generator, the
audit rows), then a second one. Reports each question's latency per start, and how long the
event loop was held at most from the start to the second answer (with `--idle 1`, the first
question arrives while the models load).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pipeline_overhead import stalls
from bench.quickstart import QUESTIONS
from bots.settings import load_settings
from bots.wiring import build_app, ensure_demo_corpus
from core.models import ConversationId, IncomingMessage, Platform, UserId

STARTS = ("without", "with")


async def child(start: str, idle_s: float) -> dict[str, float]:
    if start == "setup":
        async with build_app(load_settings()) as app:
            await ensure_demo_corpus(app)
        return {}
    async with build_app(load_settings(), load_models=start == "with") as app:
        answered = asyncio.get_running_loop().create_future()
        probe = asyncio.create_task(stalls(answered))
        await asyncio.sleep(idle_s)
        timings = {}
        for label, text in (("first_s", QUESTIONS[0]), ("second_s", QUESTIONS[2])):
            message = IncomingMessage(
                text, Platform.CONSOLE, ConversationId(label), UserId("bench")
            )
            started = time.perf_counter()
            await app.pipeline.answer(message)
            timings[label] = time.perf_counter() - started
        answered.set_result(None)
        timings["longest_stall_s"] = max(await probe)
        return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--idle", type=float, default=20.0, help="seconds before the question")
    parser.add_argument("--child", choices=("setup", *STARTS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(args.child, args.idle))))
        return
    data = Path(tempfile.mkdtemp(prefix="medgpt-first-question-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LLM_URL")}
    env["MEDGPT_DATA_DIR"] = str(data)
    env.pop("MEDGPT_NAME_DETECTION", None)  # the default: spaCy's names

    def run(start: str) -> dict[str, float]:
        command = [sys.executable, __file__, "--child", start, "--idle", str(args.idle)]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))

    try:
        run("setup")
        results: dict[str, list[dict[str, float]]] = {start: [] for start in STARTS}
        for _ in range(args.rounds):
            for start in STARTS:
                results[start].append(run(start))
                print(start, results[start][-1], flush=True)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    print(
        f"\n| start ({args.idle:.0f} s idle, then two questions) | first question | second "
        "| event loop held at most |"
    )
    print("|---|---|---|---|")
    for start in STARTS:
        for r in results[start]:
            print(
                f"| {start} warm-up | {r['first_s']:.2f} s | {r['second_s']:.2f} s "
                f"| {r['longest_stall_s']:.2f} s |"
            )
        first = statistics.median(r["first_s"] for r in results[start])
        stall = statistics.median(r["longest_stall_s"] for r in results[start])
        print(f"| {start} warm-up, median of {args.rounds} | {first:.2f} s | | {stall:.2f} s |")


if __name__ == "__main__":
    main()
