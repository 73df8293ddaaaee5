"""The documents an import reads: files and folders parsed into SourceFiles, the bundled demo
notes, and the drug names an official source brings for query understanding."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path

import asyncpg

from adapters.parsers import SUPPORTED, parse_file
from adapters.postgres.lexicon import PgLexicon
from core.errors import DocumentError
from core.ingestion import SourceFile

INGEST_ADVICE = (
    "run `medgpt ingest PATH` on your validated documents (or `medgpt ingest --demo` for the"
    " demo notes, not validated for clinical use)"
)
EMPTY_CORPUS = f"the corpus holds no document: {INGEST_ADVICE}"


def demo_corpus_dir() -> Path:
    return Path(str(resources.files("bots") / "demo_corpus" / "notes"))


def read_files(paths: Iterable[Path], demo: bool = False) -> Iterator[SourceFile]:
    """Parse every supported file under the paths; a bad file becomes a SourceFile with an error."""
    for path in _walk(paths):
        key = str(path.resolve())
        if not path.exists():
            yield SourceFile(key, error="no such file or folder")
            continue
        try:
            documents = parse_file(path)
        except DocumentError as exc:
            yield SourceFile(key, error=str(exc))
            continue
        if demo:
            documents = [replace(d, meta=replace(d.meta, is_demo=True)) for d in documents]
        yield SourceFile(key, tuple(documents))


def _walk(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED
            )
        else:
            yield path


async def store_drug_names(pool: asyncpg.Pool, source: str, path: Path, index: Path | None) -> int:
    """After an import of an official source, its drug names (BDPM brands, ANSM classes) for
    query understanding, in place of the previous import's; how many."""
    kind, names = await asyncio.to_thread(_drug_names, source, path, index)
    return await PgLexicon(pool).replace(source, kind, names) if names else 0


def _drug_names(
    source: str, path: Path, index: Path | None
) -> tuple[str, Mapping[str, Sequence[str]]]:
    from adapters.sources import ansm, drug_names

    if source == "bdpm":
        return "brand", drug_names.brands(path)
    if index is None or not index.exists():
        return "class", {}
    return "class", drug_names.classes(ansm.class_members(index))
