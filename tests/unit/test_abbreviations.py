"""The clinical abbreviation lexicon's data file: format, coverage and provenance."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import pytest

LEXICON = Path(__file__).resolve().parents[2] / "core" / "lexicon" / "abbreviations.tsv"
HEADER = ["abbreviation", "language", "expansion", "context", "source", "case"]
LANGUAGES = {"fr", "en", "both"}
CASES = {"", "upper"}
# The abbreviations issue 24 names; clinicians type them in the questions the issue quotes.
NAMED_IN_ISSUE = (
    "IRC DFG FA HTA AVK AOD AINS IPP DT1 DT2 VVP TPE AES OMA BPCO SCA EP TVP INR CKD AF AKI ED "
    "ICU UFH LMWH DAPT HFrEF AECOPD"
).split()
# Short or word-like abbreviations that must only match in capitals ("ed", "as", "pa" are words).
MUST_BE_UPPER = "EP AF ED TA AS PA SC IM OD".split()
_URL = re.compile(r"https?://\S+")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    header, *body = list(reader)
    return header, [dict(zip(header, row, strict=True)) for row in body]


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return _read(LEXICON)[1]


def test_the_file_has_the_agreed_header() -> None:
    """The reader can rely on the six agreed columns, in order."""
    assert _read(LEXICON)[0] == HEADER


def test_the_lexicon_covers_at_least_400_distinct_senses(rows: list[dict[str, str]]) -> None:
    """Clinicians' abbreviations across specialties are covered, not a token list."""
    senses = {(r["abbreviation"], r["language"], r["expansion"]) for r in rows}
    assert len(senses) >= 400
    assert len(senses) == len(rows), "a sense is listed twice"


def test_every_row_is_complete_and_well_formed(rows: list[dict[str, str]]) -> None:
    """No row lacks its abbreviation, expansion or a cited public source with its address."""
    for row in rows:
        assert row["abbreviation"].strip() == row["abbreviation"] != "", row
        assert row["expansion"].strip() == row["expansion"] != "", row
        assert row["language"] in LANGUAGES, row
        assert row["case"] in CASES, row
        assert _URL.search(row["source"]), row
        assert row["source"].split("http")[0].strip(), f"source without a name: {row}"


def test_expansions_spell_the_term_out(rows: list[dict[str, str]]) -> None:
    """An expansion spells the term out instead of repeating the abbreviation."""
    for row in rows:
        assert _fold(row["expansion"]) != _fold(row["abbreviation"]), row
        assert row["expansion"] != row["expansion"].upper(), row


def test_context_words_are_folded_lower_case_words(rows: list[dict[str, str]]) -> None:
    """Context words compare with a message after accent folding, so they are stored folded."""
    for row in rows:
        for word in row["context"].split():
            assert word == _fold(word), row
            assert re.fullmatch(r"[a-z0-9]+", word), row


def test_ambiguous_abbreviations_have_at_most_one_default_sense(
    rows: list[dict[str, str]],
) -> None:
    """When an abbreviation has several senses in a language, the others are chosen by context."""
    senses: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        senses[(row["abbreviation"], row["language"])].append(row)
    for key, group in senses.items():
        defaults = [r["expansion"] for r in group if not r["context"]]
        assert len(defaults) <= 1, f"{key} has several senses without context: {defaults}"


def test_case_is_the_same_for_every_sense_of_an_abbreviation(rows: list[dict[str, str]]) -> None:
    """Whether 'EP' must be in capitals does not depend on which sense the message meant."""
    cases: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        cases[row["abbreviation"]].add(row["case"])
    assert {abbreviation for abbreviation, seen in cases.items() if len(seen) > 1} == set()


def test_the_abbreviations_named_in_the_issue_are_present(rows: list[dict[str, str]]) -> None:
    """The abbreviations of the chat-style questions in issue 24 are all understood."""
    present = {r["abbreviation"] for r in rows}
    assert [a for a in NAMED_IN_ISSUE if a not in present] == []


def test_ipp_has_both_senses_chosen_by_context(rows: list[dict[str, str]]) -> None:
    """'IPP' is a proton pump inhibitor beside omeprazole, a patient identifier beside a file."""
    ipp = {r["expansion"]: set(r["context"].split()) for r in rows if r["abbreviation"] == "IPP"}
    assert "omeprazole" in ipp["inhibiteurs de la pompe à protons"]
    assert "dossier" in ipp["identifiant permanent du patient"]


def test_word_like_abbreviations_match_only_in_capitals(rows: list[dict[str, str]]) -> None:
    """'ed', 'as' or 'pa' in an ordinary sentence are never read as abbreviations."""
    lax = {r["abbreviation"] for r in rows if r["abbreviation"] in MUST_BE_UPPER and not r["case"]}
    assert lax == set()
