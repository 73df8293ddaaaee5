"""The resident answerer: one long-lived process per data directory that `medgpt ask` hands its
question to, so a lookup does not spend ~10 s importing PyTorch and spaCy and loading
their models before a ~20 ms answer (issue 28).

How it keeps its promises:

- started on demand: the first `ask` that finds none starts it (`python -m bots.resident`,
  in its own session so the terminal's Ctrl-C does not reach it) and hands it the question;
- one per data directory: it holds an exclusive lock (`resident.lock`, holding its PID) for its
  whole life and listens on `resident.sock` beside it; two terminals asking at once start two,
  the second finds the lock taken and exits at once, and both ask the first;
- never a different data directory, nor other settings or code: every request carries the
  client's data directory and a fingerprint of its settings and of the installed code; a
  resident with another data directory refuses (the client answers itself), one with other
  settings or code steps down (answers in flight, then exits) and the client starts a new one;
- exits when idle: MEDGPT_RESIDENT_IDLE_S without a question (0: none is started; `ask` answers
  in its own process, as before), on SIGTERM, and when its socket is removed or replaced;
- only its user: the socket is mode 0600 and each caller's uid is checked (SO_PEERCRED).

This module's client half is what `ask` imports: the standard library only, so asking a running
resident costs a Python start, the settings and a round trip. `medgpt ingest` and `db reset`
stop it (`stop`), since it read the corpus's state as it started (the drug names above all):
the next `ask` starts afresh.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import socket
import struct
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

    from bots.settings import Settings
    from core.models import Reply

SOCKET, LOCK, LOG = "resident.sock", "resident.lock", "resident.log"
# The most a client waits for a resident to start: a first run creates the database and indexes
# the demo corpus (~20 s on 2 quiet cores); past this, `ask` answers in its own process.
START_TIMEOUT_S = 300.0
# The most a client waits for an answer once asked (a language model may take LLM_TIMEOUT_S).
ANSWER_TIMEOUT_S = 3900.0
_SUN_PATH_MAX = 107  # sockaddr_un's sun_path, less its terminating NUL (Linux)
_CODE = ("core", "adapters", "bots")  # what a resident runs: a changed file means a new one


@dataclass(frozen=True)
class Answer:
    """A resident's reply to `ask`: its outcome, the text and JSON renderings, and the first
    run's notice (the demo corpus indexed) when this question's resident did that."""

    outcome: str
    text: str
    json: dict[str, Any]
    notice: str | None = None


class Refused(Exception):
    """The resident failed a way that answering in this process would repeat (an error reply:
    its message, and the exit code the command would have had)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


# --- the client: what `medgpt ask` runs ------------------------------------------------------


def ask(settings: Settings, question: str, user: str) -> Answer | None:
    """The resident's answer to `question`, starting it if none runs; None when the resident is
    off, cannot be reached or did not start: the caller answers in its own process."""
    if settings.resident_idle_s == 0 or not hasattr(socket, "AF_UNIX"):  # Windows: none
        return None
    folder = settings.data_dir.resolve()
    if len(os.fsencode(folder / SOCKET)) > _SUN_PATH_MAX:
        return None  # no Unix socket that deep: answered in-process, as before
    request = {
        "op": "ask",
        "data_dir": str(folder),
        "fingerprint": fingerprint(settings),
        "question": question,
        "user": user,
    }
    started: subprocess.Popen[bytes] | None = None
    spawned = 0
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        response = _exchange(folder / SOCKET, request, ANSWER_TIMEOUT_S)
        status = response["status"] if response else "unreachable"
        if status == "ok":
            assert response is not None
            return Answer(
                response["outcome"], response["text"], response["json"], response["notice"]
            )
        if status == "error":
            assert response is not None
            raise Refused(response["message"], response["code"])
        if status not in ("unreachable", "stepping_down"):
            return None  # another data directory's, or it hung up: this process answers
        if started is not None and started.poll() not in (None, 0):
            return None  # it failed to start (say, the database): this process will say why
        if not locked(folder / LOCK) and (started is None or started.poll() is not None):
            if spawned == 3:
                return None
            started, spawned = _spawn(folder), spawned + 1
        time.sleep(0.05)
    return None


def stop(settings: Settings) -> None:
    """Ask the data directory's resident, if any, to exit once its answers in flight are sent
    (after a write that changes what it has loaded)."""
    folder = settings.data_dir.resolve()
    if hasattr(socket, "AF_UNIX") and len(os.fsencode(folder / SOCKET)) <= _SUN_PATH_MAX:
        _exchange(folder / SOCKET, {"op": "stop", "data_dir": str(folder)}, 10.0)


def pid(data_dir: Path) -> int | None:
    """The PID of the data directory's resident, while one runs."""
    path = data_dir / LOCK
    if not locked(path):
        return None
    with contextlib.suppress(OSError, ValueError):
        return int(path.read_text())
    return None


def fingerprint(settings: Settings) -> str:
    """What a resident's answers depend on besides the corpus: every setting (secrets included,
    hashed, never sent) and the installed code (each file's size and time of change). A
    resident takes it once, as it starts: the code it has loaded, not the code on disk now."""
    digest = hashlib.sha256()
    values = {
        name: value.get_secret_value() if hasattr(value, "get_secret_value") else value
        for name, value in settings
        if name != "data_dir"  # compared apart, resolved: MEDGPT_DATA_DIR may be relative
    }
    digest.update(json.dumps(values, sort_keys=True, default=str).encode())
    digest.update(sys.executable.encode())
    for package in _CODE:
        spec = importlib.util.find_spec(package)
        for root in (spec.submodule_search_locations or []) if spec else []:
            for path in sorted(_files(Path(root))):
                status = path.stat()
                digest.update(f"{path}:{status.st_size}:{status.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _files(root: Path) -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        found += [Path(folder, f) for f in files if not f.endswith(".pyc")]
    return found


def locked(path: Path) -> bool:
    """Whether a resident holds the lock (it may still be starting)."""
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing drops the lock if this probe took it
    return False


def _exchange(path: Path, request: dict[str, Any], timeout_s: float) -> dict[str, Any] | None:
    """One request, one JSON reply; None when nothing listens there, status `hung_up` when the
    resident took the request and said nothing (it died, or failed on it)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(str(path))
        except OSError:  # no socket, or nobody listening on it any more
            return None
        try:
            sock.settimeout(timeout_s)
            sock.sendall(json.dumps(request).encode() + b"\n")
            with sock.makefile("rb") as stream:
                line = stream.readline()
        except OSError:
            line = b""
    reply: dict[str, Any] = json.loads(line) if line else {"status": "hung_up"}
    return reply


def _spawn(folder: Path) -> subprocess.Popen[bytes]:
    """A resident for this data directory, with this process's environment and directory (so it
    reads the same settings), detached from the terminal; its log beside its socket."""
    folder.mkdir(parents=True, exist_ok=True)
    # The code this process runs, whatever the directory holds (-P: not the directory first),
    # else the fingerprints would differ and each would step down for the other.
    code = str(Path(__file__).resolve().parent.parent)
    path = os.pathsep.join(filter(None, [code, os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, MEDGPT_DATA_DIR=str(folder), PYTHONPATH=path)
    with (folder / LOG).open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-P", "-m", "bots.resident"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=env,
            start_new_session=True,
        )


# --- the resident ----------------------------------------------------------------------------


def main() -> int:
    """The resident of MEDGPT_DATA_DIR: 0 when it ran and went idle (or another one runs)."""
    import fcntl

    from bots.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"medgpt resident: {exc}", file=sys.stderr)
        return 2
    folder = settings.data_dir.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return 0  # another resident has this data directory: the client asks that one
    try:
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        # Its fingerprint before the rest of the code loads: the code it runs.
        resident = _Resident(settings, folder, fingerprint(settings))
        import asyncio

        return asyncio.run(resident.run())
    finally:
        os.close(fd)


@dataclass
class _Resident:
    settings: Settings
    folder: Path
    fingerprint: str
    notice: str | None = None  # for the first answer: the demo corpus was indexed
    warning: str | None = None  # for every answer: the corpus is empty
    last_question: float = 0.0
    in_flight: int = 0
    _stopping: asyncio.Event | None = None
    _drained: asyncio.Event | None = None  # set while no request is in flight

    async def run(self) -> int:
        import asyncio
        import logging
        import signal

        from bots.cli import first_run_notice
        from bots.logs import configure_logging
        from bots.wiring import EMPTY_CORPUS, build_app, ensure_demo_corpus, preload_models
        from core.errors import MedGPTError

        configure_logging(logging.INFO, "json")
        self._stopping, self._drained = asyncio.Event(), asyncio.Event()
        self._drained.set()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stopping.set)
        try:
            async with build_app(self.settings) as app:
                report = await ensure_demo_corpus(app)
                if report is not None:
                    self.notice = first_run_notice(report)
                elif self.settings.database_url and not (await app.corpus.counts())[0]:
                    # Said with every answer, as each `ask` on its own logs it; an ingest
                    # stops this resident, so the next one counts again.
                    self.warning = f"medgpt: {EMPTY_CORPUS}"
                # Once the first run's indexing is over, so the two do not share 2 cores (the
                # peak memory was the same either way). A question asked meanwhile waits for
                # the models it needs.
                loading = asyncio.create_task(preload_models(app.pipeline))
                try:
                    await self._serve(app)
                finally:
                    loading.cancel()
                    await asyncio.gather(loading, return_exceptions=True)
        except MedGPTError as exc:
            _log().error("resident_failed", error=type(exc).__name__, reason=str(exc))
            return 3
        return 0

    async def _serve(self, app: Any) -> None:
        import asyncio

        assert self._drained is not None
        path = self.folder / SOCKET
        path.unlink(missing_ok=True)  # a resident that died left it; the lock is ours
        previous = os.umask(0o177)
        try:
            server = await asyncio.start_unix_server(
                # A question of any length reaches the pipeline, which says it is too long.
                lambda r, w: self._connection(app, r, w),
                path=str(path),
                limit=1 << 24,
            )
        finally:
            os.umask(previous)
        inode = path.stat().st_ino
        self.last_question = time.monotonic()
        _log().info("resident_ready", pid=os.getpid(), idle_s=self.settings.resident_idle_s)
        async with server:
            reason = await self._until_done(path, inode)
            server.close()  # no new caller; the answers asked for are sent before it goes
            await self._drained.wait()
        with contextlib.suppress(OSError):
            if path.stat().st_ino == inode:
                path.unlink()
        _log().info("resident_exiting", reason=reason)

    async def _until_done(self, path: Path, inode: int) -> str:
        """Why it stops: asked to (SIGTERM, `stop`, a client with other settings), idle, or
        its socket removed or replaced (the data directory deleted, say)."""
        import asyncio

        assert self._stopping is not None
        idle_s = self.settings.resident_idle_s
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), min(idle_s, 1.0))
            if self._stopping.is_set():
                return "asked"
            try:
                # A stat of a local file once a second: not worth a worker thread.
                if path.stat().st_ino != inode:  # noqa: ASYNC240
                    return "socket_replaced"
            except OSError:
                return "socket_removed"
            if not self.in_flight and time.monotonic() - self.last_question >= idle_s:
                return "idle"

    async def _connection(self, app: Any, reader: Any, writer: Any) -> None:
        """One caller: its request read, answered and the answer written, counted in flight
        throughout so that stopping waits for it."""
        assert self._drained is not None
        self.in_flight += 1
        self._drained.clear()
        try:
            if _peer_uid(writer) != os.getuid():
                return
            request = json.loads(await reader.readline() or b"{}")
            response = await self._respond(app, request)
            writer.write(json.dumps(response, ensure_ascii=False).encode() + b"\n")
            await writer.drain()
        except (OSError, ValueError) as exc:  # a caller that left, or not one of ours
            _log().warning("resident_request_failed", error=type(exc).__name__)
        finally:
            writer.close()
            self.in_flight -= 1
            self.last_question = time.monotonic()
            if not self.in_flight:
                self._drained.set()

    async def _respond(self, app: Any, request: dict[str, Any]) -> dict[str, Any]:
        assert self._stopping is not None
        if Path(str(request.get("data_dir"))) != self.folder:
            return {"status": "other_data_dir"}
        if request.get("op") == "stop":
            self._stopping.set()
            return {"status": "stepping_down"}
        if request.get("op") != "ask" or self._stopping.is_set():
            return {"status": "stepping_down"}
        if request.get("fingerprint") != self.fingerprint:
            _log().info("resident_outdated")  # other settings or code: a new resident for them
            self._stopping.set()
            return {"status": "stepping_down"}
        return await self._answer(app, str(request["question"]), str(request["user"]))

    async def _answer(self, app: Any, question: str, user: str) -> dict[str, Any]:
        from bots.cli import answer_of, exit_code
        from core.errors import MedGPTError
        from core.models import ConversationId, IncomingMessage, Platform, UserId

        message = IncomingMessage(question, Platform.CONSOLE, ConversationId("cli"), UserId(user))
        try:
            reply: Reply = await app.pipeline.answer(message)
        except MedGPTError as exc:
            return {"status": "error", "message": str(exc), "code": exit_code(exc)}
        notice, self.notice = self.notice or self.warning, None
        return {"status": "ok", **asdict(answer_of(reply)), "notice": notice}


def _peer_uid(writer: Any) -> int:
    """The caller's uid (Linux); elsewhere the socket's mode (0600) alone keeps others out."""
    if not hasattr(socket, "SO_PEERCRED"):
        return os.getuid()
    sock = writer.get_extra_info("socket")
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return int(struct.unpack("3i", creds)[1])


def _log() -> Any:
    import structlog

    return structlog.get_logger(__name__)


if __name__ == "__main__":
    raise SystemExit(main())
