"""Patient identifiers never reach retrieval, the model, the logs or the audit."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence

import pytest
import structlog

from bots.logs import configure_logging
from core.identifiers import Finding
from core.models import Language, Outcome, Passage, Turn
from core.ports import Draft, OnText
from core.privacy import Redactor, find_patterns, merge
from testkit.fakes import FakeAudit, FakeEmbedder, FakeIndex, message, passage, pipeline_with
from tests.conftest import DATA

MESSAGE = (
    "Patient M. Jean Martin, NIR 2 84 12 2A 215 023 48, né le 04/07/1984, IPP 004512378, "
    "tél 06 12 34 56 78, jean.martin@example.org, 12 rue des Lilas, 75011 Paris : "
    "dose maximale de paracétamol ? INR 2,5 le 03/04/2024, 500 mg."
)
IDENTIFIERS = (
    "Jean Martin", "2 84 12 2A 215 023 48", "04/07/1984", "004512378", "06 12 34 56 78",
    "jean.martin@example.org", "12 rue des Lilas",
)  # fmt: skip


KINDS = ("ADRESSE", "DATE_NAISSANCE", "EMAIL", "IPP", "NIR", "NOM", "TELEPHONE")  # MESSAGE has each


async def test_every_shaped_identifier_is_replaced_by_its_placeholder() -> None:
    """The question still reads, with typed placeholders; doses, lab values and dates stay."""
    redacted = await Redactor().redact(MESSAGE, "fr")
    assert all(value not in redacted.text for value in IDENTIFIERS)
    assert redacted.kinds == KINDS
    for kept in ("INR 2,5 le 03/04/2024", "500 mg", "dose maximale de paracétamol"):
        assert kept in redacted.text


@pytest.mark.parametrize(
    ("text", "nir"),
    [
        ("numéro 1 85 05 78 006 084 91 ici", True),  # a valid key
        ("numéro 1 85 05 78 006 084 36 ici", True),  # a wrong key: still a NIR by its shape
        ("numéro 1.85.05.78.006.084 ici", True),  # no key, dots
        ("numéro 284122A21502348 ici", True),  # Corsica
        ("numéro 2 52 20 75 112 004 46 ici", True),  # month 20: birth month unknown (INSEE)
        ("numéro 1 75 11 971 12 034 41 ici", True),  # overseas department, 3 digits
        ("le nir c'est 1 66 13 59 350 012 05", True),  # month 13 is no NIR shape, but "nir"
        ("numéro 1 66 13 59 350 012 05 ici", False),  # month 13, no identity word
        ("CIP 3400949123456", False),  # a drug code of 13 digits
        ("numéro 5 85 05 78 006 084 91 ici", False),  # no sex digit 5
    ],
)
def test_a_nir_is_known_by_its_shape_or_its_name_whatever_its_key(text: str, nir: bool) -> None:
    """A NIR typed with a wrong key is still a NIR; 13/15 digits of another shape (a drug code)
    are not, unless the message calls them a NIR."""
    assert any(f.kind == "NIR" for f in find_patterns(text)) is nir


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Hospital no. 4418826, on digoxin", "IPP"),
        ("pt MRN: 55120934 on apixaban", "IPP"),
        ("NHS number 943 476 5919, eGFR 28", "IPP"),
        ("n° de séjour 24123456 : hypo", "IPP"),
        ("dossier 2024-001234 : troponine", "IPP"),
        ("mobile 07700 900123", "TELEPHONE"),
        ("ring +44 (0)20 7946 0958", "TELEPHONE"),
        ("tel:0612345678,", "TELEPHONE"),
        ("born 3rd March 1950", "DATE_NAISSANCE"),
        ("nee le 3 mars 52", "DATE_NAISSANCE"),
        ("DOB: 1972-05-04", "DATE_NAISSANCE"),
        ("mme durand du lit 12", "NOM"),
        ("Merci pour votre aide.\n-- Claire, IDE", "NOM"),
        ("Cordialement, J. Dupont", "NOM"),
        ("Le Dr Martin a dit de doubler", "NOM"),
        ("il habite 12 rue des lilas a lyon", "ADRESSE"),
        ("mail:jean.dupont@gmail.com.", "EMAIL"),
    ],
)
def test_identifiers_are_found_by_their_shape_or_the_words_before_them(
    text: str, kind: str
) -> None:
    """The forms clinicians type in chat: lower case, no accents, glued to punctuation."""
    assert kind in {f.kind for f in find_patterns(text)}, text


@pytest.mark.parametrize(
    "text",
    [
        "anaphylaxie en cours au bloc, TA 60/30 : adrénaline IM combien ?",
        "patient en arrêt en salle 3, lit 12, chambre 3, box 4",
        "INR 2,5 le 03/04/2024, 500 mg, CIP 3400949123456, ATC N02BE01, CIS 60234100",
        "recommandations HAS 2019, patient de 82 ans, poste 4521, bip 1234",
        "charge virale 1200000 copies/mL, plaquettes 150000/mm3, QT 440 ms",
        "ECG: QT 440 ms, PR 160 ms. Peut-on introduire l'hydroxyzine ?",
        "Is lot 23C0912 affected by the recall of 2024-02-14?",
        "her speech is slurred and one side of her face has dropped",
    ],
)
def test_look_alikes_stay(text: str) -> None:
    """Doses, lab values, drug codes, guideline dates, ages, bed and room numbers are kept."""
    assert find_patterns(text) == []


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("n dossier 88 104 227 la dame du 12", "IPP", "88 104 227"),
        ("record number 4 512 778: eGFR 30", "IPP", "4 512 778"),
        ("hosp number is 0031 5542 and on warfarin", "IPP", "0031 5542"),
        ("vit au 8 r. des Acacias, 31000 Toulouse", "ADRESSE", "8 r. des Acacias, 31000 Toulouse"),
        ("hameau des Granges, 26110 Nyons, seule", "ADRESSE", "hameau des Granges, 26110 Nyons"),
        ("il habite rue Victor Hugo n°22 a Dijon", "ADRESSE", "rue Victor Hugo n°22 a Dijon"),
    ],
)
def test_spaced_numbers_and_addresses_are_taken_whole(text: str, kind: str, value: str) -> None:
    """A file number in spaced groups before a word, a street written 'r.', a hamlet with its
    postcode and a number after the street are removed whole, of their own kind."""
    start = text.index(value)
    assert Finding(kind, start, start + len(value)) in merge(find_patterns(text)), text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Thanks for checking - Oliver (FY2)", "Oliver"),
        ("on s'en occupe\n~ Nadia", "Nadia"),
        ("Rgds, Ben", "Ben"),
        ("Mme ben Ali est sortie", "ben Ali"),
    ],
)
def test_a_first_name_after_a_dash_a_tilde_or_rgds_signs_the_message(text: str, value: str) -> None:
    """'- Oliver (FY2)', '~ Nadia', 'Rgds, Ben' sign a message; 'ben' before a surname is still
    a particle."""
    start = text.index(value)
    assert Finding("NOM", start, start + len(value)) in merge(find_patterns(text)), text


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("on refait le iono à 6h. Bisous, Camille", "NOM", "Camille"),
        ("ok je valide l'augmentin 1 g x3. @+ Yanis", "NOM", "Yanis"),
        ("bed 4 needs a repeat K at 6am. Night, Lauren", "NOM", "Lauren"),
        ("baby isla in incubator 3, sats dipping to 82", "NOM", "isla"),
        ("le p'tit enzo revient pour sa crise d'asthme", "NOM", "enzo"),
        ("pat. Marchand 71a, hypoglycémie 0,45 g/L", "NOM", "Marchand"),
        ("vad chez mr et mme peyrot, pansement ulcère", "NOM", "peyrot"),
        ("NDA-9182736450 / colique néphrétique", "IPP", "9182736450"),
        ("mme haddad ddn 240359 diabète, insuline 12 ui", "DATE_NAISSANCE", "240359"),
    ],
)
def test_chat_sign_offs_lower_case_first_names_and_glued_numbers_are_found(
    text: str, kind: str, value: str
) -> None:
    """Dev batch E (2026-12-08): a sign-off as chat writes it, a child's first name in lower
    case after "baby" or "p'tit", "pat." for the patient, "mr et mme X", a file number after a
    dash, a birth date in six digits after "ddn"."""
    assert _covered(text, kind, value), text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("hospital number RTH 0729384, NEWS 6", "RTH 0729384"),
        ("acct # 5500193827, please bill the echo", "5500193827"),
        ("n dosier 448 120 93 pr mr lemoine", "448 120 93"),
        ("le n° séjour c'est 26.04.118.902 je crois", "26.04.118.902"),
        ("dossier numéro 5510277 / lit 22", "5510277"),
    ],
)
def test_hospital_numbers_as_wards_write_them_are_found(text: str, value: str) -> None:
    """Dev batch F (2026-12-08): a trust's letters spaced from the digits, "acct #", "n dosier",
    "c'est" or "numéro" between the word and the number."""
    assert _covered(text, "IPP", value), text


@pytest.mark.parametrize(
    "text",
    ["NDC 0409-4888-02 for the heparin", "le FINESS 750712184 de l'hôpital pour la déclaration"],
)
def test_product_and_facility_codes_are_not_patient_numbers(text: str) -> None:
    """A drug's NDC code is no phone; "FINESS" is not the hospital-number word "FIN"."""
    assert merge(find_patterns(text)) == []


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("la fille au 0 7 1 2 3 4 5 6 7 8 pour la sortie", "TELEPHONE", "0 7 1 2 3 4 5 6 7 8"),
        ("6612 0457 (IPP) : on reprend le Kardégic ?", "IPP", "6612 0457"),
        ("55 21 90 73 c'est son IPP, Kardégic 75 mg", "IPP", "55 21 90 73"),
        ("RWY 339120 - sepsis screen positive, lactate 4.1", "IPP", "RWY 339120"),
        ("LEFEBVRE Annie, J2 post-op, Hb 8,1", "NOM", "LEFEBVRE Annie"),
        ("Whitfield in bed 9 wants his furosemide 40 mg early", "NOM", "Whitfield"),
        ("Leroux du lit 4 refuse son Lovenox", "NOM", "Leroux"),
        ("Mr Okafor in pain again, Okafor's daughter asks for oramorph", "NOM", "Okafor"),
        ("Bibi (Brigitte Vasseur) a refusé son insuline", "NOM", "Bibi"),
        ("moved to 22 Elmfield, Leeds LS6 2QE, district nurse for dressings", "ADRESSE",
         "22 Elmfield, Leeds LS6 2QE"),
        ("ETT faite, FEVG 40 %. cdt, Mathieu (interne)", "NOM", "Mathieu"),
        ("handover from Fiona re bed 3: K 5.9 recheck", "NOM", "Fiona"),
    ],
)  # fmt: skip
async def test_identifiers_as_chat_writes_them_are_found(text: str, kind: str, value: str) -> None:
    """Dev batch G (2026-12-08): a phone number digit by digit, the number's label after it, a
    trust number heading the message, the surname in capitals first, a name before the bed it
    lies in, a name written again without its civility, the name a patient goes by before
    their full name, a UK address without a street word, "cdt" and more first names."""
    found = merge(await Redactor().findings(text, "fr"))
    start = text.rindex(value)  # written twice: the second time, without its civility
    assert any(
        f.kind == kind and f.start <= start and f.end >= start + len(value) for f in found
    ), text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Moreau a bien dormi, on retire les lunettes ?", "Moreau"),
        ("Thompson fell again at 0300, no head injury", "Thompson"),
        ("Patel's INR is 4.2, hold the warfarin?", "Patel"),
        ("je passe chez Lemaire puis je monte la perf", "Lemaire"),
        ("taking Okafor back to AMU after the scan", "Okafor"),
        ("NAME:WARD, LUCAS|LOC:Oak 2", "WARD, LUCAS"),
        ("nom d'usage Kowalska, attention homonyme", "Kowalska"),
        ("new adm: Mensah, Ibrahim, DKA, pH 7.1", "Mensah, Ibrahim"),
        ("hi, this is Priya from 7B, can someone call back?", "Priya"),
        ("mamie jeanne a arraché sa sonde", "jeanne"),
        ("her son Tom wants a call after the round", "Tom"),
        ("millie in cot 3 spiked 39", "millie"),
    ],
)
def test_names_without_a_civility_are_found(text: str, value: str) -> None:
    """Dev batch H (2026-12-08): a name heading the message before its verb, owning something,
    after "chez", "taking"…, after its label, "Surname, Firstname", a writer saying who
    they are, a grandmother's first name, "son Tom", a child's name before the cot it lies in."""
    assert _covered(text, "NOM", value), text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("M. Faure, né le 3.IV.1952 : Hb 7,8", "3.IV.1952"),
        ("vérif identité DDN 1/O4/1949, bracelet posé", "1/O4/1949"),
        ("d.o.b 04/11/l948 on the form doesn't match", "04/11/l948"),
        ("Mrs Iwu b.17/2/41 for TTO", "17/2/41"),
    ],
)
def test_a_birth_date_however_typed_is_found(text: str, value: str) -> None:
    """Dev batch H (2026-12-08): after a birth word, a roman month, a letter typed for a digit,
    a date glued to its word."""
    assert _covered(text, "DATE_NAISSANCE", value), text


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("NBM from midnight. Luke, FY1 ortho bleep 6613", "NOM", "Luke"),
        ("switched to co-amox as per micro. Sam (pharm)", "NOM", "Sam"),
        ("Mr Ahmed's Tazocin switched to co-amox", "NOM", "Ahmed"),
        ("bed 3:Mrs NG/MRN 30114826/INR 7.2!!", "NOM", "NG"),
        ("question pour bouvier lit 19, il a chuté", "NOM", "bouvier"),
        ("Mr Okoro, born 1st Sepember 1983, sickle cell crisis", "DATE_NAISSANCE",
         "1st Sepember 1983"),
    ],
)  # fmt: skip
def test_signatures_with_a_role_possessives_short_surnames_and_misspelt_months(
    text: str, kind: str, value: str
) -> None:
    """Dev batch I (2026-12-08): a first name and the writer's role ending the message, a name
    owning the drug after it, a two-letter surname after a civility, a lower-case name before
    its bed, a month misspelt after a birth word."""
    assert _covered(text, kind, value), text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Singh, Harpreet (b. 1958-02-27) for ERCP tomorrow", "Singh, Harpreet"),
        ("Fiche de liaison : Vidal Élodie, 1987-02-14, grossesse 32 SA", "Vidal Élodie"),
        ("Referral for Hughes - D.O.B: 11-10-1963 - K 3.1", "Hughes"),
        ("swap Grace and Kwame please, she needs the side room", "Kwame"),
    ],
)
def test_names_known_by_the_birth_date_after_them_or_the_name_before_them(
    text: str, value: str
) -> None:
    """Dev batch H (2026-12-08): the name words right before a birth date are the patient's,
    however rare the name; a second name after "and" is a person too."""
    assert _covered(text, "NOM", value), text


def test_what_precedes_a_birth_date_is_not_always_a_name() -> None:
    """A place ("seen in Cardiology, DOB …"), a person word ("L'enfant, né le …"), a birth
    label ("Naissance : 1948-07-14") and a second civility stay as written."""
    for text, kept in (
        ("Seen in Cardiology, DOB 12/03/1950, AF", "Cardiology"),
        ("L'enfant, né le 02/02/2022, bronchiolite", "L'enfant"),
        ("Naissance : 1948-07-14, Glasgow 8", "Naissance"),
        ("Mr van der Berg and Mrs de Souza both need insulin", "Mrs"),
        ("Pt:Mr.Ferguson|Tel:07700900155 — COPD, 28% venturi", "COPD"),
    ):
        assert _untouched(text, kept), (text, kept)


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("l'ipp de mme traore c'est le 4401 223, elle est lit 7", "IPP", "4401 223"),
        ("hospital number for Mrs Adebayo, as given by Kings, is 6620 148 9.", "IPP",
         "6620 148 9"),
        ("IPP provisoire 9 900 417 attribué aux urgences", "IPP", "9 900 417"),
        ("Patient né le trois mars mille neuf cent cinquante, pneumopathie", "DATE_NAISSANCE",
         "trois mars mille neuf cent cinquante"),
        ("date of birth the fourteenth of July nineteen forty-nine, clinic today",
         "DATE_NAISSANCE", "fourteenth of July nineteen forty-nine"),
        ("Pt born '52, lives alone, on Eliquis 5mg BD", "DATE_NAISSANCE", "'52"),
        ("tu peux rappeler la fille, elle s'appelle lea", "NOM", "lea"),
        ("dob 04.07.39 for the lady in side room 1, name is edith", "NOM", "edith"),
        ("spoke to the daughter, priya, she's happy with the plan", "NOM", "priya"),
        ("Tél fille (Sarah) : appeler avant 18h", "NOM", "Sarah"),
        ("Pls call Ade(nephew) re transport home", "NOM", "Ade"),
    ],
)  # fmt: skip
def test_numbers_far_from_their_label_dates_in_words_and_relatives_named(
    text: str, kind: str, value: str
) -> None:
    """Dev batch J (2026-12-08): the first number a few words after an IPP or hospital-number
    label, a birth date written in words (misspelt too) or a year after "born", a person named
    in so many words ("elle s'appelle", "name is"), a relative's name after a comma or in
    brackets."""
    assert _covered(text, kind, value), text


def test_what_looks_named_but_is_not_stays() -> None:
    """ "il s'appelle comment ?", "called outreach", "IDE Ortho", "SpR Cardiology": a question,
    a team phoned, a specialty."""
    for text, kept in (
        ("il s'appelle comment le médicament ?", "comment"),
        ("I've put him on 4L and called outreach", "outreach"),
        ("Pansement refait. Bonne journée, Anne-Sophie (IDE Ortho)", "Ortho"),
        ("Plan: continue Xarelto.\nKind regards,\nAnh Pham\nSpR Cardiology", "Cardiology"),
    ):
        assert _untouched(text, kept), (text, kept)


def test_a_possessive_ends_the_name_and_short_acronyms_after_a_civility_stay() -> None:
    """ "Mr Ahmed's Tazocin" redacts Ahmed, not the antibiotic a pharmacist asks about; "M. AVC"
    is no surname, "Cdlt, IDE de nuit" no signature."""
    for text, kept in (
        ("Mr Ahmed's Tazocin switched", "Tazocin"),
        ("M. AVC ischémique, thrombolyse ?", "AVC"),
        ("Scanner normal. Cdlt, IDE de nuit", "Cdlt"),
    ):
        assert _untouched(text, kept), (text, kept)


@pytest.mark.parametrize(
    "text",
    [
        "Doliprane a été donné à 14h",
        "Augmentin is fine with her INR",
        "pour Kardégic on continue ?",
        "Crohn's flare, infliximab due today",
        "can she take St John's wort with the pill?",
        "nomogramme de Rumack, on l'utilise encore ?",
        "le nombre d'entrées ce soir",
        "I nearly had a stroke when I saw the rota for Xmas",
        "per the National Institute for Health and Care Excellence",
        "Mr Bell keeps pressing the call bell",
    ],
)
def test_words_where_names_go_that_are_no_names_stay(text: str) -> None:
    """A medicine or an eponym heading the message or after "pour", "nom" inside "nomogramme",
    a holiday, the call bell of Mr Bell: none is taken for a name."""
    kept = ("Doliprane", "Augmentin", "Kardégic", "Crohn", "John", "nomogramme", "nombre",
            "Xmas", "call bell", "Health")  # fmt: skip
    found = merge(find_patterns(text))
    for word in (w for w in kept if w in text):
        start = text.index(word)
        assert not any(f.start <= start < f.end for f in found), (text, word)


@pytest.mark.parametrize(
    "text",
    [
        "PLQ 145 000 - on transfuse ?",
        "DOB 1979-01-05, MRN pending",
        "package of care from Monday, keep bisoprolol 2.5mg",
        "started 12/03/2024 (IPP to follow)",
        "MAX 4 g par jour de paracétamol",
    ],
)
def test_chat_look_alikes_stay(text: str) -> None:
    """A platelet count heading a message, a date before the label of another number, a weekday
    after "from", a capitalised dose word: none is an identifier the way dev batch G's are."""
    kinds = {f.kind for f in merge(find_patterns(text))}
    assert "IPP" not in kinds, text
    assert "NOM" not in kinds, text


def test_a_first_name_list_word_after_a_person_word_needs_to_be_a_name() -> None:
    """'little' or 'baby' before an ordinary word takes nothing: only the first-name list's
    names are read in lower case."""
    assert find_patterns("little improvement, baby formula paused, petite dose ce soir") == []


def _covered(text: str, kind: str, value: str) -> bool:
    """Whether a finding of `kind` covers the whole of `value` in `text`."""
    start = text.index(value)
    found = merge(find_patterns(text))
    return any(f.kind == kind and f.start <= start and f.end >= start + len(value) for f in found)


def _untouched(text: str, word: str) -> bool:
    """Whether no finding reaches the first `word` of `text`."""
    start = text.index(word)
    return not any(f.start <= start < f.end for f in merge(find_patterns(text)))


def test_a_dash_before_a_drug_name_is_no_signature() -> None:
    """'… - Augmentin' at the end of a message names a drug, not a writer."""
    assert find_patterns("on passe a quoi ? - Augmentin") == []


async def test_a_drug_code_after_a_redacted_nir_is_not_taken_on_the_re_check() -> None:
    """'NIR <NIR> CIP 3400936471234': the CIP code stays a code when the audit export re-checks
    the redacted question, so the row is exported instead of withheld."""
    text = "NIR 1 67 04 69 123 045 41 CIP 3400936471234 même générique ?"
    redacted = (await Redactor().redact(text, "fr")).text
    assert redacted == "NIR <NIR> CIP 3400936471234 même générique ?"
    assert find_patterns(redacted) == []


def test_a_nir_glued_to_its_name_is_found() -> None:
    """'NIR284061208812368' (no space after the word) is a NIR."""
    text = "NIR284061208812368, K+ 3,1"
    assert Finding("NIR", 3, 18) in find_patterns(text)


@pytest.mark.parametrize(
    "text",
    [
        "dossier de 12 patients revu",
        "IPP du service : 45 mg de prednisolone par jour",
        "n° de dossier demandé, 80 12 ans, rien d'autre",
    ],
)
def test_numbers_after_a_file_word_with_a_unit_or_too_short_stay(text: str) -> None:
    """After 'dossier' or 'IPP', a dose, a count or a short pair of numbers is no identifier."""
    assert [f for f in find_patterns(text) if f.kind == "IPP"] == []


class SpansOf:
    """A name finder that returns the spans it is given, as spaCy's French pipeline did."""

    def __init__(self, *spans: str) -> None:
        self.spans = spans

    async def names(self, text: str, language: Language) -> list[tuple[int, int]]:
        return [(text.index(s), text.index(s) + len(s)) for s in self.spans]


@pytest.mark.parametrize(
    ("text", "span", "redacted"),
    [
        (
            "her speech is slurred and one side of her face has dropped",
            "her speech is slurred and one side of her",
            "her speech is slurred and one side of her face has dropped",
        ),
        (
            "TA 60/30 : adrénaline IM combien ?",
            "adrénaline IM",
            "TA 60/30 : adrénaline IM combien ?",
        ),
        ("Maladie de Parkinson évoluée", "Maladie de Parkinson", "Maladie de Parkinson évoluée"),
        ("vu avec her Jean Dupont hier", "her Jean Dupont", "vu avec her <NOM> hier"),
    ],
)
async def test_statistical_names_are_kept_only_where_they_look_like_a_name(
    text: str, span: str, redacted: str
) -> None:
    """The name model's spans over clinical words, a drug or English prose are dropped; a
    name inside a longer span is kept alone."""
    assert (await Redactor(SpansOf(span)).redact(text, "en")).text == redacted


def test_an_abstention_never_quotes_an_identifier_back() -> None:
    """'No source contains …' names the words the corpus lacks, but never a number or an
    identifier the asker typed."""
    from core.compose import abstained

    reply = abstained(
        "en", {"4418826", "clarithromycine", "jean.dupont@gmail.com"}, (), ["55120934"]
    )
    assert "clarithromycine" in reply.text
    for value in ("4418826", "55120934", "jean.dupont@gmail.com"):
        assert value not in reply.text


class RecordingGenerator:
    def __init__(self) -> None:
        self.seen: list[str] = []

    async def generate(
        self,
        question: str,
        language: Language,
        passages: Sequence[Passage],
        on_text: OnText | None = None,
    ) -> Draft | None:
        self.seen.append(question)
        return Draft(f"{passages[0].text} [1]", "recording") if passages else None


class RecordingEmbedder(FakeEmbedder):
    def __init__(self) -> None:
        self.seen: list[str] = []

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.seen += texts
        return await super().embed(texts)


async def test_no_identifier_reaches_search_model_audit_or_logs() -> None:
    """Search, the model, the audit row and the log lines only ever see placeholders."""
    generator, audit = RecordingGenerator(), FakeAudit()
    pipeline = pipeline_with(
        FakeIndex([passage("La dose maximale est de 4 g par jour.", title="Paracétamol")]),
        audit,
        generator,
    )
    embedder = RecordingEmbedder()
    pipeline.embedder = embedder
    with structlog.testing.capture_logs() as logs:
        reply = await pipeline.answer(message(MESSAGE))
    assert reply.outcome is Outcome.ANSWERED
    seen = [
        *generator.seen,
        *embedder.seen,
        audit.answers[0].question,
        reply.asked,
        json.dumps(logs),
    ]
    for value in IDENTIFIERS:
        assert all(value not in text for text in seen), value
    assert audit.answers[0].details["redacted"] == list(KINDS)


async def test_user_is_told_once_per_thread_and_first_told_it_is_an_ai() -> None:
    """First reply: 'you are talking to an AI' and 'identifiers were removed'; later replies in
    the same thread do not repeat either."""
    pipeline = pipeline_with(
        FakeIndex([passage("La dose maximale est de 4 g par jour.")]), FakeAudit()
    )
    first = await pipeline.answer(message(MESSAGE))
    assert any("intelligence artificielle" in n for n in first.notices)
    assert any("identifiants de patient" in n for n in first.notices)
    later = await pipeline.answer(message(MESSAGE, (Turn(first.asked, first.text),)))
    assert not any("intelligence artificielle" in n or "identifiants" in n for n in later.notices)


async def test_the_issue_messages_leave_no_identifier_in_the_reply_or_the_metrics() -> None:
    """The messages of issue 25: no number echoed back, none in a metric's labels."""
    from adapters.metrics import PrometheusMetrics

    pipeline = pipeline_with(FakeIndex([passage("La digoxinémie se dose le matin.")]), FakeAudit())
    pipeline.observer = metrics = PrometheusMetrics()
    for text, value in (
        (
            "Hospital no. 4418826, DOB 3 March 1950, on digoxin: when do we take the level?",
            "4418826",
        ),
        ("pt MRN: 55120934 on apixaban, can he have clarithromycin?", "55120934"),
        ("Mme Durand, NIR 2 91 03 13 055 123 17, sous lithium ?", "055 123"),
    ):
        reply = await pipeline.answer(message(text))
        assert value not in f"{reply.text} {reply.asked} {reply.notices}", text
    assert b"4418826" not in metrics.exposition()


def test_log_lines_are_scrubbed_whatever_a_developer_logs() -> None:
    """A log call that carries a phone number or a NIR prints placeholders instead."""
    stream = io.StringIO()
    configure_logging(fmt="json")
    structlog.configure(logger_factory=lambda *args: structlog.PrintLogger(stream))
    structlog.get_logger("t").warning(
        "oops", text="rappeler le 06 12 34 56 78", ids=["1 85 05 78 006 084 91"]
    )
    line = stream.getvalue()
    structlog.reset_defaults()
    assert "06 12 34 56 78" not in line
    assert "<TELEPHONE>" in line
    assert "<NIR>" in line


async def test_labelled_messages_lose_no_shaped_identifier_to_the_pipeline_input() -> None:
    """Over the labelled set, no identifier with a shape survives redaction (names: see the
    integration test with spaCy's names), and no look-alike is destroyed entirely."""
    path = DATA / "pii_messages.jsonl"
    if not path.exists():
        pytest.fail("tests/data/pii_messages.jsonl is missing")
    redactor = Redactor()
    for line in path.read_text().splitlines():
        item = json.loads(line)
        redacted = (await redactor.redact(item["text"], item["language"])).text
        for entity in item["entities"]:
            if entity["type"] != "NOM":
                assert entity["value"] not in redacted, (item["id"], entity)


async def test_hospital_specific_patient_ids_are_configurable() -> None:
    """A hospital whose ids look like 'PAT-2024-00042' sets MEDGPT_IPP_PATTERN and they go."""
    import re

    redactor = Redactor(local_ids=re.compile(r"PAT-\d{4}-\d{5}"))
    local = await redactor.redact("revu PAT-2024-00042, INR 2,5", "fr")
    assert local.text == "revu <IPP>, INR 2,5"
    elsewhere = await Redactor().redact("revu PAT-2024-00042", "fr")
    assert elsewhere.text == "revu PAT-2024-00042"


def test_invalid_ipp_pattern_is_a_clear_setting_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken MEDGPT_IPP_PATTERN is named at start-up, not discovered on a patient's data."""
    from bots.settings import SettingsError, load_settings

    monkeypatch.setenv("MEDGPT_IPP_PATTERN", "PAT-(\\d+")
    with pytest.raises(SettingsError, match="MEDGPT_IPP_PATTERN"):
        load_settings()


@pytest.mark.parametrize("value", ["spacy", "presidio", None])
def test_names_are_read_with_the_former_setting_too(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    """A deployment whose env file still says MEDGPT_NAME_DETECTION=presidio keeps its names
    redacted (the detector that replaced Presidio's analyzer), as does one that says nothing."""
    from adapters.privacy.spacy_names import SpacyNames
    from bots.settings import load_settings
    from bots.wiring.models import redactor

    if value is None:
        monkeypatch.delenv("MEDGPT_NAME_DETECTION", raising=False)
    else:
        monkeypatch.setenv("MEDGPT_NAME_DETECTION", value)
    assert isinstance(redactor(load_settings()).names, SpacyNames)
    monkeypatch.setenv("MEDGPT_NAME_DETECTION", "patterns")
    assert redactor(load_settings()).names is None


@pytest.mark.parametrize("split", ["dev", "test"])
async def test_the_labelled_set_meets_the_recall_and_look_alike_targets(split: str) -> None:
    """Issue 25's bar on each split, with the patterns alone (the name model only adds names):
    recall at least 99.5 % overall and 98 % for every kind, look-alikes kept at least 98 %."""
    from bench.privacy_eval import evaluate, load

    rows = load(DATA / "identifiers.jsonl", split)
    scores = await evaluate(Redactor(), [r for r in rows if "held-out B" not in r.get("batch", "")])
    assert scores.recall() >= 0.995, scores.misses
    assert all(scores.recall(kind) >= 0.98 for kind in scores.gold), scores.misses
    assert scores.retention() >= 0.98, scores.misses
    assert len(scores.gold) == 7


@pytest.mark.parametrize(
    ("name", "first", "recall", "kind_recall", "retention"),
    [
        # First measured with the patterns 0.920 (0.931 with the name model), before any change;
        # 0.964 after dev H's second changes (names before a birth date, "X and Y"), 0.967
        # after dev J's (an IPP a few words after its label).
        ("identifiers-heldout-c.jsonl", "held-out C", 0.966, 0.885, 0.99),  # 265 of 274
        # first measured 0.955 with the patterns (0.959 with the name model), after dev G's
        # changes; 0.946 with the code before them; 0.963 after dev I's, 0.967 after dev J's
        ("identifiers-heldout-d.jsonl", "held-out D", 0.966, 0.941, 0.99),
        ("identifiers-dev-e.jsonl", "dev E", 0.983, 0.937, 0.99),  # 117 of 119
        # chat-style, first measured 0.861 (0.861 patterns), before any change
        ("identifiers-dev-g.jsonl", "dev G", 1.0, 1.0, 1.0),
        # names and birth dates, first measured 0.738 (names 0.745, birth dates 0.839)
        ("identifiers-dev-h.jsonl", "dev H", 0.958, 0.952, 1.0),
        # hospital numbers; first 0.920 (0.907 patterns); a name only the name model finds
        # (lab request and order numbers of seven digits or more are taken: 95 of 98 kept)
        ("identifiers-dev-f.jsonl", "dev F", 0.986, 0.928, 0.969),
        # first measured 0.955 (names 0.924), the same with the patterns, before any change;
        # 0.970 after dev I's (names 0.947), 0.974 after dev J's (names 0.955)
        ("identifiers-heldout-e.jsonl", "held-out E", 0.973, 0.954, 0.979),
        # first measured 0.972 (names 0.954), before any change
        ("identifiers-dev-i.jsonl", "dev I", 1.0, 1.0, 1.0),
        # names in lower case with no cue, birth dates in words, an IPP words after its label:
        # first measured 0.647 (names 0.623, IPP 0.444, birth dates 0.700), before any change
        ("identifiers-dev-j.jsonl", "dev J", 0.777, 0.683, 0.992),
    ],
)
async def test_the_2026_12_08_batches_hold_their_own_floors(
    name: str, first: str, recall: float, kind_recall: float, retention: float
) -> None:
    """Held-out batches C and D and dev batch E (2026-12-08) are below issue 25's bar; a change
    that loses what they catch fails here (patterns alone; figures in docs/privacy.md)."""
    from bench.privacy_eval import evaluate, load

    scores = await evaluate(Redactor(), load(DATA / name, "all"))
    # Figures only: a failure must not print a held-out batch's misses (they are never read).
    overall, lowest, kept = (
        scores.recall(),
        min(map(scores.recall, scores.gold)),
        scores.retention(),
    )
    assert overall >= recall, first
    assert lowest >= kind_recall, first
    assert kept >= retention, first


async def test_held_out_batch_b_holds_its_own_floors() -> None:
    """Held-out batch B (2026-12-07, branch safety4) is below issue 25's bar: first measured
    0.965 with the patterns, 0.979 after the fixes made on dev batch B; a change that loses
    what it catches fails here. Its misses are not read, so it has its own floors."""
    from bench.privacy_eval import evaluate, load

    rows = load(DATA / "identifiers.jsonl", "test")
    scores = await evaluate(Redactor(), [r for r in rows if "held-out B" in r.get("batch", "")])
    assert scores.recall() >= 0.978  # 138 of 141
    assert all(scores.recall(kind) >= 0.947 for kind in scores.gold)
    assert scores.retention() >= 1.0
