"""The ports the core needs; adapters implement them (see adapters/)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from core.documents import Chunk, ChunkBudget, ParsedDocument
from core.models import Language, Outcome, Passage, Platform, Turn


@dataclass(frozen=True, slots=True)
class EmbedderIdentity:
    """Which model built an embedding: stored with the index, compared on every start."""

    model: str
    dimension: int
    weights_sha256: str | None = None


class Embedder(Protocol):
    @property
    def identity(self) -> EmbedderIdentity: ...

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit-normalised embeddings, one per text, in order."""
        ...

    def chunk_budget(self) -> ChunkBudget:
        """How much text one passage may hold, as this model reads it."""
        ...


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str
    embedding: Sequence[float]
    language: Language
    k: int
    languages: tuple[Language, ...] | None = None  # filter on document language
    publishers: tuple[str, ...] | None = None  # filter on document publisher
    mode: Literal["hybrid", "vector", "text"] = "hybrid"  # one arm alone, for evaluation
    # Weight of the full-text arm in the fusion, the vector arm's being 1; None: the index's
    # weight for the question's language. Set by evaluation, to compare weights.
    text_weight: float | None = None


class PassageIndex(Protocol):
    async def search(self, query: SearchQuery) -> list[Passage]:
        """Best passages first, fused from vector and full-text search."""
        ...

    async def scarce_words(
        self, words: Sequence[str], language: Language, at_most: int, share: float
    ) -> dict[str, int]:
        """Those of `words` that at most `at_most` passages hold, and at most `share` of all the
        passages, even as the start of a longer word (compared as full-text search does:
        stemmed in `language`, accents folded), each with how many: 0 for a word no passage
        holds."""
        ...

    async def named_subjects(self, words: Collection[str]) -> list[tuple[str, ...]]:
        """The subjects declared by the corpus's live documents (DocumentMeta.subjects) whose
        words are all among `words`, each as its words in order (core.text.subject_tokens)."""
        ...

    async def about(
        self, subjects: Collection[frozenset[str]], query: SearchQuery
    ) -> list[Passage]:
        """The passages of live documents about every one of `subjects` (a subject they declare
        holds all its words), nearest to the query's embedding first, at most `query.k`, with
        the query's filters; none when no subject is given."""
        ...


class Vocabulary(Protocol):
    async def everyday(self, words: Collection[str], language: Language) -> dict[str, float]:
        """How often everyday language uses each word (lower case, accents folded), on the Zipf
        scale (log10 of its frequency per billion words); words it never uses are left out."""
        ...


@dataclass(frozen=True, slots=True)
class Draft:
    """What a generator wrote: text with [n] markers referring to the numbered passages."""

    text: str
    generator: str
    prompt_version: str | None = None
    shown: int | None = None  # passages actually shown (the first `shown`); None: all
    parameters: Mapping[str, object] = field(default_factory=dict)  # model, seed… for the audit
    # Quotes copied from the cited passages by our own code (the extractive generator): nothing
    # for the citation check to verify, and its layout (an intro, one quote per line) is kept.
    verbatim: bool = False


OnText = Callable[[str], Awaitable[None]]  # receives the text generated so far (unverified)


@dataclass(frozen=True, slots=True)
class Progress:
    """What a chat may show while the model writes: never the draft itself."""

    words: int  # words drafted so far; the draft is unverified, so it is only counted
    # The draft's finished sentences that pass the citation check, numbered as the reply will
    # number them. It grows as the model writes; the final reply usually starts with it, but
    # not always (too little verified: the extractive fallback answers instead).
    verified: str


OnProgress = Callable[[Progress], Awaitable[None]]


class Generator(Protocol):
    async def generate(
        self,
        question: str,
        language: Language,
        passages: Sequence[Passage],
        on_text: OnText | None = None,
    ) -> Draft | None:
        """An answer citing the passages as [1]..[n], or None when they do not answer."""
        ...


@dataclass(frozen=True, slots=True)
class AuditEntry:
    occurred_at: datetime
    event: str
    platform: Platform
    conversation_id: str
    user_pseudonym: str
    language: Language
    question: str
    outcome: Outcome
    latency_ms: int
    reply_text: str = ""
    disclaimer_version: str = ""
    generator: str | None = None
    passage_ids: tuple[int, ...] = ()
    document_hashes: tuple[str, ...] = ()
    details: Mapping[str, object] = field(default_factory=dict)


class AuditLog(Protocol):
    async def record(self, entry: AuditEntry) -> int:
        """Append the entry; returns its id (buttons and reactions refer to it)."""
        ...

    async def feedback(
        self, answer_id: int, platform: Platform, user_pseudonym: str, value: str
    ) -> bool:
        """Append a feedback event on an answer; False when the answer is unknown."""
        ...


class Conversations(Protocol):
    async def turns(self, platform: Platform, conversation_id: str, limit: int) -> list[Turn]:
        """The thread's earlier answered turns, oldest first (empty: the bot never answered)."""
        ...


class EventLedger(Protocol):
    async def first_delivery(self, platform: Platform, event_id: str) -> bool:
        """True for the first delivery of an event anywhere; False for every redelivery."""
        ...


class SyncPositions(Protocol):
    """Where an account's sync stopped, kept across restarts and replicas (the Matrix bot)."""

    async def position(self, platform: Platform, account: str) -> str | None: ...

    async def save_position(self, platform: Platform, account: str, position: str) -> None: ...


@dataclass(frozen=True, slots=True)
class HeldEvent:
    """An event a bot received but cannot read yet (an encrypted message whose room key has not
    arrived): kept across restarts until it can be read, or is too old to be worth answering."""

    event_id: str
    room: str
    payload: str  # the event as received, JSON (still encrypted)
    held_since: datetime


class HeldEvents(Protocol):
    async def hold_event(self, platform: Platform, account: str, event: HeldEvent) -> None:
        """Keep the event; holding it again changes nothing (its first time is kept)."""
        ...

    async def held_events(self, platform: Platform, account: str) -> list[HeldEvent]:
        """The account's held events, oldest first."""
        ...

    async def release_event(self, platform: Platform, account: str, event_id: str) -> None:
        """Forget it (read, or given up on); releasing an event not held is no error."""
        ...


class ChatState(SyncPositions, HeldEvents, Protocol):
    """What the Matrix bot keeps across restarts and replicas (PgChatState)."""


class CorpusWriter(Protocol):
    """What ingestion needs from the corpus store."""

    async def known_hashes(self, source_keys: Sequence[str]) -> dict[str, str]:
        """The content hashes of the live (not retired) documents among these keys."""
        ...

    async def replace_document(
        self, doc: ParsedDocument, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]
    ) -> None: ...

    async def source_keys_under(self, prefixes: Sequence[str]) -> list[str]: ...

    async def delete_documents(self, source_keys: Sequence[str]) -> None: ...

    async def retire_documents(self, source_keys: Sequence[str]) -> None: ...

    def bulk(self) -> AbstractAsyncContextManager[None]:
        """Around a whole import: the store may defer index upkeep to its end."""
        ...


@dataclass(frozen=True, slots=True)
class Observation:
    """What one answer did, for metrics."""

    platform: Platform
    outcome: Outcome
    total_ms: int
    stages: Mapping[str, int]
    error: str | None  # the core.errors type that failed, if any
    audit_failures: int  # audit writes lost while answering


class Observer(Protocol):
    def observe(self, observation: Observation) -> None: ...
