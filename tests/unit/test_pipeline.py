"""The pipeline's decisions: answer, abstain, refuse, apologise, and always audit."""

from __future__ import annotations

from dataclasses import replace

import pytest
from structlog.testing import capture_logs

from adapters.generators.extractive import ExtractiveGenerator
from core.errors import MedGPTError
from core.models import Outcome, Passage, Turn
from core.pipeline import PipelineSettings
from testkit.fakes import FakeAudit, FakeIndex, FakeVocabulary, message, passage, pipeline_with

PARACETAMOL = "Paracétamol : posologie"


async def test_answer_cites_sources_and_carries_disclaimer() -> None:
    """A clinician gets the answer, its numbered sources and the disclaimer, and it is audited."""
    index = FakeIndex([passage("La dose maximale est de 4 g par jour.", title=PARACETAMOL)])
    audit = FakeAudit()
    reply = await pipeline_with(index, audit).answer(message("Dose maximale de paracétamol ?"))
    assert reply.outcome is Outcome.ANSWERED
    assert reply.text == "La dose maximale est de 4 g par jour [1]."
    assert [s.number for s in reply.sources] == [1]
    assert reply.disclaimer.version == "fr-1"
    [entry] = audit.answers
    assert (entry.outcome, entry.event, entry.passage_ids) == (
        Outcome.ANSWERED,
        "answer_sent",
        (1,),
    )
    assert entry.user_pseudonym == "pseudo-6"  # never the raw user id
    assert entry.document_hashes == ("hash1",)
    assert set(entry.details["latency"]) == {"retrieve_ms", "generate_ms"}  # type: ignore[arg-type]


async def test_a_question_with_control_characters_is_answered_and_audited() -> None:
    """A message carrying a NUL or a lone surrogate (a paste, a client bug) is answered and both
    its audit rows are kept: PostgreSQL refuses such text, and a lost audit row is a lost
    record of what a clinician was told."""
    index = FakeIndex([passage("La dose maximale est de 4 g par jour.", title=PARACETAMOL)])
    audit = FakeAudit()  # refuses U+0000 as PostgreSQL does
    reply = await pipeline_with(index, audit).answer(
        message("Dose maximale\x00 de paracétamol\x07 ?\ud800")
    )
    assert reply.outcome is Outcome.ANSWERED
    assert [e.event for e in audit.entries] == ["question_received", "answer_sent"]
    assert "\x00" not in audit.answers[0].question


async def test_weak_evidence_abstains_instead_of_improvising() -> None:
    """With only distant passages the bot says it found nothing, and cites nothing."""
    index = FakeIndex([passage("Sans rapport.", similarity=0.2, text_rank=0.0)])
    audit = FakeAudit()
    reply = await pipeline_with(index, audit).answer(message("What is the capital of Peru?"))
    assert reply.outcome is Outcome.ABSTAINED
    assert reply.sources == ()
    assert "nothing relevant" in reply.text
    assert audit.answers[0].event == "abstained"


SMR_TAHOR = passage(
    "Le service médical rendu par TAHOR est important dans l'hypercholestérolémie.",
    similarity=0.65,
    title="TAHOR : avis de la HAS",
)


# Everyday words of the questions below; the others (medicines, "octogénaire") are rare.
EVERYDAY = FakeVocabulary(frozenset("quel service medical rendu dans cancer chez".split()))


async def test_a_medicine_the_corpus_does_not_hold_gets_no_answer_from_another() -> None:
    """Asked about a medicine no passage names, the bot abstains rather than quote another
    medicine's opinion that shares every other word, and says which word no source holds (a
    typo shows at once); so does the audit."""
    audit = FakeAudit()
    pipeline = pipeline_with(FakeIndex([SMR_TAHOR]), audit, ExtractiveGenerator())
    pipeline.vocabulary = EVERYDAY
    reply = await pipeline.answer(message("Quel est le service médical rendu par KARDEGIC ?"))
    assert reply.outcome is Outcome.ABSTAINED
    assert reply.text.startswith("Aucune source de la base ne contient « KARDEGIC »")
    assert audit.answers[0].details["unknown_words"] == ["KARDEGIC"]
    reply = await pipeline.answer(message("Quel est le service médical rendu par TAHOR ?"))
    assert reply.outcome is Outcome.ANSWERED


async def test_a_medicine_only_other_passages_cite_gets_no_answer_from_another() -> None:
    """Asked the SMR of a medicine the passages found lack, which another opinion cites as a
    comparator, the bot abstains rather than answer with the opinion on another medicine for
    the same indication, and says which word the sources found lack."""
    k = PipelineSettings().k
    vectibix = passage(
        "Le service médical rendu par VECTIBIX est important dans le cancer colorectal.",
        similarity=0.65,
        title="VECTIBIX : avis de la HAS",
    )
    fillers = [passage("Sans rapport.", 0.1, passage_id=10 + i) for i in range(k - 1)]
    comparator = passage("Comparateur : ERBITUX.", 0.1, passage_id=30, title="Avis sur LONSURF")
    audit = FakeAudit()
    index = FakeIndex([vectibix, *fillers, comparator])
    pipeline = pipeline_with(index, audit, ExtractiveGenerator())
    pipeline.vocabulary = FakeVocabulary(EVERYDAY.common | {"colorectal"})
    question = message("Quel est le service médical rendu par ERBITUX dans le cancer colorectal ?")
    reply = await pipeline.answer(question)
    assert reply.outcome is Outcome.ABSTAINED
    assert reply.text.startswith("Les sources trouvées ne contiennent pas « ERBITUX ».")
    question = message("Quel est le service médical rendu par VECTIBIX dans le cancer colorectal ?")
    assert (await pipeline.answer(question)).outcome is Outcome.ANSWERED


async def test_everyday_words_the_passage_lacks_do_not_stop_an_answer() -> None:
    """Chat phrasing ("c'est combien", "pour son genou") does not cost the answer that the
    passage holds on every word naming what is asked; a medicine it does not name does."""
    dose = passage("La dose maximale de paracétamol est de 4 g par jour.", similarity=0.3)
    audit = FakeAudit()
    pipeline = pipeline_with(FakeIndex([dose]), audit, ExtractiveGenerator())
    pipeline.vocabulary = FakeVocabulary(frozenset("combien nuit garde dose maximale".split()))
    asked = "en garde cette nuit, paracétamol dose maximale c'est combien ?"
    assert (await pipeline.answer(message(asked))).outcome is Outcome.ANSWERED
    asked = "en garde cette nuit, ibuprofène dose maximale c'est combien ?"
    assert (await pipeline.answer(message(asked))).outcome is Outcome.ABSTAINED


async def test_an_unknown_word_still_answers_from_a_near_duplicate_passage() -> None:
    """A passage very close to the question (similarity 0.7 or more) still supports an answer;
    the audit keeps the word that no source holds."""
    close = replace(SMR_TAHOR, similarity=0.75)
    audit = FakeAudit()
    pipeline = pipeline_with(FakeIndex([close]), audit, ExtractiveGenerator())
    pipeline.vocabulary = EVERYDAY
    reply = await pipeline.answer(message("Service médical rendu par TAHOR chez l'octogénaire ?"))
    assert reply.outcome is Outcome.ANSWERED
    assert audit.answers[0].details["unknown_words"] == ["octogénaire"]  # on record all the same


def _interaction(first: str, second: str, passage_id: int, *members: str) -> Passage:
    """As the thesaurus's importer writes a pair; `members`: those of the second, a class."""
    listed = f" {second} comprend : {', '.join(members)}." if members else ""
    return passage(
        f"{first} et {second} : Association déconseillée.{listed}",
        similarity=0.55,
        passage_id=passage_id,
        title=f"Interaction : {first} + {second}",
        subjects=(first, second, *members),
        subject_sides=(1, 2, *(2 for _ in members)),
    )


AMIODARONE_FLUCONAZOLE = _interaction("AMIODARONE", "FLUCONAZOLE", 1)
STATINS_CLARITHROMYCIN = _interaction(
    "CLARITHROMYCINE", "INHIBITEURS DE L'HMG-COA REDUCTASE", 2, "simvastatine", "atorvastatine"
)


async def test_a_pair_of_drugs_is_answered_only_from_a_source_on_both() -> None:
    """Asked about two drugs, the bot does not answer from an interaction of one of them with a
    third drug: it says that the sources found do not cover the two together, and the audit
    records the drugs it recognised. A class-level pair that lists the substance answers."""
    question = message("Peut-on associer l'amiodarone et la simvastatine ?")
    audit = FakeAudit()
    index = FakeIndex([AMIODARONE_FLUCONAZOLE, STATINS_CLARITHROMYCIN])
    reply = await pipeline_with(index, audit, ExtractiveGenerator()).answer(question)
    assert reply.outcome is Outcome.ABSTAINED
    assert reply.text.startswith(
        "Les sources trouvées ne traitent pas ensemble de « amiodarone » et « simvastatine »."
    )
    assert audit.answers[0].details["subjects"] == ["amiodarone", "simvastatine"]

    listed = _interaction("AMIODARONE", "INHIBITEURS DE L'HMG-COA REDUCTASE", 3, "simvastatine")
    index.passages.append(listed)
    reply = await pipeline_with(index, FakeAudit(), ExtractiveGenerator()).answer(question)
    assert reply.outcome is Outcome.ANSWERED
    assert [s.title for s in reply.sources] == [listed.document.title]


async def test_a_pair_ranked_below_other_pairs_of_its_drugs_is_still_answered() -> None:
    """Where the search's passages are all other pairs of the two drugs (a common drug has
    dozens), the bot looks up the sources about both instead of abstaining, and the audit says
    that it found them that way."""
    k = PipelineSettings().k
    others = [_interaction("AMIODARONE", f"MEDICAMENT{i}", 10 + i) for i in range(k)]
    listed = _interaction("AMIODARONE", "INHIBITEURS DE L'HMG-COA REDUCTASE", 3, "simvastatine")
    index, audit = FakeIndex([*others, listed]), FakeAudit()
    question = message("Peut-on associer l'amiodarone et la simvastatine ?")
    reply = await pipeline_with(index, audit, ExtractiveGenerator()).answer(question)
    assert reply.outcome is Outcome.ANSWERED
    assert [s.title for s in reply.sources] == [listed.document.title]
    assert audit.answers[0].details["retrieved_by"] == "subjects"

    index.passages[-1] = STATINS_CLARITHROMYCIN  # no source on both: it says so, as before
    reply = await pipeline_with(index, FakeAudit(), ExtractiveGenerator()).answer(question)
    assert reply.outcome is Outcome.ABSTAINED
    assert reply.text.startswith("Les sources trouvées ne traitent pas ensemble")


async def test_a_generic_the_corpus_lacks_is_not_answered_from_its_originator() -> None:
    """Asked the SMR of a generic the corpus does not hold, the bot does not answer from the
    documents about its substance (the originator's opinion) that it looks up beyond what the
    search found: they hold every word of the question but the generic's own."""
    k = PipelineSettings().k
    others = [
        passage("SMR important.", passage_id=20 + i, title=f"SMR de X{i}", subjects=(f"X{i}",))
        for i in range(k)
    ]
    originator = passage(
        "Service médical rendu important de la caspofungine.",
        passage_id=3,
        title="SMR de CANCIDAS",
        subjects=("CANCIDAS", "caspofungine"),
    )
    audit = FakeAudit()
    pipeline = pipeline_with(FakeIndex([*others, originator]), audit, ExtractiveGenerator())
    reply = await pipeline.answer(message("Quel est le SMR de CASPOFUNGINE HIKMA ?"))
    assert reply.outcome is Outcome.ABSTAINED
    assert "retrieved_by" not in audit.answers[0].details


async def test_one_drug_listed_in_pairs_ranked_below_others_is_still_answered() -> None:
    """ "Quelles interactions avec le périndopril ?" where the search's passages are pairs
    that do not list it: the bot looks up the pairs that do, instead of abstaining."""
    k = PipelineSettings().k
    others = [_interaction("AMIODARONE", f"MEDICAMENT{i}", 10 + i) for i in range(k)]
    listed = _interaction("ALISKIREN", "INHIBITEURS DE L'ENZYME DE CONVERSION", 3, "périndopril")
    audit = FakeAudit()
    pipeline = pipeline_with(FakeIndex([*others, listed]), audit, ExtractiveGenerator())
    reply = await pipeline.answer(message("Quelles interactions avec le périndopril ?"))
    assert reply.outcome is Outcome.ANSWERED
    assert [s.title for s in reply.sources] == [listed.document.title]
    assert audit.answers[0].details["retrieved_by"] == "subjects"


async def test_two_drugs_of_one_side_of_a_pair_are_not_answered_from_it() -> None:
    """Two substrates of CYP3A4 are not answered from the pair "CYP3A4 substrates + idelalisib":
    it says nothing of the two together. A substrate with idelalisib is."""
    pair = _interaction("IDÉLALISIB", "SUBSTRATS À RISQUE DU CYP3A4", 7, "apixaban", "quinine")
    pipeline = pipeline_with(FakeIndex([pair]), FakeAudit(), ExtractiveGenerator())
    same_side = await pipeline.answer(message("Peut-on associer l'apixaban et la quinine ?"))
    assert same_side.outcome is Outcome.ABSTAINED
    across = await pipeline.answer(message("Peut-on associer l'apixaban et l'idélalisib ?"))
    assert across.outcome is Outcome.ANSWERED
    assert [s.title for s in across.sources] == [pair.document.title]


async def test_one_drug_whose_name_holds_another_is_asked_about_alone() -> None:
    """ "Quelles interactions avec l'insuline asparte ?" asks about one drug: the bot answers
    from the pairs that list it, instead of saying that no source covers insulin and insulin
    aspart together (both on one side of every pair)."""
    pair = _interaction("MÉTOPROLOL", "INSULINE", 8, "insuline asparte")
    audit = FakeAudit()
    pipeline = pipeline_with(FakeIndex([pair]), audit, ExtractiveGenerator())
    reply = await pipeline.answer(message("Quelles interactions avec l'insuline asparte ?"))
    assert reply.outcome is Outcome.ANSWERED
    assert [s.title for s in reply.sources] == [pair.document.title]
    assert audit.answers[0].details["subjects"] == ["insuline asparte"]


async def test_a_drug_is_named_by_its_words_in_a_row_not_scattered() -> None:
    """ "Le patient a une carence en vitamine D" holds the words of "vitamine A" ("a", the verb)
    but names only vitamin D: the vitamin D sheet answers."""
    vitamin_d = passage(
        "Carence en vitamine D : dose de charge de 100 000 UI puis entretien.",
        passage_id=5,
        title="ZYMAD",
        subjects=("ZYMAD", "vitamine D"),
    )
    vitamin_a = passage("Vitamine A : carence.", passage_id=6, subjects=("A 313", "vitamine A"))
    pipeline = pipeline_with(FakeIndex([vitamin_d, vitamin_a]), FakeAudit(), ExtractiveGenerator())
    reply = await pipeline.answer(message("Le patient a une carence en vitamine D : quelle dose ?"))
    assert reply.outcome is Outcome.ANSWERED
    assert [s.title for s in reply.sources] == ["ZYMAD"]


async def test_a_source_that_declares_no_subjects_is_not_held_to_them() -> None:
    """A note written by the team (no declared subjects) still answers a question that names a
    drug the official sources know."""
    note = passage("L'amiodarone expose à une hypothyroïdie : doser la TSH.", passage_id=4)
    index = FakeIndex([AMIODARONE_FLUCONAZOLE, note])
    pipeline = pipeline_with(index, FakeAudit(), ExtractiveGenerator())
    reply = await pipeline.answer(message("Quelle surveillance de la TSH sous amiodarone ?"))
    assert reply.outcome is Outcome.ANSWERED
    assert [s.passage_id for s in reply.sources] == [4]


async def test_generator_finding_nothing_abstains() -> None:
    """If no sentence of the passages matches the question, the extractive answer abstains."""
    index = FakeIndex([passage("Le lavage des mains dure trente secondes.", similarity=0.9)])
    reply = await pipeline_with(index, FakeAudit(), ExtractiveGenerator()).answer(
        message("Quelle posologie de colchicine ?")
    )
    assert reply.outcome is Outcome.ABSTAINED


@pytest.mark.parametrize("text", ["", "   \n\t "])
async def test_empty_question_is_refused_and_audited(text: str) -> None:
    """An empty mention gets a clear message, not a search."""
    index, audit = FakeIndex(), FakeAudit()
    reply = await pipeline_with(index, audit).answer(message(text))
    assert reply.outcome is Outcome.REJECTED
    assert "vide" in reply.text
    assert index.queries == []
    assert audit.answers[0].event == "refused"


async def test_overlong_question_is_refused_and_audit_keeps_a_bounded_prefix() -> None:
    """A 100 KB paste is refused with the limit stated; the audit row stays small."""
    audit = FakeAudit()
    reply = await pipeline_with(FakeIndex(), audit).answer(message("dose " * 20_000))
    assert reply.outcome is Outcome.REJECTED
    assert "200" in reply.text
    assert len(audit.answers[0].question) == 200


async def test_database_down_gives_polite_reply_and_audits_the_error() -> None:
    """A failed dependency never loses the question: apology to the user, error in the audit."""
    audit = FakeAudit()
    reply = await pipeline_with(FakeIndex(down=True), audit).answer(message("dose de paracétamol"))
    assert reply.outcome is Outcome.ERROR
    assert "indisponible" in reply.text
    assert "StoreUnavailable" in str(audit.answers[0].details["error"])


async def test_failed_audit_write_is_logged_loudly_but_the_reply_still_goes_out() -> None:
    """An audit outage is an error log, not a silent clinician."""
    index = FakeIndex([passage("La dose maximale est de 4 g par jour.", title=PARACETAMOL)])
    pipeline = pipeline_with(index, FakeAudit(broken=True))
    with capture_logs() as logs:
        reply = await pipeline.answer(message("dose paracétamol"))
    assert reply.outcome is Outcome.ANSWERED
    assert any(e["event"] == "audit_write_failed" and e["log_level"] == "error" for e in logs)
    assert pipeline.audit_failures == 2  # the 'received' row and the answer's row


async def test_follow_up_is_searched_with_the_question_it_follows() -> None:
    """'and in children?' finds passages about the drug asked about just before."""
    index = FakeIndex([passage("Chez l'enfant, 15 mg/kg par prise.")])
    history = (Turn("Quelle est la dose de paracétamol ?", "…"),)
    reply = await pipeline_with(index, FakeAudit()).answer(message("et chez l'enfant ?", history))
    assert index.queries[0].text == "Quelle est la dose de paracétamol ? et chez l'enfant ?"
    assert reply.language == "fr"


async def test_english_question_gets_english_disclaimer() -> None:
    """English in, English out."""
    index = FakeIndex([passage("Give 0.5 mg intramuscularly.")])
    reply = await pipeline_with(index, FakeAudit()).answer(message("What dose of adrenaline?"))
    assert reply.language == "en"
    assert reply.disclaimer.version == "en-1"
    assert "clinical judgement" in reply.disclaimer.text


def test_error_tree_has_one_root() -> None:
    """Every deliberate error can be caught as MedGPTError by a bot's top-level handler."""
    from core import errors

    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Exception)]
    assert all(issubclass(c, MedGPTError) for c in classes)


async def test_question_is_on_record_before_it_is_answered() -> None:
    """A 'question received' row is written before any work, so a crash cannot lose the
    question; the outcome's row points back to it."""
    audit = FakeAudit()
    await pipeline_with(FakeIndex([passage("La dose maximale est de 4 g.")]), audit).answer(
        message("dose maximale ?")
    )
    received, answered = audit.entries
    assert (received.event, received.question, received.outcome) == (
        "question_received",
        "dose maximale ?",
        Outcome.RECEIVED,
    )
    assert answered.details["received_id"] == 1
    assert answered.details["documents"] == [{"id": 10, "version": None, "hash": "hash1"}]
