"""Contract tests of the generator (core.ports.Generator): one test body run against the fake
(testkit.fakes.EchoGenerator) and the OpenAI-compatible client (ChatGenerator) talking to a
real llama.cpp server running SmolLM2-135M (the `llm_server` fixture of tests/conftest.py).

A 135M model writes what it writes: these bodies hold what the pipeline relies on whatever the
text (the citation check judges the text itself)."""

from __future__ import annotations

import itertools
import json

import pytest

from adapters.generators.chat import ChatGenerator
from core.ports import Generator
from testkit.fakes import EchoGenerator, passage

pytestmark = pytest.mark.integration

QUESTION = "Quelle est la dose maximale de paracétamol chez l'adulte ?"
EVIDENCE = [
    passage("La dose maximale de paracétamol est de 4 g par jour chez l'adulte.", passage_id=1),
    passage("Le surdosage en paracétamol expose à une hépatite grave.", passage_id=2),
]


@pytest.fixture(params=["fake", "llama.cpp"])
def model(request: pytest.FixtureRequest) -> Generator:
    """The generator: EchoGenerator, then ChatGenerator on the session's llama.cpp server (a
    short answer, generous timeouts: two cores may be busy with the database)."""
    if request.param == "fake":
        return EchoGenerator()
    return ChatGenerator(
        request.getfixturevalue("llm_server"),
        max_tokens=24,
        context_tokens=2048,
        first_token_timeout_s=120,
        total_timeout_s=240,
    )


async def test_a_draft_names_its_writer_and_the_passages_it_was_shown(model: Generator) -> None:
    """The audit says which model wrote an answer and with which settings, and the citation
    check accepts only the passages the model was actually shown."""
    draft = await model.generate(QUESTION, "fr", EVIDENCE)
    assert draft is not None
    assert draft.text.strip()
    assert draft.generator.strip()
    assert draft.shown is None or 1 <= draft.shown <= len(EVIDENCE)
    json.dumps(dict(draft.parameters))  # recorded in the audit's details as they are


async def test_the_streamed_text_grows_into_the_draft(model: Generator) -> None:
    """A chat shows the answer's progress as it is written: each text seen extends the one
    before, and the last is the draft that is then checked."""
    seen: list[str] = []

    async def on_text(text: str) -> None:
        seen.append(text)

    draft = await model.generate(QUESTION, "fr", EVIDENCE, on_text)
    assert draft is not None
    assert seen
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(seen))
    assert seen[-1] == draft.text


async def test_the_same_question_on_the_same_passages_gets_the_same_draft(
    model: Generator,
) -> None:
    """An answer a clinician reports can be reproduced from the audit: same question, same
    passages, same draft. (llama.cpp reads a prompt it holds in its cache along another path
    than a new one, and the two can part at a near tie: the drafts compared are both read from
    the cache.)"""
    await model.generate(QUESTION, "fr", EVIDENCE)
    first = await model.generate(QUESTION, "fr", EVIDENCE)
    second = await model.generate(QUESTION, "fr", EVIDENCE)
    assert first is not None
    assert second is not None
    assert (second.text, second.generator) == (first.text, first.generator)
