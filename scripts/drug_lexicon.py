"""Derive the drug lexicon shipped in core/lexicon/: brands -> substances, classes -> members.

Usage: python scripts/drug_lexicon.py [BDPM_DIR] [ANSM_SUBSTANCE_INDEX]
(defaults: /work/shared/data/bdpm and the ANSM index-des-substances JSON beside the thesaurus)

- core/lexicon/brands_bdpm.tsv: each brand of a BDPM release with its active substances, and
- core/lexicon/classes_ansm.tsv: the drug classes of the ANSM interaction thesaurus's substance
  index with their member substances, both as adapters/sources/drug_names.py derives them (the
  importers store the same in Postgres);
- core/lexicon/common_words.txt: ordinary words that a brand or substance name is one letter
  away from ("cystite" / cystine, "moderate" / MODECATE, "heparin" / héparine), which the
  understanding step must never take for a misspelt drug; and brands that are ordinary words
  ("DAILY") are left out of the brand table. Ordinary: written in lower case at least
  COMMON_MIN_COUNT times in running medical text (PubMedQA abstracts, FrenchMedMCQA questions
  and answers, the demo notes), a word-frequency reference only.
Re-run it on a newer release and commit the result; core/understand.py reads the tables.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.sources.drug_names import brands, classes
from core.text import fold
from core.understand import Entry, Sense, build_lexicon

OUT = Path(__file__).resolve().parent.parent / "core" / "lexicon"
BDPM = Path("/work/shared/data/bdpm")
ANSM_INDEX = Path(
    "/work/shared/data/ansm_thesaurus_interactions/index-des-substances-20102020.json"
)
TEXTS = (
    Path("/work/shared/data/pubmedqa/ori_pqal.json"),
    *sorted(Path("/work/shared/data/frenchmedmcqa").glob("*.json")),
    *sorted((Path(__file__).resolve().parent.parent / "bots" / "demo_corpus").rglob("*.md")),
)
COMMON_MIN_COUNT = 3


def listed_classes(index: Path) -> dict[str, list[str]]:
    """The substance index's classes as it spells them (class_members folds them)."""
    listed: dict[str, list[str]] = defaultdict(list)
    for item in json.loads(index.read_text(encoding="utf-8")):
        for drug_class in item.get("drug_classes", []):
            listed[drug_class].append(item["substance"])
    return listed


def ordinary_words(paths: tuple[Path, ...]) -> Counter[str]:
    """How often each word is written in lower case in the reference texts (folded)."""
    counts: Counter[str] = Counter()
    for path in paths:
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            text = " ".join(_strings(json.loads(text)))
        for word in re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", text):
            if word == word.lower():
                counts[fold(word)] += 1
    return counts


def _strings(data: object) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for value in data.values() for s in _strings(value)]
    if isinstance(data, list):
        return [s for value in data for s in _strings(value)]
    return []


def near_names(words: set[str], names: set[str], length: int = 5) -> list[str]:
    """The words, of `length` letters or more and not names themselves, one edit from a name."""
    lexicon = build_lexicon((n, Entry(n, "substance", (Sense(n),))) for n in names)
    return sorted(w for w in words - names if len(w) >= length and lexicon.near(w))


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else BDPM
    index = Path(sys.argv[2]) if len(sys.argv) > 2 else ANSM_INDEX
    common = {w for w, n in ordinary_words(TEXTS).items() if n >= COMMON_MIN_COUNT}
    found = {b: s for b, s in brands(folder).items() if fold(b) not in common}
    grouped = classes(listed_classes(index))
    names = {fold(n) for n in (*found, *grouped)}
    names |= {fold(s) for group in (*found.values(), *grouped.values()) for s in group}
    with (OUT / "common_words.txt").open("w", encoding="utf-8") as out:
        out.write(
            "# Ordinary words one letter away from a drug name of the lexicon: never corrected\n"
            "# into it. Derived by scripts/drug_lexicon.py (word counts of PubMedQA,\n"
            "# FrenchMedMCQA and the demo notes); re-run it.\n"
        )
        out.writelines(f"{word}\n" for word in near_names(common, names))
    with (OUT / "brands_bdpm.tsv").open("w", encoding="utf-8") as out:
        out.write(
            "# Brand names of the French public drug database (BDPM, ANSM; Licence Ouverte) and\n"
            f"# their active substances. Derived by scripts/drug_lexicon.py from {folder.name}/\n"
            "# CIS_bdpm.txt + CIS_COMPO_bdpm.txt; do not edit by hand, re-run the script.\n"
            "brand\tsubstances\n"
        )
        out.writelines(f"{brand}\t{' + '.join(s)}\n" for brand, s in found.items())
    with (OUT / "classes_ansm.tsv").open("w", encoding="utf-8") as out:
        out.write(
            "# Drug classes of the ANSM interaction thesaurus and their member substances, from\n"
            f"# its substance index ({index.name}). Derived by scripts/drug_lexicon.py;\n"
            "# re-run it.\n"
            "class\tmembers\n"
        )
        out.writelines(f"{name}\t{', '.join(m)}\n" for name, m in grouped.items())
    print(f"{len(found)} brands, {len(grouped)} classes written to {OUT}")


if __name__ == "__main__":
    main()
