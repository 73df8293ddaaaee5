"""The conversation service with the fakes: what every chat surface (Slack, Matrix, console)
gets from it, without a platform."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from bots.conversation import ChatMessage, ChatPolicy, ConversationService, conversation_service
from core.models import ConversationId, IncomingMessage, Language, Platform, Reply, UserId
from core.pipeline import Pipeline
from core.ports import OnProgress
from testkit.fakes import EchoGenerator, FakeAudit, FakeChatState, FakeIndex, passage, pipeline_with

THREAD = ConversationId("T0HOSP:C0URGENCES:1764160000.000100")
COLCHICINE = passage("La colchicine se donne à 1 mg par jour dans la crise de goutte.")


class Gated(EchoGenerator):
    """Writes only once its gate opens: a language model still at work."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.started = asyncio.Event()

    async def generate(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.started.set()
        await self.gate.wait()
        return await super().generate(*args, **kwargs)


@dataclass
class Recording(Pipeline):
    """The pipeline, remembering what each message carried."""

    heard: list[IncomingMessage] = field(default_factory=list)

    async def answer(
        self, message: IncomingMessage, on_progress: OnProgress | None = None
    ) -> Reply:
        self.heard.append(message)
        return await super().answer(message, on_progress)


@dataclass
class Shown:
    """A thread that writes down what a member of it would see."""

    name: str
    seen: list[str]

    async def notice(self, text: str) -> None:
        self.seen.append(f"{self.name} notice: {text}")

    async def begin(self, language: Language) -> OnProgress | None:
        self.seen.append(f"{self.name} working")
        return None

    async def finish(self, reply: Reply) -> Sequence[str]:
        self.seen.append(f"{self.name} reply")
        return [f"${self.name}"]

    async def close(self) -> None:
        self.seen.append(f"{self.name} done")


def service(
    generator: object = None, audit: FakeAudit | None = None, **policy: object
) -> ConversationService:
    base = pipeline_with(FakeIndex([COLCHICINE]), audit or FakeAudit(), generator)
    recording = Recording(**{f: getattr(base, f) for f in ("embedder", "index", "generator",
                          "audit", "pseudonymize", "settings", "vocabulary")})  # fmt: skip
    per_minute = policy.pop("questions_per_minute", 10)
    rules = ChatPolicy(**policy)  # type: ignore[arg-type]
    return conversation_service(recording, recording.audit, FakeChatState(), rules, per_minute)  # type: ignore[arg-type]


def message(
    text: str, key: str, in_thread: bool = False, mentioned: bool = True, **over: object
) -> ChatMessage:
    fields: dict[str, object] = {
        "platform": Platform.SLACK,
        "key": key,
        "conversation": THREAD,
        "user": UserId("slack:T0HOSP:U0CLIN"),
        "sender": "U0CLIN",
        "domain": "T0HOSP",
        "room": "C0URGENCES",
        "text": text,
        "in_thread": in_thread,
        "mentioned": mentioned,
        "is_dm": False,
    }
    return ChatMessage(**{**fields, **over})  # type: ignore[arg-type]


async def test_a_follow_up_sent_while_the_first_answer_is_written_is_answered_after_it() -> None:
    """'et chez l'insuffisant rénal ?' (no mention) arrives while the first question is being
    answered: it waits, then is answered with the first exchange as its context."""
    model, seen = Gated(), []
    chat = service(model)
    chat.receive(message("Posologie de la colchicine ?", "m1"), Shown("first", seen))
    await asyncio.wait_for(model.started.wait(), 60)  # the first use loads the vocabulary
    chat.receive(message("et chez l'insuffisant rénal ?", "m2", True, False), Shown("then", seen))
    await asyncio.sleep(0.05)
    assert seen == ["first working"]  # the follow-up waits; it is not dropped
    model.gate.set()
    await chat.tasks.idle()
    assert seen == ["first working", "first reply", "first done", "then working", "then reply",
                    "then done"]  # fmt: skip
    heard = chat.pipeline.heard  # type: ignore[attr-defined]
    assert [len(m.history) for m in heard] == [0, 1]
    assert heard[1].history[0].question == "Posologie de la colchicine ?"


async def test_chatter_in_a_thread_the_bot_never_answered_is_left_alone() -> None:
    """Without a mention, a thread reply is for the bot only where it answered; in a direct
    conversation every message is."""
    seen: list[str] = []
    chat = service()
    await chat.handle(message("on déjeune ?", "m1", True, False), Shown("chatter", seen))
    assert seen == []
    await chat.handle(message("Colchicine ?", "m2", False, False, is_dm=True), Shown("dm", seen))
    assert seen[-1] == "dm done"


async def test_a_redelivered_message_is_answered_once() -> None:
    """The same message twice (a retry, two events for one message) gets one answer."""
    seen: list[str] = []
    chat = service()
    for _ in range(2):
        await chat.handle(message("Colchicine ?", "m1"), Shown("q", seen))
    assert seen.count("q reply") == 1


async def test_who_may_ask_and_how_often() -> None:
    """Outside the allow-lists: a short refusal, or silence; over the per-user rate: asked to
    wait; the bot's own homeserver only, when no one is listed and it says so."""
    seen: list[str] = []
    await service(allowed_rooms=frozenset({"C0OTHER"})).handle(
        message("Colchicine ?", "m1"), Shown("q", seen)
    )
    assert seen == ["q notice: Désolé, je ne suis pas autorisé à répondre dans cet espace."]
    silent = service(allowed_domains=frozenset({"T0OTHER"}), refuse_silently=True)
    await silent.handle(message("Colchicine ?", "m2"), Shown("silent", seen))
    assert len(seen) == 1
    limited = service(questions_per_minute=1)
    await limited.handle(message("Colchicine ?", "m3"), Shown("a", seen))
    await limited.handle(message("Colchicine ?", "m4"), Shown("b", seen))
    assert "réessayez dans une minute" in seen[-1]
    home = ChatPolicy(home_domain="hopital.fr")
    assert home.admits("@dr:hopital.fr", "hopital.fr")
    assert not home.admits("@dr:ailleurs.fr", "ailleurs.fr")


async def test_feedback_on_a_posted_reply_reaches_its_answer() -> None:
    """A 👎 on any message of a reply is recorded against that answer, pseudonymised; a
    reaction on another message records nothing."""
    audit = FakeAudit()
    chat = service(audit=audit)
    await chat.handle(message("Colchicine ?", "m1"), Shown("q", []))
    clinician = UserId("slack:T0HOSP:U0CLIN")
    assert await chat.feedback_on(Platform.SLACK, clinician, "$q", "down")
    assert not await chat.feedback_on(Platform.SLACK, clinician, "$other", "down")
    [(_, answer_id, _, pseudonym, value)] = audit.feedbacks
    assert audit.answers[0] is dict(zip(audit._ids, audit.entries, strict=True))[answer_id]
    assert (pseudonym, value) == (f"pseudo-{len(clinician)}", "down")


async def test_a_failure_becomes_an_apology_and_the_sign_is_taken_down() -> None:
    """Whatever fails while answering, the clinician is told, and the working sign goes."""
    seen: list[str] = []
    chat = service()

    class Failing(Shown):
        async def finish(self, reply: Reply) -> Sequence[str]:
            raise RuntimeError("the platform refused the reply")

    await chat.handle(message("Colchicine ?", "m1"), Failing("q", seen))
    assert seen[-2:] == [
        "q notice: Désolé, une erreur m'a empêché de répondre. Votre question a été enregistrée.",
        "q done",
    ]


class Heard(Shown):
    """A thread that also notes when the pipeline starts on its question."""

    def __init__(self, name: str, seen: list[str], chat: ConversationService) -> None:
        super().__init__(name, seen)
        answer = chat.pipeline.answer

        async def noted(message: IncomingMessage, on_progress: OnProgress | None = None) -> Reply:
            seen.append(f"{message.text} answered")
            return await answer(message, on_progress)

        chat.pipeline.answer = noted  # type: ignore[method-assign]


async def test_every_question_of_a_burst_shows_its_sign_before_any_answer_starts() -> None:
    """Clinician: when many questions arrive at once, each gets its ⏳ at once, not after the
    answers to the questions before it (they run on the same event loop)."""
    seen: list[str] = []
    chat = service()
    Heard("", seen, chat)
    for i in range(3):
        room = {"conversation": ConversationId(f"T0HOSP:D{i}:1"), "is_dm": True}
        chat.receive(message(f"q{i}", f"m{i}", **room), Shown(f"q{i}", seen))
    await chat.tasks.idle()
    assert seen[:3] == ["q0 working", "q1 working", "q2 working"]
    assert sorted(line for line in seen if "answered" in line) == [
        "q0 answered", "q1 answered", "q2 answered"]  # fmt: skip


async def test_a_question_arriving_after_a_sign_does_not_hold_that_answer_back() -> None:
    """Clinician: an answer waits for the signs of the questions that arrived before its own
    sign went out, not for later ones, so a stream of new questions cannot starve it."""
    seen: list[str] = []
    chat = service()
    Heard("", seen, chat)
    signed, answered = asyncio.Event(), asyncio.Event()

    class Waited(Shown):
        async def begin(self, language: Language) -> OnProgress | None:
            signed.set()
            return await super().begin(language)

        async def close(self) -> None:
            answered.set()
            await super().close()

    class Lagging(Shown):  # the platform slow to take the reaction
        def __init__(self, name: str, seen: list[str]) -> None:
            super().__init__(name, seen)
            self.unstuck = asyncio.Event()

        async def begin(self, language: Language) -> OnProgress | None:
            await self.unstuck.wait()
            return await super().begin(language)

    def dm(i: int) -> dict[str, object]:
        return {"conversation": ConversationId(f"T0HOSP:D{i}:1"), "is_dm": True}

    earlier, later = Lagging("earlier", seen), Lagging("later", seen)
    chat.receive(message("earlier", "m1", **dm(1)), earlier)
    chat.receive(message("waited", "m2", **dm(2)), Waited("waited", seen))
    await asyncio.wait_for(signed.wait(), 60)
    chat.receive(message("later", "m3", **dm(3)), later)
    await asyncio.sleep(0.1)
    assert "waited answered" not in seen  # the earlier question's sign is not out yet
    earlier.unstuck.set()
    await asyncio.wait_for(answered.wait(), 60)
    assert "later working" not in seen
    later.unstuck.set()
    await chat.tasks.idle()
    assert {"earlier done", "later done"} <= set(seen)


async def test_a_sign_the_platform_never_shows_holds_other_answers_two_seconds_at_most() -> None:
    """Clinician: a reaction call that hangs (the platform in trouble) does not hold every
    other answer with it."""
    seen: list[str] = []
    chat = service()
    chat._signs.longest_wait_s = 0.2
    Heard("", seen, chat)
    hung = asyncio.Event()

    class Hanging(Shown):
        async def begin(self, language: Language) -> OnProgress | None:
            await hung.wait()
            return await super().begin(language)

    chat.receive(
        message("hung", "m1", conversation=ConversationId("T0HOSP:D1:1")), Hanging("hung", seen)
    )
    chat.receive(
        message("other", "m2", conversation=ConversationId("T0HOSP:D2:1")), Shown("other", seen)
    )
    for _ in range(100):
        if "other done" in seen:
            break
        await asyncio.sleep(0.05)
    assert "other done" in seen
    hung.set()
    await chat.tasks.idle()
    assert "hung done" in seen
