"""The corpus in Postgres: hybrid search (pgvector HNSW + full text, fused by RRF) and the writer
that ingestion uses (atomic replacement of a document's passages)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Collection, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field

import asyncpg
import structlog

from core.documents import Chunk, ParsedDocument
from core.errors import IndexMismatch, StoreError
from core.models import DocumentMeta, Language, Passage
from core.ports import EmbedderIdentity, SearchQuery
from core.text import subject_tokens

from .database import mapped_errors

log = structlog.get_logger(__name__)

# PostgreSQL's text search configuration by language (stemming, stop words); accents are folded
# before it. `medgpt eval … --text-config` compares others (docs/quality.md).
TEXT_CONFIG: dict[Language, str] = {"fr": "french", "en": "english"}
RRF_K = 60  # the usual reciprocal-rank-fusion constant
# Weight of the full-text arm in the fusion by question language, the vector arm's being 1,
# chosen with `medgpt eval … --text-weights` (docs/quality.md): the default embedder is English.
# A deployment sets its own (MEDGPT_TEXT_WEIGHT_FR, _EN), e.g. for a multilingual embedder.
TEXT_WEIGHT: dict[Language, float] = {"fr": 1.5, "en": 0.25}
CANDIDATES_PER_RESULT = 4  # each arm of the hybrid search fetches k * this many candidates
MAX_QUERY_TERMS = 12  # at most 66 pairs in the full-text query
# A pair of query terms whose rarer term is in more passages than this is left out of the
# full-text candidates (PostgreSQL's lexeme statistics); no effect below this many passages.
MAX_PAIR_CANDIDATES = 1000
# HNSW graph: 32 links a node (pgvector's default is 16), candidate list 64 while building.
# At 100k passages, 16 found 0.78-0.89 of the exact top 10 at ef_search 40-100, 32 found
# 0.96-0.98, for twice the build time (bench/search_study.py, docs/performance.md).
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 64
# An import into a corpus of fewer passages than this builds the HNSW graph once, at its end,
# rather than passage by passage on the cores the embedder needs (an import 5-10 % faster,
# docs/performance.md); searches meanwhile scan the passages exactly.
BULK_IMPORT_BELOW = 10_000
# Memory for building the graph, per passage (pgvector needs about 2 kB: less slows the build),
# raising the server's maintenance_work_mem for that session up to a cap, never lowering it.
INDEX_BUILD_KB_PER_PASSAGE = 4
INDEX_BUILD_MAX_KB = 1024 * 1024
# The sources (publishers) with fewer passages than this are searched exactly by the vector arm,
# beside the HNSW graph (_VECTOR_ARM); which they are is looked up again after this many seconds,
# or at once after this process changes the corpus.
EXACT_BELOW = 1000
SMALL_SOURCES_TTL = 300.0
LOCK_TIMEOUT = "5s"  # a writer waiting longer than this on another process reports StoreBusy
# The warm-up reads this many blocks per statement, and starts none while a read for a question
# runs: such a read waits behind one of them at most (32 MiB of 8 kiB blocks; 40-85 ms from this
# machine's disk, docs/performance.md).
PREWARM_BLOCKS = 4096

# The two arms of the hybrid search run as two statements on two connections, at the same time
# (each is one backend, one core), and are fused here: a search takes as long as its slower arm,
# not as both together. {dim} is the validated integer dimension of the index, never user input.
_DOCUMENT_FILTER = """d.retired_at IS NULL
            AND ($2::text[] IS NULL OR d.language = ANY($2))
            AND ($3::text[] IS NULL OR d.publisher = ANY($3))"""

# The nearest passages by embedding: through the HNSW graph, and, for the passages of small
# sources ($5: publishers with fewer than `exact_below` passages; $6: those with none named), by
# measuring every one. A graph search enters where the large sources are dense and can miss a
# small one entirely: over the whole BDPM (63,398 passages), an English demo note at cosine 0.56
# lost to BDPM records at 0.39 (docs/quality.md, "Whole BDPM"). The graph scan orders by the
# parameter itself (an index can only order by a value known when the scan starts); its iterative
# scan may return them slightly out of order, so all are sorted again. The small sources' passages
# are reached document by document (the lateral subquery is not flattened into a join, which
# the planner chose to make a scan of every passage: 64 ms against 18 ms for 3,728 of 63,398).
_VECTOR_ARM = f"""
WITH small AS MATERIALIZED (
    SELECT p.id, p.embedding::vector({{dim}}) <=> $1::vector({{dim}}) AS distance
    FROM documents d
    CROSS JOIN LATERAL (SELECT id, embedding FROM passages WHERE document_id = d.id OFFSET 0) p
    WHERE (d.publisher = ANY($5::text[]) OR ($6 AND d.publisher IS NULL))
      AND {_DOCUMENT_FILTER}
)
SELECT id
FROM ((SELECT p.id, p.embedding::vector({{dim}}) <=> $1::vector({{dim}}) AS distance
       FROM passages p JOIN documents d ON d.id = p.document_id
       WHERE {_DOCUMENT_FILTER}
       ORDER BY p.embedding::vector({{dim}}) <=> $1::vector({{dim}})
       LIMIT $4)
      UNION
      (SELECT id, distance FROM small ORDER BY distance LIMIT $4)) nearest
ORDER BY distance, id
LIMIT $4
"""

# The publishers of live documents with fewer than $1 passages (a NULL one among them).
_SMALL_SOURCES = """
SELECT d.publisher
FROM documents d JOIN passages p ON p.document_id = d.id
WHERE d.retired_at IS NULL
GROUP BY d.publisher
HAVING count(*) < $1
"""

_TEXT_ARM = f"""
WITH stats AS (
    -- How often each common lexeme occurs (fraction of passages), from PostgreSQL's own
    -- statistics (ANALYZE, autovacuum); a lexeme not listed is rare. No statistics: none common.
    SELECT e.elem, e.freq
    FROM pg_stats s,
         unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS e(elem, freq)
    WHERE s.schemaname = current_schema() AND s.tablename = 'passages' AND s.attname = 'tsv'
      AND e.elem IS NOT NULL
), unlisted AS (
    -- A lexeme not listed is rarer than the least common listed one: half its frequency, as
    -- PostgreSQL's planner estimates it. (Taking it as 0 let pairs of such lexemes through at
    -- 1M passages, where "unlisted" still means up to ~7,700 passages: 13,000 candidates.)
    SELECT coalesce(min(freq) / 2, 0) AS freq FROM stats
), terms AS (
    -- The question's lexemes (stemmed in its language), the longest (rarest) first, bounded.
    SELECT plainto_tsquery('simple', lexeme) AS t,
           coalesce(st.freq, (SELECT freq FROM unlisted)) AS freq
    FROM unnest(tsvector_to_array(to_tsvector($5::regconfig, unaccent($1)))) AS lexeme
    LEFT JOIN stats st ON st.elem = lexeme
    ORDER BY length(lexeme) DESC, lexeme
    LIMIT {{max_terms}}
), pairs AS (
    -- A pair matches at most as many passages as its rarer term.
    SELECT a.t && b.t AS t, least(a.freq, b.freq) AS freq
    FROM terms a JOIN terms b ON a.t::text < b.t::text
), rarest AS (
    -- The three rarest terms together.
    SELECT (array_agg(t))[1] && (array_agg(t))[2] && (array_agg(t))[3] AS t
    FROM (SELECT t FROM terms ORDER BY freq, t::text LIMIT 3) r HAVING count(*) = 3
), q AS (
    -- Candidates hold at least two of the question's terms (any pair; a one-word question
    -- matches on its word), then rank by all the terms. Matching on any one term made the
    -- full-text arm rank almost the whole corpus. Pairs of two common terms are left out when
    -- they could bring more than {{max_pair}} passages each (at 100k passages they made the
    -- slowest questions rank ~16,000 candidates); when no pair is left, candidates hold the
    -- three rarest terms (at 1M passages the rarest pair alone could bring 3,600).
    SELECT coalesce((SELECT tsquery_any(t) FROM pairs
                     WHERE freq * (SELECT greatest(reltuples, 1) FROM pg_class
                                   WHERE oid = 'passages'::regclass) <= {{max_pair}}),
                    (SELECT t FROM rarest),
                    (SELECT t FROM pairs ORDER BY freq, t::text LIMIT 1),
                    (SELECT tsquery_any(t) FROM terms)) AS tq,
           (SELECT tsquery_any(t) FROM terms) AS tr
)
SELECT p.id, ts_rank_cd(p.tsv, q.tr) AS rank
FROM passages p JOIN documents d ON d.id = p.document_id, q
WHERE p.tsv @@ q.tq AND {_DOCUMENT_FILTER}
ORDER BY rank DESC, p.id
LIMIT $4
"""

# What a Passage is built from (_passage), its similarity to the question's embedding {query}.
_PASSAGE_COLUMNS = """p.id, p.document_id, p.text, p.section_path,
       1 - (p.embedding::vector({{dim}}) <=> {query}::vector({{dim}})) AS similarity,
       d.title, d.publisher, d.url, d.language, d.published, d.reviewed, d.licence, d.version,
       d.source_title, d.is_demo, d.subjects, d.subject_sides, d.headline, d.content_hash"""

# The first k fused passages, whole, in fused order, among those still live: the arms ran as
# separate statements, so a document retired or replaced in between is passed over and the next
# candidate takes its place.
_PASSAGES = f"""
SELECT {_PASSAGE_COLUMNS.format(query="$5")}
FROM unnest($1::bigint[]) WITH ORDINALITY AS f(id, position)
JOIN passages p ON p.id = f.id JOIN documents d ON d.id = p.document_id
WHERE {_DOCUMENT_FILTER}
ORDER BY f.position
LIMIT $4
"""

# The passages of live documents about every subject named (each given as its words joined by
# spaces): one of the document's subjects holds all the subject's words (GIN index on the words,
# migration 0008). Nearest to the question first. For a question the search answered with no
# passage about all the drugs it names (core.pipeline.retrieve).
_ABOUT = f"""
WITH named AS (
    SELECT DISTINCT string_to_array(joined, ' ') AS words FROM unnest($5::text[]) AS joined
), about AS (
    SELECT s.document_id
    FROM named n JOIN document_subjects s ON s.words @> n.words
    GROUP BY s.document_id
    HAVING count(DISTINCT n.words) = (SELECT count(*) FROM named)
       -- a document about two sides: two of the subjects named on different sides
       -- (core.evidence.is_about)
       AND (max(s.side) = 0 OR count(DISTINCT n.words) < 2
            OR (count(DISTINCT n.words) FILTER (WHERE s.side & 1 > 0) > 0
                AND count(DISTINCT n.words) FILTER (WHERE s.side & 2 > 0) > 0))
)
SELECT {_PASSAGE_COLUMNS.format(query="$1")}
FROM about a JOIN documents d ON d.id = a.document_id JOIN passages p ON p.document_id = d.id
WHERE {_DOCUMENT_FILTER}
ORDER BY similarity DESC, p.id
LIMIT $4
"""

# The words that at most $3 passages hold (0: none), even as the start of a longer word (each
# lexeme of the word of 3 letters or more as a prefix: "max" finds "maximal"), with how many; one
# index probe each, that stops counting past $3. A word of stop words only is plentiful. A lexeme
# that PostgreSQL's statistics list among the most common, or that starts one of them, is plentiful
# without a probe, and the probe looks only for the others: probing common prefixes was the slow
# part ("causing" and "HDL-C", whose one-letter lexeme "c" matched much of the vocabulary, took 18
# ms at 100,000 passages; at 1,000,000 "terrorism-related" took 112 ms, its "relat:*" reading the
# postings of every lexeme from "relate" to "relationship").
_SCARCE_WORDS = """
WITH corpus AS (
    -- At most $3 passages, and $4 of them all: the planner's estimate of how many, counted
    -- while it has none (0 before the first ANALYZE); one that lags behind makes fewer scarce.
    SELECT least($3, floor($4 * (SELECT CASE WHEN c.reltuples > 0 THEN c.reltuples
                                             ELSE (SELECT count(*) FROM passages) END
                                  FROM pg_class c WHERE c.oid = 'passages'::regclass)))::int
           AS at_most
), common AS MATERIALIZED (
    SELECT e.elem
    FROM pg_stats s, unnest(s.most_common_elems::text::text[]) AS e(elem)
    WHERE s.schemaname = current_schema() AND s.tablename = 'passages' AND s.attname = 'tsv'
      AND e.elem IS NOT NULL
)
SELECT w.word, held.n
FROM unnest($1::text[]) AS w(word),
     LATERAL (SELECT (string_agg(quote_literal(lexeme)
                                 || CASE WHEN length(lexeme) >= 3 THEN ':*' ELSE '' END, ' & ')
                        FILTER (WHERE NOT EXISTS (
                            SELECT 1 FROM common c
                            WHERE c.elem = lexeme
                               OR (length(lexeme) >= 3 AND starts_with(c.elem, lexeme)))))::tsquery
                       AS q
              FROM unnest(tsvector_to_array(to_tsvector($2::regconfig, unaccent(w.word))))
                   AS lexeme) AS probe,
     LATERAL (SELECT count(*) AS n
              FROM (SELECT 1 FROM passages p WHERE p.tsv @@ probe.q
                    LIMIT (SELECT at_most + 1 FROM corpus)) AS one) AS held
WHERE probe.q IS NOT NULL AND held.n <= (SELECT at_most FROM corpus)
"""

# What a search reads, for the warm-up: these tables, their indexes (the HNSW and full-text ones
# among them) and their out-of-line storage, the empty ones left out. By priority: indexes, then
# tables, then out-of-line storage, each group smallest first.
_SEARCHED_RELATIONS = """
WITH t(oid) AS (SELECT unnest(ARRAY['documents', 'passages', 'document_subjects']::regclass[]))
SELECT r.oid::regclass::text AS name, pg_relation_size(r.oid) AS bytes,
    current_setting('block_size')::int AS block_size
FROM (
    SELECT indexrelid AS oid, 0 AS kind FROM pg_index WHERE indrelid IN (SELECT oid FROM t)
    UNION ALL SELECT oid, 1 FROM t
    UNION ALL SELECT reltoastrelid, 2 FROM pg_class WHERE oid IN (SELECT oid FROM t)
        AND reltoastrelid <> 0
) r
WHERE pg_relation_size(r.oid) > 0
ORDER BY r.kind, bytes, name
"""
# The subjects of live documents whose words are all among the question's: found by their
# longest word, then checked whole.
_NAMED_SUBJECTS = """
SELECT DISTINCT s.words
FROM document_subjects s JOIN documents d ON d.id = s.document_id
WHERE s.longest = ANY($1::text[]) AND s.words <@ $1::text[] AND d.retired_at IS NULL
"""


@dataclass(frozen=True, slots=True)
class Prewarmed:
    relations: tuple[str, ...]  # read into the cache
    skipped: tuple[str, ...]  # larger than what was left of the budget, or not readable
    bytes: int  # as the server counted the blocks it read
    seconds: float


@dataclass
class PgCorpus:
    pool: asyncpg.Pool
    identity: EmbedderIdentity
    lock_timeout: str = LOCK_TIMEOUT
    # A read replica for retrieval (DATABASE_READ_URL); writes always go to `pool`.
    read_pool: asyncpg.Pool | None = None
    text_config: Mapping[Language, str] = field(default_factory=lambda: dict(TEXT_CONFIG))
    text_weight: Mapping[Language, float] = field(default_factory=lambda: dict(TEXT_WEIGHT))
    exact_below: int = EXACT_BELOW  # 0: every source through the HNSW graph only
    # Reads for questions in flight (searches and the evidence check's look-ups), and an event
    # set when there are none: the warm-up gives way to questions.
    _reading: int = field(default=0, init=False, repr=False)
    _quiet: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)
    # The small sources (_SMALL_SOURCES) as the vector arm takes them, and when they were read.
    _small: tuple[list[str], bool, float] | None = field(default=None, init=False, repr=False)
    _small_lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)
    _refreshing: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    async def ensure_index(self) -> None:
        """Record the embedder on first use; refuse to mix embeddings of different models."""
        dim = int(self.identity.dimension)
        with mapped_errors():
            async with self.pool.acquire() as conn, conn.transaction():
                row = await conn.fetchrow(
                    "SELECT embedding_model, dimension, weights_sha256 FROM index_meta"
                )
                if row is None:
                    await conn.execute(
                        "INSERT INTO index_meta (embedding_model, dimension, weights_sha256)"
                        " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        self.identity.model,
                        dim,
                        self.identity.weights_sha256,
                    )
                    await conn.execute(hnsw_index_sql(dim))
                    return
        stored = EmbedderIdentity(row["embedding_model"], row["dimension"], row["weights_sha256"])
        self._check(stored)
        # An operator drops the index to rebuild it with new parameters (docs/deploy.md): it is
        # built again here. Looked up first: CREATE INDEX IF NOT EXISTS would lock the table.
        with mapped_errors():
            if await self.pool.fetchval("SELECT to_regclass('passages_embedding_hnsw')") is None:
                log.warning("hnsw_index_building", reason="missing")
                await self._build_index()

    async def _build_index(self) -> None:
        """Build the HNSW index (a no-op when it exists), with the memory its graph needs."""
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT (SELECT count(*) FROM passages) AS passages, (SELECT setting::bigint"
                " FROM pg_settings WHERE name = 'maintenance_work_mem') AS setting"
            )
            assert row is not None
            wanted = min(row["passages"] * INDEX_BUILD_KB_PER_PASSAGE, INDEX_BUILD_MAX_KB)
            if wanted > row["setting"]:  # kB; the pool's RESET ALL gives the connection back
                await conn.execute(f"SET maintenance_work_mem = '{int(wanted)}kB'")
            await conn.execute(hnsw_index_sql(int(self.identity.dimension)))

    @asynccontextmanager
    async def bulk(self) -> AsyncIterator[None]:
        """Around an import: a small corpus (`BULK_IMPORT_BELOW`) imports without its vector
        index, built once at the end, even when the import fails; if the process dies
        first, the next start builds it (`ensure_index`)."""
        with mapped_errors():
            async with self.pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT set_config('lock_timeout', $1, true)", self.lock_timeout)
                small = await conn.fetchval(
                    "SELECT count(*) < $1 FROM (SELECT 1 FROM passages LIMIT $1) AS p",
                    BULK_IMPORT_BELOW,
                )
                if small:
                    await conn.execute("DROP INDEX IF EXISTS passages_embedding_hnsw")
        try:
            yield
        finally:
            if small:
                with mapped_errors():
                    log.info("hnsw_index_building", reason="import")
                    await self._build_index()

    def _check(self, stored: EmbedderIdentity) -> None:
        if stored != self.identity:
            raise IndexMismatch(
                f"the corpus index was built with {stored.model} ({stored.dimension} dimensions,"
                f" weights {stored.weights_sha256 or 'unknown'}) but the embedder is now"
                f" {self.identity.model} ({self.identity.dimension} dimensions, weights"
                f" {self.identity.weights_sha256 or 'unknown'}): use the same model, or rebuild"
                " the index with `medgpt db reset --yes` then `medgpt ingest`"
            )

    @contextmanager
    def _for_a_question(self) -> Iterator[None]:
        """Counts a read a question waits for, which the warm-up lets pass."""
        self._reading += 1
        self._quiet.clear()
        try:
            yield
        finally:
            self._reading -= 1
            if not self._reading:
                self._quiet.set()

    async def search(self, query: SearchQuery) -> list[Passage]:
        with self._for_a_question():
            return await self._search(query)

    async def _search(self, query: SearchQuery) -> list[Passage]:
        dim = int(self.identity.dimension)
        pool = self.read_pool or self.pool
        arm_args = (*_filters(query), query.k * CANDIDATES_PER_RESULT)  # then how many each
        weights = (
            0.0 if query.mode == "text" else 1.0,
            0.0 if query.mode == "vector" else self._text_weight(query),
        )
        text_sql = _TEXT_ARM.format(max_terms=MAX_QUERY_TERMS, max_pair=MAX_PAIR_CANDIDATES)
        config = self.text_config[query.language]
        embedding = list(query.embedding)
        with mapped_errors():
            small = await self._small_sources(pool) if weights[0] else ([], False)
            vector, text = await asyncio.gather(
                _arm(pool, weights[0], _VECTOR_ARM.format(dim=dim), embedding, *arm_args, *small),
                _arm(pool, weights[1], text_sql, query.text, *arm_args, config),
            )
            fused = fuse([r["id"] for r in vector], [(r["id"], r["rank"]) for r in text], weights)
            ranks = {id_: (text_rank, score) for id_, score, text_rank in fused}  # best first
            rows = (
                await pool.fetch(
                    _PASSAGES.format(dim=dim), list(ranks), *arm_args[:2], query.k, embedding
                )
                if ranks
                else []
            )
        return [_passage(row, *ranks[row["id"]]) for row in rows]

    async def _small_sources(self, pool: asyncpg.Pool) -> tuple[list[str], bool]:
        """The publishers the vector arm searches exactly, and whether a document without one is
        among them. Read before the first search; then, once older than SMALL_SOURCES_TTL (another
        process may have imported) or after this process changed the corpus, read again in the
        background while searches go on with what was read before."""
        if not self.exact_below:
            return [], False
        if self._small is None:
            async with self._small_lock:
                if self._small is None:
                    await self._read_small_sources(pool)
        elif time.monotonic() - self._small[2] > SMALL_SOURCES_TTL and not (
            self._refreshing and not self._refreshing.done()
        ):
            self._refreshing = asyncio.create_task(self._refresh_small_sources(pool))
        assert self._small is not None
        return self._small[0], self._small[1]

    async def _read_small_sources(self, pool: asyncpg.Pool) -> None:
        rows = await pool.fetch(_SMALL_SOURCES, self.exact_below)
        named = sorted(r["publisher"] for r in rows if r["publisher"] is not None)
        self._small = named, len(named) < len(rows), time.monotonic()

    async def _refresh_small_sources(self, pool: asyncpg.Pool) -> None:
        try:
            with mapped_errors():
                await self._read_small_sources(pool)
        except StoreError as e:  # searches go on with the sources read before
            log.warning("small_sources_not_read", error=type(e).__name__)

    def _changed(self) -> None:
        """This process changed the corpus: the small sources are read again at the next search."""
        if self._small is not None:
            self._small = (*self._small[:2], float("-inf"))

    def _text_weight(self, query: SearchQuery) -> float:
        weight = query.text_weight
        return self.text_weight[query.language] if weight is None else weight

    async def prewarm(self, budget_bytes: int) -> Prewarmed | None:
        """Read what searches read (`_SEARCHED_RELATIONS`) into the database server's page cache,
        up to `budget_bytes`, so that the first questions after a restart do not wait on the
        disk (docs/performance.md, "Cold start"); a piece at a time, none while this process
        reads for a question. What fits the budget is chosen by priority and read least
        important first: should the budget exceed what the server can cache, the indexes are
        what stays. None, with a warning, where the server lacks pg_prewarm or this role may
        not enable it: searches then warm the cache themselves."""
        started = time.perf_counter()
        try:
            with mapped_errors():
                # On the primary: a replica follows it, and cannot run DDL itself.
                await self.pool.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        except StoreError as exc:
            log.warning("corpus_prewarm_unavailable", reason=str(exc))
            return None
        pool = self.read_pool or self.pool  # the server that answers searches
        chosen: list[asyncpg.Record] = []
        skipped: list[str] = []  # larger than what was left of the budget, or not readable
        left = budget_bytes
        with mapped_errors():
            for row in await pool.fetch(_SEARCHED_RELATIONS):
                if row["bytes"] > left:
                    skipped.append(row["name"])
                else:
                    left -= row["bytes"]
                    chosen.append(row)
            read: list[str] = []
            done_bytes = 0
            for row in reversed(chosen):
                try:
                    blocks = await self._prewarm(
                        pool, row["name"], row["bytes"] // row["block_size"]
                    )
                except asyncpg.InsufficientPrivilegeError:  # a replica's role, not the owner
                    skipped.append(row["name"])
                    continue
                except asyncpg.UndefinedFunctionError as exc:  # not on this server (yet)
                    log.warning("corpus_prewarm_unavailable", reason=str(exc))
                    return None
                if blocks:  # none where it was dropped meanwhile
                    done_bytes += blocks * row["block_size"]
                    read.append(row["name"])
        done = Prewarmed(tuple(read), tuple(skipped), done_bytes, time.perf_counter() - started)
        log.info(
            "corpus_prewarmed",
            relations=len(read),
            mib=round(done.bytes / 2**20),
            skipped=skipped,
            seconds=round(done.seconds, 1),
        )
        return done

    async def _prewarm(self, pool: asyncpg.Pool, relation: str, blocks: int) -> int:
        """Blocks of `relation` read, up to `blocks`, as the server counts them; between
        two statements, it waits until no read of this process for a question is in flight."""
        read = 0
        for first in range(0, blocks, PREWARM_BLOCKS):
            while self._reading:  # a question may start before this wakes: look again
                await self._quiet.wait()
            try:
                # 'read': into the operating system's cache, whatever shared_buffers holds.
                read += await pool.fetchval(
                    "SELECT pg_prewarm($1::regclass, 'read', 'main', $2, $3)",
                    relation,
                    first,
                    min(first + PREWARM_BLOCKS, blocks) - 1,
                )
            except (asyncpg.UndefinedTableError, asyncpg.InvalidParameterValueError):
                break  # dropped or truncated since it was listed (an index being rebuilt)
        return read

    async def scarce_words(
        self, words: Sequence[str], language: Language, at_most: int, share: float
    ) -> dict[str, int]:
        if not words:
            return {}
        with mapped_errors(), self._for_a_question():
            rows = await (self.read_pool or self.pool).fetch(
                _SCARCE_WORDS, list(words), self.text_config[language], at_most, share
            )
        return {r["word"]: r["n"] for r in rows}

    async def named_subjects(self, words: Collection[str]) -> list[tuple[str, ...]]:
        if not words:
            return []
        with mapped_errors(), self._for_a_question():
            rows = await (self.read_pool or self.pool).fetch(_NAMED_SUBJECTS, sorted(words))
        return [tuple(r["words"]) for r in rows]

    async def about(
        self, subjects: Collection[frozenset[str]], query: SearchQuery
    ) -> list[Passage]:
        if not subjects:
            return []
        named = [" ".join(sorted(words)) for words in subjects]
        with mapped_errors(), self._for_a_question():
            rows = await (self.read_pool or self.pool).fetch(
                _ABOUT.format(dim=int(self.identity.dimension)),
                list(query.embedding),
                *_filters(query),
                query.k,
                named,
            )
        return [_passage(row, 0.0, 0.0) for row in rows]

    async def known_hashes(self, source_keys: Sequence[str]) -> dict[str, str]:
        """The hashes of the live documents among these: a retired document that a newer
        release holds again is stored anew, even unchanged (else it would stay retired)."""
        with mapped_errors():
            rows = await self.pool.fetch(
                "SELECT source_key, content_hash FROM documents"
                " WHERE source_key = ANY($1) AND retired_at IS NULL",
                list(source_keys),
            )
        return {r["source_key"]: r["content_hash"] for r in rows}

    async def replace_document(
        self, doc: ParsedDocument, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]
    ) -> None:
        """Insert or replace a document and all its passages in one transaction."""
        meta = doc.meta
        language = meta.language or "fr"
        config = self.text_config[language]
        with mapped_errors():
            async with self.pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT set_config('lock_timeout', $1, true)", self.lock_timeout)
                doc_id = await conn.fetchval(
                    """
                    INSERT INTO documents (source_key, title, publisher, url, language, published,
                        reviewed, licence, version, source_title, is_demo, content_hash, subjects,
                        subject_sides, headline)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                    ON CONFLICT (source_key) DO UPDATE SET title = $2, publisher = $3, url = $4,
                        language = $5, published = $6, reviewed = $7, licence = $8,
                        version = $9, source_title = $10, is_demo = $11, content_hash = $12,
                        subjects = $13, subject_sides = $14, headline = $15, ingested_at = now(),
                        retired_at = NULL
                    RETURNING id
                    """,
                    doc.source_key,
                    meta.title,
                    meta.publisher,
                    meta.url,
                    language,
                    meta.published,
                    meta.reviewed,
                    meta.licence,
                    meta.version,
                    meta.source_title,
                    meta.is_demo,
                    doc.content_hash,
                    list(meta.subjects),
                    list(meta.subject_sides),
                    meta.headline,
                )
                await conn.execute("DELETE FROM document_subjects WHERE document_id = $1", doc_id)
                await conn.executemany(
                    "INSERT INTO document_subjects (document_id, words, longest, side)"
                    " VALUES ($1, $2, $3, $4)",
                    [
                        (doc_id, list(words), max(words, key=lambda w: (len(w), w)), side)
                        for words, side in _subject_tokens(meta).items()
                    ],
                )
                await conn.execute("DELETE FROM passages WHERE document_id = $1", doc_id)
                await conn.executemany(
                    """
                    INSERT INTO passages (document_id, ordinal, section_path, text, embedding, tsv)
                    VALUES ($1, $2, $3, $4, $5,
                        setweight(to_tsvector($6::regconfig,
                                              unaccent(array_to_string($3::text[], ' '))), 'A')
                        || setweight(to_tsvector($6::regconfig, unaccent($4)), 'B'))
                    """,
                    [
                        (doc_id, c.ordinal, list(c.section_path), c.text, list(e), config)
                        for c, e in zip(chunks, embeddings, strict=True)
                    ],
                )
        self._changed()

    async def source_keys_under(self, prefixes: Sequence[str]) -> list[str]:
        with mapped_errors():
            rows = await self.pool.fetch(
                "SELECT source_key FROM documents"
                " WHERE source_key LIKE ANY($1) AND retired_at IS NULL",
                [_like_prefix(p) for p in prefixes],
            )
        return [r["source_key"] for r in rows]

    async def delete_documents(self, source_keys: Sequence[str]) -> None:
        """Delete documents and, by cascade, their passages, in one transaction."""
        with mapped_errors():
            async with self.pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT set_config('lock_timeout', $1, true)", self.lock_timeout)
                await conn.execute(
                    "DELETE FROM documents WHERE source_key = ANY($1)", list(source_keys)
                )
        self._changed()

    async def retire_documents(self, source_keys: Sequence[str]) -> None:
        """Withdrawn from their source: kept for the audit trail, never retrieved again."""
        with mapped_errors():
            await self.pool.execute(
                "UPDATE documents SET retired_at = now()"
                " WHERE source_key = ANY($1) AND retired_at IS NULL",
                list(source_keys),
            )
        self._changed()

    async def reset(self) -> None:
        """Forget the corpus and the embedder that built it (the audit trail is kept)."""
        with mapped_errors():
            async with self.pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT set_config('lock_timeout', $1, true)", self.lock_timeout)
                await conn.execute("DROP INDEX IF EXISTS passages_embedding_hnsw")
                await conn.execute("DELETE FROM documents")
                await conn.execute("DELETE FROM index_meta")
        self._changed()

    async def counts(self, searched: bool = False) -> tuple[int, int]:
        """(documents, passages) in the corpus; `searched`: in the one questions are searched
        in (the read replica, where there is one)."""
        pool = (self.read_pool or self.pool) if searched else self.pool
        with mapped_errors():
            row = await pool.fetchrow(
                "SELECT (SELECT count(*) FROM documents) AS d, (SELECT count(*) FROM passages) AS p"
            )
        assert row is not None
        return int(row["d"]), int(row["p"])


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _subject_tokens(meta: DocumentMeta) -> dict[tuple[str, ...], int]:
    """Each subject's words, and its side (0: the document has one side)."""
    tokens: dict[tuple[str, ...], int] = {}
    for subject, side in meta.sided_subjects():
        if words := subject_tokens(subject):
            tokens[words] = tokens.get(words, 0) | side
    return tokens


async def _arm(pool: asyncpg.Pool, weight: float, sql: str, *args: object) -> list[asyncpg.Record]:
    """One arm of the hybrid search, on a connection of its own; none when it weighs nothing."""
    return await pool.fetch(sql, *args) if weight else []


def fuse(
    vector: Sequence[int], text: Sequence[tuple[int, float]], weights: tuple[float, float]
) -> list[tuple[int, float, float]]:
    """Reciprocal-rank fusion of the two arms' ranked passage ids (the text arm's with their
    rank): (id, score, text rank), best first, ties by id; a passage that no weighted arm found
    is left out."""
    scores: dict[int, float] = {}
    for weight, ids in zip(weights, (vector, [id_ for id_, _ in text]), strict=True):
        for position, id_ in enumerate(ids, start=1):
            scores[id_] = scores.get(id_, 0.0) + weight / (RRF_K + position)
    ranks = dict(text)
    return sorted(
        ((id_, score, ranks.get(id_, 0.0)) for id_, score in scores.items() if score > 0),
        key=lambda item: (-item[1], item[0]),
    )


def _passage(row: asyncpg.Record, text_rank: float, score: float) -> Passage:
    meta = DocumentMeta(
        title=row["title"],
        publisher=row["publisher"],
        url=row["url"],
        language=row["language"],
        published=row["published"],
        reviewed=row["reviewed"],
        licence=row["licence"],
        version=row["version"],
        source_title=row["source_title"],
        is_demo=row["is_demo"],
        subjects=tuple(row["subjects"]),
        subject_sides=tuple(row["subject_sides"]),
        headline=row["headline"],
    )
    return Passage(
        passage_id=row["id"],
        document_id=row["document_id"],
        text=row["text"],
        section_path=tuple(row["section_path"]),
        document=meta,
        content_hash=row["content_hash"],
        similarity=float(row["similarity"]),
        text_rank=text_rank,
        score=score,
    )


def _filters(query: SearchQuery) -> tuple[list[str] | None, list[str] | None]:
    """The query's language and publisher filters, as _DOCUMENT_FILTER's $2 and $3 take them."""
    return (
        list(query.languages) if query.languages else None,
        list(query.publishers) if query.publishers else None,
    )


def hnsw_index_sql(dimension: int) -> str:
    """The approximate nearest-neighbour index on the passages' embeddings."""
    return (
        "CREATE INDEX IF NOT EXISTS passages_embedding_hnsw ON passages USING"
        f" hnsw ((embedding::vector({int(dimension)})) vector_cosine_ops)"
        f" WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})"
    )
