"""Patient identifiers never reach retrieval, the model, the logs or the audit."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence

import pytest
import structlog

from bots.logs import configure_logging
from core.models import Language, Outcome, Passage, Turn
from core.ports import Draft, OnText
from core.privacy import Redactor, find_patterns
from tests.conftest import DATA
from tests.fakes import FakeAudit, FakeEmbedder, FakeIndex, message, passage, pipeline_with

MESSAGE = (
    "Patient M. Jean Martin, NIR 2 84 12 2A 215 023 48, né le 04/07/1984, IPP 004512378, "
    "tél 06 12 34 56 78, jean.martin@example.org, 12 rue des Lilas, 75011 Paris : "
    "dose maximale de paracétamol ? INR 2,5 le 03/04/2024, 500 mg."
)
IDENTIFIERS = (
    "Jean Martin", "2 84 12 2A 215 023 48", "04/07/1984", "004512378", "06 12 34 56 78",
    "jean.martin@example.org", "12 rue des Lilas",
)  # fmt: skip


KINDS = ("ADRESSE", "DATE_NAISSANCE", "EMAIL", "IPP", "NIR", "NOM", "TELEPHONE")  # MESSAGE has each


async def test_every_shaped_identifier_is_replaced_by_its_placeholder() -> None:
    """The question still reads, with typed placeholders; doses, lab values and dates stay."""
    redacted = await Redactor().redact(MESSAGE, "fr")
    assert all(value not in redacted.text for value in IDENTIFIERS)
    assert redacted.kinds == KINDS
    for kept in ("INR 2,5 le 03/04/2024", "500 mg", "dose maximale de paracétamol"):
        assert kept in redacted.text


@pytest.mark.parametrize(
    ("nir", "valid"),
    [("1 85 05 78 006 084 91", True), ("1 85 05 78 006 084 36", False), ("284122A21502348", True)],
)
def test_a_nir_needs_its_control_key(nir: str, valid: bool) -> None:
    """15 digits that fail the key (an order number, a lot) are not taken for a NIR."""
    assert any(f.kind == "NIR" for f in find_patterns(f"numéro {nir} ici")) is valid


class RecordingGenerator:
    def __init__(self) -> None:
        self.seen: list[str] = []

    async def generate(
        self,
        question: str,
        language: Language,
        passages: Sequence[Passage],
        on_text: OnText | None = None,
    ) -> Draft | None:
        self.seen.append(question)
        return Draft(f"{passages[0].text} [1]", "recording") if passages else None


class RecordingEmbedder(FakeEmbedder):
    def __init__(self) -> None:
        self.seen: list[str] = []

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.seen += texts
        return await super().embed(texts)


async def test_no_identifier_reaches_search_model_audit_or_logs() -> None:
    """Search, the model, the audit row and the log lines only ever see placeholders."""
    generator, audit = RecordingGenerator(), FakeAudit()
    pipeline = pipeline_with(
        FakeIndex([passage("La dose maximale est de 4 g par jour.", title="Paracétamol")]),
        audit,
        generator,
    )
    embedder = RecordingEmbedder()
    pipeline.embedder = embedder
    with structlog.testing.capture_logs() as logs:
        reply = await pipeline.answer(message(MESSAGE))
    assert reply.outcome is Outcome.ANSWERED
    seen = [
        *generator.seen,
        *embedder.seen,
        audit.answers[0].question,
        reply.asked,
        json.dumps(logs),
    ]
    for value in IDENTIFIERS:
        assert all(value not in text for text in seen), value
    assert audit.answers[0].details["redacted"] == list(KINDS)


async def test_user_is_told_once_per_thread_and_first_told_it_is_an_ai() -> None:
    """First reply: 'you are talking to an AI' and 'identifiers were removed'; later replies in
    the same thread do not repeat either."""
    pipeline = pipeline_with(
        FakeIndex([passage("La dose maximale est de 4 g par jour.")]), FakeAudit()
    )
    first = await pipeline.answer(message(MESSAGE))
    assert any("intelligence artificielle" in n for n in first.notices)
    assert any("identifiants de patient" in n for n in first.notices)
    later = await pipeline.answer(message(MESSAGE, (Turn(first.asked, first.text),)))
    assert not any("intelligence artificielle" in n or "identifiants" in n for n in later.notices)


def test_log_lines_are_scrubbed_whatever_a_developer_logs() -> None:
    """A log call that carries a phone number or a NIR prints placeholders instead."""
    stream = io.StringIO()
    configure_logging(fmt="json")
    structlog.configure(logger_factory=lambda *args: structlog.PrintLogger(stream))
    structlog.get_logger("t").warning(
        "oops", text="rappeler le 06 12 34 56 78", ids=["1 85 05 78 006 084 91"]
    )
    line = stream.getvalue()
    structlog.reset_defaults()
    assert "06 12 34 56 78" not in line
    assert "<TELEPHONE>" in line
    assert "<NIR>" in line


async def test_labelled_messages_lose_no_shaped_identifier_to_the_pipeline_input() -> None:
    """Over the labelled set, no identifier with a shape survives redaction (names: see the
    integration test with Presidio), and no look-alike is destroyed entirely."""
    path = DATA / "pii_messages.jsonl"
    if not path.exists():
        pytest.fail("tests/data/pii_messages.jsonl is missing")
    redactor = Redactor()
    for line in path.read_text().splitlines():
        item = json.loads(line)
        redacted = (await redactor.redact(item["text"], item["language"])).text
        for entity in item["entities"]:
            if entity["type"] != "NOM":
                assert entity["value"] not in redacted, (item["id"], entity)


async def test_hospital_specific_patient_ids_are_configurable() -> None:
    """A hospital whose ids look like 'PAT-2024-00042' sets MEDGPT_IPP_PATTERN and they go."""
    import re

    redactor = Redactor(local_ids=re.compile(r"PAT-\d{4}-\d{5}"))
    local = await redactor.redact("dossier PAT-2024-00042, INR 2,5", "fr")
    assert local.text == "dossier <IPP>, INR 2,5"
    elsewhere = await Redactor().redact("dossier PAT-2024-00042", "fr")
    assert elsewhere.text == "dossier PAT-2024-00042"


def test_invalid_ipp_pattern_is_a_clear_setting_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken MEDGPT_IPP_PATTERN is named at start-up, not discovered on a patient's data."""
    from bots.settings import SettingsError, load_settings

    monkeypatch.setenv("MEDGPT_IPP_PATTERN", "PAT-(\\d+")
    with pytest.raises(SettingsError, match="MEDGPT_IPP_PATTERN"):
        load_settings()
