"""Cuts the slices of the public releases that the tests read (tests/data/bdpm, ansm, pubmedqa).

Usage: python bench/cut_test_data.py [--data ../shared/data] [--out tests/data]

Each slice keeps the release's own format, bytes and order (the rows kept are copied as they
are), so the importers read it as they read the release. What is kept, and why:

- BDPM: the first PREFIX medicines of CIS_bdpm.txt (the tests import "the first N"), those the
  tests name, and medicines drawn at random (fixed seed) up to MEDICINES, a share WITH_SMR of
  them among those with an SMR opinion (what `medgpt eval bdpm` asks about, questions the index
  answers and questions it cannot, both with and without an indication); every composition,
  prescription condition, SMR and ASMR row about them, and the page link of each HAS dossier
  their opinions cite. CIS_GENER_bdpm.txt is not read by the importer and is left out.
- Thesaurus of Oct 2020 (JSON): its first ENTRIES entries, those the tests name, and every other
  statement of the same pairs (the thesaurus states most pairs once under each drug); the
  substance index keeps every substance of the classes those entries name.
- Thesaurus of Aug 2016 (CSV): its first CSV_ROWS rows and those the tests name; its
  molecule-family list keeps the families those rows name.
- PubMedQA (PQA-L): its first QUESTIONS questions, with their licence.

Run it again on the same releases and it writes the same bytes.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.data import (
    BDPM,
    PUBMEDQA,
    ROOT,
    SUBSTANCES,
    THESAURUS,
    THESAURUS_DIR,
    add_data_argument,
    require,
)
from core.text import fold

MEDICINES = 400
PREFIX = 40
WITH_SMR = 0.6
NAMED_MEDICINES = ("60002504",)  # RANITIDINE BIOGARAN: a salt in brackets in its composition
BDPM_FILES = ("CIS_COMPO_bdpm.txt", "CIS_CPD_bdpm.txt", "CIS_HAS_SMR_bdpm.txt",
              "CIS_HAS_ASMR_bdpm.txt")  # fmt: skip
ENTRIES = 150
NAMED_PAIRS = (  # a class named with an exclusion; a side holding " + "; a pair stated twice
    "BÊTA-BLOQUANTS (SAUF ESMOLOL) (Y COMPRIS COLLYRES) + ANTI-INFLAMMATOIRES NON STÉROÏDIENS",
    "CICLOSPORINE + GRAZOPREVIR + ELBASVIR",
    "ANTICHOLINESTÉRASIQUES + MÉDICAMENTS ATROPINIQUES",
)
CSV_2016 = "thesaurusAout2016.csv"
FAMILIES_2016 = "moleculesfamillesAout2016.csv"
CSV_ROWS = 40
NAMED_CSV_PAIRS = ("AMIODARONE\tBETA-BLOQUANTS (SAUF ESMOLOL ET SOTALOL)",)
QUESTIONS = 50


def lines(path: Path) -> list[bytes]:
    """A file's lines with their own endings (CRLF or LF), so the slice keeps the bytes."""
    return path.read_bytes().splitlines(keepends=True)


def first_field(line: bytes) -> bytes:
    return line.split(b"\t", 1)[0].strip()


def cut_bdpm(source: Path, out: Path) -> None:
    medicines = lines(source / "CIS_bdpm.txt")
    named = {i for i, line in enumerate(medicines) if first_field(line).decode() in NAMED_MEDICINES}
    chosen = set(range(PREFIX)) | named
    rated = {first_field(line) for line in lines(source / "CIS_HAS_SMR_bdpm.txt")}
    with_smr = {i for i, line in enumerate(medicines) if first_field(line) in rated}
    rng = random.Random(26)
    draw = MEDICINES - len(chosen)
    chosen |= set(rng.sample(sorted(with_smr - chosen), round(draw * WITH_SMR)))
    others = sorted(set(range(len(medicines))) - chosen - with_smr)
    chosen |= set(rng.sample(others, MEDICINES - len(chosen)))
    kept = [medicines[i] for i in sorted(chosen)]
    write(out / "CIS_bdpm.txt", kept)
    cis = {first_field(line) for line in kept}
    dossiers: set[bytes] = set()
    for name in BDPM_FILES:
        rows = [line for line in lines(source / name) if first_field(line) in cis]
        if "HAS" in name:
            dossiers |= {line.split(b"\t")[1] for line in rows}
        write(out / name, rows)
    links = lines(source / "HAS_LiensPageCT_bdpm.txt")
    write(
        out / "HAS_LiensPageCT_bdpm.txt", [line for line in links if first_field(line) in dossiers]
    )


def pair(entry: dict[str, Any]) -> frozenset[str]:
    return frozenset((fold(entry["main_drug"].strip()), fold(entry["plus_drug"].strip())))


def cut_thesaurus(source: Path, out: Path) -> None:
    entries = json.loads((source / THESAURUS).read_text(encoding="utf-8"))
    titles = [f"{e['main_drug'].strip()} + {e['plus_drug'].strip()}" for e in entries]
    chosen = set(range(ENTRIES)) | {i for i, title in enumerate(titles) if title in NAMED_PAIRS}
    pairs = {pair(entries[i]) for i in chosen}
    kept = [entry for i, entry in enumerate(entries) if i in chosen or pair(entry) in pairs]
    write_json(out / Path(THESAURUS).name, kept, ensure_ascii=False)
    sides = {side for entry in kept for side in pair(entry)}
    index = json.loads((source / SUBSTANCES).read_text(encoding="utf-8"))
    members = [s for s in index if any(fold(c) in sides for c in s.get("drug_classes", []))]
    write_json(out / Path(SUBSTANCES).name, members, ensure_ascii=False)


def cut_thesaurus_2016(source: Path, out: Path) -> None:
    header, *rows = lines(source / CSV_2016)
    named = [
        row for row in rows if row.startswith(tuple(p.encode() + b"\t" for p in NAMED_CSV_PAIRS))
    ]
    kept = rows[:CSV_ROWS] + [row for row in named if row not in rows[:CSV_ROWS]]
    write(out / CSV_2016, [header, *kept])
    sides = {fold(cell.decode()) for row in kept for cell in row.split(b"\t")[:2]}
    header, *families = lines(source / FAMILIES_2016)
    members = [row for row in families if fold(row.split(b"\t")[1].decode().strip()) in sides]
    write(out / FAMILIES_2016, [header, *members])


def cut_pubmedqa(source: Path, out: Path) -> None:
    items = json.loads((source / PUBMEDQA).read_text(encoding="utf-8"))
    first = dict(list(items.items())[:QUESTIONS])
    write_json(out / Path(PUBMEDQA).name, first, ensure_ascii=True)
    shutil.copyfile(source / Path(PUBMEDQA).parent / "LICENSE", out / "LICENSE")


def write(path: Path, rows: list[bytes]) -> None:
    path.write_bytes(b"".join(rows))
    print(f"{path}: {len(rows)} lines, {path.stat().st_size:,} bytes")


def write_json(path: Path, data: object, ensure_ascii: bool) -> None:
    """As the releases are written: four-space indent, no newline at the end."""
    path.write_text(json.dumps(data, indent=4, ensure_ascii=ensure_ascii), encoding="utf-8")
    print(f"{path}: {len(data)} entries, {path.stat().st_size:,} bytes")  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_data_argument(parser)
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "data")
    args = parser.parse_args()
    data = require(args.data, BDPM, THESAURUS, SUBSTANCES, f"{THESAURUS_DIR}/{CSV_2016}", PUBMEDQA)
    folders = {name: args.out.resolve() / name for name in ("bdpm", "ansm", "pubmedqa")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    cut_bdpm(data / BDPM, folders["bdpm"])
    cut_thesaurus(data, folders["ansm"])
    cut_thesaurus_2016(data / THESAURUS_DIR, folders["ansm"])
    cut_pubmedqa(data, folders["pubmedqa"])


if __name__ == "__main__":
    main()
