"""How `medgpt eval chat` picks its questions and counts what the bot did with them."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from core.models import Outcome
from evaluation.chat import document_key, select
from evaluation.questions import Question, load
from evaluation.report import Result, render

INR = Question(
    "demo-1", "dev", True, "brand_names", "fr", "demo", "Previscan, INR cible ?",
    expected="fr-avk-inr-cibles.md", fact="entre 2 et 3",
)  # fmt: skip
PAIR = Question(
    "ansm-1", "test", True, "drug_classes", "fr", "thesaurus", "sous AVK, un AINS ?",
    expected="ansm-interactions:a|b", also=frozenset({"ansm-interactions:b|a"}),
    fact="Association déconseillée", level="Association déconseillée",
)  # fmt: skip
NEAR = Question("near-1", "dev", False, "textbook", "fr", "demo", "Prix du Doliprane ?", near="x")


def test_select_keeps_the_split_the_corpus_the_style_and_the_limit() -> None:
    """A trial run asks only what the operator chose: the demo corpus leaves out the official
    sources' questions; --limit keeps N answerable questions and N near misses."""
    questions = [INR, PAIR, NEAR, INR]
    assert select(questions, "all", "demo", None, None) == [INR, NEAR, INR]
    assert select(questions, "test", "whole", None, None) == [PAIR]
    assert select(questions, "dev", "demo", "textbook", None) == [NEAR]
    assert [q.id for q in select([INR, NEAR, PAIR], "all", "whole", None, 1)] == [
        "demo-1",
        "near-1",
    ]


def test_an_answer_counts_only_with_its_fact_and_an_interaction_with_its_level() -> None:
    """A reply quoting the note but not the target range is an answer without the fact; an
    interaction is right when the pair, either way round, comes first and its level is stated,
    on the source line if not in the text."""
    right = Result(
        INR,
        Outcome.ANSWERED,
        "zone thérapeutique comprise entre 2\u00a0et 3",
        ("fr-avk-inr-cibles.md",),
        "",
    )
    vague = Result(INR, Outcome.ANSWERED, "L'INR est contrôlé tous les 2 à 4 jours.", ("x.md",), "")
    refused = Result(INR, Outcome.ABSTAINED, "entre 2 et 3", (), "")
    assert right.has_fact
    assert right.right_first
    assert not vague.has_fact
    assert not vague.right_first
    assert not refused.has_fact  # a refusal quoting the question is no answer
    mirrored = Result(
        PAIR,
        Outcome.ANSWERED,
        "Risque hémorragique [1]",
        ("ansm-interactions:b|a",),
        "ASSOCIATION DECONSEILLEE",
    )
    assert mirrored.right_first
    assert mirrored.level_stated
    assert not Result(
        PAIR, Outcome.ANSWERED, "…", ("ansm-interactions:a|c",), "Précaution d'emploi"
    ).level_stated


def test_the_report_lists_misses_on_dev_only() -> None:
    """The questions missed are listed to be read on dev; on test only the figures are shown,
    so that nobody tunes for the test questions one by one."""
    results = [
        Result(INR, Outcome.ABSTAINED, "", (), ""),
        Result(NEAR, Outcome.ANSWERED, "…", ("fr-paracetamol-posologie.md",), ""),
    ]
    dev = render(results, "dev", "demo", "Index: x.", [])
    assert "| brand_names | 1 | 0 (0%) | 0 (0%) | 1 (100%) |" in dev
    assert "- demo-1 [brand_names] Previscan, INR cible ? → abstained" in dev
    assert "- near-1 [textbook] Prix du Doliprane ? → answered, fr-paracetamol-posologie.md" in dev
    assert "Missed" not in render(results, "test", "demo", "Index: x.", [])


def test_a_note_is_named_by_its_file_name_and_a_record_by_its_key() -> None:
    """The set names notes as the demo folder does, wherever the notes are installed."""
    assert (
        document_key("/opt/medgpt/bots/demo_corpus/notes/fr-avk-inr-cibles.md")
        == "fr-avk-inr-cibles.md"
    )
    assert document_key("bdpm:smr:CT-15282:68133651") == "bdpm:smr:CT-15282:68133651"


def test_a_folder_is_read_batch_by_batch(tmp_path: Path) -> None:
    """`medgpt eval chat` reads every batch of the set, each row knowing its batch, so that a
    batch written later can be reported on its own (a new file never moves earlier rows)."""
    row = {"split": "dev", "answerable": False, "style": "english", "language": "en"}
    for name, id_ in (("questions.jsonl", "near-1"), ("questions-2.jsonl", "near2-1")):
        line = {**row, "id": id_, "corpus": "demo", "question": "q?", "near": "x"}
        (tmp_path / name).write_text(json.dumps(line) + "\n")
    (tmp_path / "README.md").write_text("not a batch")
    assert [(q.id, q.batch) for q in load(tmp_path)] == [("near-1", "1"), ("near2-1", "2")]
    assert [q.batch for q in load(tmp_path / "questions-2.jsonl")] == ["2"]


def test_the_report_gives_each_batch_on_its_own() -> None:
    """With two batches the report has a table per batch, so that the fresh batch's figures
    (the honest ones) are not lost in the overall rate."""
    fresh = replace(INR, id="demo2-1", batch="2")
    results = [
        Result(INR, Outcome.ABSTAINED, "", (), ""),
        Result(fresh, Outcome.ANSWERED, "entre 2 et 3", ("fr-avk-inr-cibles.md",), ""),
    ]
    report = render(results, "test", "demo", "Index: x.", [])
    assert "| batch 1 | 1 | 0 (0%) |" in report
    assert "| batch 2 | 1 | 1 (100%) |" in report
    assert "### Batch 2: answerable questions, by style" in report
    assert "batch" not in render(results[:1], "test", "demo", "Index: x.", []).lower()
