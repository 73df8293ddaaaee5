"""MEDGPT_EMBEDDER=e5 on a real database: the index records e5, answers French, refuses MiniLM."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.embedders.e5 import MODEL_ID, WEIGHTS_SHA256, E5Embedder
from bots.settings import load_settings
from bots.wiring import build_app, demo_corpus_dir, read_files
from core.errors import IndexMismatch
from core.ports import SearchQuery


async def test_an_e5_index_answers_french_and_refuses_another_model(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator who sets MEDGPT_EMBEDDER=e5 gets an index built and searched with e5, which
    finds a French chat question's note; starting MiniLM on it afterwards says to rebuild it."""
    for name, value in {
        "DATABASE_URL": database_url,
        "MEDGPT_DATA_DIR": str(tmp_path),
        "MEDGPT_NAME_DETECTION": "patterns",
        "MEDGPT_EMBEDDER": "e5",
    }.items():
        monkeypatch.setenv(name, value)
    notes = [
        demo_corpus_dir() / f"{n}.md" for n in ("fr-avk-inr-cibles", "fr-paracetamol-posologie")
    ]
    async with build_app(load_settings()) as app:
        assert (app.corpus.identity.model, app.corpus.identity.weights_sha256) == (
            MODEL_ID,
            WEIGHTS_SHA256,
        )
        await app.ingestor().ingest(read_files(notes, demo=True))
        questions = app.pipeline.embedder
        assert isinstance(questions, E5Embedder)
        assert questions.side == "query"
        question = "Doliprane chez l'adulte, max par jour ?"
        [vector] = await questions.embed([question])
        found = await app.corpus.search(SearchQuery(question, vector, "fr", 3, mode="vector"))
        assert found[0].document.title.startswith("Paracétamol")
    monkeypatch.setenv("MEDGPT_EMBEDDER", "minilm")
    with pytest.raises(IndexMismatch, match="medgpt db reset"):
        async with build_app(load_settings()):
            pass
