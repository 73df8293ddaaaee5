"""Encrypted messages the bot could not read yet: held, and read once their room key arrives.

In an end-to-end encrypted room a clinician's client sends the room key to the bot's device in a
to-device message, apart from the messages it opens. That key can reach the bot after the message:
a client that shares keys late (it had not yet seen the bot's join or its device), a to-device
message retried, a bot whose device was just created, a bot restarted in between. nio hands such a
message over undecrypted (a MegolmEvent) and never looks at it again, and the sync position moves
past it, so the question was lost: the bot kept silent while the clinician waited. Held here, and
in the state store (still encrypted) so that a restart keeps them, it is decrypted after the sync
that brings its key. At start, a key is requested from the sender's devices for each held event
whose key is still missing. After `max_age_s` an event is dropped: the question is no longer
current.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import structlog
from nio import AsyncClient, EncryptionError, MegolmEvent

from core.models import Platform
from core.ports import HeldEvent, HeldEvents

log = structlog.get_logger(__name__)


class RoomKeys(Protocol):
    """The bot device's room keys (NioKeys over nio's Olm machine)."""

    def holds(self, room_id: str, event: MegolmEvent) -> bool:
        """Whether the room key that opens this event is here."""
        ...

    def decrypt(self, event: MegolmEvent) -> object:
        """The decrypted event (a nio Event; a BadEvent when nio cannot parse it); raises
        EncryptionError (a replayed index, a corrupt message)."""
        ...

    def request(self, event: MegolmEvent) -> bool:
        """Ask the sender's devices for the event's key (sent with the next to-device batch);
        False when it was asked for already (nio remembers across restarts)."""
        ...


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Undecrypted:
    """Undecryptable events, oldest first, bounded in number and age, kept in `store`."""

    store: HeldEvents
    account: str  # the bot's user id: its held events are its own
    keys: RoomKeys
    max_events: int = 1000
    max_age_s: float = 3600.0  # a key later than this: the question is no longer current
    clock: Callable[[], datetime] = _now  # the wall clock: ages run across restarts
    _kept: dict[str, tuple[datetime, str, MegolmEvent]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self._kept)

    async def load(self) -> None:
        """At start: the events the previous run held (too old ones dropped), and a key
        request for each whose key is still missing."""
        for held in await self.store.held_events(Platform.MATRIX, self.account):
            event = _parsed(held)
            if event is None:
                log.warning("matrix_undecryptable_unreadable", event_id=held.event_id)
                await self.store.release_event(Platform.MATRIX, self.account, held.event_id)
                continue
            self._kept[held.event_id] = (held.held_since, held.room, event)
        await self._bound()
        requested = sum(
            not self.keys.holds(room_id, event) and self.keys.request(event)
            for _, room_id, event in self._kept.values()
        )
        if self._kept:
            log.info("matrix_undecryptable_held", kept=len(self._kept), keys_requested=requested)

    async def keep(self, room_id: str, event: MegolmEvent) -> None:
        """Hold an event nio could not decrypt (in the store before the sync position moves)."""
        if event.event_id in self._kept:  # delivered again (a batch retried): held already
            return
        event.room_id = event.room_id or room_id
        since = self.clock()
        payload = json.dumps(event.source)
        await self.store.hold_event(
            Platform.MATRIX, self.account, HeldEvent(event.event_id, room_id, payload, since)
        )
        self._kept[event.event_id] = (since, room_id, event)
        await self._bound()

    async def readable(self) -> list[tuple[str, object]]:
        """(room, decrypted event) for each held event whose room key is now here, oldest
        first; those are released, as are the ones held longer than max_age_s."""
        await self._bound()
        now = self.clock()
        found: list[tuple[str, object]] = []
        for event_id, (since, room_id, event) in list(self._kept.items()):
            if not self.keys.holds(room_id, event):
                continue
            await self._release(event_id)
            try:
                decrypted = self.keys.decrypt(event)
            except EncryptionError as exc:
                log.warning(
                    "matrix_undecryptable_bad", room=room_id, event_id=event_id, reason=str(exc)
                )
                continue
            waited_s = (now - since).total_seconds()
            log.info("matrix_decrypted_late", room=room_id, event_id=event_id, waited_s=waited_s)
            found.append((room_id, decrypted))
        return found

    async def _bound(self) -> None:
        """Drop what is too old, then the oldest beyond max_events."""
        now = self.clock()
        for event_id, (since, room_id, _) in list(self._kept.items()):
            if (now - since).total_seconds() > self.max_age_s:
                log.warning("matrix_undecryptable_expired", room=room_id, event_id=event_id)
                await self._release(event_id)
        while len(self._kept) > self.max_events:
            dropped = next(iter(self._kept))
            log.warning("matrix_undecryptable_dropped", event_id=dropped, reason="too many kept")
            await self._release(dropped)

    async def _release(self, event_id: str) -> None:
        await self.store.release_event(Platform.MATRIX, self.account, event_id)
        del self._kept[event_id]


def _parsed(held: HeldEvent) -> MegolmEvent | None:
    try:
        event = MegolmEvent.from_dict(json.loads(held.payload))
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(event, MegolmEvent):  # nio returns a BadEvent for what it cannot parse
        return None
    event.room_id = held.room
    return event


@dataclass
class NioKeys:
    """The room keys in nio's Olm machine (the device's store, kept across restarts)."""

    client: AsyncClient

    def holds(self, room_id: str, event: MegolmEvent) -> bool:
        """Without nio's decryption attempt (it logs, and queues key re-requests, at every
        failure)."""
        olm = self.client.olm
        if olm is None:
            return False
        return olm.inbound_group_store.get(room_id, event.sender_key, event.session_id) is not None

    def decrypt(self, event: MegolmEvent) -> object:
        return self.client.decrypt_event(event)

    def request(self, event: MegolmEvent) -> bool:
        olm = self.client.olm
        if olm is None or event.session_id in olm.outgoing_key_requests:
            return False
        queued = olm.outgoing_to_device_messages
        if any(getattr(m, "request_id", None) == event.session_id for m in queued):
            return False
        # To the sender's devices (nio's own request_room_key asks only the bot's devices);
        # the request id is the session's, which is how nio records it once sent.
        queued.append(
            event.as_key_request(
                event.sender, self.client.device_id, event.session_id, event.device_id
            )
        )
        return True
