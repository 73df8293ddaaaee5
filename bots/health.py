"""/healthz (the process is alive), /readyz (every dependency answers), /metrics (Prometheus),
on a small aiohttp server beside each bot."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiohttp import web

from adapters.metrics import PrometheusMetrics
from core.errors import MedGPTError

Check = Callable[[], Awaitable[str]]  # returns a short detail, raises when not ready
CHECK_TIMEOUT_S = 3.0


class NotReady(MedGPTError):
    """A dependency answers but cannot serve yet (the corpus being indexed, or empty); the
    message says why, and what to do about it."""


@dataclass
class Health:
    checks: Mapping[str, Check]
    metrics: PrometheusMetrics

    async def readiness(self) -> tuple[bool, dict[str, str]]:
        names = list(self.checks)
        results = await asyncio.gather(*(self._run(self.checks[n]) for n in names))
        states = dict(zip(names, results, strict=True))
        return all(s.startswith("ok") for s in states.values()), states

    async def _run(self, check: Check) -> str:
        try:
            return f"ok: {await asyncio.wait_for(check(), CHECK_TIMEOUT_S)}"
        except TimeoutError:
            return f"failing: no answer within {CHECK_TIMEOUT_S:.0f} s"
        except NotReady as exc:
            return f"failing: {exc}"
        except Exception as exc:  # a probe reports every failure, it never raises
            return f"failing: {type(exc).__name__}: {exc}"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        return app

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def _readyz(self, request: web.Request) -> web.Response:
        ready, states = await self.readiness()
        body = {"status": "ready" if ready else "not ready", "checks": states}
        return web.json_response(body, status=200 if ready else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self.metrics.exposition(), headers={"Content-Type": self.metrics.content_type}
        )


async def start(health: Health, host: str, port: int) -> Callable[[], Awaitable[None]]:
    """Serve until the returned coroutine function is called; port 0 serves nothing (the
    endpoints are turned off with MEDGPT_HEALTH_PORT=0)."""
    if port == 0:
        return _nothing
    runner = web.AppRunner(health.app())
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner.cleanup


async def _nothing() -> None:
    return None
