"""A throw-away MEDGPT_DATA_DIR (where the embedded database lives) for a benchmark run, removed
when the run ends."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def throwaway_data_dir(prefix: str) -> Iterator[Path]:
    """MEDGPT_DATA_DIR for the run: a new folder, removed at the end (its embedded server is
    stopped by then); one already set is used and kept."""
    given = os.environ.get("MEDGPT_DATA_DIR")
    if given:
        yield Path(given)
        return
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["MEDGPT_DATA_DIR"] = str(folder)
    try:
        yield folder
    finally:
        del os.environ["MEDGPT_DATA_DIR"]
        shutil.rmtree(folder, ignore_errors=True)
