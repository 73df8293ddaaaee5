"""The report of `medgpt eval chat`: per style and per corpus, in Markdown, and a short table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.models import Outcome
from evaluation.questions import CORPORA, STYLES, Question, holds

MISSES_SHOWN = 200  # dev split: the questions not answered with their fact, listed


@dataclass(frozen=True, slots=True)
class Result:
    """What the bot did with one question."""

    question: Question
    outcome: Outcome
    text: str  # the reply's text
    sources: tuple[str, ...]  # the documents cited, first first (file name or source key)
    headline: str  # the first source's headline (an interaction's level)

    @property
    def answered(self) -> bool:
        return self.outcome is Outcome.ANSWERED

    @property
    def has_fact(self) -> bool:
        return self.answered and holds(self.text, self.question.fact)

    @property
    def right_first(self) -> bool:
        """The first source is a document that answers the question."""
        return bool(self.sources) and self.sources[0] in self.question.answers

    @property
    def level_stated(self) -> bool:
        """The labelled severity is in the answer or on its first source's line."""
        level = self.question.level
        return self.answered and (holds(self.text, level) or holds(self.headline, level))


Results = Sequence[Result]
Count = Callable[[Result], bool]
ANSWERABLE: tuple[tuple[str, Count], ...] = (
    ("answered with the fact", lambda r: r.has_fact),
    ("answered without it", lambda r: r.answered and not r.has_fact),
    ("abstained", lambda r: r.outcome is Outcome.ABSTAINED),
    ("emergency reply", lambda r: r.outcome is Outcome.EMERGENCY),
    ("refused or failed", lambda r: r.outcome in (Outcome.REJECTED, Outcome.ERROR)),
    ("first source right", lambda r: r.right_first),
)
NEAR_MISS: tuple[tuple[str, Count], ...] = (
    ("abstained", lambda r: r.outcome is Outcome.ABSTAINED),
    ("answered (wrongly)", lambda r: r.answered),
    ("emergency reply", lambda r: r.outcome is Outcome.EMERGENCY),
    ("refused or failed", lambda r: r.outcome in (Outcome.REJECTED, Outcome.ERROR)),
)
INTERACTIONS: tuple[tuple[str, Count], ...] = (
    ("answered", lambda r: r.answered),
    ("right pair first", lambda r: r.right_first),
    ("level stated", lambda r: r.level_stated),
    ("right pair first and level stated", lambda r: r.right_first and r.level_stated),
)


def render(results: Results, split: str, corpus: str, indexed: str, problems: Sequence[str]) -> str:
    answerable = [r for r in results if r.question.answerable]
    near = [r for r in results if not r.question.answerable]
    interactions = [r for r in answerable if r.question.corpus == "thesaurus"]
    lines = [
        f"## Chat-style questions: split {split}, corpus {corpus}",
        "",
        f"{indexed} {len(answerable)} answerable questions, {len(near)} near misses"
        " (tests/data/chat_eval), each asked through the bot's pipeline with the current"
        " settings; a follow-up after the earlier turns of its thread.",
        "",
        "Answered with the fact: the reply's text contains the labelled fact (whole words, case"
        " and accents aside). First source right: the first source cited is the labelled"
        " document (or one labelled as answering as well). Level stated: the labelled severity"
        " is in the text or on the first source's line.",
        *_table("Answerable questions, by style", answerable, _by_style, ANSWERABLE),
        *_table("Answerable questions, by corpus", answerable, _by_corpus, ANSWERABLE),
        *_table("Interactions (ANSM thesaurus), by style", interactions, _by_style, INTERACTIONS),
        *_table(
            "Near misses (nothing in the corpus answers), by style", near, _by_style, NEAR_MISS
        ),
        *_table("Near misses, by corpus", near, _by_corpus, NEAR_MISS),
        *_batches(answerable, near),
        *_misses(answerable, near, split),
        *(["", "### Label problems", "", *(f"- {p}" for p in problems)] if problems else []),
    ]
    return "\n".join(lines) + "\n"


def _batches(answerable: Results, near: Results) -> list[str]:
    """With questions from several batches of the set: each batch's figures, overall and by
    style (a later batch, written after tuning on an earlier one, measures generalisation)."""
    batches = sorted({r.question.batch for r in [*answerable, *near]}, key=int)
    if len(batches) < 2:
        return []
    lines = [
        *_table("Answerable questions, by batch", answerable, _by_batch, ANSWERABLE),
        *_table("Near misses, by batch", near, _by_batch, NEAR_MISS),
    ]
    for batch in batches:
        mine = [r for r in answerable if r.question.batch == batch]
        near_mine = [r for r in near if r.question.batch == batch]
        title = f"Batch {batch}: answerable questions, by style"
        lines += _table(title, mine, _by_style, ANSWERABLE)
        lines += _table(f"Batch {batch}: near misses, by style", near_mine, _by_style, NEAR_MISS)
    return lines


def _by_batch(results: Results) -> list[tuple[str, list[Result]]]:
    names = sorted({r.question.batch for r in results}, key=int)
    return _groups(results, [f"batch {name}" for name in names], lambda q: f"batch {q.batch}")


def _by_style(results: Results) -> list[tuple[str, list[Result]]]:
    return _groups(results, STYLES, lambda q: q.style)


def _by_corpus(results: Results) -> list[tuple[str, list[Result]]]:
    return _groups(results, CORPORA, lambda q: q.corpus)


def _groups(
    results: Results, names: Sequence[str], of: Callable[[Question], str]
) -> list[tuple[str, list[Result]]]:
    groups = [(name, [r for r in results if of(r.question) == name]) for name in names]
    return [(name, group) for name, group in groups if group]


def _table(
    title: str,
    results: Results,
    groups: Callable[[Results], list[tuple[str, list[Result]]]],
    columns: Sequence[tuple[str, Count]],
) -> list[str]:
    if not results:
        return []
    lines = [
        "",
        f"### {title}",
        "",
        "| | questions | " + " | ".join(name for name, _ in columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    for name, group in [*groups(results), ("**all**", list(results))]:
        cells = " | ".join(_share(group, count) for _, count in columns)
        lines.append(f"| {name} | {len(group)} | {cells} |")
    return lines


def _share(group: Results, count: Count) -> str:
    n = sum(1 for r in group if count(r))
    return f"{n} ({n / len(group):.0%})"


def _misses(answerable: Results, near: Results, split: str) -> list[str]:
    """What to read before changing anything; listed for dev only, so that the test split's
    questions are not tuned for one by one."""
    if split != "dev":
        return []
    missed = [r for r in answerable if not r.has_fact]
    wrong = [r for r in near if r.answered]
    lines = ["", "### Missed on dev", ""]
    for r in [*missed, *wrong][:MISSES_SHOWN]:
        q = r.question
        cited = ", ".join(r.sources[:2]) or "no source"
        expected = f"expected {q.expected}, fact {q.fact!r}" if q.answerable else "near miss"
        lines.append(f"- {q.id} [{q.style}] {q.question} → {r.outcome}, {cited} ({expected})")
    return lines


def summary(results: Results) -> str:
    """A few lines for the terminal: per style, the answer rate and the near misses refused."""
    header = ("style", "answerable", "with fact", "abstained", "near miss", "refused")
    lines = [f"{header[0]:<18} " + " ".join(f"{name:>10}" for name in header[1:])]
    for style in (*STYLES, "all"):
        mine = [r for r in results if style in ("all", r.question.style)]
        answerable = [r for r in mine if r.question.answerable]
        near = [r for r in mine if not r.question.answerable]
        if mine:
            lines.append(
                f"{style:<18} {len(answerable):>10} {_rate(answerable, lambda r: r.has_fact):>10}"
                f" {_rate(answerable, lambda r: not r.answered):>10} {len(near):>10}"
                f" {_rate(near, lambda r: not r.answered):>10}"
            )
    batches = sorted({r.question.batch for r in results}, key=int)
    for batch in batches if len(batches) > 1 else ():
        answerable = [r for r in results if r.question.batch == batch and r.question.answerable]
        near = [r for r in results if r.question.batch == batch and not r.question.answerable]
        lines.append(
            f"{'batch ' + batch:<18} {len(answerable):>10}"
            f" {_rate(answerable, lambda r: r.has_fact):>10}"
            f" {_rate(answerable, lambda r: not r.answered):>10} {len(near):>10}"
            f" {_rate(near, lambda r: not r.answered):>10}"
        )
    pairs = [r for r in results if r.question.answerable and r.question.corpus == "thesaurus"]
    if pairs:
        both = _rate(pairs, lambda r: r.right_first and r.level_stated)
        lines.append(f"interactions: {len(pairs)}, right pair first and level stated {both}")
    return "\n".join(lines)


def _rate(group: Results, count: Count) -> str:
    return f"{sum(1 for r in group if count(r)) / len(group):.0%}" if group else "-"
