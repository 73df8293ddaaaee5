"""The rooms the bot is in: the invites it accepts, the rooms it leaves, and who it is there.

Who may invite the bot is who may ask it (the conversation service's ChatPolicy); a room where
no such person is left, or that is unencrypted when encryption is required, is left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from nio import AsyncClient, JoinError, RoomMemberEvent

from bots.conversation import ChatPolicy
from bots.matrix.events import BotIdentity

log = structlog.get_logger(__name__)


@dataclass
class Rooms:
    client: AsyncClient
    policy: ChatPolicy
    require_encryption: bool = False  # decline invites to, and leave, unencrypted rooms

    def admits(self, user_id: str) -> bool:
        """May this Matrix user ask the bot (and invite it)? Its domain is its homeserver."""
        return self.policy.admits(user_id, user_id.partition(":")[2])

    def is_dm(self, room_id: str) -> bool:
        """A one-to-one room: the bot and one person (joined or invited)."""
        room = self.client.rooms.get(room_id)
        return room is not None and int(room.member_count) <= 2

    async def on_invite(self, room_id: str) -> None:
        room = self.client.invited_rooms.get(room_id)
        inviter = getattr(room, "inviter", None)
        if inviter is None or not self.admits(inviter):
            log.warning("matrix_invite_declined", room=room_id, inviter=inviter)
            await self.client.room_leave(room_id)
            return
        if self.require_encryption and not (room and room.encrypted):
            log.warning("matrix_invite_declined_unencrypted", room=room_id, inviter=inviter)
            await self.client.room_leave(room_id)
            return
        joined = await self.client.join(room_id)
        if isinstance(joined, JoinError):
            log.error("matrix_join_failed", room=room_id, error=joined.message)
        else:
            log.info("matrix_joined", room=room_id, inviter=inviter)

    async def left_after(self, room_id: str, events: Sequence[Any]) -> bool:
        """After a batch whose membership changed: leave the room if it is no longer one for
        the bot; True when it left."""
        if not any(isinstance(event, RoomMemberEvent) for event in events):
            return False
        return await self.leave_if_not_allowed(room_id)

    async def review(self) -> None:
        """Every room against the policy (it may have changed while the bot was down)."""
        for room_id in list(self.client.rooms):
            await self.leave_if_not_allowed(room_id)

    async def leave_if_not_allowed(self, room_id: str) -> bool:
        """Leave a room where no allowed person is left (or that lost its encryption policy)."""
        room = self.client.rooms.get(room_id)
        if room is None:
            return False
        others = [u for u in room.users if u != self.client.user_id]
        unencrypted = self.require_encryption and not room.encrypted
        if unencrypted or not any(self.admits(u) for u in others):
            log.warning("matrix_leaving_room", room=room_id, unencrypted=unencrypted)
            await self.client.room_leave(room_id)
            return True
        return False


async def identity(client: AsyncClient) -> BotIdentity:
    """The bot's user id and display name, for clients that mention it by name."""
    try:
        response = await client.get_displayname(client.user_id)
    except Exception as exc:
        log.warning("matrix_display_name_unknown", error=type(exc).__name__)
        return BotIdentity(client.user_id)
    name = getattr(response, "displayname", None)
    return BotIdentity(client.user_id, name or None)
