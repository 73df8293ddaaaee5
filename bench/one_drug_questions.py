"""Questions on one drug of the interaction thesaurus, through the whole pipeline.

Usage: python bench/one_drug_questions.py [--data ../shared/data] [--show 0]
Imports the whole ANSM interaction thesaurus as `medgpt ingest --source ansm-interactions`
does, into a throw-away embedded database (local embedder, the default generator), then asks
"Quelles interactions avec X ?" for each drug or class X that a pair declares, in two groups:
those whose name holds another declared subject ("insuline asparte" holds "insuline"), and as
many others drawn at random. Reports, per group, the share answered, the share answered with a
first source that declares X, and the share of abstentions that say no source covers the drugs
"together" (the question read as naming two drugs); --show N prints the first line of the
reply to the first N questions of each group left unanswered.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.sources import ansm
from bench.data import SUBSTANCES, THESAURUS, add_data_argument, require
from bench.database import throwaway_data_dir
from bots.settings import load_settings
from bots.wiring import build_app
from core.models import ConversationId, IncomingMessage, Outcome, Platform, UserId
from core.text import subject_tokens

TOGETHER = "ne traitent pas ensemble"  # the abstention for subjects no source covers together


def holds(name: tuple[str, ...], other: tuple[str, ...]) -> bool:
    """Whether a subject's words hold another subject's, one after the other."""
    width = len(other)
    return width < len(name) and any(
        name[i : i + width] == other for i in range(len(name) - width + 1)
    )


async def run(data: Path, show: int) -> None:
    records = list(ansm.read_thesaurus(data / THESAURUS, data / SUBSTANCES))
    declared = {
        doc.meta.title: {subject_tokens(s) for s in doc.meta.subjects}
        for record in records
        for doc in record.documents
    }
    spelling = {
        subject_tokens(s): s.lower()
        for record in records
        for doc in record.documents
        for s in doc.meta.subjects
    }
    nested = sorted(t for t in spelling if any(holds(t, o) for o in spelling))
    rng = random.Random(3)  # the same drugs every run
    others = rng.sample(sorted(set(spelling) - set(nested)), len(nested))
    async with build_app(load_settings()) as app:
        report = await app.ingestor().ingest(iter(records))
        print(f"{report.passages:,} passages of {len(records):,} pairs indexed\n")
        print("| drugs asked about | questions | answered | first source declares it |", end="")
        print(" abstained as two drugs |")
        print("|---|---|---|---|---|")
        shown: list[str] = []
        for group, drugs in (("name holds another subject", nested), ("the others", others)):
            answered = right = together = 0
            unanswered = []
            for drug in drugs:
                question = f"Quelles interactions avec {spelling[drug]} ?"
                reply = await app.pipeline.answer(
                    IncomingMessage(
                        question, Platform.CONSOLE, ConversationId("bench"), UserId("bench")
                    )
                )
                if reply.outcome is Outcome.ANSWERED:
                    answered += 1
                    right += drug in declared.get(reply.sources[0].title, set())
                else:
                    together += TOGETHER in reply.text
                    unanswered.append(f"{question} -> {reply.text.splitlines()[0]}")
            n = len(drugs)
            print(f"| {group} | {n} | {answered / n:.3f} | {right / n:.3f} | {together / n:.3f} |")
            shown.extend(unanswered[:show])
        print("", *shown, sep="\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    add_data_argument(parser)
    parser.add_argument("--show", type=int, default=0)
    args = parser.parse_args()
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("EMBEDDINGS_URL", None)
    with throwaway_data_dir("medgpt-one-drug-bench-"):
        asyncio.run(run(require(args.data, THESAURUS, SUBSTANCES), args.show))


if __name__ == "__main__":
    main()
