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
from core.ports import AuditEntry, Draft, EmbedderIdentity, OnText, SearchQuery
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


@dataclass
class FakeAudit:
    entries: list[AuditEntry] = field(default_factory=list)
    broken: bool = False

    @property
    def answers(self) -> list[AuditEntry]:
        """The rows of outcomes, without the 'question received' rows written first."""
        return [e for e in self.entries if e.event != "question_received"]

    async def record(self, entry: AuditEntry) -> int:
        if self.broken:
            raise RuntimeError("disk full")
        self.entries.append(entry)
        return len(self.entries)

    async def feedback(
        self, answer_id: int, platform: Platform, user_pseudonym: str, value: str
    ) -> bool:
        return 0 < answer_id <= len(self.entries)


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
