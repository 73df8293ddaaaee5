"""`medgpt eval chat` asks the chat-style set through the pipeline and reports per style."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots.cli import main


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Path:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MEDGPT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEDGPT_NAME_DETECTION", "patterns")
    return tmp_path


def _row(report: str, section: str, name: str) -> list[str]:
    """The cells of a table row, in the table under the section heading."""
    table = report.split(f"### {section}", 1)[1].split("###", 1)[0]
    [line] = [line for line in table.splitlines() if line.startswith(f"| {name} |")]
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_eval_chat_reports_by_style_and_answers_the_textbook_control(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a few rows of the demo corpus, the report breaks answers and near misses down by style
    and corpus, and the textbook question on the INR target is answered with its fact."""
    out = env / "chat"
    argv = ["eval", "chat", "--split", "test", "--style", "textbook", "--limit", "1"]
    assert main([*argv, "--out", str(out)]) == 0
    report = (out / "report.md").read_text()
    assert "Index: the demo notes, 46 documents" in report
    assert "1 answerable questions, 1 near misses" in report
    textbook = _row(report, "Answerable questions, by style", "textbook")
    assert textbook[:3] == ["textbook", "1", "1 (100%)"]  # « Quelle est la cible d'INR sous AVK ? »
    assert _row(report, "Answerable questions, by corpus", "demo")[1] == "1"
    assert (
        _row(report, "Near misses (nothing in the corpus answers), by style", "**all**")[1] == "1"
    )
    assert "Interactions" not in report  # no thesaurus question on the demo corpus
    assert "textbook" in capsys.readouterr().out  # the short table on stdout
