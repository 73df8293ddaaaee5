"""The lexicon files shipped with the package, read into a core.understand.Lexicon (pure parsing;
the files are package data, read through importlib.resources)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from importlib import resources

from core.text import keywords
from core.understand import TERM, Entry, Lexicon, Sense, build_lexicon, key_of

# In a file without a `case` column, an abbreviation of at most this many letters written in
# capitals matches only a word written in capitals ("TA", "EP", "AF" are not "ta", "ep", "af").
CAPITALS_ONLY_LETTERS = 3


def _header(text: str) -> list[str]:
    """The column names of a TAB-separated lexicon file (its first line not a '#' comment)."""
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            return [cell.strip().lower() for cell in line.split("\t")]
    return []


def _rows(text: str) -> Iterator[list[str]]:
    """The data rows of a TAB-separated lexicon file: '#' comments and the header row skipped."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    for line in lines[1:]:
        yield [cell.strip() for cell in line.split("\t")]


def abbreviations(text: str) -> Iterator[tuple[str, Entry]]:
    """abbreviation, language, expansion, context, source, case: one row per sense. `case`
    "upper": the message must write it in capitals; empty: any case; no such column: the
    capitals rule of CAPITALS_ONLY_LETTERS."""
    cased = "case" in _header(text)
    for row in _rows(text):
        if len(row) < 3 or not row[0] or not row[2]:
            continue
        written, language, expansion = row[:3]
        context = frozenset(keywords(row[3])) if len(row) > 3 else frozenset()
        letters = [c for c in written if c.isalpha()]
        capitals = (
            len(row) > 5 and row[5].lower() == "upper"
            if cased
            else written.isupper() and len(letters) <= CAPITALS_ONLY_LETTERS
        )
        sense = Sense(expansion, language or "both", context, capitals)
        yield written, Entry(written, "abbreviation", (sense,))


def brands(text: str, language: str = "fr") -> Iterator[tuple[str, Entry]]:
    """brand, substances ("a + b"); each substance is also an entry of its own (its exact
    spelling, and one typo away)."""
    for row in _rows(text):
        if len(row) < 2 or not row[0] or not row[1]:
            continue
        yield row[0], Entry(row[0], "brand", (Sense(row[1], language),))
        yield from _substances(row[1].split(" + "), language)


def classes(text: str, language: str = "fr") -> Iterator[tuple[str, Entry]]:
    """class, members (comma-separated)."""
    for row in _rows(text):
        if len(row) < 2 or not row[0] or not row[1]:
            continue
        members = [m.strip() for m in row[1].split(", ") if m.strip()]
        entry = Entry(row[0], "class", tuple(Sense(m, language) for m in members))
        yield row[0], entry
        singular = " ".join(w[:-1] if len(w) > 4 and w.endswith("s") else w for w in row[0].split())
        if singular != row[0]:  # "une statine", "l'antivitamine K"
            yield singular, entry
        yield from _substances(members, language)


def extra(text: str) -> Iterator[tuple[str, Entry]]:
    """name, language, kind (brand, class, clipped, synonym), meaning, source: the hand-made
    list (English brands, clipped forms); a class's members are comma-separated."""
    for row in _rows(text):
        if len(row) < 4 or not row[0] or not row[3]:
            continue
        name, language, kind, meaning = row[:4]
        meanings = meaning.split(", ") if kind == "class" else [meaning]
        entry = Entry(name, kind, tuple(Sense(m, language or "both") for m in meanings))
        yield name, entry
        yield from _substances(meanings if kind == "class" else meaning.split(" + "), language)


def glossary(text: str) -> Iterator[tuple[str, Entry]]:
    """term, language, equivalent, source: a clinical term and the same concept in the other
    language ("hyperkaliémie", "hyperkalaemia"), so that a French question is held by an English
    note and the other way round."""
    for row in _rows(text):
        if len(row) < 3 or not row[0] or not row[2]:
            continue
        term, language, equivalent = row[:3]
        other = {"fr": "en", "en": "fr"}.get(language, "both")
        yield term, Entry(term, TERM, (Sense(equivalent, other),))


def _substances(names: Iterable[str], language: str) -> Iterator[tuple[str, Entry]]:
    for name in names:
        yield name, Entry(name, "substance", (Sense(name, language),))


FILES = {  # file: how to read it; of two entries of one name, the first file's is used
    "abbreviations.tsv": abbreviations,
    "drugs_extra.tsv": extra,
    "brands_bdpm.tsv": brands,
    "classes_ansm.tsv": classes,
    "glossary.tsv": glossary,  # last: a drug's name is read as the drug
}


@functools.cache
def default_lexicon() -> Lexicon:
    """Every lexicon file shipped with the package (a missing one is skipped), and the chatter."""
    return shipped()


def shipped(
    abbreviations_text: str | None = None, stored: Iterable[tuple[str, str, Sequence[str]]] = ()
) -> Lexicon:
    """The shipped lexicon; with `abbreviations_text`, that abbreviation file instead of the
    package's (tests, an institution's own list); with `stored`, the (name, kind, meanings)
    the importers stored (a brand: its substances; a class: its members), after the shipped
    entries of the same names."""
    folder = resources.files(__package__)
    entries: list[tuple[str, Entry]] = []
    for name, read in FILES.items():
        path = folder / name
        if name == "abbreviations.tsv" and abbreviations_text is not None:
            entries += read(abbreviations_text)
        elif path.is_file():
            entries += read(path.read_text(encoding="utf-8"))
    entries += (entry for name, kind, meanings in stored for entry in _stored(name, kind, meanings))
    chatter, common, populations, units = (
        _lines((folder / name).read_text(encoding="utf-8")) for name in _LISTS
    )
    groups = [line.partition(":")[2].split() for line in populations]
    forms = [line.partition(":")[2].split() for line in units]
    return build_lexicon(with_synonyms(entries), chatter, common, groups, forms)


def _stored(name: str, kind: str, meanings: Sequence[str]) -> Iterator[tuple[str, Entry]]:
    if kind == "brand":
        return brands(f"brand\tsubstances\n{name}\t{' + '.join(meanings)}")
    return classes(f"class\tmembers\n{name}\t{', '.join(meanings)}")


def with_synonyms(entries: list[tuple[str, Entry]]) -> list[tuple[str, Entry]]:
    """Each brand's or clipped form's substance also by its common name, where the lexicon
    gives one (KARDEGIC: acide acétylsalicylique, and aspirine, as the notes call it)."""
    common: dict[tuple[str, str], list[str]] = {}
    for _, entry in entries:
        if entry.kind == "synonym":
            for sense in entry.senses:
                common.setdefault((key_of(sense.meaning), sense.language), []).append(entry.written)
    if not common:
        return entries
    return [(name, _widened(entry, common)) for name, entry in entries]


def _widened(entry: Entry, common: dict[tuple[str, str], list[str]]) -> Entry:
    if entry.kind not in ("brand", "clipped"):
        return entry
    senses = list(entry.senses)
    for sense in entry.senses:
        for name in common.get((key_of(sense.meaning), sense.language), []):
            senses.append(Sense(name, sense.language, sense.context, sense.capitals))
    return Entry(entry.written, entry.kind, tuple(senses))


_LISTS = ("chatter.txt", "common_words.txt", "populations.txt", "units.txt")


def _lines(text: str) -> list[str]:
    """The lines of a word list, '#' comments and blank lines left out."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
