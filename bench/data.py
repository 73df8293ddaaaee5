"""Where the benchmarks find the full public releases; one clear line when they are not there."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"  # ../shared/data, beside the checkout: our machines' copy
TEST_DATA = ROOT / "tests" / "data"  # the small labelled sets the tests use too
SHOWN = "../shared/data"  # how the default is named in help and messages
PASS = f"pass --data DIR, the folder of the releases (default {SHOWN}; see tests/data/README.md)"
# The files of the releases, relative to the data folder (sources: tests/data/README.md).
BDPM = "bdpm"
THESAURUS_DIR = "ansm_thesaurus_interactions"
THESAURUS = (
    f"{THESAURUS_DIR}/thesaurus-referentiel-national-des-interactions-medicamenteuses-20102020.json"
)
SUBSTANCES = f"{THESAURUS_DIR}/index-des-substances-20102020.json"
PUBMEDQA = "pubmedqa/ori_pqal.json"
_WITNESS = {BDPM: f"{BDPM}/CIS_bdpm.txt"}  # a folder is there when its main file is


def add_data_argument(parser: argparse.ArgumentParser) -> None:
    """--data DIR: the folder holding the releases (bdpm/, ansm_thesaurus_interactions/, ...)."""
    parser.add_argument(
        "--data",
        type=Path,
        default=DATA,
        help=f"folder of the full public releases (default {SHOWN}; see tests/data/README.md)",
    )


def missing(folder: Path, *names: str) -> Path | None:
    """The first release file named (relative to `folder`) that is not there, if any."""
    paths = (folder / _WITNESS.get(name, name) for name in names)
    return next((path for path in paths if not path.exists()), None)


def require(folder: Path, *names: str) -> Path:
    """`folder`, once every release file named (relative to it) is there; else exit (status 1)
    with one line naming what is missing and the flag that gives another place."""
    if (path := missing(folder, *names)) is not None:
        script = Path(sys.argv[0]).name
        sys.exit(f"{script}: {path} not found: this benchmark reads the full release; {PASS}")
    return folder
