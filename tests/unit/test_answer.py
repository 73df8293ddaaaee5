"""The reply model and the extractive generator: faithful quotes, valid citations, demo labels."""

from __future__ import annotations

import re

import pytest

from adapters.generators.extractive import ExtractiveGenerator
from bots.render_text import render_text
from core import compose
from core.models import Language, Passage
from testkit.fakes import passage


async def test_extractive_answer_quotes_passages_verbatim_and_cites_them() -> None:
    """Every sentence shown is copied from the passage it cites: nothing invented."""
    passages = [
        passage(
            "Chez l'adulte, 1 g par prise. La dose maximale est de 4 g par jour. Le surdosage "
            "expose à une hépatite.",
            passage_id=1,
        ),
        passage("Chez l'enfant, la dose est de 15 mg/kg par prise.", passage_id=2),
    ]
    draft = await ExtractiveGenerator().generate(
        "Quelle est la dose maximale chez l'adulte ?", "fr", passages
    )
    assert draft is not None
    quotes = re.findall(r"« (.+?) » \[(\d)\]", draft.text)
    assert quotes
    for sentence, number in quotes:
        assert sentence in passages[int(number) - 1].text
    assert ("La dose maximale est de 4 g par jour.", "1") in quotes


async def test_extractive_answer_is_none_without_matching_words() -> None:
    """No overlap with the question means no answer (the pipeline then abstains)."""
    draft = await ExtractiveGenerator().generate(
        "tuberculose ?", "fr", [passage("Le lavage des mains dure trente secondes.")]
    )
    assert draft is None


async def first_quote(question: str, language: Language, source: Passage) -> str:
    """The extractive answer quoting one sentence only: the one it chose first."""
    draft = await ExtractiveGenerator(max_sentences=1).generate(question, language, [source])
    assert draft is not None
    return draft.text


ANAPHYLAXIS = passage(
    "Intramuscular adrenaline is the first-line treatment for anaphylaxis. The adult dose is"
    " 0.5 mg. In children, doses of 150 micrograms under 6 years are used.",
    passage_id=1,
)


async def test_a_follow_up_is_answered_with_what_it_asks_not_what_the_thread_asked() -> None:
    """ "and in a 4 year old?" after the adult question quotes the children's dose: the words of
    what is asked last outweigh the thread's (a clinician asking for a child's dose must not
    read the adult one)."""
    assert "150 micrograms" in await first_quote(
        "IM adrenaline dose for anaphylaxis in adults? and in a 4 year old?", "en", ANAPHYLAXIS
    )


async def test_a_sentence_holds_a_word_in_its_inflections_and_hyphenated_parts() -> None:
    """ "first line vasopressor" finds "the first-line vasopressor", "dose" finds "doses": the
    sentence that answers is quoted, not the one that repeats the question's topic."""
    sepsis = passage(
        "In septic shock, fluids are given early. Noradrenaline is the first-line vasopressor.",
    )
    assert "Noradrenaline" in await first_quote(
        "first line vasopressor in septic shock?", "en", sepsis
    )


async def test_a_question_for_a_quantity_prefers_the_sentence_that_gives_one() -> None:
    """Asked "from what age", of two sentences holding as many of its words, the one with a
    number is quoted first."""
    mmr = passage(
        "The first dose of the vaccine protects most children. The first dose of the vaccine is"
        " given at 12 months.",
    )
    assert "12 months" in await first_quote("vaccine first dose from what age?", "en", mmr)


@pytest.mark.parametrize(
    ("question", "language", "text", "quoted"),
    [
        # a duration, not the dose given for as long
        ("pneumonia, antibiotic duration?", "en",
         "For pneumonia, oral amoxicillin 500 mg three times daily is the first choice."
         " A total course of 5 days is usually sufficient for pneumonia.", "5 days"),
        # a frequency, not a volume
        ("nourrisson qui vomit, le soluté, quelle fréquence ?", "fr",
         "Le soluté de réhydratation est donné à raison de 50 mL/kg."
         " Le soluté est donné par petites quantités, quelques gorgées toutes les 5 minutes.",
         "toutes les 5 minutes"),
        # the advice for this INR, not for another
        ("INR 6.5 on warfarin without bleeding, what now?", "en",
         "If the INR is above 8.0 without bleeding, warfarin is stopped and vitamin K is given."
         " If the INR is between 5.0 and 8.0 without bleeding, one or two doses of warfarin are"
         " withheld.", "one or two doses"),
        # a bed number is where the patient lies, not a value ("1 to 3 mg" does not hold it)
        ("bay 3, INR 6.5 on warfarin without bleeding, what now?", "en",
         "If the INR is above 8.0 without bleeding, warfarin is stopped and 1 to 3 mg given."
         " If the INR is between 5.0 and 8.0 without bleeding, one or two doses of warfarin are"
         " withheld.", "one or two doses"),
        # an age against an age, not against a potassium
        ("cystite compliquée chez une dame de 78 ans ?", "fr",
         "La cystite est compliquée en cas de kaliémie à 6.5 mmol/L ou plus."
         " La cystite est compliquée au-delà de 75 ans.", "75 ans"),
    ],
)  # fmt: skip
async def test_the_sentence_giving_the_kind_of_amount_asked_or_holding_the_value_is_quoted(
    question: str, language: Language, text: str, quoted: str
) -> None:
    """Asked "abx duration?" or "quelle fréquence ?", the sentence giving days or "toutes les 5
    minutes" is quoted; "INR 6.5, not bleeding" quotes what to do between 5.0 and 8.0, not above
    8.0 (a nurse must not read the advice for another INR); "78 ans" is past "75 ans", not past
    "6.5 mmol/L"."""
    assert quoted in await first_quote(question, language, passage(text))


async def test_an_abbreviation_is_held_by_the_sentence_spelling_it_out() -> None:
    """ "PAC : posologie ?" quotes the dose for the « pneumonie communautaire », not the usual
    adult range: the abbreviation the asker wrote is held by its expansion, mostly spelt."""
    amoxicillin = passage(
        "Chez l'adulte, la posologie usuelle se situe entre 1 g et 3 g par jour."
        " Dans la pneumonie communautaire, la posologie est de 1 g trois fois par jour.",
    )
    assert "trois fois par jour" in await first_quote("PAC : posologie ?", "fr", amoxicillin)


async def test_the_askers_chatter_does_not_choose_the_sentence_quoted() -> None:
    """ "patient sous Previscan, l'INR cible ?" quotes the usual target, not the valve range
    whose sentence happens to say "patient": a nurse must not read 2.5-3.5 as the target."""
    targets = passage(
        "Pour la plupart des indications, l'INR cible est de 2,5, entre 2 et 3. Pour les valves"
        " mécaniques, la zone cible est plus élevée, entre 2,5 et 3,5 selon le patient.",
        section=("Antivitamines K", "Cibles d'INR"),
    )
    assert "entre 2 et 3" in await first_quote(
        "patient sous Previscan, l'INR cible c'est combien ?", "fr", targets
    )


def test_sources_are_renumbered_in_order_of_citation() -> None:
    """Sources are numbered 1..n as cited, and only cited passages are listed."""
    shown = [passage("A.", passage_id=7), passage("B.", passage_id=8), passage("C.", passage_id=9)]
    reply = compose.answered("fr", "B dit ceci [2]. C dit cela [3], comme B [2].", shown)
    assert reply.text == "B dit ceci [1]. C dit cela [2], comme B [1]."
    assert [(s.number, s.passage_id) for s in reply.sources] == [(1, 8), (2, 9)]


def test_citation_outside_the_shown_passages_is_refused() -> None:
    """A reference to a passage that was never shown cannot reach a clinician."""
    with pytest.raises(ValueError, match="outside"):
        compose.answered("en", "Claim [4].", [passage("A.")])


def test_rendered_reply_shows_sources_demo_label_and_disclaimer() -> None:
    """The console shows the numbered source with its provenance and the disclaimer."""
    source = passage("La dose est de 4 g.", title="Paracétamol", section=("Paracétamol", "Dose"))
    text = render_text(compose.answered("fr", "« La dose est de 4 g. » [1]", [source]))
    assert "[1] Paracétamol — HAS · § Dose" in text
    assert "contenu de démonstration, non validé pour un usage clinique" in text
    assert text.rstrip().endswith(compose.DISCLAIMERS["fr"].text)


def test_abstention_has_no_sources_but_has_the_disclaimer() -> None:
    """Abstaining suggests rephrasing and still carries the disclaimer."""
    text = render_text(compose.abstained("en"))
    assert "Try rephrasing" in text
    assert "Sources" not in text
    assert compose.DISCLAIMERS["en"].text in text


def test_abstention_names_the_drugs_no_source_covers_together() -> None:
    """A clinician asking about drugs that the sources found never cover together is told so,
    drug by drug, in their language."""
    reply = compose.abstained("en", not_about=["warfarin", "aspirin", "ibuprofen"])
    assert reply.text.startswith(
        "The sources found do not cover “warfarin”, “aspirin” and “ibuprofen” together."
    )
    reply = compose.abstained("fr", not_about=["KARDEGIC"])
    assert reply.text.startswith("Les sources trouvées ne traitent pas de « KARDEGIC ».")


async def test_the_same_sentence_is_quoted_once() -> None:
    """Two passages carrying the same sentence (two releases of a text) give one quote."""
    same = "La dose maximale est de 4 g par jour."
    draft = await ExtractiveGenerator().generate(
        "dose maximale ?", "fr", [passage(same, passage_id=1), passage(same, passage_id=2)]
    )
    assert draft is not None
    assert draft.text.count(same) == 1
