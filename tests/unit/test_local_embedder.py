"""The local embedder computes in bf16 where the CPU has it: the same vectors, to the rounding."""

from __future__ import annotations

import math

from adapters.embedders.local import LocalEmbedder

TEXTS = [
    "Dans la crise de goutte, la colchicine se donne à faible dose : 1 mg puis 0,5 mg.",
    "Kardegic 75 mg, poudre pour solution buvable en sachet-dose : SMR important.",
    "Adrenaline 0.5 mg intramuscularly in anaphylaxis, repeated after 5 minutes.",
    "INR",
]


async def test_bf16_vectors_are_the_fp32_vectors_to_the_rounding() -> None:
    """An index built in fp32 answers bf16 questions as before (hence one shared identity),
    and the word-piece sort gives each text back its own vector."""
    fp32 = await LocalEmbedder("fp32").embed(TEXTS)
    bf16 = await LocalEmbedder("bf16").embed(TEXTS)
    assert LocalEmbedder("bf16").identity == LocalEmbedder("fp32").identity
    for a, b in zip(fp32, bf16, strict=True):
        assert sum(x * y for x, y in zip(a, b, strict=True)) >= 0.9999
        assert math.isclose(sum(x * x for x in b), 1.0, rel_tol=1e-4)
    # Each vector is its own text's (the sort by length is undone): texts differ from each other.
    assert all(sum(x * y for x, y in zip(fp32[0], v, strict=True)) < 0.9 for v in fp32[1:])
    single = await LocalEmbedder("fp32").embed(TEXTS[3:])
    assert sum(x * y for x, y in zip(single[0], fp32[3], strict=True)) >= 0.9999
