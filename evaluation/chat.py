"""`medgpt eval chat`: the chat-style question set asked through the bot's own pipeline, with
the answer rate reported per style and per corpus."""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from adapters.sources import ansm, bdpm
from bots.console import progress
from bots.settings import Settings
from bots.wiring import App, build_app, demo_corpus_dir, read_files
from core.errors import InputError
from core.ingestion import SourceFile
from core.models import ConversationId, IncomingMessage, Platform, Reply, Turn, UserId
from evaluation.questions import FOLDER, STYLES, Question, holds, load
from evaluation.report import Result, render, summary

THESAURUS = "ansm_thesaurus_interactions/thesaurus-*.json"  # under --data


def add_command(sets: Any) -> None:
    """`chat` beside the other data sets of `medgpt eval`."""
    chat = sets.add_parser(
        "chat",
        help="the chat-style question set through the whole pipeline: answered with the fact,"
        " without it, or abstained, per style and corpus",
    )
    chat.add_argument("--split", choices=["dev", "test", "all"], default="dev")
    chat.add_argument(
        "--corpus",
        choices=["demo", "whole"],
        default="demo",
        help="demo: the demo notes and their questions; whole: also the ANSM thesaurus and the"
        " whole BDPM release (from --data; ~53,000 passages to embed the first time)",
    )
    chat.add_argument(
        "--data", type=Path, help="folder holding bdpm/ and ansm_thesaurus_interactions/"
    )
    chat.add_argument(
        "--bdpm",
        choices=["whole", "asked"],
        default="whole",
        help="with --corpus whole: the whole BDPM release (as in production), or only the"
        " medicines whose opinions the questions are labelled with (a quicker trial, and an"
        " easier index)",
    )
    chat.add_argument(
        "--set",
        type=Path,
        default=FOLDER,
        help="the questions: a JSON Lines file, or a folder whose questions*.jsonl batches are"
        " read together (default: every batch of tests/data/chat_eval)",
    )
    chat.add_argument("--style", choices=STYLES, help="only the questions of this style")
    chat.add_argument(
        "--limit", type=int, help="ask only the first N answerable and N near-miss questions"
    )
    chat.add_argument("--out", type=Path, required=True, help="folder for report.md")
    chat.set_defaults(run=run)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    questions = select(load(args.set), args.split, args.corpus, args.style, args.limit)
    if args.corpus == "whole" and args.data is None:
        raise InputError(
            "--corpus whole needs --data DIR, the folder holding bdpm/ and"
            " ansm_thesaurus_interactions/"
        )
    async with build_app(settings) as app:
        indexed, problems = await _index(app, args, questions)
        keys = {
            row["id"]: document_key(row["source_key"])
            for row in await app.pool.fetch("SELECT id, source_key FROM documents")
        }
        results = [await ask(app, question, keys) for question in questions]
    args.out.mkdir(parents=True, exist_ok=True)
    report = render(results, args.split, args.corpus, indexed, problems)
    (args.out / "report.md").write_text(report)
    print(summary(results))
    for problem in problems:
        print(f"medgpt: label problem: {problem}", file=sys.stderr)
    return 0


def select(
    questions: Sequence[Question], split: str, corpus: str, style: str | None, limit: int | None
) -> list[Question]:
    """The questions to ask: of the split, of the corpora indexed, of the style; with a limit,
    the first `limit` answerable ones and the first `limit` near misses."""
    kept = [
        q
        for q in questions
        if split in ("all", q.split)
        and (corpus == "whole" or q.corpus == "demo")
        and style in (None, q.style)
    ]
    answerable = [q.id for q in kept if q.answerable][:limit]
    near = [q.id for q in kept if not q.answerable][:limit]
    return [q for q in kept if q.id in {*answerable, *near}]


async def _index(
    app: App, args: argparse.Namespace, questions: Sequence[Question]
) -> tuple[str, list[str]]:
    """Index the demo notes and, for the whole corpus, both official sources as the importers
    read them; check meanwhile that each labelled document exists and holds its fact."""
    answerable = [q for q in questions if q.answerable]
    sources: list[Iterable[SourceFile]] = [read_files([demo_corpus_dir()], demo=True)]
    if args.corpus == "whole":
        asked = {key for q in answerable for key in q.answers} if args.bdpm == "asked" else None
        sources += _official(args.data, asked)
    seen: dict[str, str] = {}
    labelled = {q.expected for q in answerable}
    with progress("passages") as advance:
        files = _watch(itertools.chain(*sources), seen, labelled)
        report = await app.ingestor(advance).ingest(files)
    problems = [
        f"{q.id}: {q.expected} "
        + ("is not indexed" if q.expected not in seen else f"lacks {q.fact!r}")
        for q in answerable
        if not holds(seen.get(q.expected, ""), q.fact)
    ]
    documents, passages = await app.corpus.counts()
    what = {
        "demo": "the demo notes",
        "whole": "the demo notes, the ANSM thesaurus and the whole BDPM release",
        "asked": "the demo notes, the ANSM thesaurus and the BDPM medicines asked about",
    }["demo" if args.corpus == "demo" else args.bdpm]
    indexed = (
        f"Index: {what}, {documents} documents, {passages} passages"
        f" ({report.passages} embedded in this run)."
    )
    return indexed, problems


def _watch(
    files: Iterable[SourceFile], seen: dict[str, str], labelled: set[str]
) -> Iterator[SourceFile]:
    """The files, unchanged; the text of each labelled document read on the way."""
    for file in files:
        for document in file.documents:
            key = document_key(document.source_key)
            if key in labelled:
                paragraphs = (p for section in document.sections for p in section.paragraphs)
                seen[key] = " ".join(paragraphs)
        yield file


def _official(data: Path, asked: set[str] | None) -> list[Iterable[SourceFile]]:
    """The ANSM thesaurus (with its substance index) and the BDPM release under `data`; with
    `asked`, only the medicines holding one of those documents."""
    found = sorted(data.glob(THESAURUS))
    if len(found) != 1:
        raise InputError(f"expected one file {data / THESAURUS}, found {len(found)}")
    [thesaurus] = found
    return [
        ansm.read_thesaurus(thesaurus, ansm.default_index(thesaurus)),
        (
            medicine
            for medicine in bdpm.read_release(data / "bdpm")
            if asked is None or any(doc.source_key in asked for doc in medicine.documents)
        ),
    ]


def document_key(source_key: str) -> str:
    """How the set names a document: a note by its file name, an imported record by its key."""
    return Path(source_key).name if source_key.startswith("/") else source_key


async def ask(app: App, question: Question, keys: dict[int, str]) -> Result:
    """The question asked as in a chat thread: the earlier turns first, each with its reply."""
    thread = ConversationId(f"eval-chat-{question.id}")
    history: tuple[Turn, ...] = ()
    for earlier in question.history:
        reply = await app.pipeline.answer(_message(earlier, thread, history))
        history = (*history, Turn(reply.asked, reply.text))
    reply = await app.pipeline.answer(_message(question.question, thread, history))
    return _result(question, reply, keys)


def _message(text: str, thread: ConversationId, history: tuple[Turn, ...]) -> IncomingMessage:
    return IncomingMessage(text, Platform.CONSOLE, thread, UserId("eval-chat"), history)


def _result(question: Question, reply: Reply, keys: dict[int, str]) -> Result:
    sources = tuple(keys.get(source.document_id, "") for source in reply.sources)
    headline = reply.sources[0].headline or "" if reply.sources else ""
    return Result(question, reply.outcome, reply.text, sources, headline)
