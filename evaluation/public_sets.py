"""The question sets `medgpt eval` builds from public data: PubMedQA's abstracts, the ANSM
thesaurus's pairs ('Peut-on associer X et Y ?') and the BDPM's SMR opinions, each question with
the document that answers it; with --abstention, as many that the index cannot answer."""

from __future__ import annotations

import itertools
import json
import random
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from adapters.sources import ansm, bdpm
from core.documents import CHUNKER_VERSION, ParsedDocument, Section
from core.ingestion import SourceFile
from core.models import DocumentMeta, Language
from core.text import fold, keywords

BDPM_QUESTIONS = 400  # default --limit of `eval bdpm`
BDPM_DISTRACTORS = 2  # medicines indexed at random for each medicine asked about
UNANSWERABLE = 400  # --abstention: at most this many questions the index cannot answer
NAMED, PLAIN = "indication named", "medicine only"  # the two forms of BDPM questions
INTERACTION = "interaction"  # `eval official`: the thesaurus's questions, beside the BDPM's
INTERACTIONS_NOTE = (
    "One question per statement of a pair; the thesaurus states most pairs twice, once under"
    " each drug, and either statement counts as the answer."
)


@dataclass(frozen=True, slots=True)
class Case:
    question: str
    gold: str  # source key of the document that answers it
    language: Language
    expected_level: str | None = None  # interactions: the severity the answer must carry
    also: frozenset[str] = frozenset()  # other documents that answer it just as well
    kind: str = ""  # the report breaks the figures down by kind when there are several


def interaction_cases(
    records: Sequence[SourceFile], members: Mapping[str, list[str]]
) -> list[Case]:
    """'Peut-on associer X et Y ?' for each pair, a substance of a class where a side is one."""
    # The thesaurus states most pairs twice, once under each drug: either answers the question.
    stated: dict[frozenset[str], set[str]] = defaultdict(set)
    for record in records:
        stated[frozenset(map(fold, sides(record)))].add(record.path)
    rng = random.Random(7)  # the same queries every run
    cases = []
    for record in records:
        [doc] = record.documents
        main, plus = sides(record)
        first = rng.choice(members.get(fold(main), [main.lower()]))
        second = rng.choice(members.get(fold(plus), [plus.lower()]))
        level = (doc.meta.version or "").split(" ; ")[0]
        mirror = frozenset(stated[frozenset((fold(main), fold(plus)))] - {record.path})
        question = f"Peut-on associer {first} et {second} ?"
        cases.append(Case(question, record.path, "fr", level, also=mirror))
    return cases


def unlisted_pairs(
    records: Sequence[SourceFile], members: Mapping[str, list[str]], count: int
) -> list[Case]:
    """'Peut-on associer X et Y ?' for two substances that the indexed pairs name, each in some
    pair (directly or through a class), but never together: the index does not answer it."""
    pairs = [
        tuple({fold(s) for s in members.get(fold(side), [side])} for side in sides(record))
        for record in records
    ]
    named = sorted(set().union(*(side for pair in pairs for side in pair)))
    rng = random.Random(13)  # the same questions every run
    cases: dict[tuple[str, str], Case] = {}
    for _ in range(100 * count):
        if len(cases) == min(count, UNANSWERABLE):
            break
        first, second = rng.sample(named, 2)
        if (first, second) in cases or any(
            (first in a and second in b) or (first in b and second in a) for a, b in pairs
        ):
            continue
        cases[first, second] = Case(f"Peut-on associer {first} et {second} ?", "", "fr")
    return list(cases.values())


def sides(record: SourceFile) -> tuple[str, str]:
    """The two sides of a thesaurus pair, as its title names them. A side may hold " + "
    ("GRAZOPREVIR + ELBASVIR"): the record's key (the folded sides, "|" between) says where
    they part."""
    parts = record.documents[0].meta.title.removeprefix("Interaction : ").split(" + ")
    main = record.path.removeprefix(ansm.PREFIX).split("|", 1)[0]
    cut = next((i for i in range(1, len(parts)) if fold(" + ".join(parts[:i])) == main), 1)
    return " + ".join(parts[:cut]), " + ".join(parts[cut:])


@dataclass(frozen=True, slots=True)
class BdpmSets:
    documents: list[SourceFile]  # the medicines indexed, each with all its documents
    cases: list[Case]  # questions the index answers
    unanswerable: list[Case]  # --abstention: questions on medicines the index lacks
    index: str  # what the report says of the index


def bdpm_sets(records: Sequence[SourceFile], count: int, abstention: bool, whole: bool) -> BdpmSets:
    """The index and the questions of `eval bdpm`: the medicines asked about and BDPM_DISTRACTORS
    times as many drawn at random, or (`whole`) the whole release. With `abstention`, questions
    on medicines whose brand (the name's first word) the index lacks altogether: their SMR
    cannot be answered, though every opinion shares the question's other words, and many share
    its indication."""
    cases, asked = _smr_cases(records, count)
    absent_cases: list[Case] = []
    if whole:
        # Brands other than those asked about are held out, each with every medicine it names.
        held_out: set[str] = set()
        if abstention:
            brands = {brand(record) for record in records if record.path in asked}
            others = [record for record in records if brand(record) not in brands]
            absent_cases, absent_paths = _smr_cases(others, min(len(cases), UNANSWERABLE))
            held_out = {brand(record) for record in others if record.path in absent_paths}
        documents = [record for record in records if brand(record) not in held_out]
        index = (
            f"Index: the whole release, {len(documents)} medicines, each with all its documents"
            f" (sheet, SMR and ASMR opinions), but the {len(held_out)} brands held out for the"
            " questions it cannot answer."
        )
    else:
        others = [record for record in records if record.path not in asked]
        rng = random.Random(11)  # the same distractors every run
        distractors = rng.sample(others, min(len(others), BDPM_DISTRACTORS * len(asked)))
        documents = [record for record in records if record.path in asked] + distractors
        if abstention:
            brands = {brand(record) for record in documents}
            indexed = {record.path for record in documents}
            absent = [r for r in records if r.path not in indexed and brand(r) not in brands]
            absent_cases, _ = _smr_cases(absent, min(len(cases), UNANSWERABLE))
        index = (
            f"Index: the {len(asked)} medicines asked about and {len(distractors)} others drawn"
            " at random, each with all its documents (sheet, SMR and ASMR opinions)."
        )
    unanswerable = [replace(case, gold="", also=frozenset()) for case in absent_cases]
    return BdpmSets(documents, cases, unanswerable, index)


def brand(record: SourceFile) -> str:
    """A medicine's brand: the first word of its name (folded)."""
    return fold(bdpm.short_name(record.documents[0].meta.title)).split()[0]


def pubmedqa_sets(path: Path, limit: int | None) -> tuple[list[SourceFile], list[Case]]:
    """PubMedQA's labelled records (the first `limit`): each abstract a document, its question a
    case."""
    data = json.loads(path.read_text())
    items = list(itertools.islice(data.items(), limit))
    documents = [SourceFile(f"pubmedqa:{pmid}", (_abstract(pmid, item),)) for pmid, item in items]
    cases = [Case(item["QUESTION"], f"pubmedqa:{pmid}", "en") for pmid, item in items]
    return documents, cases


def _abstract(pmid: str, item: dict[str, Any]) -> ParsedDocument:
    # The question is not part of the document: the title would give the answer away.
    sections = (Section((f"PMID {pmid}",), tuple(item["CONTEXTS"])),)
    meta = DocumentMeta(title=f"PMID {pmid}", publisher="PubMed", language="en",
                        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/")  # fmt: skip
    return ParsedDocument(f"pubmedqa:{pmid}", meta, sections, f"{pmid}:{CHUNKER_VERSION}")


# "… est important dans le traitement de X" / "… par X dans le traitement de Y est important".
_LEVEL = r"(?:est|reste|restent|sont|demeure)\s+(?:très\s+)?(?:important|modéré|faible|insuffisant)"
_INDICATION_AFTER = re.compile(
    _LEVEL + r"e?s?\b,?\s*(?:uniquement\s+|seulement\s+)?(?P<indication>(?:dans|chez)\s.*)",
    re.IGNORECASE,
)
_INDICATION_BEFORE = re.compile(
    r"rendu par .{0,120}?\s(?P<indication>dans (?:le|la|les|l['’]).*?)\s(?:est|reste)\s",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"\s*(?:[;:(«»]|\.\s|\.$|\s-\s)")
# "dans l'indication de l'AMM", "chez les patients en échec", "dans les indications du
# princeps", "pour une prise en charge par la solidarité nationale": nothing to ask about.
_VAGUE = keywords(
    "indication indications AMM princeps spécialité spécialités remboursables population"
    " recommandée ensemble extension identiques celles périmètre suivantes suivants autres"
    " actuellement savoir chacune cas situations citées ci-dessus posologie respect strict"
    " attente réévaluation patients échec prise charge solidarité nationale comme"
)


def _smr_cases(records: Sequence[SourceFile], count: int) -> tuple[list[Case], set[str]]:
    """Questions on the SMR of `count` medicines (one per name), and the records they are about.

    Half name an indication quoted from the opinion when one is stated there ("Quel est le
    service médical rendu par X dans le traitement de Y ?"), the others only the medicine."""
    opinions: dict[str, list[tuple[str, str, str]]] = defaultdict(list)  # (record, key, text)
    indications: dict[str, list[tuple[str, str, str]]] = defaultdict(list)  # (…, indication)
    for record in records:
        medicine, *others = record.documents
        name = bdpm.short_name(medicine.meta.title)
        for doc in others:
            if not doc.source_key.startswith(f"{bdpm.PREFIX}smr:"):
                continue
            paragraphs = [p for section in doc.sections for p in section.paragraphs]
            text = fold(bdpm.ASIDE.sub("", " ".join(paragraphs)))  # as the indications are cut
            opinions[name].append((record.path, doc.source_key, text))
            for indication in filter(None, map(_indication, paragraphs)):
                indications[name].append((record.path, doc.source_key, indication))
    rng = random.Random(7)  # the same questions every run
    named = rng.sample(sorted(indications), min(len(indications), count // 2))
    plain = sorted(set(opinions) - set(named))
    plain = rng.sample(plain, min(len(plain), count - len(named)))
    cases, asked = [], set()
    for name in named:
        path, key, indication = rng.choice(indications[name])
        question = f"Quel est le service médical rendu par {name} {indication} ?"
        same = {k for _, k, text in opinions[name] if fold(indication) in text}
        cases.append(Case(question, key, "fr", also=frozenset(same - {key}), kind=NAMED))
        asked.add(path)
    for name in plain:
        path, key, _ = rng.choice(opinions[name])
        of = "d'" if fold(name[0]) in "aeiouy" else "de "
        question = rng.choice(
            (f"Quel est le SMR {of}{name} ?", f"Quel est le service médical rendu par {name} ?")
        )
        same = {k for _, k, _ in opinions[name]}
        cases.append(Case(question, key, "fr", also=frozenset(same - {key}), kind=PLAIN))
        asked.add(path)
    return cases, asked


def _indication(paragraph: str) -> str | None:
    """The indication an SMR opinion rates, as a clause of at most 20 words, if it names one."""
    found = _INDICATION_AFTER.search(paragraph) or _INDICATION_BEFORE.search(paragraph)
    if not found:
        return None
    clause = bdpm.ASIDE.sub("", found["indication"])
    end = _CLAUSE_END.search(clause)
    if end and end.group().strip() == ":":
        return None  # what follows the colon is part of it ("… et présentant :")
    indication = clause[: end.start() if end else None].strip().rstrip(".,")
    said = indication.split()
    if len(keywords(indication) - _VAGUE) < 2 or said[1] in ("ces", "cette"):
        return None  # vague, or refers to what the opinion said before
    if len(said) > 20 or not keywords(said[-1]) - _VAGUE:
        return None  # too long, or cut short ("pour le", "de S. aureus", "définie comme")
    return indication
