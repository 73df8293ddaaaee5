"""Drug names stored by the importers: understood by the bot without a new package."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from adapters.postgres.lexicon import PgLexicon
from adapters.sources import drug_names
from bots.wiring import load_lexicon
from core.understand import understand

pytestmark = pytest.mark.integration

# A release of two medicines, in the BDPM's layout: a brand, and a generic named by its substance.
MEDICINES = (
    "69999991\tNOVOLGAN 500 mg, comprimé\tcomprimé\torale\tAutorisation active\tProcédure "
    "nationale\tCommercialisée\t01/01/2026\t\t\t LABO\tNon\n"
    "69999992\tPARACETAMOL LABO 1 g, comprimé\tcomprimé\torale\tAutorisation active\tProcédure "
    "nationale\tCommercialisée\t01/01/2026\t\t\t LABO\tNon\n"
)
COMPOSITIONS = (
    "69999991\tcomprimé\t02202\tPARACÉTAMOL\t500 mg\tun comprimé\tSA\t1\n"
    "69999992\tcomprimé\t02202\tPARACÉTAMOL\t1 g\tun comprimé\tSA\t1\n"
)


async def test_a_brand_of_a_newer_release_is_understood_once_imported(
    pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """A brand the shipped table lacks is read as its substance after an import of the BDPM
    release that lists it; a later import replaces it."""
    (tmp_path / "CIS_bdpm.txt").write_text(MEDICINES, encoding="utf-8")
    (tmp_path / "CIS_COMPO_bdpm.txt").write_text(COMPOSITIONS, encoding="utf-8")
    brands = drug_names.brands(tmp_path)
    assert brands == {"NOVOLGAN": ("paracétamol",)}  # the generic is no brand
    before = await load_lexicon(pool)
    assert understand("Novolgan max par jour ?", "fr", before).changes == ()

    assert await PgLexicon(pool).replace("bdpm", "brand", brands) == 1
    lexicon = await load_lexicon(pool)
    understood = understand("Novolgan max par jour ?", "fr", lexicon)
    assert understood.changes == (("Novolgan", "paracétamol"),)
    assert understand("Coumadine", "fr", lexicon).changes  # the shipped table still holds

    await PgLexicon(pool).replace("bdpm", "brand", {"AUTREBRAND": ("ibuprofène",)})
    assert understand("Novolgan", "fr", await load_lexicon(pool)).changes == ()


async def test_classes_of_the_thesaurus_are_stored_with_their_members(pool: asyncpg.Pool) -> None:
    """A class of the thesaurus's substance index is read as its members once imported."""
    listed = {"antifictifs (nouveaux)": ["fictivol", "fictivane"]}
    await PgLexicon(pool).replace("ansm-interactions", "class", drug_names.classes(listed))
    understood = understand(
        "Quelles interactions des antifictifs ?", "fr", await load_lexicon(pool)
    )
    assert understood.changes == (("antifictifs", "fictivane / fictivol"),)
