"""The audit trail's hash chain (pure): a canonical encoding of each row, the link from one row
to the next, and the walk that names the first broken link.

Contents (question, answer, details) enter the chain through their own sha256, so erasing them
in a retention purge keeps every link verifiable while the contents are gone."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64  # the "previous hash" of the first row

# The fields a row's hash covers, in this order (content fields through their hashes).
CHAINED = (
    "id",
    "occurred_at",
    "event",
    "platform",
    "conversation_id",
    "user_pseudonym",
    "language",
    "question_sha256",
    "outcome",
    "latency_ms",
    "reply_sha256",
    "disclaimer_version",
    "generator",
    "passage_ids",
    "document_hashes",
    "details_sha256",
)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def details_text(details: Mapping[str, Any]) -> str:
    """The one text form of a details mapping that is hashed (sorted keys, no spacing)."""
    return json.dumps(
        details, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def row_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    canonical = json.dumps(
        [prev_hash, *(_plain(row[name]) for name in CHAINED)],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return sha256(canonical)


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True, slots=True)
class Break:
    row_id: int
    reason: str


def first_break(rows: Iterable[Mapping[str, Any]]) -> Break | None:
    """Walk the rows in id order; the first row whose link, hash or contents do not hold."""
    previous = GENESIS
    for row in rows:
        if row["prev_hash"] != previous:
            return Break(
                row["id"],
                "its previous-row hash does not match: a row before it was "
                "removed, inserted or reordered",
            )
        if row_hash(previous, row) != row["row_hash"]:
            return Break(row["id"], "its recorded fields were changed after it was written")
        if row["purged_at"] is None:
            contents = (
                ("question", sha256(row["question"]), row["question_sha256"]),
                ("answer", sha256(row["reply_text"]), row["reply_sha256"]),
                ("details", sha256(details_text(row["details"])), row["details_sha256"]),
            )
            for name, found, recorded in contents:
                if found != recorded:
                    return Break(row["id"], f"its {name} was changed after it was written")
        previous = row["row_hash"]
    return None
