"""Recall and precision of identifier redaction per kind, and the look-alikes kept, on a
labelled set (tests/data/README-privacy.md describes the format).

Usage: python bench/privacy_eval.py [PATH] [--split dev|test|all] [--batch TEXT] [--patterns-only]
       [--misses]
An identifier counts as caught when its value no longer appears in the redacted text and a
finding overlaps it ("typed": a finding of its own kind); a finding counts as right when it
overlaps a labelled identifier of its kind. A look-alike is kept when it is still in the
redacted text, whole.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.privacy import Redactor, apply, merge

DATA = Path(__file__).parent.parent / "tests" / "data" / "identifiers.jsonl"


@dataclass
class Scores:
    gold: Counter[str] = field(default_factory=Counter)
    caught: Counter[str] = field(default_factory=Counter)
    typed: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    right: Counter[str] = field(default_factory=Counter)
    by_language: Counter[tuple[str, str]] = field(default_factory=Counter)
    caught_by_language: Counter[tuple[str, str]] = field(default_factory=Counter)
    kept: int = 0
    look_alikes: int = 0
    misses: list[str] = field(default_factory=list)

    def recall(self, kind: str | None = None) -> float:
        gold = self.gold[kind] if kind else sum(self.gold.values())
        caught = self.caught[kind] if kind else sum(self.caught.values())
        return caught / gold if gold else 1.0

    def retention(self) -> float:
        return self.kept / self.look_alikes if self.look_alikes else 1.0


def load(path: Path, split: str = "all") -> list[dict[str, Any]]:
    items = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [item for item in items if split == "all" or item.get("split", "dev") == split]


async def evaluate(redactor: Redactor, items: list[dict[str, Any]]) -> Scores:
    scores = Scores()
    for item in items:
        text, language = item["text"], item["language"]
        chosen = merge(await redactor.findings(text, language))
        redacted = apply(text, chosen).text
        spans = []
        for entity in item["entities"]:
            start = text.index(entity["value"])
            spans.append((entity["type"], start, start + len(entity["value"])))
        for kind, start, end in spans:
            scores.gold[kind] += 1
            scores.by_language[(kind, language)] += 1
            overlapping = [f for f in chosen if f.start < end and start < f.end]
            if overlapping and text[start:end] not in redacted:
                scores.caught[kind] += 1
                scores.caught_by_language[(kind, language)] += 1
                scores.typed[kind] += any(f.kind == kind for f in overlapping)
            else:
                scores.misses.append(f"{item['id']} missed {kind} {text[start:end]!r}")
        for f in chosen:
            scores.found[f.kind] += 1
            hit = any(k == f.kind and f.start < e and s < f.end for k, s, e in spans)
            scores.right[f.kind] += hit
            if not hit:
                scores.misses.append(
                    f"{item['id']} wrongly took {f.kind} {text[f.start : f.end]!r}"
                )
        scores.look_alikes += len(item["keep"])
        for value in item["keep"]:
            if value in redacted:
                scores.kept += 1
            else:
                scores.misses.append(f"{item['id']} destroyed look-alike {value!r}: {redacted!r}")
    return scores


def table(scores: Scores) -> str:
    lines = [
        "| kind | labelled | recall | typed right | precision | recall fr | recall en |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in sorted(scores.gold):
        precision = scores.right[kind] / scores.found[kind] if scores.found[kind] else 1.0
        per_language = [
            f"{scores.caught_by_language[(kind, lang)] / scores.by_language[(kind, lang)]:.3f}"
            if scores.by_language[(kind, lang)]
            else "—"
            for lang in ("fr", "en")
        ]
        typed = scores.typed[kind] / scores.gold[kind]
        lines.append(
            f"| {kind} | {scores.gold[kind]} | {scores.recall(kind):.3f} | {typed:.3f} "
            f"| {precision:.3f} | {' | '.join(per_language)} |"
        )
    found, right = sum(scores.found.values()), sum(scores.right.values())
    lines.append(
        f"| **all** | {sum(scores.gold.values())} | {scores.recall():.3f} | "
        f"{sum(scores.typed.values()) / max(1, sum(scores.gold.values())):.3f} | "
        f"{right / found if found else 1.0:.3f} | | |"
    )
    lines.append(
        f"\nlook-alikes kept: {scores.kept} of {scores.look_alikes} ({scores.retention():.3f})"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", nargs="?", type=Path, default=DATA)
    parser.add_argument("--split", choices=["dev", "test", "all"], default="all")
    parser.add_argument("--batch", help="only the messages whose `batch` contains this text")
    parser.add_argument("--patterns-only", action="store_true")
    parser.add_argument("--misses", action="store_true", help="list each miss and false finding")
    args = parser.parse_args()
    if args.patterns_only:
        redactor = Redactor()
    else:
        from adapters.privacy.spacy_names import SpacyNames
        from bots.logs import configure_logging

        configure_logging()
        redactor = Redactor(SpacyNames())
    items = load(args.path, args.split)
    if args.batch:
        items = [item for item in items if args.batch in item.get("batch", "")]
    scores = asyncio.run(evaluate(redactor, items))
    batch = f", batch '{args.batch}'" if args.batch else ""
    print(f"{args.path.name}, split {args.split}{batch}: {len(items)} messages\n")
    print(table(scores))
    if args.misses:
        print("\n" + "\n".join(scores.misses))


if __name__ == "__main__":
    main()
