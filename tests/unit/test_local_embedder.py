"""The local embedder computes in bf16 where the CPU has it: the same vectors, to the rounding."""

from __future__ import annotations

import math

from adapters.embedders.local import LocalEmbedder, _model
from adapters.sources import bdpm
from core.documents import chunk_document, embedding_text
from core.text import split_sentences
from tests.conftest import BDPM

TEXTS = [
    "Dans la crise de goutte, la colchicine se donne à faible dose : 1 mg puis 0,5 mg.",
    "Kardegic 75 mg, poudre pour solution buvable en sachet-dose : SMR important.",
    "Adrenaline 0.5 mg intramuscularly in anaphylaxis, repeated after 5 minutes.",
    "INR",
]


async def test_bf16_vectors_are_the_fp32_vectors_to_the_rounding() -> None:
    """An index built in fp32 answers bf16 questions as before (hence one shared identity)."""
    fp32 = await LocalEmbedder("fp32").embed(TEXTS)
    bf16 = await LocalEmbedder("bf16").embed(TEXTS)
    assert LocalEmbedder("bf16").identity == LocalEmbedder("fp32").identity
    for a, b in zip(fp32, bf16, strict=True):
        assert sum(x * y for x, y in zip(a, b, strict=True)) >= 0.9999
        assert math.isclose(sum(x * x for x in b), 1.0, rel_tol=1e-4)


async def test_a_batch_of_texts_gets_each_text_its_own_vector() -> None:
    """Ingestion embeds many passages at once, sorted by length: none gets another's vector."""
    many = [f"{text} ({n})" for n in range(5) for text in TEXTS]
    vectors = await LocalEmbedder("fp32").embed(many)
    for text, vector in zip(many[::7], vectors[::7], strict=True):
        [alone] = await LocalEmbedder("fp32").embed([text])
        assert sum(x * y for x, y in zip(alone, vector, strict=True)) >= 0.9999


def test_the_model_reads_every_passage_whole() -> None:
    """No end of a passage is invisible to vector search: each fits the model's 256 word
    pieces with its title line, unless it is one sentence longer than that (never cut)."""
    embedder = LocalEmbedder()
    passages = [
        (embedding_text(doc, chunk), chunk)
        for file in bdpm.read_release(BDPM, 150)
        for doc in file.documents
        for chunk in chunk_document(doc, embedder.chunk_budget())
    ]
    assert len(passages) > 300
    # Whole, with [CLS] and [SEP], as the model would read them uncut.
    pieces = [n + 2 for n in _model().word_pieces([text for text, _ in passages])]
    over = [chunk.text for (_, chunk), n in zip(passages, pieces, strict=True) if n > 256]
    assert all(len(split_sentences(text)) == 1 for text in over), over[:1]
    # The budget is used: passages are not cut much shorter than the model reads.
    assert max(pieces) > 200


def test_an_import_embeds_on_single_threaded_workers_and_leaves_the_default() -> None:
    """An import keeps its speed with the database busy on a core (each worker computes on
    one core), and a question's pass still gets torch's usual threads."""
    import threading

    import torch

    from adapters.embedders.local import _workers

    default = torch.get_num_threads()
    workers = _workers()
    counts = [workers.submit(torch.get_num_threads).result() for _ in range(2 * default)]
    assert counts == [1] * len(counts)
    later: list[int] = []
    thread = threading.Thread(target=lambda: later.append(torch.get_num_threads()))
    thread.start()
    thread.join()
    assert later == [default]
    assert torch.get_num_threads() == default


async def test_the_vectors_are_those_sentence_transformers_computes() -> None:
    """The encoder written on plain torch (adapters/embedders/bert.py) gives the vectors
    sentence-transformers gave for the same model: an index built before it keeps answering,
    its identity unchanged. Texts of each kind: French, English, a code, spaces around, longer
    than the model reads (cut at 256 word pieces)."""
    from sentence_transformers import SentenceTransformer

    from adapters.embedders.local import _model_dir

    texts = [*TEXTS, "  INR cible sous AVK ?  ", "warfarine " * 300]
    reference = SentenceTransformer(str(_model_dir()), device="cpu").encode(
        texts, normalize_embeddings=True
    )
    ours = await LocalEmbedder("fp32").embed(texts)
    for text, a, b in zip(texts, ours, reference.tolist(), strict=True):
        assert sum(x * y for x, y in zip(a, b, strict=True)) >= 0.99999, text[:40]
