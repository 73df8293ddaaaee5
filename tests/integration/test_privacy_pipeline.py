"""Every labelled message through the real pipeline (embedded PostgreSQL, the local embedder,
spaCy's names, the extractive generator): no identifier in any reply, audit column, log line or line
of `medgpt audit export` / `audit show`."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
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
# Every identifier set (tests/data/README-privacy.md), so that a new batch is read back too.
ITEMS = [
    json.loads(line)
    for path in sorted([DATA / "pii_messages.jsonl", *DATA.glob("identifiers*.jsonl")])
    for line in path.read_text().splitlines()
    if line.strip()
]
# The batches below the bar (docs/privacy.md): their misses are not fixed from their own rows
# (held-out) or not yet fixed (dev), so each is held to the number of its messages that left
# an identifier somewhere, at its last measurement. Every other message leaves none.
# Of 133, 130, 120, 60 and 80 messages.
BELOW_THE_BAR = {
    "held-out B": 2,
    "held-out C": 9,
    "held-out D": 7,
    "held-out E": 7,
    "dev E": 1,
    "dev H": 3,
    "dev I": 0,
    "dev J": 32,
}


def _batch(n: int) -> str | None:
    return next((b for b in BELOW_THE_BAR if ITEMS[n].get("batch", "").startswith(b)), None)


def _values(n: int) -> set[str]:
    return {e["value"] for e in ITEMS[n]["entities"]}


def _leaked(haystack: str, values: set[str]) -> list[str]:
    """The identifier values found in the text, as whole words."""
    return sorted(v for v in values if re.search(rf"(?<!\w){re.escape(v)}(?!\w)", haystack))


# What cannot be told apart by message (log lines, metrics) is read for the values that no
# other message writes: "petit" is one patient's name and another message's adjective.
_ALL_TEXT = [i["text"] for i in ITEMS]
UNIQUE = {
    v
    for n in range(len(ITEMS))
    if _batch(n) is None
    for v in _values(n)
    if sum(bool(_leaked(t, {v})) for t in _ALL_TEXT) == 1
}


async def _answer_all(tmp_path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
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
    return replies, rows, json.dumps(logs, default=str, ensure_ascii=False) + metrics


def _message(conversation_id: str) -> int:
    return int(conversation_id.removeprefix("c"))


def test_no_labelled_identifier_reaches_a_reply_the_audit_or_its_export(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A DPO exporting the audit after every labelled message (French and English, each kind
    of identifier) finds none of them, nor does the clinician in a reply: each was removed
    before the search, the model, the logs and the audit saw it. Each message's identifiers
    are looked for in what that message produced (its reply, its audit rows, their export)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MEDGPT_DATA_DIR", str(tmp_path / "data"))
    replies, rows, unattributed = asyncio.run(_answer_all(tmp_path))
    assert len(replies) == len(ITEMS)
    assert {r["outcome"] for r in replies} >= {"answered", "abstained"}  # both paths exercised
    leaks: set[int] = set()  # the messages that left an identifier somewhere

    def read(n: int, text: str) -> None:
        if _leaked(text, _values(n)):
            leaks.add(n)

    for n, reply in enumerate(replies):
        read(n, json.dumps(reply, default=str, ensure_ascii=False))
    for row in rows:
        read(_message(row["conversation_id"]), json.dumps(row, default=str, ensure_ascii=False))
    assert _leaked(unattributed, UNIQUE) == []
    capsys.readouterr()
    for fmt in ("jsonl", "csv"):
        assert main(["audit", "export", "--format", fmt]) == 0  # no row withheld either
        exported = capsys.readouterr().out
        lines = (
            [json.loads(line) for line in exported.splitlines()]
            if fmt == "jsonl"
            else list(csv.DictReader(io.StringIO(exported)))
        )
        assert len(lines) >= 2 * len(ITEMS)  # received + answered, each
        for line in lines:
            read(_message(line["conversation_id"]), json.dumps(line, ensure_ascii=False))
    by_audit_id = {r["audit_id"]: n for n, r in enumerate(replies) if r["audit_id"] is not None}
    for answer_id in list(by_audit_id)[:: max(1, len(by_audit_id) // 25)]:  # ~25 shown
        assert main(["audit", "show", str(answer_id)]) == 0
        read(by_audit_id[answer_id], capsys.readouterr().out)
    # Counts only: a held-out batch's misses are never printed (they are not read).
    for batch, most in BELOW_THE_BAR.items():
        kept = sum(_batch(n) == batch for n in leaks)
        print(f"{batch}: {kept} messages left an identifier")
        assert kept <= most, batch
    at_the_bar = sorted(ITEMS[n]["id"] for n in leaks if _batch(n) is None)
    assert at_the_bar == []


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
