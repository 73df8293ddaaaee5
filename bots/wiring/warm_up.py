"""A long-lived process's warm-up, in the background: its models loaded and the corpus read
into the database server's cache before the first question needs them."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from adapters.postgres.store import PgCorpus, Prewarmed
from bots.settings import Settings
from bots.wiring.models import preload_models

if TYPE_CHECKING:
    from bots.wiring.application import App

log = structlog.get_logger(__name__)


async def warm_up(app: App, models: bool, cache: bool) -> Prewarmed | None:
    """The models and the corpus's cache at once: one is CPU, the other the disk (the cache
    once the first-run indexing, if any, has written the corpus)."""
    loading = preload_models(app.pipeline) if models else asyncio.sleep(0)
    warming = _prewarm_after(app) if cache else asyncio.sleep(0, None)
    _, prewarmed = await asyncio.gather(loading, warming)
    return prewarmed


async def _prewarm_after(app: App) -> Prewarmed | None:
    if app.first_run is not None:
        await asyncio.gather(app.first_run, return_exceptions=True)
    return await prewarm(app.corpus, app.settings)


async def prewarm(corpus: PgCorpus, settings: Settings) -> Prewarmed | None:
    """Questions are answered meanwhile; a failure costs only the warm cache, and nothing
    awaits this task: it says so in the log."""
    try:
        budget = prewarm_budget(settings)
        return await corpus.prewarm(budget) if budget else None
    except Exception as exc:
        log.warning("corpus_prewarm_failed", error=type(exc).__name__, reason=str(exc))
        return None


def prewarm_budget(settings: Settings) -> int:
    """Bytes of the corpus to prewarm: MEDGPT_PREWARM_MB (MiB), else half the memory of this
    machine or of its container (the embedded database's; set the setting for a server
    elsewhere)."""
    if settings.prewarm_mb is not None:
        return settings.prewarm_mb * 2**20
    return _memory_bytes() // 2


def _memory_bytes() -> int:
    """Physical memory, or the container's limit (cgroup v2) where lower; 0 when unknown."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not POSIX
        return 0
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
    except OSError:
        return memory
    return min(memory, int(limit)) if limit.isdigit() else memory
