"""Contract tests: each port the conversation service uses, one test body run against the
in-memory fake (testkit/fakes.py) and the Postgres adapter, so that neither can drift from the
other while the unit tests, which use the fakes, keep passing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.postgres.audit import PgAuditLog
from adapters.postgres.chat import PgChatState
from bots.conversation import ChatStore, ReplyLinks
from core.models import Outcome, Platform, Turn
from core.ports import AuditEntry, HeldEvent
from testkit.fakes import FakeAudit, FakeChatState

pytestmark = pytest.mark.integration

SLACK, MATRIX = Platform.SLACK, Platform.MATRIX
THREAD = "T0HOSP:C0URGENCES:1764160000.000100"


@pytest.fixture(params=["fake", "postgres"])
def store(request: pytest.FixtureRequest) -> ChatStore:
    """The audit log, the threads' turns and the ledger: FakeAudit, then PgAuditLog."""
    if request.param == "fake":
        return FakeAudit()
    return PgAuditLog(request.getfixturevalue("pool"))


@pytest.fixture(params=["fake", "postgres"])
def state(request: pytest.FixtureRequest) -> FakeChatState | PgChatState:
    """Sync positions, held events and reply links: FakeChatState, then PgChatState."""
    if request.param == "fake":
        return FakeChatState()
    return PgChatState(request.getfixturevalue("pool"))


def row(
    event: str,
    question: str = "Quelle posologie de colchicine ?",
    reply: str = "",
    thread: str = THREAD,
    platform: Platform = SLACK,
) -> AuditEntry:
    outcomes = {
        "question_received": Outcome.RECEIVED,
        "answer_sent": Outcome.ANSWERED,
        "abstained": Outcome.ABSTAINED,
        "emergency": Outcome.EMERGENCY,
        "rejected": Outcome.REJECTED,
    }
    return AuditEntry(
        occurred_at=datetime.now(UTC),
        event=event,
        platform=platform,
        conversation_id=thread,
        user_pseudonym="p:dr.martin",
        language="fr",
        question=question,
        outcome=outcomes[event],
        latency_ms=12,
        reply_text=reply,
    )


async def exchange(store: ChatStore, question: str, reply: str, event: str = "answer_sent") -> int:
    """A question as the pipeline records it: received first, then its outcome."""
    await store.record(row("question_received", question))
    return await store.record(row(event, question, reply))


async def test_ledger_says_first_once_per_message_and_platform(store: ChatStore) -> None:
    """A redelivered event (a Slack retry, a second replica's sync) is never answered twice;
    the same id on another platform is another message."""
    assert await store.first_delivery(SLACK, "T0HOSP:C0URGENCES:1764160000.000100")
    assert not await store.first_delivery(SLACK, "T0HOSP:C0URGENCES:1764160000.000100")
    assert await store.first_delivery(SLACK, "T0HOSP:C0URGENCES:1764160200.000300")
    assert await store.first_delivery(MATRIX, "T0HOSP:C0URGENCES:1764160000.000100")


async def test_ids_grow_with_each_row(store: ChatStore) -> None:
    """Every row gets a new, larger id (buttons and reactions refer to answers by it)."""
    ids = [await store.record(row(e)) for e in ("question_received", "answer_sent", "abstained")]
    assert ids == sorted(set(ids))


async def test_turns_are_the_answered_exchanges_of_the_thread_oldest_first(
    store: ChatStore,
) -> None:
    """A follow-up reads what was answered (or abstained on) in its own thread, the latest
    `limit` of them, oldest first; received questions, refusals and other threads are not
    turns, nor is feedback."""
    assert await store.turns(SLACK, THREAD, 5) == []
    await exchange(store, "q1", "r1")
    answer = await exchange(store, "q2", "r2", "abstained")
    await exchange(store, "q3", "r3", "rejected")
    await exchange(store, "q4", "r4", "emergency")
    await store.record(row("answer_sent", "elsewhere", "other", thread="T0HOSP:C0OTHER:1.0"))
    await store.record(row("answer_sent", "on matrix", "other", platform=MATRIX))
    assert await store.feedback(answer, SLACK, "p:dr.durand", "up")
    await exchange(store, "q5", "r5")
    assert await store.turns(SLACK, THREAD, 5) == [
        Turn("q1", "r1"),
        Turn("q2", "r2"),
        Turn("q5", "r5"),
    ]
    assert await store.turns(SLACK, THREAD, 2) == [Turn("q2", "r2"), Turn("q5", "r5")]
    assert await store.turns(MATRIX, THREAD, 5) == [Turn("on matrix", "other")]


async def test_feedback_reaches_answers_only(store: ChatStore) -> None:
    """👍 / 👎 on an answer or an abstention is recorded; on a received question, another row or
    an id that does not exist it is refused (False), so the bot can say nothing was recorded."""
    answered = await exchange(store, "q1", "r1")
    abstained = await exchange(store, "q2", "r2", "abstained")
    rejected = await exchange(store, "q3", "r3", "rejected")
    assert await store.feedback(answered, SLACK, "p:dr.martin", "down")
    assert await store.feedback(answered, SLACK, "p:dr.martin", "up")  # a change of mind
    assert await store.feedback(abstained, MATRIX, "p:dr.martin", "report")
    assert not await store.feedback(answered - 1, SLACK, "p:dr.martin", "up")  # 'received'
    assert not await store.feedback(rejected, SLACK, "p:dr.martin", "up")
    assert not await store.feedback(rejected + 1000, SLACK, "p:dr.martin", "up")


async def test_reply_links_lead_from_a_posted_message_to_its_answer(state: ReplyLinks) -> None:
    """A reaction on any message of a posted reply finds the answer's audit entry and language;
    a message the bot never posted, or one on another platform, finds nothing; a reply is
    linked once (a redelivered link does not move it)."""
    answer = 41
    assert await state.reply(MATRIX, "$placeholder") is None
    await state.remember_reply(MATRIX, "$placeholder", answer, "en")
    await state.remember_reply(MATRIX, "$continued", answer, "en")
    await state.remember_reply(MATRIX, "$placeholder", answer + 1, "fr")
    assert await state.reply(MATRIX, "$placeholder") == (answer, "en")
    assert await state.reply(MATRIX, "$continued") == (answer, "en")
    assert await state.reply(SLACK, "$placeholder") is None


async def test_sync_position_is_kept_per_account(state: FakeChatState | PgChatState) -> None:
    """A restart resumes where its account's sync stopped; another account starts afresh."""
    assert await state.position(MATRIX, "@medgpt:hopital.fr") is None
    await state.save_position(MATRIX, "@medgpt:hopital.fr", "s1_2")
    await state.save_position(MATRIX, "@medgpt:hopital.fr", "s3_4")
    assert await state.position(MATRIX, "@medgpt:hopital.fr") == "s3_4"
    assert await state.position(MATRIX, "@other:hopital.fr") is None
    assert await state.position(SLACK, "@medgpt:hopital.fr") is None


async def test_held_events_survive_until_released_oldest_first(
    state: FakeChatState | PgChatState,
) -> None:
    """An encrypted question the bot could not read yet is still there for the next start, as
    received, oldest first, per account; holding it again keeps its first time (its age is
    not reset by a redelivery); once released (read, or too old) it is gone."""
    bot, other = "@medgpt:hopital.fr", "@other:hopital.fr"
    start = datetime(2026, 1, 15, 8, 30, tzinfo=UTC)
    later = HeldEvent("$late", "!urgences:hopital.fr", '{"type": "m.room.encrypted"}', start)
    early = HeldEvent("$early", "!garde:hopital.fr", '{"content": {}}', start - timedelta(5))
    assert await state.held_events(MATRIX, bot) == []
    await state.hold_event(MATRIX, bot, later)
    await state.hold_event(MATRIX, bot, early)
    await state.hold_event(MATRIX, bot, HeldEvent("$late", "!x", "{}", start + timedelta(1)))
    await state.hold_event(MATRIX, other, HeldEvent("$theirs", "!y", "{}", start))
    assert await state.held_events(MATRIX, bot) == [early, later]
    assert await state.held_events(SLACK, bot) == []
    await state.release_event(MATRIX, bot, "$early")
    await state.release_event(MATRIX, bot, "$never-held")
    assert await state.held_events(MATRIX, bot) == [later]
    assert [e.event_id for e in await state.held_events(MATRIX, other)] == ["$theirs"]
