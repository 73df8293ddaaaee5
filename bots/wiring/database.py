"""Infrastructure: the database, started here (embedded) or reached (DATABASE_URL), and its
connection pools, closed and stopped in that order on exit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import asyncpg

from adapters.postgres.database import close_pool, open_pool
from adapters.postgres.embedded import EmbeddedPostgres
from bots.settings import Settings


@dataclass(frozen=True, slots=True)
class Databases:
    pool: asyncpg.Pool  # the primary: every write, and reads without a replica
    read_pool: asyncpg.Pool | None  # a read replica for retrieval (DATABASE_READ_URL)


@asynccontextmanager
async def databases(settings: Settings) -> AsyncIterator[Databases]:
    """Start the embedded server where no DATABASE_URL is set (its data in the data
    directory), open the pools; on exit close them, then stop the server we started."""
    embedded = None
    dsn = settings.database_url
    if dsn is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        embedded = EmbeddedPostgres(settings.data_dir / "pgdata")
        dsn = await asyncio.to_thread(embedded.start)
    try:
        async with AsyncExitStack() as pools:
            pool = await open_pool(dsn, ef_search=settings.hnsw_ef_search)
            pools.push_async_callback(close_pool, pool)
            read_pool = None
            if settings.database_read_url:
                read_pool = await open_pool(
                    settings.database_read_url, read_only=True, ef_search=settings.hnsw_ef_search
                )
                pools.push_async_callback(close_pool, read_pool)
            yield Databases(pool=pool, read_pool=read_pool)
    finally:
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
