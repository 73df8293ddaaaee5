"""The chat-style question set (tests/data/chat_eval): its rows, and how a fact is matched."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from core.models import Language
from core.text import fold

SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "chat_eval" / "questions.jsonl"
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

    @property
    def answers(self) -> frozenset[str]:
        """The documents that answer it."""
        return frozenset({self.expected, *self.also}) if self.expected else frozenset()


def load(path: Path = SET) -> list[Question]:
    """Every row of the set, in file order."""
    return [_question(json.loads(line)) for line in path.read_text().splitlines() if line.strip()]


def _question(row: dict[str, Any]) -> Question:
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
    )


def folded(text: str) -> str:
    """Lower case, no accents, one kind of apostrophe, single spaces: how facts are compared."""
    return " ".join(fold(text.replace("’", "'")).split())


def holds(text: str, fact: str) -> bool:
    """Whether the text states the fact, as whole words ("1 mg" is not in "11 mg")."""
    return re.search(rf"(?<!\w){re.escape(folded(fact))}(?!\w)", folded(text)) is not None
