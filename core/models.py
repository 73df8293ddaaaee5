"""The neutral message model every platform reduces to, and the reply every platform renders."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, NewType

Language = Literal["fr", "en"]
ConversationId = NewType("ConversationId", str)
UserId = NewType("UserId", str)


class Platform(enum.StrEnum):
    CONSOLE = "console"
    SLACK = "slack"
    MATRIX = "matrix"


class Outcome(enum.StrEnum):
    """What the pipeline did with a question; recorded in the audit."""

    ANSWERED = "answered"
    ABSTAINED = "abstained"  # nothing relevant enough in the validated sources
    # An emergency described, and the fixed reply with the numbers (public deployments, a
    # writer's suicidal crisis); a clinician's is answered, under an emergency banner.
    EMERGENCY = "emergency"
    REJECTED = "rejected"  # the input cannot be processed (empty, too long)
    ERROR = "error"  # a dependency failed; the user got an apology
    RECEIVED = "received"  # audit only: the question arrived; the row of its outcome follows


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier exchange of a conversation (thread), oldest first."""

    question: str
    answer: str


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A question as any platform hands it to the core."""

    text: str
    platform: Platform
    conversation_id: ConversationId
    user_id: UserId
    history: tuple[Turn, ...] = ()
    # Detected once where the message comes in (the chat service, core.text.message_language);
    # None: the pipeline detects it.
    language: Language | None = None


@dataclass(frozen=True, slots=True)
class DocumentMeta:
    """Provenance of a corpus document, shown with every source that cites it."""

    title: str
    publisher: str | None = None
    url: str | None = None
    language: Language | None = None
    published: date | None = None
    reviewed: date | None = None
    licence: str | None = None
    version: str | None = None
    source_title: str | None = None
    is_demo: bool = False
    # What the document is about: the medicines and substances it names as its subject. A
    # question naming one of the corpus's subjects is answered only from documents about it
    # (core/evidence.py); empty: not declared, and the document is never held to that.
    subjects: tuple[str, ...] = ()
    # For a document about two sides (an interaction: a drug or class + another), the side of
    # each subject, in the order of `subjects`: 1 the first, 2 the second, 3 both. Empty: one
    # side. Two drugs of one side are not what such a document is about together.
    subject_sides: tuple[int, ...] = ()
    # Shown after the title in every source line citing the document, even where the sentences
    # quoted leave it out (an interaction's level); never embedded nor searched.
    headline: str | None = None

    def sided_subjects(self) -> list[tuple[str, int]]:
        """Each subject with its side (0 for every one when the document has one side)."""
        sides = self.subject_sides or (0,) * len(self.subjects)
        return list(zip(self.subjects, sides, strict=True))


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved chunk of a document with its scores."""

    passage_id: int
    document_id: int
    text: str
    section_path: tuple[str, ...]
    document: DocumentMeta
    content_hash: str
    similarity: float  # cosine similarity of the embeddings, in [-1, 1]
    text_rank: float  # full-text rank; 0.0 when the words did not match or were not searched
    score: float  # fused rank score (reciprocal rank fusion)


@dataclass(frozen=True, slots=True)
class Source:
    """A numbered source as shown under an answer."""

    number: int
    passage_id: int
    document_id: int
    title: str
    publisher: str | None
    published: date | None
    section: str
    url: str | None
    content_hash: str
    is_demo: bool
    version: str | None = None  # the document's own version, as published
    headline: str | None = None  # DocumentMeta.headline


@dataclass(frozen=True, slots=True)
class Disclaimer:
    text: str
    version: str


@dataclass(frozen=True, slots=True)
class Reply:
    """Everything a platform needs to render an answer; the same for Slack, Matrix and console."""

    outcome: Outcome
    language: Language
    text: str
    disclaimer: Disclaimer
    sources: tuple[Source, ...] = ()
    notices: tuple[str, ...] = field(default=())
    audit_id: int | None = None  # the audit entry of this reply, for feedback
    asked: str = ""  # the question as processed (identifiers redacted), for thread history
    # Shown before everything else: the emergency numbers, when the question describes one.
    banner: str = ""
