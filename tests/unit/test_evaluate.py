"""The evidence policy's word checks, and how `medgpt eval` replays the policy."""

from __future__ import annotations

from bots.evaluate import Case, abstention
from core.evidence import EvidencePolicy, unmatched_words
from tests.fakes import passage

POLICY = EvidencePolicy(min_similarity=0.6, min_coverage=0.5)


def test_abstention_counts_right_wrong_and_unanswerable_answers() -> None:
    """An operator tuning the thresholds reads three rates: answered from the gold document,
    answered from another one, and answered although the index held no answer."""
    close = [("gold", passage("Le SMR de TAHOR est important.", similarity=0.9, passage_id=1))]
    elsewhere = [
        (f"other{i}", passage("Le SMR de CRESTOR est important.", 0.65, passage_id=i))
        for i in range(2, 6)
    ] + [("gold", passage("Le SMR de TAHOR est important.", 0.65, passage_id=9))]
    far = [("other", passage("Sans rapport.", similarity=0.1, passage_id=7))]
    none: set[str] = set()
    retrieved = [
        (Case("SMR de TAHOR ?", "gold", "fr"), close, none),  # right
        (Case("SMR de TAHOR ?", "gold", "fr"), elsewhere, none),  # gold 5th: past the first 3
        (Case("SMR de TAHOR ?", "gold", "fr"), far, none),  # abstains
        (Case("SMR de TAHOR ?", "x", "fr", also=frozenset({"gold"})), close, none),  # right
        (Case("SMR de ZOCOR ?", "", "fr"), elsewhere, none),  # unanswerable, answered
        (Case("SMR de ZOCOR ?", "", "fr"), far, none),  # unanswerable, abstains
        (Case("SMR de KARDEGIC ?", "", "fr"), elsewhere, {"KARDEGIC"}),  # unknown: abstains
    ]
    rates = abstention(retrieved, POLICY)
    assert (rates.right, rates.wrong, rates.unanswerable) == (0.5, 0.25, 1 / 3)
    # Without the unknown-word check, the question on KARDEGIC is answered from CRESTOR.
    rates = abstention(retrieved, EvidencePolicy(unknown_word_length=0))
    assert rates.unanswerable == 2 / 3


def test_unmatched_words_are_long_content_words_no_passage_holds() -> None:
    """Only words the passages lack are looked up in the corpus: a prefix counts ("max" is in
    "maximale"), function words and short abbreviations are not looked up."""
    found = [passage("Dose maximale de paracétamol : 4 g par jour.")]
    question = "Est-il vrai que la dose max de paracetamol chez le sujet âgé est en PA ?"
    assert unmatched_words(question, found, POLICY) == ["sujet"]
    every = EvidencePolicy(unknown_word_length=1)
    assert unmatched_words(question, found, every) == ["vrai", "sujet", "âgé"]
    assert unmatched_words(question, found, EvidencePolicy(unknown_word_length=0)) == []
