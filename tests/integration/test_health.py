"""/healthz, /readyz with each dependency down in turn, and /metrics after real answers."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import aiohttp
import pytest
from structlog.testing import capture_logs

from bots import health
from bots.doctor import diagnose, render
from bots.settings import load_settings
from bots.wiring import build_app
from core.models import ConversationId, IncomingMessage, Platform, UserId
from testkit.slack_fake import FakeSlack
from tests.conftest import execute_sql, serving
from tests.integration.test_generator_faults import Scripted
from tests.integration.test_remote_embedder import _TEI


async def _get(url: str) -> tuple[int, dict[str, object] | str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.text()


async def test_readiness_names_each_dependency_that_is_down(
    database_url: str, postgres: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """/healthz stays 200; /readyz is 503 and names the empty corpus, then also the inference
    server, the embedding server, Slack and the database as each goes down, the others still
    reported ok."""
    slack = FakeSlack()
    await slack.start()
    Scripted.script, _TEI.fail = [], False  # other tests script these stand-ins too
    client_token = "xoxb-test"
    with serving(Scripted) as (llm_url, llm), serving(_TEI) as (tei_url, tei):
        for name, value in {
            "DATABASE_URL": database_url,
            "LLM_URL": llm_url,
            "EMBEDDINGS_URL": tei_url,
            "MEDGPT_DATA_DIR": str(tmp_path),
            "MEDGPT_NAME_DETECTION": "patterns",
        }.items():
            monkeypatch.setenv(name, value)
        async with build_app(load_settings()) as app:
            from bots.slack.app import web_client

            client = web_client(client_token, slack.url)

            async def chat() -> str:
                return str((await client.auth_test())["team"])

            stop = await health.start(app.health(chat), "127.0.0.1", 18431)
            base = "http://127.0.0.1:18431"
            try:
                assert await _get(f"{base}/healthz") == (200, {"status": "alive"})

                async def failing() -> list[str]:
                    status, body = await _get(f"{base}/readyz")
                    assert status == 503
                    assert (await _get(f"{base}/healthz"))[0] == 200
                    checks = body["checks"]  # type: ignore[index]
                    return sorted(n for n, s in checks.items() if not s.startswith("ok"))

                assert await failing() == ["corpus"]  # nothing ingested in this database
                llm.shutdown()
                llm.server_close()
                assert await failing() == ["corpus", "generator"]
                tei.shutdown()
                tei.server_close()
                assert await failing() == ["corpus", "embeddings", "generator"]
                await slack.stop()
                assert await failing() == ["chat", "corpus", "embeddings", "generator"]
                name = urlparse(database_url).path.lstrip("/")
                admin = postgres.dsn  # type: ignore[attr-defined]
                await execute_sql(admin, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                await execute_sql(
                    admin,
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    f" WHERE datname = '{name}'",
                )
                try:
                    # Both database checks run at once: the one that takes the pool's last
                    # connection may still pass; the other cannot connect, and says so.
                    down = await failing()
                    assert {"chat", "corpus", "embeddings", "generator"} <= set(down)
                    assert set(down) <= {"chat", "corpus", "database", "embeddings", "generator"}
                    _, body = await _get(f"{base}/readyz")
                    said = " ".join(body["checks"].values())  # type: ignore[index]
                    assert "not currently accepting connections" in said
                finally:
                    await execute_sql(admin, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            finally:
                await stop()


async def test_metrics_count_answers_by_outcome_and_time_the_stages(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """After real answers, /metrics shows questions, outcomes, abstentions and stage latencies."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MEDGPT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MEDGPT_NAME_DETECTION", "patterns")
    async with build_app(load_settings()) as app:
        for text in ("Quelle est la capitale de l'Australie ?", "  "):
            message = IncomingMessage(text, Platform.CONSOLE, ConversationId("m"), UserId("u"))
            await app.pipeline.answer(message)
        stop = await health.start(app.health(), "127.0.0.1", 18432)
        try:
            status, text = await _get("http://127.0.0.1:18432/metrics")
        finally:
            await stop()
    assert status == 200
    assert 'medgpt_questions_total{platform="console"} 2.0' in str(text)
    assert 'medgpt_answers_total{outcome="abstained",platform="console"} 1.0' in str(text)
    assert 'medgpt_answers_total{outcome="rejected",platform="console"} 1.0' in str(text)
    assert 'medgpt_abstentions_total{platform="console"} 1.0' in str(text)
    assert 'medgpt_stage_seconds_count{stage="retrieve"} 1.0' in str(text)
    assert "medgpt_audit_failures_total 0.0" in str(text)


async def test_empty_production_corpus_is_not_ready_and_says_what_to_run(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A bot on a production database with nothing ingested: its start logs `corpus_empty`,
    /readyz is 503 naming the corpus and what to run, and `medgpt doctor` says the same."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MEDGPT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MEDGPT_NAME_DETECTION", "patterns")
    settings = load_settings()
    with capture_logs() as logs:
        async with build_app(settings, first_run=True) as app:
            assert app.first_run is not None
            assert await app.first_run is None  # nothing indexed: not the embedded default
            stop = await health.start(app.health(), "127.0.0.1", 18433)
            try:
                status, body = await _get("http://127.0.0.1:18433/readyz")
            finally:
                await stop()
    [empty] = [entry for entry in logs if entry["event"] == "corpus_empty"]
    assert empty["log_level"] == "warning"
    assert "medgpt ingest PATH" in empty["advice"]
    assert status == 503
    corpus = body["checks"]["corpus"]  # type: ignore[index]
    assert corpus.startswith("failing: the corpus holds no document")
    assert "medgpt ingest PATH" in corpus
    checks = {check.name: check for check in await diagnose(settings)}
    assert not checks["corpus"].ok
    assert "medgpt ingest PATH" in render(list(checks.values()))
