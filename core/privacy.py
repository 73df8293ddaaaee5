"""Patient identifiers out of everything downstream (pure): find them, replace them with typed
placeholders (<NOM>, <NIR>…) so the question still reads, and say which types were removed.

The patterns here cover what has a shape (NIR with its control key, phone numbers, e-mail
addresses, dates of birth near an identity word, hospital patient ids, postal addresses, names
after a civility); names without one come from a NameFinder port (Presidio + spaCy in adapters).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from core.models import Language

PLACEHOLDERS = {
    "NOM": "<NOM>",
    "NIR": "<NIR>",
    "TELEPHONE": "<TELEPHONE>",
    "EMAIL": "<EMAIL>",
    "DATE_NAISSANCE": "<DATE_NAISSANCE>",
    "IPP": "<IPP>",
    "ADRESSE": "<ADRESSE>",
}
_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS.values()))


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # a key of PLACEHOLDERS
    start: int
    end: int


class NameFinder(Protocol):
    async def names(self, text: str, language: Language) -> list[tuple[int, int]]:
        """Spans of person names in the text (async: its model may load first, off the loop)."""
        ...


@dataclass(frozen=True, slots=True)
class Redaction:
    text: str
    kinds: tuple[str, ...]  # identifier types removed, sorted


# Sex, year, month, department + commune (2A/2B in Corsica; 3 + 2 digits overseas), order, key.
_NIR = re.compile(
    r"(?<![\dA-Za-z])([12])[ .]?(\d{2})[ .]?(\d{2})[ .]?"
    r"((?:\d{2}|2[AB])[ .]?\d{3}|\d{3}[ .]?\d{2})[ .]?(\d{3})[ .]?(\d{2})(?![\dA-Za-z])",
    re.IGNORECASE,
)
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"(?:\+33\s?|0033\s?|0)[1-9](?:[ .-]?\d{2}){4}"  # French
    r"|\+(?!33)\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}"  # international
    r")(?![\w])"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}"
    r"|\d{1,2}(?:er)? (?:janv|févr|fevr|mars|avr|mai|juin|juil|août|aout|sept|oct|nov|déc|dec)"
    r"[a-zéû.]* \d{4}"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z.]* \d{1,2}(?:st|nd|rd|th)?,? \d{4}"
    r"|\d{1,2}(?:st|nd|rd|th)? (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z.]* \d{4})"
)
_BIRTH = re.compile(
    r"(?:née?s?(?: le)?|date de naissance|ddn|born(?: on)?|date of birth|dob)\s*:?\s*"
    rf"(?P<date>{_DATE})",
    re.IGNORECASE,
)
_IPP = re.compile(
    r"(?:\bIPP|n°\s*(?:de\s+)?patient|patient\s+(?:id|n°|no\.?|number))\s*:?\s*(?P<id>\d{6,10})\b",
    re.IGNORECASE,
)
_STREET = (
    r"(?:rue|avenue|av\.|boulevard|bd|place|chemin|allée|allee|impasse|quai|route|cours|square"
    r"|street|st\.|road|rd\.|lane|avenue|drive|way)"
)
_TOWN = r"[A-ZÀ-Ý][\w'’-]+(?:[ -][A-ZÀ-Ý][\w'’-]+)*"
_POSTAL = (
    rf"(?:,?\s+(?:\d{{5}}\s+{_TOWN}"  # 75011 Paris
    rf"|{_TOWN},?\s+[A-Z]{{1,2}}\d[A-Z\d]?\s?\d[A-Z]{{2}}"  # London NW1 6XE
    rf"|{_TOWN},?\s+[A-Z]{{2}}\s+\d{{5}}))"  # Springfield IL 62704
)
_EN_STREET = (
    r"(?:Street|St\.?|Road|Rd\.?|Lane|Avenue|Ave\.?|Grove|Drive|Way|Close|Place|Court"
    r"|Crescent|Terrace|Gardens|Boulevard|Square|Row|Walk|Hill|Parade)"
)
_ADDRESS = re.compile(
    # French order: "12 rue des Lilas, 75011 Paris"
    rf"\b\d{{1,4}}[A-Za-z]?(?:\s?(?:bis|ter))?,?\s+(?i:{_STREET})\s+[\w'’ -]{{2,40}}?{_POSTAL}"
    # English order: "56 Oak Road, Leeds LS6 2AB"
    rf"|\b\d{{1,4}}[A-Za-z]?\s+(?:[A-Z][\w'’-]*\s+){{1,3}}{_EN_STREET}{_POSTAL}"
)
_CIVILITY_NAME = re.compile(
    r"\b(?:M\.|Mme|Mlle|Monsieur|Madame|Mademoiselle|Mr\.?|Mrs\.?|Ms\.?|Miss)\s+"
    r"(?P<name>[A-ZÀ-Ý][\w'’-]+(?:\s+(?!(?:IPP|NIR|DDN|DOB|NHS|MRN)\b)[A-ZÀ-Ý][\w'’-]+)?)"
)


# "Patiente Inès Benali", "maman de Noah Rey", "his son Tom Harrington": a role, then a name.
_ROLE_NAME = re.compile(
    r"\b(?:patiente?|patient|enfant|fils|fille|mère|mere|père|pere|maman|papa|épouse|epouse"
    r"|mari|conjoint|conjointe|frère|frere|soeur|sœur|wife|husband|son|daughter|mother|father"
    r"|brother|sister|child|partner)(?:\s+(?:de|du|of))?\s+"
    r"(?P<name>[A-ZÀ-Ý][a-zà-ÿ'’-]+\s+(?!(?:IPP|NIR|DDN|DOB)\b)[A-ZÀ-Ý][\w'’-]+)",
    re.IGNORECASE,
)
# Common given names (France, UK, US): a known first name followed by a capitalised word is a
# person even with no civility or role around it ("…, Sarah Collins, on lithium").
FIRST_NAMES = frozenset(
    "jean pierre michel philippe alain nicolas christophe patrick daniel bernard eric frédéric "
    "frederic laurent stéphane stephane david olivier thierry françois francois julien sébastien "
    "sebastien pascal thomas jacques antoine louis paul lucas hugo léo leo gabriel arthur noah "
    "jules adam raphaël raphael ethan nathan théo theo mathis tom maxime alexandre romain "
    "marie nathalie isabelle sylvie catherine françoise francoise martine christine monique "
    "valérie valerie sophie sandrine céline celine julie aurélie aurelie camille léa lea manon "
    "emma chloé chloe inès ines jade louise alice lina rose anna zoé zoe sarah clara lucie "
    "pauline claire anne hélène helene élise elise juliette margaux amira yasmine fatima nadia "
    "leila mohamed ahmed karim mehdi yanis rayan amine youssef omar "
    "john james robert michael william richard joseph charles christopher matthew anthony mark "
    "steven andrew kenneth joshua kevin brian george timothy ronald edward jason jeffrey ryan "
    "jacob gary eric jonathan stephen larry justin scott brandon benjamin samuel frank gregory "
    "alexander patrick jack dennis jerry tyler aaron henry peter harry oliver charlie oscar "
    "mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty "
    "margaret sandra ashley kimberly emily donna michelle carol amanda melissa deborah stephanie "
    "rebecca sharon laura cynthia kathleen amy angela shirley anna brenda pamela emma nicole "
    "helen samantha katherine christine debra rachel carolyn janet catherine maria heather "
    "diane ruth julie olivia joyce virginia victoria kelly lauren christina joan evelyn judith "
    "megan andrea cheryl hannah jacqueline martha gloria teresa ann sara madison frances "
    "kathryn janice jean abigail alice judy sophia grace denise amber doris marilyn danielle "
    "beverly isabella theresa diana natalie brittany charlotte marie kayla alexis lori".split()
)
_FIRST_NAME_PAIR = re.compile(r"\b(?P<first>[A-ZÀ-Ý][a-zà-ÿ]+)\s+(?P<last>[A-ZÀ-Ý][\w'’-]+)")
_CAPITALISED_PAIR = re.compile(r"^[A-ZÀ-Ý][a-zà-ÿ'’-]+\s+[A-ZÀ-Ý][\w'’-]+$")


_NOT_SURNAMES = frozenset({"IPP", "NIR", "DDN", "DOB", "HAS", "ANSM", "SAMU", "CHU"})


def nir_key_is_valid(match: re.Match[str]) -> bool:
    digits = re.sub(r"[ .]", "", "".join(match.groups()[:-1])).upper()
    digits = digits.replace("2A", "19").replace("2B", "18")
    return len(digits) == 13 and 97 - int(digits) % 97 == int(match.groups()[-1])


def find_patterns(text: str) -> list[Finding]:
    """Identifiers with a recognisable shape."""
    found = [Finding("NIR", m.start(), m.end()) for m in _NIR.finditer(text) if nir_key_is_valid(m)]
    found += [Finding("EMAIL", m.start(), m.end()) for m in _EMAIL.finditer(text)]
    found += [Finding("TELEPHONE", m.start(), m.end()) for m in _PHONE.finditer(text)]
    found += [Finding("DATE_NAISSANCE", *m.span("date")) for m in _BIRTH.finditer(text)]
    found += [Finding("IPP", *m.span("id")) for m in _IPP.finditer(text)]
    found += [Finding("ADRESSE", m.start(), m.end()) for m in _ADDRESS.finditer(text)]
    found += [Finding("NOM", *m.span("name")) for m in _CIVILITY_NAME.finditer(text)]
    found += [
        Finding("NOM", *m.span("name"))
        for m in _ROLE_NAME.finditer(text)
        if _CAPITALISED_PAIR.match(m["name"])  # IGNORECASE above is for the role word only
    ]
    found += [
        Finding("NOM", m.start(), m.end())
        for m in _FIRST_NAME_PAIR.finditer(text)
        if m["first"].lower() in FIRST_NAMES and m["last"].upper() not in _NOT_SURNAMES
    ]
    return found


# Diseases and signs named after people are not patients: "maladie de Parkinson" stays.
EPONYMS = frozenset(
    "parkinson alzheimer crohn cushing addison hodgkin basedow graves hashimoto huntington "
    "kawasaki raynaud guillain barré barre willebrand wilson bell down turner marfan tourette "
    "creutzfeldt jakob lyme ménière meniere paget sjögren sjogren still horton behçet behcet "
    "wegener gilbert conn kaposi epstein barr stevens johnson lyell quincke brugada wolff "
    "white glasgow apgar babinski lasègue lasegue murphy mcburney korsakoff wernicke "
    "duchenne charcot bouveret osler hirschsprung fallot".split()
)


@dataclass
class Redactor:
    names: NameFinder | None = None
    # The hospital's own patient-id format (MEDGPT_IPP_PATTERN), on top of "IPP 123456".
    local_ids: re.Pattern[str] | None = None

    async def redact(self, text: str, language: Language) -> Redaction:
        return apply(text, await self.findings(text, language))

    async def findings(self, text: str, language: Language) -> list[Finding]:
        found = find_patterns(text)
        if self.local_ids is not None:
            found += [Finding("IPP", m.start(), m.end()) for m in self.local_ids.finditer(text)]
        if self.names is not None:
            spans = await self.names.names(text, language)
            found += [Finding("NOM", s, e) for s, e in spans if _plausible_name(text[s:e])]
        return found


_DISEASE_WORDS = frozenset("maladie syndrome disease signe sign score".split())


def _plausible_name(span: str) -> bool:
    """A statistical name finder also tags eponyms ("maladie de Parkinson"), units ("g/L") and
    capitalised drugs at the start of a sentence: keep only what looks like a person's name.
    A single word alone is rarely a patient's name without a civility, which the patterns catch."""
    words = [w.strip(".,;:'’()") for w in re.split(r"[\s-]+", span)]
    words = [w.lower().removesuffix("'s").removesuffix("’s") for w in words if w]
    if len(words) < 2 or any(len(w) < 2 or not w.replace("'", "").isalpha() for w in words):
        return False
    if any(w in _DISEASE_WORDS for w in words):
        return False
    return not all(w in EPONYMS or w in {"de", "du", "of"} for w in words)


def apply(text: str, findings: Iterable[Finding]) -> Redaction:
    """Replace the findings (overlaps merged, the earliest and longest first) by placeholders."""
    chosen: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.start, -(f.end - f.start))):
        if chosen and finding.start < chosen[-1].end:
            continue  # overlaps a finding already chosen
        chosen.append(finding)
    parts, cursor = [], 0
    for finding in chosen:
        parts += [text[cursor : finding.start], PLACEHOLDERS[finding.kind]]
        cursor = finding.end
    parts.append(text[cursor:])
    return Redaction("".join(parts), tuple(sorted({f.kind for f in chosen})))


def has_placeholders(texts: Sequence[str]) -> bool:
    """Whether earlier turns were redacted (the user was told then)."""
    return any(_PLACEHOLDER.search(t) for t in texts)


def scrub(text: str) -> str:
    """The pattern part alone, for log lines (no name model on the logging path)."""
    return apply(text, find_patterns(text)).text
