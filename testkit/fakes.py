"""Fakes of the core's ports, for fast tests of the pipeline's decisions."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from adapters.vocabulary import EverydayVocabulary
from core.documents import ChunkBudget
from core.errors import StoreUnavailable
from core.evidence import is_about, passage_keywords
from core.models import (
    ConversationId,
    DocumentMeta,
    IncomingMessage,
    Language,
    Passage,
    Platform,
    Turn,
    UserId,
)
from core.pipeline import Pipeline, PipelineSettings
from core.ports import AuditEntry, Draft, EmbedderIdentity, HeldEvent, OnText, SearchQuery
from core.text import KEY_LENGTH, fold, subject_tokens


class FakeEmbedder:
    identity = EmbedderIdentity("fake", 3)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [[1.0, 0.0, 0.0] for _ in texts]

    def chunk_budget(self) -> ChunkBudget:
        return ChunkBudget()


@dataclass
class FakeIndex:
    passages: list[Passage] = field(default_factory=list)
    queries: list[SearchQuery] = field(default_factory=list)
    down: bool = False

    async def search(self, query: SearchQuery) -> list[Passage]:
        if self.down:
            raise StoreUnavailable("cannot reach the database (fake)")
        self.queries.append(query)
        return self.passages[: query.k]

    async def scarce_words(
        self, words: Sequence[str], language: Language, at_most: int, share: float
    ) -> dict[str, int]:
        """As the store: the passages that hold a word, or a longer word it starts, counted."""
        held = [passage_keywords(p) for p in self.passages]
        counts = {
            w: sum(any(k.startswith(fold(w)[:KEY_LENGTH]) for k in keys) for keys in held)
            for w in words
        }
        limit = min(at_most, int(share * len(self.passages)))
        return {w: n for w, n in counts.items() if n <= limit}

    async def named_subjects(self, words: Collection[str]) -> list[tuple[str, ...]]:
        """As the store: the declared subjects whose words are all among `words`."""
        declared = {subject_tokens(s) for p in self.passages for s in p.document.subjects}
        return sorted(s for s in declared if s and set(s) <= set(words))

    async def about(
        self, subjects: Collection[frozenset[str]], query: SearchQuery
    ) -> list[Passage]:
        """As the store: passages of documents that declare subjects covering all of them."""
        if not subjects:
            return []
        return [p for p in self.passages if p.document.subjects and is_about(p, subjects)][
            : query.k
        ]


# The bots' vocabulary (everyday French and English, from a package): read once per test session.
EVERYDAY = EverydayVocabulary()


@dataclass(frozen=True)
class FakeVocabulary:
    """Everyday language as a list: its words are common (Zipf 5), every other word is rare."""

    common: frozenset[str]

    async def everyday(self, words: Collection[str], language: Language) -> dict[str, float]:
        return {word: 5.0 for word in words if word in self.common}


# The audit rows that are a thread's turns, and those that feedback may point at.
_TURN_EVENTS = ("answer_sent", "abstained")


@dataclass
class FakeAudit:
    """The audit log in memory, as adapters.postgres.audit.PgAuditLog: the log itself, the
    threads' turns read from it, and the ledger of deliveries."""

    entries: list[AuditEntry] = field(default_factory=list)
    broken: bool = False
    # (id, answer id, platform, pseudonym, value): feedback is appended like any row.
    feedbacks: list[tuple[int, int, Platform, str, str]] = field(default_factory=list)
    delivered: set[tuple[Platform, str]] = field(default_factory=set)
    _ids: list[int] = field(default_factory=list)  # the id of each entry, in order

    @property
    def answers(self) -> list[AuditEntry]:
        """The rows of outcomes, without the 'question received' rows written first."""
        return [e for e in self.entries if e.event != "question_received"]

    def _next_id(self) -> int:
        return len(self.entries) + len(self.feedbacks) + 1

    async def record(self, entry: AuditEntry) -> int:
        if self.broken:
            raise RuntimeError("disk full")
        self._ids.append(self._next_id())
        self.entries.append(entry)
        return self._ids[-1]

    async def feedback(
        self, answer_id: int, platform: Platform, user_pseudonym: str, value: str
    ) -> bool:
        answer = dict(zip(self._ids, self.entries, strict=True)).get(answer_id)
        if answer is None or answer.event not in _TURN_EVENTS:
            return False
        self.feedbacks.append((self._next_id(), answer_id, platform, user_pseudonym, value))
        return True

    async def turns(self, platform: Platform, conversation_id: str, limit: int) -> list[Turn]:
        thread = [
            Turn(e.question, e.reply_text)
            for e in self.entries
            if e.platform is platform
            and e.conversation_id == conversation_id
            and e.event in _TURN_EVENTS
        ]
        return thread[-limit:] if limit > 0 else []

    async def first_delivery(self, platform: Platform, event_id: str) -> bool:
        first = (platform, event_id) not in self.delivered
        self.delivered.add((platform, event_id))
        return first


@dataclass
class FakeChatState:
    """A chat bot's state in memory, as adapters.postgres.chat.PgChatState: sync positions,
    held events and the audit entry behind each posted reply."""

    positions: dict[tuple[Platform, str], str] = field(default_factory=dict)
    replies: dict[tuple[Platform, str], tuple[int, Language]] = field(default_factory=dict)
    held: dict[tuple[Platform, str, str], HeldEvent] = field(default_factory=dict)

    async def position(self, platform: Platform, account: str) -> str | None:
        return self.positions.get((platform, account))

    async def save_position(self, platform: Platform, account: str, position: str) -> None:
        self.positions[(platform, account)] = position

    async def hold_event(self, platform: Platform, account: str, event: HeldEvent) -> None:
        self.held.setdefault((platform, account, event.event_id), event)

    async def held_events(self, platform: Platform, account: str) -> list[HeldEvent]:
        mine = [e for (p, a, _), e in self.held.items() if (p, a) == (platform, account)]
        return sorted(mine, key=lambda e: (e.held_since, e.event_id))

    async def release_event(self, platform: Platform, account: str, event_id: str) -> None:
        self.held.pop((platform, account, event_id), None)

    async def remember_reply(
        self, platform: Platform, message_id: str, audit_id: int, language: Language
    ) -> None:
        self.replies.setdefault((platform, message_id), (audit_id, language))

    async def reply(self, platform: Platform, message_id: str) -> tuple[int, Language] | None:
        return self.replies.get((platform, message_id))


class EchoGenerator:
    """Cites the first passage with its first sentence."""

    async def generate(
        self,
        question: str,
        language: Language,
        passages: Sequence[Passage],
        on_text: OnText | None = None,
    ) -> Draft | None:
        if not passages:
            return None
        return Draft(f"{passages[0].text} [1]", "echo")


def passage(
    text: str,
    similarity: float = 0.8,
    text_rank: float = 0.1,
    passage_id: int = 1,
    title: str = "Note",
    section: tuple[str, ...] = ("Note", "Section"),
    subjects: tuple[str, ...] = (),
    subject_sides: tuple[int, ...] = (),
) -> Passage:
    return Passage(
        passage_id=passage_id,
        document_id=passage_id * 10,
        text=text,
        section_path=section,
        document=DocumentMeta(
            title=title,
            publisher="HAS",
            language="fr",
            is_demo=True,
            subjects=subjects,
            subject_sides=subject_sides,
        ),
        content_hash=f"hash{passage_id}",
        similarity=similarity,
        text_rank=text_rank,
        score=0.03,
    )


def pipeline_with(index: FakeIndex, audit: FakeAudit, generator: object = None) -> Pipeline:
    return Pipeline(
        embedder=FakeEmbedder(),
        index=index,
        generator=generator or EchoGenerator(),  # type: ignore[arg-type]
        audit=audit,
        pseudonymize=lambda user: f"pseudo-{len(user)}",
        settings=PipelineSettings(k=4, max_question_chars=200),
        vocabulary=EVERYDAY,
    )


def message(text: str, history: tuple[Turn, ...] = ()) -> IncomingMessage:
    return IncomingMessage(text, Platform.CONSOLE, ConversationId("c1"), UserId("dr.who"), history)
