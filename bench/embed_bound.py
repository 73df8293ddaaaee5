"""How far the local embedder is from this machine's arithmetic limit, and what an ingestion
rate would need.

Usage: python bench/embed_bound.py [--passages 1500] [--rate 150] [--data ../shared/data]

On passages sampled from the official sources as ingestion embeds them (the sample of
bench/embed_throughput.py): word pieces per passage, the model's passages/s through the adapter
(as ingestion calls it), and the arithmetic that makes: floating-point operations per word
piece counted from the model's configuration (the matrix products of every layer, and
attention for the sample's lengths). Beside it, the machine's rate on the model's largest
matrix product (a batch of 16 passages times the feed-forward weights) in the adapter's
precision. Then what --rate passages/s would need from the model alone, as a share of that.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from adapters.embedders import local
from bench.data import add_data_argument, require
from bench.embed_throughput import SOURCES, build_sample, st_model
from core.ingestion import EMBED_BATCH


def flops_per_piece(config: object, pieces: float) -> float:
    """Multiply-adds x 2 of one word piece through the encoder, for sequences of `pieces`."""
    hidden = config.hidden_size  # type: ignore[attr-defined]
    ffn = config.intermediate_size  # type: ignore[attr-defined]
    layers = config.num_hidden_layers  # type: ignore[attr-defined]
    projections = 4 * hidden * hidden + 2 * hidden * ffn  # Q, K, V, output; feed-forward
    attention = 2 * pieces * hidden  # scores and weighted sum, against every piece
    return 2.0 * layers * (projections + attention)


def matmul_rate(rows: int, hidden: int, ffn: int, dtype: torch.dtype, repeats: int = 30) -> float:
    """FLOP/s of (rows x hidden) @ (hidden x ffn) plus bias, median of `repeats`."""
    a = torch.randn(rows, hidden, dtype=dtype)
    w = torch.randn(ffn, hidden, dtype=dtype)
    b = torch.randn(ffn, dtype=dtype)
    for _ in range(3):
        torch.addmm(b, a, w.t())
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        torch.addmm(b, a, w.t())
        times.append(time.perf_counter() - started)
    return 2.0 * rows * hidden * ffn / statistics.median(times)


async def ingestion_rate(embedder: local.LocalEmbedder, texts: list[str]) -> float:
    """Passages/s in calls of EMBED_BATCH, as ingestion makes them; median of 3."""
    await embedder.embed(texts[:64])  # warm
    rates = []
    for _ in range(3):
        started = time.perf_counter()
        for start in range(0, len(texts), EMBED_BATCH):
            await embedder.embed(texts[start : start + EMBED_BATCH])
        rates.append(len(texts) / (time.perf_counter() - started))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passages", type=int, default=1500)
    parser.add_argument("--rate", type=float, default=150.0)
    add_data_argument(parser)
    args = parser.parse_args()
    texts, _ = build_sample(require(args.data, *SOURCES), args.passages)
    embedder = local.LocalEmbedder()
    model = st_model()
    config = model[0].auto_model.config
    pieces = [
        len(ids)
        for ids in model.tokenizer(texts, truncation=True, max_length=model.max_seq_length)[
            "input_ids"
        ]
    ]
    mean_pieces = statistics.mean(pieces)
    rate = asyncio.run(ingestion_rate(embedder, texts))
    per_passage = mean_pieces * flops_per_piece(config, mean_pieces)
    dtype = torch.bfloat16 if embedder.precision == "bf16" else torch.float32
    peak = matmul_rate(16 * round(mean_pieces), config.hidden_size, config.intermediate_size, dtype)
    print(f"{len(texts)} passages, {mean_pieces:.0f} word pieces each on average")
    print(
        f"model: {config.num_hidden_layers} layers, hidden {config.hidden_size},"
        f" {per_passage / 1e9:.2f} GFLOP per passage; precision {embedder.precision}"
    )
    print("| measure | value |\n|---|---|")
    print(f"| embedder, passages/s (median of 3) | {rate:.0f} |")
    print(f"| embedder, GFLOP/s | {rate * per_passage / 1e9:.0f} |")
    print(
        f"| largest matrix product alone, GFLOP/s ({torch.get_num_threads()} threads) |"
        f" {peak / 1e9:.0f} |"
    )
    print(f"| embedder / matrix product | {rate * per_passage / peak:.0%} |")
    need = args.rate * per_passage
    print(
        f"| {args.rate:.0f} passages/s would need, GFLOP/s | {need / 1e9:.0f}"
        f" ({need / peak:.0%} of the matrix product's rate) |"
    )


if __name__ == "__main__":
    main()
