"""The resident answerer of `medgpt ask` (bots/resident.py), as terminals and scripts use it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from bots import resident
from tests.conftest import note, write

NOTE = note(
    "Colchicine : crise de goutte",
    "## Posologie\n\nDans la crise de goutte, la colchicine se donne à faible dose : 1 mg puis "
    "0,5 mg une heure plus tard le premier jour.",
)
QUESTION = "Quelle posologie de colchicine dans la goutte ?"


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """A data directory with one note indexed (without a resident), the resident turned on; any
    resident left is stopped by its PID, before the test's database is dropped."""
    env = dict(os.environ, DATABASE_URL=database_url, MEDGPT_DATA_DIR=str(tmp_path / "data"))
    write(tmp_path / "c", "colchicine.md", NOTE)
    subprocess.run(_medgpt("ingest", str(tmp_path / "c")), env=env, check=True, timeout=300)
    env["MEDGPT_RESIDENT_IDLE_S"] = "600"
    yield env
    for folder in {Path(env["MEDGPT_DATA_DIR"]), tmp_path / "other"}:
        if (pid := resident.pid(folder)) is not None:
            _stop(pid)


def _medgpt(*args: str) -> list[str]:
    return [sys.executable, "-m", "bots.cli", *args]


def _ask(
    env: dict[str, str], *args: str, question: str = QUESTION
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        _medgpt("ask", *args, question), env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done


def _stop(pid: int) -> None:
    os.kill(pid, signal.SIGTERM)
    _gone(pid)


def _gone(pid: int) -> None:
    """Waits for the process to exit (psutil.TimeoutExpired when it does not)."""
    with contextlib.suppress(psutil.NoSuchProcess):
        psutil.Process(pid).wait(120)


def _starts(data_dir: Path) -> int:
    """How many residents became ready in this data directory (its log, one JSON line each)."""
    return (data_dir / resident.LOG).read_text().count('"resident_ready"')


def test_two_terminals_share_one_resident(env: dict[str, str]) -> None:
    """Two asks at once on a data directory with no resident: one resident starts, both are
    answered by it, and a later ask reuses it: quick lookups after the first."""
    data = Path(env["MEDGPT_DATA_DIR"])
    command = _medgpt("ask", QUESTION)
    first, second = (
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)
    )
    outputs = [p.communicate(timeout=300)[0] for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0]
    assert all("colchicine se donne à faible dose" in out for out in outputs)
    pid = resident.pid(data)
    assert pid is not None
    assert _ask(env).stdout == outputs[0]
    assert resident.pid(data) == pid
    assert _starts(data) == 1


def test_answers_the_same_as_without_a_resident(env: dict[str, str]) -> None:
    """The resident's answer is the one the command gives on its own: the patient's name
    redacted by the same detector, the same reply model for a script's `--json`."""
    import json

    question = f"{QUESTION} Mme Duchemin, 82 ans"
    via_resident = _ask(env, "--json", question=question)
    assert resident.pid(Path(env["MEDGPT_DATA_DIR"])) is not None
    alone = _ask(dict(env, MEDGPT_RESIDENT_IDLE_S="0"), "--json", question=question)
    ours, theirs = json.loads(via_resident.stdout), json.loads(alone.stdout)
    assert ours["outcome"] == "answered"
    assert "Duchemin" not in ours["asked"]
    assert "<NOM>" in ours["asked"]
    assert ours.keys() == theirs.keys()
    assert {k: v for k, v in ours.items() if k != "audit_id"} == {
        k: v for k, v in theirs.items() if k != "audit_id"
    }
    assert ours["audit_id"] != theirs["audit_id"]  # each exchange is audited once


def test_never_answers_with_other_settings_or_another_data_directory(
    env: dict[str, str], tmp_path: Path
) -> None:
    """A changed setting gets a resident started with it (the old one steps down), and another
    data directory its own resident: an answer never comes from a process set up otherwise."""
    data = Path(env["MEDGPT_DATA_DIR"])
    _ask(env)
    old = resident.pid(data)
    assert old is not None
    _ask(dict(env, MEDGPT_RETRIEVAL_K="3"))
    new = resident.pid(data)
    assert new not in (None, old)
    _gone(old)  # it stepped down before the new one took the data directory
    other = dict(env, MEDGPT_DATA_DIR=str(tmp_path / "other"))
    _ask(other)
    assert resident.pid(tmp_path / "other") not in (None, new)
    assert resident.pid(data) == new


def test_exits_when_idle(env: dict[str, str]) -> None:
    """A resident no one asks exits by itself, removing its socket and releasing its lock."""
    data = Path(env["MEDGPT_DATA_DIR"])
    _ask(dict(env, MEDGPT_RESIDENT_IDLE_S="1"))
    pid = int((data / resident.LOCK).read_text())
    _gone(pid)  # not its parent: psutil cannot tell its exit status
    assert resident.pid(data) is None
    assert not (data / resident.SOCKET).exists()
    assert '"reason": "idle"' in (data / resident.LOG).read_text()


def test_off_when_idle_time_is_zero(env: dict[str, str]) -> None:
    """MEDGPT_RESIDENT_IDLE_S=0: each ask answers in its own process and leaves nothing behind."""
    data = Path(env["MEDGPT_DATA_DIR"])
    assert "colchicine" in _ask(dict(env, MEDGPT_RESIDENT_IDLE_S="0")).stdout
    assert resident.pid(data) is None
    assert not (data / resident.SOCKET).exists()
