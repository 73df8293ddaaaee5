"""The first questions after a cold start, with and without the corpus warm-up a bot runs.

Usage: python bench/cold_start.py [--pgdata /tmp/scale1m/pgdata] [--queries 100] [--rounds 2]
                                  [--starts none,beside,after] [--page-cache drop|keep]
                                  [--interval-ms 0]
Works on a corpus kept by `bench/search_scale.py --keep DIR` (DIR/pgdata). Each round, for each
way of starting, the database's files are first dropped from the operating system's page cache
(as after a reboot; Linux; `--page-cache keep` leaves them, as when only the bot and its
embedded server restart), then the embedded server starts and PubMedQA questions are searched
one at a time (back to back, or `--interval-ms` apart, each timed from when it starts): the
search alone, as `PgCorpus.search` runs it, k = 10, the questions embedded beforehand:
- none: no warm-up;
- beside: the warm-up a bot runs (`PgCorpus.prewarm`, budget as `MEDGPT_PREWARM_MB` or half
  this machine's memory) in the background, the questions arriving at once;
- after: the questions once the warm-up is over (its duration reported).
Reports each start's median and p99 search latency, and the time from the pool's opening to the
last answer. The ways of starting alternate within each round.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.embedders.local import LocalEmbedder
from adapters.postgres.database import close_pool, open_pool
from adapters.postgres.embedded import EmbeddedPostgres
from adapters.postgres.store import PgCorpus
from bench.data import PUBMEDQA, add_data_argument, require
from bench.search_scale import real_texts
from bench.slack_overhead import _p99
from bots.settings import load_settings
from bots.wiring import prewarm_budget
from core.ports import SearchQuery

STARTS = ("none", "beside", "after")


def drop_from_page_cache(folder: Path) -> None:
    """Ask the kernel to forget the files' cached pages: written first (the server is stopped),
    since only clean pages go."""
    for root, _, files in os.walk(folder):
        for name in files:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


async def one_start(
    pgdata: Path,
    start: str,
    queries: list[SearchQuery],
    embedder: LocalEmbedder,
    budget: int,
    drop: bool,
    interval_s: float,
) -> dict[str, float]:
    if drop:
        drop_from_page_cache(pgdata)
    server = EmbeddedPostgres(pgdata)
    dsn = await asyncio.to_thread(server.start)
    try:
        opened = time.perf_counter()
        pool = await open_pool(dsn)
        corpus = PgCorpus(pool, embedder.identity)
        warming = asyncio.create_task(corpus.prewarm(budget)) if start != "none" else None
        if warming is not None and start == "after":
            await warming
        latencies = []
        first_at = time.perf_counter()
        for i, query in enumerate(queries):
            # One question every `interval_s` (none waits for the one before it to be late).
            await asyncio.sleep(max(0.0, first_at + i * interval_s - time.perf_counter()))
            started = time.perf_counter()
            await corpus.search(query)
            latencies.append(time.perf_counter() - started)
        answered_s = time.perf_counter() - opened
        slowest = sorted(range(len(latencies)), key=latencies.__getitem__)[-3:]
        print(start, "slowest:", ", ".join(f"#{i} {latencies[i] * 1000:.0f} ms" for i in slowest))
        done = await warming if warming is not None else None
        assert warming is None or done is not None, "pg_prewarm is not available"
        await close_pool(pool)
    finally:
        await asyncio.to_thread(server.stop)
    return {
        "median_ms": statistics.median(latencies) * 1000,
        "p99_ms": _p99(latencies) * 1000,
        "answered_s": answered_s,
        "warm_s": done.seconds if done else float("nan"),
        "warmed_mb": done.bytes / 1e6 if done else 0.0,
    }


async def run(
    pgdata: Path,
    n_queries: int,
    rounds: int,
    starts: list[str],
    drop: bool,
    interval_s: float,
    data: Path,
) -> list[tuple[str, dict[str, float]]]:
    embedder = LocalEmbedder()
    embedder.load()
    _, questions = real_texts(data, 0)
    vectors = await embedder.embed(questions[:n_queries])
    queries = [SearchQuery(q, v, "en", 10) for q, v in zip(questions, vectors, strict=False)]
    budget = prewarm_budget(load_settings())
    results = []
    for _ in range(rounds):
        for start in starts:
            results.append(
                (start, await one_start(pgdata, start, queries, embedder, budget, drop, interval_s))
            )
            print(start, results[-1], flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pgdata", type=Path, default=Path("/tmp/scale1m/pgdata"))
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--starts", default=",".join(STARTS), help="ways of starting, in order")
    parser.add_argument(
        "--page-cache",
        choices=("drop", "keep"),
        default="drop",
        help="keep: the files stay cached, as when only the bot and its embedded server restart",
    )
    parser.add_argument(
        "--interval-ms",
        type=float,
        default=0.0,
        help="one question every this many ms (0: back to back, the worst case for the warm-up)",
    )
    add_data_argument(parser)
    args = parser.parse_args()
    require(args.data, PUBMEDQA)
    if not (args.pgdata / "PG_VERSION").exists():
        parser.error(f"no database in {args.pgdata}: build one with bench/search_scale.py --keep")
    starts = args.starts.split(",")
    drop = args.page_cache == "drop"
    results = asyncio.run(
        run(
            args.pgdata,
            args.queries,
            args.rounds,
            starts,
            drop,
            args.interval_ms / 1000,
            args.data,
        )
    )
    print("\n| start | search median | p99 | last answer after | warm-up (read) |")
    print("|---|---|---|---|---|")
    for start, r in results:
        warm = "—" if start == "none" else f"{r['warm_s']:.1f} s ({r['warmed_mb']:,.0f} MB)"
        print(
            f"| {start} | {r['median_ms']:.1f} ms | {r['p99_ms']:.1f} ms"
            f" | {r['answered_s']:.1f} s | {warm} |"
        )


if __name__ == "__main__":
    main()
