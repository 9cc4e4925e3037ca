"""The manifest names every bundled data file, with what it holds, its source and version."""

from __future__ import annotations

import pytest

from ccm_assess.reference import MANIFEST, data_path


def test_every_bundled_file_is_in_the_manifest_and_exists():
    bundled = {path.name for path in data_path(".").iterdir() if path.is_file()}
    assert bundled == set(MANIFEST)


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_manifest_entry_states_holds_source_and_version(name):
    entry = MANIFEST[name]
    assert set(entry) == {"holds", "source", "version"}
    assert all(text.strip() for text in entry.values())
