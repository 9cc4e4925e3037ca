"""`ccm-assess notebooks DIR`: copies of the kit's notebooks for an analyst (a wheel user too).

The notebooks import everything from the installed package and find the sample practice
through it (`edge.sample.sample_file`, "<sample>" defaults), so a copy runs from any folder.
A file of the same name already in DIR is left alone unless it is an identical copy: the kit
never overwrites a file it did not write.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ccm_assess.errors import CcmAssessError
from ccm_assess.reference import bundled_dir


def copy_notebooks(directory: Path) -> list[Path]:
    """Copy every bundled notebook into `directory` (created if needed); the paths, by name.

    Raises CcmAssessError, before copying anything, when `directory` holds a different file
    of a notebook's name.
    """
    sources = sorted(bundled_dir("notebooks").glob("*.ipynb"))
    targets = [directory / source.name for source in sources]
    clashes = [
        target.name
        for source, target in zip(sources, targets, strict=True)
        if target.exists() and (not target.is_file() or target.read_bytes() != source.read_bytes())
    ]
    if clashes:
        raise CcmAssessError(
            f"{directory} already holds {', '.join(clashes)}, which this command did not write; "
            "choose another folder, or move those files first"
        )
    directory.mkdir(parents=True, exist_ok=True)
    for source, target in zip(sources, targets, strict=True):
        shutil.copyfile(source, target)
    return targets
