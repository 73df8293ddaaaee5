"""The French-English clinical glossary (core/lexicon/glossary.tsv): a French question is held by
an English note and the other way round, without announcing it."""

from __future__ import annotations

from importlib import resources

from adapters.generators.extractive import ExtractiveGenerator
from core.evidence import EvidencePolicy, WordWeights, coverage
from core.lexicon import default_lexicon
from core.models import Outcome
from core.understand import TERM, understand
from testkit.fakes import FakeAudit, FakeIndex, message, passage, pipeline_with

HEADER = ["term", "language", "equivalent", "source"]


def _rows() -> list[list[str]]:
    text = (resources.files("core.lexicon") / "glossary.tsv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return [line.split("\t") for line in lines]


def test_every_row_names_both_languages_and_its_source() -> None:
    """A maintainer can check each pair against the terminology it cites."""
    header, *rows = _rows()
    assert header == HEADER
    assert len(rows) >= 500
    for row in rows:
        assert len(row) == 4, row
        assert all(cell.strip() for cell in row), row
        assert row[1] in ("fr", "en"), row


HYPERKALAEMIA = passage(
    "With ECG changes, give 30 mL of 10% calcium gluconate intravenously; severe "
    "hyperkalaemia is a plasma potassium of 6.5 mmol/L or more.",
    similarity=0.3,
    title="Hyperkalaemia: emergency treatment",
)


async def test_a_french_question_is_answered_from_an_english_note() -> None:
    """ "kaliémie à 7,2, gluconate de calcium, combien de mL ?" is held by the English note on
    calcium gluconate and potassium; the reply does not announce the translation."""
    pipeline = pipeline_with(FakeIndex([HYPERKALAEMIA]), FakeAudit(), ExtractiveGenerator())
    asked = "kaliémie à 7,2 avec des QRS larges, gluconate de calcium, j'en passe combien de mL ?"
    reply = await pipeline.answer(message(asked))
    assert reply.outcome is Outcome.ANSWERED
    assert "30 mL" in reply.text
    assert not any("potassium" in notice for notice in reply.notices)


def test_a_term_is_held_only_when_one_of_its_ways_is_held_whole() -> None:
    """ "jus de pamplemousse" is not held by a passage that says "jus" only: half a term is
    another thing (a juice is not grapefruit)."""
    question = "sous warfarine, le jus de pamplemousse pose problème ?"
    understood = understand(question, "fr", default_lexicon())
    assert any(t.kind == TERM for t in understood.terms)
    weights = WordWeights(translations=understood.ways(default_lexicon(), {TERM}))
    juice = passage("Sous warfarine, un jus de fruits ne pose pas de problème.")
    grapefruit = passage("On warfarin, grapefruit juice is not a problem.")
    policy, plain = EvidencePolicy(), WordWeights()
    assert coverage(question, juice, policy, weights) == coverage(question, juice, policy, plain)
    assert coverage(question, grapefruit, policy, weights) > coverage(
        question, grapefruit, policy, plain
    )
