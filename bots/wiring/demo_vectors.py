"""The demo notes' passage vectors, computed once by the packaged embedder and shipped with them.

A first use on a fresh data directory (`ask`, `chat` or `serve`) indexes the demo notes; on 2
cores, embedding their passages took ~7 s of the ~39 s from a bot's start to its first answer
(docs/performance.md). The shipped table holds each passage's vector under the SHA-256 of the
text the model reads, with the identity of the model that made it: a passage edited since, or
another embedder, is embedded as usual. `scripts/demo_vectors.py` writes the table again after
the notes change; a test checks that it covers every passage and matches the model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import structlog

from bots.wiring.documents import demo_corpus_dir, read_files
from core.documents import ChunkBudget, chunk_document, embedding_text
from core.ports import Embedder, EmbedderIdentity

log = structlog.get_logger(__name__)


def table_path() -> Path:
    return Path(str(resources.files("bots") / "demo_corpus" / "vectors.npz"))


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def demo_texts(budget: ChunkBudget) -> Iterator[str]:
    """Each demo passage as the ingestion embeds it."""
    for file in read_files([demo_corpus_dir()], demo=True):
        for doc in file.documents:
            for chunk in chunk_document(doc, budget):
                yield embedding_text(doc, chunk)


def _identity_text(identity: EmbedderIdentity) -> str:
    return f"{identity.model} {identity.dimension} {identity.weights_sha256}"


def read_table(identity: EmbedderIdentity, path: Path | None = None) -> dict[str, np.ndarray]:
    """The shipped vectors by text key; none when they were made by another model (or lost)."""
    path = path or table_path()
    try:
        with np.load(path) as stored:
            made_by = str(stored["identity"])
            keys, vectors = stored["keys"], stored["vectors"]
    except (OSError, KeyError, ValueError) as exc:
        log.warning("demo_vectors_unreadable", path=str(path), reason=str(exc))
        return {}
    if made_by != _identity_text(identity):
        log.info("demo_vectors_other_model", made_by=made_by)
        return {}
    return dict(zip((str(k) for k in keys), vectors, strict=True))


def write_table(
    identity: EmbedderIdentity, texts: Sequence[str], vectors: Sequence[Sequence[float]], path: Path
) -> None:
    np.savez_compressed(
        path,
        identity=np.array(_identity_text(identity)),
        keys=np.array([text_key(t) for t in texts]),
        vectors=np.array(vectors, dtype=np.float32),
    )


@dataclass
class ShippedVectors:
    """An embedder that takes a text's vector from the shipped table when the table holds it,
    and asks the model for the others (in one call, in their order)."""

    embedder: Embedder
    table: dict[str, np.ndarray] = field(repr=False)
    shipped: int = 0  # texts answered from the table, for the log

    @property
    def identity(self) -> EmbedderIdentity:
        return self.embedder.identity

    def chunk_budget(self) -> ChunkBudget:
        return self.embedder.chunk_budget()

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        keys = [text_key(t) for t in texts]
        missing = [t for t, k in zip(texts, keys, strict=True) if k not in self.table]
        computed = iter(await self.embedder.embed(missing) if missing else [])
        self.shipped += len(texts) - len(missing)
        return [self.table[k].tolist() if k in self.table else next(computed) for k in keys]


def with_shipped_vectors(embedder: Embedder) -> ShippedVectors:
    """`embedder`, answering the demo passages from the shipped table."""
    return ShippedVectors(embedder, read_table(embedder.identity))
