"""Fakes of the core's ports, for fast tests of the pipeline's decisions."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import AsyncIterator, Collection, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields, replace

from adapters.postgres.store import CANDIDATES_PER_RESULT, TEXT_WEIGHT, fuse
from adapters.vocabulary import EverydayVocabulary
from core.audit_chain import details_text
from core.documents import Chunk, ChunkBudget, ParsedDocument
from core.errors import StoreError, StoreUnavailable
from core.evidence import is_about
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
from core.text import keywords, subject_tokens


class FakeEmbedder:
    """Words, not meaning: each content word (core.text.keywords) counts in one of `DIMENSION`
    coordinates, and the vector is unit-normalised; texts sharing words are near, texts sharing
    none are orthogonal (tests/contract/test_embedder_port.py holds it to the model's promises)."""

    DIMENSION = 64
    identity = EmbedderIdentity("fake-bag-of-words", DIMENSION)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [_bag_of_words(text, self.DIMENSION) for text in texts]

    def chunk_budget(self) -> ChunkBudget:
        return ChunkBudget()


def _bag_of_words(text: str, dimension: int) -> list[float]:
    vector = [0.0] * dimension
    for key in sorted(keywords(text)):
        digest = hashlib.blake2b(key.encode(), digest_size=4).digest()
        vector[int.from_bytes(digest, "big") % dimension] += 1.0
    norm = math.sqrt(sum(x * x for x in vector))
    if not norm:  # no content word: one direction for all of them
        return [1.0] + [0.0] * (dimension - 1)
    return [x / norm for x in vector]


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b, strict=True)) / norms if norms else 0.0


@dataclass
class _Document:
    """A document as the fake corpus holds it: its passages with their embeddings."""

    id: int
    content_hash: str
    passages: list[tuple[Passage, tuple[float, ...]]]
    retired: bool = False


@dataclass
class FakeIndex:
    """The corpus in memory, as adapters.postgres.store.PgCorpus: the index the pipeline
    searches, and the writer that ingestion fills (tests/contract/test_corpus_port.py holds
    both to the same behaviours as the store).

    It holds either `passages`, a unit test's scripted search (returned in the order given,
    as if the store had ranked them so, filtered and cut at k as any search is), or documents
    written through the writer port, which it ranks as the store does: the nearest by
    embedding and those holding the question's words, fused by reciprocal rank."""

    passages: list[Passage] = field(default_factory=list)
    queries: list[SearchQuery] = field(default_factory=list)
    down: bool = False
    text_weight: Mapping[Language, float] = field(default_factory=lambda: dict(TEXT_WEIGHT))
    documents: dict[str, _Document] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    def _live(self) -> list[tuple[Passage, tuple[float, ...] | None]]:
        """Every searchable passage, with its embedding (None: scripted)."""
        if not self.documents:
            return [(p, None) for p in self.passages]
        return [pair for d in self.documents.values() if not d.retired for pair in d.passages]

    async def search(self, query: SearchQuery) -> list[Passage]:
        if self.down:
            raise StoreUnavailable("cannot reach the database (fake)")
        self.queries.append(query)
        live = [(p, e) for p, e in self._live() if _passes_filters(p, query)]
        if not self.documents:
            return [p for p, _ in live][: query.k]
        weights = (
            0.0 if query.mode == "text" else 1.0,
            0.0 if query.mode == "vector" else self._text_weight(query),
        )
        candidates = query.k * CANDIDATES_PER_RESULT
        similarity = {p.passage_id: cosine(e, query.embedding) for p, e in live if e is not None}
        by_id = {p.passage_id: p for p, _ in live}
        vector = sorted(similarity, key=lambda id_: (-similarity[id_], id_))[:candidates]
        text = _text_arm([p for p, _ in live], query.text)[:candidates]
        fused = fuse(vector if weights[0] else [], text if weights[1] else [], weights)
        return [
            replace(by_id[id_], similarity=similarity[id_], text_rank=rank, score=score)
            for id_, score, rank in fused[: query.k]
        ]

    def _text_weight(self, query: SearchQuery) -> float:
        weight = query.text_weight
        return self.text_weight[query.language] if weight is None else weight

    async def scarce_words(
        self, words: Sequence[str], language: Language, at_most: int, share: float
    ) -> dict[str, int]:
        """As the store: the passages whose words (section path and text, as its full-text
        index holds them) hold a word, or a longer word it starts, counted; a word with no
        content word in it (a stop word) is plentiful."""
        held = [_indexed_keywords(p) for p, _ in self._live()]
        limit = min(at_most, int(share * len(held)))
        counts: dict[str, int] = {}
        for word in words:
            keys = keywords(word)
            if keys:
                counts[word] = sum(
                    all(any(k.startswith(key) for k in passage) for key in keys) for passage in held
                )
        return {w: n for w, n in counts.items() if n <= limit}

    async def named_subjects(self, words: Collection[str]) -> list[tuple[str, ...]]:
        """As the store: the declared subjects whose words are all among `words`."""
        declared = {subject_tokens(s) for p, _ in self._live() for s in p.document.subjects}
        return sorted(s for s in declared if s and set(s) <= set(words))

    async def about(
        self, subjects: Collection[frozenset[str]], query: SearchQuery
    ) -> list[Passage]:
        """As the store: passages of documents that declare subjects covering all of them,
        nearest to the query's embedding first (a scripted corpus: in its order)."""
        if not subjects:
            return []
        found = [
            (p if e is None else replace(p, similarity=cosine(e, query.embedding), score=0.0))
            for p, e in self._live()
            if p.document.subjects and is_about(p, subjects) and _passes_filters(p, query)
        ]
        if self.documents:
            found.sort(key=lambda p: (-p.similarity, p.passage_id))
        return [replace(p, text_rank=0.0) if self.documents else p for p in found][: query.k]

    # --- the writer, for ingestion (core.ports.CorpusWriter) ------------------------------

    async def known_hashes(self, source_keys: Sequence[str]) -> dict[str, str]:
        return {
            key: doc.content_hash
            for key in source_keys
            if (doc := self.documents.get(key)) is not None and not doc.retired
        }

    async def replace_document(
        self, doc: ParsedDocument, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]
    ) -> None:
        """As the store: the document keeps its id, its passages are all new, and a retired
        document is live again; a document without a language is stored as French."""
        known = self.documents.get(doc.source_key)
        document_id = known.id if known is not None else next(self._ids)
        meta = replace(doc.meta, language=doc.meta.language or "fr")
        passages = [
            (
                Passage(
                    passage_id=next(self._ids),
                    document_id=document_id,
                    text=chunk.text,
                    section_path=chunk.section_path,
                    document=meta,
                    content_hash=doc.content_hash,
                    similarity=0.0,
                    text_rank=0.0,
                    score=0.0,
                ),
                tuple(embedding),
            )
            for chunk, embedding in zip(chunks, embeddings, strict=True)
        ]
        self.documents[doc.source_key] = _Document(document_id, doc.content_hash, passages)

    async def source_keys_under(self, prefixes: Sequence[str]) -> list[str]:
        return [
            key
            for key, doc in self.documents.items()
            if not doc.retired and any(key.startswith(p) for p in prefixes)
        ]

    async def delete_documents(self, source_keys: Sequence[str]) -> None:
        for key in source_keys:
            self.documents.pop(key, None)

    async def retire_documents(self, source_keys: Sequence[str]) -> None:
        for key in source_keys:
            if key in self.documents:
                self.documents[key].retired = True

    @asynccontextmanager
    async def bulk(self) -> AsyncIterator[None]:
        yield


def _passes_filters(passage: Passage, query: SearchQuery) -> bool:
    meta = passage.document
    return (not query.languages or meta.language in query.languages) and (
        not query.publishers or meta.publisher in query.publishers
    )


def _indexed_keywords(passage: Passage) -> set[str]:
    """The words the store's full-text index holds of a passage: its section path and text
    (not its document's title)."""
    return keywords(" ".join((*passage.section_path, passage.text)))


def _text_arm(passages: Sequence[Passage], question: str) -> list[tuple[int, float]]:
    """As the store's full-text arm: the passages holding at least two of the question's
    words (its one word, for a one-word question), those holding more first, with their rank
    (the share of the question's words they hold)."""
    terms = keywords(question)
    needed = min(2, len(terms))
    ranked: list[tuple[int, float]] = []
    for p in passages:
        held = len(terms & _indexed_keywords(p))
        if terms and held >= needed:
            ranked.append((p.passage_id, held / len(terms)))
    return sorted(ranked, key=lambda item: (-item[1], item[0]))


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
        """As the store: a row it cannot hold (a NUL character, a NaN in the details) is
        refused whole, like a broken database, with a StoreError."""
        if self.broken:
            raise StoreError("database error: disk full (fake)")
        _storable(entry)
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


def _storable(entry: AuditEntry) -> None:
    """Refuse what PostgreSQL refuses: U+0000 in a text, NaN or infinity in JSON."""
    try:
        json.dumps(dict(entry.details), allow_nan=False, default=str)
    except ValueError as exc:
        raise StoreError("database error: invalid input syntax for type json (fake)") from exc
    texts = [str(getattr(entry, f.name)) for f in fields(entry) if f.name != "details"]
    if any("\x00" in text for text in (*texts, details_text(entry.details))):
        raise StoreError("database error: invalid byte sequence for encoding UTF8: 0x00 (fake)")


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
    """Cites the first passage with its text, streamed word by word as a model's would be."""

    async def generate(
        self,
        question: str,
        language: Language,
        passages: Sequence[Passage],
        on_text: OnText | None = None,
    ) -> Draft | None:
        if not passages:
            return None
        text = f"{passages[0].text} [1]"
        if on_text is not None:
            words = text.split(" ")
            for end in range(1, len(words) + 1):
                await on_text(" ".join(words[:end]))
        return Draft(text, "echo")


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
