"""Study of the 100k-passage search: HNSW recall (settings, build parameters, the measure itself)
and the full-text arm's tail latency. One database for all variants, kept between runs.

Usage:
  python bench/search_study.py --phase build   # embed, load 100k passages (bench/search_scale.py
                                               # generator), default HNSW index, VACUUM ANALYZE
  python bench/search_study.py --phase settings  # do SET values survive the pool? (RESET ALL)
  python bench/search_study.py --phase recall [--builds 16:64,16:200,32:64,32:200]
  python bench/search_study.py --phase fts [--questions 500]
  python bench/search_study.py --phase tail --pgdata DIR/pgdata --variants zero,unlisted,store
      [--questions 400]
      # the full-text arm at 1M passages, on a corpus kept by bench/search_scale.py --keep DIR;
      # --variants one,arms,store: one statement against the store's two arms at once
The server is stopped at the end of every phase; the data directory (--pgdata) is reused.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

import asyncpg
import numpy as np
from pgvector.asyncpg import register_vector

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.postgres import database, store
from adapters.postgres.database import close_pool, open_pool
from adapters.postgres.embedded import EmbeddedPostgres
from adapters.postgres.store import PgCorpus
from bench.data import PUBMEDQA, add_data_argument, require
from bench.search_scale import grow, real_texts
from core.ports import EmbedderIdentity, SearchQuery

DIM = 384
IDENTITY = EmbedderIdentity(
    "sentence-transformers/all-MiniLM-L6-v2",
    DIM,
    "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
)

_VEC = """
SELECT id, distance FROM (
  SELECT p.id, p.embedding::vector(384) <=> $1::vector(384) AS distance
  FROM passages p JOIN documents d ON d.id = p.document_id
  WHERE d.retired_at IS NULL
    AND ($3::text[] IS NULL OR d.language = ANY($3))
    AND ($4::text[] IS NULL OR d.publisher = ANY($4))
  ORDER BY p.embedding::vector(384) <=> $1::vector(384)
  LIMIT $2) nearest
ORDER BY distance, id LIMIT 10
"""


def p99(xs: list[float]) -> float:
    return float(np.percentile(xs, 99))


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(xs, q))


async def embeddings(args):
    cache, n_questions = args.cache, args.questions
    passages, questions = real_texts(args.data, args.real)
    questions = questions[:n_questions]
    if cache.exists():
        z = np.load(cache)
        if len(z["p"]) == len(passages) and len(z["q"]) >= len(questions):
            return passages, questions, z["p"], z["q"][: len(questions)]
    from adapters.embedders.local import LocalEmbedder

    embedder = LocalEmbedder()
    embedder.load()
    t = time.perf_counter()
    pv = np.asarray(await embedder.embed(passages), dtype=np.float32)
    print(f"embedded {len(passages)} passages at {len(passages) / (time.perf_counter() - t):.0f}/s")
    qv = np.asarray(await embedder.embed(questions), dtype=np.float32)
    np.savez(cache, p=pv, q=qv)
    return passages, questions, pv, qv


async def build(pool: asyncpg.Pool, m: int, efc: int) -> tuple[float, int]:
    await pool.execute("DROP INDEX IF EXISTS passages_embedding_hnsw")
    t = time.perf_counter()
    async with pool.acquire() as conn:
        await conn.execute("SET maintenance_work_mem = '2GB'")
        await conn.execute(
            "CREATE INDEX passages_embedding_hnsw ON passages USING"
            f" hnsw ((embedding::vector({DIM})) vector_cosine_ops)"
            f" WITH (m = {m}, ef_construction = {efc})"
        )
    took = time.perf_counter() - t
    size = await pool.fetchval("SELECT pg_relation_size('passages_embedding_hnsw')")
    return took, int(size)


async def phase_build(dsn: str, args) -> None:
    passages, _, pv, _ = await embeddings(args)
    pool = await open_pool(dsn)
    await PgCorpus(pool, IDENTITY).ensure_index()
    await pool.execute("DROP INDEX IF EXISTS passages_embedding_hnsw")
    t = time.perf_counter()
    await grow(pool, args.size, passages, pv)
    print(f"loaded {args.size} passages in {time.perf_counter() - t:.0f} s")
    took, size = await build(pool, 16, 64)
    print(f"HNSW m=16 ef_construction=64: {took:.1f} s, {size / 2**20:.0f} MiB")
    await pool.execute("VACUUM ANALYZE passages")
    await pool.execute("VACUUM ANALYZE documents")
    await close_pool(pool)


async def phase_settings(dsn: str, args) -> None:
    """What the bench's ef_search switch reaches: SHOW from corpus.search's pool after each
    search, with the pool as the bench opened it (SET in init) and with the fix (startup
    parameters)."""
    _, questions, _, qv = await embeddings(args)
    show = "SELECT current_setting('hnsw.ef_search') e, current_setting('hnsw.iterative_scan') i"

    async def probe(pool: asyncpg.Pool, label: str) -> None:
        corpus = PgCorpus(pool, IDENTITY)
        seen = []
        for q, v in zip(questions[:4], qv[:4], strict=True):
            await corpus.search(SearchQuery(q, list(v), "en", 10))
            row = await pool.fetchrow(show)
            seen.append(f"{row['e']}/{row['i']}")
        print(f"{label}: ef_search/iterative_scan after searches 1-4: {seen}")

    # As on main: SET in the pool's init; then the bench's switch to 100.
    database.HNSW_EF_SEARCH = 40
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1, init=_main_init)
    await probe(pool, "main (SET in init), ef 40")
    database.HNSW_EF_SEARCH = 100
    await pool.expire_connections()
    await probe(pool, "main (SET in init), after HNSW_EF_SEARCH=100 + expire_connections")
    await pool.close()
    pool = await open_pool(dsn, max_size=1)
    await probe(pool, "fixed (server_settings), ef 100")
    await close_pool(pool)
    database.HNSW_EF_SEARCH = 40


async def _main_init(conn: asyncpg.Connection) -> None:
    await register_vector(conn)
    await conn.execute("SET hnsw.iterative_scan = relaxed_order")
    await conn.execute(f"SET hnsw.ef_search = {int(database.HNSW_EF_SEARCH)}")


def _np(v):
    return v.to_numpy() if hasattr(v, "to_numpy") else v


async def corpus_arrays(pool: asyncpg.Pool):
    rows = await pool.fetch("SELECT id, md5(text) h, embedding FROM passages ORDER BY id")
    ids = np.array([r["id"] for r in rows], dtype=np.int64)
    hashes = {}
    source = np.array([hashes.setdefault(r["h"], len(hashes)) for r in rows], dtype=np.int64)
    emb = np.stack([np.asarray(_np(r["embedding"]), dtype=np.float64) for r in rows])
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    return ids, source, emb


async def phase_recall(dsn: str, args) -> None:
    _, questions, _, qv = await embeddings(args)
    qv = qv[: args.recall_queries]
    admin = await open_pool(dsn, max_size=2)
    ids, source, emb = await corpus_arrays(admin)
    src_of = dict(zip(ids.tolist(), source.tolist(), strict=True))
    q64 = qv.astype(np.float64) / np.linalg.norm(qv, axis=1, keepdims=True)
    sims = q64 @ emb.T  # exact cosine, float64
    order = np.argsort(-sims, axis=1, kind="stable")[:, :11]
    exact_ids = ids[order[:, :10]]
    tenth = sims[np.arange(len(qv))[:, None], order[:, 9:10]][:, 0]
    eleventh = sims[np.arange(len(qv))[:, None], order[:, 10:11]][:, 0]
    distinct_sources = [len(set(source[o[:10]].tolist())) for o in order]
    # Near-duplicates of the query's best passage: copies of the first exact hit's text.
    n_copies_top = [int((source == source[o[0]]).sum()) for o in order]
    print(
        f"exact top-10 (float64, numpy): distinct source texts median"
        f" {statistics.median(distinct_sources)}, min {min(distinct_sources)};"
        f" gap 10th-11th similarity median {statistics.median(tenth - eleventh):.5f},"
        f" min {min(tenth - eleventh):.6f}; copies of the best text median"
        f" {statistics.median(n_copies_top)}"
    )
    # The bench's exact query (sequential scan in PostgreSQL) against numpy float64.
    agree, tenth_diff = 0, []
    async with admin.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL enable_indexscan = off")
        for i in range(min(50, len(qv))):
            rows = await conn.fetch(_VEC, list(qv[i]), 10, None, None)
            agree += len({r["id"] for r in rows} & set(exact_ids[i].tolist()))
            tenth_diff.append(abs((1 - rows[-1]["distance"]) - tenth[i]))
    print(
        f"PostgreSQL exact vs numpy float64: {agree / (10 * min(50, len(qv))):.4f} id agreement,"
        f" max |10th similarity difference| {max(tenth_diff):.2e}"
    )

    def score(found: list[list[int]], dists: list[list[float]]) -> dict[str, float]:
        idr, tie, src = [], [], []
        for i, (f, d) in enumerate(zip(found, dists, strict=True)):
            idr.append(len(set(f) & set(exact_ids[i].tolist())) / 10)
            tie.append(min(sum(1 for x in d if 1 - x >= tenth[i] - 1e-6), 10) / 10)
            want = {src_of[j] for j in exact_ids[i].tolist()}
            src.append(len({src_of[j] for j in f} & want) / len(want))
        return {
            "id_recall": statistics.mean(idr),
            "bench_recall": statistics.mean(tie),
            "text_recall": statistics.mean(src),
        }

    builds = [tuple(int(x) for x in b.split(":")) for b in args.builds.split(",")]
    results = []
    for m, efc in builds:
        took, size = await build(admin, m, efc)
        print(
            f"build m={m} ef_construction={efc}: {took:.1f} s, {size / 2**20:.0f} MiB", flush=True
        )
        for it in ["off", "relaxed_order", "strict_order"]:
            for ef in [40, 100, 200, 400]:
                # Custom plans only: after five executions PostgreSQL may switch a prepared
                # statement to its generic plan, which (LIMIT unknown) is an exact sequential
                # scan, ~500 ms here; with ef_search >= 200 it does (see the report).
                settings = {
                    "hnsw.ef_search": str(ef),
                    "hnsw.iterative_scan": it,
                    "plan_cache_mode": "force_custom_plan",
                }
                pool = await asyncpg.create_pool(
                    dsn, min_size=1, max_size=1, init=register_vector, server_settings=settings
                )
                plan = "\n".join(
                    r[0] for r in await pool.fetch("EXPLAIN " + _VEC, list(qv[0]), 40, None, None)
                )
                planner_hnsw = "Index Scan using passages_embedding_hnsw" in plan
                if not planner_hnsw:  # the planner chose an exact scan: force the index
                    await pool.close()
                    pool = await asyncpg.create_pool(
                        dsn,
                        min_size=1,
                        max_size=1,
                        init=register_vector,
                        server_settings={**settings, "enable_seqscan": "off"},
                    )
                    plan = "\n".join(
                        r[0]
                        for r in await pool.fetch("EXPLAIN " + _VEC, list(qv[0]), 40, None, None)
                    )
                    assert "Index Scan using passages_embedding_hnsw" in plan, plan
                plan = f" planner picks HNSW: {planner_hnsw}"
                found, dists, lat = [], [], []
                for v in qv:
                    t = time.perf_counter()
                    rows = await pool.fetch(
                        _VEC, list(v), 10 * store.CANDIDATES_PER_RESULT, None, None
                    )
                    lat.append(time.perf_counter() - t)
                    found.append([r["id"] for r in rows])
                    dists.append([r["distance"] for r in rows])
                await pool.close()
                r = {
                    "m": m,
                    "efc": efc,
                    "iterative": it,
                    "ef": ef,
                    **score(found, dists),
                    "planner_hnsw": planner_hnsw,
                    "vec_median_ms": statistics.median(lat) * 1000,
                    "build_s": took,
                }
                results.append(r)
                print(
                    f"  {it:13s} ef={ef:3d}: id recall {r['id_recall']:.3f}, bench recall"
                    f" {r['bench_recall']:.3f}, text recall {r['text_recall']:.3f},"
                    f" vec arm median {r['vec_median_ms']:.1f} ms{plan}",
                    flush=True,
                )
        if (m, efc) == builds[0]:
            # The vector mode through the store's search (as the bench measures) against the
            # vector arm alone: same ids, same order?
            pool = await open_pool(dsn, max_size=1)
            corpus = PgCorpus(pool, IDENTITY)
            same, same_set = 0, 0
            for i, v in enumerate(qv):
                got = await corpus.search(
                    SearchQuery(questions[i], list(v), "en", 10, mode="vector")
                )
                arm = await pool.fetch(_VEC, list(v), 40, None, None)
                same += [p.passage_id for p in got] == [r["id"] for r in arm]
                same_set += {p.passage_id for p in got} == {r["id"] for r in arm}
            print(
                f"  fused vector mode == vector arm alone: order {same}/{len(qv)}, set {same_set}/{len(qv)}"  # noqa: E501
            )
            await close_pool(pool)
    if builds[-1] != (16, 64):
        await build(admin, 16, 64)
    await admin.close()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "recall.json").write_text(json.dumps(results, indent=1))


# --- Full-text arm variants -------------------------------------------------------------------

# The production query before this study (commit 2b9eeea), the baseline of every comparison;
# the variant `store` is the one statement of 2441c38 (one_statement() below).
_SEARCH_BEFORE = """
WITH terms AS (
    -- The question's lexemes (stemmed in its language), the longest (rarest) first, bounded.
    SELECT plainto_tsquery('simple', lexeme) AS t
    FROM unnest(tsvector_to_array(to_tsvector($2::regconfig, unaccent($3)))) AS lexeme
    ORDER BY length(lexeme) DESC, lexeme
    LIMIT {max_terms}
), q AS (
    -- Candidates hold at least two of the question's terms (any pair; a one-word question
    -- matches on its word), then rank by all the terms. Matching on any one term made the
    -- full-text arm rank almost the whole corpus.
    SELECT $1::vector({dim}) AS v,
           coalesce((SELECT tsquery_any(a.t && b.t) FROM terms a JOIN terms b
                     ON a.t::text < b.t::text),
                    (SELECT tsquery_any(t) FROM terms)) AS tq,
           (SELECT tsquery_any(t) FROM terms) AS tr
), vec AS (
    SELECT id, row_number() OVER (ORDER BY distance) AS r
    FROM (SELECT p.id, p.embedding::vector({dim}) <=> $1::vector({dim}) AS distance
          FROM passages p JOIN documents d ON d.id = p.document_id
          WHERE d.retired_at IS NULL
            AND ($5::text[] IS NULL OR d.language = ANY($5))
            AND ($6::text[] IS NULL OR d.publisher = ANY($6))
          -- The parameter itself, not q.v: an index can only order by a value known when
          -- the scan starts; ordering by a column of the CTE forces a full scan and sort.
          ORDER BY p.embedding::vector({dim}) <=> $1::vector({dim})
          LIMIT $4 * {candidates}) nearest
), fts AS (
    SELECT id, rank, row_number() OVER (ORDER BY rank DESC) AS r
    FROM (SELECT p.id, ts_rank_cd(p.tsv, q.tr) AS rank
          FROM passages p JOIN documents d ON d.id = p.document_id, q
          WHERE p.tsv @@ q.tq AND d.retired_at IS NULL
            AND ($5::text[] IS NULL OR d.language = ANY($5))
            AND ($6::text[] IS NULL OR d.publisher = ANY($6))
          ORDER BY rank DESC
          LIMIT $4 * {candidates}) matching
), fused AS (
    SELECT coalesce(vec.id, fts.id) AS id,
           $7::float8 * coalesce(1.0 / ({rrf} + vec.r), 0)
             + $8::float8 * coalesce(1.0 / ({rrf} + fts.r), 0) AS score,
           coalesce(fts.rank, 0) AS text_rank
    FROM vec FULL JOIN fts ON vec.id = fts.id
)
SELECT p.id, p.document_id, p.text, p.section_path,
       1 - (p.embedding::vector({dim}) <=> q.v) AS similarity, f.text_rank, f.score,
       d.title, d.publisher, d.url, d.language, d.published, d.reviewed, d.licence, d.version,
       d.source_title, d.is_demo, d.content_hash
FROM fused f JOIN passages p ON p.id = f.id JOIN documents d ON d.id = p.document_id, q
WHERE f.score > 0
ORDER BY f.score DESC, p.id
LIMIT $4
"""


def one_statement() -> str:
    """The hybrid search as one statement, both arms in one backend, as the store ran it until
    commit 2441c38 (2026-11-27): the store's full-text rules (its text arm's CTEs), then both
    arms and the fusion in SQL as _SEARCH_BEFORE has them. The variants "store", "zero" and
    "unlisted" edit it; the store now runs the two arms at once ("arms", --phase tail)."""
    head = store._TEXT_ARM.split("\n)\nSELECT p.id, ts_rank_cd", 1)[0]
    for before, after in (
        ("to_tsvector($5::regconfig, unaccent($1))", "to_tsvector($2::regconfig, unaccent($3))"),
        ("SELECT coalesce((SELECT", "SELECT $1::vector({dim}) AS v, coalesce((SELECT"),
    ):
        assert head.count(before) == 1
        head = head.replace(before, after)
    return head + "\n), vec AS (" + _SEARCH_BEFORE.split("), vec AS (", 1)[1]


_TERMS_STATS = """
WITH stats AS (
    SELECT e.elem, e.freq
    FROM pg_stats s, unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs)
         AS e(elem, freq)
    WHERE s.schemaname = current_schema() AND s.tablename = 'passages' AND s.attname = 'tsv'
      AND e.elem IS NOT NULL
), terms AS (
    SELECT plainto_tsquery('simple', lexeme) AS t, coalesce(st.freq, 0) AS freq
    FROM unnest(tsvector_to_array(to_tsvector($2::regconfig, unaccent($3)))) AS lexeme
    LEFT JOIN stats st ON st.elem = lexeme
    ORDER BY length(lexeme) DESC, lexeme
    LIMIT {max_terms}
), pairs AS (
    SELECT a.t && b.t AS t, least(a.freq, b.freq) AS freq
    FROM terms a JOIN terms b ON a.t::text < b.t::text
), q AS (
    SELECT $1::vector({dim}) AS v,
           coalesce((SELECT tsquery_any(t) FROM pairs WHERE freq < {common}),
                    (SELECT t FROM pairs ORDER BY freq, t::text LIMIT 1),
                    (SELECT tsquery_any(t) FROM terms)) AS tq,
           (SELECT tsquery_any(t) FROM terms) AS tr
), vec AS ("""


def variant_sql(name: str) -> str:
    if name == "store":
        return one_statement()
    sql = _SEARCH_BEFORE
    if name.startswith("stats"):
        common = float(name.split("@")[1].split("+")[0])
        tail = sql.split("), vec AS (", 1)[1]
        sql = _TERMS_STATS.replace("{common}", repr(common)) + tail
    if "cap" in name:
        cap = int(name.split("cap")[1])
        sql = sql.replace(
            "FROM passages p JOIN documents d ON d.id = p.document_id, q\n"
            "          WHERE p.tsv @@ q.tq AND d.retired_at IS NULL",
            "FROM (SELECT p.id, p.tsv, p.document_id FROM passages p, q WHERE p.tsv @@ q.tq"
            f" LIMIT {cap}) p JOIN documents d ON d.id = p.document_id, q\n"
            "          WHERE d.retired_at IS NULL",
        )
        assert f"LIMIT {cap})" in sql
    return sql


def count_sql(search_sql: str) -> str:
    head = search_sql.split("), vec AS (", 1)[0]
    head = head.replace("), vec AS (", "")
    return (
        head + ")\nSELECT count(*) AS n, count(DISTINCT md5(p.text)) AS texts FROM passages p, q"
        " WHERE p.tsv @@ q.tq"
    )


def fmt(sql: str) -> str:
    return sql.format(
        dim=DIM,
        candidates=store.CANDIDATES_PER_RESULT,
        rrf=store.RRF_K,
        max_terms=store.MAX_QUERY_TERMS,
        max_pair=store.MAX_PAIR_CANDIDATES,
    )


async def phase_fts(dsn: str, args) -> None:
    _, questions, _, qv = await embeddings(args)
    variants = args.variants.split(",")
    sqls = {v: fmt(variant_sql(v)) for v in variants}
    counts_sql = {v: fmt(count_sql(variant_sql(v))) for v in variants}
    pool = await open_pool(dsn, max_size=1)
    print(
        "settings:",
        dict(
            await pool.fetchrow(
                "SELECT current_setting('hnsw.ef_search') e, current_setting('hnsw.iterative_scan') i"  # noqa: E501
            )
        ),
    )
    mce = await pool.fetchrow(
        "SELECT array_length(most_common_elems::text::text[], 1) n,"
        " (most_common_elem_freqs)[1:5] top FROM pg_stats WHERE tablename = 'passages'"
        " AND attname = 'tsv'"
    )
    print(f"pg_stats passages.tsv: {mce['n']} most common elements, first freqs {mce['top']}")
    for _ in range(2):  # warm the caches
        for v in variants:
            await pool.fetch(
                sqls[v], list(qv[0]), "english", questions[0], 10, None, None, 1.0, 1.0
            )
    lat = {v: [] for v in variants}
    cand = {v: [] for v in variants}
    texts = {v: [] for v in variants}
    top = {v: [] for v in variants}
    for i, (q, vec) in enumerate(zip(questions, qv, strict=True)):
        params = (list(vec), "english", q, 10, None, None, 1.0, 1.0)
        rot = variants[i % len(variants) :] + variants[: i % len(variants)]  # interleaved order
        for v in rot:
            t = time.perf_counter()
            rows = await pool.fetch(sqls[v], *params)
            lat[v].append(time.perf_counter() - t)
            top[v].append([r["id"] for r in rows])
        for v in variants:
            row = await pool.fetchrow(counts_sql[v], *params[:3])
            cand[v].append(row["n"])
            texts[v].append(row["texts"])
    base = variants[0]
    print(f"\n{len(questions)} questions, hybrid k=10, one at a time, variants interleaved")
    print(
        "| variant | candidates median | p90 | p99 | max | distinct texts median | p99 |"
        " hybrid median | p90 | p99 | top-10 overlap with current | same top-1 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for v in variants:
        ov = statistics.mean(
            len(set(a) & set(b)) / 10 for a, b in zip(top[v], top[base], strict=True)
        )
        t1 = statistics.mean(a[:1] == b[:1] for a, b in zip(top[v], top[base], strict=True))
        print(
            f"| {v} | {statistics.median(cand[v]):.0f} | {pct(cand[v], 90):.0f} |"
            f" {p99(cand[v]):.0f} | {max(cand[v])} | {statistics.median(texts[v]):.0f} |"
            f" {p99(texts[v]):.0f} | {statistics.median(lat[v]) * 1000:.1f} ms |"
            f" {pct(lat[v], 90) * 1000:.1f} ms | {p99(lat[v]) * 1000:.1f} ms | {ov:.3f} | {t1:.3f} |"  # noqa: E501
        )
    c, lt = np.array(cand[base]), np.array(lat[base])
    rank = lambda a: np.argsort(np.argsort(a))  # noqa: E731
    rho = np.corrcoef(rank(c), rank(lt))[0, 1]
    print(f"\nSpearman(candidates, latency) for {base}: {rho:.2f}")
    slow = np.argsort(-lt)[:10]
    print("slowest questions (current):")
    for j in slow:
        print(
            f"  {lt[j] * 1000:6.1f} ms  {c[j]:6d} candidates ({texts[base][j]} texts)"
            f"  {questions[j]!r}"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "fts.json").write_text(
        json.dumps(
            {"questions": questions, "latency": lat, "candidates": cand, "texts": texts}, indent=0
        )
    )
    await close_pool(pool)


# The full-text arm's rules of 2026-11-26 (session 4), as edits of the one-statement query: "zero"
# takes a lexeme PostgreSQL does not list as absent (freq 0), "unlisted" as half the least
# listed frequency (the planner's estimate), "store" adds the three rarest terms as the fallback.
# "arms" is the store's search as it runs now (the same rules, the two arms at once, ties broken
# by passage id).
_UNLISTED = "coalesce(st.freq, (SELECT freq FROM unlisted)) AS freq"
_RAREST = "                    (SELECT t FROM rarest),\n"


# "one" is "store" with ties broken by passage id, as the two arms break them: the same results.
_BY_ID = (
    ("OVER (ORDER BY distance) AS r", "OVER (ORDER BY distance, id) AS r"),
    ("OVER (ORDER BY rank DESC) AS r", "OVER (ORDER BY rank DESC, id) AS r"),
    ("          ORDER BY rank DESC\n", "          ORDER BY rank DESC, p.id\n"),
)


def tail_sql(name: str) -> str:
    sql = one_statement()
    assert _UNLISTED in sql
    assert _RAREST in sql
    if name == "one":
        for before, after in _BY_ID:
            assert before in sql
            sql = sql.replace(before, after)
    if name in ("zero", "unlisted"):
        sql = sql.replace(_RAREST, "")
    if name == "zero":
        sql = sql.replace(_UNLISTED, "coalesce(st.freq, 0) AS freq")
    return sql


async def phase_tail(dsn: str, args) -> None:
    """Hybrid latency, full-text candidates, and whether the question's own abstract is in the
    top 10, for PubMedQA questions on a kept search_scale corpus (the real passages first)."""
    from adapters.embedders.local import LocalEmbedder

    records = list(json.loads((args.data / PUBMEDQA).read_text()).values())[: args.questions]
    questions = [r["QUESTION"] for r in records]
    embedder = LocalEmbedder()
    vectors = await embedder.embed(questions)
    pool = await open_pool(dsn, max_size=2)
    ids: dict[str, set[int]] = {}
    for row in await pool.fetch("SELECT id, text FROM passages WHERE id <= $1", args.real + 1000):
        ids.setdefault(row["text"], set()).add(row["id"])
    gold = [
        set().union(*(ids.get(t, set()) for t in (*r["CONTEXTS"], r["LONG_ANSWER"])))
        for r in records
    ]
    variants = args.variants.split(",")
    sqls = {v: fmt(tail_sql("store" if v == "arms" else v)) for v in variants}
    counts = {v: fmt(count_sql(tail_sql("store" if v == "arms" else v))) for v in variants}
    corpus = PgCorpus(pool, IDENTITY)

    async def search(variant: str, params: tuple) -> list[int]:
        if variant == "arms":
            query = SearchQuery(params[2], params[0], "en", params[3])
            return [p.passage_id for p in await corpus.search(query)]
        return [r["id"] for r in await pool.fetch(sqls[variant], *params)]

    for v in variants:  # warm
        await search(v, (vectors[0], "english", questions[0], 10, None, None, 1.0, 0.25))
    lat = {v: [] for v in variants}
    cand = {v: [] for v in variants}
    top = {v: [] for v in variants}
    for i, (q, vec) in enumerate(zip(questions, vectors, strict=True)):
        params = (vec, "english", q, 10, None, None, 1.0, store.TEXT_WEIGHT["en"])
        for v in variants[i % len(variants) :] + variants[: i % len(variants)]:  # interleaved
            t = time.perf_counter()
            ids = await search(v, params)
            lat[v].append(time.perf_counter() - t)
            top[v].append(ids)
        for v in variants:
            cand[v].append(await pool.fetchval(counts[v], *params[:3]))
    size = await pool.fetchval("SELECT count(*) FROM passages")
    print(f"\n{size:,} passages, {len(questions)} questions, hybrid k=10, one at a time")
    print(
        "| rule | candidates median | p99 | hybrid median | p99 | max |"
        " own abstract in top 10 | top-10 overlap with the first |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for v in variants:
        hit = statistics.mean(bool(g & set(t)) for g, t in zip(gold, top[v], strict=True))
        overlap = statistics.mean(
            len(set(a) & set(b)) / 10 for a, b in zip(top[v], top[variants[0]], strict=True)
        )
        print(
            f"| {v} | {statistics.median(cand[v]):.0f} | {p99(cand[v]):.0f} |"
            f" {statistics.median(lat[v]) * 1000:.1f} ms | {p99(lat[v]) * 1000:.1f} ms |"
            f" {max(lat[v]) * 1000:.0f} ms | {hit:.3f} | {overlap:.3f} |"
        )
    await close_pool(pool)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--phase", required=True, choices=["build", "settings", "recall", "fts", "tail"]
    )
    parser.add_argument("--pgdata", type=Path, default=Path("/tmp/search-study/pgdata"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/search-study/embeddings.npz"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/search-study/out"))
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--real", type=int, default=3000)
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--recall-queries", type=int, default=200)
    parser.add_argument("--builds", default="16:64,16:128,16:200,32:64,32:128,32:200")
    parser.add_argument("--variants", default="current,stats@0.01,cap1000,stats@0.01+cap1000")
    add_data_argument(parser)
    args = parser.parse_args()
    require(args.data, PUBMEDQA)
    args.cache.parent.mkdir(parents=True, exist_ok=True)
    server = EmbeddedPostgres(args.pgdata)
    dsn = server.start()
    print(f"embedded PostgreSQL pid {server.pid}", flush=True)
    try:
        phase = {
            "build": phase_build,
            "settings": phase_settings,
            "recall": phase_recall,
            "fts": phase_fts,
            "tail": phase_tail,
        }[args.phase]
        asyncio.run(phase(dsn, args))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
