"""The Slack bot against a recording fake of the Web API, with the real Postgres, embedder and
pipeline; events come from recorded payloads (tests/data/slack) through Socket-Mode-style
dispatch and through signed HTTP requests."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from dataclasses import replace as replaced
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from slack_bolt.request.async_request import AsyncBoltRequest

from adapters.embedders.local import LocalEmbedder
from adapters.generators.extractive import ExtractiveGenerator
from adapters.postgres.audit import PgAuditLog
from adapters.postgres.chat import PgChatState
from adapters.postgres.store import PgCorpus
from bots.conversation import ChatPolicy, conversation_service
from bots.slack.app import SlackBot, web_client
from bots.slack.serve import http_app
from bots.wiring import read_files
from core.ingestion import Ingestor
from core.pipeline import Pipeline
from testkit.slack_fake import FakeSlack
from tests.conftest import DATA, note, write

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
COLCHICINE = note(
    "Colchicine : crise de goutte",
    "## Posologie\n\nDans la crise de goutte, la colchicine se donne à faible dose : 1 mg puis "
    "0,5 mg une heure plus tard le premier jour.\n\n## Insuffisance rénale\n\nChez "
    "l'insuffisant rénal sévère, la colchicine est contre-indiquée.",
)
HOSTILE = note(
    "Goutte : alerte <!channel>",
    "## Posologie\n\nPosologie de la colchicine dans la goutte : 1 mg, voir <@U0BOSS> & "
    "<https://evil.example|cliquez ici> pour la crise de goutte.",
)


def payload(name: str, **event: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "slack" / f"{name}.json").read_text())
    data = copy.deepcopy(data)
    data.get("event", {}).update(event)
    return data


@pytest.fixture
def fake(fake_slack: FakeSlack) -> FakeSlack:
    return fake_slack


@pytest.fixture
async def store(pool: asyncpg.Pool) -> PgAuditLog:
    return PgAuditLog(pool)


@pytest.fixture
async def pipeline(
    tmp_path: Path, corpus: PgCorpus, embedder: LocalEmbedder, store: PgAuditLog
) -> Pipeline:
    write(tmp_path, "colchicine.md", COLCHICINE)
    write(tmp_path, "hostile.md", HOSTILE)
    await Ingestor(embedder, corpus).ingest(read_files([tmp_path]))
    return Pipeline(embedder, corpus, ExtractiveGenerator(), store, lambda user: f"p:{user}")


def make_bot(fake: FakeSlack, pipeline: Pipeline, store: PgAuditLog, **policy: Any) -> SlackBot:
    """`policy`: the settings' knobs (allowed_channels, questions_per_minute, stream…)."""
    stream = policy.pop("stream", True)
    per_minute = policy.pop("questions_per_minute", 10)
    if "allowed_channels" in policy:
        policy["allowed_rooms"] = policy.pop("allowed_channels")
    service = conversation_service(
        pipeline, store, PgChatState(store.pool), ChatPolicy(**policy), per_minute
    )
    return SlackBot(
        service=service,
        client=web_client("xoxb-test", fake.url),
        signing_secret=SECRET,
        stream=stream,
    )


async def dispatch(bot: SlackBot, body: dict[str, Any]) -> None:
    """What slack-bolt's Socket Mode handler does with an envelope's payload."""
    response = await bot.app.async_dispatch(AsyncBoltRequest(body=body, mode="socket_mode"))
    assert response.status == 200
    await bot.tasks.idle()


def answers(fake: FakeSlack) -> list[dict[str, Any]]:
    """The bot's answers as members see them now (placeholders and deleted messages aside)."""
    return [m for _, m in sorted(fake.messages.items()) if m.get("blocks")]


def final_text(fake: FakeSlack) -> str:
    [answer] = answers(fake)
    return json.dumps(answer["blocks"], ensure_ascii=False)


async def test_mention_gets_a_threaded_answer_with_sources_disclaimer_and_audit(
    fake: FakeSlack, pipeline: Pipeline, store: PgAuditLog, pool: asyncpg.Pool
) -> None:
    """A mention is answered in its thread: sign of receipt, answer, sources, disclaimer, audit."""
    bot = make_bot(fake, pipeline, store)
    await dispatch(bot, payload("app_mention"))
    [reaction] = fake.called("reactions.add")
    assert reaction["timestamp"] == "1764160000.000100"
    [placeholder] = fake.called("chat.postMessage")
    assert (placeholder["channel"], placeholder["thread_ts"]) == ("C0URGENCES", "1764160000.000100")
    blocks = final_text(fake)
    assert "colchicine se donne à faible dose" in blocks
    assert "*Sources*" in blocks
    assert "ne remplace pas le jugement clinique" in blocks
    assert "feedback_up" in blocks
    assert fake.called("reactions.remove")
    row = await pool.fetchrow(
        "SELECT platform, conversation_id, event FROM audit_events"
        " WHERE event <> 'question_received'"
    )
    assert dict(row) == {  # type: ignore[arg-type]
        "platform": "slack",
        "conversation_id": "T0HOSP:C0URGENCES:1764160000.000100",
        "event": "answer_sent",
    }


async def test_dm_is_answered(fake: FakeSlack, pipeline: Pipeline, store: PgAuditLog) -> None:
    """Every DM gets an answer, in its own thread."""
    await dispatch(make_bot(fake, pipeline, store), payload("message_im"))
    [placeholder] = fake.called("chat.postMessage")
    assert placeholder["channel"] == "D0DIRECT"
    assert "colchicine" in final_text(fake)


async def test_follow_up_in_an_answered_thread_carries_its_context(
    fake: FakeSlack, pipeline: Pipeline, store: PgAuditLog, pool: asyncpg.Pool
) -> None:
    """'et chez l'insuffisant rénal ?' in the thread, without a mention, is answered about
    colchicine; the same words in a thread the bot never answered are left alone."""
    bot = make_bot(fake, pipeline, store)
    await dispatch(bot, payload("message_thread", thread_ts="1764169999.000000"))
    assert fake.called("chat.postMessage") == []
    await dispatch(bot, payload("app_mention"))
    await dispatch(bot, payload("message_thread"))
    first, follow_up = answers(fake)
    assert follow_up["thread_ts"] == first["thread_ts"] == "1764160000.000100"
    assert "contre-indiquée" in json.dumps(follow_up["blocks"], ensure_ascii=False)
    assert await pool.fetchval("SELECT count(*) FROM audit_events WHERE event = 'answer_sent'") == 2


async def test_duplicate_delivery_gives_one_answer(
    fake: FakeSlack, pipeline: Pipeline, store: PgAuditLog
) -> None:
    """A Slack retry, or the message event that accompanies a mention, never answers twice."""
    bot = make_bot(fake, pipeline, store)
    await dispatch(bot, payload("app_mention"))
    await dispatch(bot, payload("app_mention"))  # retry: same event
    message = payload("app_mention", type="message", channel_type="channel")
    message["event_id"] = "Ev0OTHER"
    await dispatch(bot, message)  # the same message as a message.channels event
    assert len(fake.called("chat.postMessage")) == 1
    # A second bot process sharing the database does not answer it either.
    await dispatch(make_bot(fake, pipeline, store), payload("app_mention"))
    assert len(fake.called("chat.postMessage")) == 1


@pytest.mark.parametrize("name", ["message_bot", "message_changed"])
async def test_other_bots_and_edits_are_ignored(
    fake: FakeSlack, pipeline: Pipeline, store: PgAuditLog, name: str
) -> None:
    """Messages from bots, edits and other subtypes never trigger an answer."""
    await dispatch(make_bot(fake, pipeline, store), payload(name))
    assert fake.called("chat.postMessage") == []


async def test_corpus_text_cannot_ping_or_link(
    fake: FakeSlack, pipeline: Pipeline, store: PgAuditLog
) -> None:
    """<!channel>, <@user> and <url|label> inside corpus text arrive escaped, inert."""
    await dispatch(make_bot(fake, pipeline, store), payload("app_mention"))
    blocks = final_text(fake)
    assert "<!channel>" not in blocks
    assert "<@U0BOSS>" not in blocks
    assert "<https://evil.example" not in blocks
    assert "&lt;@U0BOSS&gt; &amp; &lt;https://evil.example|cliquez ici&gt;" in blocks


async def test_rate_limited_post_is_retried_once_and_posted_once(
    fake: FakeSlack, pipeline: Pipeline, store: PgAuditLog
) -> None:
    """A 429 on chat.postMessage is retried after Retry-After; one message appears."""
    fake.failures["chat.postMessage"] = [("ratelimited", 1)]
    await dispatch(make_bot(fake, pipeline, store), payload("app_mention"))
    assert len(fake.called("chat.postMessage")) == 2  # the 429, then the retry
    assert "colchicine" in final_text(fake)


async def test_feedback_click_is_recorded_and_acknowledged(
    fake: FakeSlack, pipeline: Pipeline, store: PgAuditLog, pool: asyncpg.Pool
) -> None:
    """👎 on an answer is appended to the audit against that answer; the user is thanked."""
    bot = make_bot(fake, pipeline, store)
    await dispatch(bot, payload("app_mention"))
    answer_id = await pool.fetchval("SELECT id FROM audit_events WHERE event = 'answer_sent'")
    click = payload("block_actions_feedback")
    click["actions"][0]["value"] = f"{answer_id}:fr"
    await dispatch(bot, click)
    row = await pool.fetchrow(
        "SELECT event, outcome, details, conversation_id FROM audit_events WHERE id > $1", answer_id
    )
    assert row is not None
    assert (row["event"], row["outcome"]) == ("feedback", "down")
    assert json.loads(row["details"]) == {"answer_id": answer_id}
    assert row["conversation_id"] == "T0HOSP:C0URGENCES:1764160000.000100"
    [thanks] = fake.called("chat.postEphemeral")
    assert (thanks["user"], thanks["text"]) == ("U0CLIN", "Merci, votre retour est enregistré.")


async def test_channels_outside_the_allow_list_get_a_polite_refusal_or_silence(
    fake: FakeSlack, pipeline: Pipeline, store: PgAuditLog, pool: asyncpg.Pool
) -> None:
    """Only allowed channels get answers; others get one short refusal, or nothing."""
    await dispatch(
        make_bot(fake, pipeline, store, allowed_channels=frozenset({"C0OTHER"})),
        payload("app_mention"),
    )
    [refusal] = fake.called("chat.postMessage")
    assert "pas autorisé" in refusal["text"]
    assert await pool.fetchval("SELECT count(*) FROM audit_events") == 0
    silent = make_bot(fake, pipeline, store, allow_dms=False, refuse_silently=True)
    await dispatch(silent, payload("message_im"))
    assert len(fake.called("chat.postMessage")) == 1


async def test_per_user_rate_limit_is_friendly(
    fake: FakeSlack, pipeline: Pipeline, store: PgAuditLog
) -> None:
    """A user over the per-minute limit is asked to wait, not ignored."""
    bot = make_bot(fake, pipeline, store, questions_per_minute=1)
    await dispatch(bot, payload("message_im"))
    await dispatch(bot, payload("message_im", ts="1764160101.000200"))
    texts = [p["text"] for p in fake.called("chat.postMessage")]
    assert "réessayez dans une minute" in texts[-1]


def _signed(body: str, secret: str = SECRET, age_s: int = 0) -> dict[str, str]:
    timestamp = str(int(time.time()) - age_s)
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256)
    return {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
        "Content-Type": "application/json",
    }


async def test_http_events_api_verifies_signatures(
    fake: FakeSlack, pipeline: Pipeline, store: PgAuditLog
) -> None:
    """Signed requests are answered; forged or replayed (older than 5 minutes) ones get 401
    and no answer; the URL verification challenge is echoed."""
    bot = make_bot(fake, pipeline, store)
    runner = web.AppRunner(http_app(bot))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/slack/events"  # type: ignore[union-attr]
    body = json.dumps(payload("app_mention"))
    try:
        async with aiohttp.ClientSession() as http:
            for headers in (_signed(body, secret="wrong"), _signed(body, age_s=400)):
                async with http.post(url, data=body, headers=headers) as response:
                    assert response.status == 401
            assert fake.called("chat.postMessage") == []
            challenge = json.dumps({"type": "url_verification", "challenge": "c0ffee"})
            async with http.post(url, data=challenge, headers=_signed(challenge)) as response:
                assert response.status == 200
                assert "c0ffee" in await response.text()
            async with http.post(url, data=body, headers=_signed(body)) as response:
                assert response.status == 200
            await bot.tasks.idle()
    finally:
        await runner.cleanup()
    assert len(fake.called("chat.postMessage")) == 1


def test_app_manifest_subscribes_to_what_the_bot_handles() -> None:
    """An admin pasting infra/slack-app-manifest.yml gets the events and scopes the bot uses."""
    import yaml

    manifest = yaml.safe_load(
        (Path(__file__).parents[2] / "infra" / "slack-app-manifest.yml").read_text()
    )
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_mention", "message.im", "message.channels"} <= events
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "reactions:write", "im:history"} <= scopes
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


async def test_progress_never_shows_unverified_model_text(
    fake: FakeSlack, pipeline: Pipeline, store: PgAuditLog
) -> None:
    """While a model writes, the thread shows progress, never the draft: a hallucinated dose
    removed by the citation check is never visible, not even for a second."""
    from core.ports import Draft

    class Hallucinating:
        async def generate(self, question, language, passages, on_text=None):  # type: ignore[no-untyped-def]
            for partial in ("Prenez", "Prenez 40 g", "Prenez 40 g d'un coup [1]."):
                await on_text(partial)
            return Draft("Prenez 40 g d'un coup [1].", "chat:test", "prompt-1", len(passages))

    ticks = iter(range(0, 1000, 2))
    bot = make_bot(fake, replaced(pipeline, generator=Hallucinating()), store, stream=False)
    bot.clock = lambda: float(next(ticks))  # every draft update is due
    await dispatch(bot, payload("app_mention"))
    updates = fake.called("chat.update")
    assert len(updates) >= 3  # progress was shown
    assert all("40 g" not in json.dumps(u, ensure_ascii=False) for u in updates)
    assert "Rédaction en cours" in updates[0]["text"]


async def test_assistant_threads_offer_starters_and_show_a_status(
    fake: FakeSlack, pipeline: Pipeline, store: PgAuditLog
) -> None:
    """In the AI-app surface: starter questions (French and English) when a thread opens, the
    native status while answering instead of a reaction, then the answer in the thread."""
    bot = make_bot(fake, pipeline, store)
    await dispatch(bot, payload("assistant_thread_started"))
    [prompts] = fake.called("assistant.threads.setSuggestedPrompts")
    assert prompts["thread_ts"] == "1764160600.000100"
    messages = [p["message"] for p in prompts["prompts"]]
    assert any("paracétamol" in m for m in messages)
    assert any("adrenaline" in m for m in messages)
    await dispatch(
        bot,
        payload("message_im", channel="D0ASSIST", thread_ts="1764160600.000100", ts="1764160601.1"),
    )
    [status] = fake.called("assistant.threads.setStatus")
    assert status["status"] == "cherche dans les sources validées…"
    assert fake.called("reactions.add") == []
    [placeholder] = fake.called("chat.postMessage")
    assert placeholder["thread_ts"] == "1764160600.000100"
    assert "colchicine" in final_text(fake)


async def test_dm_thread_without_the_assistant_surface_falls_back_to_a_reaction(
    fake: FakeSlack, pipeline: Pipeline, store: PgAuditLog
) -> None:
    """A workspace that refuses assistant statuses still gets the ⏳ reaction and the answer."""
    fake.failures["assistant.threads.setStatus"] = [("not_allowed_token_type", None)]
    bot = make_bot(fake, pipeline, store)
    await dispatch(bot, payload("message_im", thread_ts="1764160100.000200", ts="1764160102.5"))
    assert fake.called("reactions.add")
    assert "colchicine" in final_text(fake)


class Writing:
    """A model that writes its draft a few words at a time: `claims` are (sentence, cited
    passage) pairs; a sentence given as an int is taken from that shown passage (verifiable),
    a string is written as is (a hallucination the citation check removes)."""

    def __init__(self, *claims: int | str) -> None:
        self.claims = claims

    async def generate(self, question, language, passages, on_text=None):  # type: ignore[no-untyped-def]
        from core.ports import Draft
        from core.text import split_sentences

        sentences = [
            f"{split_sentences(passages[c].text)[0].rstrip('.')} [{c + 1}]."
            if isinstance(c, int)
            else f"{c} [1]."
            for c in self.claims
        ]
        draft = " ".join(sentences)
        words = draft.split(" ")
        for n in range(1, len(words) + 1):
            await on_text(" ".join(words[:n]))
        return Draft(draft, "chat:test", "prompt-1", len(passages))


def streamed(fake: FakeSlack) -> str:
    """Every piece of text the bot streamed, in order."""
    methods = ("chat.startStream", "chat.appendStream", "chat.stopStream")
    return "".join(c.args.get("markdown_text") or "" for c in fake.calls if c.method in methods)


def ticking(bot: SlackBot) -> SlackBot:
    ticks = iter(range(0, 100_000, 2))
    bot.clock = lambda: float(next(ticks))  # every update is due
    return bot


async def test_streaming_shows_only_verified_sentences_then_sources(
    fake: FakeSlack, pipeline: Pipeline, store: PgAuditLog
) -> None:
    """Where the workspace streams, the answer grows in the thread sentence by verified
    sentence; a hallucinated dose is never streamed; sources, disclaimer and feedback close it."""
    fake.streaming = True
    model = Writing(0, "Prenez 40 g de colchicine d'un coup", 1, 2)
    bot = ticking(make_bot(fake, replaced(pipeline, generator=model), store))
    await dispatch(bot, payload("app_mention"))
    assert fake.called("chat.postMessage") == []  # no placeholder: the ⏳ reaction, then text
    [start] = fake.called("chat.startStream")
    assert (start["recipient_user_id"], start["recipient_team_id"]) == ("U0CLIN", "T0HOSP")
    assert len(fake.called("chat.appendStream")) == 1  # it grew before it was finished
    [message] = fake.thread("1764160000.000100")
    assert message["streaming"] is False
    assert "40 g" not in streamed(fake)
    assert message["text"] == streamed(fake)
    assert [message["text"].count(f"\\[{n}\\]") for n in (1, 2, 3)] == [1, 1, 1]
    assert "<@U0BOSS>" not in message["text"]
    assert "&lt;@U0BOSS&gt;" in message["text"]
    closing = json.dumps(message["blocks"], ensure_ascii=False)
    assert "1 phrase(s) de la réponse générée" in closing  # the removal is said
    assert "*Sources*" in closing
    assert "ne remplace pas le jugement clinique" in closing
    assert "feedback_up" in closing


async def test_a_stream_the_final_answer_does_not_continue_is_replaced(
    fake: FakeSlack, pipeline: Pipeline, store: PgAuditLog
) -> None:
    """When most of the draft fails the check, what was streamed (verified, but no longer the
    answer) is deleted and the thread shows only the final reply."""
    fake.streaming = True
    model = Writing(0, "Prenez 40 g d'un coup", "Puis 12 g le soir", "Et 8 g la nuit")
    bot = ticking(make_bot(fake, replaced(pipeline, generator=model), store))
    await dispatch(bot, payload("app_mention"))
    assert len(fake.called("chat.startStream")) == 1
    assert len(fake.called("chat.delete")) == 1
    [message] = fake.thread("1764160000.000100")
    shown = json.dumps(message, ensure_ascii=False)
    assert "rien trouvé de suffisamment pertinent" in shown
    assert not any(dose in shown for dose in ("40 g", "12 g", "8 g"))


async def test_workspace_without_streaming_gets_progress_and_is_not_asked_again(
    fake: FakeSlack, pipeline: Pipeline, store: PgAuditLog
) -> None:
    """A workspace that refuses chat.startStream gets the placeholder with progress instead,
    and the bot stops trying to stream there for a while (no refused call per answer)."""
    bot = ticking(make_bot(fake, replaced(pipeline, generator=Writing(0, 1)), store))
    await dispatch(bot, payload("app_mention"))
    assert len(fake.called("chat.startStream")) == 1
    [placeholder] = fake.called("chat.postMessage")
    assert placeholder["thread_ts"] == "1764160000.000100"
    [answer] = answers(fake)
    section = answer["blocks"][0]["text"]["text"]  # mrkdwn, where brackets need no escape
    assert "[1]" in section
    assert "\\" not in section
    await dispatch(bot, payload("message_im"))
    assert len(fake.called("chat.startStream")) == 1
    assert len(answers(fake)) == 2


async def test_a_stream_that_cannot_be_closed_is_replaced_by_the_whole_answer(
    fake: FakeSlack, pipeline: Pipeline, store: PgAuditLog
) -> None:
    """If Slack fails to close the stream, the sources and disclaimer still arrive: the
    answer is posted whole in place of the stream."""
    fake.streaming = True
    fake.failures["chat.stopStream"] = [("internal_error", None)]
    bot = ticking(make_bot(fake, replaced(pipeline, generator=Writing(0, 1, 2)), store))
    await dispatch(bot, payload("app_mention"))
    [message] = fake.thread("1764160000.000100")
    shown = json.dumps(message["blocks"], ensure_ascii=False)
    assert "*Sources*" in shown
    assert "ne remplace pas le jugement clinique" in shown
    assert fake.called("chat.delete")


async def test_a_failed_progress_update_does_not_stop_the_answer(
    fake: FakeSlack, pipeline: Pipeline, store: PgAuditLog
) -> None:
    """Progress is cosmetic: Slack refusing an update of the placeholder leaves the answer to
    arrive whole, not an apology."""
    fake.failures["chat.update"] = [("internal_error", None)]
    model = Writing(0, 1)
    bot = ticking(make_bot(fake, replaced(pipeline, generator=model), store, stream=False))
    await dispatch(bot, payload("app_mention"))
    [answer] = answers(fake)
    assert "*Sources*" in json.dumps(answer["blocks"], ensure_ascii=False)


@dataclass
class Slow:
    """Extracts as the default does, a second later (a language model at work)."""

    writing: asyncio.Event = field(default_factory=asyncio.Event)

    async def generate(self, *args: Any, **kwargs: Any) -> Any:
        self.writing.set()
        await asyncio.sleep(1)
        return await ExtractiveGenerator().generate(*args, **kwargs)


async def test_follow_up_sent_while_the_first_answer_is_coming_is_answered_after_it(
    fake: FakeSlack, pipeline: Pipeline, store: PgAuditLog
) -> None:
    """'et chez l'insuffisant rénal ?' written in the thread, without a mention, while the bot
    is still answering the first question: answered too, after the first answer, in context."""
    model = Slow()
    bot = make_bot(fake, replaced(pipeline, generator=model), store, stream=False)
    mention = AsyncBoltRequest(body=payload("app_mention"), mode="socket_mode")
    assert (await bot.app.async_dispatch(mention)).status == 200
    await asyncio.wait_for(model.writing.wait(), 30)  # the first answer is being written
    await dispatch(bot, payload("message_thread"))
    first, follow_up = answers(fake)
    assert follow_up["thread_ts"] == first["thread_ts"] == "1764160000.000100"
    assert "contre-indiquée" in json.dumps(follow_up["blocks"], ensure_ascii=False)
    shown = [c.at for c in fake.calls if c.method == "chat.update" and c.args.get("blocks")]
    signs = [c for c in fake.calls if c.method == "reactions.add"]
    assert [s.args["timestamp"] for s in signs] == ["1764160000.000100", "1764160200.000300"]
    assert signs[1].at >= shown[0]  # taken up once the first answer was complete
