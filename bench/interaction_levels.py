"""Does the reply to an interaction question say the pair's level?

Usage: python bench/interaction_levels.py [--data ../shared/data] [--show 3]
For each statement of the ANSM thesaurus (JSON of 2020, with its substance index), asks the
evaluation's question ("Peut-on associer X et Y ?", a substance of a class where a side is one,
as `medgpt eval interactions` draws them) and answers it with the extractive generator (the
embedded default) from that statement's own passages, as if retrieval were perfect: no database,
no model. Counts the replies whose quoted sentences state the level, and those whose reply
states it in the quoted sentences or in the first source's line (the document's headline,
"Interaction : A + B — Contre-indication — ANSM …", where the importer sets one). Chunks are
cut by characters (the importer's budget without the embedder's tokenizer); the thesaurus's
pairs are mostly one passage either way. --show N prints N replies whose quoted sentences lack
the level.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.generators.extractive import ExtractiveGenerator
from adapters.sources import ansm
from bench.data import THESAURUS, add_data_argument, require
from core.documents import chunk_document
from core.models import Passage
from evaluation.public_sets import interaction_cases


async def run(data: Path, show: int) -> None:
    path = data / THESAURUS
    index = ansm.default_index(path)
    records = list(ansm.read_thesaurus(path, index))
    documents = {record.path: record.documents[0] for record in records}
    cases = interaction_cases(records, ansm.class_members(index))
    generator = ExtractiveGenerator()
    quoted = shown = 0
    lacking: list[str] = []
    for case in cases:
        doc = documents[case.gold]
        passages = [
            Passage(n, 1, chunk.text, chunk.section_path, doc.meta, doc.content_hash, 1.0, 0, 0)
            for n, chunk in enumerate(chunk_document(doc), start=1)
        ]
        draft = await generator.generate(case.question, "fr", passages)
        text = draft.text if draft else ""
        level = case.expected_level or ""
        headline = doc.meta.headline or ""
        quoted += level in text
        shown += level in text or level in headline
        if level not in text:
            lacking.append(f"{case.question} ({level})\n{text}")
    print(f"{len(cases)} pair questions, each answered from its own statement")
    print(f"level in the quoted sentences: {quoted} ({quoted / len(cases):.3f})")
    share = shown / len(cases)
    print(f"level in the reply (quoted, or the source line): {shown} ({share:.3f})")
    for reply in lacking[:show]:
        print(f"\n{reply}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_argument(parser)
    parser.add_argument("--show", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(require(args.data, THESAURUS), args.show))


if __name__ == "__main__":
    main()
