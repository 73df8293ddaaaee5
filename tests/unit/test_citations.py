"""The citation check: what a model writes reaches a clinician only if the sources back it."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from core.citations import check_answer, numbers
from testkit.fakes import passage

SOURCES = [
    passage("La dose maximale est de 4 g par jour chez l'adulte de plus de 50 kg.", passage_id=1),
    passage("Chez l'enfant, la dose est de 15 mg/kg toutes les 6 heures.", passage_id=2),
]


def _reasons(text: str) -> dict[str, str]:
    return {r.sentence: r.reason for r in check_answer(text, SOURCES).removed}


def test_supported_cited_sentences_survive_with_markers_normalised() -> None:
    """A faithful, cited answer passes whole; '. [1]' becomes ' [1].'."""
    checked = check_answer(
        "La dose maximale est de 4 g par jour chez l'adulte. [1] Chez l'enfant, 15 mg/kg "
        "toutes les 6 heures [2].",
        SOURCES,
    )
    assert checked.removed == ()
    assert checked.text == (
        "La dose maximale est de 4 g par jour chez l'adulte [1]. "
        "Chez l'enfant, 15 mg/kg toutes les 6 heures [2]."
    )


def test_each_rule_removes_with_its_reason() -> None:
    """Uncited, fake-reference, unsupported and wrong-number sentences are removed, with why."""
    reasons = _reasons(
        "La dose maximale est de 8 g par jour [1]. Voir aussi le RCP [7]. "
        "Le ciel est bleu et calme [2]. Une phrase sans source."
    )
    assert reasons == {
        "La dose maximale est de 8 g par jour [1].": "number 8 not found in the cited source [1]",
        "Voir aussi le RCP [7].": "cites a source that was not shown: [7]",
        "Le ciel est bleu et calme [2].": "not supported by the cited source [2]",
        "Une phrase sans source.": "no citation",
    }


def test_decimal_comma_and_point_are_the_same_number() -> None:
    """'0,5 mg' in the answer matches '0.5 mg' in the source."""
    assert numbers("0,5 mg puis 1.5 mg [3]") == {"0.5", "1.5"}
    source = [passage("Adults: 0.5 mg intramuscularly.")]
    assert check_answer("Adults receive 0,5 mg intramuscularly [1].", source).kept == 1


def test_grouped_citations_are_checked_against_all_cited_sources() -> None:
    """'[1, 2]' cites both sources; the number may come from either."""
    checked = check_answer(
        "La dose est de 4 g chez l'adulte et de 15 mg/kg chez l'enfant [1, 2].", SOURCES
    )
    assert checked.kept == 1
    assert "[1] [2]" in checked.text


_WORDS = st.sampled_from(
    ["dose", "maximale", "enfant", "adulte", "jour", "heures", "g", "mg/kg", "ciel", "le", "la"]
)
_TOKENS = st.one_of(
    _WORDS,
    st.integers(0, 120).map(str),
    st.integers(0, 12).map(lambda n: f"[{n}]"),
    st.sampled_from([".", ",", ". [1]", "[1, 9]", "\n", "•", "0,5", "4.0"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TOKENS, max_size=60).map(" ".join))
def test_whatever_the_model_writes_no_fake_reference_or_number_survives(draft: str) -> None:
    """Property: the checked text cites only shown sources, and every number it states is in
    the sources its sentence cites."""
    checked = check_answer(draft, SOURCES)
    assert set(re.findall(r"\[\d+\]", checked.text)) <= {"[1]", "[2]"}
    for sentence in checked.sentences:
        cited = [int(n) for n in re.findall(r"\[(\d+)\]", sentence)]
        assert cited, sentence
        assert all(1 <= n <= len(SOURCES) for n in cited), sentence
        sources = " ".join(SOURCES[n - 1].text for n in cited)
        assert numbers(sentence) <= numbers(sources), sentence
