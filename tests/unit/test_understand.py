"""Query understanding: what of a chat message is searched, and what its words were taken for."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from core import compose
from core.lexicon import default_lexicon, shipped
from core.models import Language
from core.text import fold, keywords
from core.understand import Lexicon, ages, understand

SAMPLE = Path(__file__).parent.parent / "data" / "abbreviations_sample.tsv"


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    """The shipped lexicon with the sample of the abbreviation file."""
    return shipped(SAMPLE.read_text(encoding="utf-8"))


def meanings(question: str, lexicon: Lexicon, language: Language = "fr") -> dict[str, str]:
    return dict(understand(question, language, lexicon).changes)


def substances(question: str, language: Language = "fr") -> dict[str, str]:
    """What each drug name was read as, its common name left out ("… / aspirine")."""
    found = meanings(question, default_lexicon(), language)
    return {name: meaning.split(" / ")[0] for name, meaning in found.items()}


def test_placeholders_and_ward_chatter_are_never_query_words(lexicon: Lexicon) -> None:
    """Redacted identifiers, greetings, thanks and ward context are neither searched nor held
    against the corpus: only what the question asks about remains."""
    question = (
        "Bonjour, <NOM> (<IPP>), dame de 80 ans en garde cette nuit : je peux donner du "
        "paracétamol, c'est combien max par jour ? merci d'avance"
    )
    understood = understand(question, "fr", lexicon)
    assert keywords(understood.text) == keywords("80 ans paracétamol max par jour")
    assert {"en garde", "cette nuit", "c'est combien"} <= set(understood.dropped)


@pytest.mark.parametrize(
    "question",
    [
        "Ms <NOM>, DOB <DATE_NAISSANCE>, hosp no <IPP>: flu jab now?",
        "pt MRN: <IPP>, flu jab now?",
        "n° de dossier <IPP>, flu jab now?",
        "Mrs <NOM>, born on <DATE_NAISSANCE>, flu jab now?",
        "Mme <NOM>, née le <DATE_NAISSANCE>, flu jab now?",
    ],
)
def test_the_label_of_a_redacted_number_goes_with_it(question: str, lexicon: Lexicon) -> None:
    """ "hosp no", "MRN", "n° de dossier", "née le" say what was removed, never what is asked:
    they are not searched, nor named as words no source holds (clinician: the question is
    answered)."""
    assert keywords(understand(question, "en", lexicon).text) <= keywords("pt flu jab now")


@pytest.mark.parametrize(
    ("question", "language", "asked"),
    [
        ("Dafalgan 1 g, je peux en redonner au bout de combien de temps ?", "fr", "redonner"),
        ("how long after the first dose of Dafalgan can I give another?", "en", "first dose"),
    ],
)
def test_the_frame_of_a_question_on_a_delay_is_not_a_word_to_hold(
    question: str, language: Language, asked: str, lexicon: Lexicon
) -> None:
    """ "au bout de combien de temps", "how long" ask for the delay the answer gives; a source
    stating "4 heures entre deux prises" holds no "bout" nor "temps" (clinician: answered)."""
    read = keywords(understand(question, language, lexicon).text)
    assert not read & keywords("bout temps long")
    assert keywords(asked) <= read


def test_english_chatter_is_dropped_too(lexicon: Lexicon) -> None:
    """In English, "pt on … what range do we aim for, thanks" leaves the clinical words."""
    understood = understand(
        "hi, pt on warfarin, what INR range do we aim for? thanks", "en", lexicon
    )
    expansion = keywords("international normalized ratio")  # INR's, from the sample
    assert keywords(understood.text) - expansion == keywords("warfarin INR range")


@pytest.mark.parametrize(
    ("message", "language", "asked"),
    [
        ("sorry to bother - diabetic on insulin, how much fast sugar?", "en",
         "diabetic insulin fast sugar"),
        ("CCU nights, torsades on the monitor", "en", "torsades monitor"),
        ("à l'officine une maman demande si elle peut alterner", "fr", "maman demande alterner"),
        ("l'EHPAD m'appelle, DFG tous les combien ?", "fr", "EHPAD DFG"),
    ],
)  # fmt: skip
def test_who_calls_and_from_where_is_chatter(message: str, language: Language, asked: str) -> None:
    """A pharmacist at the counter, a night on the coronary unit, "sorry to bother", who is
    calling: the setting of a message is neither searched nor held against the notes."""
    understood = understand(message, language, default_lexicon())
    assert keywords(understood.as_written) <= keywords(asked)


@pytest.mark.parametrize("message", ["Bonjour à tous", "hello", "merci !", "Thanks a lot team"])
def test_a_greeting_or_thanks_asks_nothing(message: str, lexicon: Lexicon) -> None:
    """A message of greetings or thanks only has no question to search for."""
    assert not understand(message, "fr", lexicon).asks


def test_a_greeting_before_a_question_leaves_the_question(lexicon: Lexicon) -> None:
    """A greeting ("Bonjour, …") followed by a question is just the question."""
    understood = understand("Bonjour, quelle dose d'amoxicilline chez l'enfant ?", "fr", lexicon)
    assert understood.asks
    assert keywords(understood.text) == keywords("quelle dose d'amoxicilline chez l'enfant")


@pytest.mark.parametrize(
    ("brand", "meaning"),
    [
        ("Doliprane", "paracétamol"),
        ("Dafalgan", "paracétamol"),
        ("Efferalgan", "paracétamol"),
        ("Coumadine", "warfarine"),
        ("Previscan", "fluindione"),
        ("Sintrom", "acénocoumarol"),
        ("Kardégic", "acide acétylsalicylique"),
        ("Advil", "ibuprofène"),
        ("Nurofen", "ibuprofène"),
        ("Clamoxyl", "amoxicilline"),
        ("Augmentin", "amoxicilline + acide clavulanique"),
        ("Téralithe", "lithium"),
        ("GlucaGen", "glucagon"),
        ("Eliquis", "apixaban"),
        ("Xarelto", "rivaroxaban"),
        ("Glucophage", "metformine"),
        ("Lasilix", "furosémide"),
        ("Kayexalate", "polystyrène sulfonate de sodium"),
        ("Entresto", "valsartan + sacubitril"),
        # An origin is not the substance: a note on insulin names no "recombinant" insulin.
        ("Actrapid", "insuline"),
    ],
)
def test_french_brands_are_read_as_their_substances(brand: str, meaning: str) -> None:
    """A brand named in a French question is searched with its active substances (BDPM)."""
    assert substances(f"posologie du {brand} chez l'adulte ?") == {brand: meaning}


@pytest.mark.parametrize(
    ("brand", "substance"),
    [("Coumadin", "warfarin"), ("Tylenol", "paracetamol"), ("Advil", "ibuprofen"),
     ("Eliquis", "apixaban"), ("Zestril", "lisinopril"), ("Lanoxin", "digoxin")],
)  # fmt: skip
def test_english_brands_are_read_in_english(brand: str, substance: str) -> None:
    """An English question's brand is read as the English INN its notes use."""
    assert substances(f"max dose of {brand} in adults?", "en") == {brand: substance}


@pytest.mark.parametrize("spelling", ["kardegic", "KARDEGIC", "Kardegik", "Kardégiq", "kadregic"])
def test_brands_are_found_whatever_the_case_accents_or_one_typo(spelling: str) -> None:
    """A brand typed without accents, in capitals, or one letter wrong is still recognised."""
    assert substances(f"{spelling} et ibuprofène") == {spelling: "acide acétylsalicylique"}


def test_a_brand_is_also_searched_by_its_substance_s_common_name() -> None:
    """KARDEGIC is searched as acide acétylsalicylique and as aspirine, the notes' word."""
    assert meanings("Kardégic", default_lexicon())["Kardégic"].split(" / ") == [
        "acide acétylsalicylique",
        "aspirine",
    ]


def test_a_misspelt_substance_is_read_as_the_substance() -> None:
    """A misspelt substance ("amoxiciline") is searched as amoxicilline, and said so."""
    assert meanings("dose d'amoxiciline chez l'enfant", default_lexicon()) == {
        "amoxiciline": "amoxicilline"
    }


@pytest.mark.parametrize(
    "question",
    [
        "cystite simple de la femme : quel traitement ?",  # cystine is one letter away
        "daily dose of paracetamol in adults",  # DAILY is a brand
        "hépatite B : schéma vaccinal",  # HEPATATE
        "what is the usual heparin dose",  # héparine, the French spelling
    ],
)
def test_ordinary_words_are_not_taken_for_drug_names(question: str) -> None:
    """Words of everyday clinical writing stay as written, even one letter from a drug name."""
    assert meanings(question, default_lexicon()) == {}


def test_a_drug_class_is_read_as_its_members() -> None:
    """A class ("antivitamines K", "une statine") is searched with its substances (ANSM)."""
    avk = meanings("cible d'INR sous antivitamines K", default_lexicon())
    assert set(avk["antivitamines K"].split(" / ")) == {"acenocoumarol", "fluindione", "warfarine"}
    statins = meanings("une statine et des myalgies", default_lexicon())
    assert "simvastatine" in statins["statine"].split(" / ")


def test_clipped_forms_are_expanded() -> None:
    """Ward shorthand ("amox", "K+") is read as the substance."""
    found = meanings("amox chez un patient avec K+ à 6", default_lexicon())
    assert found == {"amox": "amoxicilline", "K+": "potassium"}


def test_abbreviations_are_expanded(lexicon: Lexicon) -> None:
    """Clinical abbreviations are searched with their expansion, in the question's language."""
    assert meanings("AVK et FA : cible d'INR ?", lexicon) == {
        "AVK": "antivitamine K",
        "FA": "fibrillation atriale",
        "INR": "international normalized ratio",
    }
    assert meanings("INR target on warfarin for AF", lexicon, "en")["AF"] == "atrial fibrillation"


def test_an_ambiguous_abbreviation_takes_the_sense_its_context_names(lexicon: Lexicon) -> None:
    """IPP beside oméprazole is the proton-pump inhibitor, beside "dossier" the patient id,
    and alone both."""
    pump, identifier = "inhibiteur de la pompe à protons", "identifiant permanent du patient"
    assert meanings("IPP au long cours, oméprazole ou ésoméprazole ?", lexicon) == {"IPP": pump}
    assert meanings("où trouver l'IPP dans le dossier ?", lexicon) == {"IPP": identifier}
    assert meanings("IPP ?", lexicon) == {"IPP": f"{pump} / {identifier}"}


def test_od_beside_an_opioid_is_an_overdose_and_after_a_dose_once_daily() -> None:
    """ "OD opioïdes, triade clinique ?" must not be told « Compris : OD → once daily »: beside
    an opioid, naloxone or an intoxication it is an overdose; after a dose, once a day."""
    lexicon = default_lexicon()
    assert meanings("OD opioïdes, triade clinique ?", lexicon)["OD"] == "overdose"
    assert meanings("paracetamol OD 6 hours ago, level?", lexicon, "en")["OD"] == "overdose"
    assert meanings("ramipril 5 mg OD", lexicon, "en")["OD"] == "once daily"


@pytest.mark.parametrize(
    "question", ["ta dose est-elle la bonne ?", "af, ep et ta en minuscules", "c'est ta TA"]
)
def test_short_abbreviations_match_only_in_capitals(question: str, lexicon: Lexicon) -> None:
    """The lower-case French words "ta", "ep", "af" are not TA, EP, AF."""
    assert set(meanings(question, lexicon)) <= {"TA"}


# Written in lower case in chat for what they abbreviate ("500 mg bid", "flu jab", "pep").
LOWER_CASE_IN_CHAT = {"bid", "pep", "prep", "flu", "jab"}


def test_an_abbreviation_that_is_an_everyday_word_is_read_only_in_capitals() -> None:
    """ "un ado de 13 ans" is a teenager, not oral antidiabetics; "qu'il ait" is no transient
    ischaemic attack (clinician: the question is searched as asked)."""
    from adapters.vocabulary import _read
    from core.lexicon import _rows

    everyday = {"fr": _read("fr"), "en": _read("en")}
    shipped_file = resources.files("core.lexicon") / "abbreviations.tsv"
    rows = list(_rows(shipped_file.read_text(encoding="utf-8")))
    read_in_any_case = [
        row[0]
        for row in rows[1:]
        if row[1] in everyday
        and (row[5:] or [""])[0] != "upper"
        and everyday[row[1]].get(fold(row[0]), 0.0) >= 3.0
        and fold(row[0]) not in LOWER_CASE_IN_CHAT
    ]
    assert read_in_any_case == []
    lexicon = default_lexicon()
    assert "ado" not in meanings(
        "un ado de 13 ans, les 2 doses on les espace de combien ?", lexicon
    )
    assert "ADO" in meanings("ADO et insuffisance rénale ?", lexicon)


def test_the_evidence_reads_the_spelling_the_passages_hold(lexicon: Lexicon) -> None:
    """The checks read "warfarine" where the passages found say warfarine, and the brand as
    typed where they say neither (so a word no source holds is still named as written)."""
    understood = understand("Coumadine : INR cible ?", "fr", lexicon)
    assert "Coumadine (warfarine)" in understood.text
    assert understood.checked(keywords("La warfarine vise un INR de 2 à 3.")).startswith(
        "warfarine"
    )
    assert understood.checked(set()).startswith("Coumadine")


def test_the_reply_line_says_what_was_understood() -> None:
    """One line, in the question's language."""
    changes = (("Coumadine", "warfarine"), ("FA", "fibrillation atriale"))
    assert compose.understood("fr", changes) == (
        "Compris : Coumadine → warfarine ; FA → fibrillation atriale"
    )
    assert compose.understood("en", changes[:1]) == "Understood: Coumadine → warfarine"


def test_without_a_case_column_short_capitals_must_be_capitals() -> None:
    """In an abbreviation file without a `case` column, "TA" (three letters or fewer, in
    capitals) needs capitals in the message; "hypo" matches in any case."""
    rows = "abbreviation\tlanguage\texpansion\tcontext\tsource\n"
    rows += "TA\tfr\ttension artérielle\t\tHAS\nhypo\tfr\thypoglycémie\t\tusage\n"
    lexicon = shipped(rows)
    assert meanings("ta TA", lexicon) == {"TA": "tension artérielle"}
    assert meanings("HYPO sévère", lexicon) == {"HYPO": "hypoglycémie"}


def test_suggestions_are_the_nearest_medicine_names_first(lexicon: Lexicon) -> None:
    """« Vouliez-vous dire » offers medicines at most two edits away, nearest first, and never
    an ordinary word or a short one (too many look-alikes)."""
    assert lexicon.suggest("Previskan") == ["PREVISCAN"]
    assert lexicon.suggest("doliprain")[0] == "DOLIPRANE"
    assert lexicon.suggest("amox") == []
    assert lexicon.suggest("xyzzyq") == []


def test_chat_forms_of_thesaurus_classes_are_read_as_the_thesaurus_names_them() -> None:
    """ "un sartan", "la pilule oestroprogestative", "St John's wort", "a strong CYP3A4
    inhibitor": the search reads the thesaurus's class or substance, so the pair it lists is
    found (a pharmacist asking about lithium and a sartan gets the interaction)."""
    lexicon = default_lexicon()
    for question, language, meant in (
        ("sous lithium, un sartan c'est possible ?", "fr", "angiotensine II"),
        ("pilule oestroprogestative et inducteur enzymatique ?", "fr", "estroprogestatifs"),
        ("combined pill and St John's wort?", "en", "millepertuis"),
        ("simvastatin with a strong CYP3A4 inhibitor?", "en", "inhibiteurs puissants"),
        ("lithium et diurétique thiazidique ?", "fr", "thiazidiques et apparentés"),
    ):
        assert meant in understand(question, language, lexicon).text, question


def test_an_english_inn_or_a_spelling_one_letter_short_is_read_as_the_french_substance() -> None:
    """ "simvastatin", "methotrexat": the search and the subjects read the French name the
    thesaurus declares its pairs by, so "methotrexat + bactrim" finds the contraindication
    instead of refusing for want of a source on méthotrexate."""
    assert substances("patient on simvastatin and clarithromycin?", "en")["simvastatin"] == (
        "simvastatine"
    )
    assert substances("methotrexat + bactrim ?")["methotrexat"] == "méthotrexate"


def test_ep_beside_a_pill_is_the_combined_pill_and_an_embolism_elsewhere() -> None:
    """ "pilule EP + millepertuis ?" asks about the combined pill, not a pulmonary embolism; "EP
    sous héparine" still reads as the embolism."""
    lexicon = default_lexicon()
    assert (
        meanings("pilule EP + millepertuis ?", lexicon)["EP"] == "estroprogestatifs contraceptifs"
    )
    assert meanings("EP sous héparine, durée ?", lexicon)["EP"] == "embolie pulmonaire"


def test_english_class_abbreviations_are_read_as_the_thesaurus_classes() -> None:
    """ "DOAC plus NSAID" finds the thesaurus's anticoagulants oraux + AINS, whose level a
    pharmacist expects, as well as the English notes on each."""
    read = understand("DOAC plus NSAID, any interaction?", "en", default_lexicon()).text
    assert "anticoagulants oraux" in read
    assert "anti-inflammatoires non stéroïdiens" in read
    assert "non-steroidal anti-inflammatory drug" in read


def test_a_phrase_read_as_a_medicine_is_glossed_for_the_generator() -> None:
    """ "combined pill", "St John's wort": the generator is told the thesaurus's names, so it
    can quote the French interaction that answers (and its level) to an English question."""
    question = "can a woman on the combined pill take St John's wort?"
    glossed = understand(question, "en", default_lexicon()).glossed(question)
    assert "millepertuis" in glossed
    assert "estroprogestatifs contraceptifs" in glossed
    assert understand("what dose of IV iron?", "en", default_lexicon()).glossed("q") == "q"


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("une dame de 80 ans sous Kardégic", "sujet âgé"),
        ("Mme X, 72 ans, sous metformine", "sujet âgé"),
        ("a 72-year-old on warfarin", "sujet âgé"),
        ("she's 34 years old", "adulte"),
        ("NRS de 2 mois fébrile", "nourrisson"),
        ("ado de 15 ans", "adolescent"),
        ("6 yo with croup", "enfant"),
    ],
)
def test_an_age_is_read_as_its_age_group(text: str, group: str) -> None:
    """A patient's age names the age group a note may speak of instead (« sujet âgé »)."""
    [(_, _, words)] = ages(text)
    assert group in words


@pytest.mark.parametrize(
    "text",
    [
        "sous metformine depuis 3 ans",
        "on warfarin for 3 years",
        "AVC il y a 10 ans",
        "rappel tous les 10 ans",
        "started 2 years ago",
        "un traitement de 6 mois",
    ],
)
def test_a_duration_is_not_an_age(text: str) -> None:
    """How long something lasted or how often it recurs is not how old the patient is."""
    assert ages(text) == []
