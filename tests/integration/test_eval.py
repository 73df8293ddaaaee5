"""`medgpt eval` writes a report and a chart, and the figures stay above a floor."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adapters.postgres.store import TEXT_WEIGHT
from bots.cli import main
from bots.evaluate import BDPM_DISTRACTORS
from tests.integration.test_sources import BDPM, SHARED, THESAURUS

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


def _evaluate(out: Path, dataset: str, path: Path, limit: int = 40) -> str:
    """`medgpt eval` on a few records; the report it wrote, once its chart is checked."""
    assert main(["eval", dataset, str(path), "--out", str(out), "--limit", str(limit)]) == 0
    assert (out / "chart.png").read_bytes().startswith(b"\x89PNG")
    return (out / "report.md").read_text()


@pytest.mark.parametrize(
    ("dataset", "path"), [("pubmedqa", PUBMEDQA), ("interactions", INTERACTIONS)]
)
def test_eval_reports_each_search_mode(
    env: Path, capsys: pytest.CaptureFixture[str], dataset: str, path: Path
) -> None:
    """Text, vector and hybrid search are measured on the same questions, with a chart."""
    report = _evaluate(env / dataset, dataset, path)
    assert [m for m in ("| text |", "| vector |", "| hybrid |") if m in report] == [
        "| text |", "| vector |", "| hybrid |",
    ]  # fmt: skip
    assert _hybrid_recall_at_10(report) >= 0.8
    assert report in capsys.readouterr().out


def test_eval_bdpm_finds_the_has_opinion(env: Path) -> None:
    """French questions on a medicine's service médical rendu find its HAS opinion in the top 10."""
    report = _evaluate(env / "bdpm", "bdpm", BDPM, limit=20)
    assert "20 questions" in report
    assert f"the 20 medicines asked about and {20 * BDPM_DISTRACTORS} others" in report
    assert "10 name an indication quoted from the opinion, 10 only the medicine" in report
    assert "| hybrid, indication named | 10 |" in report  # the figures per question form
    assert _hybrid_recall_at_10(report) >= 0.8


def _figures(report: str, mode: str) -> list[str]:
    [row] = [line for line in report.splitlines() if line.startswith(f"| {mode} |")]
    return re.split(r"\s*\|\s*", row)[2:6]


def test_eval_compares_fusion_weights(env: Path) -> None:
    """--text-weights adds hybrid rows with those full-text weights: 0 ranks as the vector arm
    alone, the language's default as the production hybrid (the knob reaches the query)."""
    default = TEXT_WEIGHT["en"]
    out = env / "weights"
    args = ["eval", "pubmedqa", str(PUBMEDQA), "--out", str(out), "--limit", "40"]
    assert main([*args, "--text-weights", f"0,{default:g},5"]) == 0
    report = (out / "report.md").read_text()
    assert _figures(report, "hybrid, text ×0") == _figures(report, "vector")
    assert _figures(report, f"hybrid, text ×{default:g}") == _figures(report, "hybrid")
    assert _figures(report, "hybrid, text ×5") != _figures(report, "vector")
