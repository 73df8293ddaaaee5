"""The user's side of scripts/compose-smoke, run in a container on the stack's network: signed
Slack events to the bot's HTTP entry and the answers the fake shows, /metrics, and a clinician
asking in a Matrix room on the trial Synapse; and, on the host, who wrote the last answer
according to the audit trail (`written-by`)."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import secrets
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

FAKE = "http://slack-fake:9000"
SYNAPSE = "http://synapse:8008"


def _get(url: str, timeout: float = 10) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return bytes(response.read())


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.status)


def _event(question: str, event_id: str, ts: str) -> dict[str, Any]:
    """An app_mention as Slack's Events API sends it (the shape of tests/data/slack)."""
    return {
        "token": "legacy-verification-token",
        "team_id": "T0HOSP",
        "api_app_id": "A0MEDGPT",
        "event": {"type": "app_mention", "user": "U0CLIN", "text": f"<@UBOT> {question}",
                  "ts": ts, "channel": "C0URGENCES", "event_ts": ts, "team": "T0HOSP"},
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": "T0HOSP", "user_id": "UBOT", "is_bot": True}],
    }  # fmt: skip


def _signed(body: bytes, secret: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256)
    return {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
        "Content-Type": "application/json",
    }


def _answers(ts: str) -> list[dict[str, Any]]:
    """The bot's finished answers in the thread, as members see them."""
    shown = json.loads(_get(f"{FAKE}/smoke/messages"))["messages"]
    return [m for m in shown.values()
            if m.get("thread_ts") == ts and m.get("blocks") and not m.get("streaming")]  # fmt: skip


def slack(args: argparse.Namespace) -> int:
    secret = os.environ["SLACK_SIGNING_SECRET"]
    ts = f"{int(time.time())}.{secrets.randbelow(999999):06d}"
    body = json.dumps(_event(args.question, f"Ev{secrets.token_hex(6).upper()}", ts)).encode()
    started = time.monotonic()
    for bot in args.bots:  # the same event to each replica, as Slack retries would
        status = _post(f"http://{bot}:3000/slack/events", body, _signed(body, secret))
        assert status == 200, (bot, status)
    deadline = started + args.timeout
    while not (answers := _answers(ts)):
        if time.monotonic() > deadline:
            sys.exit(f"no answer in the thread within {args.timeout} s")
        time.sleep(0.5)
    took = time.monotonic() - started
    time.sleep(args.settle)  # a second answer, if any, would come now
    answers = _answers(ts)
    text = json.dumps(answers[0]["blocks"], ensure_ascii=False)
    for expected in ("Sources", "jugement clinique", *args.expect):
        assert expected in text, f"{expected!r} missing from the answer: {text[:600]}"
    assert len(answers) == 1, f"{len(answers)} answers to one event"
    print(f"slack: one answer in {took:.1f} s from {len(args.bots)} bot(s): "
          f"{answers[0].get('text', '')[:100]!r}")  # fmt: skip
    return 0


def metrics(args: argparse.Namespace) -> int:
    text = _get(f"http://{args.bot}:8080/metrics").decode()
    names = {line.split("{")[0].split(" ")[0] for line in text.splitlines()
             if line and not line.startswith("#")}  # fmt: skip
    wanted = [n for n in names if n.startswith("medgpt_")]
    assert wanted, f"no medgpt_ metric in /metrics: {sorted(names)[:20]}"
    print(f"metrics: {len(wanted)} medgpt series, e.g. {sorted(wanted)[:3]}")
    return 0


def _admin(path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        SYNAPSE + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def register(localpart: str, password: str) -> str:
    """A Synapse account through the shared-secret admin API (no open registration)."""
    secret = os.environ["SYNAPSE_REGISTRATION_SECRET"]
    nonce = _admin("/_synapse/admin/v1/register")["nonce"]
    mac = hmac.new(secret.encode(), digestmod=hashlib.sha1)
    mac.update(b"\x00".join([nonce.encode(), localpart.encode(), password.encode()]))
    mac.update(b"\x00notadmin")
    body = {"nonce": nonce, "username": localpart, "password": password, "admin": False,
            "mac": mac.hexdigest()}  # fmt: skip
    return str(_admin("/_synapse/admin/v1/register", body)["user_id"])


def matrix_register(args: argparse.Namespace) -> int:
    deadline = time.monotonic() + 60
    while True:
        try:
            _get(f"{SYNAPSE}/_matrix/client/versions")
            break
        except OSError:
            if time.monotonic() > deadline:
                sys.exit("Synapse does not answer")
            time.sleep(0.5)
    user = register(os.environ["MATRIX_USER_ID"].split(":")[0][1:], os.environ["MATRIX_PASSWORD"])
    print(f"matrix: registered the bot {user}")
    return 0


async def _matrix_ask(question: str, wait_s: float) -> None:
    from testkit.matrix_clinician import Clinician, answered, final

    password = secrets.token_hex(12)
    user = register(f"clinician{secrets.token_hex(3)}", password)
    bot = os.environ["MATRIX_USER_ID"]
    clinician = Clinician(SYNAPSE, user, Path("/tmp") / "clinician")
    await clinician.login(password)
    try:
        room = await clinician.create_room(invite=[bot])
        await clinician.wait_membership(room, bot, "join", timeout_s=wait_s)
        started = time.monotonic()
        await clinician.send(room, question, mention=bot)
        shown = await clinician.wait_for(room, bot, answered(1), timeout_s=wait_s)
        [answer] = final(shown)
        assert "⚠️" in answer.html
        print(f"matrix: answered in {time.monotonic() - started:.1f} s: {answer.body[:100]!r}")
    finally:
        await clinician.close()


def matrix_ask(args: argparse.Namespace) -> int:
    asyncio.run(_matrix_ask(args.question, args.timeout))
    return 0


def written_by(args: argparse.Namespace) -> int:
    """The model wrote the draft of the last answer in `medgpt audit export` (JSON Lines on
    stdin): it was reached and streamed a whole answer (no generator error, no fallback for
    one). Whether the draft was shown is the grounding check's call: a draft with too many
    unverified sentences is replaced by quotes (`fallback: unverified`), by design."""
    rows = [json.loads(line) for line in sys.stdin if line.strip()]
    answers = [r for r in rows if r["event"] != "question_received"]
    assert answers, f"no answer in the audit trail ({len(rows)} rows)"
    last = answers[-1]
    details = last["details"] or {}
    print(f"audit: {last['event']} ({last['outcome']}), draft by "
          f"{details.get('draft_generator')!r}, shown: {last['generator']!r}, "
          f"{len(details.get('removed') or [])} sentence(s) removed by the grounding check, "
          f"fallback: {details.get('fallback')!r}")  # fmt: skip
    assert "error" not in details, details["error"]
    assert details.get("draft_generator") == args.generator, details.get("draft_generator")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(required=True)
    ask = commands.add_parser("slack")
    ask.add_argument("question")
    ask.add_argument("bots", nargs="+", help="the bot replicas' addresses")
    ask.add_argument("--timeout", type=float, default=120)
    ask.add_argument("--settle", type=float, default=5)
    ask.add_argument("--expect", action="append", default=[], help="also in the answer")
    ask.set_defaults(run=slack)
    probe = commands.add_parser("metrics")
    probe.add_argument("bot")
    probe.set_defaults(run=metrics)
    commands.add_parser("matrix-register").set_defaults(run=matrix_register)
    masked = commands.add_parser("matrix-ask")
    masked.add_argument("question")
    masked.add_argument("--timeout", type=float, default=120)
    masked.set_defaults(run=matrix_ask)
    written = commands.add_parser("written-by")
    written.add_argument("generator", help="e.g. chat:smollm2")
    written.set_defaults(run=written_by)
    args = parser.parse_args()
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
