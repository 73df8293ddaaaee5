"""Decide whether retrieved passages are strong enough to answer from (pure).

Two signals, because neither is enough alone: the embedding similarity (strong for English with
the default English model, weak for French) and how much of the question the passage holds.
"How much" is weighed, not counted: a question's words do not matter alike. A word that everyday
language rarely uses (a medicine, "KARDEGIC", "fluindione", a clinical term) is what the question
is about, and a passage that lacks it hardly answers it ("le SMR de KARDEGIC" shares every other
word with the opinions on other medicines); a word of everyday talk ("combien", "garder", "ce
soir", "genou") is how clinicians write, and a passage that lacks it may still answer. A word the
passage lacks but other passages of the corpus hold weighs more again: the question is about what
those passages say (another indication, another population), not about this one.
Nor do the signals see which words name a drug: "Peut-on associer amiodarone et simvastatine ?"
shares two words of three with the thesaurus's amiodarone + fluconazole pair. So a question that
names subjects of the corpus (the medicines and substances its documents declare) is answered only
from documents about every one of them, or from documents that declare no subjects.
The thresholds and weights are calibrated on a labelled dev split of chat-style questions and
checked on its test split (docs/quality.md); abstaining is always preferred to improvising.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

from core.models import Language, Passage
from core.text import (
    content_words,
    fold,
    keywords,
    split_sentences,
    states_dose,
    subject_words,
    units_stated,
)

# The levels of the ANSM interaction thesaurus, gravest first, as its documents' headlines name
# them (accents folded): of two interactions that answer one question (a combination such as
# Bactrim, whose trimethoprim and sulfamethoxazole each have their pair with methotrexate), the
# one a prescriber must obey is the gravest.
GRAVEST_FIRST = (
    "contre-indication",
    "association deconseillee",
    "precaution d'emploi",
    "a prendre en compte",
)

# Zipf scale: log10 of a word's frequency per billion words of everyday language ("the" is 7.7;
# a word seen once in ten million words is 2). A word everyday language never uses is 0.
EVERYDAY_CEILING = 7.0


@dataclass(frozen=True, slots=True)
class EvidencePolicy:
    # Calibrated on the chat-style dev split (docs/quality.md); min_coverage 0.6 did better
    # there, but refused the thesaurus's plain pair questions (test_sources).
    # A passage supports an answer when its embedding is very close to the question's...
    min_similarity: float = 0.7
    # ...or when it holds enough of the question's content words, weighed, and is not far off.
    min_coverage: float = 0.5
    min_similarity_with_coverage: float = 0.15
    min_passages: int = 1
    # A content word weighs this, plus how rare it is in everyday language (0 for the commonest
    # words, 1 for words everyday language never uses).
    word_floor: float = 1.0
    # A word the passage lacks that other passages of the corpus hold weighs this many times more.
    elsewhere_factor: float = 2.0
    # A question word rarer than this in everyday language (Zipf) names what the question is
    # about (a medicine, a condition, a lab test): when the passages lack it, the bot names it
    # to the asker (a typo, or a medicine the corpus lacks).
    rare_zipf: float = 3.0
    # A passage of a document that declares its subjects supports only questions whose named
    # subjects it is about (all of them); False: subjects are not checked.
    named_subjects: bool = True
    # A follow-up in a thread ("et chez l'enfant ?") is read with the question it follows, whose
    # words the note found holds: what the follow-up itself asks must be held too, at least
    # this much of it, weighed (chosen on the chat-style dev split: 0.2 for the near misses
    # refused, 0.35 for the answered follow-ups; docs/quality.md).
    min_followup_coverage: float = 0.3
    # A question asking a dose of a medicine it names is answered only from a document where
    # one sentence (read with the one before it and the title) names it and states an amount in
    # a unit of dose: "argatroban infusion dose?" is not answered from the sentence that only
    # lists argatroban among the anticoagulants to start, nor from a delay in hours.
    dose_named: bool = True


@dataclass(frozen=True, slots=True)
class Uniform:
    """A vocabulary for which every word is as common as the words of a clinical question tend
    to be (Zipf 4): words weigh alike and none is taken for what the question is about. For
    tests of other behaviours; the bots use adapters.vocabulary."""

    zipf: float = 4.0

    async def everyday(self, words: Collection[str], language: Language) -> dict[str, float]:
        return dict.fromkeys(words, self.zipf)


@dataclass(frozen=True, slots=True)
class WordWeights:
    """What the question's content words weigh (by key, core.text.content_words): how rare each
    is in everyday language (Zipf), and how many passages of the corpus hold those that the
    passages found lack (absent: held by a passage found)."""

    everyday: Mapping[str, float] = field(default_factory=dict)  # absent: never used, 0
    held: Mapping[str, int] = field(default_factory=dict)
    # The medicines the question names (core.understand), each as the ways a passage may name
    # it (each way: its keywords): a passage that names one of them in none of its ways does not
    # answer, however close ("le SMR de KARDEGIC" is not answered from the opinion on TAHOR).
    medicines: tuple[tuple[frozenset[str], ...], ...] = ()
    # Every understood term (an abbreviation, a brand…) the same way: a passage that names it
    # in any of its ways holds it ("AVK" is held by a passage on "antivitamines K").
    terms: tuple[tuple[frozenset[str], ...], ...] = ()
    # A clinical term and its translation (core/lexicon/glossary.tsv): a passage holds it when
    # it holds every word of one of its ways ("kaliémie" by a note on "potassium"), never half
    # of them ("jus de pamplemousse" is not held by a note that says "jus" only).
    translations: tuple[tuple[frozenset[str], ...], ...] = ()
    # The populations the question names (a child, pregnancy, breastfeeding: Lexicon.
    # populations_named), the same way: a document that names one in none of its ways does not
    # answer ("amoxicilline pendant l'allaitement" is not answered from its adult dosing).
    populations: tuple[tuple[frozenset[str], ...], ...] = ()
    # The units the question asks an amount in (core.text.units_asked), each as its forms: a
    # document that states nothing in one of them does not answer ("combien de L/min d'O2 ?"
    # is not answered from a target saturation in %).
    units: tuple[frozenset[str], ...] = ()
    # A follow-up's own words (keys), when the question is read with the one it follows: a
    # passage must hold enough of them (EvidencePolicy.min_followup_coverage).
    followup: frozenset[str] = frozenset()
    # Whether the question asks a dose (core.text.asks_dose): then a medicine it names must
    # have its dose stated (EvidencePolicy.dose_named).
    dose: bool = False

    def without(self, keys: Collection[str]) -> WordWeights:
        """The same, where the medicines named by any of `keys` are not required."""
        kept = tuple(m for m in self.medicines if not any(way & set(keys) for way in m))
        return replace(self, medicines=kept)

    def weight(self, key: str, policy: EvidencePolicy) -> float:
        zipf = min(max(self.everyday.get(key, 0.0), 0.0), EVERYDAY_CEILING)
        return policy.word_floor + 1.0 - zipf / EVERYDAY_CEILING

    def rare(self, key: str, policy: EvidencePolicy) -> bool:
        """Whether everyday language rarely uses the word: it names what the question is about."""
        return self.everyday.get(key, 0.0) < policy.rare_zipf

    def elsewhere(self, key: str) -> bool:
        """Whether some passage of the corpus holds the word (a passage found, or another)."""
        return self.held.get(key, 1) > 0


def coverage(
    question: str,
    passage: Passage,
    policy: EvidencePolicy,
    weights: WordWeights | None = None,
    found: Collection[str] | None = None,
    only: Collection[str] | None = None,
) -> float:
    """Share of the question's content words, weighed (WordWeights), that the passage, its
    section or its title holds (a term it names another way counts as held, and so does an
    expansion the question was read with when the passage holds half its words or more:
    "type 2 diabetes mellitus" by a note on "type 2 diabetes"); without weights, every word
    weighs the same. `found`: the keywords to read instead of the passage's own (its
    document's passages found, document_keywords); `only`: those of the question's words."""
    wanted = keywords(question)
    if only is not None:
        wanted &= set(only)
    if not wanted:
        return 0.0
    weights = weights or WordWeights()
    found = passage_keywords(passage) if found is None else found
    named = set()
    # An understood term the passage does not name weighs as the one word the asker wrote, not
    # as each word of its expansion: "SMUR" read as "structure mobile d'urgence et de
    # réanimation" is one word of the question, not five.
    terms: list[set[str]] = []
    for ways in (*weights.medicines, *weights.terms, *weights.populations):
        if names_all(found, (ways,)):
            named |= {key for way in ways for key in way}
            continue
        for way in ways:  # the way the question was read, mostly held
            mostly = 2 * sum(holds(found, key) for key in way) >= len(way)
            if len(way) >= 2 and way <= wanted and mostly:
                named |= way
        terms.append({key for way in ways for key in way} & wanted)
    for ways in weights.translations:
        if names_all(found, (ways,)):
            named |= {key for way in ways for key in way}
    groups: list[set[str]] = []
    for keys in terms:
        keys -= named | set().union(*groups)
        if len(keys) >= 2:
            groups.append(keys)
    grouped = set().union(*groups)
    held = weight = 0.0
    for keys in [*({key} for key in wanted - grouped), *groups]:
        base = max(weights.weight(key, policy) for key in keys)
        share = sum(key in named or holds(found, key) for key in keys) / len(keys)
        far = any(weights.elsewhere(key) for key in keys)
        held += base * share
        weight += base * (share + (1 - share) * (policy.elsewhere_factor if far else 1.0))
    return held / weight


def names_all(found: Collection[str], medicines: Sequence[Sequence[frozenset[str]]]) -> bool:
    """Whether a text's keywords name every medicine, each in one of its ways."""
    return all(any(all(holds(found, k) for k in way) for way in ways) for ways in medicines)


def holds(found: Collection[str], key: str) -> bool:
    """Whether a text's keywords hold a question's word: "max" is in "maximale"."""
    return any(known.startswith(key) for known in found)


def unmatched_words(question: str, passages: Sequence[Passage]) -> dict[str, str]:
    """The question's content words (by key, as spelled in the question) that none of the
    passages holds: the corpus is then asked whether it holds them at all."""
    found = set().union(*(passage_keywords(p) for p in passages))
    return {key: word for key, word in content_words(question).items() if not holds(found, key)}


def unknown_words(
    question: str,
    weights: WordWeights,
    policy: EvidencePolicy,
    written: Collection[str] | None = None,
) -> list[str]:
    """The question's words, as spelled, that no passage of the corpus holds and everyday
    language rarely uses: a typo, or a medicine the corpus lacks; named to the asker. `written`:
    the keywords the asker wrote, the only ones named (not a word that reading a brand as its
    substance brought in: "recombinant" is nobody's typo)."""
    return [
        word
        for key, word in content_words(question).items()
        if (written is None or key in written)
        and not weights.elsewhere(key)
        and weights.rare(key, policy)
    ]


def supporting(
    question: str,
    passages: Sequence[Passage],
    policy: EvidencePolicy,
    weights: WordWeights | None = None,
    named: Collection[frozenset[str]] = (),
    pair: bool = False,
) -> list[Passage]:
    """The passages that pass the policy, best first; empty means abstain. `weights`: what the
    question's words weigh; `named`: the corpus's subjects that the question names, each as its
    words (core.text.subject_words); `pair`: they name two medicines or more (not a brand and
    its substance), and a document about all of them answers what is asked of them."""
    # For a pair, the documents declared about it, when there are some: they say what the pair
    # does and at what level, where a note on one of the drugs may only mention the other.
    strong = [p for p in passages if pair and _on_the_pair(p, named, policy)]
    if not strong:
        held = document_keywords(passages)
        stated = document_units(passages, weights.units if weights else ())
        strong = [
            p
            for p in passages
            if _supports(question, p, policy, weights, held[p.document_id])
            and (not policy.named_subjects or is_about(p, named))
            and all(unit & stated[p.document_id] for unit in (weights.units if weights else ()))
            and _dose_stated(p, passages, policy, weights)
        ]
    # Those that hold more of the question first, in the search's order otherwise: an
    # abbreviation's expansion can rank the passage that answers below its note's others. For
    # a pair, the gravest interaction declared about it first (gravity).
    strong.sort(
        key=lambda p: (
            gravity(p) if pair else 0,
            -round(coverage(question, p, policy, weights), 2),
        )
    )
    return strong if len(strong) >= policy.min_passages else []


def gravity(passage: Passage) -> int:
    """How grave the interaction a passage's document states is: 0 for a contraindication, up
    to len(GRAVEST_FIRST) for a document whose headline names no level of the thesaurus (the
    gravest when it names several)."""
    headline = fold(passage.document.headline or "")
    levels = [rank for rank, level in enumerate(GRAVEST_FIRST) if level in headline]
    return min(levels, default=len(GRAVEST_FIRST))


def is_about(passage: Passage, named: Collection[frozenset[str]]) -> bool:
    """Whether the passage's document is about every named subject: one of its subjects holds
    all the subject's words ("chlorhydrate de metformine" is about "metformine"). A document
    that declares no subjects is not held to it."""
    declared = passage.document.sided_subjects()
    if not named or not declared:
        return True
    held = [(subject_words(subject), side) for subject, side in declared]
    # The sides of the document's subjects that hold each named subject's words.
    covering = [{side for words, side in held if subject <= words} for subject in named]
    if not all(covering):
        return False
    if len(covering) < 2 or not any(side for _, side in held):
        return True
    # A document about two sides (an interaction) is about two drugs together when each is on
    # one side: not both on the same one ("SUBSTRATS DU CYP3A4 + X" for two substrates).
    first = any(side & 1 for sides_of in covering for side in sides_of)
    second = any(side & 2 for sides_of in covering for side in sides_of)
    return first and second


def _on_the_pair(
    passage: Passage, named: Collection[frozenset[str]], policy: EvidencePolicy
) -> bool:
    """Whether the passage's document declares itself about every one of the subjects
    the question names (an interaction of the thesaurus for "Xarelto et Rifadine, ça pose
    problème ?"): that is what the question asks, whatever else it says of the patient ("pour
    une infection urinaire"), unless the passage is far off."""
    return (
        policy.named_subjects
        and len(named) >= 2
        and bool(passage.document.subjects)
        and is_about(passage, named)
        and passage.similarity >= policy.min_similarity_with_coverage
    )


def passage_keywords(passage: Passage) -> frozenset[str]:
    """Content words of a passage, its section and its title."""
    return _passage_keywords(passage.document.title, passage.section_path, passage.text)


# The checks read each passage found several times a question, and the same passages for many
# questions: read once, a warm answer takes 61-76 ms median instead of 69-78 (with `fold`'s
# ASCII shortcut; CHANGELOG, bench/answer_latency.py).
@functools.lru_cache(maxsize=8192)
def _passage_keywords(title: str, section_path: tuple[str, ...], text: str) -> frozenset[str]:
    return frozenset(keywords(" ".join((title, *section_path, text))))


def document_keywords(passages: Sequence[Passage]) -> dict[int, set[str]]:
    """For each document of the passages found, the content words of its passages among them:
    a note answers with what its paragraphs say together ("hypoglycémie sévère chez un
    diabétique inconscient : glucagon ?" is defined in one paragraph, treated in the next)."""
    held: dict[int, set[str]] = {}
    for passage in passages:
        held.setdefault(passage.document_id, set()).update(passage_keywords(passage))
    return held


def _dose_stated(
    passage: Passage,
    passages: Sequence[Passage],
    policy: EvidencePolicy,
    weights: WordWeights | None,
) -> bool:
    """Whether, for a question asking a dose of the medicines it names, the passage's document
    (its passages found) has a sentence naming each with a dose, read with the sentence before
    it and the note's title and section ("La posologie est de 60 mg/kg/jour" after the sentence
    naming the paracetamol, or in the note "Paracétamol : posologie")."""
    if not (policy.dose_named and weights and weights.dose and weights.medicines):
        return True
    read = [
        (" ".join((p.document.title, *p.section_path)), split_sentences(p.text))
        for p in passages
        if p.document_id == passage.document_id
    ]
    for medicine in weights.medicines:
        if not any(
            states_dose(sentence)
            and names_all(
                keywords(f"{heading} {sentences[at - 1] if at else ''} {sentence}"), (medicine,)
            )
            for heading, sentences in read
            for at, sentence in enumerate(sentences)
        ):
            return False
    return True


def document_units(
    passages: Sequence[Passage], units: Sequence[frozenset[str]]
) -> dict[int, set[str]]:
    """For each document of the passages found, the forms of `units` its passages found state
    (core/lexicon/units.txt), read like document_keywords."""
    stated: dict[int, set[str]] = {}
    for passage in passages:
        text = " ".join((passage.document.title, *passage.section_path, passage.text))
        stated.setdefault(passage.document_id, set()).update(units_stated(text, units))
    return stated


def _supports(
    question: str,
    passage: Passage,
    policy: EvidencePolicy,
    weights: WordWeights | None,
    found: Collection[str],
) -> bool:
    """Whether the passage, read with its document's other passages found (`found`: their
    keywords), supports an answer."""
    weights = weights or WordWeights()
    if not names_all(found, (*weights.medicines, *weights.populations)):
        return False
    if (keywords(question) & weights.followup) and (
        coverage(question, passage, policy, weights, found, weights.followup)
        < policy.min_followup_coverage
    ):
        return False
    if passage.similarity >= policy.min_similarity:
        return True
    return (
        passage.similarity >= policy.min_similarity_with_coverage
        and coverage(question, passage, policy, weights, found) >= policy.min_coverage
    )
