"""Time the quickstart and ingestion on this machine; print a Markdown report.

Usage: python bench/quickstart.py [--runs 5] [--data ../shared/data]

- cold first run: `medgpt ask` with an empty data directory (initdb, migrations, model load,
  demo corpus indexing, answer);
- warm `medgpt ask`: the same command again (database initialised, corpus indexed), whole process;
- warm answer in a long-lived process (`medgpt chat`, a bot): pipeline.answer() alone;
- ingestion rate: PubMedQA abstracts as JSON Lines through `medgpt ingest`, passages/s (left
  out, with a line saying so, when the release is not under --data);
- peak memory (max RSS) of the `medgpt ask` process.
Every figure comes from this one run; medians over --runs repetitions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.data import PASS, PUBMEDQA, add_data_argument, missing

QUESTIONS = [
    "Quelle est la dose maximale de paracétamol chez l'adulte ?",
    "What is the adrenaline dose in anaphylaxis?",
    "Cible d'INR sous AVK",
    "How to treat hyperkalaemia in an emergency?",
    "Rappel vaccin tétanos adulte",
]


def _medgpt(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, max RSS in MiB) of one `medgpt` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bots.cli", *args], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"medgpt {args} failed: {done.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024


async def _in_process(runs: int) -> list[float]:
    from bots.settings import load_settings
    from bots.wiring import build_app
    from core.models import ConversationId, IncomingMessage, Platform, UserId

    async with build_app(load_settings()) as app:
        timings = []
        for i in range(runs * len(QUESTIONS) + 1):
            message = IncomingMessage(
                QUESTIONS[i % len(QUESTIONS)], Platform.CONSOLE, ConversationId("b"), UserId("b")
            )
            start = time.perf_counter()
            await app.pipeline.answer(message)
            timings.append(time.perf_counter() - start)
    return timings[1:]  # the first call loads the model


def _pubmedqa_jsonl(source: Path, folder: Path) -> Path:
    data = json.loads(source.read_text())
    path = folder / "pubmedqa.jsonl"
    with path.open("w") as out:
        for pmid, item in data.items():
            text = "\n\n".join(item["CONTEXTS"])
            record = {"id": pmid, "title": item["QUESTION"], "text": text, "language": "en"}
            out.write(json.dumps(record) + "\n")
    return path


def main() -> None:
    from bots.logs import configure_logging

    configure_logging()  # warnings only: the report goes to stdout
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    add_data_argument(parser)
    args = parser.parse_args()
    if (absent := missing(args.data, PUBMEDQA)) is not None:
        print(f"quickstart.py: {absent} not found: no ingestion rate; {PASS}", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="medgpt-bench-"))
    try:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["MEDGPT_DATA_DIR"] = str(work / "data")

        cold, cold_rss = _medgpt(["ask", QUESTIONS[0]], env)
        warm = [_medgpt(["ask", QUESTIONS[i % len(QUESTIONS)]], env) for i in range(args.runs)]
        os.environ["MEDGPT_DATA_DIR"] = env["MEDGPT_DATA_DIR"]
        os.environ.pop("DATABASE_URL", None)
        answers = asyncio.run(_in_process(args.runs))

        rate = ""
        if absent is None:
            jsonl = _pubmedqa_jsonl(args.data / PUBMEDQA, work)
            ingest_env = dict(env, MEDGPT_DATA_DIR=str(work / "ingest"))
            _medgpt(["ingest", "--demo"], ingest_env)  # database and model ready; not timed
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "bots.cli", "ingest", str(jsonl)],
                env=ingest_env,
                capture_output=True,
                text=True,
                check=True,
            )
            seconds = time.perf_counter() - start
            passages = int(done.stdout.split("(")[1].split()[0])
            per_second = passages / seconds
            rate = (
                "| ingestion, PubMedQA 1,000 abstracts (whole command) |"
                f" {passages} passages in {seconds:.1f} s = **{per_second:.1f} passages/s** |"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)

    warm_wall = statistics.median(w for w, _ in warm)
    median_ms = statistics.median(answers) * 1000
    p90_ms = statistics.quantiles(answers, n=10)[-1] * 1000
    peak = max(cold_rss, *(r for _, r in warm))
    print("| measure | value |\n|---|---|")
    print(f"| cold first run (`medgpt ask`, empty data dir) | **{cold:.1f} s** |")
    print(f"| warm `medgpt ask` (whole process, median of {args.runs}) | **{warm_wall:.2f} s** |")
    print(
        f"| warm answer in a running process (median of {len(answers)}) |"
        f" **{median_ms:.0f} ms** (p90 {p90_ms:.0f} ms) |"
    )
    print(f"| peak memory of `medgpt ask` (max RSS) | **{peak:.0f} MiB** |")
    if rate:
        print(rate)


if __name__ == "__main__":
    main()
