"""The drug names the importers store (brands, classes) and the application reads at start."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import asyncpg

from adapters.postgres.database import mapped_errors

LexiconRow = tuple[str, str, tuple[str, ...]]  # name, kind (brand, class), meanings


class PgLexicon:
    """The lexicon_terms table (infra/migrations/0010_lexicon_terms.sql)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def replace(self, source: str, kind: str, terms: Mapping[str, Sequence[str]]) -> int:
        """The source's terms of that kind, in place of those of its previous import."""
        rows = [(source, name, kind, list(meanings)) for name, meanings in terms.items()]
        with mapped_errors():
            async with self.pool.acquire() as conn, conn.transaction():
                await conn.execute(
                    "DELETE FROM lexicon_terms WHERE source = $1 AND kind = $2", source, kind
                )
                await conn.executemany(
                    "INSERT INTO lexicon_terms (source, name, kind, meanings)"
                    " VALUES ($1, $2, $3, $4)",
                    rows,
                )
        return len(rows)

    async def rows(self) -> list[LexiconRow]:
        """Every stored term, in a stable order."""
        with mapped_errors():
            records = await self.pool.fetch(
                "SELECT name, kind, meanings FROM lexicon_terms ORDER BY source, kind, name"
            )
        return [(r["name"], r["kind"], tuple(r["meanings"])) for r in records]
