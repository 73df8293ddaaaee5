"""Recall and precision of identifier redaction per type, on the labelled messages.

Usage: python bench/privacy_eval.py [tests/data/pii_messages.jsonl] [--patterns-only]
A labelled identifier counts as caught when a finding of the same type overlaps it and its value
no longer appears in the redacted text; a finding counts as right when it overlaps a labelled
identifier of its type. "look-alikes destroyed" counts doses, lab values and other dates that
the redaction removed although they had to stay.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter
from pathlib import Path

from core.privacy import Redactor, apply

DATA = Path(__file__).parent.parent / "tests" / "data" / "pii_messages.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", nargs="?", type=Path, default=DATA)
    parser.add_argument("--patterns-only", action="store_true")
    args = parser.parse_args()
    if args.patterns_only:
        redactor = Redactor()
    else:
        from adapters.privacy.presidio import PresidioNames
        from bots.logs import configure_logging

        configure_logging()
        redactor = Redactor(PresidioNames())
    gold, caught, found, right = Counter(), Counter(), Counter(), Counter()
    by_language: Counter[tuple[str, str]] = Counter()
    caught_by_language: Counter[tuple[str, str]] = Counter()
    destroyed = kept_total = 0
    for line in args.path.read_text().splitlines():
        item = json.loads(line)
        text, language = item["text"], item["language"]
        chosen = asyncio.run(redactor.findings(text, language))
        redacted = apply(text, chosen).text
        spans = [
            (e["type"], text.index(e["value"]), text.index(e["value"]) + len(e["value"]))
            for e in item["entities"]
        ]
        for kind, start, end in spans:
            gold[kind] += 1
            by_language[(kind, language)] += 1
            hit = any(f.kind == kind and f.start < end and start < f.end for f in chosen)
            if hit and text[start:end] not in redacted:
                caught[kind] += 1
                caught_by_language[(kind, language)] += 1
        for f in chosen:
            found[f.kind] += 1
            right[f.kind] += any(k == f.kind and f.start < e and s < f.end for k, s, e in spans)
        kept_total += len(item["keep"])
        destroyed += sum(1 for value in item["keep"] if value not in redacted)
    print("| type | labelled | recall | precision | recall fr | recall en |")
    print("|---|---|---|---|---|---|")
    for kind in sorted(gold):
        recall = caught[kind] / gold[kind]
        precision = right[kind] / found[kind] if found[kind] else 1.0
        per_language = [
            f"{caught_by_language[(kind, lang)] / by_language[(kind, lang)]:.2f}"
            if by_language[(kind, lang)]
            else "—"
            for lang in ("fr", "en")
        ]
        languages = " | ".join(per_language)
        print(f"| {kind} | {gold[kind]} | {recall:.2f} | {precision:.2f} | {languages} |")
    print(f"\nlook-alikes destroyed: {destroyed} of {kept_total}")


if __name__ == "__main__":
    main()
