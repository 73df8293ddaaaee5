"""How common words are in everyday French and English (core.ports.Vocabulary), from the word
frequencies that pyspellchecker packages (counted in film and television subtitles: the way
people talk, not the way monographs are written). Nothing is downloaded: the lists ship inside
the package, and each language is read once, off the event loop, on first use."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Collection

import structlog

from core.models import Language
from core.text import fold

log = structlog.get_logger(__name__)


class EverydayVocabulary:
    def __init__(self) -> None:
        self._zipf: dict[Language, dict[str, float]] = {}
        self._loading: dict[Language, asyncio.Task[dict[str, float]]] = {}

    async def everyday(self, words: Collection[str], language: Language) -> dict[str, float]:
        table = self._zipf.get(language) or await self._load(language)
        return {word: table[word] for word in words if word in table}

    async def load(self) -> None:
        """Read both languages now (at start-up), rather than on the first question."""
        await asyncio.gather(self._load("fr"), self._load("en"))

    async def _load(self, language: Language) -> dict[str, float]:
        if language not in self._loading:  # one read, however many questions wait for it
            self._loading[language] = asyncio.create_task(asyncio.to_thread(_read, language))
        table = await self._loading[language]
        self._zipf[language] = table
        return table


def _read(language: Language) -> dict[str, float]:
    """Each word, accents folded, with its Zipf frequency: log10 of its count per billion words
    (the most frequent spelling wins when several fold to one)."""
    from spellchecker import SpellChecker  # 0.3 s to import and read: only when first needed

    frequencies = SpellChecker(language=language, distance=1).word_frequency
    per_billion = 1e9 / frequencies.total_words
    table: dict[str, float] = {}
    for word, count in frequencies.dictionary.items():
        zipf = math.log10(count * per_billion)
        key = fold(word)
        if zipf > table.get(key, -1.0):
            table[key] = round(zipf, 2)
    log.info("vocabulary_loaded", language=language, words=len(table))
    return table
