"""Recall of each search mode on a question set: the figures, the held-out check of the fusion
weights, the Markdown table and the optional chart."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bots.wiring import App
from core.pipeline import retrieve
from core.ports import SearchQuery
from evaluation.public_sets import Case

Mode = Literal["text", "vector", "hybrid"]
MODES: tuple[Mode, ...] = ("text", "vector", "hybrid")
PIPELINE = "bot (hybrid, then by subjects)"  # the pipeline's retrieval (core.pipeline.retrieve)
K = 10


@dataclass
class Scores:
    ranks: list[int | None] = field(default_factory=list)
    right_level: int = 0

    def recall(self, k: int) -> float:
        return sum(1 for r in self.ranks if r is not None and r <= k) / len(self.ranks)

    @property
    def mrr(self) -> float:
        return sum(1 / r for r in self.ranks if r) / len(self.ranks)


async def score(
    app: App,
    cases: Sequence[Case],
    vectors: Sequence[Sequence[float]],
    mode: Mode,
    text_weight: float | None = None,
    subjects: bool = False,
) -> Scores:
    """Recall of the search in `mode`; with `subjects`, of the pipeline's retrieval (the default
    hybrid search, then the documents about the subjects the question names, core.pipeline)."""
    keys = {
        r["id"]: r["source_key"]
        for r in await app.pool.fetch("SELECT id, source_key FROM documents")
    }
    scores = Scores()
    for case, vector in zip(cases, vectors, strict=True):
        search = SearchQuery(
            case.question, vector, case.language, K, mode=mode, text_weight=text_weight
        )
        found = (
            (await retrieve(app.corpus, search, app.pipeline.settings.evidence)).passages
            if subjects
            else await app.corpus.search(search)
        )
        ranked = list(dict.fromkeys(keys[p.document_id] for p in found))
        right = [rank for rank, key in enumerate(ranked, 1) if key == case.gold or key in case.also]
        scores.ranks.append(right[0] if right else None)
        if (
            case.expected_level
            and found
            and case.expected_level in (found[0].document.version or "")
        ):
            scores.right_level += 1
    return scores


def recall_report(
    title: str,
    documents: int,
    passages: int,
    cases: Sequence[Case],
    scores: dict[str, Scores],
    note: str = "",
) -> str:
    levelled = sum(1 for case in cases if case.expected_level)  # interactions
    lines = [
        f"## {title}",
        "",
        f"{documents} documents ({passages} passages embedded in this run),"
        f" {len(cases)} questions, k = {K}.",
        "",
        *([note, ""] if note else []),
        "| mode | recall@1 | recall@5 | recall@10 | MRR@10 |"
        + (f" top answer has the right severity ({levelled} questions) |" if levelled else ""),
        "|---|---|---|---|---|" + ("---|" if levelled else ""),
    ]
    for mode, s in scores.items():
        row = f"| {mode} | {_figures(s)}"
        if levelled:
            row += f" {s.right_level / levelled:.3f} |"
        lines.append(row)
    if sum(1 for mode in scores if mode.startswith("hybrid")) > 1:
        lines += _held_out(len(cases), scores)
    kinds = list(dict.fromkeys(case.kind for case in cases if case.kind))
    if len(kinds) > 1:
        lines += ["", "| mode, question | questions | recall@1 | recall@5 | recall@10 | MRR@10 |"]
        lines.append("|---|---|---|---|---|---|")
        for mode, s in scores.items():
            for kind in kinds:
                part = [
                    rank for case, rank in zip(cases, s.ranks, strict=True) if case.kind == kind
                ]
                lines.append(f"| {mode}, {kind} | {len(part)} | {_figures(Scores(part))}")
    return "\n".join(lines) + "\n"


def _held_out(count: int, scores: dict[str, Scores]) -> list[str]:
    """The fusion weights as chosen on one half of the questions, checked on the other: a weight
    that wins only on the questions it was picked on is noise."""
    order = list(range(count))
    random.Random(3).shuffle(order)  # the same halves every run
    halves = (order[: count // 2], order[count // 2 :])
    hybrid = {
        mode: tuple(Scores([s.ranks[i] for i in half]) for half in halves)
        for mode, s in scores.items()
        if mode.startswith("hybrid")
    }
    lines = [
        "",
        f"Held-out check: the questions split in two halves of {len(halves[0])} and"
        f" {len(halves[1])} (fixed seed); a weight is chosen on the first, by MRR@10.",
        "",
        "| mode | MRR@10, tuning half | MRR@10, held-out half | recall@1, tuning half"
        " | recall@1, held-out half |",
        "|---|---|---|---|---|",
    ]
    for mode, (tune, held) in hybrid.items():
        lines.append(
            f"| {mode} | {tune.mrr:.3f} | {held.mrr:.3f} | {tune.recall(1):.3f}"
            f" | {held.recall(1):.3f} |"
        )
    chosen = max(hybrid, key=lambda mode: hybrid[mode][0].mrr)
    best = max(hybrid, key=lambda mode: hybrid[mode][1].mrr)
    lines += [
        "",
        f"Chosen on the tuning half: {chosen}, MRR@10 {hybrid[chosen][1].mrr:.3f} on the held-out"
        f" half, where the best is {best} ({hybrid[best][1].mrr:.3f}).",
    ]
    return lines


def _figures(s: Scores) -> str:
    return f"{s.recall(1):.3f} | {s.recall(5):.3f} | {s.recall(10):.3f} | {s.mrr:.3f} |"


def chart(title: str, scores: dict[str, Scores], path: Path) -> bool:
    """The figures as a bar chart (PNG) at `path`, when matplotlib is installed (the `eval`
    extra); whether it was drawn."""
    try:
        import matplotlib
    except ImportError:
        return False

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = ("recall@1", "recall@5", "recall@10", "MRR@10")
    figure, axes = plt.subplots(figsize=(7, 3.5))
    width = 0.8 / len(scores)
    for i, (mode, s) in enumerate(scores.items()):
        values = (s.recall(1), s.recall(5), s.recall(10), s.mrr)
        axes.bar([x + i * width for x in range(len(metrics))], values, width, label=mode)
    axes.set_xticks([x + width * (len(scores) - 1) / 2 for x in range(len(metrics))], metrics)
    axes.set_ylim(0, 1)
    axes.set_title(title)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return True
