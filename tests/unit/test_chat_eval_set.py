"""The chat-style evaluation set (tests/data/chat_eval): well formed, big enough, fairly split."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import Counter, defaultdict
from importlib import resources
from pathlib import Path

from adapters.sources.ansm import LEVELS
from evaluation.questions import CORPORA, STYLES, Question, files, holds, load

QUESTIONS = load()
ANSWERABLE = [q for q in QUESTIONS if q.answerable]
NEAR_MISS = [q for q in QUESTIONS if not q.answerable]
BATCHES = sorted({q.batch for q in QUESTIONS})
FIELDS = {
    "id", "split", "answerable", "style", "language", "corpus", "question", "history",
    "expected", "also", "fact", "level", "pair", "medicine", "near",
}  # fmt: skip


def test_every_row_has_the_fields_of_its_kind() -> None:
    """A maintainer adding rows gets told when one lacks what the evaluation reads."""
    for line in (line for path in files() for line in path.read_text().splitlines()):
        row = json.loads(line)
        assert set(row) <= FIELDS, row["id"]
        q = next(q for q in QUESTIONS if q.id == row["id"])
        assert (q.split, q.language) in itertools.product(("dev", "test"), ("fr", "en")), q.id
        assert (q.style, q.corpus) in itertools.product(STYLES, CORPORA), q.id
        assert q.question.strip(), q.id
        assert bool(q.history) == (q.style == "followup"), q.id
        if q.answerable:
            assert (bool(q.expected), bool(q.fact), q.near) == (True, True, ""), q.id
        else:
            assert (q.near != "", q.expected, q.fact, q.also) == (True, "", "", set()), q.id
        if q.answerable and q.corpus == "thesaurus":
            assert q.level == q.fact, q.id
            assert q.level in LEVELS.values(), q.id
            assert q.expected.startswith("ansm-interactions:"), q.id
            assert len(row["pair"]) == 2, q.id
        if q.answerable and q.corpus == "bdpm":
            assert q.expected.startswith(("bdpm:smr:", "bdpm:asmr:")), q.id
            assert row["medicine"], q.id
    assert len({q.id for q in QUESTIONS}) == len(QUESTIONS)


def test_the_set_is_as_big_and_as_french_as_the_issue_asks() -> None:
    """At least 250 answerable questions, 60 on interactions, 30 on HAS opinions, 80 near
    misses, and at least 60% of the questions in French."""
    corpora = Counter(q.corpus for q in ANSWERABLE)
    assert len(ANSWERABLE) >= 250
    assert len(NEAR_MISS) >= 80
    assert corpora["thesaurus"] >= 60
    assert corpora["bdpm"] >= 30
    assert sum(q.language == "fr" for q in QUESTIONS) >= 0.6 * len(QUESTIONS)
    assert sum(q.language == "fr" for q in ANSWERABLE) >= 0.6 * len(ANSWERABLE)


def test_every_demo_fact_is_in_its_note() -> None:
    """The fact an answer must contain is written in the note labelled as the answer, so a
    right answer can quote it."""
    folder = Path(str(resources.files("bots") / "demo_corpus" / "notes"))
    notes = {path.name: path.read_text() for path in folder.glob("*.md")}
    for q in ANSWERABLE:
        if q.corpus == "demo":
            assert q.expected in notes, q.id
            assert holds(notes[q.expected], q.fact), (q.id, q.fact)
    assert {q.expected for q in ANSWERABLE if q.corpus == "demo"} == set(notes)  # all covered


def test_facts_match_as_whole_words() -> None:
    """A dose is not matched inside a larger one, whatever the accents or spacing."""
    assert holds("la dose est de 1 mg par voie SC", "1 mg")
    assert not holds("la dose est de 11 mg", "1 mg")
    assert holds("ASSOCIATION DECONSEILLEE", "Association déconseillée")
    assert holds("entre 2\u00a0et 3", "entre 2 et 3")
    assert holds("l’INR", "l'INR")


def test_every_style_is_in_both_splits() -> None:
    """Tuning on dev and reporting on test both see every style a batch holds, answerable and
    near miss (batches 1 and 2 hold them all; batches 3 and 4 only the weak styles)."""
    for batch in BATCHES:
        for answerable in (True, False):
            kind = [q for q in QUESTIONS if q.batch == batch and q.answerable == answerable]
            styles = {s: {q.style for q in kind if q.split == s} for s in ("dev", "test")}
            assert styles["dev"] == styles["test"] == {q.style for q in kind}, (batch, answerable)
            assert batch in ("3", "4") or styles["dev"] == set(STYLES), (batch, answerable)
        splits = Counter(q.split for q in QUESTIONS if q.batch == batch)
        assert abs(splits["dev"] - splits["test"]) <= 1, batch


def test_the_split_follows_the_rule_written_in_the_readme() -> None:
    """No row was moved between dev and test by hand: each batch is split by the fixed-seed rule,
    within its own file and with its own salt, so that adding a batch moves no earlier row."""
    for batch in BATCHES:
        strata: dict[tuple[bool, str, str], list[Question]] = defaultdict(list)
        for q in QUESTIONS:
            if q.batch == batch:
                strata[q.answerable, q.style, q.corpus].append(q)
        position = 0
        for stratum in sorted(strata):
            rows = sorted(strata[stratum], key=_rank)
            for q in rows:
                assert q.split == ("dev" if position % 2 == 0 else "test"), q.id
                position += 1


def test_batch_2_is_a_fresh_demo_sample_weighted_to_the_weak_styles() -> None:
    """Batch 2 (a fresh sample written to measure generalisation) stays over the demo notes,
    with its own ids, mostly in French, and weighted to the styles weakest on batch 1."""
    two = [q for q in QUESTIONS if q.batch == "2"]
    answerable = [q for q in two if q.answerable]
    styles = Counter(q.style for q in answerable)
    assert {q.corpus for q in two} == {"demo"}
    assert all(q.id.startswith("demo2-" if q.answerable else "near2-") for q in two)
    assert len(answerable) >= 120
    assert len(two) - len(answerable) >= 55
    assert sum(q.language == "fr" for q in two) >= 0.6 * len(two)
    weak = ("brand_names", "ward_context", "followup", "abbreviations", "identifiers")
    assert min(styles[style] for style in weak) >= 15
    assert min(styles.values()) >= 8


def _rank(q: Question) -> str:
    return hashlib.sha256(f"medgpt-chat-eval-v{q.batch}:{q.id}".encode()).hexdigest()
