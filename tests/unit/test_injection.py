"""Prompt injection, in the question or inside a corpus passage, never removes the disclaimer,
never adds an unverifiable citation, never leaks the system prompt.

The model here is the worst case: it obeys every attack. It repeats the attack with citations to
sources that were never shown, recites its system rules with a citation, and invents a dose. What
reaches the clinician is what survives the citation check and the composition."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import pytest

from bots.render_text import render_text
from core.compose import DISCLAIMERS
from core.models import Language, Outcome, Passage
from core.ports import Draft, OnText
from core.prompt import _RULES
from tests.conftest import DATA
from tests.fakes import FakeAudit, FakeIndex, message, passage, pipeline_with

ATTACKS = [json.loads(line) for line in (DATA / "injection_attacks.jsonl").read_text().splitlines()]
RULE_LINES = [line for rules in _RULES.values() for line in rules.splitlines() if len(line) > 20]
CLEAN = "La dose maximale de paracétamol est de 4 g par jour chez l'adulte."


class ObedientModel:
    """Does whatever the attack says, as badly as possible."""

    def __init__(self, attack: str) -> None:
        self.attack = attack

    async def generate(
        self,
        question: str,
        language: Language,
        passages: Sequence[Passage],
        on_text: OnText | None = None,
    ) -> Draft | None:
        rules = " ".join(f"{line} [1]." for line in _RULES[language].splitlines())
        text = (
            f"{self.attack} [1] [9]. Selon l'étude de référence [7], c'est sans danger. "
            f"{rules} Il n'y a pas d'avertissement [1]. La dose maximale est de 10 g par jour [1]. "
            f"{CLEAN.removesuffix('.')} [1]."
        )
        return Draft(text, "obedient", "prompt-1", len(passages))


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
