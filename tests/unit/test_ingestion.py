"""The ingestor's schedule: the model and the database work at the same time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

import pytest

from core import ingestion
from core.documents import Chunk, ChunkBudget, ParsedDocument, Section
from core.errors import StoreError
from core.ingestion import Ingestor, SourceFile
from core.models import DocumentMeta
from core.ports import EmbedderIdentity


def _doc(i: int) -> ParsedDocument:
    meta = DocumentMeta(title=f"Note {i}", publisher="HAS", url=None, language="fr")
    return ParsedDocument(f"n{i}", meta, (Section((), (f"Texte {i}.",)),), f"h{i}")


class _Model:
    identity = EmbedderIdentity("test", 2, None)

    def __init__(self) -> None:
        self.calls = 0
        self.second_call = asyncio.Event()

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls += 1
        if self.calls == 2:
            self.second_call.set()
        return [[1.0, 0.0] for _ in texts]

    def chunk_budget(self) -> ChunkBudget:
        return ChunkBudget()


class _Store:
    """Writing the first batch waits until the model is embedding the second."""

    def __init__(self, model: _Model, fail: bool = False) -> None:
        self.model, self.fail, self.written = model, fail, []

    async def known_hashes(self, source_keys: Sequence[str]) -> dict[str, str]:
        return {}

    async def replace_document(
        self, doc: ParsedDocument, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]
    ) -> None:
        await asyncio.wait_for(self.model.second_call.wait(), 5)
        if self.fail:
            raise StoreError("disk full")
        self.written.append(doc.source_key)

    async def source_keys_under(self, prefixes: Sequence[str]) -> list[str]:
        return []

    async def delete_documents(self, source_keys: Sequence[str]) -> None: ...

    async def retire_documents(self, source_keys: Sequence[str]) -> None: ...

    @contextlib.asynccontextmanager
    async def bulk(self) -> AsyncIterator[None]:
        yield


@pytest.fixture(autouse=True)
def _one_document_per_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingestion, "EMBED_BATCH", 1)


async def test_next_batch_is_embedded_while_one_is_written() -> None:
    """A large import keeps the model busy while the database writes (operator: import time)."""
    model = _Model()
    store = _Store(model)
    files = [SourceFile("f", tuple(_doc(i) for i in range(3)))]
    report = await Ingestor(model, store).ingest(files)
    assert store.written == ["n0", "n1", "n2"]
    assert (report.added, report.passages) == (3, 3)


async def test_failed_write_stops_the_import() -> None:
    """A database failure is raised, not hidden behind the next batches."""
    model = _Model()
    store = _Store(model, fail=True)
    files = [SourceFile("f", tuple(_doc(i) for i in range(5)))]
    with pytest.raises(StoreError, match="disk full"):
        await Ingestor(model, store).ingest(files)
    assert model.calls == 2  # the write of the first batch failed while the second was embedded
