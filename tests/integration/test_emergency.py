"""An emergency with a question, through the real pipeline on the demo notes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bots.cli import main
from bots.wiring import demo_corpus_dir


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Path:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MEDGPT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEDGPT_NAME_DETECTION", "patterns")
    monkeypatch.setenv("MEDGPT_HOSPITAL_EMERGENCY_CALL", "2222 (resuscitation team)")
    return tmp_path


def test_an_arrest_in_progress_with_a_question_gets_the_banner_and_the_sourced_answer(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'Code blue…, when do we give amiodarone?': the in-hospital call first, then the dose
    from the resuscitation note, cited."""
    folder = env / "corpus"
    folder.mkdir()
    for name in ("en-cardiac-arrest-adult-als.md", "en-anaphylaxis-adrenaline.md"):
        shutil.copy(demo_corpus_dir() / name, folder / name)
    assert main(["ingest", str(folder)]) == 0
    capsys.readouterr()
    question = "Code blue in bed 14, CPR in progress, when do we give amiodarone?"
    assert main(["ask", question]) == 0
    out = capsys.readouterr().out
    assert out.startswith("🚨 Emergency in progress (cardiac arrest)")
    assert (
        out.index("2222") < out.index("Amiodarone 300 mg") < out.index("[1] Adult cardiac arrest")
    )


def test_an_overdose_in_progress_with_a_question_in_french_gets_the_banner_and_the_answer(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'patient du lit 4 en surdose d'opioïdes…, quand refaire la naloxone ?': the banner with
    the in-hospital call first, then the naloxone note quoted and cited, in one reply."""
    folder = env / "corpus"
    folder.mkdir()
    for name in ("fr-naloxone-surdose-opioides.md", "fr-avc-vite-thrombolyse.md"):
        shutil.copy(demo_corpus_dir() / name, folder / name)
    assert main(["ingest", str(folder)]) == 0
    capsys.readouterr()
    question = (
        "patient du lit 4 en surdose d'opioïdes, il respire à peine : "
        "au bout de combien de minutes refaire la naloxone ?"
    )
    assert main(["ask", question]) == 0
    out = capsys.readouterr().out
    assert out.startswith("🚨 Urgence en cours (intoxication)")
    quoted = out.index("« ")  # the answer quotes the note
    assert out.index("2222") < quoted < out.index("[1] Surdose d'opioïdes")
    assert "naloxone" in out[quoted : out.index("Sources")]
