"""Patient identifiers out of everything downstream (pure): find them, replace them with typed
placeholders (<NOM>, <NIR>…) so the question still reads, and say which types were removed.

Shapes and contexts are in core/identifiers.py (NIR with or without a valid key, hospital and
NHS numbers, phone numbers, e-mail addresses, dates of birth, postal addresses, names after a
civility, a role or a sign-off); names without either come from a NameFinder port (spaCy's
French entity recogniser, in adapters), kept only where they look like a person's name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from core import identifiers
from core.identifiers import Finding
from core.models import Language
from core.names import COMMON_WORDS, fold

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


class NameFinder(Protocol):
    async def names(self, text: str, language: Language) -> list[tuple[int, int]]:
        """Spans of person names in the text (async: its model may load first, off the loop)."""
        ...


@dataclass(frozen=True, slots=True)
class Redaction:
    text: str
    kinds: tuple[str, ...]  # identifier types removed, sorted


def find_patterns(text: str) -> list[Finding]:
    """Identifiers with a recognisable shape or context (core/identifiers.py)."""
    return identifiers.find(text)


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
        found = self.shaped(text)
        if self.names is not None:
            spans = await self.names.names(text, language)
            found += [Finding("NOM", *span) for s, e in spans if (span := name_within(text, s, e))]
        return found + named_again(text, found)

    def shaped(self, text: str) -> list[Finding]:
        """The identifiers found without the name model: patterns and the hospital's own ids."""
        found = find_patterns(text)
        if self.local_ids is not None:
            found += [Finding("IPP", m.start(), m.end()) for m in self.local_ids.finditer(text)]
        return found

    def left_in(self, text: str, quoted: Sequence[str] = ()) -> list[str]:
        """The kinds of identifier still in a text that should hold none (an audit column), but
        for what it quotes verbatim from `quoted` (the corpus's passages it cites)."""
        return sorted(
            {
                f.kind
                for f in merge(self.shaped(text))
                if not any(text[f.start : f.end] in passage for passage in quoted)
            }
        )


_NAME_TOKEN = re.compile(r"[^\W\d_][\w'’-]+")
_NICKNAME_BEFORE = re.compile(r"(?P<nick>[A-ZÀ-Ý][\w'’-]+)\s*\(\s*$")


def named_again(text: str, found: Sequence[Finding]) -> list[Finding]:
    """A name found once, found wherever else the message writes it ("Ms Petit from bay 1 (yes
    Petit, the French lady)": the second "Petit" has no civility), and the name the patient
    goes by before a name found in brackets ("Maggie (Margaret Ellison)")."""
    again: list[Finding] = []
    words: set[str] = set()
    for finding in found:
        if finding.kind != "NOM":
            continue
        for token in _NAME_TOKEN.findall(text[finding.start : finding.end]):
            word = token.strip(".'’-")
            if len(word) >= 3 and fold(word) not in COMMON_WORDS and word.lower() not in _PARTICLES:
                words.add(word)
        nickname = _NICKNAME_BEFORE.search(text[max(0, finding.start - 40) : finding.start])
        if nickname and fold(nickname["nick"]) not in COMMON_WORDS | EPONYMS:
            offset = max(0, finding.start - 40)
            again.append(
                Finding("NOM", offset + nickname.start("nick"), offset + nickname.end("nick"))
            )
    for word in words:
        pattern = rf"(?<![\w'’-]){re.escape(word)}(?![\w]|-\w)"  # "Okafor's" too
        # A name found capitalised is found again capitalised ("Mr Bell" is not the call bell);
        # one found in lower case, in any case ("mr leblanc … leblanc").
        flags = 0 if word[:1].isupper() else re.IGNORECASE
        again += [
            Finding("NOM", *m.span())
            for m in re.finditer(pattern, text, flags)
            if flags or m.group()[:1].isupper()
        ]
    return again


_DISEASE_WORDS = frozenset("maladie syndrome disease signe sign score maladies".split())
_PARTICLES = frozenset("de du des la le van von der den da di del della of d' o'".split())
_TOKEN = re.compile(r"[^\s,;:()\[\]«»“”\"]+")


def name_within(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The part of a statistical finder's span that looks like a person's name, or None.

    spaCy's French pipeline, which also reads the English questions (no English pipeline is on
    PyPI), tags runs of words that are no names: "her speech is slurred and one side of her",
    "adrénaline IM", "maladie de Parkinson", "g/L". A name in running text is capitalised and is
    not a common word, an acronym or an eponym: keep the longest run of such words, two at least
    (a single word alone is rarely a patient's name without a civility, which the patterns
    catch), particles ("de", "van") allowed between them."""
    best: list[re.Match[str]] = []
    run: list[re.Match[str]] = []
    for token in _TOKEN.finditer(text, start, end):
        if _name_word(token.group()) or (run and token.group().lower() in _PARTICLES):
            run.append(token)
        else:
            run = []
        while run and run[-1].group().lower() in _PARTICLES and run[-1] is not token:
            run.pop()
        if _words(run) > _words(best):
            best = list(run)
    while best and best[-1].group().lower() in _PARTICLES:
        best.pop()
    if _words(best) < 2:
        return None
    words = [_bare(t.group()) for t in best if t.group().lower() not in _PARTICLES]
    if any(w in _DISEASE_WORDS for w in words) or all(w in EPONYMS for w in words):
        return None
    return best[0].start(), best[-1].end()


def _bare(token: str) -> str:
    return fold(token.strip(".'’-").removesuffix("'s").removesuffix("’s"))


def _words(run: list[re.Match[str]]) -> int:
    return sum(t.group().lower() not in _PARTICLES for t in run)


def _name_word(token: str) -> bool:
    """Capitalised (or all capitals, "DUPONT"), letters only, not a common word, not an acronym
    of three letters or fewer (IM, INR, TA), not a unit."""
    word = token.strip(".'’").removesuffix("'s").removesuffix("’s")
    if len(word) < 2 or not word.replace("-", "").replace("'", "").replace("’", "").isalpha():
        return False
    if not word[0].isupper() or (word.isupper() and len(word) <= 3):
        return False
    return _bare(word) not in COMMON_WORDS


def apply(text: str, findings: Iterable[Finding]) -> Redaction:
    """Replace the findings by placeholders (merged where they overlap)."""
    chosen = merge(findings)
    parts, cursor = [], 0
    for finding in chosen:
        parts += [text[cursor : finding.start], PLACEHOLDERS[finding.kind]]
        cursor = finding.end
    parts.append(text[cursor:])
    return Redaction("".join(parts), tuple(sorted({f.kind for f in chosen})))


def merge(findings: Iterable[Finding]) -> list[Finding]:
    """Overlapping findings become one, of the kind of the longest (the first found among
    equals: context before shape), so no end of an identifier is left behind."""
    chosen: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.start, -(f.end - f.start))):
        if chosen and finding.start < chosen[-1].end:
            last = chosen[-1]
            longer = finding if finding.end - finding.start > last.end - last.start else last
            chosen[-1] = Finding(longer.kind, last.start, max(last.end, finding.end))
            continue
        chosen.append(finding)
    return chosen


def has_placeholders(texts: Sequence[str]) -> bool:
    """Whether earlier turns were redacted (the user was told then)."""
    return any(_PLACEHOLDER.search(t) for t in texts)


def scrub(text: str) -> str:
    """The pattern part alone, for log lines (no name model on the logging path)."""
    return apply(text, find_patterns(text)).text


_DIGIT = re.compile(r"\d")


def quotable(word: str) -> bool:
    """Whether a word of the question may be quoted back to the asker: no digit (ids, dates,
    phone numbers are digits), no placeholder, nothing the patterns would take for an
    identifier. A reply names the words the corpus lacks; a patient's number must not be one."""
    if _DIGIT.search(word) or _PLACEHOLDER.search(word) or "@" in word:
        return False
    return not find_patterns(word)
