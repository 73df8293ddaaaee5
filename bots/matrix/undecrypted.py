"""Encrypted messages the bot could not read yet: kept, and read once their room key arrives.

In an end-to-end encrypted room a clinician's client sends the room key to the bot's device in a
to-device message, apart from the messages it opens. That key can reach the bot after the message:
a client that shares keys late (it had not yet seen the bot's join or its device), a to-device
message retried, a bot whose device was just created. nio hands such a message over undecrypted
(a MegolmEvent) and never looks at it again, so the question was lost: the bot kept silent while
the clinician waited. Kept here, it is decrypted after the sync that brings its key.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from nio import AsyncClient, EncryptionError, MegolmEvent

log = structlog.get_logger(__name__)


@dataclass
class Undecrypted:
    """Undecryptable events in arrival order, bounded in number and age."""

    max_events: int = 1000
    max_age_s: float = 3600.0  # a key later than this: the question is no longer current
    clock: Callable[[], float] = time.monotonic
    _kept: dict[str, tuple[float, str, MegolmEvent]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self._kept)

    def keep(self, room_id: str, event: MegolmEvent) -> None:
        event.room_id = event.room_id or room_id
        self._kept.pop(event.event_id, None)
        self._kept[event.event_id] = (self.clock(), room_id, event)
        while len(self._kept) > self.max_events:
            dropped = next(iter(self._kept))
            log.warning("matrix_undecryptable_dropped", event_id=dropped, reason="too many kept")
            del self._kept[dropped]

    def readable(self, client: AsyncClient) -> list[tuple[str, Any]]:
        """(room, decrypted event) for each kept event whose room key is now held, oldest
        first; those are forgotten, as are the ones kept longer than max_age_s."""
        if client.olm is None:
            return []
        now = self.clock()
        found: list[tuple[str, Any]] = []
        for event_id, (since, room_id, event) in list(self._kept.items()):
            if now - since > self.max_age_s:
                log.warning("matrix_undecryptable_expired", room=room_id, event_id=event_id)
                del self._kept[event_id]
                continue
            if not _has_key(client, room_id, event):
                continue
            del self._kept[event_id]
            try:
                decrypted = client.decrypt_event(event)
            except EncryptionError as exc:  # a replayed index, a corrupt message
                log.warning(
                    "matrix_undecryptable_bad", room=room_id, event_id=event_id, reason=str(exc)
                )
                continue
            log.info("matrix_decrypted_late", room=room_id, event_id=event_id, waited_s=now - since)
            found.append((room_id, decrypted))
        return found


def _has_key(client: AsyncClient, room_id: str, event: MegolmEvent) -> bool:
    """Whether the inbound session is held, without nio's decryption attempt (it logs, and
    queues key re-requests, at every failure)."""
    assert client.olm is not None
    store = client.olm.inbound_group_store
    return store.get(room_id, event.sender_key, event.session_id) is not None
