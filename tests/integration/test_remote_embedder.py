"""The Text Embeddings Inference client, against a local stand-in speaking TEI's HTTP API.

A real TEI server is a Rust binary we cannot install here; this stand-in answers the two routes
the adapter uses (/info and the feature-extraction POST) the way TEI does, and records requests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from adapters.embedders.tei import RemoteEmbedder
from bots.wiring.models import for_questions
from core.errors import EmbedderError
from core.ports import EmbedderIdentity
from tests.conftest import serving


class _TEI(BaseHTTPRequestHandler):
    requests: list[dict[str, object]] = []  # noqa: RUF012  # shared record, reset per test
    fail = False

    def do_GET(self) -> None:
        if self.path == "/info":
            self._json(200, {"model_id": "intfloat/multilingual-e5-small", "max_input_length": 512})
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "body": body})
        if type(self).fail:
            self._json(503, {"error": "Model is loading", "error_type": "unhealthy"})
            return
        inputs = body["inputs"] if isinstance(body["inputs"], list) else [body["inputs"]]
        self._json(200, [[float(len(text)), 1.0, 0.0, 0.0] for text in inputs])

    def _json(self, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tei() -> Iterator[str]:
    _TEI.requests = []
    _TEI.fail = False
    with serving(_TEI) as (url, _):
        yield url


async def test_identity_comes_from_the_server(tei: str) -> None:
    """The index records which remote model built it, and its dimension, learnt at start-up."""
    identity = await RemoteEmbedder(tei).connect()
    assert (identity.model, identity.dimension) == ("tei:intfloat/multilingual-e5-small", 4)


async def test_batches_keep_order(tei: str) -> None:
    """Embeddings come back one per text, in order, across batches of 32."""
    embedder = RemoteEmbedder(tei)
    await embedder.connect()
    texts = [f"passage {'x' * i}" for i in range(70)]
    vectors = await embedder.embed(texts)
    assert [v[0] for v in vectors] == [float(len("passage: " + t)) for t in texts]
    posts = [r for r in _TEI.requests if r["body"]["inputs"] != ["dimension probe"]]  # type: ignore[index]
    assert [len(r["body"]["inputs"]) for r in posts] == [32, 32, 6]  # type: ignore[index, arg-type]
    assert all(r["body"]["normalize"] is True for r in posts)  # type: ignore[index]


async def test_e5_reads_questions_and_passages_with_their_prefixes(tei: str) -> None:
    """An e5 model behind TEI gets "query: " before a question and "passage: " before a
    passage, as it was trained; the two sides share the index's identity."""
    passages = RemoteEmbedder(tei)
    await passages.connect()
    questions = for_questions(passages)  # as the bot's wiring gives the pipeline
    await passages.embed(["INR cible"])
    await questions.embed(["INR cible ?"])
    sent = [r["body"]["inputs"] for r in _TEI.requests[1:]]  # type: ignore[index]
    assert sent == [["passage: INR cible"], ["query: INR cible ?"]]
    assert questions.identity == passages.identity


@pytest.mark.parametrize(
    ("model", "prefixed"),
    [
        ("intfloat/multilingual-e5-small", True),
        ("intfloat/multilingual-e5-large", True),
        ("intfloat/e5-base-v2", True),
        ("intfloat/multilingual-e5-large-instruct", False),
        ("BAAI/bge-m3", False),
    ],
)
def test_only_e5_models_get_prefixes(model: str, prefixed: bool) -> None:
    """bge-m3 and the instruct e5 models take the texts as they are; e5 gets its prefixes."""
    embedder = RemoteEmbedder("http://tei", _identity=EmbedderIdentity(f"tei:{model}", 4))
    assert embedder.prefix() == ("passage: " if prefixed else "")


async def test_server_errors_become_embedder_errors(tei: str) -> None:
    """A 503 from the server is a clear EmbedderError naming the server, not a raw HTTP trace."""
    embedder = RemoteEmbedder(tei)
    await embedder.connect()
    _TEI.fail = True
    with pytest.raises(EmbedderError, match=r"embedding server at http://127\.0\.0\.1"):
        await embedder.embed(["dose"])


async def test_unreachable_server_is_a_clear_error() -> None:
    """A wrong EMBEDDINGS_URL fails at start-up with the URL in the message."""
    with pytest.raises(EmbedderError, match="unreachable"):
        await RemoteEmbedder("http://127.0.0.1:9", timeout_s=2).connect()
