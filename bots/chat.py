"""What every chat bot shares: its short messages and the per-user question rate limit."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from core.models import Language

MAX_TURNS = 5  # earlier turns of a thread carried into a follow-up

TEXTS: dict[str, dict[Language, str]] = {
    "refused": {
        "fr": "Désolé, je ne suis pas autorisé à répondre dans cet espace.",
        "en": "Sorry, I am not allowed to answer here.",
    },
    "rate": {
        "fr": "Vous avez posé beaucoup de questions en peu de temps : réessayez dans une minute.",
        "en": "You have asked many questions in a short time: please try again in a minute.",
    },
    "failed": {
        "fr": "Désolé, une erreur m'a empêché de répondre. Votre question a été enregistrée.",
        "en": "Sorry, an error prevented me from answering. Your question was recorded.",
    },
    "status": {
        "fr": "cherche dans les sources validées…",
        "en": "is searching the validated sources…",
    },
    "working": {
        "fr": "Recherche dans les sources validées…",
        "en": "Searching the validated sources…",
    },
    "thanks": {
        "fr": "Merci, votre retour est enregistré.",
        "en": "Thank you, your feedback is recorded.",
    },
}


@dataclass
class RateLimit:
    """At most `per_minute` questions per user over a sliding minute (per process)."""

    per_minute: int
    clock: Callable[[], float] = time.monotonic
    _recent: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def exceeded(self, user: str) -> bool:
        """True when the user is over the limit; otherwise counts this question."""
        now = self.clock()
        recent = self._recent[user]
        while recent and now - recent[0] > 60:
            recent.popleft()
        if len(recent) >= self.per_minute:
            return True
        recent.append(now)
        return False
