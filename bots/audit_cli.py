"""`medgpt audit verify | purge | export | show`: the audit trail for operators and the DPO."""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.postgres.audit import PgAuditLog
from bots.settings import Settings
from bots.wiring import build_app
from core.errors import InputError
from core.privacy import Redactor

EXPORTED = (
    "id", "occurred_at", "event", "platform", "conversation_id", "user_pseudonym", "language",
    "question", "outcome", "latency_ms", "reply_text", "disclaimer_version", "generator",
    "passage_ids", "document_hashes", "details", "purged_at", "row_hash",
)  # fmt: skip


def add_commands(commands: Any) -> None:
    audit = commands.add_parser("audit", help="verify, purge, export or show the audit trail")
    actions = audit.add_subparsers(required=True, metavar="ACTION")
    actions.add_parser("verify", help="walk the hash chain").set_defaults(run=verify)
    purge_cmd = actions.add_parser("purge", help="erase contents older than a delay, keep hashes")
    purge_cmd.add_argument("--older-than", required=True, help="e.g. 180d, 12h")
    purge_cmd.set_defaults(run=purge)
    export_cmd = actions.add_parser("export", help="rows as JSON Lines or CSV on stdout")
    export_cmd.add_argument("--since", help="YYYY-MM-DD (default: everything)")
    export_cmd.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export_cmd.set_defaults(run=export)
    show_cmd = actions.add_parser("show", help="one exchange with its feedback")
    show_cmd.add_argument("id", type=int)
    show_cmd.set_defaults(run=show)


async def verify(args: argparse.Namespace, settings: Settings) -> int:
    async with build_app(settings, check_index=False) as app:
        checked, broken = await PgAuditLog(app.pool).verify()
    if broken is None:
        print(f"audit chain intact: {checked} rows verified")
        return 0
    print(f"audit chain BROKEN at row {broken.row_id}: {broken.reason}")
    return 1


async def purge(args: argparse.Namespace, settings: Settings) -> int:
    delay = _duration(args.older_than)
    async with build_app(settings, check_index=False) as app:
        erased = await PgAuditLog(app.pool).purge(delay)
    print(f"erased the contents of {erased} audit rows older than {args.older_than} (hashes kept)")
    return 0


# Digests and times: never text a person wrote or a model echoed.
_NOT_TEXT = frozenset({"id", "occurred_at", "user_pseudonym", "document_hashes", "row_hash"})


async def export(args: argparse.Namespace, settings: Settings) -> int:
    """Every row, re-checked for identifiers first: a row that still holds one (written before
    the redaction caught its kind, or by a deployment without it) is not printed; the command
    names it on stderr and exits 1, so the DPO never forwards an identifier unknowingly."""
    since = _date(args.since) if args.since else None
    writer = csv.DictWriter(sys.stdout, EXPORTED) if args.format == "csv" else None
    if writer:
        writer.writeheader()
    checker, refused = _checker(settings), 0
    async with build_app(settings, check_index=False) as app:
        async for row in PgAuditLog(app.pool).rows(since):
            record = {k: _plain(row[k]) for k in EXPORTED}
            if await _refused(app.pool, checker, record):
                refused += 1
                continue
            if writer:
                writer.writerow(
                    {
                        k: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v
                        for k, v in record.items()
                    }
                )
            else:
                print(json.dumps(record, ensure_ascii=False))
    if refused:
        print(f"medgpt: {refused} audit rows withheld: they hold identifiers", file=sys.stderr)
        return 1
    return 0


async def show(args: argparse.Namespace, settings: Settings) -> int:
    async with build_app(settings, check_index=False) as app:
        rows = await PgAuditLog(app.pool).exchange(args.id)
        if not rows or rows[0]["id"] != args.id:
            raise InputError(f"no audit row {args.id}")
        exchange, feedback = rows[0], rows[1:]
        record = {k: _plain(exchange[k]) for k in EXPORTED}
        if await _refused(app.pool, _checker(settings), record):
            return 1
        passages = await app.pool.fetch(
            "SELECT id, text FROM passages WHERE id = ANY($1)", exchange["passage_ids"]
        )
    print(json.dumps(record, ensure_ascii=False, indent=2))
    for passage in passages:
        print(f"\npassage {passage['id']} (current text):\n{passage['text']}")
    for item in feedback:
        who, when = item["user_pseudonym"][:12], _plain(item["occurred_at"])
        print(f"\nfeedback {item['outcome']} by {who}… at {when}")
    return 0


def _checker(settings: Settings) -> Redactor:
    """The patterns and the hospital's own id format (no name model: it would take the
    corpus's eponyms and authors for patients)."""
    return Redactor(local_ids=re.compile(settings.ipp_pattern) if settings.ipp_pattern else None)


async def _refused(pool: Any, checker: Redactor, record: dict[str, Any]) -> bool:
    """Whether a row still holds an identifier outside what it quotes from its passages; if
    so, says which row, column and kind on stderr (never the value)."""
    quoted: list[str] | None = None
    leaks = []
    for column, value in record.items():
        if column in _NOT_TEXT or value is None:
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if not checker.left_in(text):
            continue
        if quoted is None:
            # The reply and the details quote the corpus, which may hold numbers, and words of
            # the question: those were judged in the question's context ("CIS 60234100"), and
            # the question itself is checked in it.
            ids = record.get("passage_ids") or []
            rows = await pool.fetch("SELECT text FROM passages WHERE id = ANY($1)", ids)
            quoted = [r["text"] for r in rows]
        own = [] if column == "question" else [*quoted, record.get("question") or ""]
        if kinds := checker.left_in(text, own):
            leaks.append(f"{column} ({', '.join(kinds)})")
    if leaks:
        print(
            f"medgpt: audit row {record['id']} not shown: {'; '.join(leaks)} look like patient"
            " identifiers; erase its contents with `medgpt audit purge` once the retention"
            " delay allows, or ask the data-protection officer",
            file=sys.stderr,
        )
    return bool(leaks)


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _duration(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([dh])", text.strip())
    if not match:
        raise InputError(f"invalid delay {text!r}: use a number of days or hours, e.g. 180d or 12h")
    amount = int(match[1])
    return timedelta(days=amount) if match[2] == "d" else timedelta(hours=amount)


def _date(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError as exc:
        raise InputError(f"invalid date {text!r}: use YYYY-MM-DD") from exc
