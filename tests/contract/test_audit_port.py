"""Contract tests of the audit log (core.ports.AuditLog, read back through the threads' turns):
one test body run against the in-memory fake (FakeAudit) and the Postgres adapter (PgAuditLog).
Its ids and feedback are held in test_chat_ports.py."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from adapters.postgres.audit import PgAuditLog
from bots.conversation import ChatStore
from core.errors import StoreError
from core.models import Outcome, Platform, Turn
from core.ports import AuditEntry
from testkit.fakes import FakeAudit

pytestmark = pytest.mark.integration

THREAD = "!urgences:hopital.fr/$question"


@pytest.fixture(params=["fake", "postgres"])
def audit(request: pytest.FixtureRequest) -> ChatStore:
    """The audit log: FakeAudit, then PgAuditLog on a fresh database."""
    if request.param == "fake":
        return FakeAudit()
    return PgAuditLog(request.getfixturevalue("pool"))


def answer(question: str, reply: str, **details: object) -> AuditEntry:
    return AuditEntry(
        occurred_at=datetime.now(UTC),
        event="answer_sent",
        platform=Platform.MATRIX,
        conversation_id=THREAD,
        user_pseudonym="p:dr.martin",
        language="fr",
        question=question,
        outcome=Outcome.ANSWERED,
        latency_ms=840,
        reply_text=reply,
        disclaimer_version="fr-1",
        generator="chat:smollm2",
        passage_ids=(3, 7),
        document_hashes=("a" * 64,),
        details=details,
    )


async def test_the_recorded_text_is_read_back_exactly(audit: ChatStore) -> None:
    """The data-protection officer and a follow-up question read what was asked and answered,
    character for character: accents, emoji, quotes, line breaks and a long paste."""
    question = "Posologie du « Doliprane® » chez l'enfant de 12 kg ?\n\t— 💊 'urgent' \\ fin"
    reply = "Paracétamol : 15 mg/kg par prise [1].\n• « 60 mg/kg/j » au maximum [1].\n" * 200
    await audit.record(answer(question, reply, removed=[], draft=reply))
    assert await audit.turns(Platform.MATRIX, THREAD, 5) == [Turn(question, reply)]


async def test_rows_recorded_at_once_get_distinct_ids(audit: ChatStore) -> None:
    """Two clinicians answered at the same moment never share an audit id (a 👍 on one answer
    never lands on the other)."""
    ids = await asyncio.gather(*(audit.record(answer(f"q{i}", f"r{i}")) for i in range(12)))
    assert len(set(ids)) == 12
    assert [t.question for t in await audit.turns(Platform.MATRIX, THREAD, 12)] == sorted(
        (f"q{i}" for i in range(12)), key=lambda q: ids[int(q[1:])]
    )


async def test_a_row_the_database_cannot_hold_is_refused_whole(audit: ChatStore) -> None:
    """A row the database cannot store (a NUL character in a pasted question, a NaN among the
    details) raises a StoreError, which the pipeline counts and logs as a lost audit entry;
    nothing of it is kept, and the next row is written as usual."""
    with pytest.raises(StoreError):
        await audit.record(answer("dose\x00 ?", "r"))
    with pytest.raises(StoreError):
        await audit.record(answer("q", "r", similarity=float("nan")))
    assert await audit.turns(Platform.MATRIX, THREAD, 5) == []
    await audit.record(replace(answer("q", "r"), details={"similarity": 0.5}))
    assert await audit.turns(Platform.MATRIX, THREAD, 5) == [Turn("q", "r")]
