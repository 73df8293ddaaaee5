"""An emergency with a clinical question: every platform shows the banner first, then the
sourced answer, in the same message."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bots.matrix.render import reply_contents
from bots.render_text import render_text
from bots.slack.render import MAX_BLOCKS, blocks_for
from core import compose
from core.models import Language, Outcome, Reply
from core.triage import Emergency, EmergencyNumbers
from testkit.fakes import FakeAudit, FakeIndex, message, passage, pipeline_with

NUMBERS = EmergencyNumbers(hospital="2222 (équipe de réanimation)")
ANSWERS: dict[Language, tuple[str, str]] = {
    "fr": ("« L'adrénaline IM est de 0,5 mg chez l'adulte. » [1]", "Anaphylaxie — adrénaline"),
    "en": ("“Adrenaline 0.5 mg IM is given in adults.” [1]", "Anaphylaxis — adrenaline"),
}


def emergency_answer(language: Language) -> Reply:
    text, title = ANSWERS[language]
    source = passage(text.split("[")[0], title=title, section=(title, "Adrenaline"))
    reply = compose.answered(language, text, [source])
    banner = compose.emergency_banner(language, Emergency.ANAPHYLAXIS, NUMBERS)
    return replace(reply, banner=banner, audit_id=7)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_console_shows_the_banner_then_the_sourced_answer(language: Language) -> None:
    """On the console the banner comes first, then the answer, its sources, the disclaimer."""
    reply = emergency_answer(language)
    text = render_text(reply)
    assert text.startswith("🚨")
    assert text.index("2222") < text.index(reply.text) < text.index("[1] ")
    assert text.rstrip().endswith(reply.disclaimer.text)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_slack_shows_the_banner_block_first_then_the_sourced_answer(language: Language) -> None:
    """In Slack the first block is the banner; the answer, sources and buttons follow."""
    reply = emergency_answer(language)
    blocks, fallback = blocks_for(reply)
    texts = [str(block) for block in blocks]
    assert "🚨" in texts[0]
    assert "2222" in texts[0]
    answer = next(i for i, t in enumerate(texts) if "0,5 mg" in t or "0.5 mg" in t)
    sources = next(i for i, t in enumerate(texts) if "*Sources*" in t)
    assert 0 < answer < sources
    assert blocks[-1]["type"] == "actions"  # feedback buttons stay on an answered emergency
    assert fallback.startswith("🚨")


def test_slack_never_trims_the_banner_of_a_long_answer() -> None:
    """A very long answer is trimmed between the banner and the sources, never the banner."""
    reply = emergency_answer("fr")
    reply = replace(reply, text=" ".join(["Phrase longue de la réponse."] * 3000) + " [1]")
    blocks, _ = blocks_for(reply)
    assert len(blocks) <= MAX_BLOCKS
    assert "🚨" in str(blocks[0])
    assert any("*Sources*" in str(block) for block in blocks)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_matrix_shows_the_banner_first_in_html_and_plain_text(language: Language) -> None:
    """In Matrix the banner leads both the HTML and the plain body; the sources follow."""
    reply = emergency_answer(language)
    [content] = reply_contents(reply)
    assert content["body"].startswith(reply.banner)
    assert content["formatted_body"].startswith("<p><strong>🚨")
    html, dose = content["formatted_body"], "0,5 mg" if language == "fr" else "0.5 mg"
    assert html.index("2222") < html.index(dose) < html.index("<strong>Sources</strong>")
    assert content["body"].index(reply.banner) < content["body"].index("[1] ")


def test_a_reply_without_emergency_renders_as_before() -> None:
    """Without a banner, nothing is added before the answer on any platform."""
    reply = replace(emergency_answer("en"), banner="")
    assert render_text(reply).startswith(reply.text)
    assert "🚨" not in str(blocks_for(reply)[0][0])
    assert reply_contents(reply)[0]["body"].startswith("“Adrenaline 0.5 mg")


# From the message to each platform: the pipeline's own reply, not one composed by hand.
ARRESTS: dict[Language, tuple[str, str, str, str]] = {  # message, source, title, the dose
    "fr": (
        "patient en arrêt au lit 8, on masse depuis 6 min, quand faire l'adrénaline ?",
        "L'adrénaline 1 mg IV est injectée après le troisième choc, puis toutes les 3 à 5 min.",
        "Arrêt cardiaque de l'adulte",
        "adrénaline 1 mg IV",
    ),
    "en": (
        "Code blue in bed 14, CPR in progress, when do we give adrenaline?",
        "Adrenaline 1 mg IV is given after the third shock, then every 3 to 5 minutes.",
        "Adult cardiac arrest",
        "Adrenaline 1 mg IV",
    ),
}


async def pipeline_reply(language: Language) -> Reply:
    text, sentence, title, _ = ARRESTS[language]
    source = passage(sentence, title=title, section=(title, "Adrenaline"))
    pipeline = pipeline_with(FakeIndex([source]), FakeAudit())
    pipeline.settings = replace(pipeline.settings, emergency_numbers=NUMBERS)
    reply = await pipeline.answer(message(text))
    assert reply.outcome is Outcome.ANSWERED
    assert reply.banner.startswith("🚨")
    return reply


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_an_arrest_with_a_question_renders_banner_then_sourced_answer_everywhere(
    language: Language,
) -> None:
    """A clinician writing an arrest in progress with a question sees, on the console, in Slack
    and in Matrix, the banner with the in-hospital call, then the dose from the source, then
    the source itself, in one message."""
    reply = await pipeline_reply(language)
    _, _, title, dose = ARRESTS[language]
    console = render_text(reply)
    assert console.startswith("🚨")
    assert console.index("2222") < console.index(dose) < console.index(f"[1] {title}")
    blocks, fallback = blocks_for(reply)
    texts = [str(block) for block in blocks]
    assert "🚨" in texts[0]
    assert "2222" in texts[0]
    assert fallback.startswith("🚨")
    answer = next(i for i, t in enumerate(texts) if dose in t)
    sources = next(i for i, t in enumerate(texts) if title in t and i > answer)
    assert 0 < answer < sources
    [content] = reply_contents(reply)
    for body in (content["body"], content["formatted_body"]):
        assert body.index("2222") < body.index(dose) < body.rindex(title.split("'")[0])
    assert content["body"].startswith("🚨")
