"""A Text Embeddings Inference server (or any feature-extraction endpoint) via huggingface_hub.

e5 models (multilingual-e5-small/-base/-large, not the -instruct ones) were trained with "query: "
before a question and "passage: " before a passage, and TEI adds neither: this client does, for
a served model whose id names e5 (`PREFIXED`). bge-m3 takes the texts as they are."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import httpx2 as httpx
from huggingface_hub import AsyncInferenceClient
from huggingface_hub.errors import HfHubHTTPError, InferenceTimeoutError

from core.documents import ChunkBudget
from core.errors import EmbedderError
from core.ports import EmbedderIdentity

BATCH_SIZE = 32  # TEI's default --max-client-batch-size
PREFIXED = re.compile(r"(^|/)(multilingual-)?e5-(small|base|large)(-v2)?$", re.IGNORECASE)


@dataclass
class RemoteEmbedder:
    """Call `connect()` once: it learns the model and its dimension from the server. `side`:
    the passages' (ingestion) or the questions' (retrieval), for the models that tell them apart
    by a prefix; `dataclasses.replace(embedder, side="query")` after connect() for the other."""

    url: str
    token: str | None = None
    timeout_s: float = 30.0
    side: Literal["query", "passage"] = "passage"
    _identity: EmbedderIdentity | None = None

    @property
    def identity(self) -> EmbedderIdentity:
        if self._identity is None:
            raise EmbedderError("the embedding server was not contacted yet (connect() first)")
        return self._identity

    def _client(self) -> AsyncInferenceClient:
        return AsyncInferenceClient(model=self.url, token=self.token, timeout=self.timeout_s)

    async def connect(self) -> EmbedderIdentity:
        model = await self._model_id()
        [probe] = await self._embed_batch(["dimension probe"])
        self._identity = EmbedderIdentity(f"tei:{model}", len(probe), None)
        return self._identity

    def chunk_budget(self) -> ChunkBudget:
        """Characters: the server's tokenizer is not at hand (it truncates what is longer)."""
        return ChunkBudget()

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        prefix = self.prefix()
        vectors: list[list[float]] = []
        for start in range(0, len(texts), BATCH_SIZE):
            batch = [prefix + text for text in texts[start : start + BATCH_SIZE]]
            vectors += await self._embed_batch(batch)
        return vectors

    def prefix(self) -> str:
        """What this side's texts are preceded by: "query: " / "passage: " for e5, else ""."""
        served = self.identity.model.removeprefix("tei:")
        return f"{self.side}: " if PREFIXED.search(served) else ""

    async def _embed_batch(self, texts: list[str]) -> list[list[float]]:
        client = self._client()
        try:
            array = await client.feature_extraction(texts, normalize=True, truncate=True)
        except (HfHubHTTPError, InferenceTimeoutError, httpx.HTTPError, OSError) as exc:
            raise EmbedderError(f"the embedding server at {self.url} failed: {exc}") from exc
        finally:
            await client.close()  # type: ignore[no-untyped-call]
        return [[float(x) for x in row] for row in array.reshape(len(texts), -1)]

    async def _model_id(self) -> str:
        """The served model, from TEI's /info; the URL when the server does not say."""
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as http:
                response = await http.get(self.url.rstrip("/") + "/info")
            if response.status_code == 200:
                return str(response.json().get("model_id") or self.url)
        except (httpx.HTTPError, ValueError) as exc:
            raise EmbedderError(
                f"the embedding server at {self.url} is unreachable: {exc}"
            ) from exc
        return self.url
