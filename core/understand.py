"""Query understanding (pure): from a redacted chat message to the query that retrieval and the
evidence checks read.

Clinicians write "pt on Coumadin for AF, what INR range do we aim for?", not "INR target of
warfarin in atrial fibrillation". Before the search, this step
- drops redaction placeholders (<NOM>, <IPP>…) and chatter (greetings, thanks, ward context,
  "dame de 80 ans", "je peux", "c'est combien": core/lexicon/chatter.txt), which are never what
  a question asks about;
- expands clinical abbreviations (core/lexicon/abbreviations.tsv), an ambiguous one by the
  sense whose context words the message holds, else by its default senses;
- resolves brand names to their active substances and drug classes to their members
  (core/lexicon/: the BDPM's brands, the ANSM thesaurus's classes, a hand-made list of English
  brands and clipped forms), ignoring case and accents and tolerating one typo.
Each expanded word keeps its spelling beside its meanings: the search reads both ("Coumadin
(warfarine)" finds the notes on warfarin and the BDPM's COUMADINE), while the evidence checks
read one of them, the one the passages found hold (Understood.checked).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from core.identifiers import ID_JOINER, ID_WORDS
from core.models import Language
from core.privacy import PLACEHOLDERS
from core.text import content_words, edits, fold, keywords

# A child's age, written with its number ("a 4 year old", "6 yo", "une fille de 3 ans", "Léo,
# 5 ans,"), names a child as "enfant" does (Lexicon.populations_named): an adult's dose is not
# a child's. A duration is not an age ("depuis plus de 2 ans", "un traitement de 6 ans").
CHILD_BELOW_YEARS = 12
_AGE = re.compile(
    r"\b(?P<en>\d{1,2})\s*-?\s*(?:years?|yrs?)\s*-?\s*old\b"
    r"|\b(?P<yo>\d{1,2})\s*(?:yo|y/o|y\.o\.?)(?![\w/])"
    r"|\baged\s+(?P<aged>\d{1,2})\b"
    r"|(?:\b(?P<before>[^\W\d_]+)\s+)?\bde\s+(?P<de>\d{1,2})\s*ans\b"
    r"|,\s*(?P<comma>\d{1,2})\s*ans\b"
    r"|\b\d{1,2}\s*-?\s*(?:months?|mo)\s*-?\s*old\b",
    re.IGNORECASE,
)
_CHILD = frozenset(keywords("child"))  # the word of populations.txt's child group
_DURATION_WORDS = frozenset(  # folded (core.text.fold)
    "plus moins environ duree delai periode traitement intervalle espace suivi recul cours depuis"
    " pendant".split()
)


def child_age(text: str) -> str | None:
    """The words stating a child's age (under CHILD_BELOW_YEARS), if the text has some."""
    for match in _AGE.finditer(text):
        if match["before"] and fold(match["before"]) in _DURATION_WORDS:
            continue
        years = next((match[g] for g in ("en", "yo", "aged", "de", "comma") if match[g]), None)
        if years is None or int(years) < CHILD_BELOW_YEARS:  # months old: a child
            return match.group(0).strip(" ,")
    return None


# Any age written with its number ("80 ans", "une dame de 80 ans", "a 72-year-old", "aged 84",
# "6 yo", "2 mois"), read as the age group a passage names it by: "dame de 80 ans sous Kardégic,
# Advil ?" is answered by the note's "chez le sujet âgé", "34 ans" by "chez l'adulte". The age
# as written stays one of the ways (Understood.ways): the group is an alternative, never a
# requirement. A duration is not an age ("depuis 2 ans", "for 3 years", "il y a 10 ans").
_ANY_AGE = re.compile(
    r"\b(?P<number>\d{1,3})\s*-?\s*"
    r"(?P<unit>ans?|years?|yrs?|yo|y/o|y\.o\.?|mois|months?|mo)\b(?!/)"
    r"(?:\s*-?\s*old\b)?",
    re.IGNORECASE,
)
# What makes a number of years a duration or an interval, not an age: the word before it
# ("depuis 2 ans", "for 3 years"), the two before it ("il y a 10 ans", "tous les 10 ans"), the
# word after it ("3 years ago"). Folded (core.text.fold).
_DURATION_BEFORE = frozenset(
    "depuis pendant durant pour dans chaque for since over past last every within".split()
)
_INTERVAL_BEFORE = frozenset({("y", "a"), ("tous", "les"), ("toutes", "les"), ("every", "few")})
_DURATION_AFTER = re.compile(r"\s*(?:ago|later|plus tard|après|apres)\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+")
# The age groups, oldest first: (from this age in years, what a passage names the group by).
AGE_GROUPS: tuple[tuple[float, tuple[str, ...]], ...] = (
    (65, ("sujet âgé", "personne âgée", "elderly", "older")),
    (18, ("adulte", "adult")),
    (12, ("adolescent", "adolescents")),
    (2, ("enfant", "child")),
    (0, ("nourrisson", "enfant", "infant", "child")),
)


def ages(text: str) -> list[tuple[int, int, tuple[str, ...]]]:
    """Each age the text states: (start, end of its number and unit, the words naming its
    age group)."""
    found = []
    for match in _ANY_AGE.finditer(text):
        before = [fold(w) for w in _WORD.findall(text[: match.start("number")])[-2:]]
        if (
            (before and before[-1] in _DURATION_BEFORE)
            or tuple(before) in _INTERVAL_BEFORE
            or (len(before) == 2 and before[1] == "de" and before[0] in _DURATION_WORDS)
            or _DURATION_AFTER.match(text, match.end())
        ):
            continue
        unit = fold(match["unit"])
        years = int(match["number"]) / (12 if unit.startswith("mo") else 1)
        if years > 120:
            continue
        group = next(words for since, words in AGE_GROUPS if years >= since)
        found.append((match.start(), match.end(), group))
    return found


# Words: an elided article ("l'", "qu'") on its own, decimals whole, hyphenated words whole,
# a trailing "+" kept ("K+").
_TOKEN = re.compile(r"[^\W\d_]{1,3}['’](?=\w)|\d+(?:[.,]\d+)+|[^\W_]+(?:-[^\W_]+)*\+?")
# A redacted value, with the label that named it ("IPP 123456", "hosp no 123…", "tel : 06…",
# "DOB 3/3/50", "née le 2/3/41"): the label says what was removed, never what is asked ("IPP"
# would read as a proton-pump inhibitor). The labels of hospital numbers are those the
# recogniser reads them by.
_PLACEHOLDER = re.compile(
    rf"(?:\b(?:{ID_WORDS}|NIR|INS|DDN|DOB|tel|tél|phone|e-?mail|n[ée]e?s?\s+le|born(?:\s+on)?"
    rf"|date\s+de\s+naissance|date\s+of\s+birth){ID_JOINER})?"
    rf"(?:{'|'.join(re.escape(p) for p in PLACEHOLDERS.values())})",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
MAX_WORDS = 4  # the longest name looked up, in words ("anti-inflammatoires non stéroïdiens")
TYPO_MIN_LENGTH = 5  # a name this long (letters) is still found with one letter wrong
SUGGESTED_EDITS = 2  # "Vouliez-vous dire … ?": names at most this many edits from a word
MAX_MEMBERS = 12  # a class with more members is searched by its name only
MEDICINES = frozenset({"brand", "substance", "class", "clipped"})  # kinds naming a medicine
# A clinical term read as the same concept in the other language (core/lexicon/glossary.tsv):
# held by a note in either language; neither searched nor announced to the asker (Term.shown).
TERM = "term"
_NOT_MISSPELT = ("abbreviation", TERM)  # a typo is read as a medicine, never as these


@dataclass(frozen=True, slots=True)
class Sense:
    """One meaning of a lexicon entry."""

    meaning: str  # an abbreviation's expansion, a brand's substances ("a + b"), a class member
    language: str = "both"  # fr, en or both
    context: frozenset[str] = frozenset()  # words that choose this sense, as core.text.keywords
    # Matches only a word written in capitals: "TA", "EP" are not the French "ta", "ep".
    capitals: bool = False


@dataclass(frozen=True, slots=True)
class Entry:
    """A lexicon entry: what it is, and each of its senses."""

    written: str
    kind: str  # abbreviation, brand, class, substance
    senses: tuple[Sense, ...]


@dataclass(frozen=True, slots=True)
class Term:
    """A word (or words) of the question as written, with what it was understood to mean."""

    written: str
    meanings: tuple[str, ...] = ()
    kind: str = ""  # the Entry's kind, when understood
    gap: str = " "  # what separates it from the term before, as the question has it
    # An abbreviation or a phrase read as a medicine the lexicon knows ("St John's wort":
    # millepertuis; "NSAID": anti-inflammatoires non stéroïdiens).
    names_medicine: bool = False

    @property
    def shown(self) -> bool:
        """Whether its meanings are searched and shown to the asker (« Compris : … »): not an
        age's group nor a term's translation, only ways a passage may name it, for the
        evidence checks (ages, glossary.tsv)."""
        return bool(self.meanings) and self.kind not in ("age", TERM)


@dataclass(frozen=True, slots=True)
class Understood:
    """The question as understood: its terms in order, and what was left out."""

    terms: tuple[Term, ...]
    dropped: tuple[str, ...] = ()
    tail: str = ""  # what follows the last word ("?")

    @property
    def text(self) -> str:
        """What both search arms read: each term, then its meanings in brackets; the question
        itself, punctuation and all, where nothing was left out or reinterpreted."""
        return _joined(
            (t, f"{t.written} ({' ; '.join(t.meanings)})" if t.shown else t.written)
            for t in self.terms
        ) + (self.tail if self.terms else "")

    @property
    def as_written(self) -> str:
        """The terms kept, as the asker wrote them: the question without its chatter and
        placeholders, nothing reinterpreted."""
        return _joined((t, t.written) for t in self.terms) + (self.tail if self.terms else "")

    @property
    def changes(self) -> tuple[tuple[str, str], ...]:
        """(as written, as understood) for every term given a meaning (not an age's group)."""
        return tuple((t.written, " / ".join(t.meanings)) for t in self.terms if t.shown)

    @property
    def asks(self) -> bool:
        """Whether anything is left to ask about (not only a greeting or thanks)."""
        return bool(content_words(" ".join(t.written for t in self.terms)))

    def checked(self, held: Collection[str]) -> str:
        """What the evidence checks read: each understood term as the one of its spelling and
        meanings that the passages found hold best (`held`: their core.text.keywords), its
        spelling when none is held."""
        return _joined((t, _best(t, held)) for t in self.terms) + (self.tail if self.terms else "")

    def medicines(self, lexicon: Lexicon) -> tuple[tuple[frozenset[str], ...], ...]:
        """ways() of the terms that name a medicine (a brand, a substance, a class)."""
        return self.ways(lexicon, MEDICINES)

    def ways(
        self, lexicon: Lexicon, kinds: Collection[str] | None = None, but: Collection[str] = ()
    ) -> tuple[tuple[frozenset[str], ...], ...]:
        """For each understood term (of `kinds`, if given; not of `but`), the ways a passage may
        name it, each as its keywords (core.text.keywords): as written, its meanings (an
        abbreviation's expansion, a brand's substances, a class's members), and for a medicine
        the classes of its substances ("warfarine" is named by a passage on "antivitamines K")."""
        named = []
        for term in self.terms:
            if (
                (kinds is not None and term.kind not in kinds)
                or term.kind in but
                or not (term.meanings or term.kind in MEDICINES)
            ):
                continue
            names = [term.written, *term.meanings]
            if term.kind in MEDICINES:
                names += [c for name in names for c in lexicon.classes_of(name)]
            ways = tuple(dict.fromkeys(frozenset(keywords(name)) for name in names))
            named.append(tuple(way for way in ways if way))
        return tuple(ways for ways in named if ways)

    def glossed(self, question: str) -> str:
        """The question as asked, followed by the medicines it names as understood (a brand's
        substance), for the generator. Abbreviations are left as asked: their expansions'
        words would steer the choice of sentences away from what was asked ("INR : international
        normalized ratio")."""
        named = [
            (t.written, " / ".join(t.meanings))
            for t in self.terms
            if t.meanings and (t.kind in MEDICINES or t.names_medicine)
        ]
        if not named:
            return question
        return f"{question} ({'; '.join(f'{w} : {m}' for w, m in named)})"


def _best(term: Term, held: Collection[str]) -> str:
    choices = [term.written, *term.meanings]
    scores = [_share(keywords(choice), held) for choice in choices]
    return choices[scores.index(max(scores))]  # the first best: the spelling on a tie


def _share(wanted: set[str], held: Collection[str]) -> float:
    return len(wanted & set(held)) / len(wanted) if wanted else 0.0


def _joined(parts: Iterable[tuple[Term, str]]) -> str:
    """The terms as rendered, each after its gap (none before the first)."""
    text = ""
    for term, rendered in parts:
        text += f"{term.gap if text else ''}{rendered}"
    return text


@dataclass
class Lexicon:
    """Abbreviations, drug names and chatter, looked up by their folded words."""

    entries: Mapping[str, Sequence[Entry]] = field(default_factory=dict)
    chatter: Collection[str] = frozenset()  # folded phrases, numbers as "#"
    common: Collection[str] = frozenset()  # ordinary words, never read as a misspelt name
    # Who a question may be about, when that changes the answer (child, pregnancy…): each group
    # as its words' keys (core.text.content_words).
    populations: Sequence[frozenset[str]] = ()
    # What an amount may be asked in (core/lexicon/units.txt): each unit as its folded forms.
    units: Sequence[frozenset[str]] = ()
    _typos: dict[str, set[str]] | None = field(default=None, init=False, repr=False)
    _classes: dict[str, list[str]] | None = field(default=None, init=False, repr=False)
    _names: dict[str, list[tuple[str, str]]] | None = field(default=None, init=False, repr=False)

    def populations_named(self, question: str) -> tuple[tuple[frozenset[str], ...], ...]:
        """The populations a question names (core/lexicon/populations.txt), each as the ways a
        passage may name it (one word of its group): "femme enceinte" is held by "grossesse";
        a child's age names a child (child_age)."""
        asked = keywords(question) | (_CHILD if child_age(question) else set())
        return tuple(
            tuple(frozenset({key}) for key in sorted(group))
            for group in self.populations
            if any(word.startswith(key) for word in asked for key in group)
        )

    def exact(self, words: str) -> Sequence[Entry]:
        return self.entries.get(words, ())

    def classes_of(self, name: str) -> list[str]:
        """The classes (as written) that list a substance among their members."""
        if self._classes is None:
            found: dict[str, set[str]] = defaultdict(set)
            for entries in self.entries.values():
                for entry in entries:
                    if entry.kind == "class":
                        for sense in entry.senses:
                            found[key_of(sense.meaning)].add(entry.written)
            self._classes = {member: sorted(names) for member, names in found.items()}
        return self._classes.get(key_of(name), [])

    def suggest(self, word: str, limit: int = 3) -> list[str]:
        """The medicines (as written) whose names are closest to a word no source holds, at most
        SUGGESTED_EDITS edits away, same first letter, nearest first: « Vouliez-vous dire … ? »
        for a name misspelt beyond what `near` forgives ("Kardejik": KARDEGIC)."""
        key = key_of(word)
        if len(key) < TYPO_MIN_LENGTH or key in self.common or self.exact(key):
            return []  # a name the lexicon knows is spelt right
        if self._names is None:
            names: dict[str, list[tuple[str, str]]] = defaultdict(list)
            for name, entries in self.entries.items():
                written = [e.written for e in entries if e.kind in MEDICINES]
                if written and len(name) >= TYPO_MIN_LENGTH:
                    names[name[0]].append((name, written[0]))
            self._names = dict(names)
        scored = sorted(
            (distance, as_written)
            for name, as_written in self._names.get(key[0], [])
            if abs(len(name) - len(key)) <= SUGGESTED_EDITS
            and (distance := edits(key, name)) <= SUGGESTED_EDITS
        )
        shown: list[str] = []
        for _, name_as_written in scored:
            if name_as_written.casefold() not in {w.casefold() for w in shown}:
                shown.append(name_as_written)
        return shown[:limit]

    def prepare(self) -> None:
        """Build the index of near spellings now (~0.4 s), not on the first question."""
        if self._typos is None:
            self._typos = _deletion_index(k for k in self.entries if len(k) >= TYPO_MIN_LENGTH)

    def near(self, words: str) -> list[str]:
        """The keys one edit away (a letter wrong, missing, added or two swapped), same first
        letter, for keys of TYPO_MIN_LENGTH letters or more."""
        if len(words) < TYPO_MIN_LENGTH or words in self.common:
            return []
        self.prepare()
        typos = self._typos or {}
        found = set(typos.get(words, ()))
        for variant in _deletions(words):
            found |= typos.get(variant, set())
        return sorted(k for k in found if k[0] == words[0] and _one_edit(words, k))


def build_lexicon(
    entries: Iterable[tuple[str, Entry]],
    chatter: Iterable[str] = (),
    common: Iterable[str] = (),
    populations: Iterable[Iterable[str]] = (),
    units: Iterable[Iterable[str]] = (),
) -> Lexicon:
    """A lexicon from (name, entry) pairs, chatter phrases, ordinary words (those one letter
    away from a name), population groups (each its words) and units (each its forms), as the
    loader reads them."""
    grouped: dict[str, list[Entry]] = defaultdict(list)
    for name, entry in entries:
        key = key_of(name)
        if key:
            grouped[key].append(entry)
    phrases = frozenset(key_of(phrase.replace("{n}", "0"), numbers=True) for phrase in chatter)
    groups = tuple(frozenset(keywords(" ".join(group))) for group in populations)
    return Lexicon(
        dict(grouped),
        phrases - {""},
        frozenset(key_of(word) for word in common),
        tuple(group for group in groups if group),
        tuple(frozenset(fold(form) for form in unit) for unit in units if unit),
    )


def key_of(text: str, numbers: bool = False) -> str:
    """A name's folded words joined by one space ("Anti-vitamines K" -> "anti-vitamines k")."""
    keys = [_key(token, numbers) for token in _TOKEN.findall(text)]
    return " ".join(keys)


def _key(token: str, numbers: bool = False) -> str:
    key = fold(token).replace("’", "'")
    return _DIGITS.sub("#", key) if numbers else key


def understand(question: str, language: Language, lexicon: Lexicon) -> Understood:
    """The question's terms, chatter and placeholders left out, abbreviations and drug names
    given their meanings."""
    cleaned = _PLACEHOLDER.sub("", question)
    spans = [(m.start(), m.end()) for m in _TOKEN.finditer(cleaned)]
    tokens = [cleaned[start:end] for start, end in spans]
    context = frozenset(keywords(question))  # compared with each sense's, as keys
    terms: list[Term] = []
    dropped: list[str] = []
    at, kept_end = 0, 0  # kept_end: where the last term kept ends, 0 after a dropped one
    aged = {start: (end, group) for start, end, group in ages(cleaned)}
    while at < len(tokens):
        term: Term | None
        if spans[at][0] in aged:  # an age: read as its age group too
            end, group = aged[spans[at][0]]
            width, term = sum(1 for s, _ in spans[at:] if s < end), Term("", group, "age")
        else:
            width, term = _read(tokens, at, language, lexicon, context)
        start, end = spans[at][0], spans[at + width - 1][1]
        if term is None:
            dropped.append(cleaned[start:end])
            kept_end = 0
        else:
            gap = _spaced(cleaned[kept_end:start]) if kept_end else " "
            terms.append(replace(term, written=cleaned[start:end], gap=gap))
            kept_end = end
        at += width
    tail = _spaced(cleaned[spans[-1][1] :]).rstrip() if spans else ""
    return Understood(tuple(terms), tuple(dropped), tail)


def _spaced(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _read(
    tokens: Sequence[str],
    at: int,
    language: Language,
    lexicon: Lexicon,
    context: frozenset[str],
) -> tuple[int, Term | None]:
    """How many tokens from `at` make one term (None: chatter to drop), and that term."""
    strict = _entry_at(tokens, at, language, lexicon, context, capitals_only=True)
    if strict is not None:  # "PT" written in capitals is an abbreviation, not chatter
        return strict
    chatter = _chatter_at(tokens, at, lexicon)
    if chatter:
        return chatter, None
    found = _entry_at(tokens, at, language, lexicon, context, capitals_only=False)
    if found is None:
        found = _typo_at(tokens, at, language, lexicon, context)
    if found is None:
        return 1, Term(tokens[at])
    width, term = found
    return width, _as_medicine(_french_spelling(term, lexicon), lexicon)


def _as_medicine(term: Term, lexicon: Lexicon) -> Term:
    """An abbreviation whose meaning is a medicine of the lexicon, marked as naming it."""
    if term.kind != "abbreviation":
        return term
    named = any(
        entry.kind in MEDICINES
        for meaning in term.meanings
        for entry in lexicon.exact(key_of(meaning))
    )
    return replace(term, names_medicine=named)


def _french_spelling(term: Term, lexicon: Lexicon) -> Term:
    """A substance written as its English INN ("simvastatin") or one letter short of its
    French one ("methotrexat"), given its French spelling as meaning: the thesaurus and the
    BDPM name it so, and a pair is found by the names its documents declare."""
    if term.kind != "substance" or term.meanings:
        return term
    french = [
        entry.written
        for entry in lexicon.exact(f"{key_of(term.written)}e")
        if entry.kind == "substance"
    ]
    return replace(term, meanings=(french[0],)) if french else term


def _chatter_at(tokens: Sequence[str], at: int, lexicon: Lexicon) -> int:
    for width in range(min(MAX_WORDS + 1, len(tokens) - at), 0, -1):
        if " ".join(_key(t, numbers=True) for t in tokens[at : at + width]) in lexicon.chatter:
            return width
    return 0


def _entry_at(
    tokens: Sequence[str],
    at: int,
    language: Language,
    lexicon: Lexicon,
    context: frozenset[str],
    capitals_only: bool,
) -> tuple[int, Term] | None:
    for width in range(min(MAX_WORDS, len(tokens) - at), 0, -1):
        written = " ".join(tokens[at : at + width])
        entries = [
            e
            for e in lexicon.exact(" ".join(_key(t) for t in tokens[at : at + width]))
            if _case_fits(e, written, capitals_only)
        ]
        if entries:
            return width, _term(written, entries, language, context)
    return None


def _case_fits(entry: Entry, written: str, capitals_only: bool) -> bool:
    capitals = any(s.capitals for s in entry.senses)
    if capitals:
        return written.isupper()
    return not capitals_only


def _typo_at(
    tokens: Sequence[str],
    at: int,
    language: Language,
    lexicon: Lexicon,
    context: frozenset[str],
) -> tuple[int, Term] | None:
    """A drug name one edit away: only for words the question does not spell as a known
    word of the lexicon, never for a chatter or common word (content_words)."""
    for width in range(min(MAX_WORDS, len(tokens) - at), 0, -1):
        written = " ".join(tokens[at : at + width])
        if not content_words(written) or any(c.isdigit() for c in written):
            continue
        keys = lexicon.near(" ".join(_key(t) for t in tokens[at : at + width]))
        entries = [e for k in keys for e in lexicon.exact(k) if e.kind not in _NOT_MISSPELT]
        if len({key_of(e.written) for e in entries}) == 1:  # "méthotrexate", "methotrexate"
            term = _term(written, entries, language, context)
            if not term.meanings:  # a substance misspelt: its spelling is the meaning
                term = Term(written, (entries[0].written,), entries[0].kind)
            return width, term
    return None


def _term(
    written: str, entries: Sequence[Entry], language: Language, context: frozenset[str]
) -> Term:
    """The meanings of the entries a term matched: an abbreviation's before a drug name's,
    the senses of the question's language, those its other words choose, else the defaults."""
    kind = "abbreviation" if any(e.kind == "abbreviation" for e in entries) else entries[0].kind
    chosen = [e for e in entries if e.kind == kind]
    senses = [s for e in chosen for s in e.senses]
    if kind == "class" and len(senses) > MAX_MEMBERS:
        return Term(written)
    senses = [s for s in senses if s.language in (language, "both")] or senses
    if kind == "abbreviation":
        matching = [s for s in senses if s.context & context]
        senses = matching or [s for s in senses if not s.context] or senses
    # One meaning per name, as first spelt ("méthotrexate" and the thesaurus's "methotrexate").
    firsts: dict[str, str] = {}
    for sense in senses:
        firsts.setdefault(key_of(sense.meaning), sense.meaning)
    meanings = tuple(firsts.values())
    if all(key_of(m) == key_of(written) for m in meanings):
        return Term(written, (), kind)  # a substance written as itself
    return Term(written, meanings, kind)


def _deletions(word: str) -> Iterator[str]:
    return (word[:i] + word[i + 1 :] for i in range(len(word)))


def _deletion_index(keys: Iterable[str]) -> dict[str, set[str]]:
    index: dict[str, set[str]] = defaultdict(set)
    for key in keys:
        index[key].add(key)
        for variant in _deletions(key):
            index[variant].add(key)
    return dict(index)


def _one_edit(a: str, b: str) -> bool:
    """Whether two different strings are one substitution, insertion, deletion or swap of
    neighbours apart."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        i, j = diff[0], diff[-1]
        return len(diff) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
