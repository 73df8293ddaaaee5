"""Decide whether retrieved passages are strong enough to answer from (pure).

Two signals, because neither is enough alone: the embedding similarity (strong for English with
the default English model, weak for French) and the share of the question's content words that
the passage contains. Neither sees the one word that matters when the corpus has never seen it:
"le SMR de KARDEGIC" shares every other word with the SMR opinions on other medicines. So a
question with a word the corpus does not hold is answered only from a near-duplicate passage.
Nor do they see which words name a drug: "Peut-on associer amiodarone et simvastatine ?" shares
two words of three with the thesaurus's amiodarone + fluconazole pair. So a question that names
subjects of the corpus (the medicines and substances its documents declare) is answered only
from documents about every one of them, or from documents that declare no subjects.
The thresholds are calibrated on labelled answerable and unanswerable questions (see
docs/quality.md); abstaining is always preferred to improvising.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from core.models import Passage
from core.text import content_words, keywords, subject_words


@dataclass(frozen=True, slots=True)
class EvidencePolicy:
    # A passage supports an answer when its embedding is very close to the question's...
    min_similarity: float = 0.6
    # ...or when it contains enough of the question's content words and is not far off.
    min_coverage: float = 0.5
    min_similarity_with_coverage: float = 0.15
    min_passages: int = 1
    # A question word of this many letters or more that no passage of the corpus holds is
    # unknown (shorter ones are often abbreviations that the notes spell out); 0: no such check.
    unknown_word_length: int = 5
    # With an unknown word, a passage supports an answer only when it is this close.
    min_similarity_unknown: float = 0.7
    # A word that no passage found holds, and at most this many passages of the corpus, counts
    # as unknown: the question is about what those few passages name (an absent medicine that
    # another opinion cites as a comparator), not about what was found; 0: only unknown words.
    scarce_word_passages: int = 5
    # ...and at most this share of them: a small corpus holds most of its words in a passage or
    # two (the demo notes), and there it cost right answers.
    scarce_word_share: float = 1 / 2000
    # A passage of a document that declares its subjects supports only questions whose named
    # subjects it is about (all of them); False: subjects are not checked.
    named_subjects: bool = True


def coverage(question: str, passage: Passage) -> float:
    """Share of the question's content words found in the passage, its section or its title."""
    wanted = keywords(question)
    if not wanted:
        return 0.0
    return len(wanted & passage_keywords(passage)) / len(wanted)


def unmatched_words(
    question: str, passages: Sequence[Passage], policy: EvidencePolicy
) -> list[str]:
    """The question's content words, long enough to be checked, that none of the passages holds
    (as spelled in the question): the corpus is then asked whether it knows them at all."""
    if not policy.unknown_word_length:
        return []
    found = set().union(*(passage_keywords(p) for p in passages))
    return [
        word
        for key, word in content_words(question).items()
        if len(word) >= policy.unknown_word_length
        and not any(known.startswith(key) for known in found)  # "max" is in "maximale"
    ]


def supporting(
    question: str,
    passages: Sequence[Passage],
    policy: EvidencePolicy,
    unknown: Collection[str] = (),
    named: Collection[frozenset[str]] = (),
) -> list[Passage]:
    """The passages that pass the policy, best first; empty means abstain. `unknown`: the
    question's words that the corpus does not hold; `named`: the corpus's subjects that the
    question names, each as its words (core.text.subject_words)."""
    strong = [
        p
        for p in passages
        if _supports(question, p, policy, unknown)
        and (not policy.named_subjects or is_about(p, named))
    ]
    return strong if len(strong) >= policy.min_passages else []


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


def passage_keywords(passage: Passage) -> set[str]:
    """Content words of a passage, its section and its title."""
    return keywords(" ".join((passage.document.title, *passage.section_path, passage.text)))


def _supports(
    question: str, passage: Passage, policy: EvidencePolicy, unknown: Collection[str]
) -> bool:
    if unknown:
        return passage.similarity >= policy.min_similarity_unknown
    if passage.similarity >= policy.min_similarity:
        return True
    return (
        passage.similarity >= policy.min_similarity_with_coverage
        and coverage(question, passage) >= policy.min_coverage
    )
