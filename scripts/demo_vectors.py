"""Write the demo notes' passage vectors (bots/demo_corpus/vectors.npz) with the packaged embedder.

Usage: python scripts/demo_vectors.py
Run it after editing, adding or removing a demo note, and commit the result: a first use on a
fresh data directory then indexes the notes without embedding them (bots/wiring/demo_vectors.py).
A passage the table lacks is embedded as usual, so a stale table costs time, not answers;
tests/unit/test_demo_vectors.py says when it is stale.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.embedders.local import LocalEmbedder
from bots.wiring.demo_vectors import demo_texts, table_path, write_table


async def main() -> None:
    embedder = LocalEmbedder(precision="fp32")
    texts = sorted(set(demo_texts(embedder.chunk_budget())))
    vectors = await embedder.embed(texts)
    write_table(embedder.identity, texts, vectors, table_path())
    print(f"{table_path()}: {len(texts)} passages, {embedder.identity.model}")


if __name__ == "__main__":
    asyncio.run(main())
