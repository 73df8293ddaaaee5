"""`medgpt serve slack`: Socket Mode (default) or the HTTP Events API on an aiohttp server;
SIGTERM stops taking messages, drains in-flight answers, then exits."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

from bots import health
from bots.conversation import ChatPolicy
from bots.settings import Settings, SettingsError
from bots.slack.app import SlackBot, web_client
from bots.wiring import App, build_app

log = structlog.get_logger(__name__)


def http_app(bot: SlackBot, path: str = "/slack/events") -> web.Application:
    """Signed Events API requests in (bolt verifies the signature and the 5-minute window)."""

    async def events(request: web.Request) -> web.Response:
        response = await bot.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post(path, events)
    app.router.add_post("/slack/interactions", events)
    app.router.add_get("/healthz", healthz)
    return app


def policy(settings: Settings) -> ChatPolicy:
    return ChatPolicy(
        allowed_domains=frozenset(settings.slack_allowed_teams),
        allowed_rooms=frozenset(settings.slack_allowed_channels),
        allow_dms=settings.slack_allow_dms,
        thread_followups=settings.slack_thread_followups,
        refuse_silently=settings.slack_refusal == "silence",
    )


def bot_for(core: App, settings: Settings) -> SlackBot:
    if settings.slack_bot_token is None:
        raise SettingsError("missing setting SLACK_BOT_TOKEN (the xoxb- token of the Slack app)")
    client = web_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    secret = settings.slack_signing_secret
    return SlackBot(
        service=core.conversation(policy(settings), settings.slack_questions_per_minute),
        client=client,
        signing_secret=secret.get_secret_value() if secret else None,
        stream=settings.slack_streaming,
    )


async def serve(settings: Settings) -> None:
    _check(settings)
    async with build_app(settings, load_models=True, prewarm=True, first_run=True) as core:
        bot = bot_for(core, settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        close = await _start(bot, settings)
        close_health = await _health(core, bot, settings)
        log.warning("slack_bot_started", mode=settings.slack_mode)
        await stop.wait()
        log.warning("slack_bot_stopping", in_flight=bot.tasks.in_flight)
        await close()  # no new messages
        await bot.tasks.drain()  # answers and audit writes in flight complete
        await close_health()


async def _start(bot: SlackBot, settings: Settings) -> Callable[[], Awaitable[None]]:
    if settings.slack_mode == "http":
        runner = web.AppRunner(http_app(bot))
        await runner.setup()
        await web.TCPSite(runner, settings.slack_http_host, settings.slack_http_port).start()
        return runner.cleanup
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    assert settings.slack_app_token is not None
    handler = AsyncSocketModeHandler(bot.app, settings.slack_app_token.get_secret_value())
    await handler.connect_async()  # type: ignore[no-untyped-call]
    return handler.close_async


async def _health(core: App, bot: SlackBot, settings: Settings) -> Callable[[], Awaitable[None]]:
    async def slack() -> str:
        answer = await bot.client.auth_test()
        return f"slack workspace {answer.get('team', '?')}"

    return await health.start(core.health(slack), settings.health_host, settings.health_port)


def _check(settings: Settings) -> None:
    if settings.slack_bot_token is None:
        raise SettingsError("missing setting SLACK_BOT_TOKEN (the xoxb- token of the Slack app)")
    if settings.slack_mode == "socket" and settings.slack_app_token is None:
        raise SettingsError(
            "missing setting SLACK_APP_TOKEN (xapp- token, Socket Mode); or set SLACK_MODE=http"
        )
    if settings.slack_mode == "http" and settings.slack_signing_secret is None:
        raise SettingsError("missing setting SLACK_SIGNING_SECRET (required by SLACK_MODE=http)")
