"""Contract tests of the everyday vocabulary (core.ports.Vocabulary): one test body run against
the pipeline's default (core.evidence.Uniform), the unit tests' fake (testkit.fakes.
FakeVocabulary) and the bots' adapter (adapters.vocabulary.EverydayVocabulary, read once a
session). The fakes may be blind to language or to rarity; none may contradict the adapter."""

from __future__ import annotations

import pytest

from core.evidence import EvidencePolicy, Uniform
from core.models import Language
from core.ports import Vocabulary
from testkit.fakes import EVERYDAY, FakeVocabulary

pytestmark = pytest.mark.integration

# Words as the pipeline asks them (lower case, accents folded): chat phrasing in each language,
# and words no one says in everyday talk (a brand, a typo).
FRENCH = ("combien", "pourquoi", "nuit", "enfant", "medecin")
ENGLISH = ("which", "should", "night", "children", "doctor")
NEVER = ("kardegic", "xqzvtplk")
ASKED = (*FRENCH, *ENGLISH, *NEVER)
OWN: dict[Language, tuple[str, ...]] = {"fr": FRENCH, "en": ENGLISH}
ZIPF_MAX = 9.0  # log10 of a billion per billion: a word that were every word said


@pytest.fixture(params=["uniform", "fake", "everyday"])
def vocabulary(request: pytest.FixtureRequest) -> Vocabulary:
    """Uniform, FakeVocabulary (these everyday words common), then EverydayVocabulary."""
    if request.param == "uniform":
        return Uniform()
    if request.param == "fake":
        return FakeVocabulary(frozenset((*FRENCH, *ENGLISH)))
    return EVERYDAY


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_only_the_words_asked_get_a_value_each_on_the_zipf_scale(
    vocabulary: Vocabulary, language: Language
) -> None:
    """A word weighs on the answer only if the question holds it, and by a Zipf frequency (a
    value off that scale would make every word the subject, or none: answers refused or
    answered from another medicine's opinion)."""
    values = await vocabulary.everyday(set(ASKED), language)
    assert set(values) <= set(ASKED)
    assert all(isinstance(v, float) and 0.0 <= v <= ZIPF_MAX for v in values.values()), values
    assert await vocabulary.everyday([], language) == {}


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_chat_phrasing_is_everyday_in_the_questions_language(
    vocabulary: Vocabulary, language: Language
) -> None:
    """Chat words ("c'est combien", "which should I") are not taken for what the question is
    about, so a question whose sources lack them is still answered."""
    values = await vocabulary.everyday(set(ASKED), language)
    rare = EvidencePolicy().rare_zipf
    assert all(values.get(w, 0.0) >= rare for w in OWN[language]), values


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_a_brand_or_a_typo_never_weighs_as_more_everyday_than_chat_words(
    vocabulary: Vocabulary, language: Language
) -> None:
    """A medicine's name names what is asked: "le SMR de KARDEGIC" is not answered from the
    opinion on TAHOR because KARDEGIC was weighed as an everyday word."""
    values = await vocabulary.everyday(set(ASKED), language)
    everyday = min(values.get(w, 0.0) for w in OWN[language])
    assert all(values.get(w, 0.0) <= everyday for w in NEVER), values


async def test_each_language_is_weighed_as_that_language_speaks(vocabulary: Vocabulary) -> None:
    """An English question is weighed as English is spoken, a French one as French, whichever
    came first: "which" is not the subject of an English question, nor "combien" of a French
    one (a mix-up refuses every question in one of the languages)."""
    english = await vocabulary.everyday(set(ASKED), "en")
    french = await vocabulary.everyday(set(ASKED), "fr")
    assert await vocabulary.everyday(set(ASKED), "en") == english
    for fr, en in zip(FRENCH, ENGLISH, strict=True):
        assert french.get(fr, 0.0) >= french.get(en, 0.0), (fr, en, french)
        assert english.get(en, 0.0) >= english.get(fr, 0.0), (en, fr, english)
