"""--abstention: the evidence policy replayed over what the pipeline retrieves, on a grid of
thresholds, with the held-out check of the policy chosen."""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bots.wiring import App
from core.evidence import EvidencePolicy, WordWeights, supporting
from core.models import Passage
from core.pipeline import retrieve
from core.ports import SearchQuery
from core.text import fold
from evaluation.public_sets import Case

CITED = 3  # --abstention: an answer is right when its first passages hold the gold document
# --abstention's held-out check: the rate of answers that do not rest on the question's own source
# (answered wrong, or answered although the index cannot answer) weighs this many times the rate
# of right answers.
MISLEAD_COST = 2.0
MISANSWERED_SHOWN = 25  # --abstention: wrong answers listed, and unanswerable answered


@dataclass(frozen=True, slots=True)
class Retrieval:
    """What the pipeline found for one question, and what it looked up about its words."""

    case: Case
    found: list[tuple[str, Passage]]  # (source key, passage), best first
    weights: WordWeights = field(default_factory=WordWeights)  # what its words weigh
    named: list[frozenset[str]] = field(default_factory=list)  # the corpus's subjects it names


Retrieved = list[Retrieval]


async def retrieve_all(
    app: App, cases: Sequence[Case], vectors: Sequence[Sequence[float]], k: int
) -> Retrieved:
    """What the pipeline retrieves for each question: the default hybrid search, its k."""
    keys = {
        r["id"]: r["source_key"]
        for r in await app.pool.fetch("SELECT id, source_key FROM documents")
    }
    retrieved = []
    for case, vector in zip(cases, vectors, strict=True):
        search = SearchQuery(case.question, vector, case.language, k)
        found = await retrieve(app.corpus, search, app.pipeline.settings.evidence)
        passages = [(keys[p.document_id], p) for p in found.passages]
        weights = await app.pipeline.weights(case.question, found.passages, case.language)
        retrieved.append(Retrieval(case, passages, weights, found.named))
    return retrieved


@dataclass(frozen=True, slots=True)
class Abstention:
    right: float  # answerable questions answered with the gold document among the first cited
    wrong: float  # answerable questions answered without it
    unanswerable: float  # questions the index cannot answer that were answered all the same


def answered_from(one: Retrieval, policy: EvidencePolicy) -> list[str]:
    """The source keys of the passages the policy would answer one question from, the first
    cited first (none: it abstains)."""
    by_passage = {id(p): key for key, p in one.found}
    passages = [p for _, p in one.found]
    support = supporting(one.case.question, passages, policy, one.weights, one.named)
    return [by_passage[id(p)] for p in support]


def misanswered(one: Retrieval, keys: Sequence[str]) -> bool:
    """Whether an answer from these sources is wrong: the question cannot be answered from the
    index, or its gold document is not among the first cited."""
    case = one.case
    return not case.gold or not set(keys[:CITED]) & {case.gold, *case.also}


def abstention(retrieved: Retrieved, policy: EvidencePolicy) -> Abstention:
    """The evidence policy replayed over retrieved passages (what the pipeline would answer from;
    the generator can still abstain after it)."""
    right = wrong = answered_unanswerable = 0
    for one in retrieved:
        keys = answered_from(one, policy)
        if not keys:
            continue
        if not one.case.gold:
            answered_unanswerable += 1
        elif misanswered(one, keys):
            wrong += 1
        else:
            right += 1
    answerable = sum(1 for one in retrieved if one.case.gold)
    return Abstention(
        right / max(1, answerable),
        wrong / max(1, answerable),
        answered_unanswerable / max(1, len(retrieved) - answerable),
    )


def misanswered_report(retrieved: Retrieved, policy: EvidencePolicy) -> list[str]:
    """The questions the default policy answers wrong, or answers though the index cannot, each
    with the documents it answers from: what to read before tuning."""
    lines = [
        "",
        f"Answered wrong or unanswerable, default policy (at most {MISANSWERED_SHOWN} of each;"
        " the documents answered from, the first cited first):",
        "",
    ]
    wrong: list[str] = []  # answerable questions answered from other documents
    unanswerable: list[str] = []
    for one in retrieved:
        keys = answered_from(one, policy)
        if not keys or not misanswered(one, keys):
            continue
        gold = one.case.gold
        listed = wrong if gold else unanswerable
        expected = f" (expected {gold})" if gold else " (not in the index)"
        listed.append(f"- {one.case.question}{expected} → {', '.join(keys[:CITED])}")
    return [*lines, *wrong[:MISANSWERED_SHOWN], *unanswerable[:MISANSWERED_SHOWN]]


def policy_grid(default: EvidencePolicy, subjects: bool = False) -> list[EvidencePolicy]:
    """The policies an abstention report compares, the default first; `subjects`: each also
    with the named-subject check turned the other way (where questions name subjects)."""
    grid = [
        replace(
            default,
            min_similarity=similarity,
            min_coverage=coverage,
            min_similarity_with_coverage=with_coverage,
            word_floor=floor,
            elsewhere_factor=elsewhere,
        )
        for similarity, coverage, with_coverage, floor, elsewhere in itertools.product(
            (0.6, 0.7, 0.8), (0.5, 0.6, 0.7), (0.15, 0.3), (0.5, 1.0), (1.0, 2.0)
        )
    ]
    if subjects:
        grid += [replace(policy, named_subjects=not policy.named_subjects) for policy in grid]
    return [default, *(policy for policy in grid if policy != default)]


def abstention_report(retrieved: Retrieved, default: EvidencePolicy, k: int) -> str:
    answerable = sum(1 for one in retrieved if one.case.gold)
    lines = [
        "",
        "### Abstention",
        "",
        f"{answerable} questions above and {len(retrieved) - answerable} that the index cannot"
        f" answer; each retrieves as the bot does (hybrid, k = {k}), then the evidence policy"
        " decides whether to answer. Right: the gold document is among the first"
        f" {CITED} passages answered from. Coverage weighs each question word by this floor plus"
        " its rarity in everyday language; a word the passage lacks that other passages hold"
        " weighs this many times more."
        " Subjects: a question naming the corpus's subjects (the drugs its documents are about)"
        " is answered only from documents about all of them.",
        "",
        "| min_similarity | min_coverage | min_similarity_with_coverage | word floor,"
        " lacking held elsewhere × | subjects | answered right | answered wrong"
        " | unanswerable answered |",
        "|---|---|---|---|---|---|---|---|",
    ]
    grid = policy_grid(default, subjects=any(one.named for one in retrieved))
    for policy in grid:
        rates = abstention(retrieved, policy)
        mark = " **(default)**" if policy == default else ""
        lines.append(
            f"{policy_cells(policy)} {rates.right:.3f} | {rates.wrong:.3f}"
            f" | {rates.unanswerable:.3f}{mark} |"
        )
    lines += _abstention_by_kind(retrieved, default)
    lines += held_out_policies(retrieved, grid)
    return "\n".join([*lines, *misanswered_report(retrieved, default)]) + "\n"


def _abstention_by_kind(retrieved: Retrieved, policy: EvidencePolicy) -> list[str]:
    """The default policy's rates for each kind of question, where there are several."""
    kinds = list(dict.fromkeys(one.case.kind for one in retrieved if one.case.kind))
    if len(kinds) < 2:
        return []
    lines = [
        "",
        "The default policy by kind of question:",
        "",
        "| question | answerable | unanswerable | answered right | answered wrong"
        " | unanswerable answered |",
        "|---|---|---|---|---|---|",
    ]
    for kind in kinds:
        part = [one for one in retrieved if one.case.kind == kind]
        answerable = sum(1 for one in part if one.case.gold)
        rates = abstention(part, policy)
        lines.append(
            f"| {kind} | {answerable} | {len(part) - answerable} | {rates.right:.3f}"
            f" | {rates.wrong:.3f} | {rates.unanswerable:.3f} |"
        )
    return lines


def utility(rates: Abstention) -> float:
    """What --abstention's held-out check maximises: the rate of right answers (over answerable
    questions), less MISLEAD_COST times the rates of wrong answers (over the same) and of
    unanswerable questions answered (over those); rounded, so that equal policies tie."""
    return round(rates.right - MISLEAD_COST * (rates.wrong + rates.unanswerable), 9)


def held_out_policies(retrieved: Retrieved, grid: Sequence[EvidencePolicy]) -> list[str]:
    """The thresholds as chosen on one half of the questions, checked on the other (the grid's
    first policy, the default, wins ties): a policy that wins only where it was chosen is noise.
    Questions answered by the same documents (a pair asked both ways round, two questions on one
    note) stay in the same half, or the held-out half would repeat the tuning half."""
    groups: dict[tuple[str, ...], list[Retrieval]] = defaultdict(list)
    for one in retrieved:
        groups[_answered_by(one.case)].append(one)
    keys = sorted(groups)
    random.Random(3).shuffle(keys)  # the same halves every run
    halves: tuple[list[Retrieval], list[Retrieval]] = ([], [])
    for key in keys:
        min(halves, key=len).extend(groups[key])
    rates = {policy: tuple(abstention(half, policy) for half in halves) for policy in grid}
    chosen = max(grid, key=lambda policy: utility(rates[policy][0]))
    best = max(grid, key=lambda policy: utility(rates[policy][1]))
    lines = [
        "",
        f"Held-out check: the questions split in two halves of {len(halves[0])} and"
        f" {len(halves[1])} (fixed seed; questions answered by the same documents in the same"
        f" half); a policy is chosen on the first by its rate of right answers less"
        f" {MISLEAD_COST:g} × (its rate of wrong answers + its rate of unanswerable questions"
        " answered), then measured on the other. The default was chosen earlier on all the"
        " questions: its row is a comparison, not a held-out figure.",
        "",
        "| policy | min_similarity | min_coverage | min_similarity_with_coverage"
        " | word floor, lacking held elsewhere × | subjects | tuning half: right, wrong,"
        " unanswerable answered | held-out half: right, wrong, unanswerable answered"
        " | held-out objective |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, policy in (
        ("default", grid[0]),
        ("chosen on the tuning half", chosen),
        ("best on the held-out half", best),
    ):
        tune, held = rates[policy]
        lines.append(
            f"| {label} {policy_cells(policy)} {_rates(tune)} | {_rates(held)}"
            f" | {utility(held):.3f} |"
        )
    return lines


def _answered_by(case: Case) -> tuple[str, ...]:
    """What answers a question: its documents, or for a question the index cannot answer, its
    words in any order ("associer X et Y" and "associer Y et X")."""
    if case.gold:
        return tuple(sorted({case.gold, *case.also}))
    return ("", *sorted(set(fold(case.question).split())))


def _rates(rates: Abstention) -> str:
    return f"{rates.right:.3f}, {rates.wrong:.3f}, {rates.unanswerable:.3f}"


def policy_cells(policy: EvidencePolicy) -> str:
    """The first cells of a table row: the policy's thresholds."""
    return (
        f"| {policy.min_similarity:g} | {policy.min_coverage:g}"
        f" | {policy.min_similarity_with_coverage:g}"
        f" | {policy.word_floor:g}, {policy.elsewhere_factor:g}"
        f" | {'checked' if policy.named_subjects else 'not checked'} |"
    )
