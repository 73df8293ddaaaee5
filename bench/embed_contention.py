"""The local embedder with a core taken by something else, as the database takes one during an
import: one forward pass on torch's threads against the adapter's single-threaded workers.

Usage: python bench/embed_contention.py [--passages 1024] [--repeats 2] [--data ../shared/data]

On passages sampled from the official sources as ingestion embeds them (the sample of
bench/embed_throughput.py), in calls of `core.ingestion.EMBED_BATCH`, in the adapter's
precision, passages/s of:

- `threads`: each batch one forward pass on all of torch's threads (the adapter until
  2026-11-28: batches sorted by word pieces, `SentenceTransformer.encode` under autocast);
- `workers`: the adapter as checked out (batches shared among one single-threaded worker per
  core).

Each repeat times both idle, then both while a shell loop keeps one core busy (started before,
stopped after, by its own PID). Same texts, same process; quote the ratios.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch

from adapters.embedders import local
from bench.data import add_data_argument, require
from bench.embed_throughput import SOURCES, build_sample, st_model
from core.ingestion import EMBED_BATCH


def threads(texts: list[str], precision: local.Precision) -> list[list[float]]:
    """One forward pass per batch on torch's threads, as the adapter embedded until 2026-11-28."""
    model = st_model()
    ids = model.tokenizer(texts, truncation=True, max_length=model.max_seq_length)
    order = sorted(range(len(texts)), key=lambda i: len(ids["input_ids"][i]))
    vectors: list[list[float]] = [[] for _ in texts]
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
        for start in range(0, len(order), local.BATCH_SIZE):
            rows = order[start : start + local.BATCH_SIZE]
            batch = model.encode(
                [texts[i] for i in rows],
                batch_size=local.BATCH_SIZE,
                normalize_embeddings=True,
                convert_to_numpy=True,
            )
            for i, vector in zip(rows, batch, strict=True):
                vectors[i] = vector.tolist()
    return vectors


Encode = Callable[[list[str], local.Precision], list[list[float]]]


def rate(encode: Encode, texts: list[str], precision: local.Precision) -> float:
    started = time.perf_counter()
    for start in range(0, len(texts), EMBED_BATCH):
        encode(texts[start : start + EMBED_BATCH], precision)
    return len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passages", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=2)
    add_data_argument(parser)
    args = parser.parse_args()
    sample, _ = build_sample(require(args.data, *SOURCES), 1500)
    texts = sample[: args.passages]
    precision = local.LocalEmbedder().precision
    variants: dict[str, Encode] = {"threads": threads, "workers": local._encode}
    a = np.array(threads(texts, precision))
    b = np.array(local._encode(texts, precision))  # also starts the workers
    print(f"{len(texts)} passages, {precision}, {torch.get_num_threads()} torch threads;")
    print(f"vectors of the two: lowest cosine {float((a * b).sum(axis=1).min()):.6f}")
    rates: dict[tuple[str, bool], list[float]] = {}
    for _ in range(args.repeats):
        for busy in (False, True):
            spinner = subprocess.Popen(["sh", "-c", "while :; do :; done"]) if busy else None
            try:
                for name, encode in variants.items():
                    rates.setdefault((name, busy), []).append(rate(encode, texts, precision))
            finally:
                if spinner is not None:
                    spinner.kill()
                    spinner.wait()
    print("| passages/s (median) | idle | one core busy |\n|---|---|---|")
    for name in variants:
        idle, loaded = (statistics.median(rates[name, busy]) for busy in (False, True))
        print(f"| {name} | {idle:.0f} | {loaded:.0f} |")


if __name__ == "__main__":
    main()
