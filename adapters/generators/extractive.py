"""The extractive generator: quotes the sentences of the top passages that best match the question.

No language model, no invented text: every sentence of the answer is copied verbatim from a
passage and cited. Used on the embedded default and as a fallback.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from core.lexicon import default_lexicon
from core.models import Language, Passage
from core.ports import Draft, OnText
from core.text import keywords, split_sentences, words
from core.understand import understand

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
        quantity = bool(_QUANTITY.search(question))
        wanted = asked_weights(question, chatter(question, language))
        chosen = self._choose(wanted, passages[: self.max_passages], quantity)
        if not chosen:
            return None
        lines = [_INTRO[language]]
        lines += [f"• {_quote(c.sentence, language)} [{c.rank}]" for c in chosen]
        return Draft("\n".join(lines), self.name, verbatim=True)

    def _choose(
        self, wanted: Mapping[str, float], passages: Sequence[Passage], quantity: bool = False
    ) -> list[_Candidate]:
        if not wanted:
            return []
        candidates = [
            c
            for rank, p in enumerate(passages, start=1)
            for c in _candidates(wanted, rank, p, quantity)
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


# What the question asks last: its parts end at "?" or "!" (chat writes "… ? et chez l'enfant ?"
# in lower case, which core.text.split_sentences would not split), or at a line break.
_ASKS = re.compile(r"(?<=[?!])\s+|\n+")
# Chosen on the chat-style dev split (docs/quality.md): the words of what is asked last weigh
# this many times the others, and a sentence holding a number is worth this many words more
# when the question asks for a quantity, an age, a time or a target.
LAST_ASKED = 3.0
NUMBER_BONUS = 0.5
_QUANTITY = re.compile(
    r"\b(combien|dose|doses|posologie|quel(?:le)?s? (?:âge|age|délai|delai|durée|duree|dose|cible)|"
    r"quand|how (?:much|many|long|often)|what (?:age|dose)|when|max|maximum|target|cible)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d")


def chatter(question: str, language: Language) -> set[str]:
    """The keys of the question's words that are never what it asks about, as the pipeline's
    understanding reads them (core/lexicon/chatter.txt, redaction placeholders): "patient" in
    "patient sous Previscan, l'INR cible ?" must not choose the sentence on the patient's
    valve over the one stating the target."""
    understood = understand(question, language, default_lexicon())
    return text_keywords(question) - text_keywords(understood.as_written)


def asked_weights(question: str, ignored: Collection[str] = ()) -> dict[str, float]:
    """The question's content words (keys), each with what it weighs in choosing sentences: the
    words of what is asked last (a follow-up after the question it follows, "INR cible ?"
    after the patient's context) weigh LAST_ASKED, the others 1; `ignored` (chatter) none."""
    weights = dict.fromkeys(text_keywords(question) - set(ignored), 1.0)
    parts = [part for part in _ASKS.split(question.strip()) if keywords(part)]
    if parts and parts[-1].startswith("(") and parts[-1].endswith(")"):
        parts.pop()  # the medicines as understood (Understood.glossed), not a question
    if len(parts) > 1:
        weights.update(dict.fromkeys(text_keywords(parts[-1]) - set(ignored), LAST_ASKED))
    return weights


def text_keywords(text: str) -> set[str]:
    """keywords(), and the parts of each hyphenated word ("first-line": first, line)."""
    found = keywords(text)
    for word in words(text):
        if "-" in word:
            found |= keywords(word.replace("-", " "))
    return found


def _held(found: set[str], key: str) -> bool:
    """Whether a sentence's keywords hold a question's word ("doses" holds "dose"), as the
    evidence checks read it (core.evidence.holds)."""
    return any(known.startswith(key) for known in found)


def _candidates(
    wanted: Mapping[str, float], rank: int, passage: Passage, quantity: bool
) -> list[_Candidate]:
    heading = text_keywords(" ".join(passage.section_path))
    total = sum(wanted.values())
    result = []
    for position, sentence in enumerate(split_sentences(passage.text)):
        found = text_keywords(sentence)
        overlap = sum(w for key, w in wanted.items() if _held(found, key))
        # A word only the section's heading holds counts half.
        overlap += 0.5 * sum(
            w for key, w in wanted.items() if _held(heading, key) and not _held(found, key)
        )
        if overlap and quantity and _NUMBER.search(sentence):
            overlap += NUMBER_BONUS
        # Earlier passages are better retrieved: a small tie-breaking prior, never a reason alone.
        score = overlap / total - 0.01 * rank if overlap else 0.0
        result.append(_Candidate(score, rank, position, sentence))
    return result


def _quote(sentence: str, language: Language) -> str:
    return f"« {sentence} »" if language == "fr" else f"“{sentence}”"
