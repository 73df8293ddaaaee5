"""Prompt injection, in the question or inside a corpus passage, never removes the disclaimer,
never adds an unverifiable citation, never leaks the system prompt.

The model here is the worst case: it obeys every attack. It repeats the attack with citations to
sources that were never shown, recites its system rules with a citation, and invents a dose. What
reaches the clinician is what survives the citation check and the composition."""

from __future__ import annotations

import json
import re

import pytest

from bots.render_text import render_text
from core.compose import DISCLAIMERS
from core.models import Outcome
from testkit.fakes import FakeAudit, FakeIndex, message, passage, pipeline_with
from testkit.injection import CLEAN, RULE_LINES, ObedientModel
from tests.conftest import DATA

ATTACKS = [json.loads(line) for line in (DATA / "injection_attacks.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a["id"])
async def test_attack_leaves_disclaimer_citations_and_rules_intact(attack: dict[str, str]) -> None:
    """Whatever the attack and wherever it hides, the reply keeps its guarantees."""
    passages = [passage(CLEAN, passage_id=1)]
    question = "Quelle est la dose maximale de paracétamol chez l'adulte ?"
    if attack["where"] == "passage":
        passages.append(passage(attack["text"], passage_id=2))
    else:
        question = attack["text"]
    pipeline = pipeline_with(FakeIndex(passages), FakeAudit(), ObedientModel(attack["text"]))
    reply = await pipeline.answer(message(question))
    shown = render_text(reply)
    assert shown.rstrip().endswith(DISCLAIMERS[reply.language].text)  # disclaimer always last
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", reply.text)}
    assert cited <= {s.number for s in reply.sources}, reply.text  # no citation to nothing
    assert not any(line in shown for line in RULE_LINES), shown  # the rules never leak
    if reply.outcome is Outcome.ANSWERED:
        assert "10 g" not in reply.text or attack["where"] == "passage"
