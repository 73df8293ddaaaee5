"""Official sources: the BDPM release and the ANSM interaction thesaurus (slices of the real
files in tests/data), imported, searched, and updated incrementally."""

from __future__ import annotations

import itertools
from pathlib import Path

import asyncpg
import pytest

from adapters.embedders.local import LocalEmbedder
from adapters.postgres.store import PgCorpus
from adapters.sources import ansm, bdpm
from bots.cli import main
from core.evidence import is_about
from core.ingestion import Ingestor
from core.ports import SearchQuery
from core.text import subject_words
from tests.conftest import BDPM, DATA, PUBMEDQA, THESAURUS

THESAURUS_FILE = "thesaurus-referentiel-national-des-interactions-medicamenteuses-20102020.json"
SUBSTANCES = "index-des-substances-20102020.json"
FILES = ("CIS_bdpm.txt", "CIS_COMPO_bdpm.txt", "CIS_CPD_bdpm.txt", "CIS_HAS_SMR_bdpm.txt",
         "CIS_HAS_ASMR_bdpm.txt", "HAS_LiensPageCT_bdpm.txt")  # fmt: skip


def test_every_slice_of_a_release_says_where_it_comes_from() -> None:
    """The importers are tested on slices of the real files, each traceable to its release."""
    readme = (DATA / "README.md").read_text()
    slices = [path for folder in (BDPM, THESAURUS, PUBMEDQA.parent) for path in folder.iterdir()]
    assert {path.name for path in slices} >= {*FILES, THESAURUS_FILE, SUBSTANCES, PUBMEDQA.name}
    assert [path.name for path in slices if f"`{path.name}`" not in readme] == []


def test_whole_bdpm_release_is_read() -> None:
    """Every medicine of the release becomes a document, with its HAS opinions and their links."""
    records = list(bdpm.read_release(BDPM))
    assert len(records) == 400  # the slice's medicines (15,291 in the whole release)
    assert not [r for r in records if r.error]
    keys = [d.source_key for r in records for d in r.documents]
    assert len(keys) == len(set(keys))  # an opinion on several indications is one document
    opinions = [d for r in records for d in r.documents if d.source_key.startswith("bdpm:smr:")]
    assert len(opinions) == 322  # from 383 rows: an opinion on several indications is one
    linked = [
        d for d in opinions if d.meta.url and d.meta.url.startswith("https://www.has-sante.fr/")
    ]
    assert len(linked) > len(opinions) // 2
    asmr = [d for r in records for d in r.documents if d.source_key.startswith("bdpm:asmr:")]
    assert not any("<br" in p.lower() for d in asmr for s in d.sections for p in s.paragraphs)
    # What each document is about: the name without dosage and form, and the substances
    # without its salt ("RANITIDINE (CHLORHYDRATE DE)"); an opinion is about its medicine.
    [ranitidine] = [r for r in records if r.path == "bdpm:cis:60002504"]
    assert [d.meta.subjects for d in ranitidine.documents] == 2 * [
        ("RANITIDINE BIOGARAN", "RANITIDINE", "RANITIDINE BASE")
    ]


def _release(folder: Path, medicines: int, encoding: str = "utf-8") -> list[str]:
    """A small release: the first medicines and every row of the other files about them."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = (BDPM / "CIS_bdpm.txt").read_text(encoding="utf-8").splitlines()[:medicines]
    kept = {row.split("\t")[0] for row in rows}
    for name in FILES:
        lines = (BDPM / name).read_text(encoding="utf-8").splitlines()
        if name == "CIS_bdpm.txt":
            lines = rows
        elif name != "HAS_LiensPageCT_bdpm.txt":
            lines = [line for line in lines if line.split("\t")[0] in kept]
        (folder / name).write_bytes("\r\n".join(lines).encode(encoding, errors="replace"))
    return rows


async def _search(corpus: PgCorpus, embedder: LocalEmbedder, text: str) -> list:  # type: ignore[type-arg]
    [vector] = await embedder.embed([text])
    return await corpus.search(SearchQuery(text, vector, "fr", 5))


async def test_bdpm_import_update_and_retire(
    tmp_path: Path, corpus: PgCorpus, embedder: LocalEmbedder, pool: asyncpg.Pool
) -> None:
    """A newer release replaces what changed (a link to an opinion's page included), retires
    what was withdrawn (kept for the audit, never retrieved) and leaves the rest; a withdrawn
    medicine that a later release holds again is found again."""
    rows = _release(tmp_path / "v1", 40)
    first = await Ingestor(embedder, corpus).ingest(
        bdpm.read_release(tmp_path / "v1"), retire_under=[bdpm.PREFIX]
    )
    assert first.failed == []
    assert first.added > 40  # medicines and their opinions
    withdrawn = rows[0].split("\t")
    changed = rows[1].split("\t")
    changed[10] = " NOUVEAU TITULAIRE SAS"
    (tmp_path / "v2").mkdir()
    _release(tmp_path / "v2", 40)
    (tmp_path / "v2" / "CIS_bdpm.txt").write_text(
        "\r\n".join(["\t".join(changed), *rows[2:]]), encoding="utf-8"
    )
    # The HAS moved the page of an opinion on a medicine that stays: only its link changes.
    kept = {row.split("\t")[0] for row in rows[2:]}
    smr = (tmp_path / "v1" / "CIS_HAS_SMR_bdpm.txt").read_text(encoding="utf-8").splitlines()
    dossier = next(line.split("\t")[1] for line in smr if line.split("\t")[0] in kept)
    moved = "https://www.has-sante.fr/jcms/page-deplacee"
    links = (tmp_path / "v1" / "HAS_LiensPageCT_bdpm.txt").read_text(encoding="utf-8")
    (tmp_path / "v2" / "HAS_LiensPageCT_bdpm.txt").write_text(
        "\r\n".join(
            f"{dossier}\t{moved}" if line.startswith(f"{dossier}\t") else line
            for line in links.splitlines()
        ),
        encoding="utf-8",
    )
    relinked = await pool.fetchval(
        "SELECT count(*) FROM documents WHERE source_key LIKE $1", f"bdpm:%:{dossier}:%"
    )
    assert relinked >= 1
    second = await Ingestor(embedder, corpus).ingest(
        bdpm.read_release(tmp_path / "v2"), retire_under=[bdpm.PREFIX]
    )
    assert second.replaced == 1 + relinked
    urls = await pool.fetch(
        "SELECT url FROM documents WHERE source_key LIKE $1", f"bdpm:%:{dossier}:%"
    )
    assert {r["url"] for r in urls} == {moved}
    assert f"bdpm:cis:{withdrawn[0]}" in second.pruned
    retired = await pool.fetchval(
        "SELECT retired_at FROM documents WHERE source_key = $1", f"bdpm:cis:{withdrawn[0]}"
    )
    assert retired is not None
    found = await _search(corpus, embedder, withdrawn[1])
    assert all(p.document.title != withdrawn[1] for p in found)
    found = await _search(corpus, embedder, f"Titulaire de {changed[1]}")
    assert "NOUVEAU TITULAIRE" in found[0].text
    # The first release again: the withdrawn medicine is back, though its record is unchanged.
    third = await Ingestor(embedder, corpus).ingest(
        bdpm.read_release(tmp_path / "v1"), retire_under=[bdpm.PREFIX]
    )
    assert third.added == len(second.pruned)  # the medicine and its opinions
    found = await _search(corpus, embedder, withdrawn[1])
    assert any(p.document.title == withdrawn[1] for p in found)


def test_latin1_release_keeps_its_accents(tmp_path: Path) -> None:
    """Some official releases are Latin-1: they read the same as UTF-8 ones."""
    _release(tmp_path / "latin1", 5, encoding="latin-1")
    titles = [d.meta.title for r in bdpm.read_release(tmp_path / "latin1") for d in r.documents]
    assert "ABACAVIR MYLAN 300 mg, comprimé pelliculé sécable" in titles


def test_cli_trial_import_of_the_bdpm(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`medgpt ingest --source bdpm DIR --limit N` imports a trial without retiring the rest."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MEDGPT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MEDGPT_NAME_DETECTION", "patterns")
    assert main(["ingest", "--source", "bdpm", str(BDPM), "--limit", "10"]) == 0
    assert "failed 0" in capsys.readouterr().out
    assert main(["ingest", "--source", "bdpm", str(tmp_path / "nope")]) == 2


def test_cli_imports_the_csv_thesaurus_and_says_when_its_index_is_missing(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An operator importing a thesaurus without its substance index is told what is lost; an
    index given but missing is refused before anything is imported."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MEDGPT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MEDGPT_NAME_DETECTION", "patterns")
    alone = tmp_path / "thesaurusAout2016.csv"
    alone.write_bytes((THESAURUS / alone.name).read_bytes())
    assert main(["ingest", "--source", "ansm-interactions", str(alone), "--limit", "3"]) == 0
    captured = capsys.readouterr()
    assert "failed 0" in captured.out
    assert "no substance index at" in captured.err
    assert "(give it with --index)" in captured.err
    missing = ["--index", str(tmp_path / "nope.csv")]
    assert main(["ingest", "--source", "ansm-interactions", str(alone), *missing]) == 2
    assert "nope.csv: no such file" in capsys.readouterr().err


def test_an_interaction_answer_shows_its_level(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A clinician asking about two drugs sees the pair's level in the reply, even where the
    sentences quoted are the lists of the classes' members that name the two drugs."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MEDGPT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MEDGPT_NAME_DETECTION", "patterns")
    path = str(THESAURUS / THESAURUS_FILE)
    assert main(["ingest", "--source", "ansm-interactions", path, "--limit", "100"]) == 0
    capsys.readouterr()
    assert main(["ask", "Peut-on associer méthylergométrine et clarithromycine ?"]) == 0
    out = capsys.readouterr().out
    assert "INHIBITEURS PUISSANTS DU CYP3A4 comprend" in out  # what the answer quotes
    assert "Contre-indication" not in out.split("Sources :")[0]  # ...without the level
    [source] = [line for line in out.splitlines() if line.startswith("[1] ")]
    assert source.startswith(
        "[1] Interaction : ALCALOÏDES DE L'ERGOT DE SEIGLE VASOCONSTRICTEURS + INHIBITEURS"
        " PUISSANTS DU CYP3A4 — Contre-indication — ANSM"
    )


def test_thesaurus_json_and_csv_forms_are_read() -> None:
    """Both published forms give one document per pair, each with a severity level."""
    json_pairs = list(ansm.read_thesaurus(THESAURUS / THESAURUS_FILE, THESAURUS / SUBSTANCES))
    assert len(json_pairs) == 293  # 294 entries, one pair stated twice and merged
    csv_pairs = list(ansm.read_thesaurus(THESAURUS / "thesaurusAout2016.csv"))
    assert len(csv_pairs) == 41
    for pairs in (json_pairs, csv_pairs):
        levels = {d.meta.version for r in pairs for d in r.documents}
        assert {"Contre-indication", "Association déconseillée", "Précaution d'emploi",
                "À prendre en compte"} <= levels  # fmt: skip
        assert not {level for level in levels if "non précisé" in level}


def test_csv_thesaurus_classes_come_from_its_own_release() -> None:
    """The 2016 CSV's classes are resolved through the molecule-family list published with it,
    so a substance finds the pairs of its class, on the class's side."""
    path = THESAURUS / "thesaurusAout2016.csv"
    index = ansm.default_index(path)
    assert index.name == "moleculesfamillesAout2016.csv"
    assert ansm.default_index(THESAURUS / THESAURUS_FILE).name == SUBSTANCES
    [pair] = [
        d
        for r in ansm.read_thesaurus(path, index)
        for d in r.documents
        if d.meta.title == "Interaction : AMIODARONE + BETA-BLOQUANTS (SAUF ESMOLOL ET SOTALOL)"
    ]
    sides = dict(zip(pair.meta.subjects, pair.meta.subject_sides, strict=True))
    assert (sides["AMIODARONE"], sides["acebutolol"], sides["BETA-BLOQUANTS"]) == (1, 2, 2)
    assert pair.meta.version == "Précaution d'emploi"


async def test_a_substance_finds_the_interactions_of_its_class(
    corpus: PgCorpus, embedder: LocalEmbedder
) -> None:
    """'gentamicine + ataluren' finds the pair stated for the class AMINOSIDES, with its level."""
    records = ansm.read_thesaurus(THESAURUS / THESAURUS_FILE, THESAURUS / SUBSTANCES)
    subset = [r for r in itertools.islice(records, 400)]
    await Ingestor(embedder, corpus).ingest(subset)
    question = "Peut-on associer gentamicine et ataluren ?"
    [best, *_] = await _search(corpus, embedder, question)
    assert best.document.title == "Interaction : AMINOSIDES + ATALUREN"
    assert "Contre-indication" in best.text
    # Both drugs are recognised as the corpus's subjects, and the class's pair is about both.
    named = await corpus.named_subjects(subject_words(question))
    assert set(named) == {("gentamicine",), ("ataluren",)}
    assert is_about(best, [frozenset(subject) for subject in named])
    # The class and its members on one side, the drug on the other: two aminosides together
    # are not what this pair is about, and looking up the sources about both does not bring it.
    sides = dict(zip(best.document.subjects, best.document.subject_sides, strict=True))
    assert (sides["AMINOSIDES"], sides["gentamicine"], sides["ATALUREN"]) == (1, 1, 2)
    two = "Peut-on associer gentamicine et amikacine ?"
    [vector] = await embedder.embed([two])
    aminosides = [subject_words("gentamicine"), subject_words("amikacine")]
    found = await corpus.about(aminosides, SearchQuery(two, vector, "fr", 10))
    assert best.document.title not in {p.document.title for p in found}
    assert all(is_about(p, aminosides) for p in found)  # the store and the check agree
    # A class named with an exclusion is not about the drug it excludes.
    [beta_blockers] = [
        d
        for r in ansm.read_thesaurus(THESAURUS / THESAURUS_FILE, THESAURUS / SUBSTANCES)
        for d in r.documents
        if d.meta.title == "Interaction : BÊTA-BLOQUANTS (SAUF ESMOLOL) (Y COMPRIS COLLYRES) + "
        "ANTI-INFLAMMATOIRES NON STÉROÏDIENS"
    ]
    assert "BÊTA-BLOQUANTS" in beta_blockers.meta.subjects
    assert not any("esmolol" in subject.lower() for subject in beta_blockers.meta.subjects)
    assert not is_about(best, aminosides)
