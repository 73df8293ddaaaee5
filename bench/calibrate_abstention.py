"""Calibrate the abstention policy on labelled demo questions; print a Markdown report.

Usage: python bench/calibrate_abstention.py [tests/data/demo_questions.jsonl]
Runs on the embedded default in a throw-away data directory (the demo corpus is indexed first).
For every question it retrieves passages once, then replays the evidence policy over a grid of
thresholds: an in-domain question counts as answered correctly when its expected note is among
the supporting passages; an out-of-domain question should abstain.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.database import throwaway_data_dir
from bots.settings import load_settings
from bots.wiring import build_app, ensure_demo_corpus
from core.evidence import EvidencePolicy, WordWeights
from core.models import ConversationId, IncomingMessage, Outcome, Passage, Platform, Reply, UserId
from core.pipeline import retrieve
from core.ports import SearchQuery
from core.text import detect_language
from evaluation.abstention import (
    Retrieval,
    Retrieved,
    abstention,
    held_out_policies,
    policy_cells,
    policy_grid,
)
from evaluation.public_sets import Case

QUESTIONS = Path(__file__).parent.parent / "tests" / "data" / "demo_questions.jsonl"


# (labelled question, passages retrieved, what its words weigh, the corpus's subjects it names)
Results = list[tuple[dict[str, str | None], list[Passage], WordWeights, list[frozenset[str]]]]


async def retrieve_all(lines: list[str]) -> tuple[Results, list[Reply]]:
    """Passages retrieved for each question, and the full pipeline's reply with the defaults."""
    settings = load_settings()
    results, replies = [], []
    async with build_app(settings) as app:
        await ensure_demo_corpus(app)
        for line in lines:
            item = json.loads(line)
            question = str(item["question"])
            [vector] = await app.embedder.embed([question])
            language = detect_language(question)
            search = SearchQuery(question, vector, language, settings.retrieval_k)
            found = await retrieve(app.corpus, search, app.pipeline.settings.evidence)
            weights = await app.pipeline.weights(question, found.passages, language)
            results.append((item, found.passages, weights, found.named))
            message = IncomingMessage(
                question, Platform.CONSOLE, ConversationId("calibration"), UserId("bench")
            )
            replies.append(await app.pipeline.answer(message))
    return results, replies


def end_to_end(results: Results, replies: list[Reply], titles: dict[str, str]) -> str:
    """What a clinician would have seen with the default settings."""
    counts = {"right": 0, "wrong": 0, "abstained": 0, "ood_answered": 0, "ood_abstained": 0}
    wrongly_answered = []
    for (item, *_), reply in zip(results, replies, strict=True):
        answered = reply.outcome is Outcome.ANSWERED
        if item["expected"] is None:
            counts["ood_answered" if answered else "ood_abstained"] += 1
            if answered:
                wrongly_answered.append(str(item["question"]))
        elif not answered:
            counts["abstained"] += 1
        else:
            cited = {s.title for s in reply.sources}
            counts["right" if titles[str(item["expected"])] in cited else "wrong"] += 1
    return (
        f"in-domain: {counts['right']} answered citing the expected note, {counts['wrong']}"
        f" answered without it, {counts['abstained']} abstained; out-of-domain:"
        f" {counts['ood_abstained']} abstained, {counts['ood_answered']} answered"
        + "".join(f"\n- answered although out of scope: {q}" for q in wrongly_answered)
    )


def as_retrieved(results: Results, titles: dict[str, str]) -> Retrieved:
    """The results as `medgpt eval` replays them: each passage keyed by its note's title, an
    out-of-domain question with no gold note."""
    return [
        Retrieval(
            Case(
                str(item["question"]),
                titles[str(item["expected"])] if item["expected"] else "",
                detect_language(str(item["question"])),
            ),
            [(p.document.title, p) for p in passages],
            weights,
            named,
        )
        for item, passages, weights, named in results
    ]


def retrieval_hits(results: Results, titles: dict[str, str]) -> tuple[float, float, float]:
    """recall@1, recall@k and MRR of the expected note, over in-domain questions."""
    ranks = []
    for item, passages, *_ in results:
        if item["expected"] is None:
            continue
        expected = titles[str(item["expected"])]
        found = [i for i, p in enumerate(passages, start=1) if p.document.title == expected]
        ranks.append(found[0] if found else None)
    n = len(ranks)
    return (
        sum(r == 1 for r in ranks) / n,
        sum(r is not None for r in ranks) / n,
        sum(1 / r for r in ranks if r) / n,
    )


def note_titles() -> dict[str, str]:
    from adapters.parsers import parse_file
    from bots.wiring import demo_corpus_dir

    return {p.name: parse_file(p)[0].meta.title for p in demo_corpus_dir().glob("*.md")}


def main() -> None:
    from bots.logs import configure_logging

    configure_logging()  # warnings only: the report goes to stdout
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else QUESTIONS
    os.environ.pop("DATABASE_URL", None)
    with throwaway_data_dir("medgpt-calibrate-"):
        results, replies = asyncio.run(retrieve_all(path.read_text().splitlines()))
    titles = note_titles()
    print(f"end to end with the defaults: {end_to_end(results, replies, titles)}\n")
    r1, rk, mrr = retrieval_hits(results, titles)
    print(f"questions: {len(results)}; retrieval of the expected note (in-domain): ")
    print(f"recall@1 {r1:.2f}, recall@k {rk:.2f}, MRR {mrr:.2f}\n")
    print(
        "| min_similarity | min_coverage | min_sim_with_coverage | word floor,"
        " lacking held elsewhere × | subjects | answered right | answered wrong"
        " | out-of-domain abstained |"
    )
    print("|---|---|---|---|---|---|---|---|")
    default = EvidencePolicy()
    retrieved = as_retrieved(results, titles)
    grid = policy_grid(default, subjects=any(named for *_, named in results))
    for policy in grid:
        rates = abstention(retrieved, policy)
        mark = " **(default)**" if policy == default else ""
        print(
            f"{policy_cells(policy)} {rates.right:.2f} | {rates.wrong:.2f}"
            f" | {1 - rates.unanswerable:.2f}{mark} |"
        )
    print("\n".join(held_out_policies(retrieved, grid)))


if __name__ == "__main__":
    main()
