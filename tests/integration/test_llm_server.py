"""Grounded generation through a real OpenAI-compatible server (llama.cpp + SmolLM2-135M).

A 135M model writes poor citations: good, that is what the citation check is for. These tests
assert what must hold whatever the model writes."""

from __future__ import annotations

import itertools
import json
import re
import time
from pathlib import Path

import pytest

from adapters.embedders.local import LocalEmbedder
from adapters.generators.chat import ChatGenerator
from adapters.generators.extractive import ExtractiveGenerator
from adapters.postgres.audit import PgAuditLog
from adapters.postgres.store import PgCorpus
from bots.cli import main
from bots.matrix.render import reply_contents
from bots.render_text import render_text
from bots.wiring import demo_corpus_dir, read_files
from core.citations import numbers
from core.compose import DISCLAIMERS
from core.ingestion import Ingestor
from core.models import ConversationId, IncomingMessage, Outcome, Platform, UserId
from core.pipeline import Pipeline
from core.text import split_sentences
from testkit.fakes import FakeAudit, FakeIndex, message, passage, pipeline_with
from testkit.injection import CLEAN, RULE_LINES
from tests.conftest import DATA

EVIDENCE = [
    passage("La dose maximale de paracétamol est de 4 g par jour chez l'adulte.", passage_id=1),
    passage("Le surdosage en paracétamol expose à une hépatite grave.", passage_id=2),
]


async def test_streams_text_as_it_arrives_and_is_reproducible(llm_server: str) -> None:
    """Chat bots can show progress; temperature 0 and a fixed seed give the same answer twice."""
    seen: list[str] = []

    async def on_text(text: str) -> None:
        seen.append(text)

    generator = ChatGenerator(llm_server, max_tokens=48)
    draft = await generator.generate("Dose maximale de paracétamol ?", "fr", EVIDENCE, on_text)
    assert draft is not None
    assert draft.generator == "chat:smollm2"
    assert draft.prompt_version == "prompt-1"
    assert len(seen) > 1
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(seen))
    assert seen[-1] == draft.text
    # llama.cpp reads a prompt it holds in its cache (all but the last token) along another path
    # than a new one, and its portable build's two paths can part at a near tie: the answers
    # compared are both served from the cache.
    first, second = [
        await generator.generate("Dose maximale de paracétamol ?", "fr", EVIDENCE) for _ in "ab"
    ]
    assert first is not None
    assert second is not None
    assert second.text == first.text


async def test_length_limit_ends_the_answer_cleanly(llm_server: str) -> None:
    """A max_tokens cut is a finished answer (then checked), not a broken stream."""
    draft = await ChatGenerator(llm_server, max_tokens=5).generate("Dose ?", "en", EVIDENCE)
    assert draft is not None
    assert 0 < len(draft.text) < 80


async def test_server_metadata_is_discovered(llm_server: str) -> None:
    """The model name comes from /v1/models; the window falls back to the configured size."""
    info = await ChatGenerator(llm_server, default_context_tokens=2048).info()
    assert (info.model, info.context_tokens) == ("smollm2", 2048)


async def test_real_model_answers_never_show_unverified_claims(
    llm_server: str, corpus: PgCorpus, embedder: LocalEmbedder, pool: object
) -> None:
    """Whatever the model writes, a reply cites only listed sources, and every number in an
    answer sentence appears in the sources that sentence cites."""
    await Ingestor(embedder, corpus).ingest(read_files([demo_corpus_dir()], demo=True))
    pipeline = Pipeline(
        embedder=embedder,
        index=corpus,
        # Generous timeouts: this test is about the checker on real output, and a long prompt on
        # a loaded 2-core machine can take tens of seconds to its first token.
        generator=ChatGenerator(
            llm_server,
            max_tokens=120,
            context_tokens=2048,
            first_token_timeout_s=180,
            total_timeout_s=300,
        ),
        fallback=ExtractiveGenerator(),
        audit=PgAuditLog(corpus.pool),
        pseudonymize=lambda user: "p",
    )
    questions = [
        "Quelle est la dose maximale de paracétamol chez l'adulte ?",
        "What is the adrenaline dose in anaphylaxis for an adult?",
        "Cible d'INR sous AVK ?",
        "How is hyperkalaemia treated in an emergency?",
    ]
    texts = {r["id"]: r["text"] for r in await corpus.pool.fetch("SELECT id, text FROM passages")}
    for question in questions:
        message = IncomingMessage(question, Platform.CONSOLE, ConversationId("t"), UserId("u"))
        reply = await pipeline.answer(message)
        assert reply.outcome in (Outcome.ANSWERED, Outcome.ABSTAINED)
        by_number = {s.number: texts[s.passage_id] for s in reply.sources}
        for sentence in _claims(reply.text):
            cited = [int(n) for n in re.findall(r"\[(\d+)\]", sentence)]
            assert set(cited) <= set(by_number), (question, reply.text)
            sources = " ".join(by_number[n] for n in cited)
            assert numbers(sentence) <= numbers(sources), (question, sentence)
    rows = await corpus.pool.fetch(
        "SELECT details FROM audit_events WHERE event <> 'question_received'"
    )
    assert len(rows) == len(questions)
    assert all('"draft_generator": "chat:smollm2"' in r["details"] for r in rows)
    assert all('"seed": 42' in r["details"] and '"temperature": 0.0' in r["details"] for r in rows)


def _claims(text: str) -> list[str]:
    """The units a reader takes as one claim: a quoted bullet, or a sentence."""
    lines = [line for line in text.splitlines() if "[" in line]
    return [
        s for line in lines for s in ([line] if line.startswith("•") else split_sentences(line))
    ]


def test_cli_answers_through_the_server_and_falls_back_when_it_is_stopped(
    llm_server: str,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`LLM_URL=… medgpt ask` answers with sources and disclaimer; with the server down it
    answers from extracts (or, with LLM_FALLBACK=none, says so) within a bounded time."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MEDGPT_DATA_DIR", str(tmp_path))
    assert main(["ingest", "--demo"]) == 0
    monkeypatch.setenv("LLM_URL", llm_server)
    capsys.readouterr()
    assert main(["ask", "Quelle est la dose maximale de paracétamol chez l'adulte ?"]) == 0
    out = capsys.readouterr().out
    assert "Sources :" in out
    assert "ne remplace pas le jugement clinique" in out

    monkeypatch.setenv("LLM_URL", "http://127.0.0.1:9")  # nothing listens there
    started = time.perf_counter()
    assert main(["ask", "Quelle est la dose maximale de paracétamol chez l'adulte ?"]) == 0
    out = capsys.readouterr().out
    assert "Le modèle de langage est indisponible" in out
    assert "« " in out
    monkeypatch.setenv("LLM_FALLBACK", "none")
    assert main(["ask", "Quelle est la dose maximale de paracétamol chez l'adulte ?"]) == 3
    assert "indisponible" in capsys.readouterr().err
    assert time.perf_counter() - started < 30


# One attack in five, from both halves of the set (in the question, hidden in a passage): a
# real model's answer to each takes seconds on two cores.
ATTACKS = [
    json.loads(line) for line in (DATA / "injection_attacks.jsonl").read_text().splitlines()
][::5]


async def test_attacks_through_a_real_model_keep_disclaimer_citations_and_markup(
    llm_server: str,
) -> None:
    """With a real model behind the bot, an attack in the question or in a passage reaches the
    model; what the clinician sees still ends with the disclaimer, cites only listed sources,
    never recites the system rules, and carries no live markup into Matrix's HTML."""
    model = ChatGenerator(
        llm_server, max_tokens=80, context_tokens=2048, first_token_timeout_s=180,
        total_timeout_s=300,
    )  # fmt: skip
    for attack in ATTACKS:
        passages = [passage(CLEAN, passage_id=1, similarity=0.9)]
        question = "Quelle est la dose maximale de paracétamol chez l'adulte ?"
        if attack["where"] == "passage":
            passages.append(passage(attack["text"], passage_id=2, similarity=0.9))
        else:
            question = attack["text"]
        reply = await pipeline_with(FakeIndex(passages), FakeAudit(), model).answer(
            message(question)
        )
        shown = render_text(reply)
        assert shown.rstrip().endswith(DISCLAIMERS[reply.language].text), attack["id"]
        cited = {int(n) for n in re.findall(r"\[(\d+)\]", reply.text)}
        assert cited <= {source.number for source in reply.sources}, (attack["id"], reply.text)
        assert not any(line in shown for line in RULE_LINES), (attack["id"], shown)
        for content in reply_contents(reply):
            html = str(content.get("formatted_body", "")).lower()
            assert not re.search(r"<(script|img|iframe|a href=\"javascript)", html), html
