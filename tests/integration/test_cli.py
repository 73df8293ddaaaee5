"""The `medgpt` command as an operator and a clinician use it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from bots import resident
from bots.cli import main
from tests.conftest import note, write

NOTE = note(
    "Colchicine : crise de goutte",
    "## Posologie\n\nDans la crise de goutte, la colchicine se donne à faible dose : 1 mg puis "
    "0,5 mg une heure plus tard le premier jour. Chez l'enfant, la colchicine se donne sur avis "
    "spécialisé.",
)

PARACETAMOL_CHILD = note(
    "Paracétamol chez l'enfant",
    "## Posologie\n\nChez l'enfant, la dose de paracétamol se calcule selon le poids.",
)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Path:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MEDGPT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def test_ingest_then_ask_answers_with_sources(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An operator ingests a folder; a clinician's question is answered from it, with sources."""
    write(env / "corpus", "colchicine.md", NOTE)
    (env / "corpus" / "broken.pdf").write_bytes(b"garbage")
    assert main(["ingest", str(env / "corpus")]) == 1  # one file failed: non-zero, others in
    out, err = capsys.readouterr()
    assert "added 1" in out
    assert "broken.pdf" in err
    assert (
        main(["ask", "Quelle", "posologie", "de", "colchicine", "dans", "la", "goutte", "?"]) == 0
    )
    out, _ = capsys.readouterr()
    assert "colchicine se donne à faible dose" in out
    assert "[1] Colchicine : crise de goutte — HAS — 2024-01-15 · § Posologie" in out
    assert "ne remplace pas le jugement clinique" in out


def test_ask_json_output(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Scripts get the whole reply model as JSON."""
    import json

    write(env / "c", "colchicine.md", NOTE)
    main(["ingest", str(env / "c")])
    capsys.readouterr()
    assert main(["ask", "--json", "colchicine goutte posologie"]) == 0
    reply = json.loads(capsys.readouterr().out)
    assert reply["outcome"] == "answered"
    assert reply["sources"][0]["published"] == "2024-01-15"
    assert reply["disclaimer"]["version"] == "fr-1"


def test_empty_question_exits_2_with_a_message(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A blank question is a usage error with a clear message."""
    assert main(["ask", "  "]) == 2
    assert "vide" in capsys.readouterr().err


def test_bad_setting_is_one_line_naming_the_variable(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo in the environment says which variable to fix, without a traceback."""
    monkeypatch.setenv("MEDGPT_RETRIEVAL_K", "many")
    assert main(["ask", "dose"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("medgpt: error: invalid setting MEDGPT_RETRIEVAL_K")
    assert "Traceback" not in err
    assert err.count("\n") == 1


def test_database_down_exits_3_with_a_message(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database that is down is named as such; exit code 3."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://x:pw@127.0.0.1:9/x")
    assert main(["ingest", "--demo"]) == 3
    assert "cannot reach the database" in capsys.readouterr().err


def test_quickstart_on_the_embedded_default(tmp_path: Path) -> None:
    """A fresh machine: no server, no credentials; the first ask indexes the demo corpus and
    leaves a resident answerer, the second reuses both, and once the resident is stopped no
    database process is left."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["MEDGPT_DATA_DIR"] = str(tmp_path / "data")
    env["MEDGPT_RESIDENT_IDLE_S"] = "600"  # the default; the tests' own is 0 (conftest)
    command = [sys.executable, "-m", "bots.cli", "ask", "Quelle est la cible d'INR sous AVK ?"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "First run: indexed the demo corpus (46 notes" in first.stderr
    assert "INR" in first.stdout
    assert "contenu de démonstration" in first.stdout
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    assert "First run" not in second.stderr
    assert second.stdout == first.stdout
    pid = resident.pid(tmp_path / "data")
    assert pid is not None
    assert (tmp_path / "data" / resident.LOG).read_text().count('"resident_ready"') == 1
    os.kill(pid, signal.SIGTERM)
    psutil.Process(pid).wait(60)
    pgdata = str(tmp_path / "data" / "pgdata")
    leftovers = [
        p.pid
        for p in psutil.process_iter(["name", "cmdline"])
        if p.info["name"] == "postgres" and pgdata in " ".join(p.info["cmdline"] or [])
    ]
    assert leftovers == []


def test_db_reset_needs_confirmation_and_keeps_the_audit(
    env: Path, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    """Re-indexing with another model starts from `db reset --yes`; the audit trail survives."""
    import asyncio

    import asyncpg

    write(env / "c", "colchicine.md", NOTE)
    main(["ingest", str(env / "c")])
    main(["ask", "colchicine goutte"])
    assert main(["db", "reset"]) == 2
    assert main(["db", "reset", "--yes"]) == 0
    capsys.readouterr()
    assert main(["db", "status"]) == 0
    assert "documents: 0" in capsys.readouterr().out

    async def audit_rows() -> int:
        conn = await asyncpg.connect(database_url)
        try:
            return int(
                await conn.fetchval("SELECT count(*) FROM audit_events WHERE event = 'answer_sent'")
            )
        finally:
            await conn.close()

    assert asyncio.run(audit_rows()) == 1


def test_chat_loads_its_models_while_the_clinician_types(
    env: Path, monkeypatch: pytest.MonkeyPatch, model_loads: list[tuple[str, bool]]
) -> None:
    """`medgpt chat` starts loading the models at once, off the event loop, so the first
    question does not wait for them as a one-off `ask` does."""
    import io
    import time

    monkeypatch.setenv("MEDGPT_NAME_DETECTION", "spacy")

    class Typing(io.StringIO):
        def readline(self, *args: object) -> str:
            time.sleep(0.5)  # the clinician is typing, then leaves
            return ""

    monkeypatch.setattr("sys.stdin", Typing())
    assert main(["chat"]) == 0
    assert sorted(model_loads) == [("embedder", False), ("spacy", False)]


def test_chat_follow_up_uses_the_thread(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In `medgpt chat`, a terse follow-up is answered in the context of the previous question,
    and /new starts a conversation without that context."""
    import io

    write(env / "c", "colchicine.md", NOTE)
    write(env / "c", "paracetamol.md", PARACETAMOL_CHILD)
    main(["ingest", str(env / "c")])
    capsys.readouterr()
    lines = "Quelle posologie de colchicine ?\net chez l'enfant ?\n/new\net chez l'enfant ?\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    assert main(["chat"]) == 0
    out = capsys.readouterr().out
    answers = out.split("> ")[1:]
    assert len(answers) == 5  # three questions, the /new acknowledgement, the prompt at EOF
    assert "colchicine se donne" in answers[1]  # the follow-up found the colchicine note
    assert "nouvelle conversation" in answers[2]
    assert "paracétamol" in answers[3]  # without the thread, the same words find another note
