"""A faithful, recording fake of the Slack Web API (the methods the bot uses), on aiohttp.

Slack cannot run locally; like slack-bolt's own tests, the bot's AsyncWebClient is pointed at
this server (base_url ending in /api/). Every call is recorded; errors and rate limits can be
scripted per method."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER = "UBOT"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float = field(default_factory=time.perf_counter)  # when the fake received it


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    # method -> scripted failures, consumed in order: ("ratelimited", retry_after) or (error, None)
    failures: dict[str, list[tuple[str, int | None]]] = field(default_factory=dict)
    _ts: Any = field(default_factory=lambda: itertools.count(1))
    runner: web.AppRunner | None = None
    url: str = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/api/{method}", self._handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/api/"
        return self.url

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    def called(self, method: str) -> list[dict[str, Any]]:
        return [c.args for c in self.calls if c.method == method]

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.headers.get("Authorization") != "Bearer xoxb-test":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        args = await _arguments(request)
        self.calls.append(Call(method, args))
        scripted = self.failures.get(method)
        if scripted:
            error, retry_after = scripted.pop(0)
            if error == "ratelimited":
                headers = {"Retry-After": str(retry_after or 1)}
                return web.json_response({"ok": False, "error": error}, status=429, headers=headers)
            return web.json_response({"ok": False, "error": error})
        return web.json_response(self._answer(method, args))

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "user_id": BOT_USER,
                "bot_id": "BBOT",
                "team_id": "T0HOSP",
                "user": "medgpt",
                "team": "Hospital",
                "url": "https://hospital.slack.com/",
            }
        if method in ("chat.postMessage", "chat.update"):
            ts = args.get("ts") or f"1764170000.{next(self._ts):06d}"
            return {
                "ok": True,
                "channel": args.get("channel"),
                "ts": ts,
                "message": {"text": args.get("text"), "ts": ts},
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1764180000.{next(self._ts):06d}"}
        if method in (
            "reactions.add",
            "reactions.remove",
            "assistant.threads.setStatus",
            "assistant.threads.setSuggestedPrompts",
        ):
            return {"ok": True}
        return {"ok": False, "error": "unknown_method"}


async def _arguments(request: web.Request) -> dict[str, Any]:
    args: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        args.update(await request.json())
    elif request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            text = str(value)
            try:
                args[key] = json.loads(text) if key == "blocks" else text
            except ValueError:
                args[key] = text
    return args
