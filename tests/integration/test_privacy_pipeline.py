"""Every labelled message through the real pipeline (embedded PostgreSQL, the local embedder,
spaCy's names, the extractive generator): no identifier in any reply, audit column, log line or line
of `medgpt audit export` / `audit show`."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
import structlog

from bots.cli import main
from bots.settings import load_settings
from bots.wiring import build_app, read_files
from core.models import ConversationId, IncomingMessage, Platform, UserId
from tests.conftest import DATA

pytestmark = pytest.mark.integration

DEMO = Path(__file__).parents[2] / "bots" / "demo_corpus" / "notes"
# Enough of the demo corpus that many questions are answered, quoting it, and others abstain.
NOTES = (
    "en-digoxin-toxicity.md", "en-anaphylaxis-adrenaline.md", "en-doac-renal-function.md",
    "fr-lithium-surveillance.md", "fr-avk-inr-cibles.md", "fr-paracetamol-posologie.md",
    "fr-amoxicilline-posologie.md", "fr-metformine-fonction-renale.md",
)  # fmt: skip
ITEMS = [
    json.loads(line)
    for name in ("identifiers.jsonl", "pii_messages.jsonl")
    for line in (DATA / name).read_text().splitlines()
    if line.strip()
]


# Held-out batch B is below the bar (0.979 recall, docs/privacy.md) and its misses are not fixed
# from its own rows: its values are counted apart, against its own floor.
HELD_OUT_B = {
    e["value"] for i in ITEMS if "held-out B" in i.get("batch", "") for e in i["entities"]
}
VALUES = {e["value"] for i in ITEMS for e in i["entities"]} - HELD_OUT_B
HELD_OUT_B_MISSED = 3  # of its 141 identifiers


def _leaked(haystack: str, values: set[str] = VALUES) -> list[str]:
    """The labelled identifier values found in the text, as whole words."""
    return sorted(v for v in values if re.search(rf"(?<!\w){re.escape(v)}(?!\w)", haystack))


async def _answer_all(tmp_path: Path) -> tuple[list[dict[str, Any]], str, list[Any]]:
    async with build_app(load_settings()) as app:
        await app.ingestor().ingest(read_files([DEMO / name for name in NOTES], demo=True))
        # Several at a time, as a bot answers a ward: one by one, each waits ~1 s on a busy
        # machine for the database's round trips, ten at once take ~0.1 s each.
        at_once = asyncio.Semaphore(8)

        async def answer(n: int, text: str) -> dict[str, Any]:
            message = IncomingMessage(text, Platform.CONSOLE, ConversationId(f"c{n}"), UserId("u"))
            async with at_once:
                return dataclasses.asdict(await app.pipeline.answer(message))

        with structlog.testing.capture_logs() as logs:
            replies = await asyncio.gather(*(answer(n, i["text"]) for n, i in enumerate(ITEMS)))
        rows = [dict(r) for r in await app.pool.fetch("SELECT * FROM audit_events ORDER BY id")]
        metrics = app.metrics.exposition().decode()
    return replies, json.dumps(rows, default=str, ensure_ascii=False) + metrics, logs


def test_no_labelled_identifier_reaches_a_reply_the_audit_or_its_export(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A DPO exporting the audit after every labelled message (French and English, each kind
    of identifier) finds none of them, nor does the clinician in a reply: each was removed
    before the search, the model, the logs and the audit saw it."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MEDGPT_DATA_DIR", str(tmp_path / "data"))
    replies, audit, logs = asyncio.run(_answer_all(tmp_path))
    assert len(replies) == len(ITEMS)
    assert {r["outcome"] for r in replies} >= {"answered", "abstained"}  # both paths exercised
    shown = json.dumps(replies, default=str, ensure_ascii=False)
    surfaces = [shown, audit, json.dumps(logs, default=str, ensure_ascii=False)]
    assert _leaked(shown) == []
    assert _leaked(audit) == []
    assert _leaked(surfaces[-1]) == []
    capsys.readouterr()
    for fmt in ("jsonl", "csv"):
        assert main(["audit", "export", "--format", fmt]) == 0  # no row withheld either
        exported = capsys.readouterr().out
        assert exported.count("\n") >= 2 * len(ITEMS)  # received + answered, each
        assert _leaked(exported) == []
        surfaces.append(exported)
    answer_ids = [r["audit_id"] for r in replies if r["audit_id"] is not None]
    for answer_id in answer_ids[:: max(1, len(answer_ids) // 25)]:  # ~25 exchanges shown
        assert main(["audit", "show", str(answer_id)]) == 0
        surfaces.append(capsys.readouterr().out)
        assert _leaked(surfaces[-1]) == []
    # held-out batch B: no more than the identifiers its measurement found missed
    missed = {v for surface in surfaces for v in _leaked(surface, HELD_OUT_B)}
    assert len(missed) <= HELD_OUT_B_MISSED


def test_export_and_show_withhold_a_row_that_still_holds_an_identifier(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A row written without redaction (an older version, another writer) is not printed by
    `audit export` or `audit show`: stderr names the row and the column, never the value, and
    the command exits 1; the clean rows are still exported."""
    from datetime import UTC, datetime

    from adapters.postgres.audit import PgAuditLog
    from core.models import Outcome
    from core.ports import AuditEntry

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MEDGPT_DATA_DIR", str(tmp_path / "data"))

    async def fill() -> list[int]:
        async with build_app(load_settings(), check_index=False) as app:
            log = PgAuditLog(app.pool)
            ids = []
            for question in (
                "Mme <NOM> : dose de lithium ?",
                "NIR 2 91 03 13 055 123 17, lithium ?",
            ):
                entry = AuditEntry(
                    datetime.now(UTC), "answer_sent", Platform.CONSOLE, "c1", "a" * 64, "fr",
                    question, Outcome.ANSWERED, 10, "Réponse.", "fr-1",
                )  # fmt: skip
                ids.append(await log.record(entry))
            return ids

    clean, dirty = asyncio.run(fill())
    capsys.readouterr()
    assert main(["audit", "export"]) == 1
    out, err = capsys.readouterr()
    assert [json.loads(line)["id"] for line in out.splitlines()] == [clean]
    assert f"audit row {dirty} not shown: question (NIR)" in err
    assert "055 123" not in out + err
    assert main(["audit", "show", str(dirty)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "question (NIR)" in err
