"""Time the quickstart and ingestion on this machine; print a Markdown report.

Usage: python bench/quickstart.py [--runs 5] [--data ../shared/data] [--no-ingestion]

- cold first run: `medgpt ask` with an empty data directory (initdb, migrations, model load,
  demo corpus indexing, answer), which leaves the data directory's resident answerer running;
- warm `medgpt ask`: the same command again, whole process, answered by that resident; and,
  alternating with it, with the resident off (MEDGPT_RESIDENT_IDLE_S=0: the process loads
  everything itself, as every `ask` did before the resident);
- warm answer in a long-lived process (`medgpt chat`, a bot): pipeline.answer() alone;
- ingestion rate: PubMedQA abstracts as JSON Lines through `medgpt ingest`, passages/s (left
  out, with a line saying so, when the release is not under --data);
- peak memory: the resident's (its high-water mark, the first run's indexing included) and that
  of each kind of `medgpt ask` process (max RSS).
Every figure comes from this one run; medians over --runs repetitions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
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
    """(wall seconds, max RSS in MiB) of one `medgpt` process (not of a resident it starts)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "bots.cli", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in (0, 1):
            err.seek(0)
            raise SystemExit(f"medgpt {args} failed: {err.read().decode()}")
    return wall, usage.ru_maxrss / 1024


def _resident_peak(data_dir: Path) -> float:
    """The resident's peak memory (VmHWM), MiB; it is then stopped, by its PID."""
    from bots import resident

    pid = resident.pid(data_dir)
    if pid is None:
        raise SystemExit("no resident answered: was MEDGPT_RESIDENT_IDLE_S 0?")
    status = Path(f"/proc/{pid}/status").read_text()
    peak = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
    os.kill(pid, signal.SIGTERM)
    while resident.pid(data_dir) is not None:  # it has stopped its database too
        time.sleep(0.1)
    return peak / 1024


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
    parser.add_argument("--no-ingestion", action="store_true", help="leave out the ingestion rate")
    add_data_argument(parser)
    args = parser.parse_args()
    if (absent := missing(args.data, PUBMEDQA)) is not None:
        print(f"quickstart.py: {absent} not found: no ingestion rate; {PASS}", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="medgpt-bench-"))
    try:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(MEDGPT_DATA_DIR=str(work / "data"), MEDGPT_RESIDENT_IDLE_S="600")
        alone_env = dict(env, MEDGPT_RESIDENT_IDLE_S="0")

        cold, cold_rss = _medgpt(["ask", QUESTIONS[0]], env)
        warm, alone = [], []
        for i in range(args.runs):  # alternating: both see the same load on a shared machine
            question = QUESTIONS[i % len(QUESTIONS)]
            warm.append(_medgpt(["ask", question], env))
            alone.append(_medgpt(["ask", question], alone_env))
        resident_peak = _resident_peak(work / "data")
        os.environ["MEDGPT_DATA_DIR"] = env["MEDGPT_DATA_DIR"]
        os.environ.pop("DATABASE_URL", None)
        answers = asyncio.run(_in_process(args.runs))

        rate = ""
        if absent is None and not args.no_ingestion:
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
        from bots import resident

        if (pid := resident.pid(work / "data")) is not None:  # the run failed midway
            os.kill(pid, signal.SIGTERM)
        shutil.rmtree(work, ignore_errors=True)

    warm_wall = statistics.median(w for w, _ in warm)
    alone_wall = statistics.median(w for w, _ in alone)
    median_ms = statistics.median(answers) * 1000
    p90_ms = statistics.quantiles(answers, n=10)[-1] * 1000
    client = max(cold_rss, *(r for _, r in warm))
    print("| measure | value |\n|---|---|")
    print(f"| cold first run (`medgpt ask`, empty data dir) | **{cold:.1f} s** |")
    print(
        f"| warm `medgpt ask`, resident running (whole process, median of {args.runs}) |"
        f" **{warm_wall:.2f} s** |"
    )
    print(
        f"| warm `medgpt ask`, no resident (`MEDGPT_RESIDENT_IDLE_S=0`, median of {args.runs}) |"
        f" **{alone_wall:.2f} s** |"
    )
    print(
        f"| warm answer in a running process (median of {len(answers)}) |"
        f" **{median_ms:.0f} ms** (p90 {p90_ms:.0f} ms) |"
    )
    print(
        f"| peak memory of the resident (VmHWM, first run included) | **{resident_peak:.0f} MiB** |"
    )
    print(
        f"| peak memory of a `medgpt ask` process handing over to it (max RSS) | {client:.0f} MiB |"
    )
    print(
        f"| peak memory of a `medgpt ask` process without a resident (max RSS) |"
        f" {max(r for _, r in alone):.0f} MiB |"
    )
    if rate:
        print(rate)


if __name__ == "__main__":
    main()
