"""The chat-style question set (tests/data/chat_eval): its rows, and how a fact is matched.

The set comes in batches, one file each (`questions.jsonl` is batch 1, `questions-2.jsonl`
batch 2, ...), each written and split on its own; they are read together."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from core.models import Language
from core.text import fold

FOLDER = Path(__file__).resolve().parent.parent / "tests" / "data" / "chat_eval"
SET = FOLDER / "questions.jsonl"  # batch 1
Corpus = Literal["demo", "thesaurus", "bdpm"]
STYLES = (
    "ward_context",
    "identifiers",
    "abbreviations",
    "brand_names",
    "drug_classes",
    "no_accents_typos",
    "english",
    "followup",
    "textbook",
)
CORPORA: tuple[Corpus, ...] = ("demo", "thesaurus", "bdpm")


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    split: Literal["dev", "test"]
    answerable: bool
    style: str
    language: Language
    corpus: Corpus
    question: str
    history: tuple[str, ...] = ()  # earlier questions of the thread, oldest first
    expected: str = ""  # a demo note's file name, or an imported document's source key
    also: frozenset[str] = frozenset()  # other documents that answer it as well
    fact: str = ""  # what a right answer must contain
    level: str = ""  # interactions: the severity level
    near: str = ""  # near-miss: the drug or topic it is near
    batch: str = "1"  # the file it comes from: "1" for questions.jsonl, "2" for questions-2.jsonl

    @property
    def answers(self) -> frozenset[str]:
        """The documents that answer it."""
        return frozenset({self.expected, *self.also}) if self.expected else frozenset()


def files(folder: Path = FOLDER) -> list[Path]:
    """The batches of the set, batch 1 first."""
    return sorted(folder.glob("questions*.jsonl"), key=lambda path: int(batch_of(path)))


def batch_of(path: Path) -> str:
    """A file's batch: what follows "questions-" in its name, "1" when nothing does."""
    return path.stem.removeprefix("questions").removeprefix("-") or "1"


def load(path: Path = FOLDER) -> list[Question]:
    """Every row of one file, or of every batch in a folder, in file order."""
    paths = files(path) if path.is_dir() else [path]
    return [
        _question(json.loads(line), batch_of(each))
        for each in paths
        for line in each.read_text().splitlines()
        if line.strip()
    ]


def _question(row: dict[str, Any], batch: str = "1") -> Question:
    return Question(
        id=row["id"],
        split=row["split"],
        answerable=row["answerable"],
        style=row["style"],
        language=row["language"],
        corpus=row["corpus"],
        question=row["question"],
        history=tuple(row.get("history", ())),
        expected=row.get("expected", ""),
        also=frozenset(row.get("also", ())),
        fact=row.get("fact", ""),
        level=row.get("level", ""),
        near=row.get("near", ""),
        batch=batch,
    )


def folded(text: str) -> str:
    """Lower case, no accents, one kind of apostrophe, single spaces: how facts are compared."""
    return " ".join(fold(text.replace("’", "'")).split())


def holds(text: str, fact: str) -> bool:
    """Whether the text states the fact, as whole words ("1 mg" is not in "11 mg")."""
    return re.search(rf"(?<!\w){re.escape(folded(fact))}(?!\w)", folded(text)) is not None
