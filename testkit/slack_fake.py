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
    # Whether the workspace has the streaming API (chat.startStream…); without it Slack answers
    # as for any method it does not know.
    streaming: bool = False
    # What a member of the channel sees: ts -> the message (text, blocks, streaming or not).
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
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
            if method == "chat.update" and ts not in self.messages:
                return {"ok": False, "error": "message_not_found"}
            shown = self.messages.setdefault(ts, {"thread_ts": args.get("thread_ts")})
            shown.update(text=args.get("text"), blocks=args.get("blocks"))
            return {
                "ok": True,
                "channel": args.get("channel"),
                "ts": ts,
                "message": {"text": args.get("text"), "ts": ts},
            }
        if method == "chat.delete":
            if self.messages.pop(str(args.get("ts")), None) is None:
                return {"ok": False, "error": "message_not_found"}
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        if self.streaming and method in (
            "chat.startStream",
            "chat.appendStream",
            "chat.stopStream",
        ):
            return self._stream(method, args)
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

    def _stream(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """Slack's streaming messages: started in a thread, appended to, stopped with blocks
        under the streamed text; outside a DM the recipient must be named."""
        channel = str(args.get("channel", ""))
        if method == "chat.startStream":
            if not args.get("thread_ts"):
                return {"ok": False, "error": "invalid_arguments"}
            if not channel.startswith("D") and not (
                args.get("recipient_user_id") and args.get("recipient_team_id")
            ):
                return {"ok": False, "error": "missing_recipient_user_id"}
            ts = f"1764170000.{next(self._ts):06d}"
            self.messages[ts] = {
                "thread_ts": args["thread_ts"],
                "text": args.get("markdown_text", ""),
                "blocks": None,
                "streaming": True,
            }
            return {"ok": True, "channel": channel, "ts": ts}
        shown = self.messages.get(str(args.get("ts")))
        if shown is None or not shown.get("streaming"):
            return {"ok": False, "error": "message_not_in_streaming_state"}
        shown["text"] += args.get("markdown_text") or ""
        if method == "chat.stopStream":
            shown.update(streaming=False, blocks=args.get("blocks"))
        return {"ok": True, "channel": channel, "ts": args["ts"]}

    def thread(self, thread_ts: str) -> list[dict[str, Any]]:
        """The bot's messages a member sees in a thread, oldest first."""
        return [m for _, m in sorted(self.messages.items()) if m.get("thread_ts") == thread_ts]


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
