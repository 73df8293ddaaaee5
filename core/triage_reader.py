"""A second reader of emergencies, for the phrasings the word lists of core/triage_words.py have
not seen (pure: no model runtime, no third-party import).

A linear model (multinomial logistic regression) over hashed features of the message, folded
(lower case, accents and ligatures removed, chat spellings rewritten as the word lists read
them), scoped (figures of speech and clauses about things left out) and affirmed (what a denial
governs, and what is said to be fine, left out): character n-grams of 3 to 5 letters within
words, and words alone and in pairs; and of the cues the word lists found in it ("x:…",
core.triage.cues: kinds seen as events, conditions or signs, denied or past, "now"). It gives
a probability to "none" and to each kind of emergency; the message is an emergency when
"none" has less than 1 - threshold, and its kind is the likeliest of the kinds. The weights
are learnt from the dev split of tests/data/triage.jsonl by scripts/train_triage.py, which
writes them, its command, the data's commit and the threshold it chose by cross-validation
into core/lexicon/triage_reader.tsv; here they are only read and summed.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

from core import triage_words as words
from core.text import fold

NONE = "none"  # the class of a message that describes no emergency
FILE = "triage_reader.tsv"
CHAR_SIZES = (3, 4, 5)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*|[?!]")


def folded(text: str) -> str:
    """The message as the readers see it: folded, one space between words, chat spellings
    rewritten ("jvais" reads "je vais", "il respire pas" reads "il ne respire pas")."""
    text = fold(" ".join(text.split())).replace("’", "'").replace("`", "'")
    text = text.replace("œ", "oe").replace("æ", "ae")  # ligatures NFKD leaves whole
    for pattern, replacement in words.CHAT_SPELLINGS:
        text = pattern.sub(replacement, text)
    return text


def scoped(folded_text: str) -> str:
    """A folded message without what describes no one: its figures of speech ("on crève de
    chaud", "bleeding us dry"), its hypotheticals ("if he has a stroke"), the clauses whose
    subject is a thing ("le wifi est mort"); nothing of a message about a simulation ("the
    dummy went into VF", "osce station: a man collapses"), unless it says a real patient."""
    if words.SIMULATION.search(folded_text) and not words.REAL.search(folded_text):
        return ""  # an exercise on a manikin, an exam station: no one is in danger
    parts = _SCOPE_CLAUSE.split(words.HYPOTHETICAL.sub(" ", words.FIGURATIVE.sub(" ", folded_text)))
    kept = [
        part
        for i, part in enumerate(parts)
        if i % 2 or not words.THING_SUBJECT.search(part.strip())  # odd: the separators
    ]
    return " ".join("".join(kept).split())


def affirmed(scoped_text: str) -> str:
    """A scoped message without what it denies ("pas de gonflement", "no wheeze") or says is
    fine ("breathing fine"): the second reader reads what is affirmed; the word lists weigh
    denials themselves and tell the reader in their cues."""
    return words.REASSURED_SPAN.sub(" ", words.DENIED_SPAN.sub(" ", scoped_text))


_SCOPE_CLAUSE = re.compile(r"([.;:!?,\n]+|\s[-—–]\s|\bmais\b|\bbut\b|\bet\b|\band\b)")


def grams(folded_text: str) -> set[str]:
    """The message's features, before hashing: "c:" character n-grams of each word padded with
    spaces, "w:" words, "b:" pairs of words."""
    tokens = _WORD.findall(folded_text)
    found: set[str] = set()
    for token in tokens:
        padded = f" {token} "
        for size in CHAR_SIZES:
            found.update(f"c:{padded[i : i + size]}" for i in range(len(padded) - size + 1))
        found.add(f"w:{token}")
    found.update(f"b:{a} {b}" for a, b in itertools.pairwise(tokens))
    return found


def features(text: str, buckets: int, cues: Iterable[str] = ()) -> dict[int, float]:
    """The hashed, L2-normalised feature vector of a raw message and of the cues the word lists
    found in it ("x:…", core.triage.cues): each feature present counts once; two features that
    hash alike add up."""
    vector: dict[int, float] = {}
    for gram in grams(affirmed(scoped(folded(text)))) | set(cues):
        bucket = zlib.crc32(gram.encode()) % buckets
        vector[bucket] = vector.get(bucket, 0.0) + 1.0
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {bucket: value / norm for bucket, value in vector.items()}


@dataclass(frozen=True, slots=True)
class Reading:
    """What the reader makes of a message: its likeliest kind, and how likely an emergency."""

    kind: str  # the likeliest kind of emergency (never NONE)
    emergency: float  # 1 - P(none)
    alarm: bool  # emergency >= the threshold


@dataclass(frozen=True, slots=True)
class Reader:
    classes: tuple[str, ...]  # NONE and the kinds, in the order of the weights
    intercepts: tuple[float, ...]
    weights: Mapping[int, Sequence[float]]  # bucket -> one weight per class
    buckets: int
    threshold: float

    def probabilities(self, text: str, cues: Iterable[str] = ()) -> dict[str, float]:
        scores = list(self.intercepts)
        for bucket, value in features(text, self.buckets, cues).items():
            row = self.weights.get(bucket)
            if row is not None:
                for i, weight in enumerate(row):
                    scores[i] += weight * value
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return {name: e / total for name, e in zip(self.classes, exps, strict=True)}

    def read(self, text: str, cues: Iterable[str] = ()) -> Reading:
        probabilities = self.probabilities(text, cues)
        emergency = 1.0 - probabilities[NONE]
        kind = max((k for k in self.classes if k != NONE), key=probabilities.__getitem__)
        return Reading(kind, emergency, emergency >= self.threshold)


def parse(text: str) -> Reader:
    """A reader from the file scripts/train_triage.py writes: '#' comments, then `key<TAB>value`
    lines (classes, intercepts, buckets, threshold), then `bucket<TAB>weights` rows."""
    settings: dict[str, str] = {}
    weights: dict[int, tuple[float, ...]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, value = line.split("\t", 1)
        if key.isdigit():
            weights[int(key)] = tuple(float(w) for w in value.split())
        else:
            settings[key] = value
    classes = tuple(settings["classes"].split())
    intercepts = tuple(float(w) for w in settings["intercepts"].split())
    if classes[0] != NONE or len(intercepts) != len(classes):
        raise ValueError(f"{FILE}: classes must start with {NONE!r}, one intercept each")
    if any(len(row) != len(classes) for row in weights.values()):
        raise ValueError(f"{FILE}: every row needs one weight per class")
    return Reader(
        classes, intercepts, weights, int(settings["buckets"]), float(settings["threshold"])
    )


@functools.cache
def default_reader() -> Reader:
    """The reader shipped in core/lexicon (package data: a missing file is an error)."""
    return parse((resources.files("core.lexicon") / FILE).read_text(encoding="utf-8"))
