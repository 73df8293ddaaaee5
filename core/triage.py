"""Emergency triage, before and independent of retrieval or any model (pure).

A message describing an emergency happening now gets an emergency banner with the numbers; a
knowledge question that merely names the condition ("dose d'adrénaline dans l'anaphylaxie ?") is
not an emergency: clinicians ask those all day. The detector does not list example sentences. It
reads a message as clauses and weighs, for each kind of emergency:

- *events*: words that say it is happening to someone ("ne respire plus", "kill myself",
  "a avalé 30 comprimés", "s'étouffe"): enough, unless the message is a generic question ("que
  faire devant un patient qui ne respire plus ?") with nothing saying it is happening now;
- *conditions*: the condition's name ("anaphylaxie", "AVC", "hémorragie"): an emergency only with
  a cue that it is in progress (en cours, right now, depuis 20 min, au bloc, lit 4, TA 60/30, on
  masse, vite, or someone the writer is with: "ma mère", "my patient");
- *signs* described in plain words (a drooping face, slurred speech, a weak arm; swollen lips,
  hives, wheeze; fast breathing, blue lips; unresponsive with a chest that does not rise): two
  kinds of them in someone, one for a stroke;

the strongest evidence first whatever its kind (an event, then a condition, then signs; a cause
outranks what it does: swelling after a peanut with "respire mal" is an anaphylaxis), and drops
any of these that a negation ("pas de", "no", "denies"; not across "and"), a reassurance
("breathing fine") or a history marker ("antécédent de", "history of", "en 2019", "il y a 3 ans",
"il avait avalé") governs in its clause; signs of a condition the message places in the past are
its sequelae unless something says they began now. Figures of speech ("on crève de chaud",
"bleeding us dry") and clauses whose subject is a thing ("le wifi est mort") are left out before
anything is read. Suicidal intent written in the first person counts even inside a question
("comment me suicider ?"). The words themselves are in core/triage_words.py.

When the words see nothing, a second reader is asked (core/triage_reader.py): a linear model
over character and word n-grams of what the message affirms, and over what the word lists made
of it (`cues`), learnt from the dev split, for the phrasings no list holds ("g plu la force de
continuer", a typo in the condition's name). It names the kind too; it is not asked to overrule
the words, nor about a teaching question with nothing happening now, and what the words read as
denied or past (suicidal thoughts denied in so many words) stays so.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from core import triage_words as words
from core.models import Language
from core.triage_reader import default_reader, folded, scoped


class Emergency(enum.StrEnum):
    # In order of precedence when a message describes several (the crisis line first).
    SUICIDE = "suicide"
    CARDIAC_ARREST = "cardiac_arrest"
    ANAPHYLAXIS = "anaphylaxis"
    OVERDOSE = "overdose"  # overdose or poisoning
    BLEEDING = "bleeding"
    BREATHING = "breathing"
    STROKE = "stroke"


@dataclass(frozen=True, slots=True)
class EmergencyNumbers:
    emergency: str = "15 (SAMU)"
    european: str = "112"
    suicide: str = "3114"
    hospital: str | None = None  # the in-hospital emergency call, where the deployment has one


@dataclass(frozen=True, slots=True)
class Triage:
    """An emergency described by a message, and what it asks besides."""

    kind: Emergency
    question: str  # the message's clauses that ask and do not narrate the emergency; "" if none
    in_crisis: bool  # the writer's own suicidal intent (or nothing asked): the crisis reply only

    def query(self, language: Language) -> str:
        """What to search: the question with the condition's name, else the first steps."""
        if self.question:
            return f"{_NAMES[self.kind][language]} : {self.question}"
        return _FIRST_STEPS[self.kind][language]


def assess(text: str) -> Triage | None:
    """The emergency a message describes, with its question; None for any other message."""
    kind = detect_by_words(text)
    read = kind is None  # seen by the second reader only, if at all
    kind = kind or _read(text)
    if kind is None:
        return None
    clauses = [c.strip() for c in _ASKING_CLAUSE.split(" ".join(text.split())) if c.strip()]
    asks = [c for c in clauses if _ASKS.search(_folded(c))]
    if asks:
        kept = [c for c in clauses if not _narrates(_folded(c))]
        question = ", ".join(kept) if any(_ASKS.search(_folded(c)) for c in kept) else text
    else:
        question = ""
    if _VAGUE.fullmatch(_folded(question)):
        question = ""  # "on fait quoi ?", "what next": the first steps answer it
    # The crisis reply replaces the answer. The second reader mistakes some ordinary statements
    # for suicidal ones (docs/safety.md), so on its word alone only a writer speaking of
    # themself gets it; anyone else gets the banner, 3114 first, over the sourced answer.
    writer = bool(_WRITER.search(_folded(text)))
    crisis = kind is Emergency.SUICIDE and (writer or (not question and not read))
    return Triage(kind, question.strip(), crisis)


def detect(text: str) -> Emergency | None:
    """The emergency a message describes, or None: the word lists first, else the reader."""
    return detect_by_words(text) or _read(text)


def _read(text: str) -> Emergency | None:
    """The emergency the second reader sees, or None. It is not asked about a message that
    keeps nothing once its figures of speech are left out, nor about a teaching or protocol
    question with no cue that anything is happening now ("si un patient ne respire plus, on
    commence par quoi ?"), nor about one whose only emergency the word lists read as denied or
    past: the word lists have read those, and the reader has learnt too few of them to overrule
    that reading."""
    folded = scoped(_folded(text))
    if not folded.strip(" ,.;:!?"):
        return None
    if _generic(folded) and not (words.NOW.search(folded) or words.HERE.search(folded)):
        return None
    found = cues(text)
    # What the word lists read as denied or in the past, with nothing current besides, stays
    # so ("n'a aucune envie de se faire du mal", "stopped breathing once as a baby").
    current = any(cue.startswith(("x:event:", "x:condition:", "x:signs:")) for cue in found)
    if not current and any(cue.startswith(("x:denied-", "x:past-")) for cue in found):
        return None
    # The only emergency the word lists read was in a figure of speech or a clause about a
    # thing: it was the figure ("le serveur a fait un arrêt cardiaque, plus de dossier patient
    # depuis 2h", "my wallet is haemorrhaging").
    if not current and _figurative_only(text):
        return None
    reading = default_reader().read(text, found)
    if not reading.alarm:
        return None
    kind = Emergency(reading.kind)
    if kind is Emergency.SUICIDE and words.SUICIDE_DENIED.search(_folded(text)):
        return None
    return kind


def _figurative_only(text: str) -> bool:
    """Whether the message, read before scoping, names an event or a condition: with nothing
    current once scoped (the caller's test), it named them only in what scoping left out."""
    folded = _folded(text)
    patterns = [*_PATTERNS.values(), *_CONDITION_PATTERNS.values()]
    clauses = [c.strip() for c in _CLAUSE.split(folded) if c.strip()]
    return any(_found(group, c) for group in patterns for c in clauses)


def cues(text: str) -> set[str]:
    """What the word lists make of a message, as features for the second reader: which kinds
    they see as events, conditions or signs (and how many sign groups), in current clauses, in
    clauses about the past, or denied; whether something says "now", whether someone the writer
    is with is named, whether it is a generic or teaching question, whether the writer speaks of
    themself. The reader learns how much each weighs, and with what."""
    folded = scoped(_folded(text))
    clauses = [c.strip() for c in _CLAUSE.split(folded) if c.strip()]
    current = [part for clause in clauses for part in _current(clause)]
    past = [part for clause in clauses for part in _AND.split(clause) if _historic(part)]
    found = {
        "x:now": any(words.NOW.search(c) or words.HERE.search(c) for c in current),
        "x:someone": bool(words.SOMEONE.search(folded)),
        "x:person": any(words.PERSON.search(c) for c in current),
        "x:generic": _generic(folded),
        "x:teaching": bool(words.TEACHING_FRAME.search(folded)),
        "x:writer": bool(_WRITER.search(folded)),
        "x:asks": bool(_ASKS.search(folded)),
        "x:onset": bool(words.ONSET.search(folded)),
        "x:figure": folded != _folded(text).strip(),
        "x:denied": bool(words.SUICIDE_DENIED.search(folded)),
    }
    for kind in Emergency:
        tables = (("event", _PATTERNS[kind]), ("condition", _CONDITION_PATTERNS[kind]))
        for name, patterns in tables:
            found[f"x:{name}:{kind}"] = any(_found(patterns, c) for c in current)
            found[f"x:past-{name}:{kind}"] = any(_found(patterns, c) for c in past)
            found[f"x:denied-{name}:{kind}"] = (
                any(p.search(c) for p in patterns for c in current)
                and not found[f"x:{name}:{kind}"]
            )
        groups = _SIGN_PATTERNS.get(kind, [])
        seen = sum(any(_found([group], c) for c in current) for group in groups)
        found[f"x:signs:{kind}:{min(seen, 3)}"] = seen > 0
        named = sum(any(group.search(c) for c in current) for group in groups)
        found[f"x:denied-signs:{kind}"] = named > seen
    return {name for name, value in found.items() if value}


def detect_by_words(text: str) -> Emergency | None:
    """The emergency the word lists see in a message, or None."""
    folded = scoped(_folded(text))
    if words.FIRST_PERSON_SUICIDE.search(folded):
        return Emergency.SUICIDE  # even as a question: "comment me suicider ?"
    clauses = [c.strip() for c in _CLAUSE.split(folded) if c.strip()]
    current = [part for clause in clauses for part in _current(clause)]
    past = [part for clause in clauses for part in _AND.split(clause) if _historic(part)]
    generic = _generic(folded)
    # Someone the writer is with says "now", except in a question about teaching or protocols.
    now = any(
        words.NOW.search(c) or (not generic and (words.HERE.search(c) or words.SOMEONE.search(c)))
        for c in current
    )
    denied = bool(words.SUICIDE_DENIED.search(folded))
    kinds = [kind for kind in Emergency if not (kind is Emergency.SUICIDE and denied)]
    # The strongest evidence first, whatever its kind: an event, then a condition named with a
    # cue of now, then signs ("vomit du sang, TA 85/50" is a bleeding, not an anaphylaxis whose
    # signs are vomiting and a low pressure).
    for kind in kinds:
        if any(_found(_PATTERNS[kind], c) for c in current) and (now or not generic):
            # A cause outranks what it does: swelling after a peanut and "respire mal" is an
            # anaphylaxis whose sign is the breathing, gasping when unresponsive an arrest.
            if kind is Emergency.BREATHING:
                unresponsive = any(
                    _found(_SIGN_PATTERNS[Emergency.CARDIAC_ARREST][:1], c) for c in current
                )
                if unresponsive and _signs(Emergency.CARDIAC_ARREST, current, now):
                    return Emergency.CARDIAC_ARREST  # gasping and unresponsive: an arrest
                if _signs(Emergency.ANAPHYLAXIS, current, now):
                    return Emergency.ANAPHYLAXIS
            return kind
    if now:
        for kind in kinds:
            if any(_found(_CONDITION_PATTERNS[kind], c) for c in current):
                return kind
    if generic:
        return None
    onset = bool(words.ONSET.search(folded))
    for kind in kinds:
        # Signs of a condition the message places in the past are its sequelae ("a fait un AVC
        # en 2021, il a encore du mal à parler"), unless something says they began just now.
        sequelae = not onset and any(
            _found(_PATTERNS[kind], c) or _found(_CONDITION_PATTERNS[kind], c) for c in past
        )
        if not sequelae and _signs(kind, current, now):
            return kind
    return None


def _generic(folded: str) -> bool:
    """A teaching, protocol or generic question, about no one the writer is with ("what is the
    dose…", not "what do I do, my dad is not breathing")."""
    if words.TEACHING_FRAME.search(folded):
        return True
    return bool(words.QUESTION_FRAME.search(folded)) and not words.SOMEONE.search(folded)


def _signs(kind: Emergency, clauses: list[str], now: bool) -> bool:
    """Whether signs described in plain words in the current clauses make `kind`."""
    groups = _SIGN_PATTERNS.get(kind, [])
    found = [any(_found([group], c) for c in clauses) for group in groups]
    seen = sum(found)
    person = any(words.PERSON.search(c) for c in clauses)
    # One FAST sign (face, arm, speech) is a stroke until proven otherwise, one sign of laboured
    # breathing is distress in a child; elsewhere one sign is too common.
    fast = kind is Emergency.STROKE and any(found[: words.FAST_GROUPS])
    child = kind is Emergency.BREATHING and any(words.CHILD.search(c) for c in clauses)
    needed = 1 if fast or child else 2
    if kind is Emergency.ANAPHYLAXIS and not any(
        f for i, f in enumerate(found) if i not in words.ANAPHYLAXIS_WEAK_GROUPS
    ):
        seen = 0  # a rash after an antibiotic, and nothing else
    # Three kinds of signs together describe someone, whoever they are.
    return seen >= needed and (now or person or seen > needed)


_folded = folded  # the message as both readers see it


def _narrates(clause: str) -> bool:
    """Whether a clause describes the emergency (event, condition, sign or cue of now)."""
    patterns = [*_PATTERNS.values(), *_CONDITION_PATTERNS.values(), *_SIGN_PATTERNS.values()]
    cue = words.NOW.search(clause) or words.HERE.search(clause)
    return bool(cue) or any(_found(group, clause) for group in patterns)


def _current(clause: str) -> list[str]:
    """The clause, or its parts not about the past ("elle a eu une piqûre et respire mal":
    "respire mal")."""
    parts = _AND.split(clause)
    if not any(_historic(part) for part in parts):
        return [clause]
    return [part for part in parts if not _historic(part)]


def _historic(clause: str) -> bool:
    return bool(
        words.HISTORY.search(clause) or (words.PAST.search(clause) and not words.NOW.search(clause))
    )


def _found(patterns: list[re.Pattern[str]], clause: str) -> bool:
    """A pattern matches the clause and no negation governs it (up to 3 words before it, or
    French "ne … plus/pas" around it)."""
    for pattern in patterns:
        for match in pattern.finditer(clause):
            before = clause[: match.start()].split()[-3:]
            # a negation does not reach past "and": "he's not moving and not breathing"
            while any(w in _CONJUNCTIONS for w in before):
                before = before[[w in _CONJUNCTIONS for w in before].index(True) + 1 :]
            after = clause[match.end() :].split()[:2]
            if after[:1] and after[0] in words.COPULAS:
                after = after[1:]  # "his breathing is settled"
            if after and after[0] in words.REASSURING:
                continue  # "breathing fine", "pouls présent"
            if words.NEGATION.search(" ".join(before)):
                continue
            if before[-1:] in (["ne"], ["n'"]) and after[:1] in (["plus"], ["pas"]):
                continue
            if before and before[-1].endswith("n'") and after[:1] in (["plus"], ["pas"]):
                continue
            return True
    return False


_CONJUNCTIONS = frozenset({"et", "and", "ou", "or", "puis", "then"})
_CLAUSE = re.compile(r"[.;:!?,\n]+|\s[-—–]\s|\bmais\b|\bbut\b")
_AND = re.compile(r" et | and ")


def _compiled(table: dict[str, tuple[str, ...]]) -> dict[Emergency, list[re.Pattern[str]]]:
    return {Emergency(kind): [re.compile(p) for p in ps] for kind, ps in table.items()}


# An event is also doing a condition: "il fait une hémorragie", "she is having an asthma attack".
_PATTERNS = _compiled(
    {
        kind: (*phrases, *(f"{words.DOING}(?:{c})" for c in words.CONDITIONS[kind]))
        for kind, phrases in words.EVENTS.items()
    }
)
_CONDITION_PATTERNS = _compiled(words.CONDITIONS)
_SIGN_PATTERNS = _compiled(words.SIGNS)

# A clause that asks something (the "?" stays with its clause).
_ASKING_CLAUSE = re.compile(r"(?<=\?)|[.;:!,\n]+|\s[-—–]\s")
_ASKS = re.compile(
    r"\?|\b(?:quel|quelle|quels|quelles|combien|comment|quand|pourquoi|que faire|faut-il|"
    r"peut-on|dose|posologie|what|how|when|which|should|can we|do we|is it)\b"
)
# A question that asks only what to do now, in any words.
_VAGUE = re.compile(
    r"(?:\b(?:what|whats|what's|now|next|then|do|i|we|you|should|to|the|step|steps|help|please|"
    r"on|fait|fais|faire|quoi|que|qu'est-ce|qu'on|je|j'|il|faut|maintenant|ensuite|svp|stp|"
    r"vite|urgent)\b|[\s?!.,;:'-])*"
)
# The writer speaks of themself.
_WRITER = re.compile(r"\b(?:je|j'|jveux|chuis|moi|i|i'm|i've|im|myself)\b|\bme (?!dit)")
_NAMES: dict[Emergency, dict[Language, str]] = {
    Emergency.SUICIDE: {"fr": "Risque suicidaire", "en": "Suicide risk"},
    Emergency.CARDIAC_ARREST: {"fr": "Arrêt cardiaque", "en": "Cardiac arrest"},
    Emergency.ANAPHYLAXIS: {"fr": "Anaphylaxie", "en": "Anaphylaxis"},
    Emergency.OVERDOSE: {"fr": "Intoxication, surdosage", "en": "Poisoning, overdose"},
    Emergency.BLEEDING: {"fr": "Hémorragie grave", "en": "Major haemorrhage"},
    Emergency.BREATHING: {"fr": "Détresse respiratoire", "en": "Acute breathing difficulty"},
    Emergency.STROKE: {"fr": "AVC", "en": "Stroke"},
}
# Searched when an emergency is described and nothing is asked: the first steps, if the corpus
# holds them (the answer is held to the sources like any other).
_FIRST_STEPS: dict[Emergency, dict[Language, str]] = {
    Emergency.SUICIDE: {
        "fr": "Crise suicidaire : premiers gestes et orientation",
        "en": "Suicidal crisis: first steps and referral",
    },
    Emergency.CARDIAC_ARREST: {
        "fr": "Arrêt cardiaque : compressions thoraciques, défibrillation, adrénaline",
        "en": "Cardiac arrest: chest compressions, defibrillation, adrenaline",
    },
    Emergency.ANAPHYLAXIS: {
        "fr": "Anaphylaxie : adrénaline intramusculaire, position, remplissage",
        "en": "Anaphylaxis: intramuscular adrenaline dose, position, fluids",
    },
    Emergency.OVERDOSE: {
        "fr": "Intoxication, surdosage : premiers gestes, antidote, naloxone",
        "en": "Poisoning, overdose: first steps, antidote, naloxone",
    },
    Emergency.BLEEDING: {
        "fr": "Hémorragie grave : compression, transfusion, acide tranexamique",
        "en": "Major haemorrhage: pressure, transfusion, tranexamic acid",
    },
    Emergency.BREATHING: {
        "fr": "Détresse respiratoire aiguë : oxygène, bronchodilatateur, signes de gravité",
        "en": "Acute breathing difficulty: oxygen, bronchodilator, severity signs",
    },
    Emergency.STROKE: {
        "fr": "AVC : délai de thrombolyse, alerte, imagerie",
        "en": "Stroke: thrombolysis time window, alert, imaging",
    },
}
