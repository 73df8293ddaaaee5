"""The ANSM national drug-interaction thesaurus (JSON of Oct 2020, or the CSV of Aug 2016): one
document per interacting pair, with its severity level, mechanism and conduct. A pair stated for
a drug class lists the class's substances (from the substance index), so a question about one
substance finds the interactions of its class."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from adapters.parsers import decode
from core.documents import ParsedDocument, Section, record_hash
from core.errors import UnreadableDocument
from core.ingestion import SourceFile
from core.models import DocumentMeta
from core.text import fold

PREFIX = "ansm-interactions:"
PUBLISHER = "ANSM — Thésaurus des interactions médicamenteuses"
URL = "https://ansm.sante.fr/documents/reference/thesaurus-des-interactions-medicamenteuses-1"
LEVELS = {  # as printed in the thesaurus, then how we name them
    "contre-indication": "Contre-indication",
    "association deconseillee": "Association déconseillée",
    "precaution d'emploi": "Précaution d'emploi",
    "a prendre en compte": "À prendre en compte",
}
_CSV_LEVELS = {"CI": "contre-indication", "AD": "association deconseillee",
               "PE": "precaution d'emploi", "PC": "a prendre en compte"}  # fmt: skip


def read_thesaurus(path: Path, index: Path | None = None) -> Iterator[SourceFile]:
    classes = class_members(index) if index and index.exists() else {}
    try:
        text = decode(path.read_bytes())
    except OSError as exc:
        raise UnreadableDocument(f"cannot read {path}: {exc.strerror}") from exc
    entries = _json_entries(text) if path.suffix.lower() == ".json" else _csv_entries(text)
    pairs: dict[str, dict[str, Any]] = {}
    for entry in entries:  # a pair stated twice keeps every level and mechanism it was given
        key = f"{PREFIX}{fold(entry['main'])}|{fold(entry['plus'])}"
        if key in pairs:
            pairs[key]["levels"] += entry["levels"]
            pairs[key]["mechanism"] = f"{pairs[key]['mechanism']} {entry['mechanism']}".strip()
        else:
            pairs[key] = entry
    for key, entry in pairs.items():
        yield SourceFile(key, (_document(key, entry, classes),))


def level_name(raw: str) -> str:
    return LEVELS.get(fold(raw).strip(), raw.strip())


def _json_entries(text: str) -> Iterator[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableDocument(f"the thesaurus is not valid JSON: {exc.msg}") from exc
    for item in data:
        yield {
            "main": item["main_drug"].strip(),
            "plus": item["plus_drug"].strip(),
            "members": item.get("between_main_and_plus_drug", "").strip(),
            "levels": [
                (level_name(s["level"]), s.get("info", "").strip()) for s in item["severity_levels"]
            ],
            "mechanism": " ".join(item.get("interaction_mechanism", "").split()),
        }


def _csv_entries(text: str) -> Iterator[dict[str, Any]]:
    for row in csv.DictReader(io.StringIO(text), delimiter="\t"):
        levels = [
            (level_name(_CSV_LEVELS[c]), " ".join((row.get(c) or "").split()))
            for c in _CSV_LEVELS
            if (row.get(c) or "").strip()
        ]
        if not levels:  # the level is only in the description ("Association DECONSEILLEE …")
            described = fold(row.get("description_interaction", ""))
            levels = [(name, "") for raw, name in LEVELS.items() if described.startswith(raw)]
        yield {
            "main": row["protagoniste1"].strip(),
            "plus": row["protagoniste2"].strip(),
            "members": "",
            "levels": levels,
            "mechanism": " ".join((row.get("mecanisme") or "").split()),
        }


def default_index(thesaurus: Path) -> Path:
    """The substance index published beside a thesaurus, the same release: the JSON's
    index-des-substances-DATE.json, the CSV's moleculesfamillesRELEASE.csv."""
    if thesaurus.suffix.lower() == ".json":
        return thesaurus.with_name(f"index-des-substances-{thesaurus.stem.rsplit('-', 1)[-1]}.json")
    return thesaurus.with_name(f"moleculesfamilles{thesaurus.stem.removeprefix('thesaurus')}.csv")


def class_members(index: Path) -> Mapping[str, list[str]]:
    """Substances of each drug class (accent-folded class name), from the substance index: the
    JSON (substance, drug_classes) or the TAB-separated CSV (molecule, famille; capitals)."""
    text = decode(index.read_bytes())
    try:
        if index.suffix.lower() == ".json":
            pairs = [
                (drug_class, item["substance"])
                for item in json.loads(text)
                for drug_class in item.get("drug_classes", [])
            ]
        else:
            rows = csv.DictReader(io.StringIO(text), delimiter="\t")
            pairs = [
                (row["famille"], row["molecule"].lower())
                for row in rows
                if (row["famille"] or "").strip()
            ]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UnreadableDocument(
            f"{index.name}: not a substance index (JSON substance/drug_classes, or TAB-separated"
            f" molecule/famille): {exc!r}"
        ) from exc
    members: dict[str, list[str]] = defaultdict(list)
    for drug_class, substance in pairs:
        members[fold(drug_class)].append(substance)
    return members


def _as_named(protagonist: str) -> str:
    """A side as a question names it, without its bracketed qualifiers: "BÊTA-BLOQUANTS (SAUF
    ESMOLOL) (Y COMPRIS COLLYRES)" is not about esmolol."""
    return re.sub(r"\s*\([^)]*\)", "", protagonist).strip() or protagonist


def _document(
    key: str, entry: Mapping[str, Any], classes: Mapping[str, list[str]]
) -> ParsedDocument:
    main, plus = entry["main"], entry["plus"]
    title = f"Interaction : {main} + {plus}"
    levels = entry["levels"] or [("Niveau non précisé", "")]
    severity = " ; ".join(name for name, _ in levels)
    summary = f"{main} et {plus} : {severity}."
    paragraphs = [summary]
    paragraphs += [f"{name} : {info}" for name, info in levels if info]
    if entry["mechanism"]:
        paragraphs.append(f"Mécanisme : {entry['mechanism']}")
    sides: dict[str, int] = {}  # each subject's side: 1 main, 2 plus, 3 both
    for side, protagonist in ((1, main), (2, plus)):
        substances = sorted(classes.get(fold(protagonist), []))
        if substances:  # a class: name its members so a substance finds the pair
            paragraphs.append(f"{protagonist} comprend : {', '.join(substances)}.")
        for subject in (_as_named(protagonist), *substances):
            sides[subject] = sides.get(subject, 0) | side
    if entry["members"] and not classes.get(fold(main)):
        paragraphs.append(f"{main} {entry['members']}.")
    meta = DocumentMeta(
        title=title,
        publisher=PUBLISHER,
        url=URL,
        language="fr",
        source_title="Thésaurus des interactions médicamenteuses",
        version=severity,
        subjects=tuple(sides),
        subject_sides=tuple(sides.values()),
        headline=severity,  # the sentences an answer quotes may be the classes' members only
    )
    sections = (Section((title,), tuple(paragraphs)),)
    return ParsedDocument(key, meta, sections, record_hash(meta, sections))
