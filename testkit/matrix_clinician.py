"""The clinician's side of the Matrix tests: a second matrix-nio client (E2EE capable) that
creates rooms, asks, reacts, and reads the bot's replies as a client would show them (edits
applied)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    LoginResponse,
    RoomCreateResponse,
    RoomMessagesResponse,
    RoomSendResponse,
    ToDeviceMessage,
    ToDeviceResponse,
)

from bots.matrix.sync import crypto_housekeeping

ENCRYPTION = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}


@dataclass(frozen=True)
class Shown:
    """A message of the bot as a client shows it: the latest edit applied."""

    event_id: str
    content: dict[str, Any]
    encrypted: bool
    edits: int
    posted_ms: int = 0  # the homeserver's time of the message itself…
    shown_ms: int = 0  # …and of its latest edit (the same when never edited)

    @property
    def body(self) -> str:
        return str(self.content.get("body", ""))

    @property
    def html(self) -> str:
        return str(self.content.get("formatted_body", ""))


class Clinician:
    def __init__(self, homeserver: str, user_id: str, store: Path) -> None:
        store.mkdir(parents=True, exist_ok=True)
        config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False)
        self.client = AsyncClient(homeserver, user_id, store_path=str(store), config=config)
        self.next_batch: str | None = None

    async def login(self, password: str) -> None:
        response = await self.client.login(password, device_name="clinician")
        assert isinstance(response, LoginResponse), response
        await self.sync()

    async def close(self) -> None:
        await self.client.close()

    async def sync(self) -> None:
        response = await self.client.sync(timeout=0, since=self.next_batch, full_state=True)
        self.next_batch = getattr(response, "next_batch", self.next_batch)
        await crypto_housekeeping(self.client)  # as the bot does between syncs

    async def create_room(
        self, invite: list[str], encrypted: bool = False, direct: bool = False
    ) -> str:
        response = await self.client.room_create(
            invite=invite, is_direct=direct, initial_state=[ENCRYPTION] if encrypted else []
        )
        assert isinstance(response, RoomCreateResponse), response
        await self.sync()
        return str(response.room_id)

    async def send(
        self, room_id: str, text: str, mention: str | None = None, thread: str | None = None
    ) -> str:
        content: dict[str, Any] = {
            "msgtype": "m.text",
            "body": f"{mention} {text}" if mention else text,
            "m.mentions": {"user_ids": [mention]} if mention else {},
        }
        if thread:
            content["m.relates_to"] = {
                "rel_type": "m.thread",
                "event_id": thread,
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": thread},
            }
        return await self.send_raw(room_id, "m.room.message", content)

    async def send_key_later(
        self, room_id: str, text: str, mention: str, hold_s: float
    ) -> tuple[str, Callable[[], Any]]:
        """An encrypted question whose room key is sent to the other devices only when the
        returned coroutine function is awaited (after `hold_s`): a client that shares its keys
        late. The event id, and that function."""
        await self.sync()
        client, olm = self.client, self.client.olm
        assert olm is not None
        missing = client.get_missing_sessions(room_id)
        if missing:
            await client.keys_claim(missing)
        olm.create_outbound_group_session(room_id)  # a session of its own, shared with nobody yet
        users = list(client.rooms[room_id].users)
        held = list(olm.share_group_session_parallel(room_id, users, True))
        olm.outbound_group_sessions[room_id].shared = True  # nio: do not share it before sending
        content = {"msgtype": "m.text", "body": f"{mention} {text}",
                   "m.mentions": {"user_ids": [mention]}}  # fmt: skip
        response = await client.room_send(room_id, "m.room.message", content)
        assert isinstance(response, RoomSendResponse), response

        async def share() -> None:
            await asyncio.sleep(hold_s)
            for _, to_device in held:
                for user, devices in to_device["messages"].items():
                    for device, encrypted in devices.items():
                        message = ToDeviceMessage("m.room.encrypted", user, device, encrypted)
                        sent = await client.to_device(message)
                        assert isinstance(sent, ToDeviceResponse), sent

        return str(response.event_id), share

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        relation = {"rel_type": "m.annotation", "event_id": event_id, "key": key}
        return await self.send_raw(room_id, "m.reaction", {"m.relates_to": relation})

    async def send_raw(self, room_id: str, event_type: str, content: dict[str, Any]) -> str:
        await self.sync()
        response = await self.client.room_send(
            room_id, event_type, content, ignore_unverified_devices=True
        )
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)

    async def sent_at(self, room_id: str, event_id: str) -> int:
        """The homeserver's time of an event (ms since the epoch)."""
        response = await self.client.room_get_event(room_id, event_id)
        return int(response.event.server_timestamp)

    async def membership(self, room_id: str, user_id: str) -> str | None:
        response = await self.client.room_get_state_event(room_id, "m.room.member", user_id)
        content = getattr(response, "content", None)
        return content.get("membership") if isinstance(content, dict) else None

    async def wait_membership(
        self, room_id: str, user_id: str, membership: str, timeout_s: float = 30.0
    ) -> None:
        deadline = time.monotonic() + timeout_s
        while (now := await self.membership(room_id, user_id)) != membership:
            if time.monotonic() > deadline:
                raise AssertionError(f"{user_id} is {now!r} in {room_id}, not {membership!r}")
            await asyncio.sleep(0.2)
        await self.sync()

    async def messages_from(self, room_id: str, sender: str) -> list[Shown]:
        """The sender's messages, oldest first, with their latest edit applied."""
        await self.sync()
        response = await self.client.room_messages(room_id, limit=200)
        assert isinstance(response, RoomMessagesResponse), response
        events = list(reversed(response.chunk))
        originals: dict[str, Shown] = {}
        for event in events:
            source = event.source
            if source.get("sender") != sender or source.get("type") != "m.room.message":
                continue
            content = source.get("content", {})
            encrypted = getattr(event, "decrypted", False)
            relation = content.get("m.relates_to") or {}
            at = int(source.get("origin_server_ts", 0))
            if relation.get("rel_type") == "m.replace":
                target = originals.get(relation["event_id"])
                if target is not None:
                    originals[target.event_id] = Shown(
                        target.event_id,
                        content["m.new_content"],
                        encrypted,
                        target.edits + 1,
                        target.posted_ms,
                        at,
                    )
            else:
                originals[source["event_id"]] = Shown(
                    source["event_id"], content, encrypted, 0, at, at
                )
        return list(originals.values())

    async def wait_for(
        self,
        room_id: str,
        sender: str,
        ready: Callable[[list[Shown]], bool],
        timeout_s: float = 60.0,
    ) -> list[Shown]:
        """The sender's messages once `ready` holds for them (fails after the timeout)."""
        deadline = time.monotonic() + timeout_s
        while True:
            shown = await self.messages_from(room_id, sender)
            if ready(shown):
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; the bot's messages: {shown}")
            await asyncio.sleep(0.3)


def answered(count: int) -> Callable[[list[Shown]], bool]:
    """`count` final answers shown (their sources and disclaimer in place, not a placeholder)."""
    return lambda shown: len(final(shown)) >= count


def final(shown: list[Shown]) -> list[Shown]:
    return [s for s in shown if "⚠️" in s.html]
