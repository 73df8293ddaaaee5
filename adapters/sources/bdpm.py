"""The French public drug database (BDPM) as published: TAB separated, no header, UTF-8 or
Latin-1, CRLF. One document per medicine (CIS) and one per HAS opinion (SMR, ASMR)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from adapters.parsers import decode
from core.documents import ParsedDocument, Section, record_hash
from core.errors import UnreadableDocument
from core.ingestion import SourceFile
from core.models import DocumentMeta

PREFIX = "bdpm:"
PUBLISHER = "ANSM — Base de données publique des médicaments"
HAS = "HAS — Commission de la transparence"
MEDICINE_URL = "https://base-donnees-publique.medicaments.gouv.fr/extrait.php?specid={cis}"
_LABELS = {
    "SMR": "Service médical rendu (SMR)",
    "ASMR": "Amélioration du service médical rendu (ASMR)",
}
_ROLE = {"SA": "substance active", "FT": "fraction thérapeutique"}
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_DOSAGE = re.compile(r",|\s(?=\d)")
ASIDE = re.compile(r"\s*\([^()]*\)")  # "(CHLORHYDRATE DE)", "(voir RCP)"


def read_release(folder: Path, limit: int | None = None) -> Iterator[SourceFile]:
    """Every medicine of a BDPM release with its HAS opinions, as SourceFiles keyed by CIS."""
    medicines = rows(folder / "CIS_bdpm.txt")
    compositions = _grouped(folder / "CIS_COMPO_bdpm.txt")
    conditions = _grouped(folder / "CIS_CPD_bdpm.txt")
    smr = _grouped(folder / "CIS_HAS_SMR_bdpm.txt")
    asmr = _grouped(folder / "CIS_HAS_ASMR_bdpm.txt")
    links = {row[0]: row[1] for row in rows(folder / "HAS_LiensPageCT_bdpm.txt") if len(row) > 1}
    for count, row in enumerate(medicines):
        if limit is not None and count >= limit:
            return
        cis = row[0]
        key = f"{PREFIX}cis:{cis}"
        if len(row) < 11:
            yield SourceFile(key, error=f"CIS_bdpm.txt: row {cis} has {len(row)} fields, not 12")
            continue
        subjects = _subjects(row[1], compositions[cis])
        documents = [_medicine(row, compositions[cis], conditions[cis], subjects)]
        for kind, opinions in (("SMR", smr[cis]), ("ASMR", asmr[cis])):
            by_dossier: dict[str, list[list[str]]] = defaultdict(list)
            for opinion in opinions:  # one opinion can rate several indications
                by_dossier[opinion[1]].append(opinion)
            documents += [
                _opinion(cis, row[1], kind, rows, links, subjects) for rows in by_dossier.values()
            ]
        yield SourceFile(key, tuple(documents))


def short_name(name: str) -> str:
    """A medicine's name without its dosage and form ("DOLIPRANE 1000 mg, comprimé": DOLIPRANE)."""
    short = _DOSAGE.split(name, maxsplit=1)[0].strip()
    return short if len(short) >= 3 else name.split(",")[0].strip()


def _subjects(name: str, composition: list[list[str]]) -> tuple[str, ...]:
    """What a medicine's documents are about: its short name and its substances, without the
    salt in brackets ("RANITIDINE (CHLORHYDRATE DE)": RANITIDINE)."""
    substances = (ASIDE.sub("", r[3]).strip() for r in composition if len(r) > 3)
    return tuple(dict.fromkeys(s for s in (short_name(name), *substances) if s))


def rows(path: Path) -> list[list[str]]:
    try:
        text = decode(path.read_bytes())  # UTF-8, else Windows-1252 / Latin-1
    except OSError as exc:
        raise UnreadableDocument(f"cannot read {path}: {exc.strerror}") from exc
    return [
        [cell.strip() for cell in line.split("\t")] for line in text.splitlines() if line.strip()
    ]


def _grouped(path: Path) -> dict[str, list[list[str]]]:
    groups: dict[str, list[list[str]]] = defaultdict(list)
    if path.exists():
        for row in rows(path):
            groups[row[0]].append(row)
    return groups


def _medicine(
    row: list[str],
    composition: list[list[str]],
    conditions: list[list[str]],
    subjects: tuple[str, ...],
) -> ParsedDocument:
    cis, name, form, route, status, procedure, marketed, authorised = row[:8]
    holder = row[10] if len(row) > 10 else ""
    facts = (
        f"{name}. Forme : {form}. Voie d'administration : {route}. Statut de l'AMM : {status} "
        f"({procedure}), date d'AMM {authorised}. Commercialisation : {marketed}. "
        f"Titulaire : {holder.strip() or 'non renseigné'}."
    )
    substances = [
        f"{r[3].capitalize()} : {r[4]} pour {r[5]} ({_ROLE.get(r[6], r[6])})."
        for r in composition
        if len(r) > 6
    ]
    sections = [Section((name, "Présentation"), (facts,))]
    if substances:
        sections.append(Section((name, "Composition"), tuple(substances)))
    if conditions:
        rules = tuple(
            f"Condition de prescription et de délivrance : {r[1]}."
            for r in conditions
            if len(r) > 1
        )
        sections.append(Section((name, "Conditions de prescription"), rules))
    meta = DocumentMeta(
        title=name,
        publisher=PUBLISHER,
        url=MEDICINE_URL.format(cis=cis),
        language="fr",
        published=_date(authorised),
        source_title=f"Fiche BDPM {cis}",
        version=cis,
        subjects=subjects,
    )
    return ParsedDocument(f"{PREFIX}cis:{cis}", meta, tuple(sections), record_hash(meta, sections))


def _opinion(
    cis: str,
    name: str,
    kind: str,
    rows: list[list[str]],
    links: dict[str, str],
    subjects: tuple[str, ...],
) -> ParsedDocument:
    """One HAS opinion on one medicine; it may rate several indications (one row each)."""
    _, dossier, motive, day, *_ = rows[0]
    when = _date(day)
    label = _LABELS[kind]
    paragraphs: list[str] = []
    for _, _, _, _, level, *text in rows:
        body = " ".join(_BREAK.sub(" ", " ".join(text)).replace('"', " ").split())
        paragraphs.append(
            f"{label} de {name} : {level} (avis HAS {dossier}, {motive}, {when or day})."
        )
        paragraphs += [body] if body else []
    meta = DocumentMeta(
        title=f"{kind} de {name} — avis {dossier}",
        publisher=HAS,
        url=links.get(dossier),
        language="fr",
        published=when,
        source_title=f"Avis de la Commission de la transparence {dossier}",
        version=dossier,
        subjects=subjects,
    )
    sections = (Section((meta.title, label), tuple(paragraphs)),)
    key = f"{PREFIX}{kind.lower()}:{dossier}:{cis}"
    return ParsedDocument(key, meta, sections, record_hash(meta, sections))


def _date(text: str) -> date | None:
    """BDPM dates: 'DD/MM/YYYY' (AMM) or 'YYYYMMDD' (HAS opinions)."""
    try:
        if re.fullmatch(r"\d{2}/\d{2}/\d{4}", text):
            day, month, year = text.split("/")
            return date(int(year), int(month), int(day))
        if re.fullmatch(r"\d{8}", text):
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None
    return None
