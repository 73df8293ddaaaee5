"""Ingestion: chunk, embed and store documents; idempotent, atomic per document, prunable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field

import structlog

from core.documents import Chunk, ParsedDocument, chunk_document, embedding_text
from core.ports import CorpusWriter, Embedder

log = structlog.get_logger(__name__)

# Passages embedded per model call (512, was 128): the local embedder sorts a call's passages
# by length into batches, so larger calls pad less and leave its workers idle less often at a
# call's end (docs/performance.md).
EMBED_BATCH = 512


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file as read by a parser: its documents, or why it could not be read."""

    path: str
    documents: tuple[ParsedDocument, ...] = ()
    error: str | None = None


@dataclass
class IngestReport:
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    passages: int = 0
    pruned: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


@dataclass
class Ingestor:
    embedder: Embedder
    writer: CorpusWriter
    on_passages: Callable[[int], None] = lambda n: None  # progress callback

    async def ingest(
        self,
        files: Iterable[SourceFile],
        prune_under: Sequence[str] = (),
        retire_under: Sequence[str] = (),
    ) -> IngestReport:
        """Store every readable document; with `prune_under`, delete documents whose file is
        gone; with `retire_under` (official sources), retire those absent from this release."""
        report = IngestReport()
        seen: set[str] = set()
        unreadable: set[str] = set()
        async with self.writer.bulk():
            await self._store(files, report, seen, unreadable)
        if prune_under:
            await self._prune(prune_under, seen, unreadable, report, retire=False)
        if retire_under:
            await self._prune(retire_under, seen, unreadable, report, retire=True)
        log.info(
            "ingest_done",
            added=report.added,
            replaced=report.replaced,
            unchanged=report.unchanged,
            failed=len(report.failed),
            pruned=len(report.pruned),
            passages=report.passages,
        )
        return report

    async def _store(
        self,
        files: Iterable[SourceFile],
        report: IngestReport,
        seen: set[str],
        unreadable: set[str],
    ) -> None:
        """Chunk, embed and write the new and changed documents."""
        pending: list[tuple[ParsedDocument, list[Chunk]]] = []
        budget = self.embedder.chunk_budget()
        # One batch is written while the next is embedded: the model (a thread, or a remote
        # server) and the database work at the same time.
        writing: asyncio.Task[None] | None = None
        try:
            async for doc in self._changed(files, report, seen, unreadable):
                pending.append((doc, chunk_document(doc, budget)))
                if sum(len(chunks) for _, chunks in pending) >= EMBED_BATCH:
                    writing = await self._embed(pending, writing, report)
                    pending = []
            writing = await self._embed(pending, writing, report)
            if writing is not None:
                await writing
        except BaseException as exc:
            # A failure (the model, a file) lets the batch being written finish; a cancelled
            # import stops it, rolling back the document cut short (one transaction each).
            if writing is not None and not writing.done():
                if not isinstance(exc, Exception):
                    writing.cancel()
                await asyncio.gather(writing, return_exceptions=True)
            raise

    async def _changed(
        self,
        files: Iterable[SourceFile],
        report: IngestReport,
        seen: set[str],
        unreadable: set[str],
    ) -> AsyncIterator[ParsedDocument]:
        """Documents that are new or whose content changed; records failures and the rest."""
        for file in files:
            if file.error is not None:
                report.failed.append((file.path, file.error))
                unreadable.add(file.path)
                log.warning("ingest_file_failed", path=file.path, reason=file.error)
                continue
            keys = [d.source_key for d in file.documents]
            seen.update(keys)
            known = await self.writer.known_hashes(keys)
            for doc in file.documents:
                if known.get(doc.source_key) == doc.content_hash:
                    report.unchanged += 1
                    continue
                if doc.source_key in known:
                    report.replaced += 1
                else:
                    report.added += 1
                yield doc

    async def _embed(
        self,
        pending: list[tuple[ParsedDocument, list[Chunk]]],
        writing: asyncio.Task[None] | None,
        report: IngestReport,
    ) -> asyncio.Task[None] | None:
        """Embed a batch while the previous one is written; then start writing this one (a
        failed write stops the import here, before more is written)."""
        texts = [embedding_text(doc, c) for doc, chunks in pending for c in chunks]
        if not texts:
            return writing
        embeddings = await self.embedder.embed(texts)
        if writing is not None:
            await writing
        return asyncio.create_task(self._write(pending, embeddings, report))

    async def _write(
        self,
        pending: list[tuple[ParsedDocument, list[Chunk]]],
        embeddings: list[list[float]],
        report: IngestReport,
    ) -> None:
        offset = 0
        for doc, chunks in pending:
            await self.writer.replace_document(
                doc, chunks, embeddings[offset : offset + len(chunks)]
            )
            offset += len(chunks)
        report.passages += offset
        self.on_passages(offset)

    async def _prune(
        self,
        prefixes: Sequence[str],
        seen: set[str],
        unreadable: set[str],
        report: IngestReport,
        retire: bool,
    ) -> None:
        # A file that exists but failed to parse keeps its previous documents: nothing is lost.
        stored = await self.writer.source_keys_under(prefixes)
        gone = [k for k in stored if k not in seen and k.split("#", 1)[0] not in unreadable]
        if gone and retire:
            await self.writer.retire_documents(gone)
        elif gone:
            await self.writer.delete_documents(gone)
        report.pruned = sorted(gone)
