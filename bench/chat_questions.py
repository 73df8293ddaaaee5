"""Answer rate on the demo corpus, end to end: labelled demo questions and chat-style ones.

Usage: python bench/chat_questions.py [QUESTIONS.jsonl ...]
(default: tests/data/demo_questions.jsonl and the six chat-style questions of issue 24)
Runs the whole pipeline with the defaults on the embedded default, in a throw-away data
directory (the demo corpus is indexed first). Counts, per file: in-domain questions answered
citing the expected note, answered without it, abstained; out-of-domain ones answered or not.
Only public entry points are used, so the same file measures an older checkout (copy it there).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))

from bench.database import throwaway_data_dir
from bots.settings import load_settings
from bots.wiring import build_app, ensure_demo_corpus
from core.models import ConversationId, IncomingMessage, Outcome, Platform, UserId

DEMO = Path("tests/data/demo_questions.jsonl")
# The table (issue 24): how a nurse or a resident writes, and the note that answers.
CHAT = [
    ("patient sous Previscan, l'INR cible c'est combien ?", "fr-avk-inr-cibles.md"),
    ("Doliprane chez l'adulte, max par jour ?", "fr-paracetamol-posologie.md"),
    (
        "en garde cette nuit : hypoglycémie sévère chez un diabétique inconscient, glucagon "
        "combien ?",
        "fr-hypoglycemie-insuline.md",
    ),
    (
        "insuffisant rénal stade 3, je peux garder la metformine ?",
        "fr-metformine-fonction-renale.md",
    ),
    ("pt on Coumadin for AF, what INR range do we aim for?", "fr-avk-inr-cibles.md"),
    (
        "dame de 80 ans sous Kardégic, elle peut prendre de l'Advil pour son genou ?",
        "fr-ains-contre-indications.md",
    ),
]


def titles() -> dict[str, str]:
    """Each demo note's title, by file name."""
    found = {}
    for path in Path("bots/demo_corpus/notes").glob("*.md"):
        line = next(x for x in path.read_text().splitlines() if x.startswith("title:"))
        found[path.name] = line.split(":", 1)[1].strip().strip('"')
    return found


async def run(sets: dict[str, list[tuple[str, str | None]]]) -> None:
    settings = load_settings()
    named = titles()
    async with build_app(settings) as app:
        await ensure_demo_corpus(app)
        for name, questions in sets.items():
            counts: Counter[str] = Counter()
            for question, expected in questions:
                message = IncomingMessage(
                    question, Platform.CONSOLE, ConversationId("bench"), UserId("bench")
                )
                reply = await app.pipeline.answer(message)
                answered = reply.outcome is Outcome.ANSWERED
                if expected is None:
                    counts["out-of-domain answered" if answered else "out-of-domain abstained"] += 1
                    if answered:
                        print(f"- answered although out of scope: {question!r}")
                    continue
                cited = {s.title for s in reply.sources}
                key = (
                    "abstained"
                    if not answered
                    else (
                        "answered citing the note"
                        if named[expected] in cited
                        else "answered without it"
                    )
                )
                counts[key] += 1
                if key != "answered citing the note" and name != "chat":
                    print(f"- {key}: {question!r}")
                if name == "chat":
                    print(f"- {question!r}: {key}; {reply.text[:160]!r} {reply.notices[1:]}")
            print(f"{name}: {dict(sorted(counts.items()))}")


def main() -> None:
    files = [Path(p) for p in sys.argv[1:]] or [DEMO]
    sets: dict[str, list[tuple[str, str | None]]] = {}
    for path in files:
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        sets[path.stem] = [(r["question"], r.get("expected")) for r in rows]
    if not sys.argv[1:]:
        sets["chat"] = [(q, e) for q, e in CHAT]
    with throwaway_data_dir("medgpt-chat-"):
        asyncio.run(run(sets))


if __name__ == "__main__":
    main()
