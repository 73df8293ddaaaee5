"""Encrypted questions whose room key is late: held in the state store, read when the key comes,
across a restart too, and dropped after a bounded age (fakes for the store and the keys; nio's
own Olm machine, offline, for the key request)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from nio import AsyncClient, MegolmEvent
from structlog.testing import capture_logs

from bots.matrix.undecrypted import NioKeys, Undecrypted
from core.models import Platform
from core.ports import HeldEvent
from testkit.fakes import FakeChatState

BOT = "@medgpt:hopital.fr"
ROOM = "!urgences:hopital.fr"
START = datetime(2026, 1, 15, 8, 30, tzinfo=UTC)


def encrypted(event_id: str, session: str = "session-a") -> MegolmEvent:
    event = MegolmEvent.from_dict(
        {
            "type": "m.room.encrypted",
            "event_id": event_id,
            "sender": "@dr.martin:hopital.fr",
            "origin_server_ts": 1_768_465_800_000,
            "content": {
                "algorithm": "m.megolm.v1.aes-sha2",
                "ciphertext": "AwgAEnB0ZXh0",
                "sender_key": "curve25519-of-dr-martins-phone",
                "session_id": session,
                "device_id": "PHONE",
            },
        }
    )
    assert isinstance(event, MegolmEvent)
    return event


@dataclass
class Keys:
    """The device's room keys: which sessions it holds; what it asked for."""

    sessions: set[str] = field(default_factory=set)
    requested: list[str] = field(default_factory=list)

    def holds(self, room_id: str, event: MegolmEvent) -> bool:
        return event.session_id in self.sessions

    def decrypt(self, event: MegolmEvent) -> Any:
        return {"decrypted": event.event_id}

    def request(self, event: MegolmEvent) -> bool:
        if event.session_id in self.requested:
            return False
        self.requested.append(event.session_id)
        return True


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


def started(store: FakeChatState, keys: Keys, clock: Clock, **limits: Any) -> Undecrypted:
    return Undecrypted(store, BOT, keys, clock=clock, **limits)


async def test_a_question_held_at_a_restart_is_answered_when_its_key_comes() -> None:
    """The bot stops while a question waits for its key: the next start still has it, asks
    the sender's devices for the key, and reads it after the sync that brings the key."""
    store, keys, clock = FakeChatState(), Keys(), Clock()
    before = started(store, keys, clock)
    await before.keep(ROOM, encrypted("$q1"))
    assert await before.readable() == []
    clock.now += timedelta(minutes=5)  # the restart
    after = started(store, Keys(), clock)
    await after.load()
    assert len(after) == 1
    assert after.keys.requested == ["session-a"]  # type: ignore[attr-defined]
    assert await after.readable() == []  # not yet
    after.keys.sessions.add("session-a")  # type: ignore[attr-defined]
    assert await after.readable() == [(ROOM, {"decrypted": "$q1"})]
    assert await store.held_events(Platform.MATRIX, BOT) == []  # read: released
    assert await after.readable() == []  # once


async def test_a_key_that_came_while_the_bot_was_down_is_used_at_once() -> None:
    """The key reached the device's store before the restart's first sync: no request, the
    question is read with the first batch."""
    store, clock = FakeChatState(), Clock()
    await started(store, Keys(), clock).keep(ROOM, encrypted("$q1"))
    after = started(store, Keys(sessions={"session-a"}), clock)
    await after.load()
    assert after.keys.requested == []  # type: ignore[attr-defined]
    assert await after.readable() == [(ROOM, {"decrypted": "$q1"})]


async def test_a_question_whose_key_never_comes_is_dropped_after_a_bounded_age() -> None:
    """An hour on, a question is no longer current: it is dropped, from the store too, with a
    log line, whether the bot ran all along or restarted (then no key is asked for)."""
    store, keys, clock = FakeChatState(), Keys(), Clock()
    running = started(store, keys, clock, max_age_s=3600)
    await running.keep(ROOM, encrypted("$q1"))
    clock.now += timedelta(minutes=59)
    await running.keep(ROOM, encrypted("$q2", session="session-b"))
    clock.now += timedelta(minutes=2)
    with capture_logs() as logs:
        assert await running.readable() == []
    assert [e["event_id"] for e in logs if e["event"] == "matrix_undecryptable_expired"] == ["$q1"]
    assert [e.event_id for e in await store.held_events(Platform.MATRIX, BOT)] == ["$q2"]
    clock.now += timedelta(hours=2)
    restarted = started(store, Keys(), clock)
    with capture_logs() as logs:
        await restarted.load()
    assert len(restarted) == 0
    assert restarted.keys.requested == []  # type: ignore[attr-defined]
    assert [e["event_id"] for e in logs if e["event"] == "matrix_undecryptable_expired"] == ["$q2"]
    assert await store.held_events(Platform.MATRIX, BOT) == []


async def test_held_events_are_bounded_in_number_and_held_once() -> None:
    """Past `max_events` the oldest is dropped (from the store too); an event delivered twice
    (a batch retried) is held once, its age counted from the first time."""
    store, keys, clock = FakeChatState(), Keys(), Clock()
    held = started(store, keys, clock, max_events=2)
    for number in (1, 2, 3):
        await held.keep(ROOM, encrypted(f"$q{number}"))
        clock.now += timedelta(seconds=1)
    await held.keep(ROOM, encrypted("$q3"))
    stored = await store.held_events(Platform.MATRIX, BOT)
    assert [(e.event_id, e.held_since) for e in stored] == [
        ("$q2", START + timedelta(seconds=1)),
        ("$q3", START + timedelta(seconds=2)),
    ]
    assert len(held) == 2


async def test_a_stored_event_that_cannot_be_parsed_is_dropped() -> None:
    """A damaged row never stops the bot from starting: logged and released."""
    store = FakeChatState()
    await store.hold_event(Platform.MATRIX, BOT, HeldEvent("$bad", ROOM, "{not json", START))
    await store.hold_event(Platform.MATRIX, BOT, HeldEvent("$odd", ROOM, '{"type": 1}', START))
    undecrypted = started(store, Keys(), Clock())
    with capture_logs() as logs:
        await undecrypted.load()
    assert len(undecrypted) == 0
    assert sum(e["event"] == "matrix_undecryptable_unreadable" for e in logs) == 2
    assert await store.held_events(Platform.MATRIX, BOT) == []


async def test_the_key_request_goes_to_the_senders_devices_once(tmp_path: Path) -> None:
    """With nio's own Olm machine (offline): the request is addressed to the sender's device
    for the event's session, queued for the next to-device batch, and not queued twice."""
    client = AsyncClient("http://127.0.0.1:1", BOT, store_path=str(tmp_path))
    client.restore_login(BOT, "BOTDEVICE", "token")  # loads (creates) the device's keys
    try:
        keys = NioKeys(client)
        event = encrypted("$q1")
        event.room_id = ROOM
        assert not keys.holds(ROOM, event)
        assert keys.request(event)
        assert not keys.request(encrypted("$q2"))  # same session: asked already
        assert client.olm is not None
        [message] = client.olm.outgoing_to_device_messages
        assert (message.type, message.recipient, message.recipient_device) == (
            "m.room_key_request",
            "@dr.martin:hopital.fr",
            "PHONE",
        )
        assert message.content["body"]["session_id"] == "session-a"
        assert message.content["body"]["room_id"] == ROOM
        assert message.content["requesting_device_id"] == "BOTDEVICE"
    finally:
        await client.close()
