"""The vector arm's exact search of small sources (adapters.postgres.store.EXACT_BELOW), on an
imported corpus: for the answerable chat-set questions, how often the labelled document is
among the first k passages of the vector arm alone, and how long a hybrid search takes, with the
small sources searched exactly below each threshold (0: the HNSW graph only). The thresholds
run interleaved, question by question, on the same warm server.

Usage (a data directory that `medgpt eval chat --corpus whole --bdpm whole` has imported):
  MEDGPT_DATA_DIR=/path/to/data .venv/bin/python bench/small_sources.py [--below 0,1000,5000]
      [--split dev|test|all] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.postgres.store import PgCorpus
from bots.settings import load_settings
from bots.wiring import build_app
from core.ports import SearchQuery
from evaluation.chat import document_key
from evaluation.questions import SET, load


async def main(args: argparse.Namespace) -> None:
    thresholds = [int(t) for t in args.below.split(",")]
    questions = [
        q
        for q in load(SET)
        if q.answerable and (args.split == "all" or q.split == args.split) and q.expected
    ]
    async with build_app(load_settings()) as app:
        base = app.corpus
        keys = {
            r["id"]: document_key(r["source_key"])
            for r in await app.pool.fetch("SELECT id, source_key FROM documents")
        }
        documents, passages = await base.counts(searched=True)
        corpora = {
            t: PgCorpus(base.pool, base.identity, read_pool=base.read_pool, exact_below=t)
            for t in thresholds
        }
        vectors = await app.pipeline.embedder.embed([q.question for q in questions])
        found = {t: 0 for t in thresholds}
        took: dict[int, list[float]] = {t: [] for t in thresholds}
        for t in thresholds:  # each reads its small sources once, before the timed rounds
            await corpora[t].search(SearchQuery("x", list(vectors[0]), "fr", 6))
        for round_ in range(args.rounds):
            for q, vector in zip(questions, vectors, strict=True):
                for t in thresholds:
                    query = SearchQuery(q.question, list(vector), q.language, args.k)
                    start = time.perf_counter()
                    await corpora[t].search(query)
                    took[t].append((time.perf_counter() - start) * 1000)
                    if round_ == 0:
                        vector_only = SearchQuery(
                            q.question, list(vector), q.language, args.k, mode="vector"
                        )
                        hits = await corpora[t].search(vector_only)
                        found[t] += any(keys.get(p.document_id) in q.answers for p in hits)
    print(f"{documents} documents, {passages} passages; {len(questions)} questions ({args.split})")
    print(
        f"| below | labelled document in the vector arm's first {args.k} | hybrid search, "
        "median ms | p95 ms |"
    )
    print("|---|---|---|---|")
    for t in thresholds:
        times = sorted(took[t])
        p95 = times[int(0.95 * (len(times) - 1))]
        share = found[t] / len(questions)
        print(
            f"| {t} | {share:.0%} ({found[t]}/{len(questions)}) "
            f"| {statistics.median(times):.1f} | {p95:.1f} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--below", default="0,1000,5000")
    parser.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--k", type=int, default=6)
    asyncio.run(main(parser.parse_args()))
