"""Derive the drug lexicon shipped in core/lexicon/: brands -> substances, classes -> members.

Usage: python scripts/drug_lexicon.py [BDPM_DIR] [ANSM_SUBSTANCE_INDEX]
(defaults: /work/shared/data/bdpm and the ANSM index-des-substances JSON beside the thesaurus)

- core/lexicon/brands_bdpm.tsv: from a BDPM release (CIS_bdpm.txt names, CIS_COMPO_bdpm.txt
  compositions), each brand (the name before its dose and form, "DOLIPRANE 1000 mg, comprimé":
  DOLIPRANE; one to three words) with the substances of most of its medicines: the therapeutic
  fraction where the composition gives one ("METFORMINE BASE" rather than "CHLORHYDRATE DE
  METFORMINE"), salts and hydrates dropped. Left out: generics named by their substance
  ("PARACETAMOL MYLAN"), homeopathy, and names of more than four substances.
- core/lexicon/classes_ansm.tsv: the drug classes of the ANSM interaction thesaurus's substance
  index with their member substances (two at least); "autres X" lists are folded into X, a
  plural noun in brackets is also a name ("inhibiteurs de l'HMG-CoA réductase (statines)":
  statines); a class named after one of its members (théophylline) is left out.
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

from adapters.sources.bdpm import short_name
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
MAX_SUBSTANCES = 4
MAX_WORDS = 3

# Words that name a salt, a hydrate or an origin, not the substance ("WARFARINE SODIQUE").
_SALT_WORDS = frozenset(
    "sodique potassique calcique magnesien magnesienne lysine base anhydre humain humaine "
    "biogenetique monosodique disodique trisodique dipotassique".split()
)
_HYDRATE = re.compile(
    r"^(?:mono|di|tri|tetra|penta|hexa|hepta|hemi|sesqui|hemipenta)?hydrate[es]*$"
)
# A salt named first ("CHLORHYDRATE DE METFORMINE"): dropped with its "de".
_SALT_PREFIXES = frozenset(
    "chlorhydrate dichlorhydrate bromhydrate sulfate maleate fumarate hemifumarate tartrate "
    "succinate mesilate mesylate besilate citrate acetate lactate carbonate tosilate oxalate "
    "hyclate embonate napadisilate".split()
)
_ASIDE = re.compile(r"\s*\(([^()]*)\)")


def substance(raw: str) -> str:
    """A composition's substance as a prescriber names it, lower case, accents kept."""
    name = raw.strip().lower()
    aside = _ASIDE.search(name)
    if aside:  # "ranitidine (chlorhydrate de)", "sodium (polystyrène sulfonate de)"
        inner, rest = aside.group(1).strip(), _ASIDE.sub("", name).strip()
        salt = fold(inner).split()[:1] and fold(inner).split()[0] in _SALT_PREFIXES
        name = rest if salt else f"{inner} {rest}"
    words = name.replace("'", "' ").split()
    folded = [fold(w) for w in words]
    if len(words) > 2 and folded[0] in _SALT_PREFIXES and folded[1] in ("de", "d'"):
        words, folded = words[2:], folded[2:]
    kept = [
        w
        for w, f in zip(words, folded, strict=True)
        if f not in _SALT_WORDS and not _HYDRATE.match(f)
    ]
    return " ".join(kept or words).replace("' ", "'")


def rows(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8", errors="replace")
    return [[c.strip() for c in line.split("\t")] for line in text.splitlines() if line.strip()]


def substances(composition: list[list[str]]) -> tuple[str, ...] | None:
    """The substances of one medicine, each linked group by its therapeutic fraction if any;
    None for homeopathy."""
    groups: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in composition:
        if len(row) < 8:
            continue
        if "homeopathique" in fold(row[3]):
            return None
        groups[row[7] or row[3]][row[6]].append(row[3])
    names = (n for g in groups.values() for n in g.get("FT") or g.get("SA") or [])
    return tuple(dict.fromkeys(substance(n) for n in names if n.strip()))


def brands(folder: Path) -> dict[str, tuple[str, ...]]:
    compositions: dict[str, list[list[str]]] = defaultdict(list)
    for row in rows(folder / "CIS_COMPO_bdpm.txt"):
        compositions[row[0]].append(row)
    seen: dict[str, Counter[frozenset[str]]] = defaultdict(Counter)
    ordered: dict[tuple[str, frozenset[str]], tuple[str, ...]] = {}
    spelling: dict[str, str] = {}
    for row in rows(folder / "CIS_bdpm.txt"):
        if len(row) < 2:
            continue
        found = substances(compositions[row[0]])
        brand = " ".join(_ASIDE.sub("", short_name(row[1])).split())
        words = fold(brand).replace("/", " ").split()
        if not found or len(found) > MAX_SUBSTANCES or not 1 <= len(words) <= MAX_WORDS:
            continue
        if len(re.sub(r"[^a-z]", "", "".join(words))) < 4 or re.search(r"\d", brand):
            continue
        named = {w for s in found for w in re.findall(r"[a-z]{4,}", fold(s))}
        if named & set(re.findall(r"[a-z]{4,}", " ".join(words))):
            continue  # a generic named by its substance, or a substance sold under its name
        key = " ".join(words)
        seen[key][frozenset(found)] += 1
        ordered.setdefault((key, frozenset(found)), found)  # as the composition lists them
        spelling.setdefault(key, brand)
    return {
        spelling[k]: ordered[k, counts.most_common(1)[0][0]] for k, counts in sorted(seen.items())
    }


def classes(index: Path) -> dict[str, list[str]]:
    members: dict[str, dict[str, None]] = defaultdict(dict)
    names: dict[str, str] = {}
    for item in json.loads(index.read_text(encoding="utf-8")):
        for drug_class in item.get("drug_classes", []):
            base = " ".join(_ASIDE.sub("", drug_class).split())
            if fold(base).startswith("autres "):
                base = base[len("autres ") :]
            aliases = [base] + [  # a plural noun in brackets names the class: "(statines)"
                a.strip()
                for a in _ASIDE.findall(drug_class)
                if re.fullmatch(r"[^\W\d_]{5,}s", a.strip()) and fold(a.strip()) != "autres"
            ]
            for alias in aliases:
                names.setdefault(fold(alias), alias)
                members[fold(alias)][item["substance"].strip()] = None
    # "théophylline" (with aminophylline) is a substance, not a class to expand.
    return {
        names[k]: sorted(v)
        for k, v in sorted(members.items())
        if len(v) >= 2 and k not in {fold(m) for m in v}
    }


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
    grouped = classes(index)
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
