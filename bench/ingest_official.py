"""Ingestion rate of the official French sources with the local embedder: passages per second.

Usage: python bench/ingest_official.py [--bdpm-limit 1500] [--bulk-below N] [--embed-batch N]
           [--data ../shared/data]
Runs the importers as `medgpt ingest --source …` does, into a throw-away embedded database: the
whole ANSM interaction thesaurus, then the first --bdpm-limit medicines of the BDPM (0: the
whole release, ~60,000 passages, 8 to 20 minutes on 2 cores). Reports documents, passages,
wall time and passages/s for each, and the share of the time spent embedding.
--bulk-below sets the store's BULK_IMPORT_BELOW: 0 keeps the vector index through every import,
as before 2026-11-28 (the HNSW graph grown passage by passage). --embed-batch sets the
passages per model call (`core.ingestion.EMBED_BATCH`; 128 before 2026-11-28).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.postgres import store
from adapters.sources import ansm, bdpm
from bench.data import BDPM, SUBSTANCES, THESAURUS, add_data_argument, require
from bench.database import throwaway_data_dir
from bots.settings import load_settings
from bots.wiring import build_app
from core import ingestion


class TimedEmbedder:
    """The app's embedder with a stopwatch."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.seconds = 0.0

    @property
    def identity(self) -> object:
        return self.inner.identity  # type: ignore[attr-defined]

    def chunk_budget(self) -> object:
        return self.inner.chunk_budget()  # type: ignore[attr-defined]

    async def embed(self, texts: list[str]) -> list[list[float]]:
        started = time.perf_counter()
        try:
            return await self.inner.embed(texts)  # type: ignore[attr-defined,no-any-return]
        finally:
            self.seconds += time.perf_counter() - started


async def run(data: Path, bdpm_limit: int | None) -> list[tuple[str, int, int, float, float]]:
    sources = [
        (
            "ANSM interaction thesaurus (whole)",
            lambda: ansm.read_thesaurus(data / THESAURUS, data / SUBSTANCES),
        ),
        (
            f"BDPM ({bdpm_limit or 'all'} medicines)",
            lambda: bdpm.read_release(data / BDPM, bdpm_limit),
        ),
    ]
    rows = []
    async with build_app(load_settings()) as app:
        await app.embedder.embed(["warm-up"])
        for name, records in sources:
            timed = TimedEmbedder(app.embedder)
            app.embedder = timed  # type: ignore[assignment]
            started = time.perf_counter()
            report = await app.ingestor().ingest(records())
            wall = time.perf_counter() - started
            app.embedder = timed.inner  # type: ignore[assignment]
            documents = report.added + report.replaced
            rows.append((name, documents, report.passages, wall, timed.seconds))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bdpm-limit", type=int, default=1500)
    parser.add_argument("--bulk-below", type=int, default=store.BULK_IMPORT_BELOW)
    parser.add_argument("--embed-batch", type=int, default=ingestion.EMBED_BATCH)
    add_data_argument(parser)
    args = parser.parse_args()
    store.BULK_IMPORT_BELOW = args.bulk_below
    ingestion.EMBED_BATCH = args.embed_batch
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("EMBEDDINGS_URL", None)
    with throwaway_data_dir("medgpt-ingest-bench-"):
        rows = asyncio.run(
            run(require(args.data, THESAURUS, SUBSTANCES, BDPM), args.bdpm_limit or None)
        )
    print("| source | documents | passages | wall time | passages/s | embedding share |")
    print("|---|---|---|---|---|---|")
    for name, documents, passages, wall, embedding in rows:
        print(
            f"| {name} | {documents:,} | {passages:,} | {wall:.0f} s | {passages / wall:.0f}"
            f" | {embedding / wall:.0%} |"
        )


if __name__ == "__main__":
    main()
