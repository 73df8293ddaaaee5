"""Cost of finding the subjects a question names (the store's look-up behind
core.pipeline.named_subjects) over the subjects of the whole BDPM release and the whole
interaction thesaurus.

Usage: python bench/subject_lookup.py [--questions 400] [--data ../shared/data]
Writes every document's row and subjects into a throw-away embedded database (no passages: the
look-up reads only those), then times the look-up for questions of the evaluation's two forms,
half each: "Peut-on associer X et Y ?" over thesaurus pairs (a substance of a class where a side
is one, as `medgpt eval interactions` asks them) and "Quel est le service médical rendu par X ?"
over BDPM medicines (the short name).
Reports median and p99 in ms, first by the longest-word index the store uses, then, in the same
run, by a GIN index on the words (the design it replaced).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.postgres.store import PgCorpus
from adapters.sources import ansm, bdpm
from bench.data import BDPM, SUBSTANCES, THESAURUS, add_data_argument, require
from bench.database import throwaway_data_dir
from bots.settings import load_settings
from bots.wiring import build_app
from core.ingestion import SourceFile
from core.text import subject_words
from evaluation.public_sets import interaction_cases

GIN_LOOKUP = (
    "SELECT DISTINCT s.words FROM document_subjects s JOIN documents d ON d.id = s.document_id"
    " WHERE s.words <@ $1::text[] AND d.retired_at IS NULL"
)


def questions(
    pairs: list[SourceFile], medicines: list[SourceFile], index: Path, count: int
) -> list[str]:
    rng = random.Random(5)  # the same questions every run
    cases = interaction_cases(pairs, ansm.class_members(index))
    asked = [case.question for case in rng.sample(cases, count // 2)]
    for record in rng.sample(medicines, count - len(asked)):
        name = bdpm.short_name(record.documents[0].meta.title)
        asked.append(f"Quel est le service médical rendu par {name} ?")
    return asked


async def timed(corpus: PgCorpus, asked: list[str], sql: str | None) -> tuple[float, float, float]:
    """(median ms, p99 ms, subjects named per question); `sql`: another query than the store's."""
    for question in asked[:20]:  # warm the caches
        await corpus.named_subjects(subject_words(question))
    times, named = [], 0
    for question in asked:
        words = subject_words(question)
        started = time.perf_counter()
        if sql is None:
            found = await corpus.named_subjects(words)
        else:
            found = await corpus.pool.fetch(sql, sorted(words))
        times.append((time.perf_counter() - started) * 1000)
        named += len(found)
    p99 = sorted(times)[max(0, round(0.99 * len(times)) - 1)]
    return statistics.median(times), p99, named / len(asked)


async def run(data: Path, count: int) -> None:
    index = data / SUBSTANCES
    pairs = list(ansm.read_thesaurus(data / THESAURUS, index))
    medicines = list(bdpm.read_release(data / BDPM))
    asked = questions(pairs, medicines, index, count)
    async with build_app(load_settings()) as app:
        started = time.perf_counter()
        for record in [*pairs, *medicines]:
            for doc in record.documents:
                await app.corpus.replace_document(doc, [], [])
        written = time.perf_counter() - started
        documents = await app.pool.fetchval("SELECT count(*) FROM documents")
        rows = await app.pool.fetchval("SELECT count(*) FROM document_subjects")
        await app.pool.execute("ANALYZE document_subjects")
        print(f"{documents:,} documents, {rows:,} subjects written in {written:.0f} s;")
        print(f"{len(asked)} questions (half pairs, half medicines)\n")
        print("| look-up | median | p99 | subjects named per question |")
        print("|---|---|---|---|")
        median, p99, named = await timed(app.corpus, asked, None)
        print(f"| longest word, the store's | {median:.2f} ms | {p99:.2f} ms | {named:.2f} |")
        await app.pool.execute("CREATE INDEX bench_words ON document_subjects USING gin (words)")
        await app.pool.execute("ANALYZE document_subjects")
        median, p99, named = await timed(app.corpus, asked, GIN_LOOKUP)
        print(f"| all words (GIN, `<@`) | {median:.2f} ms | {p99:.2f} ms | {named:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=400)
    add_data_argument(parser)
    args = parser.parse_args()
    os.environ.pop("DATABASE_URL", None)
    with throwaway_data_dir("medgpt-subjects-bench-"):
        asyncio.run(run(require(args.data, THESAURUS, SUBSTANCES, BDPM), args.questions))


if __name__ == "__main__":
    main()
