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


async def export(args: argparse.Namespace, settings: Settings) -> int:
    since = _date(args.since) if args.since else None
    writer = csv.DictWriter(sys.stdout, EXPORTED) if args.format == "csv" else None
    if writer:
        writer.writeheader()
    async with build_app(settings, check_index=False) as app:
        async for row in PgAuditLog(app.pool).rows(since):
            record = {k: _plain(row[k]) for k in EXPORTED}
            if writer:
                writer.writerow(
                    {
                        k: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v
                        for k, v in record.items()
                    }
                )
            else:
                print(json.dumps(record, ensure_ascii=False))
    return 0


async def show(args: argparse.Namespace, settings: Settings) -> int:
    async with build_app(settings, check_index=False) as app:
        rows = await PgAuditLog(app.pool).exchange(args.id)
        if not rows or rows[0]["id"] != args.id:
            raise InputError(f"no audit row {args.id}")
        exchange, feedback = rows[0], rows[1:]
        passages = await app.pool.fetch(
            "SELECT id, text FROM passages WHERE id = ANY($1)", exchange["passage_ids"]
        )
    print(json.dumps({k: _plain(exchange[k]) for k in EXPORTED}, ensure_ascii=False, indent=2))
    for passage in passages:
        print(f"\npassage {passage['id']} (current text):\n{passage['text']}")
    for item in feedback:
        who, when = item["user_pseudonym"][:12], _plain(item["occurred_at"])
        print(f"\nfeedback {item['outcome']} by {who}… at {when}")
    return 0


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
