"""`medgpt eval`: retrieval quality on public data sets, per search mode, as a Markdown report
and a PNG chart. Run it against a throw-away database (MEDGPT_DATA_DIR or DATABASE_URL)."""

from __future__ import annotations

import argparse
import itertools
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from adapters.sources import ansm
from bots.settings import Settings
from bots.wiring import App, build_app
from core.documents import CHUNKER_VERSION, ParsedDocument, Section
from core.ingestion import SourceFile
from core.models import DocumentMeta, Language
from core.ports import SearchQuery
from core.text import fold

Mode = Literal["text", "vector", "hybrid"]
MODES: tuple[Mode, ...] = ("text", "vector", "hybrid")
K = 10


@dataclass(frozen=True, slots=True)
class Case:
    question: str
    gold: str  # source key of the document that answers it
    language: Language
    expected_level: str | None = None  # interactions: the severity the answer must carry


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
    pubmedqa = sets.add_parser("pubmedqa", help="PubMedQA: each question must find its abstract")
    pubmedqa.add_argument("path", type=Path, help="ori_pqal.json")
    interactions = sets.add_parser(
        "interactions", help="ANSM thesaurus: 'Peut-on associer X et Y ?'"
    )
    interactions.add_argument("path", type=Path, help="the thesaurus JSON")
    interactions.add_argument("--index", type=Path, help="the substance index JSON")
    for command, run in ((pubmedqa, _pubmedqa), (interactions, _interactions)):
        command.add_argument(
            "--out", type=Path, required=True, help="folder for report.md, chart.png"
        )
        command.add_argument("--limit", type=int, help="use only the first N records")
        command.set_defaults(run=run)


async def _pubmedqa(args: argparse.Namespace, settings: Settings) -> int:
    data = json.loads(args.path.read_text())
    items = list(itertools.islice(data.items(), args.limit))
    documents = [SourceFile(f"pubmedqa:{pmid}", (_abstract(pmid, item),)) for pmid, item in items]
    cases = [Case(item["QUESTION"], f"pubmedqa:{pmid}", "en") for pmid, item in items]
    return await _run("PubMedQA (PQA-L)", documents, cases, args, settings)


async def _interactions(args: argparse.Namespace, settings: Settings) -> int:
    index = args.index or args.path.with_name("index-des-substances-20102020.json")
    records = list(itertools.islice(ansm.read_thesaurus(args.path, index), args.limit))
    members = ansm.class_members(index)
    rng = random.Random(7)  # the same queries every run
    cases = []
    for record in records:
        [doc] = record.documents
        main, plus = doc.meta.title.removeprefix("Interaction : ").split(" + ", 1)
        first = rng.choice(members.get(fold(main), [main.lower()]))
        second = rng.choice(members.get(fold(plus), [plus.lower()]))
        level = (doc.meta.version or "").split(" ; ")[0]
        cases.append(Case(f"Peut-on associer {first} et {second} ?", record.path, "fr", level))
    return await _run("Thésaurus ANSM des interactions", records, cases, args, settings)


async def _run(
    title: str,
    documents: Sequence[SourceFile],
    cases: Sequence[Case],
    args: argparse.Namespace,
    settings: Settings,
) -> int:
    async with build_app(settings) as app:
        report = await app.ingestor().ingest(documents)
        vectors = await app.embedder.embed([case.question for case in cases])  # once, batched
        scores = {mode: await _score(app, cases, vectors, mode) for mode in MODES}
    args.out.mkdir(parents=True, exist_ok=True)
    text = _report(title, len(documents), report.passages, cases, scores)
    (args.out / "report.md").write_text(text)
    _chart(title, scores, args.out / "chart.png")
    print(text)
    return 0


async def _score(
    app: App, cases: Sequence[Case], vectors: Sequence[Sequence[float]], mode: Mode
) -> Scores:
    keys = {
        r["id"]: r["source_key"]
        for r in await app.pool.fetch("SELECT id, source_key FROM documents")
    }
    scores = Scores()
    for case, vector in zip(cases, vectors, strict=True):
        found = await app.corpus.search(
            SearchQuery(case.question, vector, case.language, K, mode=mode)
        )
        ranked = list(dict.fromkeys(keys[p.document_id] for p in found))
        scores.ranks.append(ranked.index(case.gold) + 1 if case.gold in ranked else None)
        if (
            case.expected_level
            and found
            and case.expected_level in (found[0].document.version or "")
        ):
            scores.right_level += 1
    return scores


def _report(
    title: str, documents: int, passages: int, cases: Sequence[Case], scores: dict[Mode, Scores]
) -> str:
    lines = [
        f"## {title}",
        "",
        f"{documents} documents ({passages} passages embedded in this run),"
        f" {len(cases)} questions, k = {K}.",
        "",
        "| mode | recall@1 | recall@5 | recall@10 | MRR@10 |"
        + (" top answer has the right severity |" if cases[0].expected_level else ""),
        "|---|---|---|---|---|" + ("---|" if cases[0].expected_level else ""),
    ]
    for mode, s in scores.items():
        row = (
            f"| {mode} | {s.recall(1):.3f} | {s.recall(5):.3f} | {s.recall(10):.3f} | {s.mrr:.3f} |"
        )
        if cases[0].expected_level:
            row += f" {s.right_level / len(cases):.3f} |"
        lines.append(row)
    return "\n".join(lines) + "\n"


def _chart(title: str, scores: dict[Mode, Scores], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = ("recall@1", "recall@5", "recall@10", "MRR@10")
    figure, axes = plt.subplots(figsize=(7, 3.5))
    width = 0.25
    for i, (mode, s) in enumerate(scores.items()):
        values = (s.recall(1), s.recall(5), s.recall(10), s.mrr)
        axes.bar([x + i * width for x in range(len(metrics))], values, width, label=mode)
    axes.set_xticks([x + width for x in range(len(metrics))], metrics)
    axes.set_ylim(0, 1)
    axes.set_title(title)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _abstract(pmid: str, item: dict[str, Any]) -> ParsedDocument:
    # The question is not part of the document: the title would give the answer away.
    sections = (Section((f"PMID {pmid}",), tuple(item["CONTEXTS"])),)
    meta = DocumentMeta(title=f"PMID {pmid}", publisher="PubMed", language="en",
                        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/")  # fmt: skip
    return ParsedDocument(f"pubmedqa:{pmid}", meta, sections, f"{pmid}:{CHUNKER_VERSION}")
