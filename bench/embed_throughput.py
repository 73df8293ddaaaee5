"""Throughput of the local embedder on passages exactly as ingestion embeds them, and what the
cheap ways to make it faster cost in embedding quality.

Usage: python bench/embed_throughput.py [--passages 1500] [--timed 256] [--repeats 3]
           [--queries 200] [--variants current,bf16,...] [--data ../shared/data]

Builds ~--passages passage texts from the official sources with the project's own readers
(ANSM interaction thesaurus and BDPM, every k-th document of the whole release, so the mix and
the lengths are those of a full ingestion), chunked by `chunk_document` and put in words by
`core.documents.embedding_text`. Prints their word-piece length distribution.

Then times each variant on --timed of those passages (a regular subset of the sample), in calls
of `core.ingestion.EMBED_BATCH` as ingestion makes them, --repeats times. Every repeat runs all
the variants one after the other (rotating the order), so a neighbour's load falls on all of
them alike: quote the ratios to `current`, not the absolute rates. Variants whose vectors differ
from fp32 are also checked on the whole sample: cosine to the fp32 vectors, and whether the
top-10 neighbours of --queries queries (the first sentence of sample passages) stay the same.

Variant keys for --variants: thread, threads1, batch16, batch64, batch128, onecall, toksort16,
bf16, bf16w, proposed, proposed-onecall (bf16 ones only on a CPU with avx512_bf16 or AMX),
checkout (the adapter as checked out), int8, int8pc, ort, ort-int8, ort-int8pc.

ONNX Runtime variants need `onnxruntime`, `onnx` and `onnxscript` (the torch.onnx exporter);
without them they are skipped. Everything is offline: the model is the packaged one, checked
by the adapter against its pinned sha256.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import functools
import gc
import logging
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch

from adapters.embedders import local
from adapters.sources import ansm, bdpm
from bench.data import BDPM, SUBSTANCES, THESAURUS, add_data_argument, require
from core.documents import chunk_document, embedding_text
from core.ingestion import EMBED_BATCH, SourceFile
from core.text import split_sentences

SOURCES = (THESAURUS, SUBSTANCES, BDPM)  # what build_sample reads
BASELINE_BATCH = 32  # the adapter's batch size before this study

Embed = Callable[[list[str]], np.ndarray]  # texts -> unit vectors, one row per text


# --- the sample ------------------------------------------------------------------------------


@functools.cache
def st_model() -> Any:
    """The packaged MiniLM as sentence-transformers (a dev dependency) runs it: the ways of
    running it compared here start from that. The adapter checks the weights' sha256 first."""
    from sentence_transformers import SentenceTransformer

    local._model()
    return SentenceTransformer(str(local._model_dir()), device="cpu").eval()


def _documents(files: Iterator[SourceFile]) -> list[list[str]]:
    """The passages of every document, in ingestion order, as ingestion would embed them."""
    budget = local.LocalEmbedder().chunk_budget()
    return [
        [embedding_text(doc, chunk) for chunk in chunk_document(doc, budget)]
        for file in files
        for doc in file.documents
    ]


def build_sample(data: Path, target: int) -> tuple[list[str], dict[str, int]]:
    """Every k-th document of both whole sources (ANSM first, as `medgpt ingest` runs them)."""
    sources = {
        "ansm": _documents(ansm.read_thesaurus(data / THESAURUS, data / SUBSTANCES)),
        "bdpm": _documents(bdpm.read_release(data / BDPM)),
    }
    total = sum(len(p) for docs in sources.values() for p in docs)
    step = max(1, round(total / target))
    sample: list[str] = []
    counts = {"all passages": total, "every k-th document": step}
    for name, docs in sources.items():
        taken = [text for passages in docs[::step] for text in passages]
        counts[f"{name} passages"] = len(taken)
        sample += taken
    return sample, counts


def first_sentence(passage: str) -> str:
    """The passage body (after its title line) cut to its first sentence: a query."""
    body = passage.split("\n", 1)[-1]
    sentences = split_sentences(body)
    return sentences[0] if sentences else body


def length_report(model: Any, texts: list[str], name: str) -> None:
    tokenizer = model[0].tokenizer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lengths = np.array(
            [len(ids) for ids in tokenizer(texts, truncation=False, verbose=False)["input_ids"]]
        )
    limit = model.max_seq_length
    # Padding the current setup adds: ST sorts each call by characters, then pads each batch.
    real = padded = 0
    for start in range(0, len(texts), EMBED_BATCH):
        call = texts[start : start + EMBED_BATCH]
        order = sorted(range(len(call)), key=lambda i: -len(call[i]))
        capped = np.minimum(lengths[start : start + EMBED_BATCH], limit)
        for b in range(0, len(order), BASELINE_BATCH):
            batch = capped[order[b : b + BASELINE_BATCH]]
            real += int(batch.sum())
            padded += int(batch.max()) * len(batch)
    print(
        f"{name}: {len(texts):,} passages; word pieces median {np.median(lengths):.0f},"
        f" p90 {np.percentile(lengths, 90):.0f}, max {lengths.max()};"
        f" {int((lengths > limit).sum())} ({(lengths > limit).mean():.1%}) over max_seq_length"
        f" {limit} (truncated); padding adds {padded / real - 1:.0%} tokens at batch"
        f" {BASELINE_BATCH} in calls of {EMBED_BATCH}"
    )


# --- the variants ----------------------------------------------------------------------------


def _as_lists(vectors: np.ndarray) -> np.ndarray:
    """What the adapter hands back (lists of floats), so every variant pays that cost too."""
    return np.asarray([[float(x) for x in v] for v in vectors], dtype=np.float32)


def st_embed(model: Any, batch_size: int = BASELINE_BATCH) -> Embed:
    def embed(texts: list[str]) -> np.ndarray:
        vectors = model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return _as_lists(vectors)

    return embed


def current_embed(texts: list[str]) -> np.ndarray:
    """adapters/embedders/local.py as of this study (batch 32, fp32), in the calling thread:
    written out here so that it stays the baseline when the adapter changes."""
    vectors = st_model().encode(
        texts, batch_size=BASELINE_BATCH, normalize_embeddings=True, convert_to_numpy=True
    )
    return _as_lists(vectors)


def worker_thread_embed() -> Embed:
    """The baseline in a worker thread (asyncio.to_thread, one event loop), as the adapter's
    LocalEmbedder.embed runs it during ingestion."""
    loop = asyncio.new_event_loop()

    def embed(texts: list[str]) -> np.ndarray:
        return loop.run_until_complete(asyncio.to_thread(current_embed, texts))

    return embed


def checkout_embed() -> Embed:
    """adapters/embedders/local.py as checked out, through LocalEmbedder.embed."""
    loop = asyncio.new_event_loop()
    embedder = local.LocalEmbedder()

    def embed(texts: list[str]) -> np.ndarray:
        return np.asarray(loop.run_until_complete(embedder.embed(texts)), dtype=np.float32)

    return embed


def threads_embed(threads: int) -> Embed:
    def embed(texts: list[str]) -> np.ndarray:
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            return current_embed(texts)
        finally:
            torch.set_num_threads(before)

    return embed


def bf16_embed(model: Any) -> Embed:
    inner = st_embed(model)

    def embed(texts: list[str]) -> np.ndarray:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return inner(texts)

    return embed


def proposed_embed(model: Any, batch_size: int = 16, bf16: bool = True) -> Embed:
    """Batches of texts of about the same number of word pieces (not characters, as
    sentence-transformers sorts), so little padding; bf16 matrix products where the CPU has them."""
    tokenizer = model[0].tokenizer

    def embed(texts: list[str]) -> np.ndarray:
        ids = tokenizer(texts, truncation=True, max_length=model.max_seq_length)["input_ids"]
        order = np.argsort([len(i) for i in ids], kind="stable")
        out = np.empty((len(texts), local.DIMENSION), dtype=np.float32)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            for start in range(0, len(texts), batch_size):
                rows = order[start : start + batch_size]
                out[rows] = model.encode(
                    [texts[i] for i in rows],
                    batch_size=batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                )
        return _as_lists(out)

    return embed


def bf16_weights(model: Any) -> Any:
    return copy.deepcopy(model).to(torch.bfloat16)


def torch_int8(model: Any, per_channel: bool) -> Any:
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    spec: Any = {torch.nn.Linear: per_channel_dynamic_qconfig} if per_channel else {torch.nn.Linear}
    with warnings.catch_warnings():  # torch.ao.quantization is deprecated in favour of torchao
        warnings.simplefilter("ignore")
        return quantize_dynamic(copy.deepcopy(model), spec, dtype=torch.qint8)


def onnx_models(model: Any, folder: Path) -> dict[str, Path]:
    """The packaged weights exported with torch.onnx (dynamo), and int8 dynamic quantizations."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    class Encoder(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    features = model.preprocess(["a first example sentence", "and a second, longer one here"])
    args = tuple(features[k] for k in ("input_ids", "attention_mask", "token_type_ids"))
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("seq", max=model.max_seq_length)
    dims = {0: batch, 1: seq}
    exported = folder / "exported.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Encoder(model[0].auto_model).eval(),
            args,
            str(exported),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_shapes={"input_ids": dims, "attention_mask": dims, "token_type_ids": dims},
            dynamo=True,
            verbose=False,
        )
    paths = {"fp32": folder / "fp32.onnx"}
    onnx.save(onnx.load(str(exported)), str(paths["fp32"]))  # one self-contained file
    logging.getLogger().setLevel(logging.ERROR)  # "consider pre-processing" advice
    for name, per_channel in (("int8", False), ("int8-per-channel", True)):
        paths[name] = folder / f"{name}.onnx"
        quantize_dynamic(
            paths["fp32"], paths[name], weight_type=QuantType.QInt8, per_channel=per_channel
        )
    return paths


def ort_embed(model: Any, path: Path, batch_size: int = BASELINE_BATCH) -> Embed:
    """ONNX Runtime in place of torch; tokenization, sorting, pooling as sentence-transformers."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def embed(texts: list[str]) -> np.ndarray:
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), local.DIMENSION), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            features = model.preprocess([texts[i] for i in rows])
            feed = {
                k: features[k].numpy() for k in ("input_ids", "attention_mask", "token_type_ids")
            }
            hidden = session.run(None, feed)[0]
            mask = feed["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            out[rows] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return _as_lists(out)

    return embed


@dataclass
class Variant:
    name: str
    embed: Embed
    changes_vectors: bool  # quality checked on the whole sample (others: cosine on timed only)
    one_call: bool = False  # the timed passages in one call instead of calls of EMBED_BATCH
    seconds: list[float] = field(default_factory=list)
    vectors: np.ndarray | None = None  # of the timed passages, first repeat


def has_bf16() -> bool:
    """bf16 matrix products in hardware (avx512_bf16 or AMX); elsewhere bf16 is emulated, slow."""
    cpuinfo = Path("/proc/cpuinfo")
    flags = cpuinfo.read_text() if cpuinfo.exists() else ""
    return "avx512_bf16" in flags or "amx_bf16" in flags


def variants(model: Any, wanted: set[str] | None, folder: Path) -> list[Variant]:
    """(key, label, factory, changes vectors); `current` first, always."""
    specs: list[tuple[str, str, Callable[[], Embed], bool]] = [
        ("current", "current (fp32, 2 threads, batch 32)", lambda: current_embed, False),
        ("thread", "current in a worker thread (asyncio.to_thread)", worker_thread_embed, False),
        ("threads1", "torch threads 1", lambda: threads_embed(1), False),
    ]
    specs += [
        (f"batch{b}", f"batch {b}", lambda b=b: st_embed(model, b), False) for b in (16, 64, 128)
    ]
    specs += [
        (
            "onecall",
            "batch 32, all {n} in one call (sorted across calls)",
            lambda: st_embed(model),
            False,
        ),
        (
            "toksort16",
            "word-piece sort, batch 16",
            lambda: proposed_embed(model, bf16=False),
            False,
        ),
    ]
    if has_bf16():
        specs += [
            ("bf16", "bf16 autocast", lambda: bf16_embed(model), False),
            (
                "bf16w",
                "bf16 weights (model.to(bfloat16))",
                lambda: st_embed(bf16_weights(model)),
                False,
            ),
            (
                "proposed",
                "bf16 autocast + word-piece sort, batch 16",
                lambda: proposed_embed(model),
                True,
            ),
            (
                "proposed-onecall",
                "bf16 autocast + word-piece sort, batch 16, all {n} in one call",
                lambda: proposed_embed(model),
                False,
            ),
        ]
    else:
        print("bf16 variants skipped: the CPU has neither avx512_bf16 nor amx_bf16")
    specs += [
        (
            "checkout",
            "adapters/embedders/local.py as checked out ({precision})",
            checkout_embed,
            False,
        ),
        (
            "int8",
            "torch int8 dynamic (per-tensor)",
            lambda: st_embed(torch_int8(model, False)),
            True,
        ),
        (
            "int8pc",
            "torch int8 dynamic (per-channel)",
            lambda: st_embed(torch_int8(model, True)),
            True,
        ),
    ]
    ort_keys = ("ort", "ort-int8", "ort-int8pc")
    try:
        paths = (
            onnx_models(model, folder)
            if any(wanted is None or k in wanted for k in ort_keys)
            else {}
        )
    except ImportError as exc:
        print(f"ONNX Runtime variants skipped: {exc}")
        paths = {}
    if paths:
        specs += [
            ("ort", "ONNX Runtime fp32", lambda: ort_embed(model, paths["fp32"]), False),
            (
                "ort-int8",
                "ONNX Runtime int8 dynamic (per-tensor)",
                lambda: ort_embed(model, paths["int8"]),
                True,
            ),
            (
                "ort-int8pc",
                "ONNX Runtime int8 dynamic (per-channel)",
                lambda: ort_embed(model, paths["int8-per-channel"]),
                True,
            ),
        ]
    return [
        Variant(label, make(), changes, one_call=key.endswith("onecall"))
        for key, label, make, changes in specs
        if key == "current" or wanted is None or key in wanted
    ]


# --- measuring -------------------------------------------------------------------------------


def calls(texts: list[str], one_call: bool) -> list[list[str]]:
    if one_call:
        return [texts]
    return [texts[i : i + EMBED_BATCH] for i in range(0, len(texts), EMBED_BATCH)]


def timed(variant: Variant, texts: list[str]) -> np.ndarray:
    gc.collect()
    started = time.perf_counter()
    out = [variant.embed(call) for call in calls(texts, variant.one_call)]
    variant.seconds.append(time.perf_counter() - started)
    return np.concatenate(out)


@contextmanager
def stopwatch(label: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    print(f"{label}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)


def top10(corpus: np.ndarray, queries: np.ndarray) -> np.ndarray:
    return np.argsort(-(queries @ corpus.T), axis=1)[:, :10]


def quality(
    corpus: np.ndarray,
    asked: np.ndarray,
    sources: np.ndarray,
    reference: tuple[np.ndarray, np.ndarray],
) -> tuple[str, ...]:
    """Cosine to the fp32 vectors; top-10 overlap with fp32's; is the query's passage found."""
    cosine = (corpus * reference[0]).sum(axis=1)
    ours, theirs = top10(corpus, asked), top10(*reference)
    recall = np.array([len(set(a) & set(b)) / 10 for a, b in zip(ours, theirs, strict=True)])
    found = (ours == sources[:, None]).any(axis=1).mean()
    return (
        f"{cosine.mean():.5f}",
        f"{cosine.min():.5f}",
        f"{recall.mean():.3f}",
        f"{recall.min():.1f}",
        f"{(recall == 1).mean():.0%}",
        f"{(ours[:, 0] == theirs[:, 0]).mean():.0%}",
        f"{found:.0%}",
    )


def embed_all(embed: Embed, texts: list[str]) -> np.ndarray:
    return np.concatenate([embed(c) for c in calls(texts, False)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=1500, help="sample size, about")
    parser.add_argument("--timed", type=int, default=256, help="passages timed per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--variants", help="comma-separated keys (current is always run)")
    add_data_argument(parser)
    args = parser.parse_args()
    wanted = set(args.variants.split(",")) if args.variants else None

    sample, counts = build_sample(require(args.data, *SOURCES), args.passages)
    print("sample: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    timed_texts = sample[:: max(1, len(sample) // args.timed)][: args.timed]
    model = st_model()
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads"
        f" (os.cpu_count {os.cpu_count()}), CPU capability"
        f" {torch.backends.cpu.get_cpu_capability()}"
    )
    length_report(model, sample, "sample")
    length_report(model, timed_texts, "timed subset")

    with tempfile.TemporaryDirectory(prefix="embed-bench-") as folder, stopwatch("setup"):
        chosen = variants(model, wanted, Path(folder))
        for variant in chosen:  # warm-up: first call allocations, oneDNN kernels, ORT arenas
            variant.embed(timed_texts[:16])
    reference_timed = current_embed(timed_texts)

    # Tokenization alone, as the current setup does it, to see what the model leaves over.
    token_seconds: list[float] = []
    for r in range(args.repeats):
        with stopwatch(f"repeat {r + 1}"):
            shift = r % len(chosen)
            for variant in chosen[shift:] + chosen[:shift]:
                vectors = timed(variant, timed_texts)
                if variant.vectors is None:
                    variant.vectors = vectors
            started = time.perf_counter()
            for call in calls(timed_texts, False):
                order = sorted(call, key=len, reverse=True)
                for b in range(0, len(order), BASELINE_BATCH):
                    model.preprocess(order[b : b + BASELINE_BATCH])
            token_seconds.append(time.perf_counter() - started)

    base = chosen[0].seconds
    precision = getattr(local.LocalEmbedder(), "precision", "fp32")
    n = len(timed_texts)
    print(f"\n### Throughput: {n} passages in calls of {EMBED_BATCH}, median of {args.repeats}\n")
    print(
        "| variant | passages/s (median) | range | ratio to current | cosine vs fp32 (mean / min) |"
    )
    print("|---|---|---|---|---|")
    for variant in chosen:
        rates = [n / s for s in variant.seconds]
        ratio = statistics.median(b / s for b, s in zip(base, variant.seconds, strict=True))
        assert variant.vectors is not None
        cosine = (variant.vectors * reference_timed).sum(axis=1)
        print(
            f"| {variant.name.format(n=n, precision=precision)} | {statistics.median(rates):.1f}"
            f" | {min(rates):.0f}–{max(rates):.0f} | {ratio:.2f}×"
            f" | {cosine.mean():.5f} / {cosine.min():.5f} |"
        )
    share = statistics.median(t / s for t, s in zip(token_seconds, base, strict=True))
    print(f"\nTokenization alone (sorted, batches of {BASELINE_BATCH}): {share:.1%} of current.")

    changed = [v for v in chosen if v.changes_vectors]
    if not changed:
        return
    picked = np.linspace(0, len(sample) - 1, args.queries).astype(int)
    queries = [first_sentence(sample[i]) for i in picked]
    with stopwatch("fp32 reference on the sample"):
        reference = (embed_all(current_embed, sample), current_embed(queries))
    rows = [("fp32 (current)", *quality(*reference, picked, reference))]
    for variant in changed:
        with stopwatch(f"quality {variant.name}"):
            vectors = (embed_all(variant.embed, sample), variant.embed(queries))
            rows.append((variant.name, *quality(*vectors, picked, reference)))
    print(
        f"\n### Quality on the whole sample ({len(sample):,} passages) and {len(queries)} queries"
        " (first sentence of a sample passage)\n"
    )
    print(
        "| variant | cosine mean | cosine min | recall@10 vs fp32 top-10 | worst query"
        " | queries with identical top-10 set | same top-1 | own passage in top-10 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
