"""Text helpers shared by chunking, language detection and extractive answers (pure)."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence

from core.models import Language

# Abbreviations after which a period does not end a sentence. Units are not among them: in
# clinical text "... 4 g." far more often ends a sentence than abbreviates one.
_ABBREVIATIONS = frozenset(
    "e.g i.e cf vs dr pr mr mrs ms st fig no nº env approx av apr jr sr al p pp vol ed éd "
    "ex".split()
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"»”)\]]*\s+(?=[\"«“(\[]?[A-ZÀ-ÖØ-Þ0-9])")
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*", re.UNICODE)


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph; never splits inside decimals ("0.5 mg") or abbreviations."""
    text = " ".join(text.split())
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        candidate = text[start : match.start()].strip()
        # No rule for initials: "vitamine K." and "hépatite B." end sentences far more often.
        if candidate.rsplit(" ", 1)[-1].rstrip(".").lower() in _ABBREVIATIONS:
            continue
        sentences.append(candidate)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|[\ud800-\udfff]")


def printable(text: str) -> str:
    """The text without control characters (a NUL, a bell; tabs and line breaks kept) and with
    a lone surrogate as U+FFFD: what a chat message may carry and a database refuses to store."""
    return _CONTROL.sub(lambda m: "" if m.group() < "\ud800" else "\ufffd", text)


def fold(text: str) -> str:
    """Lower case without accents, for matching words across spellings."""
    if text.isascii():  # nothing to decompose: most words, in French as in English
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return _WORD.findall(text)


_FR_MARKERS = frozenset(
    "le la les un une des du de et est sont pour dans chez avec sans quel quelle quels quelles "
    "comment peut on il elle au aux sur par pas que qui quoi faut doit dose posologie enfant "
    "enfants adulte traitement ou en ce cette ces son sa ses nous vous je bonjour bonsoir salut "
    "merci".split()
)
_EN_MARKERS = frozenset(
    "the a an and is are for in with without what which how can should dose dosing child "
    "children adult treatment or of to on by not that who when does do it its this these "
    "i we you my hello hi thanks please".split()
)


def message_language(text: str, earlier: Sequence[str] = ()) -> Language:
    """A chat message's language: its own words, else those of the thread's last question
    ("et chez l'enfant ?" after an English question is English), else French."""
    previous = detect_language(earlier[-1]) if earlier else "fr"
    return detect_language(text, default=previous)


def detect_language(text: str, default: Language = "fr") -> Language:
    """French or English, from function words and accents; `default` when undecidable."""
    tokens = [w.lower().replace("’", "'") for w in words(text)]
    tokens = [t.split("'")[-1] for t in tokens]
    fr = sum(t in _FR_MARKERS for t in tokens) + 2 * len(re.findall(r"[éèêàùçœâîôû]", text))
    en = sum(t in _EN_MARKERS for t in tokens)
    if fr == en:
        return default
    return "fr" if fr > en else "en"


_CONTENT_MARKERS = frozenset(
    "dose posologie enfant enfants adulte traitement dosing child children adult treatment".split()
)
_FUNCTION_WORDS = frozenset(
    "est-ce a-t-il sous entre après apres avant lors quand plus moins très tres être etre avoir "
    "fait faire quoi dont leur leurs mon ma mes ton ta tes notre votre aussi alors donc mais ni "
    "car si tout tous toute toutes autre autres même meme peu bien quelle quel cas chez faut "
    "what's there into from about after before during when than then also but nor so if all any "
    "some other same such very be been being have has had does did will would shall may might "
    "must could which whom whose where why your our their his her them they he she".split()
)
_STOPWORDS = (_FR_MARKERS | _EN_MARKERS | _FUNCTION_WORDS) - _CONTENT_MARKERS


# French inverted questions: "est-il", "peut-on", "a-t-elle" are the verb and a pronoun.
_INVERSION = re.compile(r"-(?:t-)?(?:il|elle|on|ils|elles|je|tu|nous|vous|ce)$", re.IGNORECASE)
KEY_LENGTH = 6  # a content word's key: its first letters, accents folded


def content_words(text: str) -> dict[str, str]:
    """Content words by key (accent-folded, crudely stemmed: the first letters), each with the
    first form the text spells it in."""
    result: dict[str, str] = {}
    for word in words(text):
        spelt = _INVERSION.sub("", word.replace("’", "'").split("'")[-1])
        token = fold(spelt)
        if len(token) < 3 or token in _STOPWORDS:
            continue
        result.setdefault(token[:KEY_LENGTH], spelt)
    return result


_ALNUM = re.compile(r"[^\W_]+", re.UNICODE)


def subject_tokens(text: str) -> tuple[str, ...]:
    """Every word of a text in order, accent-folded, none left out: a subject ("vitamine A",
    "MAG 2") is named only by a question that holds all its words, one after the other."""
    return tuple(_ALNUM.findall(fold(text)))


@functools.lru_cache(maxsize=65536)  # each retrieved document's subjects, for every question
def subject_words(text: str) -> frozenset[str]:
    """The words of subject_tokens, as a set."""
    return frozenset(subject_tokens(text))


def named_in(tokens: Sequence[str], subjects: Iterable[Sequence[str]]) -> list[tuple[str, ...]]:
    """The subjects that a text's tokens name, each by its tokens one after the other ("le
    patient a une carence en vitamine D" holds the words of "vitamine A", but does not name
    it), less those named only within a longer one: "l'insuline asparte" names one drug, not
    insulin as well."""
    places: dict[tuple[str, ...], list[range]] = {}
    for subject in map(tuple, subjects):
        width = len(subject)
        found = [
            range(i, i + width)
            for i in range(len(tokens) - width + 1)
            if tuple(tokens[i : i + width]) == subject
        ]
        if found:
            places[subject] = found
    every = [place for found in places.values() for place in found]
    return [
        subject
        for subject, found in places.items()
        if not all(any(_within(place, other) for other in every) for place in found)
    ]


def _within(place: range, other: range) -> bool:
    """Whether a subject's place in a text lies inside a longer one's."""
    return other.start <= place.start and place.stop <= other.stop and len(other) > len(place)


def spelt(text: str, words: frozenset[str]) -> str:
    """Those of `text`'s words that are among `words` (subject_words), as the text spells them."""
    return " ".join(dict.fromkeys(t for t in _ALNUM.findall(text) if fold(t) in words))


_UNIT_TOKEN = re.compile(r"[^\W_]+(?:/[^\W_]+)*", re.UNICODE)
_NUMBER = re.compile(r"\d")


def unit_tokens(text: str) -> list[str]:
    """A text's words, accent-folded, slashes kept inside ("mg/kg", "l/min", "ui/l"): how a
    unit is compared (core/lexicon/units.txt)."""
    return _UNIT_TOKEN.findall(fold(text))


def units_stated(text: str, units: Iterable[frozenset[str]]) -> set[str]:
    """The forms of `units` that a text holds, whole."""
    forms = set().union(*units) if units else set()
    return {token for token in unit_tokens(text) if token in forms}


def units_asked(text: str, units: Sequence[frozenset[str]]) -> tuple[frozenset[str], ...]:
    """The units (each as its forms) that a question asks an amount in: written without a
    number before them ("combien d'UI ?", "how many vials?"), not as a value ("20 µg")."""
    tokens = unit_tokens(text)
    asked = [
        group
        for group in units
        if any(
            token in group and not (at and _NUMBER.search(tokens[at - 1]))
            for at, token in enumerate(tokens)
        )
    ]
    return tuple(asked)


# A dose asked: the words that ask one (not "combien", which asks a delay as often).
_ASKS_DOSE = re.compile(
    r"\b(?:doses?|posologies?|dosages?|how much|quelle quantité|loading|charge)\b", re.IGNORECASE
)
# A dose stated: a number and a unit of dose ("0,9 mg/kg", "500 micrograms", "10 units").
_DOSE = re.compile(
    r"\d(?:[.,]\d+)?\s*(?:mg|g|µg|μg|mcg|micrograms?|microgrammes?|ui|iu|units?|unités?|ml"
    r"|mmol|puffs?|bouffées?|comprimés?|tablets?)(?:/[a-zé]+)*\b",
    re.IGNORECASE,
)


def asks_dose(text: str) -> bool:
    """Whether a question asks a dose ("quelle posologie ?", "what dose?", "how much?")."""
    return _ASKS_DOSE.search(text) is not None


def states_dose(text: str) -> bool:
    """Whether a sentence states an amount in a unit of dose."""
    return _DOSE.search(text) is not None


def keywords(text: str) -> set[str]:
    """Content words, accent-folded and crudely stemmed (prefix), for lexical overlap."""
    return set(content_words(text))


def edits(a: str, b: str) -> int:
    """Substitutions, insertions, deletions and swaps of neighbours from one string to the other
    (optimal string alignment distance)."""
    before: list[int] = []
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        previous, row = row, [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], before[j - 2] + 1)
        before = previous
    return row[len(b)]
