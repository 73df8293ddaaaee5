"""Decide whether retrieved passages are strong enough to answer from (pure).

Two signals, because neither is enough alone: the embedding similarity (strong for English with
the default English model, weak for French) and the share of the question's content words that
the passage contains. The thresholds are calibrated on a labelled set of answerable and
unanswerable questions (see docs/quality.md); abstaining is always preferred to improvising.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.models import Passage
from core.text import keywords


@dataclass(frozen=True, slots=True)
class EvidencePolicy:
    # A passage supports an answer when its embedding is very close to the question's...
    min_similarity: float = 0.6
    # ...or when it contains enough of the question's content words and is not far off.
    min_coverage: float = 0.5
    min_similarity_with_coverage: float = 0.15
    min_passages: int = 1


def coverage(question: str, passage: Passage) -> float:
    """Share of the question's content words found in the passage, its section or its title."""
    wanted = keywords(question)
    if not wanted:
        return 0.0
    context = " ".join((passage.document.title, *passage.section_path, passage.text))
    return len(wanted & keywords(context)) / len(wanted)


def supporting(question: str, passages: Sequence[Passage], policy: EvidencePolicy) -> list[Passage]:
    """The passages that pass the policy, best first; empty means abstain."""
    strong = [p for p in passages if _supports(question, p, policy)]
    return strong if len(strong) >= policy.min_passages else []


def _supports(question: str, passage: Passage, policy: EvidencePolicy) -> bool:
    if passage.similarity >= policy.min_similarity:
        return True
    return (
        passage.similarity >= policy.min_similarity_with_coverage
        and coverage(question, passage) >= policy.min_coverage
    )
