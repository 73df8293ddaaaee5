"""Contract tests of the embedder (core.ports.Embedder): one test body run against the fake
(testkit.fakes.FakeEmbedder) and the packaged MiniLM model (LocalEmbedder)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from adapters.embedders.local import LocalEmbedder
from core.ports import Embedder
from testkit.fakes import FakeEmbedder, cosine

pytestmark = pytest.mark.integration

QUESTION = "maximum daily dose of paracetamol for adults"
PARAPHRASE = "paracetamol maximum dose per day in adults"
UNRELATED = "how long to wash hands before surgery"


@pytest.fixture(params=["fake", "minilm"])
def model(request: pytest.FixtureRequest) -> Embedder:
    """The embedder: FakeEmbedder, then the packaged all-MiniLM-L6-v2 (loaded once a session)."""
    if request.param == "fake":
        return FakeEmbedder()
    embedder: LocalEmbedder = request.getfixturevalue("embedder")
    return embedder


def norm(vector: Sequence[float]) -> float:
    return math.sqrt(sum(x * x for x in vector))


async def test_one_unit_vector_per_text_of_the_indexs_dimension(model: Embedder) -> None:
    """Every passage and question is embedded, as many vectors as texts, each of the dimension
    recorded with the index (a mismatch is refused at start) and of length 1 (cosine = dot)."""
    vectors = await model.embed([QUESTION, PARAPHRASE, UNRELATED, ""])
    assert len(vectors) == 4
    assert {len(v) for v in vectors} == {model.identity.dimension}
    assert [norm(v) for v in vectors] == pytest.approx([1.0] * 4, abs=1e-4)
    assert await model.embed([]) == []


async def test_a_text_has_the_same_vector_alone_or_in_a_batch_in_order(model: Embedder) -> None:
    """A question embedded alone finds what the same words embedded at import found: the
    vector does not depend on the batch, nor on its place in it."""
    batch = await model.embed([UNRELATED, QUESTION, PARAPHRASE])
    alone = [(await model.embed([text]))[0] for text in (UNRELATED, QUESTION, PARAPHRASE)]
    for together, single in zip(batch, alone, strict=True):
        assert cosine(together, single) == pytest.approx(1.0, abs=1e-4)
    assert await model.embed([QUESTION]) == await model.embed([QUESTION])


async def test_a_related_text_is_nearer_than_an_unrelated_one(model: Embedder) -> None:
    """The search finds the passage that says what the question asks before one about something
    else."""
    question, paraphrase, unrelated = await model.embed([QUESTION, PARAPHRASE, UNRELATED])
    assert cosine(question, paraphrase) > cosine(question, unrelated) + 0.3


async def test_the_chunk_budget_measures_each_text_as_the_model_reads_it(model: Embedder) -> None:
    """A passage is cut before the model would truncate it: the budget measures each text, a
    longer one as more, and holds several sentences."""
    budget = model.chunk_budget()
    short, long = budget.measure([QUESTION, " ".join([QUESTION] * 5)])
    assert 0 < short < long
    assert budget.size >= 3 * short
    assert budget.separator >= 0
