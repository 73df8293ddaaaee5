"""The extractive generator: quotes the sentences of the top passages that best match the question.

No language model, no invented text: every sentence of the answer is copied verbatim from a
passage and cited. Used on the embedded default and as a fallback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.models import Language, Passage
from core.ports import Draft, OnText
from core.text import keywords, split_sentences

_INTRO: dict[Language, str] = {
    "fr": "Extraits pertinents des sources validées :",
    "en": "Relevant excerpts from the validated sources:",
}


@dataclass(frozen=True, slots=True)
class _Candidate:
    score: float
    rank: int  # passage number, 1-based
    position: int  # sentence index in the passage
    sentence: str


@dataclass(frozen=True, slots=True)
class ExtractiveGenerator:
    max_sentences: int = 3
    max_per_passage: int = 2
    max_passages: int = 3
    relative_floor: float = 0.5
    name: str = "extractive-1"

    async def generate(
        self,
        question: str,
        language: Language,
        passages: Sequence[Passage],
        on_text: OnText | None = None,  # nothing to stream: the answer exists at once
    ) -> Draft | None:
        chosen = self._choose(keywords(question), passages[: self.max_passages])
        if not chosen:
            return None
        lines = [_INTRO[language]]
        lines += [f"• {_quote(c.sentence, language)} [{c.rank}]" for c in chosen]
        return Draft("\n".join(lines), self.name, verbatim=True)

    def _choose(self, wanted: set[str], passages: Sequence[Passage]) -> list[_Candidate]:
        if not wanted:
            return []
        candidates = [
            c for rank, p in enumerate(passages, start=1) for c in _candidates(wanted, rank, p)
        ]
        ranked = sorted(candidates, key=lambda c: (-c.score, c.rank, c.position))
        # A sentence much weaker than the best one is noise, not a second answer.
        floor = ranked[0].score * self.relative_floor if ranked else 0.0
        best: list[_Candidate] = []
        for candidate in ranked:
            same_passage = sum(c.rank == candidate.rank for c in best)
            repeated = any(c.sentence == candidate.sentence for c in best)  # two copies of a text
            if (
                candidate.score > max(floor, 0)
                and same_passage < self.max_per_passage
                and not repeated
            ):
                best.append(candidate)
            if len(best) == self.max_sentences:
                break
        return sorted(best, key=lambda c: (c.rank, c.position))


def _candidates(wanted: set[str], rank: int, passage: Passage) -> list[_Candidate]:
    heading = keywords(" ".join(passage.section_path))
    result = []
    for position, sentence in enumerate(split_sentences(passage.text)):
        overlap = len(wanted & keywords(sentence)) + 0.5 * len(wanted & heading)
        # Earlier passages are better retrieved: a small tie-breaking prior, never a reason alone.
        score = overlap / len(wanted) - 0.01 * rank if overlap else 0.0
        result.append(_Candidate(score, rank, position, sentence))
    return result


def _quote(sentence: str, language: Language) -> str:
    return f"« {sentence} »" if language == "fr" else f"“{sentence}”"
