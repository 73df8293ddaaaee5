"""The client half of the resident answerer (bots/resident.py): what `ask` hands over, to whom."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bots import resident
from bots.settings import Settings


def _settings(data_dir: Path, **values: Any) -> Settings:
    return Settings(data_dir=data_dir, resident_idle_s=600, **values)


@contextmanager
def _listening(path: Path, response: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
    """A stand-in resident on `path` that answers every request with `response`; the requests."""
    requests: list[dict[str, Any]] = []
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn, conn.makefile("rb") as stream:
                requests.append(json.loads(stream.readline()))
                conn.sendall(json.dumps(response).encode() + b"\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield requests
    finally:
        server.shutdown(socket.SHUT_RDWR)
        server.close()
        thread.join(5)


def test_fingerprint_follows_every_setting_and_secret(tmp_path: Path) -> None:
    """A resident set up with other settings (a threshold, a token) is never asked."""
    base = resident.fingerprint(_settings(tmp_path))
    assert resident.fingerprint(_settings(tmp_path)) == base
    assert resident.fingerprint(_settings(tmp_path, retrieval_k=3)) != base
    token = resident.fingerprint(_settings(tmp_path, llm_token=SecretStr("a")))
    assert resident.fingerprint(_settings(tmp_path, llm_token=SecretStr("b"))) != token


def test_fingerprint_leaves_the_data_directory_to_the_resident(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MEDGPT_DATA_DIR given relative or absolute is the same resident (compared resolved)."""
    monkeypatch.chdir(tmp_path)
    assert resident.fingerprint(_settings(Path("data"))) == resident.fingerprint(
        _settings(tmp_path / "data")
    )


def test_off_at_zero_idle_time(tmp_path: Path) -> None:
    """MEDGPT_RESIDENT_IDLE_S=0: `ask` answers itself and starts nothing."""
    settings = Settings(data_dir=tmp_path / "data", resident_idle_s=0)
    assert resident.ask(settings, "dose ?", "console:x") is None
    assert not (tmp_path / "data").exists()


def test_a_running_resident_gets_the_question(tmp_path: Path) -> None:
    """With a resident listening, `ask` hands it the question, its data directory and settings'
    fingerprint, and prints what it answers, starting nothing."""
    answer = {"outcome": "answered", "text": "t", "json": {"outcome": "answered"}, "notice": None}
    with _listening(tmp_path / resident.SOCKET, {"status": "ok", **answer}) as requests:
        got = resident.ask(_settings(tmp_path), "dose ?", "console:x")
    assert got == resident.Answer("answered", "t", {"outcome": "answered"})
    [request] = requests
    assert request["question"] == "dose ?"
    assert request["data_dir"] == str(tmp_path.resolve())
    assert request["fingerprint"] == resident.fingerprint(_settings(tmp_path))
    assert not (tmp_path / resident.LOCK).exists()


def test_a_resident_of_another_data_directory_is_not_used(tmp_path: Path) -> None:
    """A socket that leads to another data directory's resident: `ask` answers itself."""
    with _listening(tmp_path / resident.SOCKET, {"status": "other_data_dir"}):
        assert resident.ask(_settings(tmp_path), "dose ?", "console:x") is None


def test_an_error_reply_is_the_command_error(tmp_path: Path) -> None:
    """The resident's failure (the database down) is reported with the command's exit code,
    not retried in-process."""
    error = {"status": "error", "message": "cannot reach the database", "code": 3}
    with (
        _listening(tmp_path / resident.SOCKET, error),
        pytest.raises(resident.Refused, match="cannot reach") as refused,
    ):
        resident.ask(_settings(tmp_path), "dose ?", "console:x")
    assert refused.value.code == 3


def test_lock_tells_whether_a_resident_holds_the_data_directory(tmp_path: Path) -> None:
    """The lock file alone (left by a resident that died) is not a running resident."""
    path = tmp_path / resident.LOCK
    assert not resident.locked(path)
    path.write_text("12345")
    assert not resident.locked(path)
    assert resident.pid(tmp_path) is None
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert resident.locked(path)
        assert resident.pid(tmp_path) == 12345
    finally:
        os.close(fd)
