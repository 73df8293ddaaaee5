"""`medgpt eval` writes a report and a chart, and the figures stay above a floor."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import asyncpg
import pytest

from adapters.postgres.store import TEXT_WEIGHT
from adapters.sources import ansm, bdpm
from bots.cli import main
from bots.settings import SettingsError, load_settings
from evaluation.abstention import MISLEAD_COST
from evaluation.public_sets import BDPM_DISTRACTORS, bdpm_sets, brand, interaction_cases
from tests.conftest import BDPM, PUBMEDQA, THESAURUS

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
    main_table = report.split("Held-out check", 1)[0]
    [row] = [line for line in main_table.splitlines() if line.startswith(f"| {mode} |")]
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
    # The weights are also compared on two halves of the questions, one to choose, one to check.
    held_out = report.split("Held-out check", 1)[1]
    for mode in ("hybrid", "hybrid, text ×0", f"hybrid, text ×{default:g}", "hybrid, text ×5"):
        assert f"\n| {mode} | " in held_out
    assert "Chosen on the tuning half: hybrid" in held_out


def test_the_text_weight_setting_reaches_the_search(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator's MEDGPT_TEXT_WEIGHT_EN is the weight the bot's hybrid search fuses with."""
    monkeypatch.setenv("MEDGPT_TEXT_WEIGHT_EN", "5")
    out = env / "setting"
    args = ["eval", "pubmedqa", str(PUBMEDQA), "--out", str(out), "--limit", "40"]
    assert main([*args, "--text-weights", f"5,{TEXT_WEIGHT['en']:g}"]) == 0
    report = (out / "report.md").read_text()
    assert _figures(report, "hybrid") == _figures(report, "hybrid, text ×5")
    assert _figures(report, "hybrid") != _figures(report, f"hybrid, text ×{TEXT_WEIGHT['en']:g}")


def test_a_negative_text_weight_is_a_clear_setting_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong weight stops the bot at start with the variable's name, not at the first question."""
    monkeypatch.setenv("MEDGPT_TEXT_WEIGHT_FR", "-1")
    with pytest.raises(SettingsError, match="MEDGPT_TEXT_WEIGHT_FR"):
        load_settings()


def test_eval_indexes_with_another_text_search_configuration(env: Path, database_url: str) -> None:
    """--text-config fr=simple indexes and searches French without stemming (the knob reaches
    the index): the thesaurus' "association" stays whole instead of the French stem "associ"."""
    out = env / "simple"
    args = ["eval", "interactions", str(INTERACTIONS), "--out", str(out), "--limit", "20"]
    assert main([*args, "--text-config", "fr=simple"]) == 0
    assert "Text search configuration: fr=simple." in (out / "report.md").read_text()

    async def lexemes() -> tuple[bool, bool]:
        conn = await asyncpg.connect(database_url)
        try:
            row = await conn.fetchrow(
                "SELECT bool_or(tsv @@ 'association'::tsquery) AS whole,"
                " bool_or(tsv @@ 'associ'::tsquery) AS stem FROM passages"
            )
            assert row is not None
            return row["whole"], row["stem"]
        finally:
            await conn.close()

    assert asyncio.run(lexemes()) == (True, False)


def test_eval_refuses_a_text_search_configuration_postgres_lacks(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A misspelt configuration is a clear error before anything is indexed."""
    args = ["eval", "interactions", str(INTERACTIONS), "--out", str(env / "x"), "--limit", "5"]
    assert main([*args, "--text-config", "fr=frenhc"]) == 2
    assert "no text search configuration 'frenhc'" in capsys.readouterr().err
    assert not (env / "x").exists()


def test_eval_bdpm_on_the_whole_release_holds_out_only_the_absent_brands() -> None:
    """--whole-release indexes what production holds: every medicine but those of the brands
    held out for the questions the index cannot answer, each brand wholly absent."""
    records = [record for record in bdpm.read_release(BDPM) if record.documents]
    sets = bdpm_sets(records, 20, abstention=True, whole=True)
    indexed = {record.path for record in sets.documents}
    held_out = [record for record in records if record.path not in indexed]
    assert len(sets.unanswerable) == 20
    assert 20 <= len(held_out) < len(records) // 10
    assert not {brand(r) for r in held_out} & {brand(r) for r in sets.documents}
    keys = {doc.source_key for record in sets.documents for doc in record.documents}
    assert all(case.gold in keys and case.also <= keys for case in sets.cases)
    assert all(not case.gold for case in sets.unanswerable)
    assert sets.index.startswith(f"Index: the whole release, {len(indexed)} medicines")


@pytest.mark.parametrize(("dataset", "path"), [("bdpm", BDPM), ("interactions", INTERACTIONS)])
def test_eval_abstention_asks_what_the_index_cannot_answer(
    env: Path, dataset: str, path: Path
) -> None:
    """--abstention also asks about medicines (or pairs) the index does not hold, and shows how
    often each evidence policy answers them, the production one marked."""
    out = env / f"abstention-{dataset}"
    args = ["eval", dataset, str(path), "--out", str(out), "--limit", "20", "--abstention"]
    assert main(args) == 0
    report = (out / "report.md").read_text()
    assert "20 questions above and 20 that the index cannot answer" in report
    rows = {
        tuple(cells[1:6]): [float(x.split()[0]) for x in cells[6:9]]
        for line in report.split("### Abstention", 1)[1].splitlines()
        if line.startswith("| 0.") and (cells := re.split(r"\s*\|\s*", line))
    }
    default = rows["0.7", "0.5", "0.15", "1, 2", "checked"]
    lenient = rows["0.6", "0.5", "0.15", "1, 1", "checked"]
    no_subject_check = rows["0.7", "0.5", "0.15", "1, 2", "not checked"]
    assert default[0] >= 0.5  # the questions the index answers are still answered
    assert default[1] <= 0.1  # and seldom from the wrong document
    if dataset == "bdpm":  # a medicine the index lacks weighs in the coverage: the policy acts
        assert default[2] <= lenient[2]
    else:  # both drugs are known, but never together: the subject check acts
        assert default[2] < no_subject_check[2]
    assert "| 1, 2 | checked |" in next(
        line for line in report.splitlines() if "**(default)**" in line
    )
    # The thresholds chosen on half the questions are measured on the other half: the chosen
    # policy does at least as well as the default on the half it was chosen on.
    assert "split in two halves of" in report
    tuning = {
        cells[0].strip("| "): [float(x) for x in cells[6].split(", ")]
        for line in report.rsplit("Held-out check", 1)[1].splitlines()
        if line.startswith(("| default |", "| chosen")) and (cells := line.split(" | "))
    }
    objective = {policy: r - MISLEAD_COST * (w + u) for policy, (r, w, u) in tuning.items()}
    assert objective["chosen on the tuning half"] >= objective["default"]


def test_eval_official_asks_both_sources_of_one_index(env: Path) -> None:
    """The BDPM's and the thesaurus's questions meet each other's documents, as in production;
    the report gives each kind of question its own figures, so one is not hidden by the other."""
    out = env / "official"
    args = ["eval", "official", str(BDPM), str(INTERACTIONS), "--out", str(out), "--limit", "20"]
    assert main([*args, "--abstention"]) == 0
    report = (out / "report.md").read_text()
    assert "Thesaurus: 20 pairs." in report
    assert f"the 20 medicines asked about and {20 * BDPM_DISTRACTORS} others" in report
    assert "40 questions, k = 10" in report
    # The severity is measured on the interaction questions only.
    assert "top answer has the right severity (20 questions)" in report
    for kind in ("indication named", "medicine only", "interaction"):
        [row] = [line for line in report.splitlines() if line.startswith(f"| hybrid, {kind} |")]
        assert float(re.split(r"\s*\|\s*", row)[5]) >= 0.7  # recall@10 of its own questions
    by_kind = report.split("The default policy by kind of question:", 1)[1].split("\n\n")[1]
    rows = {
        line.split(" | ")[0].strip("| "): line.split(" | ")[1:3]
        for line in by_kind.splitlines()[2:]
    }
    assert rows == {
        "indication named": ["10", "10"],
        "medicine only": ["10", "10"],
        "interaction": ["20", "20"],
    }


def test_either_statement_of_a_pair_answers_its_question() -> None:
    """The thesaurus states most pairs under each of their drugs: a question answered from the
    other statement is right, not counted against the bot."""
    index = THESAURUS / "index-des-substances-20102020.json"
    records = list(ansm.read_thesaurus(INTERACTIONS, index))
    cases = interaction_cases(records, ansm.class_members(index))
    mirrored = [case for case in cases if case.also]
    assert len(mirrored) > 0.8 * len(cases)  # 292 of 293 (3,108 of 3,138 in the whole thesaurus)
    for case in mirrored:
        [other] = case.also
        # The key holds the two sides folded, "|" between: a side may hold " + ".
        main_side, plus_side = case.gold.removeprefix(ansm.PREFIX).split("|")
        assert other == f"{ansm.PREFIX}{plus_side}|{main_side}"
    assert any(" + " in case.gold for case in mirrored)  # "grazoprevir + elbasvir" among them
