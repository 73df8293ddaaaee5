"""The extractive generator: quotes the sentences of the top passages that best match the question.

No language model, no invented text: every sentence of the answer is copied verbatim from a
passage and cited. Used on the embedded default and as a fallback.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from core.lexicon import default_lexicon
from core.models import Language, Passage
from core.ports import Draft, OnText
from core.text import keywords, split_sentences, words
from core.understand import Understood, understand

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
        understood = understand(question, language, default_lexicon())
        wanted = asked_weights(question, chatter(question, understood))
        asked = Asked.read(question, expansions(understood))
        chosen = self._choose(wanted, passages[: self.max_passages], asked)
        if not chosen:
            return None
        lines = [_INTRO[language]]
        lines += [f"• {_quote(c.sentence, language)} [{c.rank}]" for c in chosen]
        return Draft("\n".join(lines), self.name, verbatim=True)

    def _choose(
        self, wanted: Mapping[str, float], passages: Sequence[Passage], asked: Asked | None = None
    ) -> list[_Candidate]:
        asked = asked or Asked()
        if not wanted:
            return []
        candidates = [
            c
            for rank, p in enumerate(passages, start=1)
            for c in _candidates(wanted, rank, p, asked)
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
# A sentence giving the kind of amount asked (a duration for "how long", an age for "from what
# age", a frequency for "how often", a dose for "what dose") is worth this many words more, in
# place of NUMBER_BONUS; and so is a sentence whose range or bound holds a value the asker gives
# ("INR 6.5": "between 5.0 and 8.0"; "DFG 27": "below 30 mL/min").
KIND_BONUS = 1.0
RANGE_BONUS = 1.0
_QUANTITY = re.compile(
    r"\b(combien|dose|doses|posologie|quel(?:le)?s? (?:âge|age|délai|delai|durée|duree|dose|cible)|"
    r"quand|how (?:much|many|long|often)|what (?:age|dose)|when|max|maximum|target|cible)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d")

_N = r"\d+(?:[.,]\d+)?"
_TIME = r"(?:min|minutes?|h|heures?|hours?|hrs?|jours?|j|days?|semaines?|weeks?|mois|months?)"
_AGE = r"(?:ans|years?|mois|months?|semaines?|weeks?|year-old|years-old)"
# Each kind of amount: the words that ask for it, and how a sentence gives it.
_KINDS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = tuple(
    (re.compile(asks, re.IGNORECASE), re.compile(gives, re.IGNORECASE))
    for asks, gives in (
        (  # a frequency
            r"\b(?:fr[ée]quence|how often|tous les combien|toutes les combien|[àa] quel rythme"
            r"|intervalle|interval)\b",
            r"\b(?:tou(?:te)?s les|every|once|twice|fois par|times a|per (?:day|week)"
            r"|par (?:jour|semaine)|divided by)\b",
        ),
        (  # an age
            r"\b(?:[âa]ges?|how old|ages?)\b",
            rf"\b{_N}\s*{_AGE}\b",
        ),
        (  # a duration or a delay
            r"\b(?:dur[ée]e|duration|how long|combien de (?:temps|jours|semaines|heures|minutes)"
            r"|d[ée]lai|delay|until when|jusqu'[àa] quand|how many (?:days|weeks|hours))\b",
            rf"\b{_N}\s*{_TIME}\b",
        ),
    )
)
# A range or a bound a sentence states, and the numbers bounding it.
_BETWEEN = re.compile(
    rf"(?:\bbetween|\bentre)\s+({_N})\s*\S*\s+(?:and|et)\s+({_N})"
    rf"|({_N})\s*(?:%|[^\W\d]+(?:/[^\W\d]+)*)?\s*(?:to|à|-|–)\s*({_N})",
    re.IGNORECASE,
)
_ABOVE = re.compile(
    rf"(?:\babove|\bover|greater than|more than|at least|sup[ée]rieure?s? (?:ou [ée]gale?s? )?[àa]"
    rf"|plus de|au-del[àa] de|>|≥)\s*({_N})"
    rf"|({_N})\s*\S*\s+(?:or more|or above|ou plus)\b",
    re.IGNORECASE,
)
_BELOW = re.compile(
    rf"(?:\bbelow|\bunder|less than|lower than|inf[ée]rieure?s? (?:ou [ée]gale?s? )?[àa]"
    rf"|moins de|<|≤)\s*({_N})"
    rf"|({_N})\s*\S*\s+(?:or less|or below|ou moins)\b",
    re.IGNORECASE,
)


# The units a value may be given in, by their forms (accents folded): a value and a bound in two
# different units are not compared ("78 ans" is not above "6.5 mmol/L").
_UNITS = {
    form: unit
    for unit, forms in (
        ("year", "ans an years year yo y"),
        ("month", "mois months month"),
        ("week", "semaines semaine weeks week sa"),
        ("day", "jours jour days day j"),
        ("hour", "heures heure hours hour h hrs hr"),
        ("minute", "minutes minute min"),
        ("percent", "%"),
        ("kg", "kg"),
        ("mg", "mg"),
        ("g", "g"),
        ("mmol", "mmol mmol/l"),
        ("ml/min", "ml/min ml/min/1.73"),
        ("µmol", "µmol/l µmol umol/l"),
    )
    for form in forms.split()
}
_UNIT_AFTER = re.compile(r"\s*(%|[^\W\d]+(?:/[^\W\d]+)*)")


# A number that says where, not how much: "bay 3", "lit 12", "chambre 214", "bleep 6613".
_PLACE_BEFORE = re.compile(
    r"\b(?:bed|bay|lit|chambre|ch|room|box|salle|cubicle|cot|bloc|ward|unit|floor|etage|étage"
    r"|bleep|bip|poste|ext|no|n°|#)\.?\s*$",
    re.IGNORECASE,
)


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _unit_after(text: str, end: int) -> str | None:
    """The unit written right after a number that ends at `end`, if one is."""
    match = _UNIT_AFTER.match(text, end)
    return _UNITS.get(match.group(1).casefold()) if match else None


@dataclass(frozen=True, slots=True)
class Asked:
    """What kind of answer a question asks, read from its wording: an amount (any number will
    do), the way a sentence gives the kind of amount asked, and the values the asker gives
    (each with its unit, when one follows it)."""

    quantity: bool = False
    kind: re.Pattern[str] | None = None
    values: tuple[tuple[float, str | None], ...] = ()
    ways: Mapping[str, tuple[frozenset[str], ...]] = field(default_factory=dict)  # expansions

    @classmethod
    def read(
        cls, question: str, ways: Mapping[str, tuple[frozenset[str], ...]] | None = None
    ) -> Asked:
        kind = next((gives for asks, gives in _KINDS if asks.search(question)), None)
        values = tuple(
            (_number(m.group()), _unit_after(question, m.end()))
            for m in re.finditer(_N, question)
            if not _PLACE_BEFORE.search(question, 0, m.start())
        )
        quantity = bool(_QUANTITY.search(question)) or kind is not None
        return cls(quantity, kind, values, ways or {})

    def holds(self, found: set[str], key: str) -> bool:
        """Whether a sentence's keywords hold a question's word, as written or as its expansion
        mostly ("pneumonie communautaire" for "pneumonie aiguë communautaire")."""
        return _held(found, key) or any(_mostly(found, way) for way in self.ways.get(key, ()))

    def bonus(self, sentence: str) -> float:
        """What a sentence gains for giving the kind of answer asked."""
        gained = 0.0
        if self.kind is not None and self.kind.search(sentence):
            gained += KIND_BONUS
        elif self.quantity and _NUMBER.search(sentence):
            gained += NUMBER_BONUS
        if any(_within(value, unit, sentence) for value, unit in self.values):
            gained += RANGE_BONUS
        return gained


def _mostly(found: set[str], way: frozenset[str]) -> bool:
    """Whether a sentence's keywords hold an expansion: all its words, or half of them when it
    has two or more (as core.evidence.coverage reads an expansion mostly held)."""
    held = sum(_held(found, k) for k in way)
    return held == len(way) or (len(way) >= 2 and 2 * held >= len(way))


def _within(value: float, unit: str | None, sentence: str) -> bool:
    """Whether a range or bound the sentence states holds the value: in the value's unit, or in
    any unit when the value has none ("INR 6.5", "K+ 6.2")."""

    def bounds(match: re.Match[str]) -> tuple[list[float], str | None]:
        spans = [i for i in range(1, len(match.groups()) + 1) if match.group(i) is not None]
        said = _unit_after(sentence, match.end(spans[-1]))
        return [_number(match.group(i)) for i in spans], said

    def comparable(said: str | None) -> bool:
        return unit is None or said == unit

    for match in _BETWEEN.finditer(sentence):
        (low, high), said = bounds(match)
        if comparable(said) and low < high and low <= value <= high:
            return True
    for pattern, above in ((_ABOVE, True), (_BELOW, False)):
        for match in pattern.finditer(sentence):
            [bound], said = bounds(match)
            if comparable(said) and (value >= bound if above else value <= bound):
                return True
    return False


def chatter(question: str, understood: Understood) -> set[str]:
    """The keys of the question's words that are never what it asks about, as the pipeline's
    understanding reads them (core/lexicon/chatter.txt, redaction placeholders): "patient" in
    "patient sous Previscan, l'INR cible ?" must not choose the sentence on the patient's
    valve over the one stating the target."""
    return text_keywords(question) - text_keywords(understood.as_written)


def expansions(understood: Understood) -> dict[str, tuple[frozenset[str], ...]]:
    """For each key of an abbreviation the asker wrote, its expansions, each as its keys: a
    sentence on the "pneumonie communautaire" holds "PAC", one on the "saturation" holds
    "sats". Only abbreviations: a medicine's name is in every sentence of its note."""
    ways: dict[str, tuple[frozenset[str], ...]] = {}
    for term in understood.terms:
        if term.kind != "abbreviation":
            continue
        alternatives = tuple(frozenset(keywords(m)) for m in term.meanings if keywords(m))
        for key in keywords(term.written):
            ways[key] = ways.get(key, ()) + alternatives
    return ways


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
    wanted: Mapping[str, float], rank: int, passage: Passage, asked: Asked
) -> list[_Candidate]:
    heading = text_keywords(" ".join(passage.section_path))
    total = sum(wanted.values())
    result = []
    for position, sentence in enumerate(split_sentences(passage.text)):
        found = text_keywords(sentence)
        overlap = sum(w for key, w in wanted.items() if asked.holds(found, key))
        # A word only the section's heading holds counts half.
        overlap += 0.5 * sum(
            w
            for key, w in wanted.items()
            if asked.holds(heading, key) and not asked.holds(found, key)
        )
        if overlap:
            overlap += asked.bonus(sentence)
        # Earlier passages are better retrieved: a small tie-breaking prior, never a reason alone.
        score = overlap / total - 0.01 * rank if overlap else 0.0
        result.append(_Candidate(score, rank, position, sentence))
    return result


def _quote(sentence: str, language: Language) -> str:
    return f"« {sentence} »" if language == "fr" else f"“{sentence}”"
