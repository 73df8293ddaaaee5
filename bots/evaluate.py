"""`medgpt eval`: retrieval quality on public data sets, per search mode, as a Markdown report
and a PNG chart. Run it against a throw-away database (MEDGPT_DATA_DIR or DATABASE_URL)."""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from adapters.sources import ansm, bdpm
from bots.settings import Settings
from bots.wiring import App, build_app
from core.documents import CHUNKER_VERSION, ParsedDocument, Section
from core.errors import InputError
from core.evidence import EvidencePolicy, WordWeights, supporting
from core.ingestion import SourceFile
from core.models import DocumentMeta, Language, Passage
from core.pipeline import retrieve
from core.ports import SearchQuery
from core.text import fold, keywords
from evaluation import chat

Mode = Literal["text", "vector", "hybrid"]
MODES: tuple[Mode, ...] = ("text", "vector", "hybrid")
PIPELINE = "bot (hybrid, then by subjects)"  # the pipeline's retrieval (core.pipeline.retrieve)
K = 10
BDPM_QUESTIONS = 400  # default --limit of `eval bdpm`
BDPM_DISTRACTORS = 2  # medicines indexed at random for each medicine asked about
UNANSWERABLE = 400  # --abstention: at most this many questions the index cannot answer
CITED = 3  # --abstention: an answer is right when its first passages hold the gold document
# --abstention's held-out check: the rate of answers that do not rest on the question's own source
# (answered wrong, or answered although the index cannot answer) weighs this many times the rate
# of right answers.
MISLEAD_COST = 2.0
MISANSWERED_SHOWN = 25  # --abstention: wrong answers listed, and unanswerable answered
NAMED, PLAIN = "indication named", "medicine only"  # the two forms of BDPM questions
INTERACTION = "interaction"  # `eval official`: the thesaurus's questions, beside the BDPM's
INTERACTIONS_NOTE = (
    "One question per statement of a pair; the thesaurus states most pairs twice, once under"
    " each drug, and either statement counts as the answer."
)


@dataclass(frozen=True, slots=True)
class Case:
    question: str
    gold: str  # source key of the document that answers it
    language: Language
    expected_level: str | None = None  # interactions: the severity the answer must carry
    also: frozenset[str] = frozenset()  # other documents that answer it just as well
    kind: str = ""  # the report breaks the figures down by kind when there are several


@dataclass
class Scores:
    ranks: list[int | None] = field(default_factory=list)
    right_level: int = 0

    def recall(self, k: int) -> float:
        return sum(1 for r in self.ranks if r is not None and r <= k) / len(self.ranks)

    @property
    def mrr(self) -> float:
        return sum(1 / r for r in self.ranks if r) / len(self.ranks)


def add_commands(commands: Any) -> None:
    evaluate = commands.add_parser("eval", help="measure retrieval on a public data set")
    sets = evaluate.add_subparsers(required=True, metavar="DATASET")
    chat.add_command(sets)
    pubmedqa = sets.add_parser("pubmedqa", help="PubMedQA: each question must find its abstract")
    pubmedqa.add_argument("path", type=Path, help="ori_pqal.json")
    interactions = sets.add_parser(
        "interactions", help="ANSM thesaurus: 'Peut-on associer X et Y ?'"
    )
    interactions.add_argument("path", type=Path, help="the thesaurus JSON")
    smr = sets.add_parser("bdpm", help="BDPM: 'Quel est le service médical rendu par X ?'")
    smr.add_argument("path", type=Path, help="the BDPM release folder")
    official = sets.add_parser(
        "official",
        help="the BDPM and the ANSM thesaurus in one index, as production holds them; both"
        " sets of questions",
    )
    official.add_argument("bdpm", type=Path, help="the BDPM release folder")
    official.add_argument("thesaurus", type=Path, help="the thesaurus JSON")
    for command in (interactions, official):
        command.add_argument("--index", type=Path, help="the substance index JSON")
    limits = (
        (pubmedqa, _pubmedqa, "use only the first N records"),
        (interactions, _interactions, "use only the first N records"),
        (smr, _bdpm, f"ask N questions (default {BDPM_QUESTIONS})"),
        (
            official,
            _official,
            f"ask N BDPM questions (default {BDPM_QUESTIONS}) and index only the thesaurus's"
            " first N pairs",
        ),
    )
    for command, run, limit in limits:
        command.add_argument(
            "--out", type=Path, required=True, help="folder for report.md, chart.png"
        )
        command.add_argument("--limit", type=int, help=limit)
        command.add_argument(
            "--text-weights",
            type=_weights,
            default=(),
            metavar="W,W,…",
            help="also run the hybrid search with these weights of the full-text arm (the"
            " vector arm's is 1), to tune the fusion",
        )
        command.add_argument(
            "--text-config",
            type=_text_config,
            default={},
            metavar="LANG=CONFIG",
            help="index and search questions of that language with another PostgreSQL text"
            " search configuration (e.g. fr=simple: no stemming, no stop words)",
        )
        command.set_defaults(run=run)
    for command in (smr, official):
        command.add_argument(
            "--whole-release",
            action="store_true",
            help="index the whole BDPM release (as in production; ~53,000 passages, about 25"
            " minutes on 2 cores), not only the medicines asked about and two others each"
            " drawn at random",
        )
    for command in (interactions, smr, official):
        command.add_argument(
            "--abstention",
            action="store_true",
            help="also ask questions the index cannot answer (a medicine or a pair it does not"
            " hold) and replay the evidence policy over a grid of thresholds",
        )


async def _pubmedqa(args: argparse.Namespace, settings: Settings) -> int:
    data = json.loads(args.path.read_text())
    items = list(itertools.islice(data.items(), args.limit))
    documents = [SourceFile(f"pubmedqa:{pmid}", (_abstract(pmid, item),)) for pmid, item in items]
    cases = [Case(item["QUESTION"], f"pubmedqa:{pmid}", "en") for pmid, item in items]
    return await _run("PubMedQA (PQA-L)", documents, cases, args, settings)


async def _interactions(args: argparse.Namespace, settings: Settings) -> int:
    records, cases, unanswerable = _interaction_sets(args.path, args)
    return await _run(
        "Thésaurus ANSM des interactions",
        records,
        cases,
        args,
        settings,
        INTERACTIONS_NOTE,
        unanswerable,
    )


def _interaction_sets(
    path: Path, args: argparse.Namespace
) -> tuple[list[SourceFile], list[Case], list[Case]]:
    """The thesaurus's pairs (its first --limit), a question on each, and with --abstention as
    many on pairs it does not list."""
    index = args.index or ansm.default_index(path)
    records = list(itertools.islice(ansm.read_thesaurus(path, index), args.limit))
    members = ansm.class_members(index)
    cases = interaction_cases(records, members)
    unanswerable = _unlisted_pairs(records, members, len(cases)) if args.abstention else []
    return records, cases, unanswerable


def interaction_cases(
    records: Sequence[SourceFile], members: Mapping[str, list[str]]
) -> list[Case]:
    """'Peut-on associer X et Y ?' for each pair, a substance of a class where a side is one."""
    # The thesaurus states most pairs twice, once under each drug: either answers the question.
    stated: dict[frozenset[str], set[str]] = defaultdict(set)
    for record in records:
        stated[frozenset(map(fold, _sides(record)))].add(record.path)
    rng = random.Random(7)  # the same queries every run
    cases = []
    for record in records:
        [doc] = record.documents
        main, plus = _sides(record)
        first = rng.choice(members.get(fold(main), [main.lower()]))
        second = rng.choice(members.get(fold(plus), [plus.lower()]))
        level = (doc.meta.version or "").split(" ; ")[0]
        mirror = frozenset(stated[frozenset((fold(main), fold(plus)))] - {record.path})
        question = f"Peut-on associer {first} et {second} ?"
        cases.append(Case(question, record.path, "fr", level, also=mirror))
    return cases


def _unlisted_pairs(
    records: Sequence[SourceFile], members: Mapping[str, list[str]], count: int
) -> list[Case]:
    """'Peut-on associer X et Y ?' for two substances that the indexed pairs name, each in some
    pair (directly or through a class), but never together: the index does not answer it."""
    pairs = [
        tuple({fold(s) for s in members.get(fold(side), [side])} for side in _sides(record))
        for record in records
    ]
    named = sorted(set().union(*(side for pair in pairs for side in pair)))
    rng = random.Random(13)  # the same questions every run
    cases: dict[tuple[str, str], Case] = {}
    for _ in range(100 * count):
        if len(cases) == min(count, UNANSWERABLE):
            break
        first, second = rng.sample(named, 2)
        if (first, second) in cases or any(
            (first in a and second in b) or (first in b and second in a) for a, b in pairs
        ):
            continue
        cases[first, second] = Case(f"Peut-on associer {first} et {second} ?", "", "fr")
    return list(cases.values())


def _sides(record: SourceFile) -> tuple[str, str]:
    """The two sides of a thesaurus pair, as its title names them. A side may hold " + "
    ("GRAZOPREVIR + ELBASVIR"): the record's key (the folded sides, "|" between) says where
    they part."""
    parts = record.documents[0].meta.title.removeprefix("Interaction : ").split(" + ")
    main = record.path.removeprefix(ansm.PREFIX).split("|", 1)[0]
    cut = next((i for i in range(1, len(parts)) if fold(" + ".join(parts[:i])) == main), 1)
    return " + ".join(parts[:cut]), " + ".join(parts[cut:])


async def _bdpm(args: argparse.Namespace, settings: Settings) -> int:
    sets = _bdpm_sets(args.path, args)
    return await _run(
        "BDPM : service médical rendu (HAS)",
        sets.documents,
        sets.cases,
        args,
        settings,
        _bdpm_note(sets),
        sets.unanswerable,
    )


async def _official(args: argparse.Namespace, settings: Settings) -> int:
    """Both official sources in one index: each set's questions meet the other's documents
    (a medicine's sheet names the substances a pair question asks about, an interaction names
    the medicine's substance), as in production."""
    medicines = _bdpm_sets(args.bdpm, args)
    pairs, interactions, unlisted = _interaction_sets(args.thesaurus, args)
    note = f"BDPM: {_bdpm_note(medicines)} Thesaurus: {len(pairs)} pairs. {INTERACTIONS_NOTE}"
    return await _run(
        "Sources officielles : BDPM et thésaurus ANSM, un seul index",
        [*medicines.documents, *pairs],
        [*medicines.cases, *(replace(case, kind=INTERACTION) for case in interactions)],
        args,
        settings,
        note,
        [*medicines.unanswerable, *(replace(case, kind=INTERACTION) for case in unlisted)],
    )


def _bdpm_sets(path: Path, args: argparse.Namespace) -> BdpmSets:
    records = [record for record in bdpm.read_release(path) if record.documents]
    return bdpm_sets(records, args.limit or BDPM_QUESTIONS, args.abstention, args.whole_release)


def _bdpm_note(sets: BdpmSets) -> str:
    named = sum(1 for case in sets.cases if case.kind == NAMED)
    return (
        f"{sets.index} Questions: {named} name an indication quoted from the opinion,"
        f" {len(sets.cases) - named} only the medicine; the name is shortened to what precedes"
        " the dosage and form. An answer is right when it is an SMR opinion on the same name"
        " (stating that indication, if one is named)."
    )


@dataclass(frozen=True, slots=True)
class BdpmSets:
    documents: list[SourceFile]  # the medicines indexed, each with all its documents
    cases: list[Case]  # questions the index answers
    unanswerable: list[Case]  # --abstention: questions on medicines the index lacks
    index: str  # what the report says of the index


def bdpm_sets(records: Sequence[SourceFile], count: int, abstention: bool, whole: bool) -> BdpmSets:
    """The index and the questions of `eval bdpm`: the medicines asked about and BDPM_DISTRACTORS
    times as many drawn at random, or (`whole`) the whole release. With `abstention`, questions
    on medicines whose brand (the name's first word) the index lacks altogether: their SMR
    cannot be answered, though every opinion shares the question's other words, and many share
    its indication."""
    cases, asked = _smr_cases(records, count)
    absent_cases: list[Case] = []
    if whole:
        # Brands other than those asked about are held out, each with every medicine it names.
        held_out: set[str] = set()
        if abstention:
            brands = {brand(record) for record in records if record.path in asked}
            others = [record for record in records if brand(record) not in brands]
            absent_cases, absent_paths = _smr_cases(others, min(len(cases), UNANSWERABLE))
            held_out = {brand(record) for record in others if record.path in absent_paths}
        documents = [record for record in records if brand(record) not in held_out]
        index = (
            f"Index: the whole release, {len(documents)} medicines, each with all its documents"
            f" (sheet, SMR and ASMR opinions), but the {len(held_out)} brands held out for the"
            " questions it cannot answer."
        )
    else:
        others = [record for record in records if record.path not in asked]
        rng = random.Random(11)  # the same distractors every run
        distractors = rng.sample(others, min(len(others), BDPM_DISTRACTORS * len(asked)))
        documents = [record for record in records if record.path in asked] + distractors
        if abstention:
            brands = {brand(record) for record in documents}
            indexed = {record.path for record in documents}
            absent = [r for r in records if r.path not in indexed and brand(r) not in brands]
            absent_cases, _ = _smr_cases(absent, min(len(cases), UNANSWERABLE))
        index = (
            f"Index: the {len(asked)} medicines asked about and {len(distractors)} others drawn"
            " at random, each with all its documents (sheet, SMR and ASMR opinions)."
        )
    unanswerable = [replace(case, gold="", also=frozenset()) for case in absent_cases]
    return BdpmSets(documents, cases, unanswerable, index)


def brand(record: SourceFile) -> str:
    """A medicine's brand: the first word of its name (folded)."""
    return fold(bdpm.short_name(record.documents[0].meta.title)).split()[0]


async def _run(
    title: str,
    documents: Sequence[SourceFile],
    cases: Sequence[Case],
    args: argparse.Namespace,
    settings: Settings,
    note: str = "",
    unanswerable: Sequence[Case] = (),
) -> int:
    async with build_app(settings) as app:
        for name in args.text_config.values():
            if not await app.pool.fetchval("SELECT 1 FROM pg_ts_config WHERE cfgname = $1", name):
                raise InputError(f"PostgreSQL has no text search configuration {name!r}")
        app.corpus.text_config = {**app.corpus.text_config, **args.text_config}
        report = await app.ingestor().ingest(documents)
        vectors = await app.pipeline.embedder.embed([case.question for case in cases])  # batched
        scores: dict[str, Scores] = {
            mode: await _score(app, cases, vectors, mode) for mode in MODES
        }
        scores[PIPELINE] = await _score(app, cases, vectors, "hybrid", subjects=True)
        for weight in args.text_weights:
            label = f"hybrid, text ×{weight:g}"
            scores[label] = await _score(app, cases, vectors, "hybrid", weight)
        if unanswerable:
            asked = [*cases, *unanswerable]
            vectors = [
                *vectors,
                *await app.pipeline.embedder.embed([c.question for c in unanswerable]),
            ]
            retrieved = await _retrieve(app, asked, vectors, settings.retrieval_k)
            default = app.pipeline.settings.evidence
    args.out.mkdir(parents=True, exist_ok=True)
    indexed = sum(len(source.documents) for source in documents)
    if args.text_config:
        configs = ", ".join(f"{lang}={name}" for lang, name in args.text_config.items())
        note = f"{note} Text search configuration: {configs}.".strip()
    text = _report(title, indexed, report.passages, cases, scores, note)
    if unanswerable:
        text += _abstention_report(retrieved, default, settings.retrieval_k)
    (args.out / "report.md").write_text(text)
    _chart(title, scores, args.out / "chart.png")
    print(text)
    return 0


async def _score(
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


@dataclass(frozen=True, slots=True)
class Retrieval:
    """What the pipeline found for one question, and what it looked up about its words."""

    case: Case
    found: list[tuple[str, Passage]]  # (source key, passage), best first
    weights: WordWeights = field(default_factory=WordWeights)  # what its words weigh
    named: list[frozenset[str]] = field(default_factory=list)  # the corpus's subjects it names


Retrieved = list[Retrieval]


async def _retrieve(
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


def _abstention_report(retrieved: Retrieved, default: EvidencePolicy, k: int) -> str:
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


def _report(
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


def _chart(title: str, scores: dict[str, Scores], path: Path) -> None:
    import matplotlib

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


def _text_config(text: str) -> dict[str, str]:
    language, _, config = text.partition("=")
    if language not in ("fr", "en") or not re.fullmatch(r"[a-z_][a-z0-9_.]*", config):
        raise argparse.ArgumentTypeError(f"expected fr=CONFIG or en=CONFIG, not {text!r}")
    return {language: config}


def _weights(text: str) -> tuple[float, ...]:
    try:
        weights = tuple(float(w) for w in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if any(w < 0 for w in weights):
        raise argparse.ArgumentTypeError("weights are zero or more")
    return weights


def _abstract(pmid: str, item: dict[str, Any]) -> ParsedDocument:
    # The question is not part of the document: the title would give the answer away.
    sections = (Section((f"PMID {pmid}",), tuple(item["CONTEXTS"])),)
    meta = DocumentMeta(title=f"PMID {pmid}", publisher="PubMed", language="en",
                        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/")  # fmt: skip
    return ParsedDocument(f"pubmedqa:{pmid}", meta, sections, f"{pmid}:{CHUNKER_VERSION}")


# What precedes the dosage ("TAHOR 20 mg, comprimé") or the form ("DOLIPRANE, comprimé").
# "… est important dans le traitement de X" / "… par X dans le traitement de Y est important".
_LEVEL = r"(?:est|reste|restent|sont|demeure)\s+(?:très\s+)?(?:important|modéré|faible|insuffisant)"
_INDICATION_AFTER = re.compile(
    _LEVEL + r"e?s?\b,?\s*(?:uniquement\s+|seulement\s+)?(?P<indication>(?:dans|chez)\s.*)",
    re.IGNORECASE,
)
_INDICATION_BEFORE = re.compile(
    r"rendu par .{0,120}?\s(?P<indication>dans (?:le|la|les|l['’]).*?)\s(?:est|reste)\s",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"\s*(?:[;:(«»]|\.\s|\.$|\s-\s)")
# "dans l'indication de l'AMM", "chez les patients en échec", "dans les indications du
# princeps", "pour une prise en charge par la solidarité nationale": nothing to ask about.
_VAGUE = keywords(
    "indication indications AMM princeps spécialité spécialités remboursables population"
    " recommandée ensemble extension identiques celles périmètre suivantes suivants autres"
    " actuellement savoir chacune cas situations citées ci-dessus posologie respect strict"
    " attente réévaluation patients échec prise charge solidarité nationale comme"
)


def _smr_cases(records: Sequence[SourceFile], count: int) -> tuple[list[Case], set[str]]:
    """Questions on the SMR of `count` medicines (one per name), and the records they are about.

    Half name an indication quoted from the opinion when one is stated there ("Quel est le
    service médical rendu par X dans le traitement de Y ?"), the others only the medicine."""
    opinions: dict[str, list[tuple[str, str, str]]] = defaultdict(list)  # (record, key, text)
    indications: dict[str, list[tuple[str, str, str]]] = defaultdict(list)  # (…, indication)
    for record in records:
        medicine, *others = record.documents
        name = bdpm.short_name(medicine.meta.title)
        for doc in others:
            if not doc.source_key.startswith(f"{bdpm.PREFIX}smr:"):
                continue
            paragraphs = [p for section in doc.sections for p in section.paragraphs]
            text = fold(bdpm.ASIDE.sub("", " ".join(paragraphs)))  # as the indications are cut
            opinions[name].append((record.path, doc.source_key, text))
            for indication in filter(None, map(_indication, paragraphs)):
                indications[name].append((record.path, doc.source_key, indication))
    rng = random.Random(7)  # the same questions every run
    named = rng.sample(sorted(indications), min(len(indications), count // 2))
    plain = sorted(set(opinions) - set(named))
    plain = rng.sample(plain, min(len(plain), count - len(named)))
    cases, asked = [], set()
    for name in named:
        path, key, indication = rng.choice(indications[name])
        question = f"Quel est le service médical rendu par {name} {indication} ?"
        same = {k for _, k, text in opinions[name] if fold(indication) in text}
        cases.append(Case(question, key, "fr", also=frozenset(same - {key}), kind=NAMED))
        asked.add(path)
    for name in plain:
        path, key, _ = rng.choice(opinions[name])
        of = "d'" if fold(name[0]) in "aeiouy" else "de "
        question = rng.choice(
            (f"Quel est le SMR {of}{name} ?", f"Quel est le service médical rendu par {name} ?")
        )
        same = {k for _, k, _ in opinions[name]}
        cases.append(Case(question, key, "fr", also=frozenset(same - {key}), kind=PLAIN))
        asked.add(path)
    return cases, asked


def _indication(paragraph: str) -> str | None:
    """The indication an SMR opinion rates, as a clause of at most 20 words, if it names one."""
    found = _INDICATION_AFTER.search(paragraph) or _INDICATION_BEFORE.search(paragraph)
    if not found:
        return None
    clause = bdpm.ASIDE.sub("", found["indication"])
    end = _CLAUSE_END.search(clause)
    if end and end.group().strip() == ":":
        return None  # what follows the colon is part of it ("… et présentant :")
    indication = clause[: end.start() if end else None].strip().rstrip(".,")
    said = indication.split()
    if len(keywords(indication) - _VAGUE) < 2 or said[1] in ("ces", "cette"):
        return None  # vague, or refers to what the opinion said before
    if len(said) > 20 or not keywords(said[-1]) - _VAGUE:
        return None  # too long, or cut short ("pour le", "de S. aureus", "définie comme")
    return indication
