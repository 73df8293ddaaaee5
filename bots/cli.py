"""The `medgpt` command: ask, chat, ingest, db."""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bots import console, resident
from bots.settings import Settings, SettingsError, load_settings
from core.errors import InputError, MedGPTError, StoreError
from core.models import ConversationId, IncomingMessage, Outcome, Platform, Reply

if TYPE_CHECKING:
    from bots.wiring import App
    from core.ingestion import IngestReport

# The wiring (database driver, model runtimes), logging, asyncio, the audit and evaluation
# commands are imported by the commands that use them: `ask` mostly hands its question to the
# resident (bots/resident.py), and a Python start with this module's imports is most of what it
# then costs.

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNAVAILABLE = 0, 1, 2, 3
_EXIT_BY_OUTCOME = {
    Outcome.ANSWERED: EXIT_OK,
    Outcome.ABSTAINED: EXIT_OK,
    Outcome.EMERGENCY: EXIT_OK,
    Outcome.REJECTED: EXIT_USAGE,
    Outcome.ERROR: EXIT_UNAVAILABLE,
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser(everything=_command(argv) != "ask").parse_args(argv)
    try:
        settings = load_settings()
        if args.run is _ask and (code := _ask_resident(args, settings)) is not None:
            return code
        import asyncio

        from bots.logs import configure_logging

        configure_logging(logging.INFO if args.verbose else logging.WARNING, settings.log_format)
        ran: int = asyncio.run(args.run(args, settings))
        return ran
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `medgpt ask … | head`: the reader left, nothing to report
        sys.stderr.close()
        return 141
    except MedGPTError as exc:
        print(f"medgpt: error: {exc}", file=sys.stderr)
        return exit_code(exc)


def exit_code(exc: MedGPTError) -> int:
    if isinstance(exc, SettingsError | InputError):
        return EXIT_USAGE
    if isinstance(exc, StoreError):
        return EXIT_UNAVAILABLE
    return EXIT_FAILED


def _command(argv: Sequence[str]) -> str | None:
    """The command named: the first word that is not an option (the global ones have no value)."""
    return next((word for word in argv if not word.startswith("-")), None)


def _parser(everything: bool = True) -> argparse.ArgumentParser:
    """The command line; without `everything`, the audit and evaluation commands are left out
    (their modules load the wiring), for `ask`."""
    parser = argparse.ArgumentParser(
        prog="medgpt", description="Sourced answers from a validated medical corpus."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    ask = commands.add_parser("ask", help="answer one question and exit")
    ask.add_argument("question", nargs="+", help="the question (quote it, or not)")
    ask.add_argument("--json", action="store_true", help="print the reply as JSON")
    ask.set_defaults(run=_ask)

    chat = commands.add_parser("chat", help="a console conversation with follow-ups")
    chat.set_defaults(run=_chat)

    ingest = commands.add_parser(
        "ingest", help="add files to the corpus (md, txt, html, pdf, jsonl)"
    )
    ingest.add_argument("paths", nargs="*", type=Path, help="files or folders")
    ingest.add_argument("--prune", action="store_true", help="remove documents whose file is gone")
    ingest.add_argument("--demo", action="store_true", help="(re)index the bundled demo corpus")
    ingest.add_argument(
        "--source",
        choices=["files", "bdpm", "ansm-interactions"],
        default="files",
        help="bdpm: a BDPM release folder; ansm-interactions: the thesaurus (JSON or CSV)",
    )
    ingest.add_argument("--index", type=Path, help="ANSM substance index (classes -> substances)")
    ingest.add_argument("--limit", type=int, help="import only the first N records (a trial)")
    ingest.set_defaults(run=_ingest)

    serve = commands.add_parser("serve", help="run a chat bot until SIGTERM")
    serve.add_argument("platform", choices=["slack", "matrix"], help="which chat platform")
    serve.set_defaults(run=_serve)

    doctor = commands.add_parser("doctor", help="check every dependency and print its state")
    doctor.set_defaults(run=_doctor)

    if everything:
        import evaluation.cli
        from bots import audit_cli

        audit_cli.add_commands(commands)
        evaluation.cli.add_commands(commands)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(required=True, metavar="ACTION")
    db_commands.add_parser("migrate", help="apply pending migrations").set_defaults(run=_migrate)
    db_commands.add_parser("status", help="what the corpus holds").set_defaults(run=_status)
    reset = db_commands.add_parser(
        "reset",
        help="delete the corpus (to re-index with another embedding model); keeps the audit",
    )
    reset.add_argument("--yes", action="store_true", help="confirm: every document is deleted")
    reset.set_defaults(run=_reset)
    return parser


def _ask_resident(args: argparse.Namespace, settings: Settings) -> int | None:
    """`ask` through the data directory's resident (bots/resident.py), which answers in
    milliseconds once started; None: this process answers (`_ask`), as with -v, so that its
    progress is logged here."""
    if args.verbose:
        return None
    try:
        answer = resident.ask(settings, " ".join(args.question), console.user())
    except resident.Refused as exc:
        print(f"medgpt: error: {exc}", file=sys.stderr)
        return exc.code
    return None if answer is None else _print(answer, args.json)


async def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from bots.wiring import build_app

    question = " ".join(args.question)
    async with build_app(settings) as app:
        await _first_run(app)
        reply = await app.pipeline.answer(
            IncomingMessage(question, Platform.CONSOLE, ConversationId("cli"), console.user())
        )
    return _print(answer_of(reply), args.json)


def _print(answer: resident.Answer, in_json: bool) -> int:
    if answer.notice:
        print(answer.notice, file=sys.stderr)
    outcome = Outcome(answer.outcome)
    out = sys.stderr if outcome in (Outcome.REJECTED, Outcome.ERROR) else sys.stdout
    print(
        json.dumps(answer.json, ensure_ascii=False, indent=2) if in_json else answer.text, file=out
    )
    return _EXIT_BY_OUTCOME[outcome]


async def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from bots.conversation import ChatPolicy
    from bots.wiring import build_app

    # The models load while the clinician types the first question.
    async with build_app(settings, load_models=True) as app:
        await _first_run(app)
        # One person at a terminal: no allow-list, no rate limit.
        await console.chat(app.conversation(ChatPolicy(), questions_per_minute=None))
    return EXIT_OK


async def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from bots.wiring import build_app, demo_corpus_dir, read_files
    from bots.wiring.demo_vectors import with_shipped_vectors

    if not args.paths and not args.demo:
        raise InputError("give at least one file or folder to ingest (or --demo)")
    if args.source != "files":
        return await _ingest_source(args, settings)
    async with build_app(settings) as app:
        report = None
        with console.progress("passages") as advance:
            if args.demo:
                embedder = with_shipped_vectors(app.embedder)
                report = await app.ingestor(advance, embedder).ingest(
                    read_files([demo_corpus_dir()], demo=True),
                    prune_under=[str(demo_corpus_dir().resolve())] if args.prune else (),
                )
            if args.paths:
                prefixes = [str(p.resolve()) for p in args.paths] if args.prune else []
                report = await app.ingestor(advance).ingest(read_files(args.paths), prefixes)
    assert report is not None
    resident.stop(settings)  # it read the corpus's state as it started: the next ask starts anew
    console.print_report(report)
    return EXIT_FAILED if report.failed else EXIT_OK


async def _ingest_source(args: argparse.Namespace, settings: Settings) -> int:
    """An official source: changed records replaced, records gone from the release retired."""
    from adapters.sources import ansm, bdpm
    from bots.wiring import build_app, store_drug_names

    if len(args.paths) != 1:
        raise InputError(f"--source {args.source} takes exactly one path")
    [path] = args.paths
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    index = None
    if args.source == "bdpm":
        records, prefix = bdpm.read_release(path, args.limit), bdpm.PREFIX
    else:
        index = args.index or ansm.default_index(path)
        if not index.exists():
            if args.index:
                raise InputError(f"{index}: no such file")
            print(
                f"medgpt: no substance index at {index}: pairs stated for a drug class will not"
                " name its substances (give it with --index)",
                file=sys.stderr,
            )
        records, prefix = ansm.read_thesaurus(path, index), ansm.PREFIX
    if args.limit is not None:
        records = itertools.islice(records, args.limit)
    # A trial import (--limit) must not retire the records it did not read.
    retire = [prefix] if args.limit is None else []
    async with build_app(settings) as app:
        with console.progress("passages") as advance:
            report = await app.ingestor(advance).ingest(records, retire_under=retire)
        names = await store_drug_names(app.pool, args.source, path, index)
    resident.stop(settings)  # it read the drug names as it started: the next ask starts anew
    console.print_report(report)
    print(f"{names} drug names stored for query understanding (brands, classes)")
    return EXIT_FAILED if report.failed else EXIT_OK


async def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    from bots.wiring import build_app

    async with build_app(settings):
        print("database schema is up to date")
    return EXIT_OK


async def _status(args: argparse.Namespace, settings: Settings) -> int:
    from bots.wiring import build_app

    async with build_app(settings) as app:
        documents, passages = await app.corpus.counts()
        identity = app.embedder.identity
    print(
        f"documents: {documents}\npassages: {passages}\nembedding model: {identity.model}"
        f" ({identity.dimension} dimensions)"
    )
    return EXIT_OK


async def _reset(args: argparse.Namespace, settings: Settings) -> int:
    from bots.wiring import build_app

    if not args.yes:
        raise InputError("`medgpt db reset` deletes every document: add --yes to confirm")
    async with build_app(settings, check_index=False) as app:
        await app.corpus.reset()
    resident.stop(settings)
    print("corpus deleted (audit kept); run `medgpt ingest` to rebuild it")
    return EXIT_OK


async def _serve(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here: each platform's client library loads only for the bot that uses it.
    if args.platform == "matrix":
        from bots.matrix import serve as matrix

        await matrix.serve(settings)
    else:
        from bots.slack import serve as slack

        await slack.serve(settings)
    return EXIT_OK


async def _doctor(args: argparse.Namespace, settings: Settings) -> int:
    from bots.doctor import diagnose, render

    checks = await diagnose(settings)
    print(render(checks))
    return EXIT_OK if all(c.ok for c in checks) else EXIT_UNAVAILABLE


async def _first_run(app: App) -> None:
    from bots.wiring import ensure_demo_corpus

    report = await ensure_demo_corpus(app)
    if report is not None:
        print(first_run_notice(report), file=sys.stderr)


def first_run_notice(report: IngestReport) -> str:
    return f"First run: indexed the demo corpus ({report.added} notes, {report.passages} passages)."


def answer_of(reply: Reply) -> resident.Answer:
    """The reply as `ask` prints it: text, or JSON with --json."""
    from bots.render_text import render_text

    return resident.Answer(reply.outcome.value, render_text(reply), as_json(reply))


def as_json(reply: Reply) -> dict[str, Any]:
    data = asdict(reply)
    for source in data["sources"]:
        source["published"] = source["published"].isoformat() if source["published"] else None
    return data


if __name__ == "__main__":
    raise SystemExit(main())
