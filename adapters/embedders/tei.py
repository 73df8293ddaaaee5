"""A Text Embeddings Inference server (or any feature-extraction endpoint) via huggingface_hub."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import httpx2 as httpx
from huggingface_hub import AsyncInferenceClient
from huggingface_hub.errors import HfHubHTTPError, InferenceTimeoutError

from core.documents import ChunkBudget
from core.errors import EmbedderError
from core.ports import EmbedderIdentity

BATCH_SIZE = 32  # TEI's default --max-client-batch-size


@dataclass
class RemoteEmbedder:
    """Call `connect()` once: it learns the model and its dimension from the server."""

    url: str
    token: str | None = None
    timeout_s: float = 30.0
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
        vectors: list[list[float]] = []
        for start in range(0, len(texts), BATCH_SIZE):
            vectors += await self._embed_batch(list(texts[start : start + BATCH_SIZE]))
        return vectors

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
