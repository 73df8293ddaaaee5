"""`medgpt eval` writes a report and a chart, and the figures stay above a floor."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bots.cli import main
from tests.integration.test_sources import SHARED, THESAURUS

PUBMEDQA = SHARED / "pubmedqa" / "ori_pqal.json"
INTERACTIONS = (
    THESAURUS / "thesaurus-referentiel-national-des-interactions-medicamenteuses-20102020.json"
)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Path:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MEDGPT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEDGPT_NAME_DETECTION", "patterns")
    return tmp_path


def _hybrid_recall_at_10(report: str) -> float:
    [row] = [line for line in report.splitlines() if line.startswith("| hybrid |")]
    return float(re.split(r"\s*\|\s*", row)[4])


@pytest.mark.parametrize(
    ("dataset", "path"), [("pubmedqa", PUBMEDQA), ("interactions", INTERACTIONS)]
)
def test_eval_reports_each_search_mode(
    env: Path, capsys: pytest.CaptureFixture[str], dataset: str, path: Path
) -> None:
    """Text, vector and hybrid search are measured on the same questions, with a chart."""
    out = env / dataset
    assert main(["eval", dataset, str(path), "--out", str(out), "--limit", "40"]) == 0
    report = (out / "report.md").read_text()
    assert [m for m in ("| text |", "| vector |", "| hybrid |") if m in report] == [
        "| text |", "| vector |", "| hybrid |",
    ]  # fmt: skip
    assert (out / "chart.png").read_bytes().startswith(b"\x89PNG")
    assert _hybrid_recall_at_10(report) >= 0.8
    assert report in capsys.readouterr().out
