"""The demo notes' shipped vectors: what a first run indexes without embedding."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from adapters.embedders.local import LocalEmbedder
from bots.wiring.demo_vectors import (
    ShippedVectors,
    demo_texts,
    read_table,
    text_key,
    with_shipped_vectors,
    write_table,
)
from core.documents import ChunkBudget
from core.ports import EmbedderIdentity

STALE = "the demo notes changed: run `python scripts/demo_vectors.py` and commit the result"


async def test_the_shipped_table_holds_every_demo_passage_as_the_model_embeds_it() -> None:
    """A first run searches the notes with the vectors the model would give them (a wrong or
    stale vector would rank a note where its text does not belong)."""
    embedder = LocalEmbedder("fp32")
    texts = list(demo_texts(embedder.chunk_budget()))
    table = read_table(embedder.identity)
    assert len(texts) > 100
    assert [t for t in texts if text_key(t) not in table] == [], STALE
    sample = texts[::9]
    for text, vector in zip(sample, await embedder.embed(sample), strict=True):
        assert float(np.dot(table[text_key(text)], vector)) >= 0.9999, text[:60]


class Recording:
    """An embedder that says which texts it was asked for."""

    identity = EmbedderIdentity("test-model", 2, "abc")

    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.asked.append(list(texts))
        return [[float(len(t)), 0.0] for t in texts]

    def chunk_budget(self) -> ChunkBudget:
        return ChunkBudget()


async def test_only_passages_missing_from_the_table_reach_the_model_and_order_is_kept() -> None:
    """A note edited since the table was written is embedded anew, the others are not."""
    model = Recording()
    shipped = ShippedVectors(model, {text_key("a"): np.array([1.0, 0.0], dtype=np.float32)})
    assert await shipped.embed(["edited note", "a", "new"]) == [[11.0, 0.0], [1.0, 0.0], [3.0, 0.0]]
    assert model.asked == [["edited note", "new"]]
    assert await shipped.embed(["a"]) == [[1.0, 0.0]]
    assert model.asked == [["edited note", "new"]]
    assert shipped.shipped == 2


async def test_vectors_made_by_another_model_are_not_used(tmp_path: Path) -> None:
    """Another embedder (e5, a TEI model) indexes the notes with its own vectors."""
    path = tmp_path / "vectors.npz"
    write_table(Recording.identity, ["a"], [[1.0, 0.0]], path)
    assert set(read_table(Recording.identity, path)) == {text_key("a")}
    other = EmbedderIdentity("test-model", 2, "def")
    assert read_table(other, path) == {}
    assert read_table(Recording.identity, tmp_path / "missing.npz") == {}
    model = Recording()
    assert await with_shipped_vectors(model).embed(["a"]) == [[1.0, 0.0]]  # not this table's
    assert model.asked == [["a"]]
