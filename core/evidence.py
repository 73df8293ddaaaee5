"""Decide whether retrieved passages are strong enough to answer from (pure).

The thresholds are calibrated on labelled in-domain and out-of-domain questions
(see docs/quality.md); abstaining is always preferred to improvising.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.models import Passage


@dataclass(frozen=True, slots=True)
class EvidencePolicy:
    # A passage supports an answer when its embedding is close enough to the question's...
    min_similarity: float = 0.55
    # ...or when it also matches the question's words and is reasonably close.
    min_similarity_with_text_match: float = 0.35
    min_passages: int = 1


def supporting(passages: Sequence[Passage], policy: EvidencePolicy) -> list[Passage]:
    """The passages that pass the policy, best first; empty means abstain."""
    strong = [p for p in passages if _supports(p, policy)]
    return strong if len(strong) >= policy.min_passages else []


def _supports(passage: Passage, policy: EvidencePolicy) -> bool:
    if passage.similarity >= policy.min_similarity:
        return True
    return passage.text_rank > 0 and passage.similarity >= policy.min_similarity_with_text_match
