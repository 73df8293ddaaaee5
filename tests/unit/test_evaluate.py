"""The evidence policy's word and subject checks, and how `medgpt eval` replays the policy."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from core.documents import DocumentMeta, ParsedDocument
from core.evidence import EvidencePolicy, WordWeights, is_about, unmatched_words
from core.ingestion import SourceFile
from core.text import named_in, spelt, subject_tokens, subject_words
from evaluation.abstention import Retrieval, abstention, held_out_policies, misanswered_report
from evaluation.public_sets import Case, interaction_cases
from evaluation.recall import Scores, chart
from testkit.fakes import passage

POLICY = EvidencePolicy(min_similarity=0.7, min_coverage=0.5)


def test_abstention_counts_right_wrong_and_unanswerable_answers() -> None:
    """An operator tuning the thresholds reads three rates: answered from the gold document,
    answered from another one, and answered although the index held no answer."""
    close = [("gold", passage("Le SMR de TAHOR est important.", similarity=0.9, passage_id=1))]
    elsewhere = [
        (f"other{i}", passage("Le SMR de CRESTOR est important.", 0.65, passage_id=i))
        for i in range(2, 6)
    ] + [("gold", passage("Le SMR de TAHOR est important.", 0.65, passage_id=9))]
    far = [("other", passage("Sans rapport.", similarity=0.1, passage_id=7))]
    # The gold document 5th, as close and holding no more of the question than the others.
    fifth = [*elsewhere[:4], ("gold", passage("Le SMR est important.", 0.65, passage_id=9))]
    # "SMR" and "de" are everyday words here; the medicines are rare. KARDEGIC is held by no
    # passage of the corpus, ERBITUX by one (another opinion's comparator).
    none = WordWeights(everyday={"smr": 5.0})
    tahor, zocor = Case("SMR de TAHOR ?", "gold", "fr"), Case("SMR de ZOCOR ?", "", "fr")
    retrieved = [
        Retrieval(tahor, close, none),  # right
        # Taken for an everyday word the corpus lacks, TAHOR is answered from CRESTOR: gold 5th.
        Retrieval(tahor, fifth, WordWeights({"smr": 5.0, "tahor": 5.0}, {"tahor": 0})),
        Retrieval(tahor, far, none),  # abstains
        Retrieval(Case("SMR de TAHOR ?", "x", "fr", also=frozenset({"gold"})), close, none),
        Retrieval(zocor, elsewhere, WordWeights({"smr": 5.0, "zocor": 5.0}, {"zocor": 0})),
        Retrieval(zocor, far, none),  # unanswerable, abstains
        Retrieval(Case("SMR de KARDEGIC ?", "", "fr"), elsewhere, none),  # abstains
        Retrieval(Case("SMR de ERBITUX ?", "", "fr"), elsewhere, none),  # abstains
    ]
    rates = abstention(retrieved, POLICY)
    assert (rates.right, rates.wrong, rates.unanswerable) == (0.5, 0.25, 1 / 4)
    # With a lenient coverage, KARDEGIC and ERBITUX are answered from CRESTOR.
    rates = abstention(retrieved, replace(POLICY, min_coverage=0.3, elsewhere_factor=1.0))
    assert rates.unanswerable == 3 / 4
    # The report lists the wrong answers and the unanswerable ones answered, with their sources.
    assert misanswered_report(retrieved, POLICY)[3:] == [
        "- SMR de TAHOR ? (expected gold) → other2, other3, other4",
        "- SMR de ZOCOR ? (not in the index) → other2, other3, other4",
    ]


def test_held_out_check_measures_the_chosen_thresholds_on_questions_not_used_to_choose() -> None:
    """An operator sees whether the thresholds that win on half the questions still win on the
    other half, next to the default; a tie keeps the default."""
    strict = EvidencePolicy(min_similarity=0.7, min_coverage=0.8)
    lenient = EvidencePolicy(min_similarity=0.6, min_coverage=0.5)
    look_alike = [("other", passage("Le SMR de CRESTOR est important.", similarity=0.65))]
    retrieved = [
        *(
            Retrieval(
                Case(f"SMR de TAHOR {i} ?", f"gold{i}", "fr"),
                [(f"gold{i}", passage("Le SMR de TAHOR est important.", similarity=0.9))],
            )
            for i in range(20)
        ),
        *(Retrieval(Case(f"SMR de ZOCOR {i} ?", "", "fr"), look_alike) for i in range(20)),
    ]
    rows = held_out_policies(retrieved, [lenient, strict])
    assert "two halves of 20 and 20" in rows[1]
    default, chosen, best = rows[-3:]
    # The lenient default answers the look-alikes; the strict policy wins on both halves.
    assert default.startswith("| default | 0.6 |")
    assert "| 1.000, 0.000, 1.000 |" in default
    assert chosen.startswith("| chosen on the tuning half | 0.7 |")
    assert chosen.endswith("| 1.000, 0.000, 0.000 | 1.000 |")
    assert best.startswith("| best on the held-out half | 0.7 |")
    tie = held_out_policies(retrieved[:20], [lenient, strict])  # answerable only: both right
    assert tie[-2].startswith("| chosen on the tuning half | 0.6 |")
    assert held_out_policies(retrieved[:1], [lenient])  # a half with no question still reports


def test_held_out_half_never_repeats_a_question_of_the_tuning_half() -> None:
    """A pair asked both ways round, or two questions answered by one document, stay in one
    half: otherwise the held-out figures would be the tuning figures again."""
    pair = passage("AMIODARONE + SIMVASTATINE : contre-indication.", similarity=0.9)
    retrieved = [
        Retrieval(Case(f"Peut-on associer {x} et {y} ?", gold, "fr", also=frozenset({other})), [])
        for x, y, gold, other in (
            ("amiodarone", "simvastatine", "ab", "ba"),
            ("simvastatine", "amiodarone", "ba", "ab"),
            ("fluconazole", "warfarine", "cd", "dc"),
            ("warfarine", "fluconazole", "dc", "cd"),
        )
    ] + [
        Retrieval(Case(q, "", "fr"), [("ab", pair)])
        for q in ("Peut-on associer X et Y ?", "Peut-on associer Y et X ?")
    ]
    # Three groups of two: 4 and 2, where a split by question would give 3 and 3.
    assert "two halves of 4 and 2" in held_out_policies(retrieved, [POLICY])[1]


def test_unmatched_words_are_the_content_words_no_passage_holds() -> None:
    """Only words the passages lack are looked up in the corpus: a prefix counts ("max" is in
    "maximale"), function words are not looked up."""
    found = [passage("Dose maximale de paracétamol : 4 g par jour.")]
    question = "Est-il vrai que la dose max de paracetamol chez le sujet âgé est en PA ?"
    assert list(unmatched_words(question, found).values()) == ["vrai", "sujet", "âgé"]


def test_a_document_is_about_a_subject_one_of_its_subjects_holds_whole() -> None:
    """A sheet on 'CHLORHYDRATE DE METFORMINE' answers a question on metformin; the opinion on
    AMOXICILLINE SANDOZ does not answer one on AMOXICILLINE BIOGARAN; a note that declares no
    subjects is never held to them."""
    sheet = passage("Biguanide.", subjects=("GLUCOPHAGE", "CHLORHYDRATE DE MÉTFORMINE"))
    sandoz = passage("SMR important.", subjects=("AMOXICILLINE SANDOZ", "AMOXICILLINE"))
    metformin = subject_words("metformine")
    assert is_about(sheet, [metformin])
    assert is_about(sandoz, [subject_words("amoxicilline")])
    assert not is_about(sandoz, [subject_words("AMOXICILLINE BIOGARAN")])
    assert not is_about(sheet, [metformin, subject_words("Gliclazide")])  # a pair: both needed
    assert is_about(passage("Note."), [metformin])
    assert is_about(sheet, [])


def test_a_subject_is_named_by_all_its_words_in_a_row() -> None:
    """'vitamine A' is named only with its A, right after: "le patient a une carence en
    vitamine D" does not name it. The reply quotes the drug as the clinician wrote it."""
    vitamins = [subject_tokens("VITAMINE A"), subject_tokens("vitamine D")]
    assert subject_words("Vitamine A") == {"vitamine", "a"}
    assert named_in(subject_tokens("Faut-il de la vitamine A ?"), vitamins) == [("vitamine", "a")]
    deficient = subject_tokens("Le patient a une carence en vitamine D : quelle dose ?")
    assert set(subject_tokens("vitamine A")) <= set(deficient)
    assert named_in(deficient, vitamins) == [("vitamine", "d")]
    assert named_in(subject_tokens("vitamine"), vitamins) == []
    assert subject_words("l'acide acétylsalicylique") == {"l", "acide", "acetylsalicylique"}
    assert spelt("Et l'Acide acétylsalicylique ?", frozenset({"acide", "acetylsalicylique"})) == (
        "Acide acétylsalicylique"
    )


def test_a_subject_within_a_longer_one_is_not_named_on_its_own() -> None:
    """ "l'insuline asparte" names one drug: insulin is not named as well, unless the question
    names it elsewhere. Else a question on one drug would be read as one on two drugs."""
    insulins = [subject_tokens("INSULINE"), subject_tokens("insuline asparte")]
    one = subject_tokens("Quelles interactions avec l'insuline asparte ?")
    assert named_in(one, insulins) == [("insuline", "asparte")]
    two = subject_tokens("Peut-on passer de l'insuline à l'insuline asparte ?")
    assert sorted(named_in(two, insulins)) == [("insuline",), ("insuline", "asparte")]
    salts = [subject_tokens(s) for s in ("sodium", "oxybate de sodium", "bicarbonate de sodium")]
    both = subject_tokens("L'oxybate de sodium et le bicarbonate de sodium ?")
    assert sorted(named_in(both, salts)) == [
        ("bicarbonate", "de", "sodium"),
        ("oxybate", "de", "sodium"),
    ]


def _pair(main: str, plus: str) -> SourceFile:
    """A thesaurus pair as the importer reads it: its key, its title."""
    meta = DocumentMeta(title=f"Interaction : {main} + {plus}")
    key = f"ansm-interactions:{main.lower()}|{plus.lower()}"
    return SourceFile(key, (ParsedDocument(key, meta, (), "hash"),))


def test_a_pair_stated_under_each_drug_answers_either_question_even_with_a_plus_in_a_name() -> None:
    """The thesaurus states most pairs twice, once under each drug; either statement answers.
    A side named with " + " ("GRAZOPREVIR + ELBASVIR") is still one side: its mirror counts."""
    first = _pair("INHIBITEURS PUISSANTS DU CYP3A4", "GRAZOPREVIR + ELBASVIR")
    mirror = _pair("GRAZOPREVIR + ELBASVIR", "INHIBITEURS PUISSANTS DU CYP3A4")
    cases = interaction_cases([first, mirror], {})
    assert [case.also for case in cases] == [
        frozenset({mirror.path}),
        frozenset({first.path}),
    ]
    assert cases[1].question == (
        "Peut-on associer grazoprevir + elbasvir et inhibiteurs puissants du cyp3a4 ?"
    )


def test_eval_without_matplotlib_writes_no_chart_and_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`medgpt eval` ships without the chart's library: the chart is skipped, not a crash."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    scores = {"hybrid": Scores([1, None])}
    assert chart("t", scores, tmp_path / "chart.png") is False
    assert not (tmp_path / "chart.png").exists()
