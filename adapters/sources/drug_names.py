"""Drug names from the official sources, for the understanding step (core/understand.py): the
BDPM's brands with their active substances, the ANSM thesaurus's drug classes with their
members. scripts/drug_lexicon.py writes them into the tables shipped in core/lexicon/; the
importers (`medgpt ingest --source bdpm|ansm-interactions`) store them in Postgres.

A brand is the name before the dose and form ("DOLIPRANE 1000 mg, comprimé": DOLIPRANE), one to
three words, with the substances of most of its medicines: the therapeutic fraction where the
composition gives one ("METFORMINE BASE" rather than "CHLORHYDRATE DE METFORMINE"), salts and
hydrates dropped. Left out: generics named by their substance ("PARACETAMOL MYLAN"), homeopathy,
and names of more than four substances.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

from adapters.sources.bdpm import rows, short_name
from core.text import fold

MAX_SUBSTANCES = 4
MAX_WORDS = 3

# Words that name a salt, a hydrate or an origin, not the substance ("WARFARINE SODIQUE").
_SALT_WORDS = frozenset(
    "sodique potassique calcique magnesien magnesienne lysine base anhydre humain humaine "
    "biogenetique recombinant recombinante recombinants recombinantes monosodique disodique "
    "trisodique dipotassique".split()
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
    """Each brand of a BDPM release (CIS_bdpm.txt, CIS_COMPO_bdpm.txt) with its substances."""
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


def classes(listed: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Each class (as `listed` names it: the thesaurus's substance index, ansm.class_members)
    with its members, two at least; "autres X" folded into X; a plural noun in brackets also
    names the class ("inhibiteurs de l'HMG-CoA réductase (statines)": statines); a class named
    after one of its members (théophylline, with aminophylline) left out: it is a substance."""
    members: dict[str, dict[str, None]] = defaultdict(dict)
    names: dict[str, str] = {}
    for drug_class, substances_of in listed.items():
        base = " ".join(_ASIDE.sub("", drug_class).split())
        if fold(base).startswith("autres "):
            base = base[len("autres ") :]
        aliases = [base] + [
            a.strip()
            for a in _ASIDE.findall(drug_class)
            if re.fullmatch(r"[^\W\d_]{5,}s", a.strip()) and fold(a.strip()) != "autres"
        ]
        for alias in aliases:
            names.setdefault(fold(alias), alias)
            for member in substances_of:
                members[fold(alias)][member.strip()] = None
    return {
        names[k]: sorted(v)
        for k, v in sorted(members.items())
        if len(v) >= 2 and k not in {fold(m) for m in v}
    }
