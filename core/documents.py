"""Parsed documents and section-aware chunking (pure).

A chunk never ends mid-sentence and carries the heading path of its section, so a source can
say where in the document the quoted text comes from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.models import DocumentMeta
from core.text import split_sentences

# Bumped whenever chunking changes, so re-ingestion replaces passages cut the old way.
# 2: the limit counts the title line, in the embedder's own units (word pieces, locally).
CHUNKER_VERSION = "2"
# Without the embedder's own measure (a remote server): characters, the title line included.
MAX_CHUNK_CHARS = 900


def _characters(texts: Sequence[str]) -> list[int]:
    return [len(text) for text in texts]


@dataclass(frozen=True, slots=True)
class ChunkBudget:
    """What one passage may hold as the embedder reads it, its title line included: beyond
    `size`, a model truncates, and the end of the passage is found by full text only."""

    size: int = MAX_CHUNK_CHARS
    measure: Callable[[Sequence[str]], list[int]] = _characters  # sizes of texts, in order
    separator: int = 1  # what joining two sentences adds: a space is a character, no word piece


@dataclass(frozen=True, slots=True)
class Section:
    path: tuple[str, ...]  # heading path, outermost first; () before the first heading
    paragraphs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    source_key: str  # stable identity: a file path, or path#record id for JSON Lines
    meta: DocumentMeta
    sections: tuple[Section, ...]
    content_hash: str  # of the source bytes (or record_hash) and the chunker version


@dataclass(frozen=True, slots=True)
class Chunk:
    ordinal: int
    section_path: tuple[str, ...]
    text: str


def record_hash(meta: DocumentMeta, sections: Sequence[Section]) -> str:
    """The content hash of a document built from records (an official source): of all that is
    stored of it, so a newer release that changes anything shown (a link from another file, a
    rewording) replaces it, and one that changes nothing leaves it."""
    return hashlib.sha256(repr((meta, tuple(sections), CHUNKER_VERSION)).encode()).hexdigest()


def chunk_document(doc: ParsedDocument, budget: ChunkBudget | None = None) -> list[Chunk]:
    """Chunks in document order: sentences of one section packed up to the budget, less the
    title line the passage is embedded with (never below a quarter of the budget)."""
    budget = budget or ChunkBudget()
    sections = [
        (section.path, [s for p in section.paragraphs for s in split_sentences(p)])
        for section in doc.sections
    ]
    sections = [(path, sentences) for path, sentences in sections if sentences]
    # One measure for the whole document: a tokenizer's cost is mostly per call.
    sizes = iter(
        budget.measure(
            [
                text
                for path, sentences in sections
                for text in (_context(doc.meta.title, path), *sentences)
            ]
        )
    )
    chunks: list[Chunk] = []
    for path, sentences in sections:
        room = max(budget.size - next(sizes) - budget.separator, budget.size // 4)
        own = [next(sizes) for _ in sentences]
        for text in _pack(sentences, own, room, budget.separator):
            chunks.append(Chunk(len(chunks), path, text))
    return chunks


def embedding_text(doc: ParsedDocument, chunk: Chunk) -> str:
    """The chunk with its title and heading path, so a passage is found by what it is about."""
    return f"{_context(doc.meta.title, chunk.section_path)}\n{chunk.text}"


def _context(title: str, path: tuple[str, ...]) -> str:
    return " › ".join(dict.fromkeys((title, *path)))


def _pack(sentences: list[str], sizes: list[int], room: int, separator: int) -> list[str]:
    packed: list[str] = []
    current: list[str] = []
    used = 0
    for sentence, size in zip(sentences, sizes, strict=True):
        if current and used + separator + size > room:
            packed.append(" ".join(current))
            current, used = [], 0
        used += size + (separator if current else 0)
        current.append(sentence)
    if current:
        packed.append(" ".join(current))
    return packed
