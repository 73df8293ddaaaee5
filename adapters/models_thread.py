"""The one worker thread where the local models compute: the embedder and the name finder.

Off the event loop, so a bot goes on acknowledging chat events and answering health probes while
they work. One thread, not the loop's shared pool: on few cores, calls from several threads at
once (PyTorch's own threads and spaCy's) fight for the same cores. Under 50 questions at once
this answered faster at the median than the shared pool, with the loop never held more than a
few ms (bench/pipeline_overhead.py, docs/performance.md).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_thread = ThreadPoolExecutor(1, thread_name_prefix="models")


async def compute(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`work(*args, **kwargs)` in the models' thread, after the calls queued before it."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_thread, functools.partial(work, *args, **kwargs))
