"""Identifier redaction with the real name finder (spaCy's French pipeline) on the
labelled messages: the figures docs/privacy.md reports, held as a floor."""

from __future__ import annotations

import asyncio
import functools
import json
import threading
import time
from types import SimpleNamespace

import pytest

from adapters.privacy import spacy_names
from adapters.privacy.spacy_names import SpacyNames
from core.privacy import Redactor
from tests.conftest import DATA

ITEMS = [json.loads(line) for line in (DATA / "pii_messages.jsonl").read_text().splitlines()]


async def test_labelled_identifiers_are_removed_and_look_alikes_kept() -> None:
    """Every labelled identifier is removed; doses, lab values and other dates survive (at most
    1 % lost)."""
    redactor = Redactor(SpacyNames())
    names = caught_names = kept = destroyed = 0
    for item in ITEMS:
        redacted = (await redactor.redact(item["text"], item["language"])).text
        for entity in item["entities"]:
            if entity["type"] == "NOM":
                names += 1
                caught_names += entity["value"] not in redacted
            else:
                assert entity["value"] not in redacted, (item["id"], entity)
        kept += len(item["keep"])
        destroyed += sum(value not in redacted for value in item["keep"])
    assert caught_names == names
    assert destroyed / kept <= 0.01


async def test_eponyms_drugs_and_units_are_not_names() -> None:
    """'Maladie de Parkinson', 'Vancomycine' at the start of a sentence and 'g/L' stay."""
    redactor = Redactor(SpacyNames())
    text = "Maladie de Parkinson. Vancomycine : résiduelle 25 mg/L. Patient Jean Dupont."
    redacted = (await redactor.redact(text, "fr")).text
    assert redacted == "Maladie de Parkinson. Vancomycine : résiduelle 25 mg/L. Patient <NOM>."


async def test_no_labelled_identifier_reaches_search_model_logs_or_audit() -> None:
    """The whole pipeline over every labelled message: the embedder, the generator, the log
    lines and the audit rows only ever see placeholders."""
    import structlog

    from core.models import Outcome
    from testkit.fakes import FakeAudit, FakeIndex, message, passage, pipeline_with
    from tests.unit.test_privacy import RecordingEmbedder, RecordingGenerator

    generator, embedder, audit = RecordingGenerator(), RecordingEmbedder(), FakeAudit()
    pipeline = pipeline_with(
        FakeIndex([passage("Posologie usuelle et surveillance.")]), audit, generator
    )
    pipeline.embedder = embedder
    pipeline.redactor = Redactor(SpacyNames())
    with structlog.testing.capture_logs() as logs:
        replies = [await pipeline.answer(message(item["text"])) for item in ITEMS]
    assert all(r.outcome is not Outcome.ERROR for r in replies)
    seen = "\n".join(
        [*generator.seen, *embedder.seen, json.dumps(logs, default=str)]
        + [f"{e.question} {e.reply_text} {json.dumps(dict(e.details))}" for e in audit.entries]
    )
    leaked = [e["value"] for item in ITEMS for e in item["entities"] if e["value"] in seen]
    assert leaked == []


async def test_the_bot_goes_on_while_the_name_finder_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    """A question asked while spaCy loads (~9 s after a start) waits for it off the event
    loop: the bot goes on acknowledging other messages and answering health probes."""
    from core.models import Outcome
    from testkit.fakes import FakeAudit, FakeIndex, message, passage, pipeline_with
    from tests.unit.test_privacy import RecordingGenerator

    class Pipeline:  # a spaCy pipeline that finds nothing
        def __call__(self, text: str) -> SimpleNamespace:
            return SimpleNamespace(ents=[])

    @functools.cache
    def slow_build() -> Pipeline:
        time.sleep(0.5)
        return Pipeline()

    monkeypatch.setattr(spacy_names, "_build", slow_build)
    monkeypatch.setattr(spacy_names, "_loaded", threading.Event())  # as in a fresh process
    pipeline = pipeline_with(
        FakeIndex([passage("Posologie usuelle et surveillance.")]),
        FakeAudit(),
        RecordingGenerator(),
    )
    pipeline.redactor = Redactor(SpacyNames())
    answering = asyncio.create_task(pipeline.answer(message("Posologie usuelle ?")))
    ticks = 0
    while not answering.done():
        await asyncio.sleep(0.01)
        ticks += 1
    assert (await answering).outcome is not Outcome.ERROR
    assert ticks >= 20  # ~50 while the loop is free; 1 or 2 where the load held it
