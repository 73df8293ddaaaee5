"""The Matrix bot against a real Synapse (started by the suite, stopped by its PID), with the
real Postgres, embedder and pipeline; a second matrix-nio client plays the clinician."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from adapters.embedders.local import LocalEmbedder
from adapters.generators.extractive import ExtractiveGenerator
from adapters.postgres.audit import PgAuditLog
from adapters.postgres.chat import PgChatState
from adapters.postgres.store import PgCorpus
from bots.conversation import ChatPolicy, conversation_service
from bots.matrix.app import MatrixBot
from bots.matrix.serve import login
from bots.matrix.sync import SYNC_FILTER
from bots.settings import Settings
from bots.wiring import read_files
from core.ingestion import Ingestor
from core.models import Platform
from core.pipeline import Pipeline
from testkit import synapse as synapse_process
from testkit.llm_server import free_port
from testkit.matrix_clinician import Clinician, Shown, answered, final
from tests.conftest import execute_sql, note, write
from tests.integration.test_slack import COLCHICINE

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"
HOSTILE = note(
    "Goutte <img src=https://evil.example/x.png> @room",
    "## Posologie\n\nPosologie de la colchicine dans la goutte : 1 mg, voir "
    '<a href="https://evil.example">cliquez ici</a> & <script>alert(1)</script> pour la '
    "crise de goutte.",
)
QUESTION = "Quelle est la posologie de la colchicine dans la crise de goutte ?"


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[synapse_process.Synapse]:
    server = synapse_process.start(tmp_path_factory.mktemp("synapse"))
    try:
        yield server
    finally:
        synapse_process.stop(server)
        assert server.process.returncode is not None  # reaped: no homeserver outlives the suite


@pytest.fixture
async def pipeline(
    tmp_path: Path, corpus: PgCorpus, embedder: LocalEmbedder, pool: asyncpg.Pool
) -> Pipeline:
    write(tmp_path / "corpus", "colchicine.md", COLCHICINE)
    write(tmp_path / "corpus", "hostile.md", HOSTILE)
    await Ingestor(embedder, corpus).ingest(read_files([tmp_path / "corpus"]))
    return Pipeline(
        embedder, corpus, ExtractiveGenerator(), PgAuditLog(pool), lambda user: f"p:{user}"
    )


@dataclass
class World:
    """One test's homeserver accounts, bot and clinician."""

    synapse: synapse_process.Synapse
    pipeline: Pipeline
    pool: asyncpg.Pool
    tmp: Path
    bot_id: str
    clinician: Clinician
    colleague_id: str
    running: list[tuple[MatrixBot, asyncio.Event, asyncio.Task[None]]] = field(default_factory=list)

    def settings(self) -> Settings:
        return Settings(
            MATRIX_HOMESERVER=self.synapse.url,
            MATRIX_USER_ID=self.bot_id,
            MATRIX_PASSWORD=PASSWORD,
            MEDGPT_DATA_DIR=self.tmp / "bot-data",
        )

    async def start_bot(self, poll_ms: int = 1000, **policy: object) -> MatrixBot:
        """`poll_ms`: the sync's long-poll; production's (30 s) where the test is about what
        wakes the bot, a short one elsewhere."""
        client = await login(self.settings())
        store = PgAuditLog(self.pool)
        rules = ChatPolicy(home_domain=self.bot_id.partition(":")[2], **policy)  # type: ignore[arg-type]
        bot = MatrixBot(
            service=conversation_service(self.pipeline, store, PgChatState(self.pool), rules),
            state=PgChatState(self.pool),
            client=client,
            poll_ms=poll_ms,
            edit_interval_s=0.0,
        )
        stop = asyncio.Event()
        task = asyncio.create_task(bot.run(stop))
        self.running.append((bot, stop, task))
        await asyncio.wait_for(bot.synced.wait(), 30)
        return bot

    async def stop_bot(self) -> None:
        bot, stop, task = self.running.pop()
        stop.set()
        await asyncio.wait_for(task, 30)
        await bot.tasks.drain()
        await bot.client.close()

    async def group_room(self, encrypted: bool = False) -> str:
        """A room of three (the clinician, a colleague, the bot), the bot joined."""
        room = await self.clinician.create_room(
            [self.bot_id, self.colleague_id], encrypted=encrypted
        )
        await self.joined(room)
        return room

    async def joined(self, room: str) -> None:
        await self.clinician.wait_membership(room, self.bot_id, "join")

    async def shown(self, room: str, count: int) -> list[Shown]:
        return await self.clinician.wait_for(room, self.bot_id, answered(count))


@pytest.fixture
async def world(
    synapse: synapse_process.Synapse, pipeline: Pipeline, pool: asyncpg.Pool, tmp_path: Path
) -> AsyncIterator[World]:
    tag = uuid.uuid4().hex[:8]
    bot_id = synapse.register(f"medgpt-{tag}", PASSWORD)
    clinician_id = synapse.register(f"dr-martin-{tag}", PASSWORD)
    colleague_id = synapse.register(f"dr-durand-{tag}", PASSWORD)
    clinician = Clinician(synapse.url, clinician_id, tmp_path / "clinician")
    await clinician.login(PASSWORD)
    world = World(synapse, pipeline, pool, tmp_path, bot_id, clinician, colleague_id)
    try:
        yield world
    finally:
        while world.running:
            await world.stop_bot()
        await clinician.close()


async def audit_events(pool: asyncpg.Pool, event: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT * FROM audit_events WHERE event = $1 AND platform = 'matrix' ORDER BY id", event
    )


async def test_invited_then_a_mention_gets_a_threaded_answer_with_sources(world: World) -> None:
    """A clinician invites the bot, mentions it: the answer comes in the question's thread, with
    numbered sources, the disclaimer, no ping, and an audit row; chatter and edits are ignored."""
    await world.start_bot()
    room = await world.group_room()
    await world.clinician.send(room, "Bonjour à tous, réunion à 14 h.")  # not for the bot
    question = await world.clinician.send(room, QUESTION, mention=world.bot_id)
    edit = {
        "msgtype": "m.text",
        "body": "* " + QUESTION,
        "m.new_content": {"msgtype": "m.text", "body": QUESTION},
        "m.relates_to": {"rel_type": "m.replace", "event_id": question},
    }
    await world.clinician.send_raw(room, "m.room.message", edit)  # an edit is not a new question
    [answer] = final(await world.shown(room, 1))
    original = (await world.clinician.client.room_get_event(room, answer.event_id)).event.source
    relation = original["content"]["m.relates_to"]
    assert relation["rel_type"] == "m.thread"
    assert relation["event_id"] == question
    assert relation["m.in_reply_to"] == {"event_id": question}
    assert answer.content["msgtype"] == "m.notice"
    assert answer.content["m.mentions"] == {}
    assert "1 mg" in answer.body
    assert '[1] <a href="https://example.org/fr">Colchicine : crise de goutte</a>' in answer.html
    assert "Sources" in answer.html
    assert "ne remplace pas" in answer.body  # the disclaimer, in French
    await asyncio.sleep(1.5)  # the edit and the chatter had time to be (wrongly) answered
    assert len(await world.clinician.messages_from(room, world.bot_id)) == 1
    [row] = await audit_events(world.pool, "answer_sent")
    assert row["conversation_id"] == f"{room}:{question}"


async def test_older_client_reaches_the_bot_by_its_display_name(world: World) -> None:
    """A client that sends no m.mentions: 'medgpt-…: question' is a mention (the display name
    Synapse gave the account), the same words without the name are not."""
    bot = await world.start_bot()
    name = bot.identity.display_name
    assert name
    room = await world.group_room()
    await world.clinician.send_raw(room, "m.room.message", {"msgtype": "m.text", "body": QUESTION})
    body = f"{name}: {QUESTION}"
    await world.clinician.send_raw(room, "m.room.message", {"msgtype": "m.text", "body": body})
    [answer] = final(await world.shown(room, 1))
    assert "1 mg" in answer.body
    await asyncio.sleep(1.5)
    assert len(await audit_events(world.pool, "answer_sent")) == 1


async def test_direct_message_is_answered_without_a_mention(world: World) -> None:
    """In a one-to-one room every message is a question."""
    await world.start_bot()
    room = await world.clinician.create_room([world.bot_id], direct=True)
    await world.joined(room)
    await world.clinician.send(room, QUESTION)
    [answer] = final(await world.shown(room, 1))
    assert "colchicine" in answer.body.lower()


async def test_follow_up_in_the_thread_carries_its_context(world: World) -> None:
    """'et chez l'insuffisant rénal ?' in the bot's thread, without a mention, is answered about
    colchicine."""
    await world.start_bot()
    room = await world.group_room()
    question = await world.clinician.send(room, QUESTION, mention=world.bot_id)
    await world.shown(room, 1)
    await world.clinician.send(room, "Et chez l'insuffisant rénal sévère ?", thread=question)
    answers = final(await world.shown(room, 2))
    assert "contre-indiquée" in answers[1].body
    assert len(await audit_events(world.pool, "answer_sent")) == 2


async def test_encrypted_room_round_trip(world: World) -> None:
    """In an end-to-end encrypted room the bot reads the question and its answer is encrypted."""
    await world.start_bot()
    room = await world.group_room(encrypted=True)
    await world.clinician.send(room, QUESTION, mention=world.bot_id)
    [answer] = final(await world.shown(room, 1))
    assert answer.encrypted
    assert "1 mg" in answer.body
    raw = await world.pool.fetchval("SELECT count(*) FROM audit_events WHERE event='answer_sent'")
    assert raw == 1


async def test_reaction_on_an_answer_is_recorded_as_feedback(world: World) -> None:
    """👎 then 👍 (with a skin tone) on an answer: both recorded against its audit entry."""
    await world.start_bot()
    room = await world.group_room()
    await world.clinician.send(room, QUESTION, mention=world.bot_id)
    [answer] = final(await world.shown(room, 1))
    await world.clinician.react(room, answer.event_id, "👎")
    await world.clinician.react(room, answer.event_id, "👍🏽")
    [sent] = await audit_events(world.pool, "answer_sent")
    for _ in range(100):
        feedback = await audit_events(world.pool, "feedback")
        if len(feedback) == 2:
            break
        await asyncio.sleep(0.2)
    assert [f["outcome"] for f in feedback] == ["down", "up"]
    assert {json.loads(f["details"])["answer_id"] for f in feedback} == {sent["id"]}


async def test_restart_answers_what_arrived_while_down_once(world: World) -> None:
    """Stopped mid-conversation, restarted: the question asked meanwhile is answered once, the
    earlier one is not answered again, and the device is reused."""
    bot = await world.start_bot()
    device = bot.client.device_id
    room = await world.group_room()
    await world.clinician.send(room, QUESTION, mention=world.bot_id)
    await world.shown(room, 1)
    await world.stop_bot()
    await world.clinician.send(room, "Colchicine et insuffisance rénale ?", mention=world.bot_id)
    restarted = await world.start_bot()
    assert restarted.client.device_id == device
    answers = final(await world.shown(room, 2))
    assert "contre-indiquée" in answers[1].body
    await asyncio.sleep(1.5)
    assert len(final(await world.clinician.messages_from(room, world.bot_id))) == 2
    assert len(await audit_events(world.pool, "answer_sent")) == 2


async def test_question_buried_under_a_long_outage_is_still_answered(world: World) -> None:
    """More messages arrived while the bot was down than one sync carries: the gap is fetched
    and the question at its start is answered, once."""
    await world.start_bot()
    room = await world.group_room()
    await world.stop_bot()
    await world.clinician.send(room, QUESTION, mention=world.bot_id)
    for i in range(SYNC_FILTER["room"]["timeline"]["limit"] + 5):
        await world.clinician.send(room, f"Message de service n° {i}.")
    await world.start_bot()
    [answer] = final(await world.shown(room, 1))
    assert "1 mg" in answer.body
    assert len(await audit_events(world.pool, "answer_sent")) == 1


async def test_html_in_the_corpus_is_escaped(world: World) -> None:
    """Markup in a source (a link, an image, a script, @room) arrives as text, never as HTML."""
    await world.start_bot()
    room = await world.group_room()
    await world.clinician.send(room, "Posologie de la colchicine dans la goutte ?", world.bot_id)
    [answer] = final(await world.shown(room, 1))
    assert "evil.example" in answer.html  # the hostile note was cited…
    assert "<img" not in answer.html  # …as text
    assert "<script" not in answer.html
    assert '<a href="https://evil.example"' not in answer.html
    assert "&lt;script&gt;" in answer.html or "&lt;img" in answer.html
    assert answer.content["m.mentions"] == {}


async def test_invite_from_someone_not_allowed_is_declined(world: World) -> None:
    """Only allowed people can bring the bot into a room."""
    await world.start_bot(allowed_users=frozenset({world.colleague_id}))
    room = await world.clinician.create_room([world.bot_id])
    await world.clinician.wait_membership(room, world.bot_id, "leave")  # the invite rejected


async def test_homeserver_rate_limit_is_honoured(world: World) -> None:
    """At one message a second, the placeholder and its edits hit M_LIMIT_EXCEEDED: the bot
    waits as told and the answer still arrives whole."""
    world.synapse.limit_messages(world.bot_id, 1, 1)
    await world.start_bot()
    room = await world.clinician.create_room([world.bot_id], direct=True)
    await world.joined(room)
    await world.clinician.send(room, QUESTION)
    [answer] = final(await world.shown(room, 1))
    assert "1 mg" in answer.body


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_first_question_right_after_the_invite_is_answered_at_once(
    world: World, encrypted: bool
) -> None:
    """A clinician invites the bot and asks within a second of its join: the threaded answer
    comes within 5 s (homeserver clock), on the sync's production long-poll, without anyone
    else having to speak."""
    await world.start_bot(poll_ms=30_000)
    room = await world.clinician.create_room([world.bot_id, world.colleague_id], encrypted)
    await world.joined(room)
    joined = asyncio.get_running_loop().time()
    question = await world.clinician.send(room, QUESTION, mention=world.bot_id)
    assert asyncio.get_running_loop().time() - joined < 1.0
    asked = await world.clinician.sent_at(room, question)
    [answer] = final(await world.clinician.wait_for(room, world.bot_id, answered(1), 20))
    assert answer.encrypted == encrypted
    assert "1 mg" in answer.body
    assert answer.shown_ms - asked <= 5_000, answer.shown_ms - asked
    print(f"question to answer: {answer.shown_ms - asked} ms")


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_invite_waiting_at_start_then_a_question_at_once(
    world: World, encrypted: bool
) -> None:
    """The bot was invited while it was down (its first start, no position saved, its device
    not yet created): it joins when it starts, and a question sent within a second of the join
    gets its threaded answer within 5 s."""
    room = await world.clinician.create_room([world.bot_id, world.colleague_id], encrypted)
    await world.start_bot(poll_ms=30_000)
    await world.joined(room)
    joined = asyncio.get_running_loop().time()
    question = await world.clinician.send(room, QUESTION, mention=world.bot_id)
    assert asyncio.get_running_loop().time() - joined < 1.0
    asked = await world.clinician.sent_at(room, question)
    [answer] = final(await world.clinician.wait_for(room, world.bot_id, answered(1), 20))
    assert answer.encrypted == encrypted
    assert await _thread_of(world, room, answer) == question
    assert answer.shown_ms - asked <= 5_000, answer.shown_ms - asked
    print(f"question to answer: {answer.shown_ms - asked} ms")


async def test_question_whose_room_key_comes_late_is_answered_when_it_comes(world: World) -> None:
    """Encrypted room: the clinician's client sends the room key to the bot's device 2 s after
    the question it opens (a client that shares keys late). The bot keeps the unreadable
    question and answers it, in its thread, once the key is in: not never, and without
    anyone else having to speak."""
    await world.start_bot(poll_ms=30_000)
    room = await world.clinician.create_room([world.bot_id, world.colleague_id], True)
    await world.joined(room)
    question, share_key = await world.clinician.send_key_later(room, QUESTION, world.bot_id, 2)
    await share_key()
    shared = int(time.time() * 1000)  # this host's clock, as the homeserver's on loopback
    [answer] = final(await world.clinician.wait_for(room, world.bot_id, answered(1), 20))
    assert answer.encrypted
    assert "1 mg" in answer.body
    assert await _thread_of(world, room, answer) == question
    assert answer.shown_ms - shared <= 5_000, answer.shown_ms - shared
    print(f"key to answer: {answer.shown_ms - shared} ms")


async def test_a_message_the_bot_cannot_read_does_not_hold_up_the_next_question(
    world: World,
) -> None:
    """Encrypted room: a message whose room key never reaches the bot (a client that did not
    know the bot's device) is followed by a question it can read: that question is answered
    at once, the unreadable one is kept (it used to stop the sync loop: every later message
    of every room went unanswered until a restart)."""
    bot = await world.start_bot(poll_ms=30_000)
    room = await world.clinician.create_room([world.bot_id, world.colleague_id], True)
    await world.joined(room)
    await world.clinician.send_key_later(room, "Une question illisible ?", world.bot_id, 0)
    world.clinician.client.invalidate_outbound_session(room)  # its next message: a new key
    question = await world.clinician.send(room, QUESTION, mention=world.bot_id)
    asked = await world.clinician.sent_at(room, question)
    [answer] = final(await world.clinician.wait_for(room, world.bot_id, answered(1), 20))
    assert await _thread_of(world, room, answer) == question
    assert answer.shown_ms - asked <= 5_000, answer.shown_ms - asked
    print(f"question to answer: {answer.shown_ms - asked} ms")
    assert len(bot.undecrypted) == 1


async def test_question_waiting_for_its_key_survives_a_restart(world: World) -> None:
    """Encrypted room: the bot is restarted while a question waits for its room key, and the
    key reaches its device while it is down. The restarted bot answers it, in its thread (it
    used to be lost with the process: the sync position had moved past it)."""
    bot = await world.start_bot()
    room = await world.clinician.create_room([world.bot_id, world.colleague_id], True)
    await world.joined(room)
    question, share_key = await world.clinician.send_key_later(room, QUESTION, world.bot_id, 0)
    deadline = time.monotonic() + 20
    while len(bot.undecrypted) == 0:
        assert time.monotonic() < deadline, "the bot never received the question"
        await asyncio.sleep(0.2)
    await world.stop_bot()
    await share_key()
    started = time.monotonic()
    await world.start_bot()
    [answer] = final(await world.clinician.wait_for(room, world.bot_id, answered(1), 30))
    print(f"restart to answer: {time.monotonic() - started:.1f} s")
    assert answer.encrypted
    assert "1 mg" in answer.body
    assert await _thread_of(world, room, answer) == question
    assert await PgChatState(world.pool).held_events(Platform.MATRIX, world.bot_id) == []


async def _thread_of(world: World, room: str, shown: Shown) -> str:
    """The thread root the bot's message was posted in."""
    original = (await world.clinician.client.room_get_event(room, shown.event_id)).event.source
    relation = original["content"]["m.relates_to"]
    assert relation["rel_type"] == "m.thread"
    return str(relation["event_id"])


class _Slow(ExtractiveGenerator):
    """Extracts as the default does, a few seconds later (a language model at work)."""

    async def generate(self, *args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(3)
        return await super().generate(*args, **kwargs)


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_follow_up_sent_while_the_first_answer_is_coming_is_answered_after_it(
    world: World, encrypted: bool
) -> None:
    """'Et chez l'insuffisant rénal sévère ?' written in the thread while the bot is still
    answering the first question: answered too, after the first answer, about colchicine."""
    world.pipeline = dataclasses.replace(world.pipeline, generator=_Slow())
    await world.start_bot()
    room = await world.group_room(encrypted)
    question = await world.clinician.send(room, QUESTION, mention=world.bot_id)
    await world.clinician.wait_for(room, world.bot_id, lambda shown: len(shown) >= 1)
    await world.clinician.send(room, "Et chez l'insuffisant rénal sévère ?", thread=question)
    first, second = final(await world.shown(room, 2))
    assert "1 mg" in first.body
    assert "contre-indiquée" in second.body  # read with the first question as its context
    assert second.posted_ms >= first.shown_ms  # begun once the first answer was complete
    original = (await world.clinician.client.room_get_event(room, second.event_id)).event.source
    assert original["content"]["m.relates_to"]["event_id"] == question  # in the same thread
    assert len(await audit_events(world.pool, "answer_sent")) == 2


async def _alive(url: str, timeout_s: float = 120) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    async with aiohttp.ClientSession() as http:
        while asyncio.get_running_loop().time() < deadline:
            try:
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError(f"{url} never answered")


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_cold_start_on_a_fresh_data_directory_answers_from_the_demo_corpus(
    world: World, encrypted: bool
) -> None:
    """`medgpt serve matrix` with no settings but the account (spaCy's names included), on a
    fresh data directory: invited as it starts and asked at once, it shows a sign within 2 s
    while it still loads its models and indexes the demo notes, then answers from them
    (labelled demo content); the follow-up written in the thread meanwhile is answered after."""
    health_port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MATRIX_", "LLM_"))},
        "MEDGPT_DATA_DIR": str(world.tmp / "fresh"),
        "MEDGPT_HEALTH_HOST": "127.0.0.1",
        "MEDGPT_HEALTH_PORT": str(health_port),
        "MATRIX_HOMESERVER": world.synapse.url,
        "MATRIX_USER_ID": world.bot_id,
        "MATRIX_PASSWORD": PASSWORD,
    }
    env.pop("DATABASE_URL", None)
    clock = asyncio.get_running_loop().time
    started = clock()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.cli", "serve", "matrix",
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await _alive(f"http://127.0.0.1:{health_port}/healthz")
        room = await world.clinician.create_room(
            [world.bot_id, world.colleague_id], encrypted=encrypted
        )
        # Syncing while the models load and the notes are indexed (not after: ~40 s here).
        await world.clinician.wait_membership(room, world.bot_id, "join", timeout_s=20)
        question = "Quelle est la cible d'INR sous AVK ?"
        asked_id = await world.clinician.send(room, question, mention=world.bot_id)
        asked = await world.clinician.sent_at(room, asked_id)
        [sign] = await world.clinician.wait_for(room, world.bot_id, lambda s: len(s) >= 1, 10)
        assert sign.posted_ms - asked <= 2_000, sign.posted_ms - asked
        assert sign.encrypted == encrypted
        await world.clinician.send(room, "Et en cas de valve mécanique ?", thread=asked_id)
        # The answer waits for the embedder and the demo notes' indexing: ~20 s on a quiet
        # machine (README), minutes on a busy one.
        answers = final(await world.clinician.wait_for(room, world.bot_id, answered(2), 300))
        answer, follow_up = answers
        cold = clock() - started
        async with aiohttp.ClientSession() as http:
            ready = f"http://127.0.0.1:{health_port}/readyz"
            async with http.get(ready) as response:
                corpus = (await response.json())["checks"]["corpus"]
    finally:
        assert await _sigterm(process) == 0
    assert "INR" in answer.body
    assert "[1]" in answer.body
    assert "contenu de démonstration" in answer.body  # the demo notes say what they are
    assert follow_up.posted_ms >= answer.shown_ms  # after the first answer, in its thread
    assert "INR" in follow_up.body  # read with the first question as its context
    assert await _thread_of(world, room, follow_up) == asked_id
    assert corpus.startswith("ok: 46 documents")
    print(
        f"cold start to answer: {cold:.1f} s; question to sign: {sign.posted_ms - asked} ms;"
        f" question to answer: {answer.shown_ms - asked} ms"
    )


async def _serve_matrix(env: dict[str, str]) -> tuple[asyncio.subprocess.Process, str]:
    health_port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.cli", "-v", "serve", "matrix",
        env={**env, "MEDGPT_HEALTH_PORT": str(health_port)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{health_port}/readyz"
    async with aiohttp.ClientSession() as http:
        for _ in range(240):
            try:
                async with http.get(url) as response:
                    if response.status == 200:
                        return process, url
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
    process.kill()
    await process.wait()
    raise AssertionError("medgpt serve matrix did not become ready")


async def _sigterm(process: asyncio.subprocess.Process) -> int:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(process.wait(), 90)


async def test_two_replicas_one_syncer_and_failover(world: World, database_url: str) -> None:
    """`medgpt serve matrix` twice on one account: one syncs and answers, the other stands by;
    when the first is killed (SIGKILL: no clean-up, PostgreSQL drops its lock with its
    connection) the second takes over and answers. (The bots began warming the corpus.)"""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MATRIX_", "LLM_"))},
        "DATABASE_URL": database_url,
        "MEDGPT_DATA_DIR": str(world.tmp / "shared-volume"),
        "MEDGPT_NAME_DETECTION": "patterns",
        "MEDGPT_HEALTH_HOST": "127.0.0.1",
        "MATRIX_HOMESERVER": world.synapse.url,
        "MATRIX_USER_ID": world.bot_id,
        "MATRIX_PASSWORD": PASSWORD,
    }
    first, _ = await _serve_matrix(env)
    second = None
    try:
        room = await world.clinician.create_room([world.bot_id], direct=True)
        await world.joined(room)
        second, second_ready = await _serve_matrix(env)
        async with aiohttp.ClientSession() as http, http.get(second_ready) as response:
            assert "standby" in await response.text()
        await world.clinician.send(room, QUESTION)
        await world.shown(room, 1)
        first.kill()
        assert await first.wait() == -signal.SIGKILL
        await world.clinician.send(room, "Colchicine et insuffisance rénale sévère ?")
        answers = final(await world.shown(room, 2))
        assert "contre-indiquée" in answers[1].body
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()
        if second is not None:
            assert await _sigterm(second) == 0  # the survivor still stops cleanly
    assert len(final(await world.clinician.messages_from(room, world.bot_id))) == 2
    assert len(await audit_events(world.pool, "answer_sent")) == 2
    prewarm = "SELECT count(*) FROM pg_extension WHERE extname = 'pg_prewarm'"
    assert await execute_sql(database_url, prewarm) == 1
