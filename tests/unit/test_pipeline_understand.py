"""The pipeline reads the question as understood: brands, chatter, greetings."""

from __future__ import annotations

from dataclasses import replace

from adapters.generators.extractive import ExtractiveGenerator
from core.evidence import EvidencePolicy, WordWeights, coverage
from core.models import Outcome, Passage, Turn
from core.pipeline import Pipeline
from testkit.fakes import FakeAudit, FakeIndex, message, passage, pipeline_with


def quoting(*passages: Passage) -> Pipeline:
    """The pipeline over these passages (the search returns them in this order), answering
    with quotes, as the embedded default does; nothing audited that a test reads."""
    return pipeline_with(FakeIndex(list(passages)), FakeAudit(), ExtractiveGenerator())


WARFARIN = passage(
    "Sous warfarine, l'INR cible est compris entre 2 et 3 dans la fibrillation atriale.",
    similarity=0.3,
    title="Antivitamines K : cibles d'INR",
)


async def test_a_brand_is_answered_from_the_notes_on_its_substance() -> None:
    """A brand ("patient sous Coumadine") finds and answers from the passage on warfarine, and
    the reply says how the question was read; the audit keeps it."""
    audit = FakeAudit()
    index = FakeIndex([WARFARIN])
    pipeline = pipeline_with(index, audit, ExtractiveGenerator())
    reply = await pipeline.answer(message("patient sous Coumadine, l'INR cible c'est combien ?"))
    assert reply.outcome is Outcome.ANSWERED
    [read] = [n for n in reply.notices if n.startswith("Compris : ")]
    assert "Coumadine → warfarine" in read
    assert "Coumadine (warfarine)" in index.queries[0].text
    understood = audit.answers[0].details["understood"]
    assert ["Coumadine", "warfarine"] in understood["changes"]  # type: ignore[index]
    assert "unknown_words" not in audit.answers[0].details


async def test_chatter_and_placeholders_never_make_the_bot_abstain() -> None:
    """Ward chatter and a redacted name are not words the corpus must hold: the question is
    answered, not refused for « garde » or « NOM »."""
    audit = FakeAudit()
    pipeline = pipeline_with(FakeIndex([WARFARIN]), audit, ExtractiveGenerator())
    question = "Mme Dupont, en garde cette nuit : sous warfarine, l'INR cible c'est combien ?"
    reply = await pipeline.answer(message(question))
    assert reply.outcome is Outcome.ANSWERED
    read = " ".join(n for n in reply.notices if n.startswith("Compris"))
    assert not any(word in read for word in ("garde", "nuit", "Dupont", "NOM"))
    assert "unknown_words" not in audit.answers[0].details


async def test_a_brand_the_corpus_lacks_entirely_is_still_named() -> None:
    """When neither the brand nor its substance is in the passages, the bot abstains and names
    the brand as typed."""
    other = passage("Le paracétamol se dose à 1 g.", similarity=0.3, title="Paracétamol")
    pipeline = quoting(other)
    reply = await pipeline.answer(message("Quelle est la cible d'INR sous Previscan ?"))
    assert reply.outcome is Outcome.ABSTAINED
    assert "« Previscan »" in reply.text
    [read] = [n for n in reply.notices if n.startswith("Compris : ")]
    assert "Previscan → fluindione" in read


async def test_only_the_askers_own_words_are_named_as_held_by_no_source() -> None:
    """Reading a brand as its substance brings in the lexicon's words ("Engerix B": "antigène
    de surface de l'hépatite B recombinant"); one no source holds is nobody's typo and is never
    named (clinician: « vérifiez l'orthographe » of a word they did not write)."""
    note = passage(
        "Chez l'adolescent, le vaccin contre l'hépatite B se donne en deux doses.",
        similarity=0.3,
        title="Hépatite B : vaccination",
    )
    pipeline = quoting(note)
    reply = await pipeline.answer(message("Engerix B chez l'adolescent, combien de doses ?"))
    assert "recombinant" not in reply.text


async def test_a_greeting_gets_a_welcome_not_a_search() -> None:
    """A greeting ("Bonjour à tous") gets what the bot does and an example, without a search;
    it is audited."""
    index = FakeIndex([WARFARIN])
    audit = FakeAudit()
    reply = await pipeline_with(index, audit).answer(message("Bonjour à tous !"))
    assert "Par exemple" in reply.text
    assert "Signaler" in reply.text
    assert index.queries == []
    assert audit.answers[0].outcome is Outcome.ABSTAINED
    assert audit.answers[0].details["understood"] == {"query": "", "dropped": ["Bonjour", "à tous"]}
    english = await pipeline_with(index, audit).answer(message("hello"))
    assert english.language == "en"
    assert "For example" in english.text


async def test_a_greeting_with_a_question_is_just_the_question() -> None:
    """A greeting followed by a question gets the answer, not the welcome."""
    pipeline = quoting(WARFARIN)
    reply = await pipeline.answer(message("Bonjour, quel INR cible sous warfarine ?"))
    assert reply.outcome is Outcome.ANSWERED
    assert "Par exemple" not in reply.text


async def test_a_medicine_is_answered_from_a_passage_naming_its_class_not_another_drug() -> None:
    """ "Sous warfarine" is answered from the note on antivitamines K (its class), not from a
    passage on another anticoagulant that shares every other word."""
    avk = passage(
        "Sous antivitamines K, l'INR cible est entre 2 et 3.",
        similarity=0.5,
        title="Antivitamines K : cibles d'INR",
    )
    heparin = passage(
        "Sous héparine, l'INR cible n'a pas de sens : surveiller les plaquettes.",
        similarity=0.5,
        passage_id=2,
        title="Héparine : surveillance",
    )
    question = message("sous warfarine, l'INR cible c'est combien ?")
    reply = await quoting(avk).answer(question)
    assert reply.outcome is Outcome.ANSWERED
    pipeline = quoting(heparin)
    assert (await pipeline.answer(question)).outcome is Outcome.ABSTAINED


async def test_a_medicine_misspelt_beyond_one_letter_gets_the_nearest_names() -> None:
    """A clinician who types "Kardejik" (two letters off KARDEGIC) is not only refused: the
    reply offers the nearest medicine names to ask again with, and the audit keeps them; a word
    near no medicine gets no suggestion."""
    other = passage("Le paracétamol se dose à 1 g.", similarity=0.3, title="Paracétamol")
    audit = FakeAudit()
    pipeline = pipeline_with(FakeIndex([other]), audit, ExtractiveGenerator())
    reply = await pipeline.answer(message("patient sous Kardejik, quelle dose ?"))
    assert reply.outcome is Outcome.ABSTAINED
    assert "« Kardejik »" in reply.text
    assert "Vouliez-vous dire « KARDEGIC » ?" in reply.text
    assert audit.answers[0].details["suggested"] == ["KARDEGIC"]
    english = await pipeline.answer(message("what dose of metformime in CKD?"))
    assert "Did you mean “metformine”, “metformin”?" in english.text
    nothing = await pipeline.answer(message("patient sous Zqxwvyrt, quelle dose ?"))
    assert nothing.outcome is Outcome.ABSTAINED
    assert "Vouliez-vous dire" not in nothing.text


async def test_a_misspelt_medicine_is_not_answered_from_another_medicines_dose() -> None:
    """ "dose de Kardejik chez l'adulte ?" is not answered with the adult dose of amoxicillin
    that holds its other words: the clinician is offered KARDEGIC; a passage that names the
    medicine offered still answers."""
    amoxicillin = passage(
        "Chez l'adulte, la dose d'amoxicilline est de 1 g trois fois par jour.",
        similarity=0.3,
        title="Amoxicilline : posologie",
    )
    pipeline = quoting(amoxicillin)
    reply = await pipeline.answer(message("dose de Kardejik chez l'adulte ?"))
    assert reply.outcome is Outcome.ABSTAINED
    assert "Vouliez-vous dire « KARDEGIC » ?" in reply.text
    aspirin = passage(
        "Chez l'adulte, la dose d'aspirine en prévention est de 75 à 160 mg par jour.",
        similarity=0.3,
        title="Aspirine : posologie",
    )
    audit = FakeAudit()
    pipeline = pipeline_with(FakeIndex([aspirin]), audit, ExtractiveGenerator())
    reply = await pipeline.answer(message("dose de Kardejik chez l'adulte ?"))
    assert reply.outcome is Outcome.ANSWERED
    assert "suggested" not in audit.answers[0].details  # only an abstention offers names


async def test_a_medicine_spelt_right_is_not_called_a_typo() -> None:
    """A brand the corpus lacks ("Baqsimi") is named as absent, not sent back as its own
    suggestion with "check the spelling"."""
    other = passage("Le paracétamol se dose à 1 g.", similarity=0.3, title="Paracétamol")
    pipeline = quoting(other)
    reply = await pipeline.answer(message("le Baqsimi c'est dosé à combien ?"))
    assert reply.outcome is Outcome.ABSTAINED
    assert "Aucune source de la base ne contient « Baqsimi »." in reply.text
    assert "orthographe" not in reply.text
    assert "Vouliez-vous dire" not in reply.text


def test_a_subject_not_spelt_in_the_question_is_not_quoted_and_does_not_crash() -> None:
    """A subject named only through an understood word (absent from the question as written)
    is left out of « ne traite pas de … » instead of failing the whole answer (it raised
    IndexError on the whole corpus)."""
    from core.pipeline import _not_about

    pair = passage(
        "AMIODARONE + SIMVASTATINE : association déconseillée.",
        subjects=("AMIODARONE", "SIMVASTATINE"),
        subject_sides=(1, 2),
    )
    named = [frozenset({"amiodarone"}), frozenset({"fluconazole"})]
    assert _not_about("amiodarone et Triflucan ?", [pair], named) == ["amiodarone"]


HYPOGLYCAEMIA = [
    replace(p, document_id=7)
    for p in (
        passage(
            "Chez le patient diabétique traité par insuline, l'hypoglycémie sévère est celle qui"
            " nécessite l'aide d'un tiers.",
            similarity=0.35,
            passage_id=1,
            title="Hypoglycémie",
        ),
        passage(
            "Chez le patient inconscient, le glucagon est injecté à la dose de 1 mg.",
            similarity=0.35,
            passage_id=2,
            title="Hypoglycémie",
        ),
    )
]


async def test_a_question_is_answered_by_what_a_notes_paragraphs_say_together() -> None:
    """A ward question whose words are split over two paragraphs of one note (the condition in
    one, the treatment in the next) is answered, not refused for lack of one paragraph
    holding it all."""
    pipeline = quoting(*HYPOGLYCAEMIA)
    question = "hypoglycémie sévère chez un diabétique inconscient, glucagon combien ?"
    reply = await pipeline.answer(message(question))
    assert reply.outcome is Outcome.ANSWERED
    assert "1 mg" in reply.text


AMOXICILLIN_ADULT = passage(
    "Chez l'adulte, l'amoxicilline se prescrit à 1 g trois fois par jour dans la pneumonie.",
    similarity=0.4,
    title="Amoxicilline : posologie",
)


async def test_a_population_the_note_never_names_is_not_answered_from_it() -> None:
    """Asked about breastfeeding, pregnancy or a child, the bot does not answer from a note
    that speaks of none of them (the adult dose is not the answer), and it does when the note
    names the same population in other words (« enceinte » and « grossesse »)."""
    pipeline = quoting(AMOXICILLIN_ADULT)
    for question in (
        "amoxicilline dans la pneumonie pendant l'allaitement, quelle posologie ?",
        "amoxicillin for pneumonia in a pregnant woman, what dose?",
        "amoxicilline dans la pneumonie chez un nourrisson, quelle posologie ?",
    ):
        reply = await pipeline.answer(message(question))
        assert reply.outcome is Outcome.ABSTAINED, question
    # The refusal says why: the sources found do not speak of that population (another does).
    elsewhere = passage(
        "Le paracétamol est compatible avec l'allaitement.", similarity=0.1, passage_id=2
    )
    said = pipeline_with(
        FakeIndex([AMOXICILLIN_ADULT, elsewhere]), FakeAudit(), ExtractiveGenerator()
    )
    asked = "amoxicilline pneumonie pendant l'allaitement, posologie ?"
    assert "ne contiennent pas « allaitement »" in (await said.answer(message(asked))).text
    adult = await pipeline.answer(message("amoxicilline dans la pneumonie, quelle posologie ?"))
    assert adult.outcome is Outcome.ANSWERED
    pregnancy = passage(
        "Pendant la grossesse, l'amoxicilline peut être prescrite dans la pneumonie à 1 g trois"
        " fois par jour.",
        similarity=0.4,
        title="Amoxicilline et grossesse",
    )
    pipeline = quoting(pregnancy)
    reply = await pipeline.answer(message("femme enceinte, amoxicilline pneumonie posologie ?"))
    assert reply.outcome is Outcome.ANSWERED


async def test_where_and_when_a_message_is_written_from_is_not_asked() -> None:
    """The ward, the shift, the hour and the verb a chat message is put with are context: they
    neither steer the search nor count as words the corpus lacks."""
    index = FakeIndex([WARFARIN])
    pipeline = pipeline_with(index, FakeAudit(), ExtractiveGenerator())
    for question in (
        "service de médecine, night shift : sous warfarine, on lui donne quel INR cible ?",
        "resp ward at 3am, pt on warfarin for AF, what INR target are we giving?",
    ):
        reply = await pipeline.answer(message(question))
        assert reply.outcome is Outcome.ANSWERED, question
    searched = " ".join(query.text for query in index.queries)
    for context in ("médecine", "night", "donne", "ward", "3am", "giving"):
        assert context not in searched


PAIR = passage(
    "Rivaroxaban et rifampicine : association déconseillée (Association déconseillée)."
    " Mécanisme : diminution des concentrations de l'anticoagulant par l'inducteur.",
    similarity=0.3,
    passage_id=3,
    title="Interaction : RIVAROXABAN + RIFAMPICINE",
    subjects=("RIVAROXABAN", "RIFAMPICINE"),
    subject_sides=(1, 2),
)
XARELTO_SHEET = passage(
    "XARELTO 10 mg, comprimé pelliculé : service médical rendu important.",
    similarity=0.5,
    passage_id=4,
    title="SMR de XARELTO",
    subjects=("XARELTO", "RIVAROXABAN"),
)
PARACETAMOL_PAIR = passage(
    "Paracétamol et antivitamines K : précaution d'emploi aux doses maximales.",
    similarity=0.2,
    passage_id=5,
    title="Interaction : ANTIVITAMINES K + PARACÉTAMOL",
    subjects=("ANTIVITAMINES K", "PARACÉTAMOL"),
    subject_sides=(1, 2),
)
CORPUS = [XARELTO_SHEET, PAIR, PARACETAMOL_PAIR]


async def test_two_brands_are_answered_from_the_interaction_of_their_substances() -> None:
    """ "Xarelto et Rifadine ensemble, ça pose problème ?" names the brand's own sheet as well as
    its substance: the thesaurus's rivaroxaban + rifampicine answers it (the level stated), not
    a refusal for want of a document about Xarelto, rivaroxaban and rifampicine together; and
    the pair is what is asked, whatever else the message says of the patient."""
    pipeline = quoting(*CORPUS)
    for question in (
        "Xarelto et Rifadine ensemble, ça pose problème ?",
        "patiente sous Xarelto pour une FA, on lui a prescrit de la Rifadine pour une"
        " tuberculose, je fais quoi ?",
    ):
        reply = await pipeline.answer(message(question))
        assert reply.outcome is Outcome.ANSWERED, question
        assert reply.sources[0].document_id == PAIR.document_id
        assert "Association déconseillée" in reply.text


async def test_a_pair_the_corpus_does_not_list_is_still_refused() -> None:
    """Reading a brand as its substances never makes up a pair: Xarelto with a drug that no
    interaction names together with rivaroxaban gets no answer from the rifampicine one."""
    pipeline = quoting(*CORPUS)
    reply = await pipeline.answer(message("Xarelto et Doliprane ensemble, ça pose problème ?"))
    assert reply.outcome is Outcome.ABSTAINED


LITHIUM_NSAIDS = passage(
    "Lithium et anti-inflammatoires non stéroïdiens : association déconseillée, augmentation"
    " de la lithémie.",
    similarity=0.3,
    passage_id=6,
    title="Interaction : LITHIUM + ANTI-INFLAMMATOIRES NON STÉROÏDIENS",
    subjects=("LITHIUM", "ANTI-INFLAMMATOIRES NON STÉROÏDIENS"),
    subject_sides=(1, 2),
)
LITHIUM_NOTE = passage(
    "Le lithium impose une surveillance de la lithémie et de la fonction rénale.",
    similarity=0.5,
    passage_id=7,
    title="Lithium : surveillance",
)


async def test_a_drug_is_answered_from_the_interaction_of_its_class() -> None:
    """ "Téralithe + Advil": ibuprofène is one of the anti-inflammatoires non stéroïdiens the
    thesaurus lists with lithium; that interaction answers, not a note on lithium alone that
    names no pair."""
    advil = passage(
        "ADVIL 200 mg, comprimé enrobé : service médical rendu important.",
        similarity=0.2,
        passage_id=8,
        title="SMR de ADVIL",
        subjects=("ADVIL", "IBUPROFÈNE"),
    )
    index = FakeIndex([LITHIUM_NOTE, advil, LITHIUM_NSAIDS, PARACETAMOL_PAIR])
    pipeline = pipeline_with(index, FakeAudit(), ExtractiveGenerator())
    question = "patient sous Téralithe qui a mal au dos, je peux prescrire de l'Advil ?"
    reply = await pipeline.answer(message(question))
    assert reply.outcome is Outcome.ANSWERED
    assert reply.sources[0].document_id == LITHIUM_NSAIDS.document_id


async def test_a_brand_and_its_substance_are_not_a_pair() -> None:
    """A question on one brand (its sheet declares the brand and its substance) is weighed as
    any other: its sheet does not answer the monthly cost because it is about "both"."""
    pipeline = quoting(*CORPUS)
    reply = await pipeline.answer(message("Xarelto 20 : coût mensuel du traitement pour la Sécu ?"))
    assert reply.outcome is Outcome.ABSTAINED


async def test_a_pair_is_answered_first_from_the_interaction_declared_about_it() -> None:
    """Of a note on lithium that mentions ibuprofène and the thesaurus's lithium + AINS, the
    interaction is the first source: it says what the pair does, and at what level."""
    note = passage(
        "Sous lithium, l'ibuprofène et les autres anti-inflammatoires augmentent la lithémie :"
        " patient sous lithium, ibuprofène à éviter.",
        similarity=0.6,
        passage_id=9,
        title="Lithium : surveillance",
    )
    advil = passage(
        "ADVIL : service médical rendu important.",
        similarity=0.1,
        passage_id=8,
        title="SMR de ADVIL",
        subjects=("ADVIL", "IBUPROFÈNE"),
    )
    index = FakeIndex([note, LITHIUM_NSAIDS, advil])
    pipeline = pipeline_with(index, FakeAudit(), ExtractiveGenerator())
    reply = await pipeline.answer(message("patient sous lithium, je peux donner de l'ibuprofène ?"))
    assert reply.outcome is Outcome.ANSWERED
    assert reply.sources[0].document_id == LITHIUM_NSAIDS.document_id


OXYGEN = passage(
    "In COPD at risk of hypercapnia, oxygen is given to a target saturation of 88 to 92%.",
    similarity=0.5,
    title="COPD exacerbation",
)
GLUCAGON = passage(
    "L'entourage peut administrer du glucagon, 1 mg en intramusculaire chez l'adulte, et le"
    " soluté glucosé est dosé à 3,9 mmol/L de glycémie.",
    similarity=0.5,
    title="Hypoglycémie sévère",
)


async def test_an_amount_asked_in_a_unit_the_note_never_uses_is_not_answered() -> None:
    """Asked "how many L/min of oxygen?", the bot does not quote a target saturation in %: a
    note that states nothing in the unit asked does not answer. A value given in a unit
    ("glucagon 1 mg") asks nothing, and a unit the note uses is answered."""
    pipeline = quoting(OXYGEN)
    asked = await pipeline.answer(message("COPD exacerbation: oxygen how many L/min?"))
    assert asked.outcome is Outcome.ABSTAINED
    target = await pipeline.answer(message("COPD exacerbation: oxygen target saturation?"))
    assert target.outcome is Outcome.ANSWERED
    pipeline = quoting(GLUCAGON)
    vials = await pipeline.answer(message("glucagon chez l'adulte, combien de flacons ?"))
    assert vials.outcome is Outcome.ABSTAINED
    for question in (
        "glucagon 1 mg chez l'adulte, en intramusculaire ?",  # a value, not a unit asked
        "glycémie seuil du glucosé en mmol ?",  # asked "en mmol": the note's mmol/L
    ):
        reply = await pipeline.answer(message(question))
        assert reply.outcome is Outcome.ANSWERED, question


async def test_a_follow_up_is_answered_only_if_the_note_holds_what_it_asks() -> None:
    """« et la vitesse de perfusion ? » after a question the note answers is
    not answered from that note when it says nothing of what the follow-up asks; « et chez
    l'adulte ? » is, when the note speaks of the adult."""
    earlier = (
        Turn("amoxicilline dans la pneumonie chez l'adulte, combien de fois par jour ?", "…"),
    )
    pipeline = quoting(AMOXICILLIN_ADULT)
    asked = "et la vitesse de perfusion ?"
    assert (await pipeline.answer(message(asked, earlier))).outcome is Outcome.ABSTAINED
    adult = await pipeline.answer(message("et chez l'adulte ?", earlier))
    assert adult.outcome is Outcome.ANSWERED


def test_an_expansion_mostly_held_counts_as_held() -> None:
    """An abbreviation read as "type 2 diabetes mellitus" is held by a note that says "type 2
    diabetes": the expansion's extra word does not count against the note, as it would if
    the words were the asker's own; an expansion the note holds less than half of still does."""
    note = passage("In type 2 diabetes with hypertension, start an ACE inhibitor.", title="HTN")
    policy = EvidencePolicy()
    asked = "type 2 diabetes mellitus hypertension"
    read = WordWeights(terms=((frozenset({"t2dm"}), frozenset({"type", "diabet", "mellit"})),))
    assert coverage(asked, note, policy, read) == 1.0
    assert coverage(asked, note, policy) < 1.0  # "mellitus" as the asker's word
    aod = WordWeights(terms=((frozenset({"aod"}), frozenset({"antico", "oraux", "direct"})),))
    warfarin = passage("Aucun anticoagulant avant l'imagerie.", title="AVC")
    assert coverage("anticoagulants oraux directs", warfarin, policy, aod) < 0.5


def test_an_expansion_the_note_does_not_hold_weighs_as_the_one_word_written() -> None:
    """ "l'EHPAD m'appelle, metformine, DFG tous les combien ?" read as "établissement
    d'hébergement pour personnes âgées dépendantes" is one word the metformin note lacks, not
    five: a nurse's setting does not sink the question's coverage below the note's answer."""
    note = passage("Sous metformine, le DFG est contrôlé tous les 3 à 6 mois.", title="Metformine")
    policy = EvidencePolicy()
    asked = "établissement hébergement personnes âgées dépendantes metformine DFG"
    ehpad = frozenset({"etabli", "heberg", "person", "agees", "depend"})
    read = WordWeights(terms=((frozenset({"ehpad"}), ehpad),))
    assert coverage(asked, note, policy, read) >= policy.min_coverage
    assert coverage(asked, note, policy) < policy.min_coverage  # five words of the asker's own


async def test_a_dose_asked_is_answered_only_where_the_note_doses_that_medicine() -> None:
    """ "argatroban dose?" is not answered from a note that only names argatroban among the
    anticoagulants to start (nor from a delay in hours); it is where a sentence, or the one
    before it, names the medicine and states its dose."""
    listed = passage(
        "In heparin-induced thrombocytopenia, heparin is stopped and argatroban is started"
        " within 24 hours.",
        similarity=0.5,
        title="HIT",
    )
    pipeline = quoting(listed)
    reply = await pipeline.answer(message("argatroban dose in heparin-induced thrombocytopenia?"))
    assert reply.outcome is Outcome.ABSTAINED
    assert (
        await pipeline.answer(message("argatroban in heparin-induced thrombocytopenia?"))
    ).outcome is Outcome.ANSWERED
    dosed = passage(
        "In heparin-induced thrombocytopenia, heparin is stopped and argatroban is started."
        " It is given at 2 micrograms/kg/min.",
        similarity=0.5,
        title="HIT",
    )
    pipeline = quoting(dosed)
    reply = await pipeline.answer(message("argatroban dose in heparin-induced thrombocytopenia?"))
    assert reply.outcome is Outcome.ANSWERED


def _pair(first: str, second: str, level: str, passage_id: int, similarity: float) -> Passage:
    """A thesaurus pair as the importer writes it, its level on the source's line."""
    found = passage(
        f"{first} et {second} : {level}.",
        similarity=similarity,
        passage_id=passage_id,
        title=f"Interaction : {first} + {second}",
        subjects=(first, second),
        subject_sides=(1, 2),
    )
    return replace(found, document=replace(found.document, headline=level))


async def test_a_combination_is_answered_from_its_gravest_interaction() -> None:
    """ "Novatrex et Bactrim": of méthotrexate + sulfaméthoxazole (a precaution) and méthotrexate
    + triméthoprime (a contraindication), both of Bactrim's substances, the contraindication
    comes first, whatever the search's order: a pharmacist must not read "précaution" first.
    Two levels stated for one pair: the gravest first too."""
    sulfamides = _pair("MÉTHOTREXATE", "SULFAMIDES ANTIBACTÉRIENS", "Précaution d'emploi", 11, 0.6)
    sulfamides = replace(
        sulfamides,
        document=replace(
            sulfamides.document,
            subjects=(*sulfamides.document.subjects, "sulfaméthoxazole"),
            subject_sides=(1, 2, 2),
        ),
    )
    trimethoprim = _pair("MÉTHOTREXATE", "TRIMÉTHOPRIME", "Contre-indication", 12, 0.4)
    pipeline = pipeline_with(
        FakeIndex([sulfamides, trimethoprim]), FakeAudit(), ExtractiveGenerator()
    )
    reply = await pipeline.answer(
        message("Mon patient est sous Novatrex, je peux lui donner du Bactrim ?")
    )
    assert reply.outcome is Outcome.ANSWERED
    assert reply.sources[0].document_id == trimethoprim.document_id
    assert reply.sources[0].headline == "Contre-indication"

    milder = _pair("TRIMÉTHOPRIME", "MÉTHOTREXATE", "Précaution d'emploi", 13, 0.7)
    pipeline = quoting(milder, trimethoprim)
    reply = await pipeline.answer(message("méthotrexate et triméthoprime, on peut associer ?"))
    assert reply.sources[0].document_id == trimethoprim.document_id


async def test_an_english_question_gets_the_french_thesaurus_pair_and_its_level() -> None:
    """ "can a woman on the combined pill take St John's wort?": the thesaurus's estroprogestatifs
    + millepertuis answers, its contraindication quoted, though no English word of the question
    is in the French passage."""
    pair = _pair("ESTROPROGESTATIFS CONTRACEPTIFS", "MILLEPERTUIS", "Contre-indication", 14, 0.4)
    pipeline = quoting(pair, WARFARIN)
    reply = await pipeline.answer(message("can a woman on the combined pill take St John's wort?"))
    assert reply.outcome is Outcome.ANSWERED
    assert reply.sources[0].document_id == pair.document_id
    assert "Contre-indication" in reply.text


async def test_a_childs_age_asks_about_a_child() -> None:
    """ "a 4 year old" is a child as "enfant" is: the adult dose is not given for it, and the
    refusal says which words the sources found do not cover; a duration or an adult's age
    changes nothing."""
    adult = passage(
        "From 15 years old (à partir de 15 ans), amoxicillin (amoxicilline) is given at 1 g"
        " three times a day in pneumonia (pneumonie), dose included.",
        similarity=0.4,
        title="Amoxicillin: adult dose",
    )
    pipeline = quoting(adult)
    for question in (
        "amoxicillin dose for pneumonia in a 4 year old?",
        "pneumonia in a 6 yo, amoxicillin dose?",
        "Léo, 5 ans, pneumonie : amoxicilline quelle dose ?",
        "pneumonie chez une fille de 3 ans, amoxicilline dose ?",
    ):
        reply = await pipeline.answer(message(question))
        assert reply.outcome is Outcome.ABSTAINED, question
    for question in (
        "amoxicillin dose for pneumonia in a 45 year old?",
        "amoxicilline pneumonie chez une dame de 80 ans, dose ?",
        "amoxicilline pneumonie, traitée depuis plus de 2 ans, dose ?",
    ):
        reply = await pipeline.answer(message(question))
        assert reply.outcome is Outcome.ANSWERED, question


async def test_an_age_is_held_by_the_note_naming_its_age_group() -> None:
    """A patient's age ("une dame de 80 ans", "a 34 year old") is held by a note that names
    its age group (« sujet âgé », "adults"): the age costs the clinician no answer, and the
    reply does not announce it as a reinterpretation."""
    older = passage(
        "Chez le sujet âgé, l'ibuprofène associé à l'aspirine majore le risque hémorragique.",
        similarity=0.3,
        title="Ibuprofène : précautions",
    )
    adult = passage(
        "In adults, asthma attacks are treated with salbutamol, 4 to 10 puffs by spacer.",
        similarity=0.3,
        title="Asthma attack",
    )
    pipeline = quoting(older, adult)
    for question in (
        "dame de 80 ans sous aspirine, ibuprofène pour son genou douloureux ?",
        "34 year old bricklayer, asthma attack on site, salbutamol puffs?",
    ):
        reply = await pipeline.answer(message(question))
        assert reply.outcome is Outcome.ANSWERED, question
        assert not any("âgé" in n or "adult" in n for n in reply.notices), question
