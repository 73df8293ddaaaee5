"""A circuit breaker: after repeated failures, fail fast for a while instead of waiting on a
dead server for every question; then let one trial call through."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class CircuitBreaker:
    failures_to_open: int = 3
    cooldown_s: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _failures: int = 0
    _opened_at: float | None = field(default=None)

    def allows(self) -> bool:
        """False while open; after the cool-down one call goes through (half-open)."""
        if self._opened_at is None:
            return True
        if self.clock() - self._opened_at >= self.cooldown_s:
            self._opened_at = None  # half-open: the next outcome decides
            self._failures = self.failures_to_open - 1
            return True
        return False

    def succeeded(self) -> None:
        self._failures = 0
        self._opened_at = None

    def failed(self) -> None:
        self._failures += 1
        if self._failures >= self.failures_to_open:
            self._opened_at = self.clock()

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None
