"""Parsed documents and section-aware chunking (pure).

A chunk never ends mid-sentence and carries the heading path of its section, so a source can
say where in the document the quoted text comes from.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.models import DocumentMeta
from core.text import split_sentences

# Bumped whenever chunking changes, so re-ingestion replaces passages cut the old way.
CHUNKER_VERSION = "1"
MAX_CHUNK_CHARS = 900  # all-MiniLM-L6-v2 reads 256 word pieces, roughly 1,000 characters


@dataclass(frozen=True, slots=True)
class Section:
    path: tuple[str, ...]  # heading path, outermost first; () before the first heading
    paragraphs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    source_key: str  # stable identity: a file path, or path#record id for JSON Lines
    meta: DocumentMeta
    sections: tuple[Section, ...]
    content_hash: str  # of the source bytes and the chunker version


@dataclass(frozen=True, slots=True)
class Chunk:
    ordinal: int
    section_path: tuple[str, ...]
    text: str


def chunk_document(doc: ParsedDocument, max_chars: int = MAX_CHUNK_CHARS) -> list[Chunk]:
    """Chunks in document order: paragraphs of one section packed up to `max_chars`."""
    chunks: list[Chunk] = []
    for section in doc.sections:
        for text in _pack(section.paragraphs, max_chars):
            chunks.append(Chunk(len(chunks), section.path, text))
    return chunks


def _pack(paragraphs: tuple[str, ...], max_chars: int) -> list[str]:
    packed: list[str] = []
    current: list[str] = []
    size = 0
    for sentence in (s for p in paragraphs for s in split_sentences(p)):
        if current and size + 1 + len(sentence) > max_chars:
            packed.append(" ".join(current))
            current, size = [], 0
        current.append(sentence)
        size += len(sentence) + (1 if size else 0)
    if current:
        packed.append(" ".join(current))
    return packed
