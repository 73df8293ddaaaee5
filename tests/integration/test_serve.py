"""`medgpt serve slack` as real processes: SIGTERM drains the answer in flight (and audits it),
and two replicas sharing one database answer a duplicated event once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from adapters.embedders.local import LocalEmbedder
from adapters.postgres.store import PgCorpus
from bots.wiring import read_files
from core.ingestion import Ingestor
from testkit.slack_fake import FakeSlack
from tests.conftest import _free_port, note, serving, write
from tests.integration.test_generator_faults import Scripted
from tests.integration.test_slack import SECRET, _signed, payload

NOTE = note(
    "Paracétamol",
    "## Adulte\n\nLa dose maximale est de 4 g par jour chez l'adulte de plus de 50 kg.",
)


@pytest.fixture
def fake(fake_slack: FakeSlack) -> FakeSlack:
    return fake_slack


async def _start_bot(env: dict[str, str]) -> tuple[asyncio.subprocess.Process, str, str]:
    http_port, health_port = _free_port(), _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.cli", "serve", "slack",
        env={**env, "SLACK_HTTP_PORT": str(http_port), "MEDGPT_HEALTH_PORT": str(health_port)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    health = f"http://127.0.0.1:{health_port}/healthz"
    deadline = time.monotonic() + 120
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(health) as response:
                    if response.status == 200:
                        return process, f"http://127.0.0.1:{http_port}/slack/events", health
            except aiohttp.ClientError:
                await asyncio.sleep(0.5)
    process.kill()
    raise AssertionError("medgpt serve slack did not start")


async def _post(url: str, body: str) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, data=body, headers=_signed(body)) as r,
    ):
        return r.status


async def _until(condition, timeout_s: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def _stop(process: asyncio.subprocess.Process) -> int:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(process.wait(), 90)


@pytest.fixture
async def env(
    database_url: str, tmp_path: Path, corpus: PgCorpus, embedder: LocalEmbedder, fake: FakeSlack
) -> AsyncIterator[dict[str, str]]:
    write(tmp_path / "corpus", "p.md", NOTE)
    await Ingestor(embedder, corpus).ingest(read_files([tmp_path / "corpus"]))
    Scripted.script, Scripted.posts = ["slow"] * 10, 0  # each answer takes about 2 s
    with serving(Scripted) as (llm_url, _):
        yield {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LLM_"))},
            "DATABASE_URL": database_url,
            "MEDGPT_DATA_DIR": str(tmp_path / "data"),
            "MEDGPT_NAME_DETECTION": "patterns",
            "LLM_URL": llm_url,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_API_URL": fake.url,
            "SLACK_MODE": "http",
            "SLACK_SIGNING_SECRET": SECRET,
            "MEDGPT_HEALTH_HOST": "127.0.0.1",
            "SLACK_HTTP_HOST": "127.0.0.1",
        }


def answered(fake: FakeSlack) -> list[dict[str, object]]:
    """The answers a member of the channel sees (with blocks: not a placeholder)."""
    return [m for m in fake.messages.values() if m.get("blocks")]


async def test_sigterm_drains_the_answer_in_flight(
    env: dict[str, str], fake: FakeSlack, pool: asyncpg.Pool
) -> None:
    """A question being answered when SIGTERM arrives is still answered and audited (and the
    bot had begun warming the corpus into the database's cache)."""
    process, events, _ = await _start_bot(env)
    try:
        body = json.dumps(payload("app_mention", text="<@UBOT> dose maximale de paracétamol ?"))
        assert await _post(events, body) == 200
        await _until(lambda: fake.called("reactions.add"))  # the answer is under way
        process.send_signal(signal.SIGTERM)
        assert await _stop(process) == 0
    finally:
        await _stop(process)
    assert answered(fake)
    assert await pool.fetchval("SELECT count(*) FROM audit_events WHERE event = 'answer_sent'") == 1
    assert await pool.fetchval("SELECT count(*) FROM pg_extension WHERE extname = 'pg_prewarm'")


async def test_two_replicas_answer_a_duplicated_event_once(
    env: dict[str, str], fake: FakeSlack, pool: asyncpg.Pool
) -> None:
    """Slack delivers the same event to two replicas sharing one database: one answer."""
    first, first_url, _ = await _start_bot(env)
    second, second_url, _ = await _start_bot(env)
    try:
        body = json.dumps(payload("app_mention", text="<@UBOT> dose maximale de paracétamol ?"))
        statuses = await asyncio.gather(_post(first_url, body), _post(second_url, body))
        assert statuses == [200, 200]
        await _until(lambda: answered(fake))
        await asyncio.sleep(3)  # time for a second answer to show up, if there were one
    finally:
        assert await _stop(first) == 0
        assert await _stop(second) == 0
    assert len(answered(fake)) == 1
    assert len(fake.called("chat.postMessage")) == 1
    assert await pool.fetchval("SELECT count(*) FROM audit_events WHERE event = 'answer_sent'") == 1
