"""The recording Slack fake of the tests (testkit/slack_fake.py) served on the compose network for
scripts/compose-smoke, with GET /smoke/messages to read what channel members would see."""

from __future__ import annotations

import asyncio

from aiohttp import web

from testkit.slack_fake import FakeSlack

PORT = 9000


async def main() -> None:
    fake = FakeSlack()

    async def messages(request: web.Request) -> web.Response:
        calls = [{"method": c.method, "args": c.args} for c in fake.calls]
        return web.json_response({"messages": fake.messages, "calls": calls})

    app = web.Application()
    app.router.add_post("/api/{method}", fake._handle)
    app.router.add_get("/smoke/messages", messages)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", PORT).start()
    print(f"fake Slack Web API on port {PORT}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
