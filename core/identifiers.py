"""Patient identifiers found by their shape and by the words around them (pure regular
expressions; core/privacy.py puts them to use).

Shape alone where a shape is specific enough (a NIR by its sex, year, month and place fields,
whatever its control key; a French phone number; an e-mail address; an NHS number whose check
digit holds); context where it is not (a number after "IPP", "MRN", "n° de séjour"; a date after
"né le", "DOB"; a word after "Mme", "Dr" or at the foot of a message). Look-alikes stay: doses and
units, lab values, drug codes (ATC, CIS, CIP), dates and years without an identity word, ages,
bed and room numbers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from core.names import COMMON_WORDS, FUNCTION_WORDS, fold, is_first_name
from core.text import edits


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # a key of core.privacy.PLACEHOLDERS
    start: int
    end: int


_SEP = r"[ \t\u00a0\u202f.\-]{0,2}"  # people space, dot or dash numbers as they please

# --- NIR (French social security number) ------------------------------------------------------
# Sex (1, 2; 3, 4, 7, 8: foreign-born or provisional numbers), year, month (01-12; 20, 30-42 and
# 50-99 where the civil record lacked it, INSEE), place (department 01-99, 2A/2B, and commune; or
# overseas department 97x/98x and commune), order, then an optional two-digit key.
_NIR = re.compile(
    rf"(?<![\w/,])(?P<sex>[1-478]){_SEP}(?P<year>\d\d){_SEP}"
    rf"(?P<month>0[1-9]|1[0-2]|20|3\d|4[0-2]|[5-9]\d){_SEP}"
    rf"(?P<place>(?:\d\d|2[AB]){_SEP}\d{{3}}|9[78]\d{_SEP}\d\d){_SEP}(?P<order>\d{{3}})"
    rf"(?:{_SEP}(?P<key>\d\d))?(?![\w/]|[.,]\d)",
    re.IGNORECASE,
)
_NIR_WORDS = re.compile(
    r"(?:(?<!<)\bNIR|\bNIA|\bINS(?:-?C)?|\bNSS|s[ée]cu(?:rit[ée] sociale)?|carte vitale|\bSSN"
    r"|social security(?: number| no\.?)?|matricule)\b(?:\W+[\w'’]+){0,3}?\W*$",
    re.IGNORECASE,
)
# 13 or 15 digits after such a word, shape or no shape (a typo in the month is still a NIR).
_DIGITS_13_15 = re.compile(rf"(?<![\w])(?:[\dAB]{_SEP}){{12}}\d(?:{_SEP}\d\d)?(?!\w)", re.I)


# "NIR284061208812368": the number glued to the word that names it.
_NIR_GLUED = re.compile(
    r"(?:NIR|NSS|INS|s[ée]cu)(?P<nir>[1-478]\d{4}(?:\d\d|2[AB])\d{6}(?:\d\d)?)(?![\w])",
    re.IGNORECASE,
)


def _nir(text: str) -> list[Finding]:
    found = [Finding("NIR", *m.span("nir")) for m in _NIR_GLUED.finditer(text)]
    # a number right after "CIP", "UCD"… is a drug code, whatever words came before it
    for m in _NIR.finditer(text):
        if _code_before(text, m.start()):
            continue
        if m["sex"] in "12" or _NIR_WORDS.search(text[max(0, m.start() - 40) : m.start()]):
            found.append(Finding("NIR", m.start(), m.end()))
    for m in _DIGITS_13_15.finditer(text):
        if _code_before(text, m.start()):
            continue
        if _NIR_WORDS.search(text[max(0, m.start() - 40) : m.start()]):
            found.append(Finding("NIR", m.start(), m.end()))
    return found


def nir_key_is_valid(nir: str) -> bool:
    """The control key of a 15-character NIR: 97 - (the 13 first, Corsica as 19/18) mod 97."""
    chars = re.sub(r"[^\dAB]", "", nir.upper())
    if len(chars) != 15:
        return False
    body = chars[:13].replace("2A", "19").replace("2B", "18")
    return body.isdigit() and 97 - int(body) % 97 == int(chars[13:])


# --- hospital and health-service numbers ------------------------------------------------------
# A unit or a count after a number: a dose, an age, a duration, not an identifier.
_UNIT_AFTER = (
    r"(?:[µμmnk]?g|[mµd]?l|ui|iu|u|kg|%|[mµn]?mol\w*|ans|years?|yrs?|mois|months?|j|jours?|days?"
    r"|h|heures?|hours?|min|minutes?|fois|times|cp|cps|patients?|lits?|beds?)\b"
)
ID_WORDS = (
    r"IPP|NIP|NDA|IEP|MRN|CHI|NHS(?:\s+(?:number|no\.?|num|n[°º]))?|EPR|UR"
    r"|n[°º]?\s*(?:d[e'’]\s*)?(?:dos+ier|s[ée]jour|patient|hospitali[sz]ation|admission|entr[ée]e)"
    r"|num[ée]ro\s+(?:d[e'’]\s*)?(?:dossier|s[ée]jour|patient|hospitalisation|admission|entr[ée]e"
    r"|IPP)"
    r"|(?:dossier|s[ée]jour|venue)(?:\s+(?:patient|m[ée]dical|administratif))?"
    r"|identifiant(?:\s+patient)?|id(?:entifier)?\s+patient|patient\s+(?:id|identifier|number"
    r"|no\.?|n[°º]|#)|pt\s*(?:id|no\.?|#)|(?:medical\s+)?record(?:\s+(?:number|no\.?|#))?"
    r"|hosp(?:ital)?\.?\s*(?:number|no\.?|num|#|n[°º]|id)|unit\s+(?:number|no\.?)"
    r"|case\s+(?:number|no\.?)|encounter(?:\s+(?:number|no\.?|id))?|admission\s+(?:number|no\.?)"
    r"|visit\s+(?:number|no\.?)|FIN|CSN|acct|account\s+(?:number|no\.?|#)"
)
# What may stand between such a word and its number ("IPP : 123", "hosp no. 123", "MRN is 123").
ID_JOINER = r"(?:[\s:=#.\-]|n[°º]|no\b|num[ée]ro|number|c['’]est|est|is|du|de|of|le)*"
# Drug and product codes: a number after their name is the product's, not the patient's.
_PRODUCT_CODES = r"CIP\d*|CIS|UCD|ATC|EAN|GTIN|NDC|lot|batch"
_ID_VALUE = (
    # spaced groups first ("77 120 455", "7 712 004", "0045 7781"), so the whole number is taken,
    # not its first group; they end the message, a clause, or before a word that is no unit
    r"(?P<id>\d{1,4}(?: \d{2,4}){1,4}(?=\W*$|\W*[,;:)(\]]|\s+(?!\d)(?!" + _UNIT_AFTER + r"))"
    # a trust's letters before the digits, maybe spaced ("RTH 0729384"), never a code's name
    rf"|(?:(?!(?i:{_PRODUCT_CODES})\b)[A-Z]{{1,4}}[-/ ]?)?\d(?:[\d./-]?\d){{3,17}}"
    r"(?:-[A-Z\d]{1,4}|/\d{1,4})?"
    r"|\d{3}[ -]\d{3}[ -]\d{4})"
)
_HOSPITAL_ID = re.compile(
    rf"(?<![\w])(?:{ID_WORDS})(?![^\W\d_]){ID_JOINER}{_ID_VALUE}(?![\w])",
    re.IGNORECASE,
)
# "5120 3398 (IPP)", "11 20 58 64 c'est son IPP", "7730982 is his MRN": the label after the
# number names it as well as before.
_ID_BEFORE_WORD = re.compile(
    r"(?<![\w.,/+-])(?P<id>\d{2,4}(?:[ .-]\d{2,4}){1,4}|\d{6,12})"
    r"\s*(?:[(\[,:\-–—]\s*|(?:c['’]est|est|is|=)\s+(?:(?:son|sa|le|l['’]|his|her|the|their)\s*)?)"
    rf"(?:{ID_WORDS})(?![^\W\d_])(?!{ID_JOINER}\d)",  # not the label of the next number
    re.IGNORECASE,
)
# "RXH 448210 for the lady in side room 3", "RTH 00 44 912 - Crohn's flare": a trust's letters
# and six digits or more heading a message (or a line) label the patient it is about; counts
# that head a message are lab values (platelets, white cells, a viral load).
_TRUST_NUMBER_HEAD = re.compile(
    r"(?:^|(?<=\n))\s*(?P<id>(?!(?:PLQ|PLT|PLAQ|PQ|GB|GR|CV|VL|HB|PNN|DOB|DDN|NIR|NIA|NSS|INS"
    r"|SSN|TEL|FAX|CIP|CIS|UCD|ATC|EAN|NDC|LOT)\b)[A-Z]{2,4}"
    r"[ -]?\d{2,4}(?:[ .-]?\d{2,4}){1,3})(?=\s*(?:[-–—:,;(|]|$)|\s+(?:for|pour|is|est)\b)"
)
# "l'ipp de mme traore c'est le 4401 223", "hospital number for Mrs Adebayo, as given on the
# transfer letter, is 6620 148 9": the first number after the label in its sentence, a few
# words later, with six digits or more.
_ID_LATER = re.compile(
    rf"(?<![\w])(?:{ID_WORDS})(?![^\W\d_])[^\d.;!?\n]{{0,80}}?(?<![\w])"
    rf"(?P<id>(?:(?!(?:{ID_WORDS})\b)(?-i:[A-Z]{{1,4}}) ?)?\d{{1,4}}(?:[ .-]\d{{1,4}}){{0,4}})"
    r"(?![\w/]|[.,]\d)",
    re.IGNORECASE,
)
# "pt 55120934", "patient 4418826": a number of six or more digits right after the person.
_PATIENT_NUMBER = re.compile(
    r"\b(?:pt|pat|patient|patiente|malade)\s*[:#]?\s*(?P<id>\d{6,12})(?![\w,.]\d|\s*(?:mg|g|ml|ui))",
    re.IGNORECASE,
)
# NHS number: ten digits, 3-3-4, the tenth a mod-11 check digit; not a phone (those start with 0).
_NHS = re.compile(r"(?<![\w+/.,-])([1-9]\d{2})([ -]?)(\d{3})\2(\d{4})(?![\w/-]|[.,]\d)")
# Drug and product codes are numbers too, and stay: the word before them says so.
_CODE_WORDS = re.compile(
    rf"(?:{_PRODUCT_CODES}|code|ref|réf|AMM|RPPS|ADELI|FINESS|SIRET"
    r"|poste|ext|extension|bip|bleep|tel|tél|phone|fax)\W{0,3}$",
    re.IGNORECASE,
)
# A bare run of seven or more digits, no unit after it: in a chat message, an identifier.
_LONG_NUMBER = re.compile(
    r"(?<![\w.,/+-])(?!CIP|CIS|UCD|ATC|EAN)(?:[A-Z]{1,3}-?)?\d{7,12}(?![\w.,/-]|\s*(?:%|/"
    r"|(?:[µμmnk]?g|[mµd]?l|ui|iu|u|copies|cp|cps|[mµn]?mol|k?cal|unit(?:s|é|és)?|plaq\w*"
    r"|cell\w*|elts|/mm\w*)\b))",
    re.IGNORECASE,
)


def nhs_number_is_valid(digits: str) -> bool:
    """Modulus 11 on the first nine digits, weights 10 down to 2 (NHS Digital)."""
    digits = re.sub(r"\D", "", digits)
    if len(digits) != 10:
        return False
    check = 11 - sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    return (0 if check == 11 else check) == int(digits[9]) and check != 10


def _hospital_ids(text: str) -> list[Finding]:
    found = [
        Finding("IPP", *m.span("id"))
        for m in _HOSPITAL_ID.finditer(text)
        if " " not in m["id"] or len(re.sub(r"\D", "", m["id"])) >= 6  # "77 120 455", not "12 3"
    ]
    found += [Finding("IPP", *m.span("id")) for m in _PATIENT_NUMBER.finditer(text)]
    found += [
        Finding("IPP", *m.span("id"))
        for m in _ID_LATER.finditer(text)
        if len(re.sub(r"\D", "", m["id"])) >= 6
        and not _IS_DATE.fullmatch(m["id"])
        and not _code_before(text, m.start("id"))
    ]
    found += [
        Finding("IPP", *m.span("id"))
        for m in _TRUST_NUMBER_HEAD.finditer(text)
        if len(re.sub(r"\D", "", m["id"])) >= 6
    ]
    found += [
        Finding("IPP", *m.span("id"))
        for m in _ID_BEFORE_WORD.finditer(text)
        if len(re.sub(r"\D", "", m["id"])) >= 6
        and not _code_before(text, m.start())
        and not _IS_DATE.fullmatch(m["id"])
    ]
    found += [
        Finding("IPP", m.start(), m.end())
        for m in _NHS.finditer(text)
        if nhs_number_is_valid(m.group()) and not _code_before(text, m.start())
    ]
    found += [
        Finding("IPP", m.start(), m.end())
        for m in _LONG_NUMBER.finditer(text)
        if not _code_before(text, m.start())
    ]
    return found


def _code_before(text: str, start: int) -> bool:
    return bool(_CODE_WORDS.search(text[max(0, start - 16) : start]))


# --- phone numbers ----------------------------------------------------------------------------
_P = r"[ \t\u00a0.\-]*"
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    rf"(?:(?:\+|00){_P}33{_P}(?:\(0\){_P})?|0)[1-9](?:{_P}\d\d){{4}}"  # French
    r"|0(?:[ .]\d){9}"  # French, digit by digit ("0 6 3 9 9 8 1 5 7 4")
    rf"|(?:\+|00){_P}44{_P}(?:\(0\){_P})?\d(?:[ \-]?\d){{8,9}}"  # British, international form
    r"|(?:0\d{2,4}|\(0\d{2,4}\))[ \-]?\d{3,4}[ \-]?\d{3,4}"  # British, national (checked below)
    rf"|(?:\+|00){_P}(?!33|44)\d{{1,3}}{_P}(?:\(\d{{1,4}}\){_P})?"  # other countries
    r"\d{1,4}(?:[ .\-]?\d{1,4}){1,5}"
    r"|\(\d{3}\)\s?\d{3}[ .\-]\d{4}|\d{3}[.\-]\d{3}[.\-]\d{4}"  # North American
    r")(?![\w]|[.,/]\d)"
)
_PHONE_WORDS = re.compile(
    r"(?<![\w])(?:t[ée]l(?:[ée]phone)?|phone|portable|port\.|mobile|cell|fixe|gsm|joignable|"
    r"call(?:ed)?|appel(?:er|[ée])?|rappeler|ring|num(?:[ée]ro)?|contact|whatsapp|sms)"
    r"\b[^\d\n]{0,12}$",
    re.IGNORECASE,
)
_LOOSE_DIGITS = re.compile(r"(?<![\w+])\+?\d[\d \t.\-()]{6,20}\d(?![\w]|[.,/]\d)")


# A product's code shaped like a phone number ("NDC 0409-4888-02") is no phone.
_PRODUCT_CODE_BEFORE = re.compile(rf"(?:{_PRODUCT_CODES})\W{{0,3}}$", re.IGNORECASE)


def _phones(text: str) -> list[Finding]:
    found = []
    for m in _PHONE.finditer(text):
        if _PRODUCT_CODE_BEFORE.search(text[max(0, m.start() - 12) : m.start()]):
            continue
        digits = re.sub(r"\D", "", m.group())
        french = re.match(r"0[1-9](?:\D*\d\d){4}$", m[0])
        national_uk = m[0].lstrip("(")[:1] == "0" and m[0][:2] != "00" and not french
        if national_uk and len(digits) not in (10, 11):
            continue
        if 8 <= len(digits) <= 15:
            found.append(Finding("TELEPHONE", m.start(), m.end()))
    for m in _LOOSE_DIGITS.finditer(text):  # any spacing at all, after "tél", "call"...
        digits = re.sub(r"\D", "", m.group())
        if _IS_DATE.fullmatch(m.group()) or not 8 <= len(digits) <= 15:
            continue
        if _PHONE_WORDS.search(text[max(0, m.start() - 30) : m.start()]):
            found.append(Finding("TELEPHONE", m.start(), m.end()))
    return found


# --- e-mail addresses -------------------------------------------------------------------------
_EMAIL = re.compile(
    r"[\w.+'-]+\s?(?:@|\(at\)|\[at\]|\{at\})\s?[\w-]+(?:\s?(?:\.|\(dot\)|\[dot\])\s?[\w-]+)*"
    r"\s?(?:\.|\(dot\)|\[dot\])\s?[a-z]{2,}\b",
    re.IGNORECASE,
)

# --- dates of birth ---------------------------------------------------------------------------
_MONTHS = (
    r"(?:janvier|janv|jan|f[ée]vrier|f[ée]vr?|mars|mar|avril|avr|apr|mai|may|juin|june?"
    r"|juillet|juil|july?|ao[uû]t|aug(?:ust)?|septembre|sept?|september|octobre|oct(?:ober)?"
    r"|novembre|nov(?:ember)?|d[ée]cembre|d[ée]c|dec(?:ember)?|january|february|feb|march"
    r"|april)\.?"
)
_YEAR = r"(?:\d{4}|'?\d{2})"
DATE = (
    r"(?:\d{1,2}\s?[/.\-]\s?\d{1,2}\s?[/.\-]\s?(?:\d{4}|\d{2})(?!\d)"
    r"|\d{1,2} \d{1,2} (?:\d{4}|\d{2})(?!\d|[,.]\d)"
    r"|\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2}"
    r"|(?:1er|\d{1,2})(?:st|nd|rd|th|e)?[\s\-/]*(?:of\s+)?" + _MONTHS + r",?[\s\-/]*" + _YEAR +
    r"|" + _MONTHS + r"\s*\d{1,2}(?:st|nd|rd|th)?,?\s*" + _YEAR +
    r"|" + _MONTHS + r"\s+\d{4}"
    r"|\d{8}(?!\d))"
)  # fmt: skip
_IS_DATE = re.compile(DATE, re.IGNORECASE)
_BIRTH_WORDS = (
    r"n[ée]e?s?(?:\s?\(e\))?|nee?|date\s+(?:de\s+)?naiss(?:ance|\.)?|dt\s+naiss\.?|naissance"
    r"|d\.?\s?d\.?\s?n\.?|ddn|born|b\.|d\.?\s?o\.?\s?b\.?|date\s+of\s+birth|birth\s?date"
    r"|birthday|n[ée]\(e\)"
)
# After a birth word, a date however typed: a roman month ("3.IV.1952"), a letter for a digit
# ("1/O4/1949", "04/11/l948"), glued to the word ("b.17/2/41").
_ROMAN_MONTH = r"(?:XII|XI|X|IX|VIII|VII|VI|V|IV|III|II|I)"
_TYPED_DATE = (
    rf"\d{{1,2}}\s?[/.\-]\s?{_ROMAN_MONTH}\s?[/.\-]\s?(?:\d{{4}}|\d{{2}})(?!\d)"
    r"|[\dOolI]{1,2}[/.\-][\dOolI]{1,2}[/.\-][\dOolI]{2,4}(?![\w])"
    # a month misspelt ("1st Sepember 1983", "12 fevirer 1950"): a word between a day and a
    # full year after a birth word is its month
    r"|(?:1er|\d{1,2})(?:st|nd|rd|th|e)?\s+(?:of\s+)?[^\W\d_]{3,10}\.?,?\s+(?:19|20)\d\d(?!\d)"
    r"|[^\W\d_]{3,10}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+(?:19|20)\d\d(?!\d)"
)
_BIRTH = re.compile(
    rf"(?<![\w])(?:{_BIRTH_WORDS})(?![^\W\d_])[\s:=(\-]*(?:(?:le|on|the|en|in|à|a|at)\s+"
    rf"(?:[A-ZÀ-Ý][\w'’-]+\s+(?:le|on)\s+)?)?(?P<date>{DATE}|{_TYPED_DATE}|\d{{6}}(?!\d))",
    re.IGNORECASE,
)
# "Mme Durand, 12/03/1945": a full date right after a name (found) is a date of birth.
_DATE_ALONE = re.compile(rf"^[\s,(]{{1,3}}(?P<date>{DATE})(?=[\s,;:)]|$)", re.IGNORECASE)


# A full date of the twentieth century, day and month included: no guideline, lab result or
# appointment in a chat about today's patients carries one; a birth date does.
_OLD_DATE = re.compile(
    r"(?<![\w/.-])(?:\d{1,2}\s?[/.\-]\s?\d{1,2}\s?[/.\-]\s?(?:19\d\d|[3-9]\d)(?!\d)"
    r"|19\d\d[/.\-]\d{1,2}[/.\-]\d{1,2}"
    r"|(?:1er|\d{1,2})(?:st|nd|rd|th|e)?[\s\-/]*(?:of\s+)?"
    + _MONTHS
    + r",?[\s\-/]*(?:19\d\d|'[3-9]\d)"
    r"|" + _MONTHS + r"\s*\d{1,2}(?:st|nd|rd|th)?,?\s*19\d\d)(?![\w/]|[.\-/]\d)",
    re.IGNORECASE,
)


# A year alone, after "born" or « né en »: "born '52", "Patient born 1941".
_BORN_YEAR = re.compile(
    r"(?<![\w])(?:born(?:\s+in)?|n[ée]e?s?\s+en)\s+(?P<date>'\d{2}|(?:19|20)\d{2})(?![\w/.-]|[.,]\d)",
    re.IGNORECASE,
)
# A birth date written in words: "né le trois mars mille neuf cent cinquante", "DOB the
# fourteenth of July nineteen forty-nine", misspelt too ("twelfth of Ocotber ninteen …").
_BIRTH_LABEL = re.compile(rf"(?<![\w])(?:{_BIRTH_WORDS})(?![^\W\d_])[\s:]*", re.IGNORECASE)
_NUMBER_WORDS = frozenset(
    "un une deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze "
    "seize vingt vingts trente quarante cinquante soixante cent cents mille premier "
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred thousand first second third fourth fifth sixth seventh eighth ninth tenth "
    "eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth "
    "nineteenth twentieth thirtieth".split()
)
_MONTH_NAMES = (
    "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre "
    "january february march april may june july august september october november december"
).split()
_DATE_GLUE = frozenset("of the le et and".split())


def _in_words(words: list[str]) -> int:
    """How many of `words` (from the first) spell a date, or 0: number words and a month, any
    of them one letter off (two for a month)."""
    used = month = numbers = 0
    for word in words:
        parts = [fold(p) for p in word.split("-") if p]
        if not parts:
            break
        if all(p in _NUMBER_WORDS or (len(p) >= 5 and _near(p, _NUMBER_WORDS, 1)) for p in parts):
            numbers += 1
        elif len(parts) == 1 and len(parts[0]) >= 3 and _near(parts[0], _MONTH_NAMES, 2):
            month += 1
        elif not (len(parts) == 1 and parts[0] in _DATE_GLUE):
            break
        used += 1
    while used and fold(words[used - 1]) in _DATE_GLUE:
        used -= 1
    return used if month == 1 and numbers >= 2 else 0


def _near(word: str, choices: Iterable[str], most: int) -> bool:
    return any(
        word == c or (abs(len(word) - len(c)) <= most and edits(word, c) <= most) for c in choices
    )


def _births_in_words(text: str) -> list[Finding]:
    """Dates in words after a birth label, a few words later at most ("DOB confirmed with
    her daughter: twelfth of October …")."""
    found = []
    for label in _BIRTH_LABEL.finditer(text):
        window = text[label.end() : label.end() + 160]
        every = list(re.finditer(r"[^\W\d_][\w'’-]*", window))
        skip = next(
            (i for i in range(min(6, len(every))) if _in_words([t.group() for t in every[i:]])), 0
        )
        tokens = every[skip:]
        used = _in_words([t.group() for t in tokens])
        first = next(
            (i for i, t in enumerate(tokens[:used]) if fold(t.group()) not in _DATE_GLUE), 0
        )
        if used:
            start, end = tokens[first].start(), tokens[used - 1].end()
            found.append(Finding("DATE_NAISSANCE", label.end() + start, label.end() + end))
    return found


def _births(text: str, names: list[Finding]) -> list[Finding]:
    found = [Finding("DATE_NAISSANCE", *m.span("date")) for m in _BIRTH.finditer(text)]
    found += [Finding("DATE_NAISSANCE", *m.span("date")) for m in _BORN_YEAR.finditer(text)]
    found += _births_in_words(text)
    found += [Finding("DATE_NAISSANCE", m.start(), m.end()) for m in _OLD_DATE.finditer(text)]
    for name in names:
        m = _DATE_ALONE.match(text[name.end :])
        if m:
            found.append(Finding("DATE_NAISSANCE", name.end + m.start("date"), name.end + m.end()))
    return found


# --- postal addresses -------------------------------------------------------------------------
_FR_STREET = (
    r"(?:rue|avenue|av\.?|boulevard|bd|bld|blvd|place|pl\.|chemin|ch\.|all[ée]e|impasse|imp\.?"
    r"|quai|route|rte|cours|square|sq\.?|voie|passage|r[ée]sidence|r[ée]s\.?|lotissement|lot\."
    r"|hameau|lieu-dit|lieu dit|cit[ée]|faubourg|fbg|mont[ée]e|sentier|villa|esplanade|parvis"
    r"|promenade|rond-point|cour|clos|domaine|chauss[ée]e|r\.)"
)
_EN_STREET_ANY_CASE = (
    r"(?:street|st\.?|road|rd\.?|lane|ln\.?|avenue|ave\.?|drive|dr\.|crescent|terrace|gardens"
    r"|grove|boulevard|blvd|mews|close|court|ct\.?|place|way|square|parade)"
)
_EN_STREET_CAPITAL = r"(?:Row|Walk|Hill|Green|Rise|View|Park|Vale)"
# The words after the first are capitalised ("Boulogne-Billancourt", "Saint Denis", "Aix en
# Provence"), so the town stops before "HAD demain".
_TOWN = (
    r"[A-Za-zÀ-ÿ][\w'’-]+"
    r"(?:[ -](?:(?:sur|sous|en|le|la|les|de|du|lès|upon|on)[ -])?[A-ZÀ-Ý][a-zà-ÿ'’-]+){0,2}"
)
_POSTCODE_UK = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"
_POSTAL = (
    rf"(?:,?\s+(?:\d{{5}}|\d{{2}}\s\d{{3}})\s+{_TOWN}"  # 75011 Paris
    rf"|,?\s+{_TOWN},?\s+(?i:{_POSTCODE_UK})"  # London NW1 6XE
    rf"|,?\s+{_TOWN},?\s+[A-Z]{{2}}\s+\d{{5}}"  # Springfield IL 62704
    rf"|,?\s+(?i:{_POSTCODE_UK}))"
)
_NUMBER = r"\b\d{1,4}(?:[A-Za-z]\b|\s?(?:bis|ter|b)\b)?,?"
_FR_NAME = r"[\w'’. -]{2,40}?"
_END = (
    r"(?=\s*(?:[,;:()?!]|\.(?:\s|$)|$|\s-\s"
    r"|\s(?:à|a|au|et|depuis|pour|avec|chez|sous|mais|in|and|since|for|with|on)\b))"
)
# A place with no street number: "lieu-dit la Borie, 46100 Figeac" (its postcode says so).
_PLACE = r"(?:lieu-dit|lieu dit|hameau|r[ée]sidence|domaine|lotissement|mas)"
_ADDRESS = re.compile(
    rf"{_NUMBER}\s*(?i:{_FR_STREET})\s+{_FR_NAME}(?:{_POSTAL}|{_END})"
    # the number after the street: "rue de la République n°14 à Lyon"
    rf"|\b(?i:{_FR_STREET})\s+{_FR_NAME},?\s*(?i:n[°º]|no\.?)\s?\d{{1,4}}(?:\s?(?:bis|ter)\b)?"
    rf"(?:{_POSTAL}|\s+(?:à|a)\s+{_TOWN})?"
    rf"|\b(?i:{_PLACE})\s+{_FR_NAME}{_POSTAL}"
    rf"|{_NUMBER}\s+(?:[A-Za-z][\w'’-]*\s+){{1,3}}(?:(?i:{_EN_STREET_ANY_CASE})|{_EN_STREET_CAPITAL})"
    rf"(?:{_POSTAL}|(?:\s+{_TOWN})?{_END})"
    # "17 Kingsway, Cardiff CF10 3AT": the postcode says it is an address
    rf"|{_NUMBER}\s+[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){{0,2}},?\s+{_TOWN},?\s+(?i:{_POSTCODE_UK})\b"
)
# "flat 3, 12 High Street", "bât B, apt 12, 4 rue…": the unit before the street.
_UNIT = re.compile(
    r"\b(?:flat|apt|appt|appartement|apartment|b[âa]t(?:iment)?|escalier|esc)\.?\s*\w{1,4},?\s*$",
    re.IGNORECASE,
)


def _addresses(text: str) -> list[Finding]:
    found = []
    for m in _ADDRESS.finditer(text):
        start = m.start()
        unit = _UNIT.search(text[max(0, start - 30) : start])
        if unit:
            start -= len(text[max(0, start - 30) : start]) - unit.start()
        found.append(Finding("ADRESSE", start, m.end()))
    return found


# --- names ------------------------------------------------------------------------------------
# Short forms in their usual case only where the lower case is a unit or a word ("ms", "pr").
_CIVILITY = (
    r"(?:(?i:m\.|mr\.?|mrs\.?|mme\.?|mmes|mlle\.?|melle|mademoiselle|madame|monsieur|miss"
    r"|dr\.?|docteur|doctor|professeur|professor|prof\.)|MM\.|Ms\.?|MS\.?|Pr\.?|Prof|Doc|Sir|Dame)"
)
_PARTICLE = (
    r"(?:(?:de la|de|du|des|le|la|van|von|der|den|da|di|del|della|ben|el|al|mac|st|saint)\s+"
    r"|d['’]|o['’])"
)
_WORD_OF_NAME = r"[^\W\d_][\w'’-]*"
_CIVILITY_NAME = re.compile(
    rf"(?<![\w]){_CIVILITY}(?:(?<=\.)|(?![\w]))\s*(?!(?i:et|and|&)\s)(?P<name>(?:[A-Z]\.\s?){{0,2}}(?i:{_PARTICLE})?"
    rf"{_WORD_OF_NAME}(?:\s+{_WORD_OF_NAME})?)"
)
_BARE_M = re.compile(
    rf"(?<![\w])M\s+(?P<name>[A-ZÀ-Ý][A-ZÀ-Ýa-zà-ÿ'’-]+(?:\s+[A-ZÀ-Ý]{_WORD_OF_NAME})?)"
    # "m ferrand 06…": chat drops the dot and the capitals, at the start of a clause
    rf"|(?:^|(?<=[.,;:!?(\n]))\s*[mM]\s+(?P<lower>[^\W\d_]{{3,}}[\w'’-]*)"
)
_SIGN_OFF = (
    r"cordialement|bien\s+cordialement|bien\s+[àa]\s+vous|amicalement|bises|biz"
    r"|bonne\s+(?:journ[ée]e|soir[ée]e|garde|nuit)|merci(?:\s+(?:beaucoup|d['’ ]avance|encore))?"
    r"|(?:kind\s+|best\s+|warm\s+)?regards|best(?:\s+wishes)?|thanks|thank\s+you|many\s+thanks"
    r"|cheers|sign[ée]|signed|envoy[ée] par|sent by|de la part de|from|rgds|regds|brgds|thx|tks"
    # chat: "Bisous, Camille", "@+ Yanis", "Night, Lauren", "ttyl - jen"
    r"|bisous?|bizz?|@\+|[àa]\+|[àa] plus|[àa] demain|ttyl|cya|see you|(?:good\s*)?night|nite"
    r"|cdt|cdlt|slts|bav|bàv"
)
_SIGNATURE = re.compile(
    rf"(?:(?:^|(?<=[\s.!?,;:]))(?:{_SIGN_OFF})(?![\w])\s*[,.!:;\-–—]*|(?:^|(?<=\s))(?:--+|—|–))"
    rf"\s*(?:(?:Dr|Pr|Docteur)\.?\s+)?"
    rf"(?P<name>(?:[A-Za-z]\.\s?){{0,2}}(?i:{_PARTICLE})?{_WORD_OF_NAME}"
    rf"(?:[ \t]+[A-ZÀ-Ý]{_WORD_OF_NAME})?(?:[ \t]+[A-Z]\.)?)"
    # a signature ends its line, a role or a bleep after it at most
    r"[ \t]*(?:[,(/\-—][^\n]{0,30})?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_ROLE = (
    r"patiente?|pt|pat\.?|enfant|b[ée]b[ée]|fils|fille|m[èe]re|p[èe]re|maman|papa|[ée]pouse|mari"
    r"|conjointe?|fr[èe]re|s(?:oe|œ)ur|grand-m[èe]re|grand-p[èe]re|petite?-fils|petite?-fille"
    r"|tante|oncle|neveu|ni[èe]ce|ami|amie|voisine?|wife|husband|daughter|mother|father"
    r"|brother|sister|child|partner|mum|mom|dad|granddaughter|grandson|grandmother|grandfather"
    r"|aunt|uncle|nephew|niece|friend|neighbour|neighbor|baby|infant|resident|client"
    r"|mamie|mamy|papy|papi|m[ée]m[ée]|p[ée]p[ée]|granny|grandma|grandpa|nana|nan|grampa"
    r"|(?-i:IDE|IADE|AS|SHO|FY1|FY2)|interne|externe|infirmi[èe]re?|aide-soignante?|nurse|doctor"
    r"|colleague|coll[èe]gue|chef|cadre|sage-femme|kin[ée]|kin[ée]sith[ée]rapeute|psychologue"
    r"|registrar|consultant|attending|midwife|physio|pharmacist|pharmacien(?:ne)?"
)
# "… - George (FY1)", "~ Sam": a single dash or a tilde before a known first name that ends the
# message (a hyphen before any capitalised word would take "- Augmentin").
_DASH_SIGNATURE = re.compile(
    rf"(?:^|(?<=\s))[-~]\s*(?P<name>{_WORD_OF_NAME}(?:[ \t]+[A-ZÀ-Ý]{_WORD_OF_NAME})?"
    r"(?:[ \t]+[A-Z]\.)?)[ \t]*(?:[,(/\-—][^\n]{0,30})?[ \t]*$(?![\s\S])"
)
# A sign-off on the message's last line after a full stop: a name, a comma or a bracket and the
# writer's role ("… NBM from midnight. Luke, FY1 ortho bleep 6613", "Sam (pharm)").
_STAFF = (
    r"(?-i:IDE|IADE|AS|SHO|FY1|FY2|CT[1-3]|ST[1-8]|SpR|HCA|RN|ANP)|interne|externe"
    r"|infirmi[èe]re?|aide-soignante?|nurse|doctor|registrar|reg|consultant|sage-femme|midwife"
    r"|physio|kin[ée]|pharmacist|pharm|pharmacien(?:ne)?|cadre"
)
_SIGNED_ROLE = re.compile(
    rf"(?:^|(?<=[.!?])[ \t]+)(?P<name>[^\W\d_][\w'’-]+(?:[ \t]+[A-ZÀ-Ý][\w'’-]*\.?)?)[ \t]*"
    rf"[,(][ \t]*(?i:{_STAFF})(?![\w])[^\n.!?]{{0,40}}$(?![\s\S])",
    re.MULTILINE,
)
# A name alone on a line of its own after the message, maybe with a role ("Marc, anesth").
_SIGNATURE_LINE = re.compile(
    r"\n[ \t]*(?P<name>(?:[A-Z]\.\s?)?[A-ZÀ-Ý][\w'’-]+(?:[ \t]+[A-ZÀ-Ý][\w'’-]+)?"
    r"(?:[ \t]+[A-Z]\.)?)[ \t]*"  # "Nadia B."
    r"(?:[,(/-][^\n]{0,30})?[ \t]*(?=\n|$)"
)
_ROLE_NAME = re.compile(
    rf"(?<![\w])(?:{_ROLE})(?:\s+(?:de|du|of|named|nomm[ée]e?|appel[ée]e?|called))?\s*:?\s+"
    rf"(?P<name>(?-i:(?:{_PARTICLE})?[A-ZÀ-Ý][\w'’-]+(?:\s+(?:{_PARTICLE})?[A-ZÀ-Ý][\w'’-]+)?))",
    re.IGNORECASE,
)
# Chat drops the capitals: after a person word (or "p'tit", "little"), a known first name in any
# case ("baby isla", "le p'tit enzo"); only names of the first-name list that are no word.
_ROLE_FIRST_NAME = re.compile(
    rf"(?<![\w])(?:{_ROLE}|p['’]?tite?|petite?|little|son)\s*,?\s+(?P<name>[^\W\d_][\w'’-]+)"
    r"(?![\w])",
    re.IGNORECASE,
)
# Named in so many words: "elle s'appelle lea", "name is edith", "il s appelle yann le gall".
_NAMED = re.compile(
    r"(?<![\w])(?:s['’ ]?appell?e(?:nt)?|(?:his|her|their|the|son|sa) (?:first |last |sur)?name is"
    r"|name is|(?:is|was|are|were|'s) (?:called|named)|goes by|known as|pr[ée]nomm[ée]e?)\s+"
    rf"(?P<name>[^\W\d_][\w'’-]+(?:\s+(?:{_PARTICLE})?[^\W\d_][\w'’-]+){{0,2}})",
    re.IGNORECASE,
)
# What follows "s'appelle" or "called" in a question, not a name: "il s'appelle comment ?".
_NOT_NAMED = frozenset("comment quoi comme ca how what which whatever so ainsi aussi".split())
# A relative's name in brackets, after the relative or before: "Tél fille (Sarah)",
# "la fille de mr petit (claire)", "Ade(nephew)".
_ROLE_BRACKETS = re.compile(
    rf"(?<![\w])(?:{_ROLE})(?![\w])[^()\n]{{0,25}}\(\s*(?P<name>[^\W\d_][\w'’-]+)\s*\)"
    rf"|(?<![\w])(?P<before>[^\W\d_][\w'’-]+)\s*\(\s*(?:{_ROLE})\s*\)",
    re.IGNORECASE,
)
# Looked for at every word (a lookahead), so "famille de Lucas Bernard" is not read as the
# pair "famille de Lucas".
_PAIR = re.compile(
    rf"(?<![\w'’-])(?=(?P<first>[^\W\d_][\w]+)(?:-[^\W\d_]+)?\s+"
    rf"(?P<last>(?i:{_PARTICLE})?[^\W\d_][\w'’-]+))"
)


# A name after the label that says it is one: "NAME:WARD, LUCAS", "nom d'usage Kowalski",
# "nom de naissance Nowak", "patient name: jones".
_NAME_LABEL = re.compile(
    # a compound label, with or without a colon
    r"(?<![\w])(?:(?:(?:patient|full|first|last|family|maiden)\s+name|surname|forename"
    r"|nom\s+(?:d['’]usage|de\s+naissance|de\s+jeune\s+fille|marital|du\s+patient|et\s+pr[ée]nom))"
    r"(?![\w])\s*[:=\-]?"
    # a bare one, with its colon
    r"|(?:name|nom|pr[ée]nom)\s*[:=])\s*"
    r"(?P<name>[^\W\d_][\w'’-]+(?:,?\s+(?-i:[A-ZÀ-Ý])[\w'’-]+)?)",  # "nom d'usage X, nom…"
    re.IGNORECASE,
)
_PLACEHOLDER_OR_DIGIT = re.compile(r"[<>\d]")
# "Okonkwo, Chidi", "WARD, LUCAS": a surname, a comma, a known first name.
_SURNAME_COMMA_FIRST = re.compile(
    r"(?<![\w'’-])(?P<name>[A-ZÀ-Ý][\w'’-]+,\s*(?P<first>[A-ZÀ-Ý][\w'’-]+))(?![\w'’-])"
)
# "Patel's INR", "Cook's digoxin level": a capitalised name word owning something.
_POSSESSIVE = re.compile(
    r"(?<![\w'’-])(?<!St )(?<!Saint )"  # not St John's wort
    r"(?P<name>[A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)?)['’]s\b"
)
# "this is Claire", "it's Beth on 7A", "je suis Nadia de l'HDJ": the writer says who they are.
_SELF = re.compile(
    r"(?<![\w])(?:this is|it['’]s|it is|here['’]s|my name is|c['’]est|ici|je suis|moi c['’]est|"
    r"je m['’]appelle)\s+(?P<name>[A-ZÀ-Ý][a-zà-ÿ'’-]+)(?![\w'’-])"
)
# "DURAND Marie", "HUGHES Daniel": the surname in capitals before a known first name, as
# hospital records write them.
_SURNAME_FIRST = re.compile(
    r"(?<![\w'’-])(?P<name>[A-ZÀ-Ý]{3,}(?:[-'’ ][A-ZÀ-Ý]{2,})?\s+(?P<first>[A-ZÀ-Ý][a-zà-ÿ]+"
    r"(?:-[A-ZÀ-Ý][a-zà-ÿ]+)?))(?![\w'’-])"
)
# "Mills in bed 7", "Dupont du lit 12", "Baker from bay 1": a capitalised word that is no common
# word, right before the bed it lies in.
_NAME_IN_BED = re.compile(
    r"(?<![\w'’-])(?P<name>[A-ZÀ-Ý][\w'’-]+)\s+(?:in|au|du|de\s+la|en|from|dans\s+le)\s+"
    r"(?:bed|lit|chambre|box|bay|side\s+room|room|cubicle|cot|berceau|couveuse|incubator)\s*\d",
    re.IGNORECASE,
)


# What owns things in a ward that is not a patient: a disease named after someone (its "'s"
# is the disease's), a body or a guideline ("Crohn's", "NICE's" is in capitals anyway).
_NOT_OWNERS = frozenset(
    "parkinson alzheimer crohn cushing addison hodgkin graves hashimoto huntington raynaud "
    "wilson bell down turner marfan tourette meniere paget sjogren still conn kaposi barrett "
    "kawasaki bright osgood perthes dupuytren baker munchausen asperger wernicke korsakoff "
    "charcot duchenne tay sachs burkitt ewing wilms hirschsprung pott reiter behcet "
    "trust hospital ward unit team doctor nurse patient today yesterday tomorrow "
    "xmas christmas noel easter paques toussaint".split()
)


# A capitalised word where chat puts a patient: after "chez", "pour", "taking"… ("pour
# Garcia j'ai mis les antibios en pause", "taking Haddad back to AMU"), or heading the message
# before its verb ("Moreau a bien dormi", "Thompson fell again"). Only a word that is no common
# word, no eponym and nothing the understanding lexicon knows (a medicine, an abbreviation: "pour
# Doliprane", "Augmentin est…").
_AFTER_PLACE_WORD = re.compile(
    # (not "for", "with": "National Institute for Health and Care Excellence", except after a
    # ward task: "Referral for Hughes", "bloods for Patel")
    r"(?<![\w'’])(?:chez|pour|avec|taking|including|voir|see|swap|move|moved|transfer|"
    r"(?:referral|review|bloods|tto|ttos|discharge|scan|obs|meds|consent|handover) for|"
    r"transf[ée]rer|les)\s+(?P<name>[A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)?)(?![\w'’-])"
)
# Chat drops the capitals: "question pour bouvier lit 19", "see jones bed 4": a word between
# "for"/"see" and a bed number is the patient's name.
_FOR_BED = re.compile(
    r"(?<![\w'’])(?:chez|pour|voir|see|re:?)\s+(?P<name>[^\W\d_][\w'’-]+)\s+"
    r"(?:bed|lit|chambre|ch\.?|box|bay|room|cubicle)\s*\d",
    re.IGNORECASE,
)
_HEADING_SUBJECT = re.compile(
    r"(?:^|(?<=[\n.!?]))\s*(?P<name>[A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)?)\s+"
    r"(?:a|est|va|fait|refuse|veut|demande|dit|has|is|was|fell|keeps|wants|needs|refuses|"
    r"refused|says|said|went|had|will|can|did|didn't|won't|isn't|hasn't)\b"
)


def _known_term(word: str) -> bool:
    """Whether the understanding lexicon knows the word (a medicine, an abbreviation, a
    clinical term): then it is no patient's name."""
    from core.lexicon import default_lexicon  # here: the lexicon's own module reads this one

    return bool(default_lexicon().exact(fold(word)))


def _is_name_word(word: str) -> bool:
    """A word that can be a name: not a common word of either language, not an acronym of
    three letters or fewer (TA, INR, IDE, HAS), not a placeholder."""
    core = fold(word.strip(".'’-"))
    if not core or core in COMMON_WORDS or "<" in word or any(c.isdigit() for c in word):
        return False
    return not (word.isupper() and len(word) <= 3 and "." not in word)


_PARTICLE_WORDS = frozenset(
    "de du des la le van von der den da di del della ben el al mac st saint".split()
)


def _name_span(
    m: re.Match[str], text: str, group: str = "name", titled: bool = False
) -> Finding | None:
    """The name group of a match without the common words that end it ("Mme Durand est…");
    None if it starts with one ("Mme a…"). A lower-case word after the first one is kept only
    after a known first name ("mme marie durand", not "mr smith says"); a possessive ends the
    name ("Mr Ahmed's Tazocin"). `titled`: right after a civility, where a short surname in
    capitals is a name, not an acronym ("Mrs NG", "M. LI")."""
    start = m.start(group)
    kept: list[re.Match[str]] = []
    named: list[re.Match[str]] = []  # the words kept as names, not as initials or particles
    names = 0
    tokens = list(re.finditer(r"\S+", m[group]))
    for i, w in enumerate(tokens):
        token = w.group().rstrip(",;:.!?)")
        # "Ben" alone is a first name, "ben Ali" a particle before the surname
        particle = token.lower() in _PARTICLE_WORDS and not (
            i == len(tokens) - 1 and token[:1].isupper() and is_first_name(token)
        )
        if re.fullmatch(r"[A-Za-z]\.?", token) or particle:
            kept.append(w)  # an initial or a particle before the surname
            continue
        short_surname = titled and i == 0 and token.isalpha() and token.isupper()
        short_surname = short_surname and fold(token) not in COMMON_WORDS and not _known_term(token)
        if not _is_name_word(token) and not short_surname:
            break
        if names and not token[:1].isupper() and not is_first_name(kept[-1].group()):
            break
        kept.append(w)
        named.append(w)
        names += 1
        if re.search(r"['’]s$", token):
            break  # "Ahmed's": what follows is his, not his name
    while kept and kept[-1] not in named and (kept[-1].group().lower() in _PARTICLE_WORDS
                    or re.fullmatch(r"[A-Za-z]\.?", kept[-1].group())):  # fmt: skip
        kept.pop()
    if not names or not kept:
        return None
    end = start + kept[-1].end()
    while end > start and text[end - 1] in ",;:.!?)":
        end -= 1
    if re.search(r"\w['’]s$", text[start:end]):
        end -= 2
    return Finding("NOM", start + kept[0].start(), end)


def _names(text: str) -> list[Finding]:
    found = []
    patterns = (_CIVILITY_NAME, _BARE_M, _SIGNATURE, _SIGNATURE_LINE, _ROLE_NAME, _DASH_SIGNATURE)
    for pattern in patterns:
        for m in pattern.finditer(text):
            group = "lower" if m.groupdict().get("lower") else "name"
            if pattern is _SIGNATURE_LINE and not _signs(m["name"]):
                continue
            if pattern is _DASH_SIGNATURE and not is_first_name(m["name"].split()[0]):
                continue
            first = m[group].split()[0]
            if pattern is _SIGNATURE and not (first[0].isupper() or is_first_name(first)):
                continue
            if pattern is _SIGNATURE and _known_term(first):
                continue  # "— COPD, 28% venturi"
            if pattern is _ROLE_NAME and first.isupper() and len(first) <= 4:
                continue  # "patient BPCO", "patiente VIH+": an acronym, not "DUPONT"
            finding = _name_span(m, text, group, titled=pattern is _CIVILITY_NAME)
            if finding is not None:
                found.append(finding)
    for m in _NAME_LABEL.finditer(text):  # labelled a name: a name, even "WARD, LUCAS"
        if not _PLACEHOLDER_OR_DIGIT.search(m["name"]):
            found.append(Finding("NOM", m.start("name"), m.end("name")))
    for m in _SIGNED_ROLE.finditer(text):
        first = m["name"].split()[0]
        if (
            _is_name_word(first)
            and (first[0].isupper() or is_first_name(first))
            and not _known_term(first)
            and not re.fullmatch(_SIGN_OFF, first, re.IGNORECASE)  # "Cdlt, IDE de nuit"
        ):
            found.append(Finding("NOM", m.start("name"), m.end("name")))
    for m in _SURNAME_COMMA_FIRST.finditer(text):
        surname = m["name"].split(",")[0]
        signs_off = re.fullmatch(_SIGN_OFF, surname, re.IGNORECASE)  # "Rgds, Ben"
        if is_first_name(m["first"]) and _is_name_word(surname) and not signs_off:
            found.append(Finding("NOM", m.start("name"), m.end("name")))
    for m in _POSSESSIVE.finditer(text):
        if _is_name_word(m["name"]) and fold(m["name"]) not in _NOT_OWNERS:
            found.append(Finding("NOM", m.start("name"), m.end("name")))
    for m in _SELF.finditer(text):
        if _is_name_word(m["name"]) and (is_first_name(m["name"]) or m["name"][0].isupper()):
            found.append(Finding("NOM", m.start("name"), m.end("name")))
    for pattern in (_AFTER_PLACE_WORD, _HEADING_SUBJECT):
        for m in pattern.finditer(text):
            word = m["name"]
            if (
                _is_name_word(word)
                and fold(word) not in _NOT_OWNERS
                and not re.fullmatch(_CIVILITY, word)
                and not _known_term(word)
            ):
                found.append(Finding("NOM", m.start("name"), m.end("name")))
    for m in _SURNAME_FIRST.finditer(text):
        surname = m["name"][: m.start("first") - m.start("name")].strip()
        if is_first_name(m["first"]) and all(
            _is_name_word(w) for w in re.split(r"[-'’ ]", surname)
        ):
            found.append(Finding("NOM", m.start("name"), m.end("name")))
    for m in _FOR_BED.finditer(text):
        if _is_name_word(m["name"]) and not _known_term(m["name"]):
            found.append(Finding("NOM", m.start("name"), m.end("name")))
    for m in _NAME_IN_BED.finditer(text):
        if (m["name"][0].isupper() or is_first_name(m["name"])) and _is_name_word(m["name"]):
            found.append(Finding("NOM", m.start("name"), m.end("name")))
    for m in _ROLE_FIRST_NAME.finditer(text):
        if is_first_name(m["name"]) and not _ambiguous(m["name"]):
            found.append(Finding("NOM", m.start("name"), m.end("name")))
    for m in _NAMED.finditer(text):
        words = list(re.finditer(r"\S+", m["name"]))
        kept = 0
        for w in words:
            word = w.group().strip(".,;:!?")
            if word.lower() in _PARTICLE_WORDS or (_is_name_word(word) and not _known_term(word)):
                kept += 1
            else:
                break
        first = fold(words[0].group())
        if kept and first not in _PARTICLE_WORDS and first not in _NOT_NAMED:
            end = m.start("name") + words[kept - 1].end()
            while text[end - 1] in ".,;:!?":
                end -= 1
            found.append(Finding("NOM", m.start("name"), end))
    for m in _ROLE_BRACKETS.finditer(text):
        group = "name" if m["name"] else "before"
        word = m[group]
        capital_or_first = word[0].isupper() or is_first_name(word)  # not "(adulte)"
        if capital_or_first and _is_name_word(word) and not _known_term(word):
            found.append(Finding("NOM", m.start(group), m.end(group)))
    for m in _PAIR.finditer(text):
        first, last = m["first"], m["last"].split()[-1]
        if not is_first_name(first):
            continue
        # After a capitalised first name, a capitalised word is a surname even when it is also
        # a word ("Amira Said", "Grace Turner"); in lower case, only what is no common word.
        capitalised = first[0].isupper() and last[0].isupper()
        if (capitalised and fold(last) not in FUNCTION_WORDS) or (
            _is_name_word(last) and not _ambiguous(first)
        ):
            found.append(Finding("NOM", m.start(), m.end("last")))
    return found


def _signs(line: str) -> bool:
    """A line that signs a message: a known first name, an initial and a name, or two words
    ("Marc", "J. Harrison", "Élodie Martin"; not "Microbiology")."""
    words = line.split()
    return is_first_name(words[0]) or len(words) > 1


_AMBIGUOUS_FIRST_NAMES = frozenset(
    "claire rose grace mark will may june april pat bill frank guy max sue dawn joy hope faith "
    "amber olive penny ray rich prince jack sandy rusty summer autumn iris violet lily ruby "
    "pierre france aurore olivier constance prudence clément clement victoire patience "
    "jade perle blanche colombe marine capucine églantine eglantine océane oceane".split()
)


def _ambiguous(first: str) -> bool:
    return first.lower() in _AMBIGUOUS_FIRST_NAMES


def find(text: str) -> list[Finding]:
    """Every identifier with a shape or a context, overlaps included."""
    names = _names(text)
    births = _births(text, names)
    names += _named_by(text, names, births)
    found = _nir(text) + _hospital_ids(text) + _phones(text)
    found += [Finding("EMAIL", m.start(), m.end()) for m in _EMAIL.finditer(text)]
    found += births + _addresses(text) + names
    return found


# The name words right before a birth date, across a comma, a bracket, a dash or the date's
# label: "Singh, Harpreet (b. 1958-02-27)", "Vidal Élodie, 1987-02-14", "Hughes - D.O.B: …".
_BEFORE_BIRTH = re.compile(
    r"(?<![\w'’-])(?P<place>(?i:in|at|from|to|au|en|dans|à|a|du|de|via|vers)[ \t]+)?"
    r"(?P<name>[A-ZÀ-Ý][\w'’-]+(?:,?[ \t]+[A-ZÀ-Ý][\w'’-]+){0,2})[ \t]*[,(\-–—:]?[ \t]*"
    rf"(?i:(?:{_BIRTH_WORDS})[ \t]*[:.]?[ \t]*(?:(?:le|on)[ \t]+)?)?$"
)
# A second person named with the first: "swap Grace and Kwame", "Mme Roux et Duval".
_AND_NAME = re.compile(r"^[ \t]+(?:and|et|&|or|ou)[ \t]+(?P<name>[A-ZÀ-Ý][\w'’-]+)")


# A person word, a birth word or a word after an elision ("L'enfant, né le …", "Naissance :").
_NOT_BEFORE_BIRTH = re.compile(
    rf"(?:{_ROLE}|{_BIRTH_WORDS}|date|dates|baby|bebe|[a-z]['’].*)", re.IGNORECASE
)


def _named_by(text: str, names: list[Finding], births: list[Finding]) -> list[Finding]:
    """Names known by what is next to them: a birth date after them, a name before "and"."""
    found = []
    for birth in births:
        m = _BEFORE_BIRTH.search(text[max(0, birth.start - 60) : birth.start])
        if not m or m["place"]:
            continue  # "seen in Cardiology, DOB …": a place
        offset = max(0, birth.start - 60)
        words = list(re.finditer(r"[^\s,]+", m["name"]))
        kept = [
            w
            for w in words
            if _is_name_word(w.group())
            and not _known_term(w.group())
            and not re.fullmatch(_CIVILITY, w.group())
            and not _NOT_BEFORE_BIRTH.fullmatch(fold(w.group()))
        ]
        if kept and kept[-1] is words[-1] and words[-1].group()[0].isupper():
            first = next(w for w in words if w in kept)  # the name words that end at the date
            found.append(Finding("NOM", offset + m.start("name") + first.start(),
                                 offset + m.start("name") + words[-1].end()))  # fmt: skip
    for name in names:
        m = _AND_NAME.match(text[name.end :])
        if (
            m
            and _is_name_word(m["name"])
            and not _known_term(m["name"])
            and not re.fullmatch(_CIVILITY, m["name"])  # "Mr X and Mrs Y": Y is found by its own
        ):
            found.append(Finding("NOM", name.end + m.start("name"), name.end + m.end("name")))
    return found
