"""Recall per emergency kind and false alarms on near-misses of the triage, on the labelled set.

Usage: python bench/triage_eval.py [tests/data/triage.jsonl] [--misses dev] [--words-only]
An emergency counts as seen when the detector flags any emergency (the banner is shown); "right
kind" counts those flagged as the labelled kind (the kind picks the banner's first number: 3114
for suicide). A near-miss flagged as any emergency is a false alarm. Figures per split (tune on
dev, report test), per language and per style. `--misses dev` lists the dev split's errors; the
test split's are not listed, so that tuning cannot look at them. `--words-only` measures the
word lists without the second reader (the figures before it).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.triage import Emergency, detect, detect_by_words

DATA = Path(__file__).parent.parent / "tests" / "data" / "triage.jsonl"
# Ordinary questions and messages, none of them an emergency: (file, field holding the text).
QUESTIONS = (
    ("chat_eval/questions.jsonl", "question"),
    ("demo_questions.jsonl", "question"),
    ("pii_messages.jsonl", "text"),
)


@dataclass
class Score:
    """Counts for one slice of the set."""

    emergencies: Counter[str] = field(default_factory=Counter)  # labelled, per kind
    seen: Counter[str] = field(default_factory=Counter)  # flagged as any emergency
    right: Counter[str] = field(default_factory=Counter)  # flagged as the labelled kind
    near_misses: Counter[str] = field(default_factory=Counter)  # per style
    alarms: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    detector: Callable[[str], Emergency | None] = detect

    def add(self, row: dict[str, str | None]) -> None:
        found = self.detector(str(row["text"]))
        kind, flagged = row["kind"], found.value if found else None
        if kind is None:
            self.near_misses[str(row["style"])] += 1
            if flagged:
                self.alarms[str(row["style"])] += 1
                self.errors.append(f"false alarm ({flagged}): {row['text']}")
            return
        self.emergencies[kind] += 1
        self.seen[kind] += flagged is not None
        self.right[kind] += flagged == kind
        if flagged != kind:
            self.errors.append(f"{kind} seen as {flagged}: {row['text']}")

    def recall(self) -> float:
        return sum(self.seen.values()) / max(1, sum(self.emergencies.values()))

    def false_alarm_rate(self) -> float:
        return sum(self.alarms.values()) / max(1, sum(self.near_misses.values()))


def load(path: Path = DATA) -> list[dict[str, str | None]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def score(
    rows: list[dict[str, str | None]], detector: Callable[[str], Emergency | None] = detect
) -> Score:
    result = Score(detector=detector)
    for row in rows:
        result.add(row)
    return result


def _report(name: str, s: Score) -> None:
    total, seen = sum(s.emergencies.values()), sum(s.seen.values())
    near, alarms = sum(s.near_misses.values()), sum(s.alarms.values())
    print(f"## {name}: {total} emergencies, {near} near-misses")
    print(f"{'kind':16} {'n':>4} {'recall':>8} {'right kind':>11}")
    for kind in sorted(s.emergencies):
        n = s.emergencies[kind]
        print(f"{kind:16} {n:>4} {s.seen[kind] / n:>8.1%} {s.right[kind] / n:>11.1%}")
    right = sum(s.right.values())
    print(f"{'all':16} {total:>4} {seen / max(1, total):>8.1%} {right / max(1, total):>11.1%}")
    print(f"false alarms on near-misses: {alarms}/{near} = {alarms / max(1, near):.1%}", end="")
    by_style = ", ".join(f"{k} {s.alarms[k]}/{n}" for k, n in sorted(s.near_misses.items()))
    print(f"  ({by_style})\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", nargs="?", type=Path, default=DATA)
    parser.add_argument("--misses", choices=["dev"], help="list the errors of this split")
    parser.add_argument("--words-only", action="store_true", help="without the second reader")
    args = parser.parse_args()
    detector = detect_by_words if args.words_only else detect
    rows = load(args.path)
    for split in ("dev", "test"):
        part = [r for r in rows if r["split"] == split]
        _report(split, score(part, detector))
        for language in ("fr", "en"):
            same = [r for r in part if r["language"] == language]
            _report(f"{split}, {language}", score(same, detector))
    test = [r for r in rows if r["split"] == "test"]
    for source in sorted({str(r["source"]) for r in test}):
        _report(f"test, {source}", score([r for r in test if r["source"] == source], detector))
    for name, key in QUESTIONS:
        texts = [str(row[key]) for row in load(DATA.parent / name)]
        alarms = sum(detector(text) is not None for text in texts)
        print(f"false alarms on {name}: {alarms}/{len(texts)}")
    if args.misses:
        print("\n".join(score([r for r in rows if r["split"] == args.misses], detector).errors))


if __name__ == "__main__":
    main()
