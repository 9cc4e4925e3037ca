"""Reference data shipped in `ccm_assess/data/`, read through importlib.resources.

MANIFEST is the single source of truth for every bundled file: what it holds, where it came
from, and which version. The report's appendix prints it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

MANIFEST: dict[str, dict[str, str]] = {
    # "file name": {"holds": "...", "source": "...", "version": "..."},
}


def data_path(name: str) -> Path:
    """Path of a bundled data file (a real file: the package is installed unzipped)."""
    return Path(str(resources.files("ccm_assess") / "data" / name))


def read_data_csv(name: str, **kwargs: object) -> pd.DataFrame:
    """Read a bundled CSV (gzip-compressed when the name ends in .gz)."""
    return pd.read_csv(data_path(name), **kwargs)  # type: ignore[arg-type]
