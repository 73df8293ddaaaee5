"""`medgpt eval`: retrieval quality on public data sets, per search mode, as a Markdown report
and (with the `eval` extra) a PNG chart. Run it against a throw-away database (MEDGPT_DATA_DIR
or DATABASE_URL)."""

from __future__ import annotations

import argparse
import itertools
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from adapters.sources import ansm, bdpm
from bots.settings import Settings
from bots.wiring import build_app
from core.errors import InputError
from core.ingestion import SourceFile
from evaluation import chat
from evaluation.abstention import abstention_report, retrieve_all
from evaluation.public_sets import (
    BDPM_QUESTIONS,
    INTERACTION,
    INTERACTIONS_NOTE,
    NAMED,
    BdpmSets,
    Case,
    bdpm_sets,
    interaction_cases,
    pubmedqa_sets,
    unlisted_pairs,
)
from evaluation.recall import MODES, PIPELINE, Scores, chart, recall_report, score


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
    documents, cases = pubmedqa_sets(args.path, args.limit)
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
    unanswerable = unlisted_pairs(records, members, len(cases)) if args.abstention else []
    return records, cases, unanswerable


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
        scores: dict[str, Scores] = {mode: await score(app, cases, vectors, mode) for mode in MODES}
        scores[PIPELINE] = await score(app, cases, vectors, "hybrid", subjects=True)
        for weight in args.text_weights:
            label = f"hybrid, text ×{weight:g}"
            scores[label] = await score(app, cases, vectors, "hybrid", weight)
        if unanswerable:
            asked = [*cases, *unanswerable]
            vectors = [
                *vectors,
                *await app.pipeline.embedder.embed([c.question for c in unanswerable]),
            ]
            retrieved = await retrieve_all(app, asked, vectors, settings.retrieval_k)
            default = app.pipeline.settings.evidence
    args.out.mkdir(parents=True, exist_ok=True)
    indexed = sum(len(source.documents) for source in documents)
    if args.text_config:
        configs = ", ".join(f"{lang}={name}" for lang, name in args.text_config.items())
        note = f"{note} Text search configuration: {configs}.".strip()
    text = recall_report(title, indexed, report.passages, cases, scores, note)
    if unanswerable:
        text += abstention_report(retrieved, default, settings.retrieval_k)
    (args.out / "report.md").write_text(text)
    if not chart(title, scores, args.out / "chart.png"):
        print(
            "medgpt: no chart.png: matplotlib is not installed (pip install 'medgpt[eval]')",
            file=sys.stderr,
        )
    print(text)
    return 0


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
