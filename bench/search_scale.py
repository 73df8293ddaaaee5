"""Hybrid search latency and HNSW recall as the corpus grows.

Usage: python bench/search_scale.py [--sizes 10000,100000] [--queries 200] [--real 3000]
                                    [--synthetic mixed|copies] [--ef-search 100] [--keep DIR]
Indexes real PubMedQA passages (contexts and long answers) with the local embedder, then grows
the corpus with synthetic passages, either
- mixed (default): each joins three sentences of three different real passages, and its vector
  is the normalised mean of the three sentences' own embeddings (every sentence of the real
  passages is embedded once): distinct texts, vectors spread like real ones; or
- copies: each copies a real passage's text and takes its embedding plus Gaussian noise (cosine
  ~0.93 to its source): every real passage gets a cluster of near-duplicates, and every text is
  repeated size / real times, a worst case for both the approximate index and full text.
For each size: the HNSW build time (the app's parameters), hybrid search latency (the
production query, k=10) over real PubMedQA questions, median and p99, one query at a time,
two passes (the first reads what is not cached yet), all back to back (after an untimed one)
before any exact search, which evicts the caches; then recall@10 of the vector arm as the app
runs it against exact search (sequential scan, same query), counting as a hit any result as
close as the 10th exact neighbour (ties); and the time of the evidence check's look-up of
the question's words that the passages lack (is any unknown to the corpus?). Embedded
PostgreSQL, vacuumed and analysed after loading as autovacuum would leave it: throw-away, or
with --keep kept in DIR, where a later run reuses a size already built (to study the slowest
questions, which each size lists, with EXPLAIN, or bench/search_study.py --phase tail; see
docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import asyncpg
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.embedders.local import LocalEmbedder
from adapters.postgres import database
from adapters.postgres.database import close_pool, open_pool
from adapters.postgres.embedded import EmbeddedPostgres
from adapters.postgres.store import PgCorpus, hnsw_index_sql
from bench.data import PUBMEDQA, add_data_argument, require
from bench.slack_overhead import _p99
from core.evidence import unmatched_words
from core.pipeline import HELD_PROBED
from core.ports import SearchQuery
from core.text import split_sentences

NOISE = 0.02  # per dimension; |noise| ~ 0.39 for 384 dimensions
_EXACT = """
SELECT p.id, p.embedding::vector({dim}) <=> $1::vector({dim}) AS distance
FROM passages p JOIN documents d ON d.id = p.document_id
WHERE d.retired_at IS NULL
ORDER BY p.embedding::vector({dim}) <=> $1::vector({dim}) LIMIT $2
"""


def real_texts(data: Path, limit: int) -> tuple[list[str], list[str]]:
    """(passages, questions) from PubMedQA."""
    records = json.loads((data / PUBMEDQA).read_text())
    passages: list[str] = []
    questions: list[str] = []
    for record in records.values():
        questions.append(record["QUESTION"])
        passages.extend(record["CONTEXTS"])
        passages.append(record["LONG_ANSWER"])
    return passages[:limit], questions


class Copies:
    """Noisy copies of the real passages' embeddings, with their texts."""

    def __init__(self, texts: list[str], vectors: np.ndarray) -> None:
        self.texts, self.vectors = texts, vectors

    def make(self, start: int, n: int, rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
        base = (start + np.arange(n)) % len(self.texts)
        noise = rng.normal(0, NOISE, (n, self.vectors.shape[1])).astype(np.float32)
        return [self.texts[int(b)] for b in base], self.vectors[base] + noise


class Mixed:
    """Three sentences of three different real passages, the mean of their embeddings."""

    def __init__(self, sentences: list[str], vectors: np.ndarray, owners: np.ndarray) -> None:
        self.sentences, self.vectors, self.owners = sentences, vectors, owners

    def make(self, start: int, n: int, rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
        picks = rng.integers(0, len(self.sentences), (n, 3))
        # Three different source passages: redraw the few picks that share one.
        same = (
            (self.owners[picks[:, 0]] == self.owners[picks[:, 1]])
            | (self.owners[picks[:, 1]] == self.owners[picks[:, 2]])
            | (self.owners[picks[:, 0]] == self.owners[picks[:, 2]])
        )
        picks[same] = rng.integers(0, len(self.sentences), (int(same.sum()), 3))
        texts = [" ".join(self.sentences[int(i)] for i in row) for row in picks]
        return texts, self.vectors[picks].mean(axis=1)


async def grow(
    pool: asyncpg.Pool, size: int, texts: list[str], vectors: np.ndarray, synthetic: Copies | Mixed
) -> None:
    """Add passages, ten per document, until the corpus holds `size`: the real ones first, then
    synthetic ones."""
    have = int(await pool.fetchval("SELECT count(*) FROM passages"))
    rng = np.random.default_rng(have)
    while have < size:
        n = min(20_000, size - have)
        real = max(0, min(n, len(texts) - have))
        made_texts, made = synthetic.make(have + real, n - real, rng)
        batch_texts = texts[have : have + real] + made_texts
        noisy = np.concatenate([vectors[have : have + real], made]).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        documents = await pool.fetch(
            "INSERT INTO documents (source_key, title, language, content_hash)"
            " SELECT 'bench:' || g, 'Bench ' || g, 'en', md5(g::text)"
            " FROM generate_series($1::bigint, $2::bigint) g RETURNING id",
            have // 10 + (1 if have % 10 else 0),
            (have + n - 1) // 10,
        )
        ids = [int(r["id"]) for r in documents]
        first = have // 10 + (1 if have % 10 else 0)
        rows = [
            (ids[(have + i) // 10 - first], (have + i) % 10, batch_texts[i], noisy[i])
            for i in range(n)
        ]
        async with pool.acquire() as conn:
            await conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS stage (document_id bigint, ordinal int,"
                " text text, embedding vector(384)); TRUNCATE stage"
            )
            await conn.copy_records_to_table(
                "stage", records=rows, columns=["document_id", "ordinal", "text", "embedding"]
            )
            await conn.execute(
                "INSERT INTO passages (document_id, ordinal, section_path, text, embedding, tsv)"
                " SELECT document_id, ordinal, '{}', text, embedding,"
                " setweight(to_tsvector('english', unaccent(text)), 'B') FROM stage"
            )
        have += n


async def run(
    sizes: list[int],
    ef_searches: list[int],
    n_queries: int,
    n_real: int,
    kind: str,
    keep: Path | None,
    data: Path,
) -> list[dict[str, float]]:
    embedder = LocalEmbedder()
    embedder.load()
    passages, questions = real_texts(data, n_real)
    started = time.perf_counter()
    vectors = np.asarray(await embedder.embed(passages), dtype=np.float32)
    embed_rate = len(passages) / (time.perf_counter() - started)
    synthetic: Copies | Mixed = Copies(passages, vectors)
    if kind == "mixed":
        pieces = [(s, i) for i, text in enumerate(passages) for s in split_sentences(text)]
        sentence_vectors = np.asarray(
            await embedder.embed([s for s, _ in pieces]), dtype=np.float32
        )
        owners = np.asarray([i for _, i in pieces])
        synthetic = Mixed([s for s, _ in pieces], sentence_vectors, owners)
    query_vectors = await embedder.embed(questions[: n_queries + 1])  # one more to warm up
    scratch = keep or Path(tempfile.mkdtemp(prefix="medgpt-scale-"))  # ~6 GB at 1M passages
    server = EmbeddedPostgres(scratch / "pgdata")
    dsn = await asyncio.to_thread(server.start)
    results = []
    try:
        pool = await open_pool(dsn)
        corpus = PgCorpus(pool, embedder.identity)
        await corpus.ensure_index()
        dim = embedder.identity.dimension
        for size in sizes:
            have = int(await pool.fetchval("SELECT count(*) FROM passages"))
            indexed = await pool.fetchval("SELECT to_regclass('passages_embedding_hnsw')")
            build_s = float("nan")  # kept from an earlier run
            if have != size or indexed is None:
                await pool.execute("DROP INDEX IF EXISTS passages_embedding_hnsw")
                await grow(pool, size, passages, vectors, synthetic)
                started = time.perf_counter()
                async with pool.acquire() as conn:
                    await conn.execute("SET maintenance_work_mem = '4GB'")
                    await conn.execute(hnsw_index_sql(dim))  # as the app builds it
                # Steady state, as autovacuum leaves it: statistics for the planner, the GIN
                # pending list merged, the visibility map set.
                await pool.execute("VACUUM ANALYZE passages")
                await pool.execute("VACUUM ANALYZE documents")
                build_s = time.perf_counter() - started
            for ef_search in ef_searches:
                # A pool's connections keep the settings it was opened with: a new pool each.
                database.HNSW_EF_SEARCH = ef_search
                corpus.read_pool = await open_pool(dsn)
                first, latencies, recalls = [], [], []
                queries = [
                    SearchQuery(question, vector, "en", 10)
                    for question, vector in zip(questions, query_vectors, strict=False)
                ]
                # Latency first, the searches back to back as a serving bot runs them: the
                # exact searches below read the whole table, evicting what the index searches
                # keep in memory (timed between them, p99 at 1M was twice as long). One search
                # first, untimed: a new connection's first query loads PostgreSQL's caches.
                warm_up, queries = queries[-1], queries[:-1]
                await corpus.search(warm_up)
                # Two passes: the first reads what is not in memory yet (after a restart, or
                # pages another job pushed out of the page cache); the second, the steady state.
                for timings in (first, latencies):
                    for query in queries:
                        started = time.perf_counter()
                        await corpus.search(query)
                        timings.append(time.perf_counter() - started)
                # The evidence check's look-up that follows a search when the passages lack
                # some of the question's words: how many passages of the corpus hold them?
                probes, probed = [], []
                for query in queries:
                    found = await corpus.search(query)
                    words = list(unmatched_words(query.text, found).values())
                    if words:
                        started = time.perf_counter()
                        await corpus.scarce_words(words, query.language, HELD_PROBED, 1.0)
                        probes.append(time.perf_counter() - started)
                        probed.append(words)
                slowest = sorted(range(len(probes)), key=probes.__getitem__)[-3:]
                print(
                    "slowest look-ups:",
                    "; ".join(f"{probed[i]} {probes[i] * 1000:.1f} ms" for i in slowest),
                )
                for query in queries:
                    vector_only = await corpus.search(replace(query, mode="vector"))
                    async with pool.acquire() as conn, conn.transaction():
                        await conn.execute("SET LOCAL enable_indexscan = off")
                        exact = await conn.fetch(_EXACT.format(dim=dim), query.embedding, 10)
                    # Near-duplicates tie: a result as close as the 10th exact one is a hit.
                    tenth = 1 - float(exact[-1]["distance"]) - 1e-6
                    hits = sum(1 for p in vector_only if p.similarity >= tenth)
                    recalls.append(min(hits, 10) / 10)
                await close_pool(corpus.read_pool)
                slowest = sorted(range(len(latencies)), key=latencies.__getitem__)[-3:]
                print(
                    "slowest questions:",
                    "; ".join(f"#{i} {latencies[i] * 1000:.0f} ms" for i in slowest),
                )
                results.append(
                    {
                        "passages": size,
                        "ef_search": ef_search,
                        "build_s": build_s,
                        "first_median_ms": statistics.median(first) * 1000,
                        "first_p99_ms": _p99(first) * 1000,
                        "median_ms": statistics.median(latencies) * 1000,
                        "p99_ms": _p99(latencies) * 1000,
                        "recall": statistics.mean(recalls),
                        "probed": len(probes),
                        "probe_median_ms": statistics.median(probes) * 1000 if probes else 0,
                        "probe_p99_ms": _p99(probes) * 1000 if probes else 0,
                        "embed_rate": embed_rate,
                    }
                )
                print(results[-1], flush=True)
        await close_pool(pool)
    finally:
        await asyncio.to_thread(server.stop)
        if keep is None:
            shutil.rmtree(scratch, ignore_errors=True)
    return results


def build(seconds: float) -> str:
    return "kept" if seconds != seconds else f"{seconds:.0f} s"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--ef-search", default="100", help="hnsw.ef_search values to compare")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--real", type=int, default=3000)
    parser.add_argument("--synthetic", choices=("mixed", "copies"), default="mixed")
    parser.add_argument("--keep", type=Path, help="keep (or reuse) the database in this folder")
    add_data_argument(parser)
    args = parser.parse_args()
    require(args.data, PUBMEDQA)
    sizes = [int(s) for s in args.sizes.split(",")]
    ef_searches = [int(e) for e in args.ef_search.split(",")]
    results = asyncio.run(
        run(sizes, ef_searches, args.queries, args.real, args.synthetic, args.keep, args.data)
    )
    print(f"\n{args.real} real passages embedded at {results[0]['embed_rate']:.0f} passages/s")
    print(
        "| passages | HNSW build | hnsw.ef_search | first pass: hybrid median | p99"
        " | second pass: hybrid median | p99 | vector recall@10 vs exact |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['passages']:,} | {build(r['build_s'])} | {r['ef_search']:.0f}"
            f" | {r['first_median_ms']:.1f} ms | {r['first_p99_ms']:.1f} ms"
            f" | {r['median_ms']:.1f} ms | {r['p99_ms']:.1f} ms | {r['recall']:.3f} |"
        )
    print("\n| passages | questions with an unknown-word look-up | its median | p99 |")
    print("|---|---|---|---|")
    for r in results:
        print(
            f"| {r['passages']:,} | {r['probed']} | {r['probe_median_ms']:.1f} ms"
            f" | {r['probe_p99_ms']:.1f} ms |"
        )


if __name__ == "__main__":
    main()
