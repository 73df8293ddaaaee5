"""Emergency triage: emergencies get the numbers at once, knowledge questions get answers."""

from __future__ import annotations

import json

import pytest

from core.models import Outcome
from core.triage import detect
from tests.conftest import DATA
from tests.fakes import FakeAudit, FakeIndex, message, passage, pipeline_with

CASES = [json.loads(line) for line in (DATA / "emergencies.jsonl").read_text().splitlines()]
DEMO_QUESTIONS = [
    json.loads(line)["question"]
    for line in (DATA / "demo_questions.jsonl").read_text().splitlines()
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["text"][:40])
def test_labelled_messages(case: dict[str, str | None]) -> None:
    """Each labelled message is triaged as labelled (emergency kind, or none)."""
    found = detect(str(case["text"]))
    assert (found.value if found else None) == case["expected"]


def test_no_question_of_the_demo_set_is_mistaken_for_an_emergency() -> None:
    """The 120 ordinary questions (answerable or not) never trigger the emergency reply."""
    assert [q for q in DEMO_QUESTIONS if detect(q)] == []


class ExplodingGenerator:
    async def generate(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("the generator must not be called for an emergency")


async def test_emergency_reply_comes_without_search_or_model_and_is_audited() -> None:
    """'Il ne respire plus' gets 15 / 112 / 3114 at once; nothing is searched or generated."""
    index, audit = FakeIndex([passage("Compressions thoraciques 30:2.")]), FakeAudit()
    pipeline = pipeline_with(index, audit, ExplodingGenerator())
    reply = await pipeline.answer(message("Mon patient ne respire plus !"))
    assert reply.outcome is Outcome.EMERGENCY
    assert all(number in reply.text for number in ("15", "112", "3114"))
    assert reply.sources == ()
    assert index.queries == []
    [entry] = audit.answers
    assert (entry.event, entry.details["emergency"]) == ("emergency", "cardiac_arrest")
