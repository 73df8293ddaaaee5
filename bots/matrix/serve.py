"""`medgpt serve matrix`: log in (reusing the device), hold the account's lock so that one
replica syncs at a time, run the sync loop; SIGTERM stops syncing, drains answers, then exits."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

import structlog
from nio import AsyncClient, AsyncClientConfig, LoginResponse, WhoamiResponse

from adapters.postgres.chat import PgChatState
from bots import health
from bots.conversation import ChatPolicy
from bots.matrix.app import MatrixBot
from bots.matrix.sync import MatrixError
from bots.settings import Settings, SettingsError
from bots.wiring import App, build_app
from core.models import Platform

log = structlog.get_logger(__name__)

CLIENT_CONFIG = AsyncClientConfig(
    max_limit_exceeded=3,  # nio retries 429 forever by default: bound it
    max_timeouts=3,
    encryption_enabled=True,
    store_sync_tokens=False,  # the sync position lives in Postgres (shared by replicas)
)


def policy(settings: Settings) -> ChatPolicy:
    """With no users or servers listed, the bot's own homeserver may ask."""
    return ChatPolicy(
        allowed_users=frozenset(settings.matrix_allowed_users),
        allowed_domains=frozenset(settings.matrix_allowed_servers),
        home_domain=(settings.matrix_user_id or "").partition(":")[2],
        allow_dms=settings.matrix_allow_dms,
        thread_followups=settings.matrix_thread_followups,
        refuse_silently=settings.matrix_refusal == "silence",
    )


def store_dir(settings: Settings, user_id: str) -> Path:
    """Where the device's keys (E2EE store) and its login live: keep it across restarts."""
    folder = settings.data_dir / "matrix" / re.sub(r"[^A-Za-z0-9._-]", "_", user_id)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


async def login(settings: Settings) -> AsyncClient:
    """A logged-in client whose device (and its keys) survives restarts."""
    homeserver, user_id = _required(settings)
    folder = store_dir(settings, user_id)
    client = AsyncClient(
        homeserver, user_id, store_path=str(folder), config=CLIENT_CONFIG, ssl=None
    )
    try:
        if settings.matrix_access_token is not None:
            await _with_token(client, settings.matrix_access_token.get_secret_value())
        else:
            await _with_password(client, settings, folder / "login.json")
        if client.should_upload_keys:
            await client.keys_upload()
    except BaseException:
        await client.close()
        raise
    log.info("matrix_logged_in", user=client.user_id, device=client.device_id)
    return client


async def _with_token(client: AsyncClient, token: str) -> None:
    client.access_token = token
    who = await client.whoami()
    if not isinstance(who, WhoamiResponse) or not who.device_id:
        raise MatrixError(f"MATRIX_ACCESS_TOKEN was refused by the homeserver: {who}")
    if who.user_id != client.user_id:
        raise SettingsError(f"MATRIX_ACCESS_TOKEN belongs to {who.user_id}, not MATRIX_USER_ID")
    client.restore_login(who.user_id, who.device_id, token)


async def _with_password(client: AsyncClient, settings: Settings, saved: Path) -> None:
    login_data = await asyncio.to_thread(_read_login, saved)
    if login_data is not None:
        token, device_id = login_data["access_token"], login_data["device_id"]
        client.access_token = token
        who = await client.whoami()
        if isinstance(who, WhoamiResponse) and who.device_id == device_id:
            client.restore_login(client.user_id, device_id, token)
            return
        log.warning("matrix_saved_login_rejected", reason=str(who))  # logged out elsewhere
    assert settings.matrix_password is not None
    client.access_token = ""
    # Logging in again with the same device id keeps the device (and its E2EE identity).
    client.device_id = login_data["device_id"] if login_data else None
    response = await client.login(
        settings.matrix_password.get_secret_value(), device_name=settings.matrix_device_name
    )
    if not isinstance(response, LoginResponse):
        raise MatrixError(f"the homeserver refused the login of {client.user_id}: {response}")
    await asyncio.to_thread(_write_login, saved, response.device_id, response.access_token)


def _read_login(path: Path) -> dict[str, str] | None:
    if not path.exists():
        return None
    data: dict[str, str] = json.loads(path.read_text())
    return data


def _write_login(path: Path, device_id: str, access_token: str) -> None:
    """The device id and its token, readable by this user only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump({"device_id": device_id, "access_token": access_token}, file)


def _required(settings: Settings) -> tuple[str, str]:
    if not settings.matrix_homeserver:
        raise SettingsError("missing setting MATRIX_HOMESERVER (e.g. https://matrix.example.org)")
    if not settings.matrix_user_id:
        raise SettingsError("missing setting MATRIX_USER_ID (e.g. @medgpt:example.org)")
    if settings.matrix_password is None and settings.matrix_access_token is None:
        raise SettingsError("missing setting MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN")
    return settings.matrix_homeserver, settings.matrix_user_id


def bot_for(core: App, settings: Settings, client: AsyncClient) -> MatrixBot:
    return MatrixBot(
        service=core.conversation(policy(settings), settings.matrix_questions_per_minute),
        state=PgChatState(core.pool),
        client=client,
        require_encryption=settings.matrix_require_encryption,
    )


async def serve(settings: Settings) -> None:
    """Replicas wait for the account's lock before they log in: one device, one syncer."""
    _, user_id = _required(settings)
    async with build_app(settings, load_models=True, prewarm=True, first_run=True) as core:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        running: list[MatrixBot] = []
        close_health = await _health(core, running, settings)
        state = PgChatState(core.pool)
        async with state.exclusive(Platform.MATRIX, user_id, stop) as held:
            if held:
                client = await login(settings)
                try:
                    bot = bot_for(core, settings, client)
                    running.append(bot)
                    log.warning("matrix_bot_started", user=client.user_id)
                    await bot.run(stop)
                    log.warning("matrix_bot_stopping", in_flight=bot.tasks.in_flight)
                    await bot.tasks.drain()
                finally:
                    await client.close()
        await close_health()


async def _health(
    core: App, running: list[MatrixBot], settings: Settings
) -> Callable[[], Awaitable[None]]:
    async def matrix() -> str:
        if not running:
            return "standby: another replica holds the Matrix account"
        who = await running[0].client.whoami()
        if not isinstance(who, WhoamiResponse):
            raise MatrixError(f"homeserver: {who}")
        return f"matrix {who.user_id}"

    return await health.start(core.health(matrix), settings.health_host, settings.health_port)
