"""The asyncpg pool (pgvector registered on every connection) and versioned SQL migrations."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources

import asyncpg
import structlog
from pgvector.asyncpg import register_vector

from core.errors import StoreBusy, StoreError, StoreUnavailable

log = structlog.get_logger(__name__)

_MIGRATION_LOCK = 7_343_112_001  # pg_advisory_lock key: one migrator at a time
CONNECT_TIMEOUT_S = 10.0
# Recall vs speed of the vector arm (docs/performance.md). It does not reach a small source beside
# a large one: among the whole BDPM's 63,398 passages it misses the demo notes at 100 and 500
# (docs/quality.md); at 1000 the planner scans exactly there, ~3x slower.
HNSW_EF_SEARCH = 100


@contextmanager
def mapped_errors(dsn: str = "") -> Iterator[None]:
    """Translate driver errors into core.errors at this boundary."""
    try:
        yield
    except asyncpg.LockNotAvailableError as exc:
        raise StoreBusy(
            "the database is locked by another process (an ingestion?); try again shortly"
        ) from exc
    except (OSError, TimeoutError, asyncpg.CannotConnectNowError) as exc:
        raise StoreUnavailable(f"cannot reach the database{_where(dsn)}: {exc}") from exc
    except asyncpg.InvalidAuthorizationSpecificationError as exc:
        raise StoreUnavailable(f"the database refused the credentials{_where(dsn)}") from exc
    except asyncpg.InvalidCatalogNameError as exc:
        raise StoreUnavailable(f"the database does not exist{_where(dsn)}: {exc}") from exc
    except asyncpg.PostgresError as exc:
        raise StoreError(f"database error: {exc}") from exc


def _where(dsn: str) -> str:
    """The DSN without its password, for messages."""
    redacted = _PASSWORD.sub(r"://\1:***@", dsn)
    return f" ({redacted})" if dsn else ""


_PASSWORD = re.compile(r"://([^:/@]+):[^@]+@")


async def open_pool(
    dsn: str, max_size: int = 10, read_only: bool = False, ef_search: int | None = None
) -> asyncpg.Pool:
    """Apply pending migrations (which create the vector extension), then open the pool. A
    read-only pool (a replica) is not migrated: it follows its primary. `ef_search`: the HNSW
    candidate list of its searches (None: HNSW_EF_SEARCH)."""
    with mapped_errors(dsn):
        if not read_only:
            conn = await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT_S)
            try:
                await migrate(conn)
            finally:
                await conn.close()
        pool = await asyncpg.create_pool(
            dsn,
            min_size=1,
            max_size=max_size,
            init=_init_connection,
            timeout=CONNECT_TIMEOUT_S,
            server_settings=search_settings(ef_search),
        )
    assert pool is not None
    return pool


def search_settings(ef_search: int | None = None) -> dict[str, str]:
    """Session settings of every pooled connection, sent as startup parameters: the pool runs
    RESET ALL each time it takes a connection back, which undoes a SET (it used to apply to the
    first query of each connection only) but returns to the values given at connection start."""
    return {
        # Filtered approximate searches keep scanning until they have enough rows (pgvector >= 0.8).
        "hnsw.iterative_scan": "relaxed_order",
        # The HNSW candidate list: a larger one finds the passages of a small source among a
        # large one (docs/quality.md, "whole BDPM"), for a slower vector arm.
        "hnsw.ef_search": str(int(HNSW_EF_SEARCH if ef_search is None else ef_search)),
        # Plan each search for its own k: a generic plan of the search, cached by the prepared
        # statement, can choose an exact sequential scan (~500 ms at 100k passages).
        "plan_cache_mode": "force_custom_plan",
    }


async def _init_connection(conn: asyncpg.Connection) -> None:
    await register_vector(conn)


def migrations() -> list[tuple[str, str]]:
    """(version, sql) of every migration shipped with the package, in order."""
    folder = resources.files("infra") / "migrations"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [(f.name.removesuffix(".sql"), f.read_text(encoding="utf-8")) for f in files]


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Apply the migrations not yet applied, each in its own transaction; returns their names."""
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY,"
        " checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    applied: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
    try:
        rows = await conn.fetch("SELECT version, checksum FROM schema_migrations")
        done = {row["version"]: row["checksum"] for row in rows}
        for version, sql in migrations():
            checksum = hashlib.sha256(sql.encode()).hexdigest()
            if version in done:
                if done[version] != checksum:
                    raise StoreError(f"migration {version} changed after it was applied")
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)",
                    version,
                    checksum,
                )
            log.info("migration_applied", version=version)
            applied.append(version)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
    return applied


async def close_pool(pool: asyncpg.Pool) -> None:
    await asyncio.wait_for(pool.close(), timeout=10)
