"""Check a generated answer against the passages it was shown (pure).

Every sentence that reaches a clinician must cite at least one shown passage, share enough of
its content words with what it cites, and state no number (dose, duration, threshold) that its
cited passages do not contain. Sentences failing a rule are removed, and the reason is kept for
the reply and the audit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.models import Passage
from core.text import keywords, split_sentences

MIN_SUPPORT = 0.5  # share of a sentence's content words that its cited passages must contain

_MARKER = re.compile(r"\[(\d+)\]")
_MARKER_LIST = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)+)\]")
_TRAILING_MARKERS = re.compile(r"([.!?…])((?:\s*\[\d+\])+)")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


@dataclass(frozen=True, slots=True)
class Removal:
    sentence: str
    reason: str


@dataclass(frozen=True, slots=True)
class CheckedAnswer:
    sentences: tuple[str, ...]  # the surviving sentences, with their [n] markers
    removed: tuple[Removal, ...]

    @property
    def text(self) -> str:
        return " ".join(self.sentences)

    @property
    def kept(self) -> int:
        return len(self.sentences)


def check_answer(text: str, passages: Sequence[Passage]) -> CheckedAnswer:
    kept: list[str] = []
    removed: list[Removal] = []
    for sentence in _sentences(text):
        reason = _problem(sentence, passages)
        if reason is None:
            kept.append(sentence)
        else:
            removed.append(Removal(sentence, reason))
    return CheckedAnswer(tuple(kept), tuple(removed))


class StreamingCheck:
    """The same check on a draft that is still being written: its finished sentences that pass.

    The last sentence of a partial draft may still grow, so it is not judged. Verdicts are kept
    by sentence text, as the whole draft is re-read at each token; a sentence whose marker was
    still being written ("dose. [1") is judged again once whole ("dose [1].")."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages = passages
        self._verdicts: dict[str, bool] = {}

    def passed(self, draft: str) -> list[str]:
        finished = _sentences(draft)[:-1]
        kept = []
        for sentence in finished:
            verdict = self._verdicts.get(sentence)
            if verdict is None:
                verdict = self._verdicts[sentence] = _problem(sentence, self.passages) is None
            if verdict:
                kept.append(sentence)
        return kept


def numbers(text: str) -> set[str]:
    """Numbers as written, with a decimal comma read as a point ("0,5" == "0.5")."""
    return {n.replace(",", ".") for n in _NUMBER.findall(_MARKER.sub(" ", text))}


def _sentences(text: str) -> list[str]:
    text = _MARKER_LIST.sub(
        lambda m: " ".join(f"[{n}]" for n in re.split(r"\s*[,;]\s*", m[1])), text
    )
    text = _TRAILING_MARKERS.sub(lambda m: f"{m[2]}{m[1]}", text)  # "dose. [1]" -> "dose [1]."
    lines = (line.strip().lstrip("-•*").strip() for line in text.splitlines())
    return [s for line in lines if line for s in split_sentences(line)]


def _problem(sentence: str, passages: Sequence[Passage]) -> str | None:
    cited = [int(n) for n in _MARKER.findall(sentence)]
    if not cited:
        return "no citation"
    unknown = sorted({n for n in cited if not 1 <= n <= len(passages)})
    if unknown:
        return f"cites a source that was not shown: {', '.join(f'[{n}]' for n in unknown)}"
    sources = " ".join(passages[n - 1].text for n in set(cited))
    claim = _MARKER.sub(" ", sentence)
    words = keywords(claim)
    if words and len(words & keywords(sources)) / len(words) < MIN_SUPPORT:
        return f"not supported by the cited source {_list(cited)}"
    missing = sorted(numbers(claim) - numbers(sources))
    if missing:
        return f"number {', '.join(missing)} not found in the cited source {_list(cited)}"
    return None


def _list(cited: list[int]) -> str:
    return " ".join(f"[{n}]" for n in sorted(set(cited)))
